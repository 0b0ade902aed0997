"""The analyses on small hand-made graphs whose answers are worked out by hand."""

from __future__ import annotations

import copy
import json
import math

import networkx as nx
import pytest

from uvts.graph import namespaces as ns
from uvts.graph.analyses import ANALYSES, find_table, run
from uvts.graph.analyses import actors as A
from uvts.graph.analyses import coverage as C
from uvts.graph.analyses import gaps as GP
from uvts.graph.analyses import overlap as O
from uvts.graph.project import (ATTRIBUTES, RELATIONS, actor_forum_graph, collaboration_graph,
                                intervention_risk_factor_graph, typed_graph_from_rows)

_PROP = {rel: iri for iri, rel in RELATIONS.items()}
_ATTR = {name: iri for iri, (name, _) in ATTRIBUTES.items()}


def build(nodes: dict, edges: list) -> nx.MultiDiGraph:
    """A typed graph from ``{iri: (type, label, {attr: value})}`` and ``[(s, relation, o)]``,
    through the same function the store projection uses."""
    rows, attrs = [], []
    for iri, (typ, label, values) in nodes.items():
        rows.append((iri, typ, label))
        for name, value in values.items():
            for v in (value if isinstance(value, list) else [value]):
                attrs.append((iri, _ATTR[name], v))
    links = [(s, _PROP[rel], o) for s, rel, o in edges]
    return typed_graph_from_rows(rows, links, attrs)


def rf(s):
    return ns.iri("risk-factor", s)


def lv(s):
    return ns.iri("level", s)


def dep(s):
    return ns.iri("department", s)


def iv(s):
    return ns.iri("intervention", s)


def act(s):
    return ns.iri("actor", s)


def forum(s):
    return ns.iri("forum", s)


def place(s):
    return ns.iri("place", s)


def bm(s):
    return ns.iri("base-mission", s)


def budget(s):
    return ns.iri("budget-item", s)


@pytest.fixture(scope="module")
def G():
    """Three risk factors (R3 unaddressed), three departments, one external actor, three forums.

    d1-1 (D1): R1, R2; universell + selektiv; 3–7 år; at Norrskolan (in the area Norr); involves X and F1.
    d1-2 (D1): R1; selektiv; 13–14 år; goal "ännu inte fastställt"; no follow-up.
    d2-1 (D2): R1; indikerad; no age; in Norr; involves D1; follow-up "kommer att fastställas".
    d2-2 (D2): no risk factor, no level, no goal, no follow-up; in Öst (not a priority area).
    D1 adds 900 kr, of which a budget item of 600 funds d1-2; D2 adds 100 kr; D3 nothing.
    """
    nodes = {
        rf("r1"): ("RiskFactor", "Rot", {}),
        rf("r2"): ("RiskFactor", "Stam", {}),
        rf("r3"): ("RiskFactor", "Topp", {}),
        lv("universell"): ("PreventionLevel", "Universell", {}),
        lv("selektiv"): ("PreventionLevel", "Selektiv", {}),
        lv("indikerad"): ("PreventionLevel", "Indikerad", {}),
        dep("d1"): ("Department", "Avdelning ett", {"budget_addition": 900}),
        dep("d2"): ("Department", "Avdelning två", {"budget_addition": 100}),
        dep("d3"): ("Department", "Avdelning tre", {"budget_addition": 0}),
        act("x"): ("ExternalActor", "Xaktören", {}),
        forum("f1"): ("CollaborationForum", "Forum ett", {"purpose": "Samordna."}),
        forum("f2"): ("CollaborationForum", "Forum två", {}),
        forum("f3"): ("CollaborationForum", "Forum tre", {}),
        place("norr"): ("Place", "Norr", {"place_kind": "area", "priority_area": True}),
        place("soder"): ("Place", "Söder", {"place_kind": "area", "priority_area": True}),
        place("ost"): ("Place", "Öst", {"place_kind": "area"}),
        place("norrskolan"): ("Place", "Norrskolan", {"place_kind": "school"}),
        bm("d2"): ("BaseMission", "Grunduppdrag – Avdelning två", {}),
        budget("d1-1"): ("BudgetAllocation", "Budgetpost 1", {"amount": 600}),
        iv("d1-1"): ("Intervention", "Läxhjälp", {"sequence_number": 1, "min_age": 3, "max_age": 7,
                                                  "goals": ["Fler barn klarar skolan."], "follow_ups": ["Enkät."]}),
        iv("d1-2"): ("Intervention", "Fritidsgrupp", {"sequence_number": 2, "min_age": 13, "max_age": 14,
                                                      "goals": ["Målet är ännu inte fastställt."]}),
        iv("d2-1"): ("Intervention", "Familjestöd", {"sequence_number": 1, "goals": ["Tryggare familjer."],
                                                     "follow_ups": ["Metod för uppföljning kommer att fastställas."]}),
        iv("d2-2"): ("Intervention", "Kartläggning", {"sequence_number": 2}),
    }
    edges = [
        (iv("d1-1"), "responsible_department", dep("d1")), (iv("d1-2"), "responsible_department", dep("d1")),
        (iv("d2-1"), "responsible_department", dep("d2")), (iv("d2-2"), "responsible_department", dep("d2")),
        (iv("d1-1"), "addresses", rf("r1")), (iv("d1-1"), "addresses", rf("r2")),
        (iv("d1-2"), "addresses", rf("r1")), (iv("d2-1"), "addresses", rf("r1")),
        (iv("d1-1"), "prevention_level", lv("universell")), (iv("d1-1"), "prevention_level", lv("selektiv")),
        (iv("d1-2"), "prevention_level", lv("selektiv")), (iv("d2-1"), "prevention_level", lv("indikerad")),
        (iv("d1-1"), "location", place("norrskolan")), (iv("d2-1"), "location", place("norr")),
        (iv("d2-2"), "location", place("ost")),
        (iv("d1-1"), "involves", act("x")), (iv("d1-1"), "involves", forum("f1")),
        (iv("d2-1"), "involves", dep("d1")),
        (dep("d1"), "member_of", forum("f1")), (act("x"), "member_of", forum("f1")),
        (dep("d2"), "member_of", forum("f2")),
        (dep("d2"), "base_mission", bm("d2")), (bm("d2"), "responsible_department", dep("d2")),
        (bm("d2"), "addresses", rf("r3")),
        (dep("d1"), "budget_allocation", budget("d1-1")), (budget("d1-1"), "funds", iv("d1-2")),
    ]
    return build(nodes, edges)


