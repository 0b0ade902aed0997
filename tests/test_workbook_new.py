"""A new municipality: ``uvts new``, filled through the workbook as a user would in Excel, imported,
validated, served, and counted in the national questions beside Umeå."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from conftest import run_cli
from uvts.api.app import create_app
from uvts.api.settings import Settings
from uvts.graph.load import load_plan
from uvts.graph.models import NATIONAL_RISK_FACTORS
from uvts.graph.paths import DEFAULT_DATA
from uvts.graph.validate import check_consistency, validate_plans


def _append(ws, values: dict[str, object]) -> int:
    head = {c.value: c.column for c in ws[1] if c.value}
    r = ws.max_row + 1
    for name, value in values.items():
        if name not in head:  # a column the user adds (a new problem area)
            head[name] = ws.max_column + 1
            ws.cell(1, head[name]).value = name
        ws.cell(r, head[name]).value = value
    return r


def fill_like_a_user(src: Path, dst: Path) -> None:
    """What a strategist does in Excel: departments, an actor, a place, an own problem area,
    three interventions (one marked against the own problem area), a budget line."""
    wb = load_workbook(src)
    _append(wb["Förvaltningar"], {"Namn": "Socialtjänsten", "Budgettillskott": "1,2 mkr"})
    _append(wb["Förvaltningar"], {"Namn": "Skola och fritid", "Budgettillskott": 800000})
    _append(wb["Aktörer"], {"Namn": "Polisen", "Kategori": "polis"})
    _append(wb["Platser"], {"Namn": "Centrum", "Typ": "område", "Prioriterat": "x"})
    _append(wb["Riskfaktorer"], {"Namn": "Skolfrånvaro", "Definition": "Elever som ofta är borta från skolan.",
                                 "Namn (engelska)": "School absence", "Definition (engelska)": "Pupils often absent from school.",
                                 "Samma som": "Skolmisslyckande"})
    ins = wb["Insatser"]
    _append(ins, {"Förvaltning": "Socialtjänsten", "Titel": "Föräldrastöd i grupp", "Beskrivning": "Kurser för föräldrar.",
                  "Selektiv": "x", "Sårbara familjeförhållanden": "x", "Externa aktörer": "Polisen",
                  "Medverkande förvaltningar": "Skola och fritid", "Ålder från": 0, "Ålder till": 12})
    _append(ins, {"Förvaltning": "Skola och fritid", "Titel": "Närvaroteam", "Beskrivning": "Team som följer upp frånvaro.",
                  "Indikerad": "x", "Skolfrånvaro": "x", "Platser": "Centrum", "Mål": "Högre närvaro.\nFärre hemmasittare."})
    _append(ins, {"Förvaltning": "Skola och fritid", "Titel": "Öppen fritidsgård", "Beskrivning": "Kvällsöppet för unga.",
                  "Universell": "x", "Avsaknad av positiva sammanhang och förebilder": "x"})
    _append(wb["Budget"], {"Förvaltning": "Skola och fritid", "Belopp": "300 tkr", "Syfte": "Närvaroteamets tjänster.",
                           "Insatser": "skola-och-fritid-1"})
    wb.save(dst)


@pytest.fixture(scope="module")
def nordmaling(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("ny")
    folder = tmp / "nordmaling"
    env = {"UVTS_HOME": str(tmp / "home")}
    r = run_cli("new", "--kommun", "Nordmalings kommun", "--kommunkod", "2401", "--period", "2025-2027",
                "-o", str(folder), env=env)
    assert r.returncode == 0, r.stderr
    assert "nordmaling.xlsx" in r.stdout
    r = run_cli("validate", "--data", str(folder), env=env)
    assert r.returncode == 0, r.stdout + r.stderr  # the empty plan validates
    assert (tmp / "nordmaling.xlsx").exists()  # uvts new writes its workbook too
    fill_like_a_user(tmp / "nordmaling.xlsx", tmp / "ifylld.xlsx")
    r = run_cli("excel", "import", str(tmp / "ifylld.xlsx"), "-o", str(folder), env=env)
    assert r.returncode == 0, r.stderr
    assert "skola-och-fritid-1" in r.stdout
    return folder


def test_new_plan_is_empty_valid_and_has_the_national_risk_factors(tmp_path):
    from uvts.graph.newplan import new_plan

    plan = load_plan(new_plan(tmp_path / "p", "Vännäs", "2460", "2025-2027"))
    assert plan.plan.municipality.name == "Vännäs kommun" and plan.plan.municipality.code == "2460"
    assert [rf.id for rf in plan.risk_factors] == list(NATIONAL_RISK_FACTORS)
    assert list(plan.interventions()) == [] and plan.departments == []
    assert validate_plans([plan]) == []


def test_new_refuses_bad_arguments(tmp_path):
    r = run_cli("new", "--kommun", "X", "--kommunkod", "24", "--period", "2027-2025", "-o", str(tmp_path / "p"))
    assert r.returncode == 1
    assert "kommunkoden är fyra siffror" in r.stderr and "perioden skrivs som START-SLUT" in r.stderr


def test_filled_new_plan_imports_and_validates(nordmaling):
    plan = load_plan(nordmaling)
    ids = sorted(plan.intervention_id(d, iv) for d, iv in plan.interventions())
    assert ids == ["skola-och-fritid-1", "skola-och-fritid-2", "socialtjansten-1"]
    dept = next(d for d in plan.departments if d.id == "socialtjansten")
    assert dept.budget.amount == 1_200_000 and dept.workbook is not None and dept.lines is None
    own = next(rf for rf in plan.risk_factors if rf.id == "skolfranvaro")
    assert own.exact_match == "skolmisslyckande"
    assert validate_plans([plan]) == []
    assert check_consistency([plan]) == []


def test_new_plan_appears_in_the_national_questions_beside_umea(nordmaling):
    app = create_app(Settings(store="memory", data=(DEFAULT_DATA, nordmaling)), modules=["uvts.api.rest"])
    with TestClient(app) as client:
        r = client.get("/queries/who-works-on/results", params={"riskFactor": "skolmisslyckande"})
        assert r.status_code == 200, r.text
        rows = r.json()["rows"]
        labels = {row["actorLabel"]["value"] for row in rows}
        assert "Skola och fritid" in labels      # through the own problem area, exactMatch to skolmisslyckande
        assert "Grundskolan" in labels           # Umeå beside it
        r = client.get("/queries/budget-by-municipality/results")
        assert r.status_code == 200, r.text
        totals = {row["municipalityLabel"]["value"]: float(row["total"]["value"]) for row in r.json()["rows"]}
        assert totals["Nordmalings kommun"] == 2_000_000 and "Umeå kommun" in totals
