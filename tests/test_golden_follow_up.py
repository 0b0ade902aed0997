"""The follow-up questions on a small hand-made plan with two rounds (tests/fixtures/follow-up-plan).

Worked out by hand from the fixture: in the latest round (2024-12-31) Skolan 1 is delayed
(comment: two of three posts not filled), Socialtjänsten 1 stopped, Socialtjänsten 2 on track,
and Skolan 2 has no record (it was "ej påbörjad" in the first round). Checked on the embedded
store, on rdflib and on Virtuoso, for the plan alone and next to Umeå's plan (rounds belong to
their plan).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from uvts.graph.namespaces import ID
from uvts.graph.paths import DEFAULT_DATA
from uvts.graph.plans import select_in_plan
from uvts.graph.queries import bind_params, get_query, run_saved
from uvts.graph.store import open_store
from virtuoso import virtuoso_server  # noqa: F401  (the session fixture)

FIXTURE = Path(__file__).parent / "fixtures" / "follow-up-plan"
STATUS = "follow-up-status/"


def _plain(v):
    return v[len(ID):] if isinstance(v, str) and v.startswith(ID) else v


def rows(result, columns):
    return sorted(tuple(_plain(r.get(c)) for c in columns) for r in result.values())


def _open(request, folders):
    kind = request.param
    if kind == "virtuoso":  # the session's Virtuoso (tests/virtuoso.py), reloaded with these plans
        kind = request.getfixturevalue("virtuoso_server").store_url
        s, _ = open_store(folders, kind=kind, rebuild=True)
    else:
        s, _ = open_store(folders, kind=kind)
    return s


@pytest.fixture(params=["memory", "rdflib", "virtuoso"])
def small(request):
    return _open(request, [FIXTURE])


@pytest.fixture(params=["memory", "rdflib", "virtuoso"])
def both(request):
    return _open(request, [DEFAULT_DATA, FIXTURE])


def test_delayed(small):
    got = rows(run_saved(small, "delayed-interventions"), ["insats", "forvaltning", "kommentar", "datum", "kommun"])
    assert got == [("intervention/skola-1", "Skolan", "Två av tre tjänster är inte tillsatta.", "2024-12-31", "Testkommun")]


def test_not_followed_up(small):
    got = rows(run_saved(small, "not-followed-up"), ["insats", "titel", "datum"])
    assert got == [("intervention/skola-2", "Elevhälsa i samverkan", "2024-12-31")]


def test_status_by_risk_factor(small):
    got = rows(run_saved(small, "status-by-risk-factor"), ["riskfaktor", "status", "statusNamn", "antal", "kommuner"])
    assert got == [
        ("risk-factor/psykisk-ohalsa", STATUS + "avbruten", "Avbruten", 1, 1),
        ("risk-factor/psykisk-ohalsa", STATUS + "enligt-plan", "Enligt plan", 1, 1),
        ("risk-factor/skolmisslyckande", STATUS + "forsenad", "Försenad", 1, 1),
    ]


def test_national_counts_across_municipalities(both):
    got = rows(run_saved(both, "status-by-risk-factor"), ["riskfaktor", "statusNamn", "antal", "kommuner"])
    assert ("risk-factor/psykisk-ohalsa", "Avbruten", 1, 1) in got
    assert ("risk-factor/psykisk-ohalsa", "Ingen status angiven", 1, 1) in got  # Umeå's Kultur för hälsa
    delayed = rows(run_saved(both, "delayed-interventions"), ["insats", "kommun"])
    assert delayed == [("intervention/skola-1", "Testkommun")]
    missing = run_saved(both, "not-followed-up").values()
    by_muni = {}
    for r in missing:
        by_muni.setdefault(r["kommun"], set()).add(_plain(r["insats"]))
    assert by_muni["Testkommun"] == {"intervention/skola-2"}
    assert len(by_muni["Umeå kommun"]) == 42  # each plan against its own latest round


def test_one_plan_sees_only_its_rounds(both):
    q = get_query("not-followed-up")
    res = select_in_plan(both, q.text, "testkommun-2024", bind_params(q, {}))
    assert rows(res, ["insats"]) == [("intervention/skola-2",)]