def _cells(table):
    return {(r["key"], c["key"]): cell for r, row in zip(table["rows"], table["cells"])
            for c, cell in zip(table["columns"], row)}


# --- projection of the typed graph ------------------------------------------------------------


def test_derived_graphs(G):
    B = intervention_risk_factor_graph(G)
    assert sorted(B.edges(iv("d1-1"))) == [(iv("d1-1"), rf("r1")), (iv("d1-1"), rf("r2"))]
    assert B.nodes[rf("r3")]["bipartite"] == 1 and B.degree(rf("r3")) == 0
    assert B.nodes[iv("d2-2")] == {"type": "Intervention", "label": "Kartläggning", "iri": iv("d2-2"), "bipartite": 0}
    AF = actor_forum_graph(G)
    assert sorted(AF.neighbors(forum("f1"))) == [act("x"), dep("d1")]
    assert AF.degree(forum("f3")) == 0
    CG = collaboration_graph(G)
    assert sorted(CG.nodes) == sorted([dep("d1"), dep("d2"), dep("d3"), act("x")])
    assert CG.edges[dep("d1"), act("x")] == {"weight": 2, "interventions": [iv("d1-1")], "forums": [forum("f1")]}
    assert CG.edges[dep("d1"), dep("d2")] == {"weight": 1, "interventions": [iv("d2-1")], "forums": []}
    assert CG.number_of_edges() == 2
    for graph in (G, B, AF, CG):
        assert nx.is_frozen(graph)
        with pytest.raises(nx.NetworkXError):
            graph.add_node("x")


def test_typed_graph_ignores_row_order(G):
    """Rows in any order and repeated give the same graph (a store returns rows in no fixed order)."""
    nodes = [(n, d["type"], d["label"]) for n, d in G.nodes(data=True)]
    links = [(u, _PROP[k], v) for u, v, k in G.edges(keys=True)]
    attrs = [(n, _ATTR[k], x) for n, d in G.nodes(data=True) for k, v in d.items() if k in _ATTR
             for x in (v if isinstance(v, list) else [v])]
    H = typed_graph_from_rows(list(reversed(nodes)) + nodes, list(reversed(links)) * 2, list(reversed(attrs)))
    assert nx.utils.graphs_equal(G, H)
    assert dict(G.nodes(data=True)) == dict(H.nodes(data=True))


