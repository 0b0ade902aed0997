"""Building is deterministic, exports every format, and writes atomically."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from conftest import run_cli
from uvts.graph.build import build_graph, serialize, sorted_ntriples, write_atomic
from uvts.graph.load import load_plan
from uvts.graph.paths import DEFAULT_DATA


def test_two_builds_are_isomorphic_and_byte_identical(plan):
    a = build_graph([plan])
    b = build_graph([load_plan(DEFAULT_DATA)])
    assert isomorphic(a, b)
    assert sorted_ntriples(a) == sorted_ntriples(b)


def test_two_cli_builds_write_identical_files(tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"g{i}.nt"
        r = run_cli("build", "-o", str(out), env={"UVTS_HOME": str(tmp_path / f"h{i}")})
        assert r.returncode == 0, r.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and len(outs[0]) > 100_000


@pytest.mark.parametrize("fmt,parse_as", [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("xml", "xml")])
def test_export_formats_round_trip(plan, tmp_path, fmt, parse_as):
    g = build_graph([plan])
    out = tmp_path / f"graph.{fmt}"
    r = run_cli("export", "--format", fmt, "-o", str(out), env={"UVTS_HOME": str(tmp_path / "h")})
    assert r.returncode == 0, r.stderr
    assert "Skrev" in r.stdout
    back = Graph().parse(out, format=parse_as)  # our own output, parsed locally: no remote context
    assert isomorphic(g, back)
    if fmt == "jsonld":
        assert "@context" in json.loads(out.read_text(encoding="utf-8"))


def test_export_includes_the_ontology(plan):
    text = serialize(build_graph([plan]), "nt").decode()
    assert "<https://w3id.org/uvts/ontology#Intervention> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#Class>" in text
    assert "<https://w3id.org/uvts/id/intervention/stod-och-omsorg-1>" in text


def test_write_atomic_keeps_old_content_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.nt"
    write_atomic(target, b"old\n")

    class Boom(Exception):
        pass

    import os

    def failing_replace(src, dst):
        raise Boom

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(Boom):
        write_atomic(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.nt"]


def test_no_blank_nodes_in_data(plan):
    from rdflib import BNode

    g = build_graph([plan], with_ontology=True)
    assert not any(isinstance(t, BNode) for triple in g for t in triple)


def test_encoders_notes_are_swedish_and_tagged_so(plan):
    """The notes are shown to the users (pages, tooltips), so they are written in Swedish."""
    from rdflib.namespace import SKOS

    notes = [o for _, _, o in build_graph([plan]).triples((None, SKOS.editorialNote, None))]
    assert len(notes) > 100
    assert {n.language for n in notes} == {"sv"}
    english = [str(n) for n in notes if any(w in f" {n} " for w in (" the ", " is read as ", " line "))]
    assert not english, english[:3]
