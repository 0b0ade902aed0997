"""Properties of the analyses on random graphs (hypothesis), checked against a plain reference."""

from __future__ import annotations

import math
from collections import Counter

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uvts.graph import namespaces as ns
from uvts.graph.analyses import actors as A
from uvts.graph.analyses import overlap as O
from uvts.graph.project import ATTRIBUTES, RELATIONS, typed_graph_from_rows

_PROP = {rel: iri for iri, rel in RELATIONS.items()}
_ATTR = {name: iri for iri, (name, _) in ATTRIBUTES.items()}
WORDS = ["skola", "elever", "föräldrar", "fritid", "läxhjälp", "stöd", "familj", "trygghet", "område", "unga",
         "barn", "polis", "förening", "idrott", "kultur"]
DEPTS = ["a", "b", "c"]
RFS = ["r1", "r2", "r3", "r4"]
LEVELS = ["universell", "selektiv", "indikerad"]
PLACES = ["p1", "p2", "p3"]
PARTIES = [("actor", "x"), ("actor", "y"), ("department", "a"), ("department", "b"), ("forum", "f")]

ages = st.one_of(st.none(), st.tuples(st.integers(0, 25), st.integers(0, 25)).map(lambda t: (min(t), max(t))))
interventions = st.lists(st.fixed_dictionaries({
    "dept": st.sampled_from(DEPTS),
    "rfs": st.sets(st.sampled_from(RFS)),
    "levels": st.sets(st.sampled_from(LEVELS)),
    "places": st.sets(st.sampled_from(PLACES)),
    "parties": st.sets(st.sampled_from(PARTIES)),
    "age": ages,
    "target": st.lists(st.sampled_from(WORDS), max_size=4),
    "text": st.lists(st.sampled_from(WORDS), max_size=8),
}), min_size=2, max_size=9)


def build(spec, dept_labels=None):
    dept_labels = dept_labels or {d: d.upper() for d in DEPTS}
    nodes = [(ns.iri("risk-factor", r), "RiskFactor", r) for r in RFS]
    nodes += [(ns.iri("level", lv), "PreventionLevel", lv) for lv in LEVELS]
    nodes += [(ns.iri("place", p), "Place", p) for p in PLACES]
    nodes += [(ns.iri("department", d), "Department", dept_labels[d]) for d in DEPTS]
    nodes += [(ns.iri("actor", "x"), "ExternalActor", "X"), (ns.iri("actor", "y"), "ExternalActor", "Y"),
              (ns.iri("forum", "f"), "CollaborationForum", "F")]
    links, attrs = [], [(ns.iri("place", p), _ATTR["place_kind"], "school") for p in PLACES]
    seq = Counter()
    for k, item in enumerate(spec):
        seq[item["dept"]] += 1
        i = ns.iri("intervention", f"{item['dept']}-{seq[item['dept']]}")
        nodes.append((i, "Intervention", f"insats {k}"))
        links.append((i, _PROP["responsible_department"], ns.iri("department", item["dept"])))
        links += [(i, _PROP["addresses"], ns.iri("risk-factor", r)) for r in item["rfs"]]
        links += [(i, _PROP["prevention_level"], ns.iri("level", lv)) for lv in item["levels"]]
        links += [(i, _PROP["location"], ns.iri("place", p)) for p in item["places"]]
        links += [(i, _PROP["involves"], ns.iri(kind, slug)) for kind, slug in item["parties"]]
        attrs.append((i, _ATTR["sequence_number"], seq[item["dept"]]))
        if item["age"]:
            attrs += [(i, _ATTR["min_age"], item["age"][0]), (i, _ATTR["max_age"], item["age"][1])]
        if item["target"]:
            attrs.append((i, _ATTR["target_group"], " ".join(item["target"])))
        if item["text"]:
            attrs.append((i, _ATTR["description"], " ".join(item["text"])))
    return typed_graph_from_rows(nodes, links, attrs)


# --- a plain reference for the overlap score ----------------------------------------------------