# --- coverage --------------------------------------------------------------------------------


def test_level_matrix(G):
    t = C.level_matrix(G)
    assert [c["key"] for c in t["columns"]] == ["universell", "selektiv", "indikerad", "none"]
    cells = _cells(t)
    assert cells["r1", "universell"]["interventions"] == [iv("d1-1")]
    assert cells["r1", "selektiv"] == {"value": 2, "interventions": [iv("d1-1"), iv("d1-2")]}
    assert cells["r1", "indikerad"]["interventions"] == [iv("d2-1")]
    assert cells["r2", "indikerad"]["value"] == 0
    assert all(cells["r3", k]["value"] == 0 for k in ("universell", "selektiv", "indikerad", "none"))
    assert [x["value"] for x in t["row_totals"]] == [3, 1, 0]


def test_department_matrix(G):
    cells = _cells(C.department_matrix(G))
    assert cells["r1", "d1"]["interventions"] == [iv("d1-1"), iv("d1-2")]
    assert cells["r1", "d1"]["involved"] == [iv("d2-1")]  # d2-1 involves D1
    assert cells["r1", "d2"]["value"] == 1 and cells["r1", "d2"]["involved"] == []
    assert cells["r3", "d2"] == {"value": 0, "interventions": [], "involved": [], "base_mission": True}
    assert cells["r1", "d2"]["base_mission"] is False


def test_age_matrix(G):
    t = C.age_matrix(G)
    assert [c["key"] for c in t["columns"]] == ["0-5", "6-12", "13-15", "16-18", "19-25", "none"]
    cells = _cells(t)
    assert cells["r1", "0-5"]["interventions"] == [iv("d1-1")]  # 3–7 overlaps 0–5 and 6–12
    assert cells["r1", "6-12"]["interventions"] == [iv("d1-1")]
    assert cells["r1", "13-15"]["interventions"] == [iv("d1-2")]
    assert cells["r1", "none"]["interventions"] == [iv("d2-1")]
    assert cells["all", "none"]["interventions"] == [iv("d2-1"), iv("d2-2")]
    assert cells["all", "16-18"]["value"] == 0


def test_actors_by_risk_factor(G):
    rows = {(r["risk_factor"], r["actor"]): r for r in C.actors_by_risk_factor(G)["rows"]}
    d1 = rows[rf("r1"), dep("d1")]
    assert d1["roles"] == ["responsible", "involved", "forum_member"]
    assert d1["interventions"] == [iv("d1-1"), iv("d1-2"), iv("d2-1")]
    assert rows[rf("r1"), act("x")]["roles"] == ["involved", "forum_member"]
    assert rows[rf("r1"), forum("f1")]["roles"] == ["forum"]
    assert rows[rf("r3"), dep("d2")] == {"risk_factor": rf("r3"), "actor": dep("d2"), "actor_type": "Department",
                                         "roles": ["base_mission"], "interventions": [], "base_missions": [bm("d2")]}
    assert (rf("r2"), dep("d2")) not in rows


def test_budget_rules(G):
    shares = C.budget_shares(G)
    # equal split: D1's 900 over R1 and R2; D2's 100 over R1 (d2-2 has no risk factor)
    assert shares["equal_split"][dep("d1")] == {rf("r1"): 450, rf("r2"): 450}
    assert shares["equal_split"][dep("d2")] == {rf("r1"): 100}
    assert shares["equal_split"][dep("d3")] == {}
    # budget items: 600 funds d1-2 (R1 only); the other 300 is split over R1 and R2
    assert shares["budget_items"][dep("d1")] == {rf("r1"): 750, rf("r2"): 150}
    assert shares["whole_addition"][dep("d1")] == {rf("r1"): 900, rf("r2"): 900}
    rows = {r["risk_factor"]: r for r in C.budget_by_risk_factor(G)["rows"]}
    assert (rows[rf("r1")]["equal_split"], rows[rf("r1")]["budget_items"], rows[rf("r1")]["whole_addition"]) == \
        (550, 850, 1000)
    assert rows[rf("r3")]["equal_split"] == 0 and rows[None]["equal_split"] == 0
    assert rows[rf("r1")]["departments"] == [dep("d1"), dep("d2")]
    m = _cells(C.budget_matrix(G))
    assert m["r2", "d1"] == {"value": 450, "interventions": [iv("d1-1")]}
    assert m["none", "d2"] == {"value": 0, "interventions": [iv("d2-2")]}


