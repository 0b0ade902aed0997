"""Shared fixtures: the plan, stores built from it, and a way to run the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from uvts.graph.load import load_plan
from uvts.graph.paths import DEFAULT_DATA, ROOT

PLAN_TEXT = DEFAULT_DATA / "source" / "aktivitetsplan-uvts-2024-2026.txt"


@pytest.fixture(scope="session")
def plan():
    return load_plan(DEFAULT_DATA)


@pytest.fixture(scope="session")
def plan_lines() -> list[str]:
    return PLAN_TEXT.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def store():
    """The Umeå plan in an in-memory pyoxigraph store (the embedded engine)."""
    from uvts.graph.store import open_store

    s, _ = open_store([DEFAULT_DATA], kind="memory")
    return s


@pytest.fixture(scope="session")
def rdflib_store():
    from uvts.graph.store import open_store

    s, _ = open_store([DEFAULT_DATA], kind="rdflib")
    return s


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A private copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA, target)
    return target


@pytest.fixture
def uvts_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "uvts-home"
    monkeypatch.setenv("UVTS_HOME", str(home))
    return home


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``uvts`` as a user would, in a fresh process."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "uvts", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, timeout=300)
