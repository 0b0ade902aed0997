"""Versions: every publication is kept, immutable and atomic; one writer at a time; diffs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from uvts.graph import versions as V
from uvts.graph.diff import diff_plans, diff_versions, format_diff, names_of
from uvts.graph.errors import DataError
from uvts.graph.load import load_plans
from uvts.graph.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "diff-plan"
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture
def small(tmp_path) -> Path:
    """A private copy of the small hand-made plan (version 1)."""
    target = tmp_path / "lillby"
    shutil.copytree(FIXTURES / "v1", target)
    return target


def _become_v2(folder: Path) -> None:
    shutil.rmtree(folder)
    shutil.copytree(FIXTURES / "v2", folder)


def test_publish_keeps_every_version_and_same_data_same_id(small, tmp_path):
    home = tmp_path / "home"
    assert V.latest(home) is None and V.list_versions(home) == []
    v1, created = V.publish([small], message="Första versionen", home=home)
    assert created and len(v1.id) == V.ID_LENGTH and v1.plans == ["lillby-2025-2027"]
    assert v1.message == "Första versionen" and v1.revises is None and v1.triples > 100
    assert v1.source == {"kind": "folders", "paths": [str(small.resolve())]}
    again, created = V.publish([small], home=home)
    assert not created and again.id == v1.id
    # the id is the data's: a copy elsewhere gives the same id
    other = tmp_path / "elsewhere"
    shutil.copytree(small, other)
    assert V.data_id([other]) == v1.id
    _become_v2(small)
    v2, created = V.publish([small], message="Andra", source={"kind": "workbook", "name": "plan.xlsx", "sha256": "ab" * 32},
                            home=home)
    assert created and v2.id != v1.id and v2.revises == v1.id
    assert [v.id for v in V.list_versions(home)] == [v2.id, v1.id]
    assert V.latest(home).id == v2.id
    d = v2.to_dict()
    assert set(d) == {"id", "created", "plans", "source", "message", "revises", "triples"}
    # both versions stay readable, each with its own data
    q = "ASK { <https://w3id.org/uvts/id/intervention/fritid-2> ?p ?o }"
    assert V.open_version(v2.id, home).select(q).boolean
    assert not V.open_version(v1.id, home).select(q).boolean
    assert not V.open_version(v1.id[:6], home).select(q).boolean  # a unique prefix is enough
    assert [p.plan.id for p in V.version_plans(v1, home)] == ["lillby-2025-2027"]


def test_version_is_rdf(small, tmp_path):
    home = tmp_path / "home"
    v1, _ = V.publish([small], home=home)
    _become_v2(small)
    v2, _ = V.publish([small], message="Ny budget", home=home)
    rows = V.open_version(None, home).select("""
        PREFIX uvts: <https://w3id.org/uvts/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?v ?created ?comment ?prev ?src WHERE {
          ?v a uvts:Version, prov:Entity ; dcterms:created ?created ; rdfs:comment ?comment ;
             prov:wasRevisionOf ?prev ; prov:wasDerivedFrom ?src }""").values()
    from datetime import datetime

    assert datetime.fromisoformat(rows[0].pop("created")) == datetime.fromisoformat(v2.created)
    assert rows == [{"v": V.version_iri(v2.id), "comment": "Ny budget",
                     "prev": V.version_iri(v1.id), "src": V.version_iri(v2.id) + "/source"}]


def test_unknown_version_is_a_swedish_error(small, tmp_path):
    home = tmp_path / "home"
    with pytest.raises(V.VersionError, match="ingen version är publicerad"):
        V.open_version(None, home)
    V.publish([small], home=home)
    with pytest.raises(V.VersionError, match="okänd version 'abcdef123456'"):
        V.open_version("abcdef123456", home)


def test_bad_data_publishes_nothing(small, tmp_path):
    home = tmp_path / "home"
    v1, _ = V.publish([small], home=home)
    (small / "places.yaml").write_text("- id: x\n  kind: nowhere\n", encoding="utf-8")
    with pytest.raises(DataError):
        V.publish([small], home=home)
    assert V.latest(home).id == v1.id and [v.id for v in V.list_versions(home)] == [v1.id]
    assert not [p for p in (home / "versions").iterdir() if p.name.startswith(".")]


def test_keep_last_n(small, tmp_path, monkeypatch):
    home = tmp_path / "home"
    ids = []
    for amount in (1, 2, 3):
        f = small / "departments" / "fritid.yaml"
        f.write_text(f.read_text(encoding="utf-8").replace("amount: ", f"amount: {amount}", 1), encoding="utf-8")
        ids.append(V.publish([small], home=home)[0].id)
    assert [v.id for v in V.list_versions(home)] == ids[::-1]
    monkeypatch.setenv(V.KEEP_ENV, "2")
    f = small / "departments" / "fritid.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("amount: ", "amount: 4", 1), encoding="utf-8")
    newest, _ = V.publish([small], home=home)
    assert [v.id for v in V.list_versions(home)] == [newest.id, ids[2]]
    assert not (home / "versions" / ids[0]).exists()


def test_republishing_older_data_points_back_to_it(small, tmp_path):
    home = tmp_path / "home"
    v1, _ = V.publish([small], home=home)
    saved = tmp_path / "saved"
    shutil.copytree(small, saved)
    _become_v2(small)
    v2, _ = V.publish([small], home=home)
    back, created = V.publish([saved], home=home)
    assert back.id == v1.id and not created and V.latest(home).id == v1.id
    assert [v.id for v in V.list_versions(home)] == [v1.id, v2.id]


def test_lock_busy_names_the_holder(small, tmp_path):
    home = tmp_path / "home"
    with V._Lock(home, 1.0):
        with pytest.raises(V.LockBusy) as err:
            V.publish([small], home=home, wait=0.2)
    message = str(err.value)
    assert "en annan publicering pågår" in message and "process" in message and "väntade 0.2 s" in message
    assert V.latest(home) is None


# --- diff ---------------------------------------------------------------------------------------


def test_diff_golden_json_and_text():
    before, after = load_plans([FIXTURES / "v1"]), load_plans([FIXTURES / "v2"])
    changes = diff_plans(before, after)
    golden = json.loads((GOLDEN / "diff-lillby.json").read_text(encoding="utf-8"))
    assert {"from": "v1", "to": "v2", "changes": changes} == golden
    text = format_diff({"from": "v1", "to": "v2", "changes": changes}, {**names_of(before), **names_of(after)})
    assert text + "\n" == (GOLDEN / "diff-lillby.txt").read_text(encoding="utf-8")
    assert diff_plans(after, after) == []
    # the reverse diff mirrors it
    back = diff_plans(after, before)
    assert {(c["type"], c["id"], c["field"]) for c in back} == {(c["type"], c["id"], c["field"]) for c in changes}
    assert {c["kind"] for c in back if c["id"] == "fritid-2"} == {"removed"}


def test_diff_versions_defaults_to_the_last_two(small, tmp_path):
    home = tmp_path / "home"
    v1, _ = V.publish([small], home=home)
    assert diff_versions(home=home) == {"from": None, "to": v1.id, "changes": []}
    assert "första versionen" in format_diff(diff_versions(home=home))
    _become_v2(small)
    v2, _ = V.publish([small], home=home)
    result = diff_versions(home=home)
    golden = json.loads((GOLDEN / "diff-lillby.json").read_text(encoding="utf-8"))
    assert result == {"from": v1.id, "to": v2.id, "changes": golden["changes"]}
    assert diff_versions(v2.id, v1.id, home=home)["changes"] == diff_plans(load_plans([FIXTURES / "v2"]),
                                                                          load_plans([FIXTURES / "v1"]))
    with pytest.raises(V.VersionError):
        diff_versions("nope", home=home)


# --- the command line ----------------------------------------------------------------------------

from tests.conftest import run_cli  # noqa: E402


def test_cli_build_versions_diff_and_at(small, tmp_path):
    env = {"UVTS_HOME": str(tmp_path / "home")}
    r = run_cli("build", "--data", str(small), "-m", "Första versionen", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Grafen byggdes: version ")
    _become_v2(small)
    assert run_cli("build", "--data", str(small), "-m", "Andra", env=env).returncode == 0
    r = run_cli("versions", "--format", "json", env=env)
    listed = json.loads(r.stdout)
    assert [v["message"] for v in listed] == ["Andra", "Första versionen"]
    assert set(listed[0]) == {"id", "created", "plans", "source", "message", "revises", "triples"}
    assert listed[0]["revises"] == listed[1]["id"]
    table = run_cli("versions", env=env).stdout
    assert "* " in table and "Första versionen" in table and "(2 versioner" in table
    r = run_cli("diff", "--format", "json", env=env)
    golden = json.loads((GOLDEN / "diff-lillby.json").read_text(encoding="utf-8"))
    assert json.loads(r.stdout) == {"from": listed[1]["id"], "to": listed[0]["id"], "changes": golden["changes"]}
    text = run_cli("diff", env=env).stdout
    assert "+ Ny: Nattvandring" in text and "Idrottsföreningen" in text and "idrottsforeningen" not in text
    back = json.loads(run_cli("diff", "--from", listed[0]["id"], "--to", listed[1]["id"], "--format", "json",
                              env=env).stdout)
    assert {c["id"] for c in back["changes"] if c["kind"] == "removed"} == {"fritid-2", "regionen"}
    # --at reads the older version; without it the folders' (published) data
    q = "SELECT ?t WHERE { <https://w3id.org/uvts/id/intervention/skola-1> <http://purl.org/dc/terms/title> ?t }"
    old = run_cli("query", "--at", listed[1]["id"], "--sparql", q, "--format", "json", env=env)
    new = run_cli("query", "--data", str(small), "--sparql", q, "--format", "json", env=env)
    assert "Läxhjälp" in old.stdout and "studiestöd" not in old.stdout and "studiestöd" in new.stdout
    r = run_cli("analyse", "coverage", "--at", listed[1]["id"], "--format", "json", env=env)
    assert r.returncode == 0, r.stderr
    r = run_cli("query", "--at", "0000aaaa0000", "--sparql", "ASK {}", env=env)
    assert r.returncode == 1 and "okänd version '0000aaaa0000'" in r.stderr
    r = run_cli("export", "--at", listed[1]["id"], "--format", "nt", "-o", str(tmp_path / "v1.nt"), env=env)
    assert r.returncode == 0 and "skola-2" in (tmp_path / "v1.nt").read_text(encoding="utf-8")


def test_reads_never_write_the_home(small, tmp_path):
    """A read-only command on unpublished data answers from the folders and writes nothing."""
    home = tmp_path / "home"
    env = {"UVTS_HOME": str(home)}
    r = run_cli("query", "--data", str(small), "--sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", env=env)
    assert r.returncode == 0, r.stderr
    assert not home.exists()
    run_cli("build", "--data", str(small), env=env)
    before = sorted(str(p) for p in home.rglob("*"))
    stamps = {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()}
    for args in (["query", "who-works-on", "--param", "riskFactor=skolmisslyckande"], ["analyse", "all"],
                 ["plans"], ["versions"], ["diff"]):
        r = run_cli(*args, "--data", str(small), env=env) if args[0] not in ("versions", "diff") else run_cli(*args, env=env)
        assert r.returncode == 0, (args, r.stderr)
    assert sorted(str(p) for p in home.rglob("*")) == before
    assert {p: p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()} == stamps


def test_lock_busy_from_the_command_line(small, tmp_path):
    home = tmp_path / "home"
    with V._Lock(home, 1.0):
        r = run_cli("build", "--data", str(small), env={"UVTS_HOME": str(home), V.LOCK_WAIT_ENV: "0.5"})
    assert r.returncode == 1
    assert "en annan publicering pågår" in r.stderr and "låset hålls av process" in r.stderr


def _start_build(folder: Path, home: Path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, UVTS_HOME=str(home))
    return subprocess.Popen([sys.executable, "-m", "uvts", "build", "--data", str(folder)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_concurrent_builds_ten_rounds(tmp_path):
    """Two builds with different data at once, ten times: the home is readable after every
    round and the published version is one of the two complete builds."""
    home = tmp_path / "home"
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(FIXTURES / "v1", a)
    shutil.copytree(FIXTURES / "v2", b)
    V.publish([a], home=home)
    ids = {V.data_id([a]), V.data_id([b])}
    for round_ in range(10):
        for folder in (a, b):  # new data every round: both builds really build
            f = folder / "departments" / "fritid.yaml"
            f.write_text(f.read_text(encoding="utf-8").replace("amount: ", f"amount: {round_ + 1}", 1), encoding="utf-8")
        ids = {V.data_id([a]), V.data_id([b])}
        first, second = _start_build(a, home), _start_build(b, home)
        outs = [p.communicate(timeout=120) for p in (first, second)]
        assert [p.returncode for p in (first, second)] == [0, 0], outs
        current = V.latest(home)
        assert current.id in ids, round_
        store = V.open_version(None, home)
        assert store.select("ASK { ?s a <https://w3id.org/uvts/ontology#Intervention> }").boolean
        assert len(store) == current.triples
        for vid in ids:  # both complete builds are kept and readable
            assert len(V.open_version(vid, home)) == V.get_version(vid, home).triples
    assert not [p for p in (home / "versions").iterdir() if p.name.startswith(".")]


def test_a_killed_writer_leaves_the_published_version_intact(tmp_path):
    import os
    import signal
    import time

    from uvts.graph.paths import DEFAULT_DATA

    home = tmp_path / "home"
    small = tmp_path / "small"
    shutil.copytree(FIXTURES / "v1", small)
    published, _ = V.publish([small], home=home)
    writer = _start_build(DEFAULT_DATA, home)  # the Umeå plan: takes a while to build
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        building = [p for p in (home / "versions").glob(".building-*") if (p / "store").exists()]
        if building or writer.poll() is not None:
            break
        time.sleep(0.01)
    assert building, "the writer finished before it could be killed"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert V.latest(home).id == published.id
    assert len(V.open_version(None, home)) == published.triples
    # the next build takes the lock (the dead writer's is gone) and cleans up
    _become_v2(small)
    v2, created = V.publish([small], home=home, wait=5)
    assert created and V.latest(home).id == v2.id
    assert not [p for p in (home / "versions").iterdir() if p.name.startswith(".")]
