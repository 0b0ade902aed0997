"""The plan in Excel: export, import, every problem at once by cell, workbooks as people make them."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic, to_isomorphic, graph_diff

from conftest import run_cli
from uvts.graph.build import build_plan_graph
from uvts.graph.load import load_plan
from uvts.graph.paths import DEFAULT_DATA
from uvts.graph.workbook import SHEETS, export_workbook
from uvts.graph.workbook_import import WorkbookError, import_workbook, parse_amount
from uvts.graph import workbook_read

UVTS = "https://w3id.org/uvts/ontology#"
ID = "https://w3id.org/uvts/id/"


@pytest.fixture(scope="module")
def umea_xlsx(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "plan.xlsx"
    export_workbook(load_plan(DEFAULT_DATA), path, version="abc123")
    return path


def edited(src: Path, dst: Path, change) -> Path:
    wb = load_workbook(src)
    change(wb)
    wb.save(dst)
    return dst


def header(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[1] if c.value}


def row_of(ws, iid: str) -> int:
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == iid)


def graph(folder):
    return build_plan_graph(load_plan(folder))


def problems_of(path: Path, tmp_path: Path) -> list[str]:
    out = tmp_path / "out"
    with pytest.raises(WorkbookError) as exc:
        import_workbook(path, out)
    assert not out.exists(), "nothing may be written when the workbook has problems"
    return [str(p) for p in exc.value.problems]


# --- export ---------------------------------------------------------------------------------------------


def test_export_has_the_contract_sheets_headers_and_helpers(umea_xlsx, plan):
    wb = load_workbook(umea_xlsx)
    visible = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert visible == list(SHEETS)
    ins = wb["Insatser"]
    head = [c.value for c in ins[1]]
    rfs = [rf.label.sv for rf in plan.risk_factors]
    assert head[:9] == ["Id", "Förvaltning", "Nummer", "Titel", "Beskrivning", "När", "Universell", "Selektiv", "Indikerad"]
    assert head[9:9 + len(rfs)] == rfs and "Psykisk ohälsa" in rfs
    assert head[9 + len(rfs):9 + len(rfs) + 11] == ["Mål", "Uppföljning", "Målgrupp", "Ålder från", "Ålder till", "Platser",
                                                    "Medverkande förvaltningar", "Externa aktörer", "Forum", "Källa", "Anteckning"]
    assert ins.max_row == 1 + 46
    assert ins.freeze_panes == "E2"
    for sheet, first in {"Förvaltningar": ["Id", "Namn", "Budgettillskott"], "Aktörer": ["Id", "Namn", "Kategori"],
                         "Forum": ["Id", "Namn", "Syfte", "Medlemmar"], "Platser": ["Id", "Namn", "Typ"],
                         "Riskfaktorer": ["Id", "Namn", "Definition"],
                         "Uppföljning": ["Omgång", "Rubrik", "Insats", "Status", "Kommentar", "Indikator", "Värde",
                                         "Enhet", "Period", "Källa"]}.items():
        assert [c.value for c in wb[sheet][1]][:len(first)] == first, sheet
    # KRAFT: one row with x marks, names, source lines, multi-line goals
    h = header(ins)
    r = row_of(ins, "arbetsmarknad-och-integration-4")
    assert ins.cell(r, h["Titel"]).value == "KRAFT"
    assert ins.cell(r, h["Selektiv"]).value == "x" and ins.cell(r, h["Universell"]).value is None
    assert ins.cell(r, h["Ekonomisk utsatthet"]).value == "x"
    assert ins.cell(r, h["Externa aktörer"]).value == "Samordningsförbundet"
    assert ins.cell(r, h["Källa"]).value == "300-349"
    assert "\n" in ins.cell(r, h["Uppföljning"]).value and ins.cell(r, h["Uppföljning"]).alignment.wrap_text
    # dropdowns: departments, x for levels and risk factors, actors, categories, place types, statuses
    sources = {dv.formula1 for dv in ins.data_validations.dataValidation}
    assert "'Förvaltningar'!$B$2:$B$210" in sources and '"x"' in sources and any("Aktörer" in s for s in sources)
    assert any("polis" in dv.formula1 for dv in wb["Aktörer"].data_validations.dataValidation)
    assert any("skola" in dv.formula1 for dv in wb["Platser"].data_validations.dataValidation)
    assert any("forsenad" in dv.formula1 for dv in wb["Uppföljning"].data_validations.dataValidation)
    om = {r[0].value: r[1].value for r in wb["Om planen"].iter_rows(min_row=2)}
    assert om["Kommun"] == "Umeå kommun" and om["Kommunkod"] == "2480" and om["Period"] == "2024-2026"
    assert om["Exporterad från version"] == "abc123"
    assert ins.column_dimensions["D"].width >= 30


def test_instructions_are_plain_swedish_and_say_no_names_of_persons(umea_xlsx):
    text = "\n".join(str(r[0].value) for r in load_workbook(umea_xlsx)["Instruktioner"].iter_rows() if r[0].value)
    assert "aldrig namn på personer" in text and "GDPR" in text
    assert "Alt+Enter" in text and "x" in text


def test_text_that_looks_like_a_formula_is_written_as_text(data_copy, tmp_path):
    path = data_copy / "departments" / "kultur.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: '=HYPERLINK(\"http://x\")' #", 1),
                    encoding="utf-8")
    out = export_workbook(load_plan(data_copy), tmp_path / "f.xlsx")
    ws = load_workbook(io.BytesIO(out))["Insatser"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)
    sheet_xml = zipfile.ZipFile(io.BytesIO(out)).read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere


# --- import: round trip and edits ----------------------------------------------------------------------


def test_round_trip_gives_the_same_plan_folder_and_graph(umea_xlsx, tmp_path):
    result = import_workbook(umea_xlsx, tmp_path / "plan")
    assert result.changed == [] and result.added == [] and result.removed == []
    assert isomorphic(graph(DEFAULT_DATA), graph(tmp_path / "plan"))
    for path in DEFAULT_DATA.rglob("*"):
        if path.is_file():
            assert (tmp_path / "plan" / path.relative_to(DEFAULT_DATA)).read_bytes() == path.read_bytes(), path


def test_one_edited_cell_changes_exactly_that_fact(umea_xlsx, tmp_path):
    def change(wb):
        ws = wb["Insatser"]
        ws.cell(row_of(ws, "arbetsmarknad-och-integration-4"), header(ws)["Titel"]).value = "KRAFT – steg till arbete"

    path = edited(umea_xlsx, tmp_path / "ändrad.xlsx", change)
    result = import_workbook(path, tmp_path / "plan")
    assert result.changed == ["Insatser!D5"]
    before, after = graph(DEFAULT_DATA), graph(tmp_path / "plan")
    _, only_before, only_after = graph_diff(to_isomorphic(before), to_isomorphic(after))
    iv = URIRef(ID + "intervention/arbetsmarknad-och-integration-4")
    assert {(s, p, o) for s, p, o in only_before} == {
        (iv, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("KRAFT", lang="sv")),
        (iv, URIRef("http://purl.org/dc/terms/title"), Literal("KRAFT", lang="sv"))}
    new = {(s, p, o) for s, p, o in only_after}
    assert (iv, URIRef("http://purl.org/dc/terms/title"), Literal("KRAFT – steg till arbete", lang="sv")) in new
    wb_iri = URIRef(ID + "workbook/" + result.sha256)
    assert (iv, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), wb_iri) in new
    assert (wb_iri, URIRef(UVTS + "sha256"), Literal(result.sha256)) in new
    assert any(p == URIRef(UVTS + "cell") and o == Literal("Insatser!D5") for _, p, o in new)
    # every other new triple is about the title, the workbook or the derivation
    others = {t for t in new if t[0] not in (iv, wb_iri) and "/derivation/" not in str(t[0])}
    assert others == set()
    # the source lines and note of the edited intervention stay
    assert (iv, URIRef(UVTS + "sourceLines"), Literal("300-349")) in after
    dept = yaml.safe_load((tmp_path / "plan/departments/arbetsmarknad-och-integration.yaml").read_text(encoding="utf-8"))
    kraft = next(i for i in dept["interventions"] if i["number"] == 4)
    assert kraft["workbook"] == {"file": "ändrad.xlsx", "sha256": result.sha256, "cells": {"title": "Insatser!D5"}}
    # files of untouched departments are written back byte for byte
    assert (tmp_path / "plan/departments/kultur.yaml").read_bytes() == (DEFAULT_DATA / "departments/kultur.yaml").read_bytes()


def test_a_new_row_gets_the_next_id_and_points_to_its_cells(umea_xlsx, tmp_path):
    def change(wb):
        ws = wb["Insatser"]
        h = header(ws)
        r = ws.max_row + 1
        for name, value in {"Förvaltning": "Fritid", "Titel": "Läxhjälp på biblioteket", "Beskrivning": "Unga får hjälp med läxor.",
                            "Universell": "x", "Skolmisslyckande": "X", "Ålder från": 13, "Ålder till": "16",
                            "Externa aktörer": "Polisen\nRegion Västerbotten", "Platser": "Ålidhem",
                            "Mål": "Fler klarar skolan.\nFler läser."}.items():
            ws.cell(r, h[name]).value = value

    result = import_workbook(edited(umea_xlsx, tmp_path / "ny.xlsx", change), tmp_path / "plan")
    assert result.added == ["fritid-3"]  # Fritid has 1 and 2
    plan = load_plan(tmp_path / "plan")
    iv = next(iv for d, iv in plan.interventions() if d.id == "fritid" and iv.number == 3)
    assert iv.lines is None and iv.levels == ["universell"] and iv.risk_factors == ["skolmisslyckande"]
    assert (iv.min_age, iv.max_age) == (13, 16) and iv.goals == ["Fler klarar skolan.", "Fler läser."]
    assert iv.involves.actors == ["polisen", "region-vasterbotten"] and iv.places == ["alidhem"]
    assert iv.workbook.file == "ny.xlsx" and iv.workbook.cells["title"] == "Insatser!D48"
    g = graph(tmp_path / "plan")
    s = URIRef(ID + "intervention/fritid-3")
    assert (s, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), URIRef(ID + "workbook/" + result.sha256)) in g
    assert not list(g.objects(s, URIRef(UVTS + "sourceLines")))
    from uvts.graph.validate import validate_plans

    assert validate_plans([plan]) == []


# --- every problem at once, by cell ----------------------------------------------------------------------


def test_every_problem_is_reported_at_once_by_cell_and_nothing_is_written(umea_xlsx, tmp_path):
    def change(wb):
        ws = wb["Insatser"]
        h = header(ws)
        r4 = row_of(ws, "arbetsmarknad-och-integration-4")
        ws.cell(r4, h["Indikerad"]).value = "indikerat"           # a marker other than x
        ws.cell(r4, h["Ålder från"]).value = "tretton"            # an age that is not a number
        ws.cell(r4, h["Externa aktörer"]).value = "Polisn"       # unknown actor
        ws.cell(r4, h["Forum"]).value = "SSPFF"                   # unknown forum
        r5 = row_of(ws, "arbetsmarknad-och-integration-5")
        ws.cell(r5, h["Förvaltning"]).value = "Fritd"             # unknown department
        ws.cell(r5, h["Titel"]).value = None                      # missing title
        r6 = row_of(ws, "fritid-1")
        ws.cell(r6, 1).value = "fritid-2"                         # a duplicate id
        r = ws.max_row + 1
        ws.cell(r, h["Förvaltning"]).value = "Fritid"
        ws.cell(r, h["Nummer"]).value = 1                         # a reused id
        ws.cell(r, h["Titel"]).value = "Ny"
        ws.cell(r, h["Beskrivning"]).value = "Ny"
        ws.cell(r, h["Platser"]).value = "Ålidhemm"               # unknown place
        ws.cell(1, ws.max_column + 1).value = "Psykisk ohälsaa"   # unknown risk factor (an x column)
        ws.cell(r, ws.max_column).value = "x"
        wb["Förvaltningar"].cell(2, 3).value = "mycket pengar"   # text in a number column
        wb["Aktörer"].cell(2, 3).value = "polisväsende"          # unknown category
        a = wb["Aktörer"]
        a.cell(a.max_row + 1, 1).value = "fritid"                 # a row in the wrong sheet
        a.cell(a.max_row, 2).value = "Fritid"

    problems = problems_of(edited(umea_xlsx, tmp_path / "plan.xlsx", change), tmp_path)
    text = "\n".join(problems)
    expected = [
        r"plan\.xlsx › Insatser!I5: markera med x eller lämna tomt \(fick 'indikerat'\)",
        r"plan\.xlsx › Insatser!T5: Ålder från ska vara ett heltal \(fick 'tretton'\)",
        r"plan\.xlsx › Insatser!X5: okänd extern aktör 'Polisn'; menade du \"Polisen\"\?",
        r"plan\.xlsx › Insatser!Y5: okänd samverkansforum 'SSPFF'; menade du \"SSPF\"\?",
        r"plan\.xlsx › Insatser!B6: okänd förvaltning 'Fritd'; menade du \"Fritid\"\?",
        r"plan\.xlsx › Insatser!D6: Titel saknas men krävs",
        r"plan\.xlsx › Insatser!A\d+: id 'fritid-2' finns redan på rad \d+",
        r"plan\.xlsx › Insatser!C48: id 'fritid-1' används redan eller har använts; ett id återanvänds aldrig",
        r"plan\.xlsx › Insatser!AD1: okänd riskfaktor 'Psykisk ohälsaa'; menade du \"Psykisk ohälsa\"\?",
        r"plan\.xlsx › Förvaltningar!C2: Budgettillskott ska vara ett belopp i kronor",
        r"plan\.xlsx › Aktörer!C2: okänd kategori 'polisväsende'; menade du \"polis\"\?",
        r"plan\.xlsx › Aktörer!A\d+: 'fritid' är en förvaltning; raden hör hemma på bladet 'Förvaltningar'",
    ]
    for pattern in expected:
        assert re.search(pattern, text), f"{pattern}\n---\n{text}"


def test_the_cli_reports_problems_with_exit_1_and_writes_nothing(umea_xlsx, tmp_path):
    def change(wb):
        ws = wb["Insatser"]
        ws.cell(2, header(ws)["Ålder till"]).value = "femton"

    path = edited(umea_xlsx, tmp_path / "plan.xlsx", change)
    r = run_cli("excel", "import", str(path), "-o", str(tmp_path / "ut"))
    assert r.returncode == 1, r.stderr
    assert "plan.xlsx › Insatser!U2: Ålder till ska vara ett heltal (fick 'femton')" in r.stderr
    assert not (tmp_path / "ut").exists()


def _set_cached_formula(path: Path, sheet_no: int, coord: str, formula: str, cached: str | None) -> None:
    """Make cell ``coord`` a formula with (or without) a value Excel cached, as Excel saves it."""
    src = zipfile.ZipFile(path)
    name = f"xl/worksheets/sheet{sheet_no}.xml"
    items = {i.filename: src.read(i.filename) for i in src.infolist()}
    src.close()
    xml = items[name].decode()
    cell = re.search(rf'<c r="{coord}"[^>]*?(/>|>.*?</c>)', xml).group(0)
    value = f'<v>{cached}</v>' if cached is not None else "<v />"
    xml = xml.replace(cell, f'<c r="{coord}" t="str"><f>{formula}</f>{value}</c>')
    items[name] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for n, data in items.items():
            out.writestr(n, data)


def test_workbooks_as_people_make_them(umea_xlsx, tmp_path):
    """Formulas with cached values, amounts typed as text, trailing spaces, empty rows, extra and
    reordered columns: all read as meant."""
    def change(wb):
        ws = wb["Insatser"]
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        head = rows[0]
        order = list(reversed(range(len(head))))  # every column in reverse order
        ws.delete_rows(1, ws.max_row)
        out_row = 1
        for k, row in enumerate(rows):
            for j, src in enumerate(order, start=1):
                ws.cell(out_row, j).value = row[src]
            ws.cell(out_row, len(head) + 1).value = "Min egen kolumn" if k == 0 else "anteckning"
            out_row += 2 if k in (3, 10) else 1  # empty rows
        h = header(ws)
        r = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, h["Id"]).value == "fritid-1")
        ws.cell(r, h["Förvaltning"]).value = "Fritid   "
        ws.cell(r, h["Titel"]).value = "Utveckla På Ungas Hemmaplan   "
        f = wb["Förvaltningar"]
        r = next(r for r in range(2, f.max_row + 1) if f.cell(r, 1).value == "kultur")
        f.cell(r, 3).value = "1,5 mkr"

    path = edited(umea_xlsx, tmp_path / "plan.xlsx", change)
    _set_cached_formula(path, 1, "B5", 'UPPER("x")', "Utvecklingsarbete")  # Om planen › Titel, a formula
    result = import_workbook(path, tmp_path / "plan")
    plan = load_plan(tmp_path / "plan")
    assert plan.plan.title == "Utvecklingsarbete"
    assert next(d for d in plan.departments if d.id == "kultur").budget.amount == 1_500_000
    kultur = next(r for r, row in enumerate(load_workbook(path)["Förvaltningar"].iter_rows(values_only=True), start=1)
                  if row[0] == "kultur")
    assert sorted(result.changed) == [f"Förvaltningar!C{kultur}", "Om planen!B5"]
    g_before, g_after = graph(DEFAULT_DATA), graph(tmp_path / "plan")
    assert len(g_after) > len(g_before) - 5  # nothing lost but the two edited facts


def test_a_formula_without_a_cached_value_is_an_error(umea_xlsx, tmp_path):
    path = tmp_path / "plan.xlsx"
    shutil.copy(umea_xlsx, path)
    _set_cached_formula(path, 2, "D3", 'CONCAT("a","b")', None)
    problems = problems_of(path, tmp_path)
    assert any(p.startswith("plan.xlsx › Insatser!D3: formeln har inget sparat värde") for p in problems), problems


def test_a_renamed_sheet_is_named_by_the_sheet_expected(umea_xlsx, tmp_path):
    path = edited(umea_xlsx, tmp_path / "plan.xlsx", lambda wb: setattr(wb["Aktörer"], "title", "Blad1"))
    problems = problems_of(path, tmp_path)
    assert any("bladet 'Aktörer' saknas" in p and "'Blad1'" in p for p in problems), problems


def test_amounts_as_people_type_them():
    assert parse_amount("1,5 mkr") == 1_500_000
    assert parse_amount("500 000 kr") == 500_000
    assert parse_amount("200 tkr") == 200_000
    assert parse_amount("1.500.000") == 1_500_000
    assert parse_amount(1700000.0) == 1_700_000
    with pytest.raises(ValueError):
        parse_amount("mycket")


# --- refused files ------------------------------------------------------------------------------------------


def test_refused_files(umea_xlsx, tmp_path, monkeypatch):
    raw = umea_xlsx.read_bytes()

    def refused(name: str, data: bytes) -> str:
        p = tmp_path / name
        p.write_bytes(data)
        problems = problems_of(p, tmp_path)
        assert len(problems) == 1
        return problems[0]

    assert ".xls tas inte emot" in refused("plan.xls", raw)
    assert "makron" in refused("plan.xlsm", raw)
    assert "lösenordsskyddad" in refused("skyddad.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert "inte en Excel-arbetsbok" in refused("text.xlsx", b"hej")
    # a macro smuggled into an .xlsx
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/vbaProject.bin", b"\0" * 100)
    assert "makron" in refused("smuggel.xlsx", buf.getvalue())
    # a zip bomb: small packed, huge unpacked (limit lowered so that the test stays small)
    monkeypatch.setitem(workbook_read.LIMITS, "unpacked_bytes", 5 * 1024 * 1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b" " * (6 * 1024 * 1024))
    assert len(buf.getvalue()) < 100_000
    assert "packas upp till" in refused("bomb.xlsx", buf.getvalue())
    monkeypatch.setitem(workbook_read.LIMITS, "rows", 20)
    problems = problems_of(umea_xlsx, tmp_path)
    assert any("fler än 20 rader" in p for p in problems)


def test_the_limits_are_stated():
    assert workbook_read.LIMITS["unpacked_bytes"] == 100 * 1024 * 1024 and workbook_read.LIMITS["rows"] == 10000


# --- follow-up rounds: the Uppföljning sheet --------------------------------------------------------------


ROUND = """\
round:
  date: 2024-12-10
  title: Uppföljning hösten 2024
  reported_to: [umebra]