def test_budget_without_risk_factor_goes_to_none():
    G = build({dep("d"): ("Department", "D", {"budget_addition": 500}),
               iv("d-1"): ("Intervention", "I", {"sequence_number": 1}),
               rf("r"): ("RiskFactor", "R", {})},
              [(iv("d-1"), "responsible_department", dep("d"))])
    rows = {r["risk_factor"]: r for r in C.budget_by_risk_factor(G)["rows"]}
    assert rows[None]["equal_split"] == rows[None]["budget_items"] == rows[None]["whole_addition"] == 500
    assert rows[rf("r")]["equal_split"] == 0


def test_area_coverage(G):
    rows = {r["area"]: r for r in C.area_coverage(G)["rows"]}
    assert rows[place("norr")]["interventions"] == [iv("d2-1")]
    assert rows[place("norr")]["places_in_area"] == [place("norrskolan")]
    assert rows[place("norr")]["via_places"] == [iv("d1-1")]
    assert rows[place("norr")]["total"] == 2
    assert rows[place("soder")]["total"] == 0
    assert rows[place("ost")]["priority"] is False and rows[place("ost")]["total"] == 1
    # priority areas come first
    assert [r["priority"] for r in C.area_coverage(G)["rows"]] == [True, True, False]


# --- gaps ------------------------------------------------------------------------------------


def test_gaps(G):
    found = sorted((g["kind"], tuple(g["subjects"])) for g in GP.find_gaps(G))
    expected = sorted([
        ("no_intervention", (rf("r3"),)),
        ("level_empty", (rf("r2"), lv("indikerad"))),
        ("level_thin", (rf("r1"), lv("universell"), iv("d1-1"))),
        ("level_thin", (rf("r1"), lv("indikerad"), iv("d2-1"))),
        ("level_thin", (rf("r2"), lv("universell"), iv("d1-1"))),
        ("level_thin", (rf("r2"), lv("selektiv"), iv("d1-1"))),
        ("single_department", (rf("r2"), dep("d1"))),
        ("age_band_thin", (iv("d1-1"),)),
        ("age_band_thin", (iv("d1-1"),)),
        ("age_band_thin", (iv("d1-2"),)),
        ("age_band_empty", ()),
        ("age_band_empty", ()),
        ("priority_area_uncovered", (place("soder"),)),
        ("non_priority_area_activity", (place("ost"), iv("d2-2"))),
        ("goal_not_set", (iv("d1-2"),)),
        ("goal_not_set", (iv("d2-2"),)),
        ("follow_up_not_set", (iv("d1-2"),)),
        ("follow_up_not_set", (iv("d2-1"),)),
        ("follow_up_not_set", (iv("d2-2"),)),
        ("no_risk_factor", (iv("d2-2"),)),
        ("forum_no_purpose", (forum("f2"),)),
        ("forum_no_purpose", (forum("f3"),)),
        ("forum_no_members", (forum("f3"),)),
    ])
    assert found == expected
    bands = sorted(g["details"]["age_band"] for g in GP.find_gaps(G) if g["kind"].startswith("age_band"))
    assert bands == ["0-5", "13-15", "16-18", "19-25", "6-12"]


def test_gaps_thin_threshold(G):
    kinds = [g["kind"] for g in GP.find_gaps(G, thin=0)]
    assert "level_thin" not in kinds and "age_band_thin" not in kinds
    two = [g for g in GP.find_gaps(G, thin=2) if g["kind"] == "level_thin"]
    assert any(g["subjects"][:2] == [rf("r1"), lv("selektiv")] for g in two)
    norr = [g for g in GP.find_gaps(G, thin=2) if g["kind"] == "priority_area_thin"]
    assert norr and norr[0]["subjects"][0] == place("norr")


def test_gap_shape(G):
    res = GP.gaps(G)
    rows = find_table(res, "gaps")["rows"]
    for g in rows:
        assert set(g) == {"kind", "subjects", "description", "details"}
        assert g["kind"] in GP.GAP_KINDS
        assert all(s.startswith(ns.ID) for s in g["subjects"])
        assert isinstance(g["description"], str) and g["description"].endswith(".")
    desc = {g["kind"]: g["description"] for g in rows}
    assert desc["level_empty"] == "Ingen insats tar upp stam på indikerad nivå."
    assert desc["forum_no_members"] == "Planen namnger inga medlemmar i Forum tre."
    goals = sorted(g["description"] for g in rows if g["kind"] == "goal_not_set")
    assert goals == ["Avdelning två 2 ”Kartläggning” har inget mål angivet i planen.",
                     "För Avdelning ett 2 ”Fritidsgrupp” är målet ännu inte fastställt: ”Målet är ännu inte fastställt.”."]


