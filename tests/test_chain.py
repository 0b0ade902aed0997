"""The chain check (``uvts analyse chain``) and its broken chains in the gap analysis."""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
import pytest

from uvts.api.cli import main
from uvts.graph import namespaces as ns
from uvts.graph.analyses import find_table, run
from uvts.graph.analyses import gaps as GP
from uvts.graph.analyses.chain import chain_rows
from uvts.graph.project import ATTRIBUTES, RELATIONS, typed_graph_from_rows

_PROP = {rel: iri for iri, rel in RELATIONS.items()}
_ATTR = {name: iri for iri, (name, _) in ATTRIBUTES.items()}
CONTRACT_COLUMNS = ["risk_factor", "goal", "indicator", "responsible", "timing", "followed_up"]


def iv(s):
    return ns.iri("intervention", s)


def _graph(follow_up=None):
    d, r = ns.iri("department", "d"), ns.iri("risk-factor", "r")
    nodes = [(d, "Department", "D"), (r, "RiskFactor", "R")]
    attrs, links = [], []
    spec = {  # id: (risk factor?, goals, follow_ups, timing, responsible?)
        "d-1": (True, ["Fler i arbete"], ["Antal deltagare"], "2024", True),
        "d-2": (False, ["Fler i arbete"], ["Antal"], "2024", True),
        "d-3": (True, ["Målet är ännu inte fastställt."], ["Antal"], "2024", True),
        "d-4": (True, ["Mål"], ["Metod för uppföljning kommer att fastställas."], "2024", True),
        "d-5": (True, ["Mål"], ["Antal"], None, True),
        "d-6": (True, ["Mål"], ["Antal"], "2024", False),
    }
    for n, (has_rf, goals, fus, timing, resp) in spec.items():
        i = iv(n)
        nodes.append((i, "Intervention", n))
        attrs.append((i, _ATTR["sequence_number"], int(n[-1])))
        attrs += [(i, _ATTR["goals"], g) for g in goals] + [(i, _ATTR["follow_ups"], f) for f in fus]
        if timing:
            attrs.append((i, _ATTR["timing"], timing))
        if has_rf:
            links.append((i, _PROP["addresses"], r))
        if resp:
            links.append((i, _PROP["responsible_department"], d))
    G = typed_graph_from_rows(nodes, links, attrs)
    if follow_up is not None:
        G.graph["follow_up"] = follow_up
    return G


def _fu(latest: list[str], older: list[str], measured: list[str] = ()):
    plan = ns.iri("plan", "p")
    rounds = [{"iri": "r1", "plan": plan, "date": "2024-05-31", "label": "1", "synthetic": False},
              {"iri": "r2", "plan": plan, "date": "2024-12-10", "label": "2", "synthetic": False}]
    recs = [{"iri": f"r1-{x}", "round": "r1", "intervention": iv(x), "status": "enligt-plan", "comment": None,
             "plan": plan, "date": "2024-05-31"} for x in older]
    recs += [{"iri": f"r2-{x}", "round": "r2", "intervention": iv(x), "status": "forsenad", "comment": None,
              "plan": plan, "date": "2024-12-10"} for x in latest]
    values = [{"iri": f"v-{x}", "record": f"r1-{x}", "round": "r1", "intervention": iv(x), "name": "n", "value": 1.0,
               "unit": None, "period": None, "date": "2024-05-31"} for x in measured]
    return {"rounds": rounds, "records": recs, "values": values}


def test_each_link_on_a_hand_made_graph():
    G = _graph(_fu(latest=["d-1", "d-2"], older=["d-3", "d-4"], measured=["d-4"]))
    rows = {r["intervention"].rsplit("/", 1)[-1]: r for r in chain_rows(G)}
    assert rows["d-1"]["complete"] and rows["d-1"]["missing"] == []
    assert rows["d-2"]["missing"] == ["risk_factor"]
    assert rows["d-3"]["missing"] == ["goal", "followed_up"]  # followed up only in the older round
    assert rows["d-4"]["indicator"] is True  # the follow-up method is pending, but a value was measured
    assert rows["d-4"]["missing"] == ["followed_up"]
    assert rows["d-5"]["missing"] == ["timing", "followed_up"]
    assert rows["d-6"]["missing"] == ["responsible", "followed_up"]
    assert rows["d-1"]["status"] == "forsenad" and rows["d-3"]["status"] == "enligt-plan"


def test_without_rounds_nothing_is_followed_up_and_gaps_ignore_hand_made_graphs():
    G = _graph()
    assert not any(r["followed_up"] for r in chain_rows(G))
    assert not any(g["kind"] == "chain_broken" for g in GP.find_gaps(G))
    G2 = _graph(_fu(latest=["d-1"], older=[]))
    broken = [g["subjects"][0].rsplit("/", 1)[-1] for g in GP.find_gaps(G2) if g["kind"] == "chain_broken"]
    assert sorted(broken) == ["d-2", "d-3", "d-4", "d-5", "d-6"]


def test_result_shape_like_the_other_analyses():
    res = run("chain", _graph(_fu(latest=["d-1"], older=[])))
    assert set(res) >= {"name", "title", "explanation", "tables", "labels"} and res["name"] == "chain"
    table = find_table(res, "chain")
    assert table["kind"] == "records"
    keys = [c["key"] for c in table["columns"]]
    assert keys[2:8] == CONTRACT_COLUMNS
    links = find_table(res, "chain-links")["rows"]
    assert links[-1] == {"link": "Hela kedjan", "step": "Alla led", "count": 1, "of": 6}


def _cli(capsysbinary, *args):
    code = main(["analyse", "chain", *args, "--store", "memory"])
    out, err = capsysbinary.readouterr()
    return code, out.decode("utf-8-sig"), err.decode("utf-8")


def test_cli_json_on_the_plan(capsysbinary):
    code, out, _ = _cli(capsysbinary, "--format", "json")
    assert code == 0
    res = json.loads(out)
    rows = {r["intervention"].rsplit("/", 1)[-1]: r for r in find_table(res, "chain")["rows"]}
    assert len(rows) == 46
    assert {k for k, r in rows.items() if r["followed_up"]} == {
        "arbetsmarknad-och-integration-3", "arbetsmarknad-och-integration-4", "kultur-1", "kultur-2"}
    assert all(set(CONTRACT_COLUMNS) <= set(r) for r in rows.values())
    assert rows["stod-och-omsorg-8"]["goal"] is False  # its goal is "ännu inte fastställt" in the plan


def test_cli_table_and_csv_in_swedish(capsysbinary):
    code, out, _ = _cli(capsysbinary)
    assert code == 0 and "Kedjan från problem till resultat" in out and "inte uppföljd i senaste omgången" in out
    code, out, _ = _cli(capsysbinary, "--format", "csv", "--table", "chain")
    assert code == 0
    lines = out.splitlines()
    header = next(csv.reader(io.StringIO(lines[2]), delimiter=";"))
    assert header[:8] == ["Insats", "Förvaltning", "Riskfaktor", "Mål", "Indikator", "Ansvarig", "Tid", "Uppföljd"]
