"""The report's "Uppföljning" section in all four formats, on the hand-made plan with two rounds."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from uvts.graph.store import open_store
from uvts.visualisations.report import build_document, render_document
from uvts.visualisations.report_document import iter_sections

FIXTURE = Path(__file__).parent / "fixtures" / "follow-up-plan"
DATE = "2025-01-15"


@pytest.fixture(scope="module")
def store():
    s, _ = open_store([FIXTURE], kind="memory")
    return s


@pytest.fixture(scope="module")
def doc(store):
    return build_document(store, date=DATE)


def _section(doc, id):
    return next(s for s in iter_sections(doc["sections"]) if s["id"] == id)


def _tables(section):
    return [b["table"] for b in section["blocks"] if b["type"] == "table"]


def test_section_parts(doc):
    top = _section(doc, "uppfoljning")
    assert top["title"] == "Uppföljning" and top["level"] == 1
    assert [s["id"] for s in top["sections"]] == ["uppfoljning-status", "uppfoljning-forsenade", "uppfoljning-saknas",
                                                  "uppfoljning-kedjan", "uppfoljning-indikatorer"]
    by_dept, by_rf = _tables(_section(doc, "uppfoljning-status"))
    assert [c["label"] for c in by_dept["columns"]] == ["Förvaltning", "✓ Enligt plan", "! Försenad", "✕ Avbruten", "Totalt"]
    assert by_dept["rows"] == [["Skolan", 0, 1, 0, 1], ["Socialtjänsten", 1, 0, 1, 2]]
    assert by_rf["rows"] == [["Psykisk ohälsa", 1, 0, 1, 2], ["Skolmisslyckande", 0, 1, 0, 1]]
    [late] = _tables(_section(doc, "uppfoljning-forsenade"))
    assert late["rows"] == [["Skolan 1", "Läxhjälp", "! Försenad", "Två av tre tjänster är inte tillsatta."],
                            ["Socialtjänsten 1", "Samtalsgrupper", "✕ Avbruten", "Ingen lokal att vara i efter ombyggnaden."]]
    [missing] = _tables(_section(doc, "uppfoljning-saknas"))
    assert missing["rows"] == [["Skolan 2", "Elevhälsa i samverkan", "Skolan"]]
    [chain] = _tables(_section(doc, "uppfoljning-kedjan"))
    assert chain["rows"][1][:1] == ["Skolan 2"] and chain["rows"][1][6] == "nej"
    ind = _section(doc, "uppfoljning-indikatorer")
    figures = [b for b in ind["blocks"] if b["type"] == "figure"]
    assert [f["chart"] for f in figures] == ["trend-skola-1--antal-elever", "trend-social-2--antal-foraldrar"]
    assert all(f["svg"] and f["svg"].startswith(b"<?xml") for f in figures)


def test_markdown(doc):
    md = render_document(doc, "md").decode("utf-8")
    part = md.split("## Uppföljning")[1].split("\n## ")[0]
    assert "| **Skolan** | 0 | 1 | 0 | 1 |" in part
    assert "Två av tre tjänster är inte tillsatta." in part and "| Skolan 2 | Elevhälsa i samverkan | Skolan |" in part
    assert "| Socialtjänsten 2 | Antal föräldrar | 2024-12-31 | 8,5 | föräldrar |" in part


def test_html_embeds_trend_charts(doc):
    html = render_document(doc, "html").decode("utf-8")
    assert 'id="uppfoljning"' in html
    assert html.count('id="diagram-trend-') == 2
    assert "Ingen lokal att vara i efter ombyggnaden." in html


def test_xlsx_sheets(doc):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(render_document(doc, "xlsx")))
    for sheet in ("Uppföljning förvaltning", "Uppföljning riskfaktor", "Uppföljning försenade", "Uppföljning saknas",
                  "Kedjan", "Uppföljning indikatorer"):
        assert sheet in wb.sheetnames, wb.sheetnames
    cells = [c for row in wb["Uppföljning försenade"].iter_rows(values_only=True) for c in row if c is not None]
    assert "Två av tre tjänster är inte tillsatta." in cells
    values = [c for row in wb["Uppföljning indikatorer"].iter_rows(values_only=True) for c in row]
    assert 8.5 in values and 14 in values


def test_pdf(doc, tmp_path):
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext saknas: kör bash scripts/setup.sh --test"
    path = tmp_path / "r.pdf"
    path.write_bytes(render_document(doc, "pdf"))
    text = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert "Uppföljning" in text and "Försenat eller avbrutet (2)" in text
    assert re.search(r"Läxhjälp\s+! Försenad\s+Två av tre tjänster", text)
    assert "Kedjan från problem till resultat" in text


def test_umea_report_says_the_plan_gives_no_status(tmp_path):
    from uvts.graph.paths import DEFAULT_DATA

    s, _ = open_store([DEFAULT_DATA], kind="memory")
    d = build_document(s, date=DATE, charts=False)
    top = _section(d, "uppfoljning")
    text = " ".join(b["text"] for b in top["blocks"] if b["type"] == "paragraph")
    assert "4 av 4 poster anger ingen status" in text
    assert "Planens egna redovisade resultat" in text
    assert _section(d, "uppfoljning-saknas")["title"] == "Inte uppföljt (42)"