@pytest.mark.parametrize("text, pending", [
    ("Målet med insatsen är ännu inte fastställt.", True),
    ("Metod för uppföljning kommer att fastställas under översynens uppstartsfas.", True),
    ("därför kommer den konkreta beskrivningen av uppföljningen kompletteras under hösten 2024.", True),
    ("En komplettering av hur uppföljningen ska genomföras kommer att göras under hösten 2024.", True),
    ("Formerna arbetas fram under vt 2024.", True),
    ("kommer därför vara klart när inriktningsförslaget är överenskommet.", True),
    ("Medborgardialoger enligt av nämnden fastställ lista.", False),
    ("Antal placerade barn.", False),
    ("Enkät som kompletteras med intervjuer.", False),
])
def test_pending_text(text, pending):
    assert GP.pending_text(text) is pending


# --- overlap ---------------------------------------------------------------------------------


def _overlap_graph():
    same = "Läxhjälp för elever på mellanstadiet i skolan"
    nodes = {
        rf("r1"): ("RiskFactor", "R1", {}), rf("r2"): ("RiskFactor", "R2", {}), rf("r3"): ("RiskFactor", "R3", {}),
        lv("selektiv"): ("PreventionLevel", "Selektiv", {}), lv("universell"): ("PreventionLevel", "Universell", {}),
        dep("p"): ("Department", "P", {}), dep("q"): ("Department", "Q", {}),
        act("x"): ("ExternalActor", "X", {}),
        place("skolan"): ("Place", "Skolan", {"place_kind": "school"}),
        iv("p-1"): ("Intervention", "Läxhjälp", {"sequence_number": 1, "title": "Läxhjälp", "description": same,
                                                 "min_age": 10, "max_age": 12}),
        iv("p-2"): ("Intervention", "Läxhjälp igen", {"sequence_number": 2, "title": "Läxhjälp",
                                                      "description": same, "min_age": 10, "max_age": 12}),
        iv("q-1"): ("Intervention", "Läxhjälp", {"sequence_number": 1, "title": "Läxhjälp", "description": same,
                                                 "min_age": 10, "max_age": 12}),
        iv("q-2"): ("Intervention", "Städning", {"sequence_number": 2, "title": "Städning",
                                                 "description": "Städning av parker"}),
    }
    edges = []
    for i in ("p-1", "p-2", "q-1"):
        d = dep(i[0])
        edges += [(iv(i), "responsible_department", d), (iv(i), "addresses", rf("r1")), (iv(i), "addresses", rf("r2")),
                  (iv(i), "prevention_level", lv("selektiv")), (iv(i), "location", place("skolan")),
                  (iv(i), "involves", act("x"))]
    edges += [(iv("q-2"), "responsible_department", dep("q")), (iv("q-2"), "addresses", rf("r3")),
              (iv("q-2"), "prevention_level", lv("universell"))]
    return build(nodes, edges)


def test_intervention_pairs_known_score():
    pairs = O.intervention_pairs(_overlap_graph(), min_score=0.1)
    got = [(p["a"], p["b"], p["score"]) for p in pairs]
    # risk factors 1, level 1, place 1, ages 1, partners {P, X} vs {Q, X} = 1/3, identical text 1:
    # 0.30 + 0.10 + 0.15 + 0.15 + 0.15/3 + 0.15 = 0.90; p-1/p-2 share a department; q-2 shares nothing
    assert got == [(iv("p-1"), iv("q-1"), 0.9), (iv("p-2"), iv("q-1"), 0.9)]
    reasons = {r["kind"]: r for r in pairs[0]["reasons"]}
    assert set(reasons) == {"risk_factors", "levels", "places", "target_group", "partners", "text"}
    assert reasons["partners"]["similarity"] == pytest.approx(1 / 3, abs=1e-4)
    assert reasons["partners"]["shared"] == [act("x")]
    assert reasons["risk_factors"]["shared"] == [rf("r1"), rf("r2")]
    assert math.isclose(sum(r["contribution"] for r in pairs[0]["reasons"]), 0.9, abs_tol=1e-3)
    assert pairs[0]["departments"] == [dep("p"), dep("q")]
    assert O.intervention_pairs(_overlap_graph(), min_score=0.95) == []