items:
  - intervention: arbetsmarknad-och-integration-3
    status: enligt-plan
    comment: Kurserna går som planerat.
    indicators:
      - {name: Antal deltagare, value: 67, unit: föräldrar, period: 2023-11/2024-06, source: Projektets redovisning}
      - {name: Antal barn, value: 95, unit: barn, period: 2023-11/2024-06}
  - intervention: fritid-1
    status: forsenad
    comment: Start flyttad till våren.
"""


def test_follow_up_rounds_export_and_import(data_copy, tmp_path):
    # only the hand-made round below (the plan's own round, data/uppfoljning, is covered by the round trip)
    shutil.rmtree(data_copy / "uppfoljning", ignore_errors=True)
    (data_copy / "uppfoljning").mkdir()
    (data_copy / "uppfoljning" / "2024-12-10.yaml").write_text(ROUND, encoding="utf-8")
    path = tmp_path / "plan.xlsx"
    export_workbook(load_plan(data_copy), path)
    ws = load_workbook(path)["Uppföljning"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert len(rows) == 3
    assert rows[0][:7] == [dt.datetime(2024, 12, 10), "Uppföljning hösten 2024", "arbetsmarknad-och-integration-3",
                           "enligt-plan", "Kurserna går som planerat.", "Antal deltagare", 67]
    assert rows[2][3] == "forsenad" and rows[2][5] is None
    # round trip: the same file
    import_workbook(path, tmp_path / "a")
    assert (tmp_path / "a/uppfoljning/2024-12-10.yaml").read_text(encoding="utf-8") == ROUND

    def change(wb):
        ws = wb["Uppföljning"]
        ws.cell(4, 4).value = "Avslutad"        # Swedish spelling of a status: read as avslutad
        ws.cell(2, 7).value = "70"              # a number typed as text
        r = ws.max_row + 1
        for c, v in enumerate([dt.datetime(2025, 6, 1), "Våren 2025", "kultur-1", "ej-paborjad"], start=1):
            ws.cell(r, c).value = v

    import_workbook(edited(path, tmp_path / "b.xlsx", change), tmp_path / "b")
    autumn = yaml.safe_load((tmp_path / "b/uppfoljning/2024-12-10.yaml").read_text(encoding="utf-8"))
    assert autumn["items"][1]["status"] == "avslutad"
    assert autumn["items"][0]["indicators"][0]["value"] == 70
    assert autumn["items"][0]["indicators"][1] == {"name": "Antal barn", "value": 95, "unit": "barn", "period": "2023-11/2024-06"}
    spring = yaml.safe_load((tmp_path / "b/uppfoljning/2025-06-01.yaml").read_text(encoding="utf-8"))
    assert spring == {"round": {"date": dt.date(2025, 6, 1), "title": "Våren 2025"},
                      "items": [{"intervention": "kultur-1", "status": "ej-paborjad"}]}

    def wrong(wb):
        ws = wb["Uppföljning"]
        ws.cell(2, 3).value = "kultur-99"      # unknown intervention
        ws.cell(3, 4).value = "försenat"       # unknown status
        ws.cell(3, 7).value = "många"          # not a number
        ws.cell(4, 1).value = "i höstas"       # not a date

    problems = "\n".join(problems_of(edited(path, tmp_path / "c.xlsx", wrong), tmp_path))
    assert "c.xlsx › Uppföljning!C2: okänd insats 'kultur-99'" in problems
    assert re.search(r"c\.xlsx › Uppföljning!D3: okänd status 'försenat'; menade du \"forsenad\"\?", problems)
    assert "c.xlsx › Uppföljning!G3: Värde ska vara ett tal" in problems
    assert "c.xlsx › Uppföljning!A4: ett datum som 2024-12-10" in problems


def test_import_publish_and_the_versions_diff_shows_only_the_edited_fact(data_copy, tmp_path):
    import json

    env = {"UVTS_HOME": str(tmp_path / "home")}
    r = run_cli("build", "--data", str(data_copy), "-m", "Planen som antagen", env=env)
    assert r.returncode == 0, r.stderr
    r = run_cli("excel", "export", "--data", str(data_copy), "-o", str(tmp_path / "plan.xlsx"), env=env)
    assert r.returncode == 0, r.stderr
    wb = load_workbook(tmp_path / "plan.xlsx")
    om = {row[0].value: row[1].value for row in wb["Om planen"].iter_rows(min_row=2)}
    versions = json.loads(run_cli("versions", "--format", "json", env=env).stdout)
    assert om["Exporterad från version"] == versions[0]["id"]  # the published version it came from

    def change(wb):
        ws = wb["Insatser"]
        ws.cell(row_of(ws, "sakerhet-1"), header(ws)["Titel"]).value = "Trygghetsvandringar i alla stadsdelar"

    path = edited(tmp_path / "plan.xlsx", tmp_path / "ändrad.xlsx", change)
    r = run_cli("excel", "import", str(path), "-o", str(data_copy), "--data", str(data_copy), "--publish",
                "-m", "Ny titel från Excel", env=env)
    assert r.returncode == 0, r.stderr
    assert "Publicerade version" in r.stdout
    versions = json.loads(run_cli("versions", "--format", "json", env=env).stdout)
    newest = versions[0]
    assert newest["message"] == "Ny titel från Excel"
    assert newest["source"]["kind"] == "workbook" and newest["source"]["name"] == "ändrad.xlsx"
    assert newest["source"]["sha256"] == __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    diff = json.loads(run_cli("diff", "--format", "json", env=env).stdout)
    assert [(c["kind"], c["type"], c["id"], c["field"], c["after"]) for c in diff["changes"]] == [
        ("changed", "intervention", "sakerhet-1", "title", "Trygghetsvandringar i alla stadsdelar")]


FIRST_ROUND = """\
# The plan's own stated results.
round:
  date: 2024-05-31
  title: Planens egna redovisade resultat
  reported_to: [umebra]
  lines: "84-86"
  note: Planen är inte daterad.
