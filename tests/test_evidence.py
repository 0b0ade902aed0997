"""Every risk-factor link with its own evidence (issue 18, point 1).

Each link of an intervention or base mission names the lines of its KOPPLING paragraph and
quotes the plan's words there; the lines lie inside the activity's range and name the risk
factor (by its name or one of the plan's own wordings, e.g. "Synlig närvaro av kriminella i
den urbana miljön"). In RDF each link is also a ``uvts:Addressing`` with a minted IRI.
"""

from __future__ import annotations

import pytest

from uvts.graph import namespaces as ns
from uvts.graph.build import build_plan_graph, sorted_ntriples
from uvts.graph.evidence import activities, fold, link_problems, names_risk_factor
from uvts.graph.load import DataError, load_plan
from uvts.graph.paths import DEFAULT_DATA


@pytest.fixture(scope="module")
def plan():
    return load_plan(DEFAULT_DATA)


def test_every_link_has_its_own_evidence(plan):
    assert link_problems(plan) == []
    links = [(name, a) for name, _, act in activities(plan) for a in act.addressing]
    # 100 links from interventions (README, tests/test_counts.py) and 15 from base missions
    assert sum(len(iv.addressing) for _, iv in plan.interventions()) == 100
    assert sum(len(d.base_mission.addressing) for d in plan.departments) == 15
    assert len(links) == 115


def test_the_plans_own_wordings_count(plan):
    # Säkerhet 1: "Synlig närvaro av kriminella i den urbana miljön:" (line 2963)
    (a,) = next(iv for d, iv in plan.interventions() if d.id == "sakerhet" and iv.number == 1).addressing
    assert a.lines == "2963-2966" and a.evidence.startswith("Synlig närvaro av kriminella i den urbana miljön:")
    assert names_risk_factor(plan, "synlig-narvaro-av-kriminella", a.evidence)
    # a word the PDF split across lines ("social" / "tjänsten", lines 2158-2159) is joined
    so1 = next(iv for d, iv in plan.interventions() if d.id == "stod-och-omsorg" and iv.number == 1)
    by_rf = {a.risk_factor: a for a in so1.addressing}
    assert by_rf["psykisk-ohalsa"].lines == "2161-2163"
    assert "socialtjänsten i samverkan med skolan" in by_rf["skolmisslyckande"].evidence
    assert fold(by_rf["skolmisslyckande"].evidence) in fold(plan.source_excerpt("2158-2159"))
    assert not names_risk_factor(plan, "psykisk-ohalsa", by_rf["skolmisslyckande"].evidence)


def test_the_check_fails_for_a_wrong_link(plan):
    so1 = next(iv for d, iv in plan.interventions() if d.id == "stod-och-omsorg" and iv.number == 1)
    wrong = [a.model_copy(update={"lines": "2155-2156"}) if a.risk_factor == "psykisk-ohalsa" else a
             for a in so1.addressing]
    plan2 = _with(plan, "stod-och-omsorg", 1, addressing=wrong)
    assert any("nämner inte riskfaktorn 'psykisk-ohalsa'" in p for p in link_problems(plan2))
    missing = [a for a in so1.addressing if a.risk_factor != "utanforskap"]
    assert any("'utanforskap' saknar belägg" in p for p in link_problems(_with(plan, "stod-och-omsorg", 1,
                                                                               addressing=missing)))


def _with(plan, dept_id, number, **update):
    import copy

    plan2 = copy.copy(plan)
    plan2.departments = [d.model_copy(update={"interventions": [
        iv.model_copy(update=update) if iv.number == number else iv for iv in d.interventions]})
        if d.id == dept_id else d for d in plan.departments]
    return plan2


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_evidence_that_is_not_the_plans_words_is_a_data_error(data_copy):
    line = _edit(data_copy / "departments" / "stod-och-omsorg.yaml",
                 "Psykisk ohälsa genom att barn, unga och familjer", "Psykisk ohälsa genom att alla barn")
    with pytest.raises(DataError) as info:
        load_plan(data_copy)
    (p,) = info.value.problems
    assert p.file == "data/departments/stod-och-omsorg.yaml" and p.line == line - 1
    assert p.field == "interventions.0.addressing.2.evidence" and "ordagrant på raderna 2161-2163" in p.message


def test_evidence_lines_outside_the_intervention_are_a_data_error(data_copy):
    line = _edit(data_copy / "departments" / "stod-och-omsorg.yaml", 'lines: "2161-2163"', 'lines: "2261-2263"')
    with pytest.raises(DataError) as info:
        load_plan(data_copy)
    (p,) = info.value.problems
    assert (p.line, p.field) == (line, "interventions.0.addressing.2.lines")
    assert "utanför insatsens eller grunduppdragets rader 2137-2204" in p.message


def test_evidence_for_an_unlisted_risk_factor_is_a_data_error(data_copy):
    _edit(data_copy / "departments" / "stod-och-omsorg.yaml", "      - utanforskap\n    addressing:", "    addressing:")
    with pytest.raises(DataError) as info:
        load_plan(data_copy)
    (p,) = info.value.problems
    assert p.field == "interventions.0.addressing.5.risk_factor" and "står inte bland risk_factors" in p.message


