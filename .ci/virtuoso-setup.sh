#!/usr/bin/env bash
# Install Virtuoso Open Source 7 from Debian when it is missing.
#
# tests/test_remote_store.py and benchmarks/bench_stores.py start their own Virtuoso
# (virtuoso-t, and isql-vt to grant SPARQL updates) on loopback; this puts the two
# programs on the machine. Safe to run again: it does nothing when both are there.
set -euo pipefail

if command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1; then
  echo "virtuoso-setup: virtuoso-t and isql-vt already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin
command -v virtuoso-t >/dev/null && command -v isql-vt >/dev/null
echo "virtuoso-setup: installed $(virtuoso-t +version 2>&1 | head -n 2 | tail -n 1 || true)"