def test_same_activity_pairs_always_listed():
    G = _overlap_graph()
    edges = [(u, _PROP[k], v) for u, v, k in G.edges(keys=True)] + [
        (iv("p-1"), _PROP["same_activity_as"], iv("q-2")), (iv("q-2"), _PROP["same_activity_as"], iv("p-1"))]
    nodes = [(n, d["type"], d["label"]) for n, d in G.nodes(data=True)]
    attrs = [(n, _ATTR[k], x) for n, d in G.nodes(data=True) for k, v in d.items() if k in _ATTR
             for x in (v if isinstance(v, list) else [v])]
    H = typed_graph_from_rows(nodes, edges, attrs)
    pairs = {(p["a"], p["b"]): p for p in O.intervention_pairs(H, min_score=0.5)}
    assert pairs[iv("p-1"), iv("q-2")]["score"] == 0.0
    assert [r["kind"] for r in pairs[iv("p-1"), iv("q-2")]["reasons"]] == ["same_activity"]


def test_forum_pairs():
    G = build({dep("a"): ("Department", "A", {}), dep("b"): ("Department", "B", {}), act("x"): ("ExternalActor", "X", {}),
               forum("f1"): ("CollaborationForum", "F1", {}), forum("f2"): ("CollaborationForum", "F2", {}),
               forum("f4"): ("CollaborationForum", "F4", {}), forum("f5"): ("CollaborationForum", "F5", {})},
              [(dep("a"), "member_of", forum("f1")), (act("x"), "member_of", forum("f1")),
               (dep("b"), "member_of", forum("f2")),
               (dep("a"), "member_of", forum("f4")), (act("x"), "member_of", forum("f4")),
               (dep("b"), "member_of", forum("f4"))])
    pairs = O.forum_pairs(G)
    assert [(p["a"], p["b"], p["score"]) for p in pairs] == [
        (forum("f1"), forum("f4"), 0.6667), (forum("f2"), forum("f4"), 0.3333)]
    assert pairs[0]["shared"] == [act("x"), dep("a")] and pairs[0]["only_a"] == [] and pairs[0]["only_b"] == [dep("b")]
    assert O.forum_pairs(G, min_jaccard=0.5) == pairs[:1]
    assert not any(p["identical"] for p in pairs)


def test_forums_are_identical_only_with_two_shared_named_members():
    G = build({dep("a"): ("Department", "A", {}), act("x"): ("ExternalActor", "X", {}),
               forum("f1"): ("CollaborationForum", "F1", {}), forum("f2"): ("CollaborationForum", "F2", {}),
               forum("f3"): ("CollaborationForum", "F3", {}), forum("f4"): ("CollaborationForum", "F4", {})},
              [(dep("a"), "member_of", forum("f1")), (dep("a"), "member_of", forum("f2")),
               (dep("a"), "member_of", forum("f3")), (act("x"), "member_of", forum("f3")),
               (dep("a"), "member_of", forum("f4")), (act("x"), "member_of", forum("f4"))])
    pairs = {(p["a"], p["b"]): p for p in O.forum_pairs(G)}
    one = pairs[forum("f1"), forum("f2")]  # both name only A: Jaccard 1, but not identical
    assert one["score"] == 1.0 and one["identical"] is False
    assert "samma namngivna medlemmar" not in one["description"]
    two = pairs[forum("f3"), forum("f4")]  # both name A and X
    assert two["score"] == 1.0 and two["identical"] is True
    assert "samma namngivna medlemmar" in two["description"]
    assert pairs[forum("f1"), forum("f3")]["identical"] is False


def test_tokens():
    assert O.tokens("Utveckling av Operativa teamet") == ["utveckling", "operativ", "team"]
    assert O.tokens("och att i på 2024") == []


# --- actors ----------------------------------------------------------------------------------


