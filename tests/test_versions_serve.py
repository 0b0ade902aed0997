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


def test_rest_versions_diff_and_the_changes_page(home, small):
    golden = json.loads((ROOT / "tests" / "golden" / "diff-lillby.json").read_text(encoding="utf-8"))
    app = create_app(Settings(data=(small,), query_workers=1))
    with TestClient(app) as client:
        page = client.get("/andringar")
        assert page.status_code == 200 and "den första" in page.text
        v1 = V.latest()
        shutil.rmtree(small)
        shutil.copytree(FIXTURES / "v2", small)
        v2, _ = V.publish([small], message="Nattvandring <tillagd>")
        _wait_for(app, v2.id)
        listed = client.get("/versions").json()
        assert listed["current"] == v2.id and [v["id"] for v in listed["versions"]] == [v2.id, v1.id]
        assert client.get(f"/versions/{v1.id}").json()["id"] == v1.id
        assert client.get("/versions/0000aaaa0000").status_code == 404
        assert client.get("/diff").json() == {"from": v1.id, "to": v2.id, "changes": golden["changes"]}
        back = client.get("/diff", params={"from": v2.id, "to": v1.id}).json()
        assert {c["id"] for c in back["changes"] if c["kind"] == "added"} == {"skola-2"}
        r = client.get("/diff", params={"from": "nope"})
        assert r.status_code == 404 and r.json()["ok"] is False and "okänd version" in r.json()["error"]
        # the page: the last two by default, in Swedish, with links to the resources' pages
        html = client.get("/andringar").text
        assert "<h2>Insatser</h2>" in html and "<h2>Budget</h2>" in html
        assert '<a href="/insatser/fritid-2">Ny: Nattvandring</a>' in html
        assert f'<a href="/insatser/skola-2?at={v1.id}">Borttagen: Närvaroteam</a>' in html  # gone now: the old page
        assert "Idrottsföreningen" in html and "idrottsforeningen<" not in html
        assert "Nattvandring &lt;tillagd&gt;" in html  # the message, escaped
        assert f'<option value="{v1.id}" selected>' in html and f'<option value="{v2.id}" selected>' in html
        assert client.get(f"/insatser/skola-2?at={v1.id}").status_code == 200
        assert client.get("/insatser/skola-2").status_code == 404
        html = client.get("/andringar", params={"from": v2.id, "to": v1.id}).text
        assert "Ny: Närvaroteam" in html
        r = client.get("/andringar", params={"from": "zzzz"})
        assert r.status_code == 404 and "okänd version" in r.text
        assert '<a href="/andringar"' in client.get("/").text  # in the navigation


def test_uvts_serve_publishes_at_start_and_keeps_the_last_good_version(home, small, tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, UVTS_HOME=str(home))
    assert run_cli("build", "--data", str(small), env={"UVTS_HOME": str(home)}).returncode == 0
    good = V.latest(home)
    (small / "places.yaml").write_text("- id: [trasig\n", encoding="utf-8")  # bad data at start
    port = _free_port()
    log = open(tmp_path / "serve.log", "w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "uvts", "serve", "--data", str(small), "--port", str(port),
                             "--query-workers", "1", "--log-level", "warning"], env=env, cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.seek(0) or log.read()
            try:
                if httpx.get(base + "/overview", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        log.seek(0)
        text = log.read()
        assert "data kunde inte publiceras" in text and f"visar version {good.id}" in text
        assert httpx.get(base + "/overview").json()["counts"]["places"] == 1
        _with_places(small, 2)  # fixed and extended, then published by another command
        assert run_cli("build", "--data", str(small), env={"UVTS_HOME": str(home)}).returncode == 0
        deadline = time.monotonic() + 60
        while httpx.get(base + "/overview").json()["counts"]["places"] != 3:
            assert time.monotonic() < deadline, "uvts serve did not switch to the new version"
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def test_a_rebuilt_version_is_reopened(home, small):
    """`uvts build --rebuild` builds the same version again in a new folder: the service reopens it."""
    app = create_app(Settings(data=(small,), query_workers=1))
    with TestClient(app) as client:
        first_store = app.state.store
        n = _count(client)
        V.publish([small], rebuild=True)
        deadline = time.monotonic() + 60
        while app.state.store is first_store:
            assert time.monotonic() < deadline, "the service did not reopen the rebuilt version"
            time.sleep(0.05)
        V.publish([small])  # cleans up the set-aside folder of the first build
        assert _count(client) == n and client.get("/overview").json()["counts"]["places"] == 1
