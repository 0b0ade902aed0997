"""The service serves one published version, follows new ones without a restart, and never writes."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from uvts.api.app import create_app
from uvts.api.settings import Settings
from uvts.graph import versions as V
from uvts.graph.paths import ROOT
from tests.conftest import run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "diff-plan"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
JSON = {"accept": "application/sparql-results+json"}


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("UVTS_HOME", str(home))
    return home


@pytest.fixture
def small(tmp_path) -> Path:
    target = tmp_path / "lillby"
    shutil.copytree(FIXTURES / "v1", target)
    return target


def _with_places(folder: Path, n: int) -> None:
    """Give the plan ``n`` extra places, so each version has its own answers."""
    text = (FIXTURES / "v1" / "places.yaml").read_text(encoding="utf-8")
    for i in range(n):
        text += f"- id: plats-{i}\n  name: Plats {i}\n  kind: area\n  lines: '9'\n"
    (folder / "places.yaml").write_text(text, encoding="utf-8")


def _wait_for(app, version_id: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while getattr(app.state, "version", None) is None or app.state.version.id != version_id:
        assert time.monotonic() < deadline, "the service did not switch to the new version"
        time.sleep(0.05)


def _count(client) -> int:
    r = client.get("/sparql", params={"query": COUNT}, headers=JSON)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def _version_count(version_id: str) -> int:
    return int(V.open_version(version_id).select(COUNT).rows[0]["n"].value)


def test_service_follows_new_versions_and_reads_never_write(home, small):
    app = create_app(Settings(data=(small,), query_workers=1, update_token="hemligt-token-123"))
    with TestClient(app) as client:
        v1 = V.latest()
        assert app.state.version.id == v1.id
        assert client.get("/overview").json()["counts"]["places"] == 1
        n1 = _count(client)
        assert n1 == _version_count(v1.id)
        _with_places(small, 2)
        v2, created = V.publish([small])
        assert created
        _wait_for(app, v2.id)
        assert client.get("/overview").json()["counts"]["places"] == 3
        assert _count(client) > n1
        assert "Plats 1" in client.get("/platser").text
        # an earlier version on request
        assert client.get("/overview", params={"at": v1.id}).json()["counts"]["places"] == 1
        assert "Plats 1" not in client.get("/platser", params={"at": v1.id}).text
        r = client.get("/overview", params={"at": "0000ffff0000"})
        assert r.status_code == 404 and "okänd version" in r.json()["error"]
        # SPARQL Update does not change a published version
        r = client.post("/sparql", data={"update": "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"},
                        headers={"authorization": "Bearer hemligt-token-123"})
        assert r.status_code == 403 and "publicera en ny version med uvts build" in r.json()["error"]
        assert _count(client) == _version_count(v2.id)
        # a broken file on disk changes nothing: no request builds, and none answers 500
        (small / "places.yaml").write_text("- id: [trasig\n", encoding="utf-8")
        files = {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()}
        for path in ("/report.md", "/report.xlsx", "/", "/platser", "/insatser"):
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
        assert {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()} == files
        # a publication that fails leaves the last good version served
        with pytest.raises(Exception):
            V.publish([small])
        time.sleep(0.6)
        assert app.state.version.id == v2.id and client.get("/overview").status_code == 200
        # a pointer to a version that cannot be opened is not followed
        (home / "current.json").write_text(json.dumps({"id": "ffffffffffff"}), encoding="utf-8")
        time.sleep(0.6)
        assert app.state.version.id == v2.id and client.get("/overview").json()["counts"]["places"] == 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_publish_under_load(home, small):
    """Requests (REST, pages, /sparql) run while new versions are published by `uvts build`:
    no request fails, and every answer is that of one complete version."""
    import uvicorn

    _with_places(small, 0)
    V.publish([small])
    app = create_app(Settings(query_workers=2, query_timeout=20))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    expected = {"rest": set(), "page": set(), "sparql": set()}

    def expect(version):
        store = V.open_version(version.id)
        expected["sparql"].add(int(store.select(COUNT).rows[0]["n"].value))
        places = 1 + sum(1 for line in (V.version_data_dirs(version)[0] / "places.yaml").read_text().splitlines()
                         if line.startswith("- id: plats-"))
        expected["rest"].add(places)
        expected["page"].add(places - 1)

    expect(V.latest())
    stop = threading.Event()
    seen = {"rest": [], "page": [], "sparql": []}
    failures = []

    def load(kind):
        with httpx.Client(base_url=base, timeout=60) as client:
            while not stop.is_set():
                try:
                    if kind == "rest":
                        r = client.get("/overview")
                        value = r.json()["counts"]["places"] if r.status_code == 200 else None
                    elif kind == "page":
                        r = client.get("/platser")
                        value = len(set(re.findall(r"Plats \d+", r.text))) if r.status_code == 200 else None
                    else:
                        r = client.get("/sparql", params={"query": COUNT}, headers=JSON)
                        value = int(r.json()["results"]["bindings"][0]["n"]["value"]) if r.status_code == 200 else None
                except httpx.HTTPError as exc:
                    failures.append((kind, repr(exc)))
                    continue
                if r.status_code != 200:
                    failures.append((kind, r.status_code, r.text[:200]))
                seen[kind].append(value)

    try:
        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(load, kind) for kind in ("rest", "rest", "page", "page", "sparql", "sparql")]
            for n in (1, 2, 3):
                _with_places(small, n)
                r = run_cli("build", "--data", str(small), "-m", f"{n} platser")
                assert r.returncode == 0, r.stderr
                version = V.latest()
                expect(version)
                _wait_for(app, version.id)
                time.sleep(0.5)
            stop.set()
            for f in futures:
                f.result()
        assert failures == []
        for kind in seen:
            assert len(seen[kind]) >= 5, kind
            assert set(seen[kind]) <= expected[kind], (kind, set(seen[kind]), expected[kind])
            assert len(set(seen[kind])) >= 2, (kind, "the load saw only one version")
        # after the last switch, every answer is the last version's
        with httpx.Client(base_url=base, timeout=60) as client:
            assert client.get("/overview").json()["counts"]["places"] == 4
            r = client.get("/sparql", params={"query": COUNT}, headers=JSON)
            assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == max(expected["sparql"])
    finally:
        stop.set()
        server.should_exit = True
        thread.join(30)
