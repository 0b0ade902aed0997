"""Versions kept on a remote SPARQL server (Virtuoso, started by tests/virtuoso.py): the same
commands and the same checks as on the embedded store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from uvts.graph import remote_versions as RV
from uvts.graph.paths import ROOT
from uvts.graph.versions import data_id
from tests.conftest import run_cli
from virtuoso import virtuoso_server  # noqa: F401  (the session fixture)

FIXTURES = ROOT / "tests" / "fixtures" / "diff-plan"
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture
def small(tmp_path) -> Path:
    target = tmp_path / "lillby"
    shutil.copytree(FIXTURES / "v1", target)
    return target


def _server_triples(url: str) -> int:
    store = RV._meta(url)
    return int(RV._select(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"])


def test_versions_on_the_server(virtuoso_server, small, tmp_path):  # noqa: F811
    url = virtuoso_server.store_url
    env = {"UVTS_HOME": str(tmp_path / "home")}  # nothing of the versions goes there
    r = run_cli("build", "--store", url, "--data", str(small), "-m", "Första", env=env)
    assert r.returncode == 0, r.stderr
    assert "är publicerad på servern" in r.stdout
    shutil.rmtree(small)
    shutil.copytree(FIXTURES / "v2", small)
    assert run_cli("build", "--store", url, "--data", str(small), "-m", "Andra", env=env).returncode == 0
    listed = json.loads(run_cli("versions", "--store", url, "--format", "json", env=env).stdout)
    mine = [v for v in listed if v["id"] in (data_id([FIXTURES / "v1"]), data_id([FIXTURES / "v2"]))]
    assert [v["message"] for v in mine[:2]] == ["Andra", "Första"] and mine[0]["revises"] == mine[1]["id"]
    assert RV.latest_remote(url).id == mine[0]["id"]
    golden = json.loads((GOLDEN / "diff-lillby.json").read_text(encoding="utf-8"))
    r = run_cli("diff", "--store", url, "--from", mine[1]["id"], "--to", mine[0]["id"], "--format", "json", env=env)
    assert json.loads(r.stdout) == {"from": mine[1]["id"], "to": mine[0]["id"], "changes": golden["changes"]}
    assert "+ Ny: Nattvandring" in run_cli("diff", "--store", url, "--from", mine[1]["id"], env=env).stdout
    q = "SELECT ?t WHERE { <https://w3id.org/uvts/id/intervention/skola-1> <http://purl.org/dc/terms/title> ?t }"
    before = _server_triples(url)
    old = run_cli("query", "--store", url, "--at", mine[1]["id"], "--sparql", q, "--format", "json", env=env)
    new = run_cli("query", "--store", url, "--data", str(small), "--sparql", q, "--format", "json", env=env)
    assert "Läxhjälp" in old.stdout and "studiestöd" not in old.stdout and "studiestöd" in new.stdout
    r = run_cli("analyse", "coverage", "--store", url, "--at", mine[1]["id"], "--format", "json", env=env)
    assert r.returncode == 0, r.stderr
    assert _server_triples(url) == before  # reads never write
    assert not (tmp_path / "home").exists()
    # a version's store answers under the logical graph names, as the embedded store does
    store = RV.open_remote_version(mine[1]["id"], url)
    from uvts.graph.plans import list_plans

    assert [p["id"] for p in list_plans(store)] == ["lillby-2025-2027"]
    rows = store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").values()
    assert {r["g"] for r in rows} == set(store.graphs())
    r = run_cli("query", "--store", url, "--at", "0000aaaa0000", "--sparql", "ASK {}", env=env)
    assert r.returncode == 1 and "okänd version" in r.stderr


def _start(folder: Path, url: str, home: Path):
    env = dict(os.environ, UVTS_HOME=str(home))
    return subprocess.Popen([sys.executable, "-m", "uvts", "build", "--store", url, "--data", str(folder)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_concurrent_publications_on_the_server(virtuoso_server, tmp_path):  # noqa: F811
    url = virtuoso_server.store_url
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(FIXTURES / "v1", a)
    shutil.copytree(FIXTURES / "v2", b)
    for round_ in range(10):
        for folder in (a, b):
            f = folder / "departments" / "fritid.yaml"
            f.write_text(f.read_text(encoding="utf-8").replace("amount: ", f"amount: 7{round_}", 1), encoding="utf-8")
        ids = {data_id([a]), data_id([b])}
        procs = [_start(a, url, tmp_path / "h1"), _start(b, url, tmp_path / "h2")]  # two machines: no shared home
        outs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        current = RV.latest_remote(url)
        assert current.id in ids, round_
        store = RV.open_remote_version(None, url)
        assert store.select("ASK { ?s a <https://w3id.org/uvts/ontology#Intervention> }").boolean
        for vid in ids:  # both complete versions are kept and read whole
            v = RV.open_remote_version(vid, url)
            n = int(v.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0]["n"].value)
            assert n == v.version.triples
    assert not RV._select(RV._meta(url), f"SELECT ?h WHERE {{ GRAPH <{RV.META_GRAPH}> {{ <{RV._LOCK}> ?p ?h }} }}")


def test_a_killed_writer_leaves_the_published_version_on_the_server(virtuoso_server, tmp_path):  # noqa: F811
    import signal
    import time

    from uvts.graph.paths import DEFAULT_DATA

    url = virtuoso_server.store_url
    small = tmp_path / "small"
    shutil.copytree(FIXTURES / "v1", small)
    f = small / "departments" / "fritid.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("amount: ", "amount: 99", 1), encoding="utf-8")
    published, _ = RV.publish_remote([small], url)
    writer = _start(DEFAULT_DATA, url, tmp_path / "h")  # the Umeå plan: a while to load
    lock = f"SELECT ?h WHERE {{ GRAPH <{RV.META_GRAPH}> {{ <{RV._LOCK}> ?p ?h }} }}"
    umea = RV.physical_prefix(data_id([DEFAULT_DATA]))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and writer.poll() is None:
        loading = RV._select(RV._meta(url), "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                                            f"FILTER(STRSTARTS(STR(?g), \"{umea}\")) }} LIMIT 1")
        if loading and RV._select(RV._meta(url), lock):
            break
        time.sleep(0.05)
    assert writer.poll() is None, "the writer finished before it could be killed"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert RV.latest_remote(url).id == published.id
    v = RV.open_remote_version(None, url)
    assert int(v.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0]["n"].value) == published.triples
    # the next writer breaks the dead writer's lock at once and drops its half-loaded graphs
    f.write_text(f.read_text(encoding="utf-8").replace("amount: 99", "amount: 98", 1), encoding="utf-8")
    start = time.monotonic()
    v2, created = RV.publish_remote([small], url, wait=30)
    assert created and RV.latest_remote(url).id == v2.id and time.monotonic() - start < 30
    assert not RV._select(RV._meta(url), "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                                         f"FILTER(STRSTARTS(STR(?g), \"{umea}\")) }} LIMIT 1")
