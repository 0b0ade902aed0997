"""The embedded store persists, is reused when data is unchanged, and survives a failed build."""

from __future__ import annotations

import pytest

from uvts.graph.load import DataError
from uvts.graph.store import OxigraphStore, RdflibStore, Term, open_store


def test_persisted_store_is_reused(data_copy, tmp_path):
    path = tmp_path / "store"
    s1, built1 = open_store([data_copy], path=path)
    n = len(s1)
    s1.close()
    del s1
    s2, built2 = open_store([data_copy], path=path)
    assert built1 and not built2 and len(s2) == n


def test_store_is_rebuilt_when_data_changes(data_copy, tmp_path):
    path = tmp_path / "store"
    s1, _ = open_store([data_copy], path=path)
    del s1
    f = data_copy / "places.yaml"
    f.write_text(f.read_text(encoding="utf-8") + "- id: ny-plats\n  name: Ny plats\n  kind: area\n  lines: \"1\"\n",
                 encoding="utf-8")
    s2, built = open_store([data_copy], path=path)
    assert built
    assert s2.select("ASK { <https://w3id.org/uvts/id/place/ny-plats> ?p ?o }").boolean


def test_failed_build_leaves_previous_store(data_copy, tmp_path):
    path = tmp_path / "store"
    s1, _ = open_store([data_copy], path=path)
    n = len(s1)
    del s1
    (data_copy / "places.yaml").write_text("- id: x\n  kind: nowhere\n", encoding="utf-8")
    with pytest.raises(DataError):
        open_store([data_copy], path=path)
    s2 = OxigraphStore(path, read_only=True)
    assert len(s2) == n
    assert not (tmp_path / "store.building").exists()


def test_backends_agree(store, rdflib_store):
    q = """PREFIX uvts: <https://w3id.org/uvts/ontology#>
           SELECT ?i ?n WHERE { ?i a uvts:Intervention ; uvts:sequenceNumber ?n } ORDER BY ?i"""
    assert store.select(q).values() == rdflib_store.select(q).values()
    assert len(store) == len(rdflib_store)


@pytest.mark.parametrize("backend", [OxigraphStore, RdflibStore])
def test_bindings_are_terms_not_text(backend):
    s = backend()
    s.load_ntriples(b'<http://e/a> <http://e/p> "x" .\n', "http://e/g")
    hostile = 'x" } ; DELETE WHERE { ?s ?p ?o } ; SELECT * { "'
    q = "SELECT ?v ?s WHERE { ?s <http://e/p> ?v }"
    assert s.select(q, {"v": Term.literal(hostile)}).rows == []
    assert len(s.select(q, {"v": Term.literal("x")}).rows) == 1
    assert len(s) == 1


def test_row_limit_truncates(store):
    r = store.select("SELECT ?s WHERE { ?s ?p ?o }", limit=5)
    assert len(r.rows) == 5 and r.truncated
