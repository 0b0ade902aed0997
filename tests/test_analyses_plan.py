"""The analyses on Umeå's plan, checked against a reading of the plan text.

Line numbers refer to data/source/aktivitetsplan-uvts-2024-2026.txt.
"""

from __future__ import annotations

import json

import networkx as nx
import pytest

from uvts.graph import namespaces as ns
from uvts.graph.analyses import ANALYSES, NAMES, find_table, run, run_all
from uvts.graph.project import project, read_typed_graph


def iv(s):
    return ns.iri("intervention", s)


def rf(s):
    return ns.iri("risk-factor", s)


def dep(s):
    return ns.iri("department", s)


def forum(s):
    return ns.iri("forum", s)


@pytest.fixture(scope="module")
def results(store):
    return run_all(store, seed=0)


@pytest.fixture(scope="module")
def G(store):
    return read_typed_graph(store)


def _cells(table):
    return {(r["key"], c["key"]): cell for r, row in zip(table["rows"], table["cells"])
            for c, cell in zip(table["columns"], row)}


def _gaps(results, kind):
    return [g for g in find_table(results["gaps"], "gaps")["rows"] if g["kind"] == kind]


# --- projection ------------------------------------------------------------------------------


class CountingStore:
    def __init__(self, store):
        self.store, self.calls = store, 0

    def select(self, query, bindings=None, limit=None, **kw):
        self.calls += 1
        return self.store.select(query, bindings, limit=limit, **kw)


def test_projection_reads_the_store_with_five_queries(store):
    counting = CountingStore(store)
    P = project(counting)
    assert counting.calls == 5  # nodes, links, attributes, link evidence, and the follow-up rounds
    G = P.typed
    assert sum(1 for _, t in G.nodes(data="type") if t == "Intervention") == 46
    node = G.nodes[iv("stod-och-omsorg-7")]
    assert (node["type"], node["label"], node["iri"]) == ("Intervention", "Utveckling av Operativa teamet",
                                                          iv("stod-och-omsorg-7"))
    assert (node["min_age"], node["max_age"]) == (10, 12)  # åk 4–6 (line 2551)
    assert G.has_edge(iv("stod-och-omsorg-7"), iv("grundskolan-1"), key="same_activity_as")
    assert G.nodes[dep("stod-och-omsorg")]["budget_addition"] == 35_000_000  # line 2945
    # each risk-factor link carries its own evidence (lines 2161-2163)
    edge = G.edges[iv("stod-och-omsorg-1"), rf("psykisk-ohalsa"), "addresses"]
    assert edge["evidence_lines"] == "2161-2163" and edge["evidence"].startswith("Psykisk ohälsa genom att")
    assert all(nx.is_frozen(g) for g in P)
    assert set(P.intervention_risk_factor.neighbors(iv("gymnasiet-4"))) == {rf("synlig-narvaro-av-kriminella")}
    # the school's operative team: Grundskolan and Stöd och omsorg share many interventions
    strongest = max(P.collaboration.edges(data="weight"), key=lambda e: e[2])
    assert {strongest[0], strongest[1]} == {dep("grundskolan"), dep("stod-och-omsorg")}


def test_projection_is_the_same_on_rdflib(store, rdflib_store):
    a, b = read_typed_graph(store), read_typed_graph(rdflib_store)
    assert nx.utils.graphs_equal(a, b)
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert run_all(store, seed=0) == run_all(rdflib_store, seed=0)


def test_projection_of_one_plan(store):
    one = read_typed_graph(store, plan="umea-uvts-2024-2026")
    assert nx.utils.graphs_equal(one, read_typed_graph(store))


# --- coverage --------------------------------------------------------------------------------


def test_levels(results):
    cells = _cells(find_table(results["coverage"], "risk_factor_by_level"))
    # "Synlig närvaro av kriminella" has no intervention at the indicated level: Gymnasiet 1 is
    # selektiv, Gymnasiet 4 and Teknik och fastighet 4 universell, Säkerhet's three have no level
    empty = sorted(k for k, c in cells.items() if c["value"] == 0 and k[1] != "none")
    assert empty == [("synlig-narvaro-av-kriminella", "indikerad")]
    assert cells["synlig-narvaro-av-kriminella", "none"]["interventions"] == [
        iv("sakerhet-1"), iv("sakerhet-2"), iv("sakerhet-3")]
    # Stöd och omsorg 1 is the only universal intervention on economic vulnerability (line 2139)
    assert cells["ekonomisk-utsatthet", "universell"]["interventions"] == [iv("stod-och-omsorg-1")]
    assert cells["psykisk-ohalsa", "universell"]["interventions"] == [iv("stod-och-omsorg-1"), iv("stod-och-omsorg-3")]