def test_centralities_known(G):
    c = A.centralities(collaboration_graph(G))
    assert c[dep("d1")]["degree"] == pytest.approx(2 / 3, abs=1e-6)
    assert c[act("x")]["degree"] == pytest.approx(1 / 3, abs=1e-6)
    assert c[dep("d3")] == {"degree": 0.0, "betweenness": 0.0, "eigenvector": 0.0}
    # D1 lies on the only path between X and D2: 1 of the 3 pairs of other actors
    assert c[dep("d1")]["betweenness"] == pytest.approx(1 / 3, abs=1e-6)
    assert c[act("x")]["betweenness"] == 0
    # weighted adjacency D1–X 2, D1–D2 1: leading eigenvector ∝ (√5, 2, 1)
    assert c[dep("d1")]["eigenvector"] == pytest.approx(math.sqrt(5 / 10), abs=1e-4)
    assert c[act("x")]["eigenvector"] == pytest.approx(2 / math.sqrt(10), abs=1e-4)
    assert c[dep("d2")]["eigenvector"] == pytest.approx(1 / math.sqrt(10), abs=1e-4)


def _two_cliques(order=None):
    edges = [("a1", "a2", 5), ("a1", "a3", 5), ("a2", "a3", 5), ("b1", "b2", 5), ("b1", "b3", 5), ("b2", "b3", 5),
             ("a1", "b1", 1)]
    if order:
        edges = [edges[k] for k in order]
    C_ = nx.Graph()
    for u, v, w in edges:
        C_.add_edge(u, v, weight=w)
    C_.add_node("lonely")
    return C_


def test_communities_bridges_brokers():
    C_ = _two_cliques()
    comms = A.communities(C_, seed=0)
    assert comms == [["a1", "a2", "a3"], ["b1", "b2", "b3"], ["lonely"]]
    assert A.bridges(C_) == [("a1", "b1")]
    assert A.brokers(C_, comms) == [{"actor": "a1", "community": 1, "links_to": [2]},
                                    {"actor": "b1", "community": 2, "links_to": [1]}]
    # a bridge between the cliques: a1 and b1 have the highest betweenness
    c = A.centralities(C_)
    assert max(c, key=lambda n: (c[n]["betweenness"], n)) in ("a1", "b1")


def test_communities_do_not_depend_on_insertion_order():
    first = A.communities(_two_cliques(), seed=3)
    again = A.communities(_two_cliques(order=[6, 5, 4, 3, 2, 1, 0]), seed=3)
    assert first == again


def test_forum_load(G):
    rows = A.forum_load(actor_forum_graph(G))
    assert [(r["actor"], r["count"]) for r in rows][:3] == [(dep("d1"), 1), (dep("d2"), 1), (act("x"), 1)]
    assert rows[-1] == {"actor": dep("d3"), "forums": [], "count": 0}


def test_actors_result(G):
    res = A.actors(G, seed=0)
    assert find_table(res, "centrality")["betweenness_samples"] is None  # exact on small graphs
    assert "uppskattad" not in find_table(res, "centrality")["explanation"]
    cent = {r["actor"]: r for r in find_table(res, "centrality")["rows"]}
    assert cent[dep("d1")]["strength"] == 3 and cent[dep("d1")]["collaborators"] == 2
    assert cent[dep("d1")]["interventions"] == 3  # responsible for two, involved in d2-1
    assert sorted((r["a"], r["b"]) for r in find_table(res, "bridges")["rows"]) == \
        sorted([(act("x"), dep("d1")), (dep("d1"), dep("d2"))])
    brokers = {r["actor"]: r for r in find_table(res, "brokers")["rows"]}
    assert brokers[dep("d1")]["articulation_point"] is True
    assert [r["actor"] for r in find_table(res, "forum_load")["rows"]] == [dep("d1"), dep("d2"), act("x")]


# --- the shape, and that nothing changes the graph --------------------------------------------


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_analyses_leave_the_graph_unchanged(G, name):
    before = copy.deepcopy(G)
    run(name, G, seed=1)
    assert nx.utils.graphs_equal(G, before)
    assert dict(G.nodes(data=True)) == dict(before.nodes(data=True))
    assert list(G.edges(keys=True, data=True)) == list(before.edges(keys=True, data=True))


def test_analyses_leave_a_mutable_collaboration_graph_unchanged():
    C_ = _two_cliques()
    before = copy.deepcopy(C_)
    A.centralities(C_)
    A.communities(C_, seed=0)
    A.bridges(C_)
    assert nx.utils.graphs_equal(C_, before)
    assert list(C_.edges(data=True)) == list(before.edges(data=True))


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_result_shape(G, name):
    res = run(name, G)
    assert json.loads(json.dumps(res)) == res
    assert res["name"] == name and res["title"] and res["explanation"].endswith(".")
    assert res["tables"]
    for t in res["tables"]:
        assert t["kind"] in ("matrix", "records")
        assert t["explanation"].endswith(".") and t["explanation"][0].isupper()
        if t["kind"] == "matrix":
            assert len(t["cells"]) == len(t["rows"])
            assert all(len(row) == len(t["columns"]) for row in t["cells"])
            assert all("value" in c and "interventions" in c for row in t["cells"] for c in row)
        else:
            keys = {c["key"] for c in t["columns"]}
            assert all(keys <= set(row) for row in t["rows"]), t["name"]
    for iri, label in res["labels"].items():
        assert iri.startswith(ns.ID) and label


