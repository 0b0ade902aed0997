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