def test_departments(results):
    cells = _cells(find_table(results["coverage"], "risk_factor_by_department"))
    synlig = {d for (r, d), c in cells.items() if r == "synlig-narvaro-av-kriminella" and c["value"]}
    assert synlig == {"gymnasiet", "sakerhet", "teknik-och-fastighet"}
    assert cells["synlig-narvaro-av-kriminella", "sakerhet"]["value"] == 3
    # Grundskolan takes part in Stöd och omsorg's interventions without being responsible
    assert iv("stod-och-omsorg-7") in cells["skolmisslyckande", "grundskolan"]["involved"]
    # Gymnasiet's base mission names all seven risk factors
    assert all(cells[r["key"], "gymnasiet"]["base_mission"]
               for r in find_table(results["coverage"], "risk_factor_by_department")["rows"])


def test_ages(results):
    cells = _cells(find_table(results["coverage"], "risk_factor_by_age_band"))
    # Föräldrasupporten (0–18 år, line 2266) and Förskolan 3 (3–5 år, line 837) reach the youngest
    assert cells["all", "0-5"]["interventions"] == [iv("forskolan-3"), iv("stod-och-omsorg-3")]
    # Fritid 1 (13–23 år) and Arbetsmarknad och integration 5 (16–20 år) reach young adults
    assert cells["all", "19-25"]["interventions"] == [iv("arbetsmarknad-och-integration-5"), iv("fritid-1")]
    assert iv("stod-och-omsorg-1") in cells["all", "none"]["interventions"]


def test_who_works_on_psykisk_ohalsa(results):
    rows = [r for r in find_table(results["coverage"], "actors_by_risk_factor")["rows"]
            if r["risk_factor"] == rf("psykisk-ohalsa")]
    by_actor = {r["actor"]: r for r in rows}
    assert "responsible" in by_actor[dep("stod-och-omsorg")]["roles"]
    assert "involved" in by_actor[ns.iri("actor", "region-vasterbotten")]["roles"]
    # Stöd och omsorg 1, 3, 4, 5 and 6 name psykisk ohälsa; no actor takes part in more
    assert by_actor[dep("stod-och-omsorg")]["interventions"] == [iv(f"stod-och-omsorg-{n}") for n in (1, 3, 4, 5, 6)]
    assert len(rows[0]["interventions"]) == 5 and all(len(r["interventions"]) <= 5 for r in rows)


def test_budget(results, G):
    rows = {r["risk_factor"]: r for r in find_table(results["coverage"], "budget_by_risk_factor")["rows"]}
    total = sum(d.get("budget_addition", 0) for _, d in G.nodes(data=True) if d["type"] == "Department")
    assert sum(r["equal_split"] for r in rows.values()) == pytest.approx(total, abs=1)
    assert sum(r["budget_items"] for r in rows.values()) == pytest.approx(total, abs=1)
    assert all(r["whole_addition"] >= r["equal_split"] for r in rows.values())
    # Säkerhet's 2 M (only this risk factor), a third of Gymnasiet's 1 M and of Teknik och fastighet's 14 M
    assert rows[rf("synlig-narvaro-av-kriminella")]["equal_split"] == pytest.approx(7_000_000, abs=1)
    # Strategisk utveckling's interventions name no risk factor: its 1 M stays unassigned
    assert rows[None]["equal_split"] == 1_000_000
    # Teknik och fastighet's 10 M for school meals funds intervention 2 (skolmisslyckande, lines 3318-3320)
    assert rows[rf("skolmisslyckande")]["budget_items"] > rows[rf("skolmisslyckande")]["equal_split"] + 7_000_000