def test_addressing_in_rdf(plan):
    from rdflib import URIRef
    from rdflib.namespace import RDF

    g = build_plan_graph(plan)
    U = ns.UVTS
    nodes = set(g.subjects(RDF.type, URIRef(U + "Addressing")))
    assert len(nodes) == 115
    iv = URIRef(ns.iri("intervention", "stod-och-omsorg-1"))
    q = URIRef(f"{iv}/addressing/psykisk-ohalsa")
    assert (iv, URIRef(U + "qualifiedAddressing"), q) in g
    assert (q, URIRef(U + "riskFactor"), URIRef(ns.iri("risk-factor", "psykisk-ohalsa"))) in g
    assert str(g.value(q, URIRef(U + "sourceLines"))) == "2161-2163"
    ev = g.value(q, URIRef(U + "evidence"))
    assert ev.language == "sv" and ev.startswith("Psykisk ohälsa genom att barn")
    # the direct link stays, and every qualified link has its direct one
    for s, _, n in g.triples((None, URIRef(U + "qualifiedAddressing"), None)):
        assert (s, URIRef(U + "addresses"), g.value(n, URIRef(U + "riskFactor"))) in g
    assert len(set(g.triples((None, URIRef(U + "addresses"), None)))) == 115
    # no blank nodes: the build stays byte-identical
    assert b"_:" not in sorted_ntriples(g)
    assert sorted_ntriples(g) == sorted_ntriples(build_plan_graph(load_plan(DEFAULT_DATA)))


def test_addressing_validates(plan):
    from uvts.graph.validate import check_consistency, validate_plans

    assert validate_plans([plan]) == []
    assert check_consistency([plan]) == []


# --- shown next to the link: pages, REST, view tooltips, report -------------------------------------


def test_page_and_rest_show_the_justification(tmp_path):
    import html

    from fastapi.testclient import TestClient

    from uvts.api.app import create_app
    from uvts.api.settings import Settings

    settings = Settings(store_path=tmp_path / "store", query_workers=1, query_timeout=5)
    with TestClient(create_app(settings)) as c:
        body = c.get("/interventions/stod-och-omsorg-1").json()
        by_rf = {a["risk_factor"]["id"]: a for a in body["addressing"]}
        assert set(by_rf) == {l["id"] for l in body["risk_factors"]}
        assert by_rf["psykisk-ohalsa"]["lines"] == "2161-2163"
        page = html.unescape(c.get("/insatser/stod-och-omsorg-1").text)
        assert "Kopplingen enligt planen" in page
        assert "Psykisk ohälsa — rader 2161-2163: Psykisk ohälsa genom att barn, unga och familjer" in page
        # KSNAU and Umebrå with their role: the work is reported to them (lines 82-86)
        assert "Arbetet rapporteras löpande till KSNAU." in html.unescape(c.get("/forum/ksnau").text)
        assert c.get("/forums/umebra").json()["role"].startswith("Arbetet rapporteras löpande till Umebrå")
        place = html.unescape(c.get("/platser/mariehem").text)
        assert "Prioriterat område</dt>\n  <dd>nej" in place and "under perioden 2018–2022" in place
        bm = html.unescape(c.get("/grunduppdrag/gymnasiet").text)
        assert "Ekonomisk utsatthet — rader 1447-1451: EKONOMISK UTSATTHET Skolan är kostnadsfri." in bm


def test_view_tooltips_show_the_justification(store):
    from uvts.graph.project import read_typed_graph
    from uvts.visualisations.views import view_data

    G = read_typed_graph(store)
    data = view_data("risk-factor-psykisk-ohalsa", G)
    iv = ns.iri("intervention", "stod-och-omsorg-1")
    edge = next(e for e in data["edges"] if e["from"] == iv and e["rel"] == "addresses")
    assert ["Enligt planen", "Psykisk ohälsa — rad 2161-2163: Psykisk ohälsa genom att barn, unga och familjer med "
            "psykisk ohälsa får rätt insats i rätt tid, i samverkan med den vård och det stöd som erbjuds från "
            "regionen och skolan."] in edge["info"]["rows"]
    node = next(n for n in data["nodes"] if n["id"] == iv)
    rows = dict((r[0], r[1]) for r in node["info"]["rows"])
    assert len(rows["Kopplingen enligt planen"]) == 6


def test_report_lists_every_link_with_its_justification(store):
    from uvts.visualisations.report_document import build_document, iter_sections

    doc = build_document(store, date="2026-01-01", charts=False)
    tables = [b["table"] for s in iter_sections(doc["sections"]) for b in s["blocks"] if b["type"] == "table"]
    (t,) = [t for t in tables if t["id"] == "kopplingar"]
    assert len(t["rows"]) == 115
    row = next(r for r in t["rows"] if r[1] == "Psykisk ohälsa" and r[2] == "2161-2163")
    assert "Stöd och omsorg 1" in row[0]
    assert row[3].startswith("Psykisk ohälsa genom att barn, unga och familjer")


def test_shacl_finds_an_addressing_without_evidence_or_risk_factor(plan):
    from rdflib import URIRef

    from uvts.graph.validate import validate_graph

    g = build_plan_graph(plan)
    q = URIRef(ns.iri("intervention", "stod-och-omsorg-1") + "/addressing/psykisk-ohalsa")
    g.remove((q, URIRef(ns.UVTS + "evidence"), None))
    g.remove((q, URIRef(ns.UVTS + "riskFactor"), None))
    found = {(v.resource, v.property) for v in validate_graph(g)}
    assert found == {(str(q), "belägg (uvts:evidence)"), (str(q), "riskfaktor (uvts:riskFactor)")}