def _cosines(docs):
    n = len(docs)
    df = Counter(t for d in docs for t in set(d))
    vecs = []
    for d in docs:
        v = {t: c * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in Counter(d).items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({t: x / norm for t, x in v.items()})
    return lambda i, j: sum(x * vecs[j].get(t, 0.0) for t, x in vecs[i].items())


def _jac(a, b):
    return len(a & b) / len(a | b) if a | b else 0.0


def reference_scores(G):
    """Every pair of interventions of different departments -> score, by the documented formula."""
    ivs = sorted(n for n, t in G.nodes(data="type") if t == "Intervention")

    def out(i, rel):
        return {v for _, v, k in G.out_edges(i, keys=True) if k == rel}

    def age(i):
        d = G.nodes[i]
        return None if d.get("min_age") is None else (d["min_age"], d["max_age"])

    text = _cosines([O.tokens(G.nodes[i].get("description") or "") for i in ivs])
    target = _cosines([O.tokens(G.nodes[i].get("target_group") or "") for i in ivs])
    scores = {}
    for x, i in enumerate(ivs):
        for y in range(x + 1, len(ivs)):
            j = ivs[y]
            if out(i, "responsible_department") == out(j, "responsible_department"):
                continue
            a, b = age(i), age(j)
            age_sim = 0.0
            if a and b and min(a[1], b[1]) >= max(a[0], b[0]):
                age_sim = (min(a[1], b[1]) - max(a[0], b[0]) + 1) / (max(a[1], b[1]) - min(a[0], b[0]) + 1)
            partners = [out(k, "responsible_department") | out(k, "involves") for k in (i, j)]
            scores[frozenset((i, j))] = (
                0.30 * _jac(out(i, "addresses"), out(j, "addresses"))
                + 0.10 * _jac(out(i, "prevention_level"), out(j, "prevention_level"))
                + 0.15 * _jac(out(i, "location"), out(j, "location"))
                + 0.15 * max(age_sim, target(x, y))
                + 0.15 * _jac(*partners)
                + 0.15 * text(x, y))
    return scores


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(interventions)
def test_overlap_scores_match_the_reference(spec):
    G = build(spec)
    pairs = O.intervention_pairs(G, min_score=0.0)
    got = {frozenset((p["a"], p["b"])): p["score"] for p in pairs}
    ref = reference_scores(G)
    assert set(got) == set(ref)  # every pair of different departments, each once
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, abs=2e-4)
    for p in pairs:
        assert p["a"] != p["b"]
        assert 0.0 <= p["score"] <= 1.0
        assert p["departments"][0] != p["departments"][1]
    assert [p["score"] for p in pairs] == sorted((p["score"] for p in pairs), reverse=True)


@_SETTINGS
@given(interventions, st.floats(0.0, 1.0))
def test_overlap_is_symmetric_and_blocks_do_not_matter(spec, min_score):
    G = build(spec)
    pairs = {frozenset((p["a"], p["b"])): p["score"] for p in O.intervention_pairs(G, min_score=min_score)}
    # the same plan with the departments' names reversed: plan order flips, so a and b swap
    flipped = build(spec, dept_labels={"a": "Z", "b": "Y", "c": "X"})
    again = {frozenset((p["a"], p["b"])): p["score"] for p in O.intervention_pairs(flipped, min_score=min_score)}
    assert pairs == again
    old = O._BLOCK, O._BLAS_MIN
    try:
        O._BLOCK, O._BLAS_MIN = 2, 0  # many small blocks instead of one, and BLAS for every product
        blocked = {frozenset((p["a"], p["b"])): p["score"] for p in O.intervention_pairs(G, min_score=min_score)}
    finally:
        O._BLOCK, O._BLAS_MIN = old
    assert blocked.keys() == pairs.keys()
    assert all(blocked[k] == pytest.approx(pairs[k], abs=1e-4) for k in pairs)
    assert all(score >= min_score - 1e-4 for score in pairs.values())


weighted_graphs = st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.integers(1, 6)), max_size=30)


def _graph(edges, isolated=2):
    C = nx.Graph()
    C.add_nodes_from(f"n{k}" for k in range(12 + isolated) if k < isolated or k >= 12)
    for u, v, w in edges:
        if u != v:
            C.add_edge(f"n{u}", f"n{v}", weight=w)
    return C


@_SETTINGS
@given(weighted_graphs)
def test_centralities_are_in_unit_interval(edges):
    C = _graph(edges)
    cent = A.centralities(C)
    assert set(cent) == set(C)
    for values in cent.values():
        assert set(values) == {"degree", "betweenness", "eigenvector"}
        assert all(0.0 <= v <= 1.0 for v in values.values())
    for n in C:
        if C.degree(n) == 0:
            assert cent[n] == {"degree": 0.0, "betweenness": 0.0, "eigenvector": 0.0}


@_SETTINGS
@given(weighted_graphs, st.integers(0, 2**16))
def test_communities_partition_and_are_deterministic(edges, seed):
    C = _graph(edges)
    comms = A.communities(C, seed=seed)
    members = [n for c in comms for n in c]
    assert sorted(members) == sorted(C) and len(members) == len(set(members))
    assert A.communities(C, seed=seed) == comms
    shuffled = nx.Graph()
    shuffled.add_nodes_from(sorted(C, reverse=True))
    shuffled.add_weighted_edges_from(sorted(C.edges(data="weight"), reverse=True))
    assert A.communities(shuffled, seed=seed) == comms
    for u, v in A.bridges(C):
        H = nx.Graph(C)
        before = nx.number_connected_components(H)
        H.remove_edge(u, v)
        assert nx.number_connected_components(H) == before + 1