def test_areas(results):
    rows = {ns.slug_of(r["area"]): r for r in find_table(results["coverage"], "areas")["rows"]}
    # the plan names no priority areas: Ålidhem, Mariehem and Ersboda were the focus of the first
    # period 2018-2022 (lines 9-14); the problem now "berör hela staden" (lines 29-30)
    assert {a for a, r in rows.items() if r["priority"]} == set()
    assert {a for a, r in rows.items() if r["focus_period"]} == {"alidhem", "mariehem", "ersboda"}
    assert rows["ersboda"]["focus_period"] == "2018-2022"
    # Mariehem is reached only by Afterschool at Mariehemsskolan (Kultur 2, line 1604)
    assert rows["mariehem"]["interventions"] == [] and rows["mariehem"]["via_places"] == [iv("kultur-2")]
    assert iv("kultur-6") in rows["ersboda"]["via_places"]  # Ersbodabiblioteket
    assert rows["alidhem"]["total"] > rows["mariehem"]["total"]


# --- gaps ------------------------------------------------------------------------------------


def test_gaps_goals_and_follow_ups(results):
    # Stöd och omsorg 8: "Målet med insatsen är ännu inte fastställt" (lines 2638-2639)
    assert [g["subjects"] for g in _gaps(results, "goal_not_set")] == [[iv("stod-och-omsorg-8")]]
    follow = {g["subjects"][0] for g in _gaps(results, "follow_up_not_set")}
    # 7 and 8 "kompletteras under hösten 2024", 9 "vara klart när inriktningsförslaget är överenskommet",
    # 11 "En komplettering ... under hösten 2024", SU 3 "kommer att fastställas", SU 4 "arbetas fram"
    assert follow == {iv("stod-och-omsorg-7"), iv("stod-och-omsorg-8"), iv("stod-och-omsorg-9"),
                      iv("stod-och-omsorg-11"), iv("strategisk-utveckling-3"), iv("strategisk-utveckling-4")}
    assert iv("teknik-och-fastighet-1") not in follow  # "enligt av nämnden fastställ lista" is set


def test_gaps_cells_areas_and_forums(results):
    assert [g["subjects"] for g in _gaps(results, "level_empty")] == [
        [rf("synlig-narvaro-av-kriminella"), ns.iri("level", "indikerad")]]
    # no area is called prioritised (lines 9-14, 29-30), and with no priority areas in the plan
    # no area is "outside the priority areas" either
    for kind in ("priority_area_thin", "priority_area_uncovered", "non_priority_area_activity"):
        assert _gaps(results, kind) == []
    assert not any("prioriterat" in g["description"] for g in find_table(results["gaps"], "gaps")["rows"])
    # the plan names no members of these (lines 77-78, 809-811, 3248-3249; KSNAU 85-86; SIP 1462)
    assert sorted(g["subjects"][0] for g in _gaps(results, "forum_no_members")) == sorted([
        forum("styrgruppen-social-hallbarhet"), forum("konsultationsforum-hedersrelaterat-vald"),
        forum("trygga-alidhem"), forum("ksnau"), forum("sip")])
    no_purpose = {g["subjects"][0] for g in _gaps(results, "forum_no_purpose")}
    assert {forum("cve"), forum("beredning-barn-och-unga"), forum("strategisk-samverkan-barn-och-unga"),
            forum("konsultationsforum-hedersrelaterat-vald"), forum("trygga-alidhem")} <= no_purpose
    assert not no_purpose & {forum("sspf"), forum("los"), forum("mur"), forum("hlt")}
    assert {g["subjects"][0] for g in _gaps(results, "no_risk_factor")} == {
        iv(f"strategisk-utveckling-{n}") for n in (1, 2, 3, 4)}
    assert not _gaps(results, "no_intervention")


# --- overlap ---------------------------------------------------------------------------------