items:
  - intervention: arbetsmarknad-och-integration-3
    comment: Salam familj växer har hittills nått 67 föräldrar och 95 barn.
    lines: "297-299"
    indicators:
      - name: Antal nådda föräldrar
        value: 67
        unit: föräldrar
        period: 2023-11/2024-05
        lines: "297-299"
        note: Planen säger "hittills".
"""


def test_a_round_without_status_and_with_source_lines_round_trips(data_copy, tmp_path):
    """The follow-up module's first round (the plan's own results): no status, lines and notes kept."""
    shutil.rmtree(data_copy / "uppfoljning", ignore_errors=True)
    (data_copy / "uppfoljning").mkdir()
    (data_copy / "uppfoljning" / "2024-05-31.yaml").write_text(FIRST_ROUND, encoding="utf-8")
    path = tmp_path / "plan.xlsx"
    export_workbook(load_plan(data_copy), path)
    import_workbook(path, tmp_path / "a")
    assert (tmp_path / "a/uppfoljning/2024-05-31.yaml").read_text(encoding="utf-8") == FIRST_ROUND

    def change(wb):
        wb["Uppföljning"].cell(2, 7).value = 70

    import_workbook(edited(path, tmp_path / "b.xlsx", change), tmp_path / "b")
    data = yaml.safe_load((tmp_path / "b/uppfoljning/2024-05-31.yaml").read_text(encoding="utf-8"))
    ind = data["items"][0]["indicators"][0]
    assert ind["value"] == 70 and ind["lines"] == "297-299" and ind["note"] == 'Planen säger "hittills".'
    assert data["round"]["lines"] == "84-86" and "status" not in data["items"][0]


def test_nothing_in_a_workbook_is_fetched_or_read(umea_xlsx, tmp_path, monkeypatch):
    """A formula that points at a web address and at a file on disk: its cached value is read,
    nothing is fetched, the file is never opened."""
    import builtins
    import socket

    secret = tmp_path / "hemlig.xlsx"
    secret.write_bytes(b"")
    path = tmp_path / "plan.xlsx"
    shutil.copy(umea_xlsx, path)
    _set_cached_formula(path, 1, "B5", f"WEBSERVICE(&quot;http://example.org/x&quot;)&amp;'{secret}'!A1", "Ny titel")

    def no_network(*args, **kwargs):
        raise AssertionError("the import tried to use the network")

    opened = []
    real_open = builtins.open

    def recording_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(builtins, "open", recording_open)
    result = import_workbook(path, tmp_path / "plan")
    assert result.changed == ["Om planen!B5"]
    assert load_plan(tmp_path / "plan").plan.title == "Ny titel"
    assert not any("hemlig" in name for name in opened)
