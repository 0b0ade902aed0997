#!/usr/bin/env bash
# Set up Samverkanskartan on a fresh Debian/Ubuntu machine (or any machine with Python 3.11+).
#   bash scripts/setup.sh          the app: a virtual environment in .venv with uvts installed
#   bash scripts/setup.sh --test   also what the tests need: test packages and system programs
#                                  (Chromium, pdftoppm, Virtuoso, curl), installed with apt-get
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 eller senare behövs (hittade: $("$PY" --version 2>&1))." >&2
  exit 2
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ $want_test = 1 ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
else
  .venv/bin/python -m pip install -q -e .
fi

if [ $want_test = 1 ]; then
  # System programs the tests drive: a real browser, a PDF rasteriser, a triple store, curl.
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v pdftoppm >/dev/null || need+=(poppler-utils)
  command -v virtuoso-t >/dev/null || need+=(virtuoso-opensource-7-bin)
  command -v isql-vt >/dev/null || need+=(virtuoso-opensource-7-bin)
  command -v curl >/dev/null || need+=(curl)
  command -v java >/dev/null || need+=(default-jre-headless)  # the Nu HTML Checker (report tests)
  fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
  if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    # Another apt/dpkg (an unattended upgrade, say) may hold the lock: wait for it, up to 5
    # minutes, instead of failing (DPkg::Lock::Timeout for dpkg, a retry loop for the lists).
    apt_wait=(-o DPkg::Lock::Timeout=300)
    for try in $(seq 60); do
      if $SUDO apt-get "${apt_wait[@]}" update -q >/dev/null 2>/tmp/uvts-apt.err; then break; fi
      if ! grep -qi "lock" /tmp/uvts-apt.err || [ "$try" = 60 ]; then cat /tmp/uvts-apt.err >&2; exit 2; fi
      [ "$try" = 1 ] && echo "Väntar på att en annan apt/dpkg ska bli klar …" >&2
      sleep 5
    done
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${apt_wait[@]}" install -y -q "${need[@]}" >/dev/null
  fi
fi
echo "Klart: .venv är installerad$( [ $want_test = 1 ] && echo ' med testverktyg')."