def test_overlap_finds_the_activities_the_plan_names_twice(results):
    pairs = find_table(results["overlap"], "intervention_pairs")["rows"]
    # Operativa teamet at Ersängsskolan is described by Grundskolan 1 and Stöd och omsorg 7
    assert (pairs[0]["a"], pairs[0]["b"]) == (iv("grundskolan-1"), iv("stod-och-omsorg-7"))
    kinds = [r["kind"] for r in pairs[0]["reasons"]]
    assert {"places", "target_group", "partners", "same_activity"} <= set(kinds)
    # the mobile operative team: Grundskolan 2 and Stöd och omsorg 8, found by score, not only by the link
    mobile = [p for p in pairs if {p["a"], p["b"]} == {iv("grundskolan-2"), iv("stod-och-omsorg-8")}]
    assert mobile and mobile[0]["score"] >= 0.35 and pairs.index(mobile[0]) < 10
    for p in pairs:
        assert p["a"] != p["b"] and p["departments"][0] != p["departments"][1]
    keys = [frozenset((p["a"], p["b"])) for p in pairs]
    assert len(keys) == len(set(keys))


def test_overlap_of_forums(results):
    pairs = {frozenset((p["a"], p["b"])): p for p in find_table(results["overlap"], "forum_pairs")["rows"]}
    school = [forum("cve"), forum("beredning-barn-och-unga"), forum("strategisk-samverkan-barn-och-unga")]
    # three forums where the plan names only Grundskolan (lines 1245-1249)
    for x in range(3):
        for y in range(x + 1, 3):
            pair = pairs[frozenset((school[x], school[y]))]
            assert pair["score"] == 1.0
            # one shared named member is not enough to call two forums identical
            assert pair["identical"] is False and "samma namngivna medlemmar" not in pair["description"]
    sspf = pairs[frozenset((forum("sspf"), forum("uvts-arbetsgrupp")))]
    # SSPF's five members (l.2670, 2910; not Förskolan) all sit in UVTS arbetsgrupp's ten
    assert sspf["score"] == 0.5
    assert (sspf["only_a"] if sspf["a"] == forum("sspf") else sspf["only_b"]) == []
    assert sspf["identical"] is False  # UVTS arbetsgrupp has four more members
    assert not any(p["identical"] for p in pairs.values())  # the plan has no two forums with the same members


# --- actors ----------------------------------------------------------------------------------


def test_actors(results):
    load = find_table(results["actors"], "forum_load")["rows"]
    assert load[0]["actor"] == dep("grundskolan")  # SSPF, HLT, CVE, the county and local school forums, …
    cent = {r["actor"]: r for r in find_table(results["actors"], "centrality")["rows"]}
    for r in cent.values():
        assert all(0 <= r[k] <= 1 for k in ("degree", "betweenness", "eigenvector"))
    top = max(cent.values(), key=lambda r: r["strength"])
    assert top["actor"] == dep("stod-och-omsorg")
    # an actor named only as a source (Brå, line 27) collaborates with no one
    assert cent[ns.iri("actor", "bra")]["degree"] == 0 and cent[ns.iri("actor", "bra")]["eigenvector"] == 0
    comms = find_table(results["actors"], "communities")["rows"]
    assert sorted(n for c in comms for n in c["members"]) == sorted(cent)
    assert [c["community"] for c in comms] == list(range(1, len(comms) + 1))
    assert {r["community"] for r in cent.values()} == set(range(1, len(comms) + 1))


# --- the whole ---------------------------------------------------------------------------------


def test_run_all_is_deterministic_and_json(store, results):
    again = run_all(store, seed=0)
    assert json.dumps(again, sort_keys=True) == json.dumps(results, sort_keys=True)
    assert list(results) == list(NAMES) == list(ANALYSES)


def test_seed_reaches_louvain(G):
    a = find_table(run("actors", G, seed=0), "communities")
    assert a["seed"] == 0 and "slumpfrö 0" in a["explanation"]
    b = find_table(run("actors", G, seed=7), "communities")
    assert b["seed"] == 7 and "slumpfrö 7" in b["explanation"]
    assert find_table(run("actors", G, seed=7), "communities") == b


def test_every_table_explains_itself(results):
    for res in results.values():
        assert res["explanation"].count(".") >= 1 and res["explanation"].endswith(".")
        for t in res["tables"]:
            text = t["explanation"]
            assert text.endswith(".") and len(text) > 40, t["name"]
            # one sentence: no full stop followed by a capital letter inside it
            assert not any(text[k] == "." and text[k + 1] == " " and text[k + 2].isupper()
                           for k in range(len(text) - 2)), t["name"]


def test_unknown_analysis(G):
    with pytest.raises(KeyError, match="okänd analys"):
        run("nothing", G)