def test_overlap_compares_only_within_a_plan():
    """Two municipalities' copies of the same intervention are not a duplicate, and a plan's
    pairs do not change when another plan is added to the graph."""
    G1 = _overlap_graph()

    def with_plans(G, suffixes):
        nodes, links, attrs = [], [], []
        for suffix, plan in suffixes:
            def name(n):
                if n.startswith(ns.ID + "intervention/") or n.startswith(ns.ID + "department/"):
                    return n + suffix
                return n
            for n, d in G.nodes(data=True):
                nodes.append((name(n), d["type"], d["label"]))
                attrs += [(name(n), _ATTR[k], x) for k, v in d.items() if k in _ATTR
                          for x in (v if isinstance(v, list) else [v])]
                if d["type"] in ("Intervention", "Department"):
                    attrs.append((name(n), _ATTR["plans"], plan))
            links += [(name(u), _PROP[k], name(v)) for u, v, k in G.edges(keys=True)]
        return typed_graph_from_rows(nodes, links, attrs)

    one = O.intervention_pairs(with_plans(G1, [("", "plan-a")]), min_score=0.1)
    two = O.intervention_pairs(with_plans(G1, [("", "plan-a"), ("-b", "plan-b")]), min_score=0.1)
    assert len(two) == 2 * len(one)
    assert [p for p in two if not p["a"].endswith("-b")] == one
    assert all(p["a"].endswith("-b") == p["b"].endswith("-b") for p in two)


def test_betweenness_is_sampled_on_large_graphs(monkeypatch):
    C_ = _two_cliques()
    exact = A.centralities(C_)
    monkeypatch.setattr(A, "BETWEENNESS_EXACT_LIMIT", 3)
    monkeypatch.setattr(A, "BETWEENNESS_SAMPLES", 3)
    sampled = A.centralities(C_, seed=1)
    assert sampled == A.centralities(C_, seed=1)
    assert all(0 <= v["betweenness"] <= 1 for v in sampled.values())
    assert {n: v["degree"] for n, v in sampled.items()} == {n: v["degree"] for n, v in exact.items()}


def test_sampled_betweenness_is_explained(G, monkeypatch):
    monkeypatch.setattr(A, "BETWEENNESS_EXACT_LIMIT", 2)
    monkeypatch.setattr(A, "BETWEENNESS_SAMPLES", 3)
    table = find_table(A.actors(G, seed=4), "centrality")
    assert "uppskattad från 3 slumpvis valda startaktörer med frö 4" in table["explanation"]
    assert table["betweenness_samples"] == 3


def test_eigenvector_matches_networkx():
    G_ = nx.les_miserables_graph()
    nodes = sorted(G_)
    edges = [(u, v, w) for u, v, w in G_.edges(data="weight")]
    ours = A._eigenvector(nodes, edges)
    theirs = nx.eigenvector_centrality(G_, weight="weight", max_iter=10000, tol=1e-10)
    assert all(ours[n] == pytest.approx(theirs[n], abs=1e-6) for n in nodes)


def test_areas_contain_places_of_their_own_plan_only():
    G_ = build({place("centrum-a"): ("Place", "Centrum", {"place_kind": "area", "plans": "plan-a"}),
                place("centrum-b"): ("Place", "Centrum", {"place_kind": "area", "plans": "plan-b"}),
                place("skolan-a"): ("Place", "Centrumskolan", {"place_kind": "school", "plans": "plan-a"}),
                place("torget-a"): ("Place", "Stora torget", {"place_kind": "area", "plans": "plan-a"})}, [])
    from uvts.graph.analyses import _plan
    assert _plan.areas_of_places(G_) == {
        place("centrum-a"): [place("centrum-a")], place("centrum-b"): [place("centrum-b")],
        place("skolan-a"): [place("centrum-a")], place("torget-a"): [place("torget-a")]}
