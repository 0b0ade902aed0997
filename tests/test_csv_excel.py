"""One CSV dialect for every CSV the tool writes: semicolons, UTF-8 with BOM, no formulas for Excel."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from conftest import run_cli
from uvts.api.pages import _excel_csv
from uvts.graph.csvfile import csv_bytes, safe_cell

DANGEROUS = ("=", "+", "-", "@")


def rows_of(data: bytes, crlf: bool = True) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    text = data.decode("utf-8-sig")
    assert "\r\n" in text or not crlf
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def formula_cells(rows) -> list[str]:
    return [c for r in rows for c in r if c.startswith(DANGEROUS) and not c.lstrip("+-").replace(",", "").isdigit()]


def test_safe_cell():
    assert safe_cell('=HYPERLINK("http://x","klicka")') == '\'=HYPERLINK("http://x","klicka")'
    assert safe_cell("+46 90 16 10 00") == "'+46 90 16 10 00"
    assert safe_cell("-rubrik") == "'-rubrik" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-3") == "-3" and safe_cell("-1,5") == "-1,5"  # numbers stay numbers
    assert safe_cell("Psykisk ohälsa") == "Psykisk ohälsa" and safe_cell(None) == ""
    assert rows_of(csv_bytes([["a;b", "c"]])) == [["a;b", "c"]]


@pytest.fixture
def planted(data_copy):
    """The plan with titles and notes that Excel would read as formulas."""
    for path in (data_copy / "departments").glob("*.yaml"):
        prefixes = iter(DANGEROUS)
        text = re.sub(r"\n    title: (?![>|])", lambda m: f"\n    title: '{next(prefixes, '')}PLANTED(1)' #",
                      path.read_text(encoding="utf-8"))
        path.write_text(text, encoding="utf-8")
    return data_copy


def test_query_csv_is_for_excel_and_never_a_formula(planted, tmp_path):
    r = run_cli("query", "--data", str(planted), "--store", "memory", "--format", "csv", "--sparql",
                "PREFIX uvts: <https://w3id.org/uvts/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
                "SELECT ?t ?n WHERE { ?i a uvts:Intervention ; dcterms:title ?t ; uvts:budgetAddition|uvts:sequenceNumber ?n }",
                env={"UVTS_HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    rows = rows_of(r.stdout.encode("utf-8"), crlf=False)  # (run_cli reads text: line ends are folded)
    planted_cells = [c for row in rows for c in row if "PLANTED" in c]
    assert sum(c.startswith("'") for c in planted_cells) >= 4 * 3
    assert formula_cells(rows) == []


def test_analyse_csv_is_for_excel_and_never_a_formula(planted, tmp_path):
    target = tmp_path / "a.csv"
    r = run_cli("analyse", "all", "--data", str(planted), "--store", "memory", "--format", "csv", "-o", str(target),
                env={"UVTS_HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    rows = rows_of(target.read_bytes())
    assert any("PLANTED" in c for row in rows for c in row)
    assert formula_cells(rows) == []


def test_question_page_download_is_for_excel():
    body = json.dumps({"head": {"vars": ["titel", "belopp"]}, "results": {"bindings": [
        {"titel": {"type": "literal", "value": "=cmd|' /C calc'!A0"},
         "belopp": {"type": "literal", "value": "1700000.5", "datatype": "http://www.w3.org/2001/XMLSchema#decimal"}},
    ]}}).encode()
    rows = rows_of(_excel_csv("application/sparql-results+json", body))
    assert rows == [["titel", "belopp"], ["'=cmd|' /C calc'!A0", "1700000,5"]]
