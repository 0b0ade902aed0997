"""Installable as a wheel: ``pip install`` of the built wheel (not editable) into a fresh virtual
environment, then, from another directory, ``uvts build``, ``uvts query`` and ``uvts serve`` work
with the plan and ontology bundled in the package, and nothing is written into the installed
package (its state goes to the user's state folder)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheels = list(dist.glob("uvts-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheels[0])], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    work = tmp / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UVTS_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(tmp / "home"), XDG_STATE_HOME=str(tmp / "state"))
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    return {"bin": env_dir / "bin", "cwd": work, "env": env, "state": tmp / "state", "site": site}


def _run(inst, *args):
    return subprocess.run([str(inst["bin"] / "uvts"), *args], cwd=inst["cwd"], env=inst["env"], capture_output=True,
                          text=True, timeout=300)


def test_installed_package_is_not_the_checkout(installed):
    proc = subprocess.run([str(installed["bin"] / "python"), "-c",
                           "import uvts.graph.paths as p; print(p.ROOT); print(p.DEFAULT_DATA.is_dir())"],
                          cwd=installed["cwd"], env=installed["env"], capture_output=True, text=True, check=True)
    root, has_data = proc.stdout.split()
    assert Path(root).resolve() == (installed["site"] / "uvts").resolve()
    assert has_data == "True"


def test_build_query_and_serve_from_the_wheel(installed):
    built = _run(installed, "build")
    assert built.returncode == 0, built.stderr
    assert "46 insatser" in built.stdout
    # the store lives in the user's state folder, never inside the installed package
    assert (installed["state"] / "uvts").is_dir()
    assert not (installed["site"] / "uvts" / ".uvts").exists()

    query = _run(installed, "query", "who-works-on", "--param", "riskFactor=psykisk-ohalsa", "--format", "json")
    assert query.returncode == 0, query.stderr
    assert "department/stod-och-omsorg" in query.stdout

    port = _free_port()
    server = subprocess.Popen([str(installed["bin"] / "uvts"), "serve", "--port", str(port)], cwd=installed["cwd"],
                              env=installed["env"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    page = resp.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "uvts serve did not answer within 120 s"
                time.sleep(0.2)
        assert "Samverkanskartan" in page
        req = urllib.request.Request(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D",
                                     headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert b"true" in resp.read()
    finally:
        server.terminate()
        server.wait(30)
