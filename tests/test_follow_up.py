"""Follow-up rounds: loading, errors by file:line:field, the plan's own round, and the RDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from uvts.graph.build import build_plan_graph
from uvts.graph.errors import DataError
from uvts.graph.load import load_plan
from uvts.graph.paths import DEFAULT_DATA

UVTS = "https://w3id.org/uvts/ontology#"
ID = "https://w3id.org/uvts/id/"
ROUND = """round:
  date: 2024-12-10
  title: Uppföljning hösten 2024
  reported_to: [umebra]
items:
  - intervention: stod-och-omsorg-1
    status: {status}
    comment: Rekryteringen dröjer.
    indicators:
      - {{name: Antal deltagare, value: 12, unit: föräldrar, period: 2024-08/2024-11, source: Verksamhetsstatistik}}
  - intervention: {intervention}
    status: enligt-plan
"""


def _write(folder: Path, text: str, name: str = "2024-12-10.yaml") -> Path:
    (folder / "uppfoljning").mkdir(exist_ok=True)
    path = folder / "uppfoljning" / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(folder) -> list[str]:
    with pytest.raises(DataError) as exc:
        load_plan(folder)
    return [str(p) for p in exc.value.problems]


def test_a_round_loads_and_builds(data_copy):
    _write(data_copy, ROUND.format(status="forsenad", intervention="kultur-1"))
    plan = load_plan(data_copy)
    dates = [r.date.isoformat() for r in plan.follow_up]
    assert dates == ["2024-05-31", "2024-12-10"]
    g = build_plan_graph(plan)
    rnd = URIRef(ID + "follow-up-round/umea-uvts-2024-2026-2024-12-10")
    rec = URIRef(ID + "follow-up-record/umea-uvts-2024-2026-2024-12-10-stod-och-omsorg-1")
    assert (rnd, RDF.type, URIRef(UVTS + "FollowUpRound")) in g
    assert (rnd, RDF.type, PROV.Activity) in g
    assert (rnd, URIRef("http://purl.org/dc/terms/date"), Literal("2024-12-10", datatype=XSD.date)) in g
    assert (rnd, URIRef(UVTS + "reportedTo"), URIRef(ID + "forum/umebra")) in g
    assert (rec, URIRef(UVTS + "inRound"), rnd) in g
    assert (rec, URIRef(UVTS + "ofIntervention"), URIRef(ID + "intervention/stod-och-omsorg-1")) in g
    assert (rec, URIRef(UVTS + "status"), URIRef(ID + "follow-up-status/forsenad")) in g
    values = list(g.subjects(URIRef(UVTS + "ofRecord"), rec))
    assert len(values) == 1
    obs = values[0]
    assert (obs, RDF.type, URIRef("http://www.w3.org/ns/sosa/Observation")) in g
    assert g.value(obs, URIRef(UVTS + "value")) == Literal("12.0", datatype=XSD.decimal)
    assert str(g.value(obs, URIRef(UVTS + "period"))) == "2024-08/2024-11"


def test_the_round_is_in_the_fingerprinted_files(data_copy):
    _write(data_copy, ROUND.format(status="forsenad", intervention="kultur-1"))
    assert data_copy / "uppfoljning" / "2024-12-10.yaml" in load_plan(data_copy).files


def test_unknown_intervention_names_file_line_field_and_suggests(data_copy):
    _write(data_copy, ROUND.format(status="forsenad", intervention="kultur-01"))
    problems = _problems(data_copy)
    assert len(problems) == 1
    assert re.search(r"uppfoljning/2024-12-10\.yaml:11: fält 'items\.1\.intervention': okänd insats 'kultur-01'; "
                     r'menade du "kultur-1"\?', problems[0]), problems


def test_unknown_status_names_file_line_field_and_suggests(data_copy):
    _write(data_copy, ROUND.format(status="försenad", intervention="kultur-1"))
    problems = _problems(data_copy)
    assert len(problems) == 1
    assert "2024-12-10.yaml:7: fält 'items.0.status': okänd status 'försenad'; menade du \"forsenad\"?" in problems[0]


@pytest.mark.parametrize("text,expected", [
    (ROUND.format(status="forsenad", intervention="stod-och-omsorg-1"), "följs redan upp i denna omgång"),
    (ROUND.format(status="forsenad", intervention="kultur-1").replace("value: 12", "value: tolv"),
     "'items.0.indicators.0.value': förväntade ett tal"),
    (ROUND.format(status="forsenad", intervention="kultur-1").replace("value: 12", "value: .nan"),
     "'items.0.indicators.0.value': förväntade ett tal"),
    (ROUND.format(status="forsenad", intervention="kultur-1").replace("date: 2024-12-10", "date: 2024-12-11"),
     "förväntade datumet 2024-12-10 (samma som filnamnet)"),
    (ROUND.format(status="forsenad", intervention="kultur-1").replace("[umebra]", "[umebraa]"),
     "okänd mottagare 'umebraa'"),
    (ROUND.format(status="forsenad", intervention="kultur-1").replace("    status: enligt-plan\n", ""),
     "posten säger ingenting"),
    (ROUND.format(status="forsenad", intervention="kultur-1").replace("comment:", "kommentar:"),
     "'items.0.kommentar': okänd nyckel"),
])
def test_other_errors_are_in_swedish_with_the_place(data_copy, text, expected):
    _write(data_copy, text)
    problems = _problems(data_copy)
    assert any(expected in p and "uppfoljning/2024-12-10.yaml:" in p for p in problems), problems


def test_a_file_not_named_by_date_is_an_error(data_copy):
    _write(data_copy, ROUND.format(status="forsenad", intervention="kultur-1"), name="hosten.yaml")
    assert any("filnamnet ska vara omgångens datum" in p for p in _problems(data_copy))


def test_plan_round_is_dated_with_the_plan_and_has_no_invented_status(plan):
    [rnd] = plan.follow_up
    assert rnd.date.isoformat() == "2024-05-31"
    assert "maj 2024" in rnd.model.round.note and "343" in rnd.model.round.note
    assert all(item.status is None for item in rnd.items)  # the plan states no status
    assert all(item.lines for item in rnd.items)


def test_plan_round_values_are_in_their_source_lines(plan, plan_lines):
    """Each stated value appears, as digits, in the plan lines it points to."""
    [rnd] = plan.follow_up
    from uvts.graph.models import parse_line_ranges

    seen = 0
    for item in rnd.items:
        for ind in item.indicators:
            text = " ".join(" ".join(plan_lines[a - 1:b]) for a, b in parse_line_ranges(ind.lines))
            if ind.name == "Antal skolor med Afterschool":  # counted from four named schools
                assert all(s in text for s in ("Ålidhemsskolan", "Mariehemsskolan", "Bräntbergsskolan", "Ersängsskolan"))
            else:
                assert re.search(rf"\b{int(ind.value)}\b", text), (ind.name, text)
            seen += 1
    assert seen == 5


def test_examples_are_never_loaded_by_default():
    assert not (DEFAULT_DATA / "uppfoljning").joinpath("2024-12-10.yaml").exists()
    assert all(p.parent.name == "uppfoljning" for p in load_plan(DEFAULT_DATA).files if "uppfoljning" in str(p))


def test_the_invented_example_validates_but_only_when_copied_in(data_copy):
    from uvts.graph.paths import ROOT

    example = ROOT / "examples" / "uppfoljning" / "2024-12-10.yaml"
    assert "INVENTED" in example.read_text(encoding="utf-8")
    assert [r.date.isoformat() for r in load_plan(DEFAULT_DATA).follow_up] == ["2024-05-31"]
    _write(data_copy, example.read_text(encoding="utf-8"))
    plan = load_plan(data_copy)
    assert [r.date.isoformat() for r in plan.follow_up] == ["2024-05-31", "2024-12-10"]


def test_shapes_catch_a_broken_record(plan):
    from rdflib import Literal as L
    from uvts.graph.validate import validate_graph

    g = build_plan_graph(plan)
    assert not [v for v in validate_graph(g) if "follow-up" in v.resource or "indicator-value" in v.resource]
    rec = URIRef(ID + "follow-up-record/umea-uvts-2024-2026-2024-05-31-kultur-1")
    obs = URIRef(ID + "indicator-value/umea-uvts-2024-2026-2024-05-31-arbetsmarknad-och-integration-3-1")
    g.add((rec, URIRef(UVTS + "status"), URIRef(ID + "follow-up-status/gron")))
    g.remove((obs, URIRef(UVTS + "value"), None))
    g.add((obs, URIRef(UVTS + "value"), L("många")))
    found = {(v.resource.rsplit("/", 1)[-1], v.property) for v in validate_graph(g)}
    assert ("umea-uvts-2024-2026-2024-05-31-kultur-1", "status (uvts:status)") in found
    assert ("umea-uvts-2024-2026-2024-05-31-arbetsmarknad-och-integration-3-1", "värde (uvts:value)") in found


def test_ontology_terms_of_the_contract():
    from rdflib.namespace import OWL, RDFS, SKOS
    from uvts.graph.build import ontology_graph

    ont = ontology_graph()
    sosa = "http://www.w3.org/ns/sosa/"
    for cls, parent in (("FollowUpRound", PROV.Activity), ("FollowUpRecord", PROV.Entity),
                        ("IndicatorValue", URIRef(sosa + "Observation"))):
        c = URIRef(UVTS + cls)
        assert (c, RDFS.subClassOf, parent) in ont
        assert {o.language for o in ont.objects(c, RDFS.label)} == {"sv", "en"}
    for prop in ("inRound", "ofIntervention", "status", "ofRecord", "indicatorName", "value", "unit", "period"):
        assert (URIRef(UVTS + prop), RDF.type, OWL.FunctionalProperty) in ont, prop
    scheme = URIRef(ID + "scheme/follow-up-status")
    statuses = {str(s).rsplit("/", 1)[-1] for s in ont.subjects(SKOS.inScheme, scheme)}
    assert statuses == {"ej-paborjad", "enligt-plan", "forsenad", "avslutad", "avbruten"}
    for s in ont.subjects(SKOS.inScheme, scheme):
        assert {o.language for o in ont.objects(s, SKOS.prefLabel)} == {"sv", "en"}


def test_cli_refuses_a_bad_round_with_exit_code_1(data_copy, capsys, uvts_home):
    from uvts.api.cli import main

    _write(data_copy, ROUND.format(status="forsenadd", intervention="kultur-1"))
    code = main(["build", "--data", str(data_copy), "--store", "memory"])
    err = capsys.readouterr().err
    assert code == 1
    assert "2024-12-10.yaml:7: fält 'items.0.status': okänd status 'forsenadd'; menade du \"forsenad\"?" in err


def test_a_year_as_period_is_text(data_copy):
    _write(data_copy, ROUND.format(status="forsenad", intervention="kultur-1").replace("period: 2024-08/2024-11", "period: 2024"))
    [_, rnd] = load_plan(data_copy).follow_up
    assert rnd.items[0].indicators[0].period == "2024"
