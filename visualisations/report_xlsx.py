"""The report as an Excel workbook (openpyxl): one sheet per table, for people who work in Excel.

Each sheet: the table's title (row 1), its explanation (row 2), the report's date and
data version (row 3), then the header (row :data:`HEADER_ROW`) and the rows. Numbers are
numbers (kronor with a thousands format, scores with three decimals), so a matrix can be
summed and charted in Excel; the header row (and, for matrices, the first column) is
frozen; column widths follow the content. Printing repeats the header row and puts the
date, data version and "Sida N av M" in the footer of every page.

Text from the data is always written as text: a title that begins with ``=`` stays a
string, never a formula (:func:`text_cell`), and characters that XML cannot hold are
dropped. The file is deterministic: the document properties carry the report's date, and
every part of the zip gets the same timestamp, so the same data and date give the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile

__all__ = ["render_xlsx", "sheet_name", "text_cell", "HEADER_ROW", "FIRST_DATA_ROW"]

HEADER_ROW = 5
FIRST_DATA_ROW = HEADER_ROW + 1
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_TEXT = 32767


def sheet_name(title: str, used: set[str]) -> str:
    """A valid, unique sheet name (at most 31 characters, none of ``[]:*?/\\``).

    >>> sheet_name("Budget: riskfaktor × förvaltning [kr]", set())
    'Budget riskfaktor × förvaltning'
    """
    name = " ".join(_BAD_SHEET_CHARS.sub(" ", title).split()).strip("'") or "Blad"
    name = name[:31].rstrip()
    candidate, n = name, 2
    while candidate.casefold() in {u.casefold() for u in used}:
        suffix = f" {n}"
        candidate = name[: 31 - len(suffix)].rstrip() + suffix
        n += 1
    used.add(candidate)
    return candidate


def _clean(text: str) -> str:
    text = _ILLEGAL.sub("", str(text))
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def text_cell(ws, row: int, column: int, text: str):
    """Write ``text`` as a string cell, whatever it looks like (``=SUMMA(…)`` stays text)."""
    cell = ws.cell(row=row, column=column)
    cell.value = _clean(text)
    cell.data_type = "s"  # openpyxl would otherwise store a leading "=" as a formula
    return cell


_NUMBER_FORMATS = {"integer": "#,##0", "sek": "#,##0", "score": "0.000", "number": "#,##0.##"}


def _write_value(ws, row: int, column: int, value, typ: str):
    from openpyxl.styles import Alignment

    if value is None:
        return ws.cell(row=row, column=column)
    if typ in ("list", "names"):
        items = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        cell = text_cell(ws, row, column, ("\n" if typ == "list" else ", ").join(items))
        if typ == "list" and len(items) > 1:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell
    if isinstance(value, bool):
        return text_cell(ws, row, column, "ja" if value else "nej")
    if isinstance(value, (int, float)):
        cell = ws.cell(row=row, column=column, value=value)
        fmt = _NUMBER_FORMATS.get(typ)
        if typ == "number" and isinstance(value, float) and not value.is_integer():
            fmt = "#,##0.00"
        if fmt:
            cell.number_format = fmt
        return cell
    return text_cell(ws, row, column, str(value))


def _width(value, typ: str) -> int:
    if value is None:
        return 0
    if isinstance(value, (list, tuple)):
        if typ == "list":
            return max((len(str(v)) for v in value), default=0)
        return len(", ".join(str(v) for v in value))
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    if isinstance(value, int):
        return len(f"{value:,}")
    return len(str(value))


def _sheet(wb, table: dict, doc: dict, used: set[str]):
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(sheet_name(table.get("sheet") or table["title"], used))
    stamp = f"{doc['title']} · {doc['subtitle']} · Datum {doc['date']} · Dataversion {doc['data_version']}"
    text_cell(ws, 1, 1, table["title"]).font = Font(bold=True, size=13, color="1F5F95")
    if table.get("explanation"):
        text_cell(ws, 2, 1, table["explanation"]).font = Font(italic=True, color="555555")
    text_cell(ws, 3, 1, stamp).font = Font(size=9, color="777777")
    head_font = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="E4ECF4")
    rule = Border(bottom=Side(style="medium", color="1F5F95"))
    widths = []
    for k, col in enumerate(table["columns"], start=1):
        cell = text_cell(ws, HEADER_ROW, k, col["label"])
        cell.font, cell.fill, cell.border = head_font, head_fill, rule
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        widths.append(min(len(col["label"]), 24))
    for r, row in enumerate(table["rows"], start=FIRST_DATA_ROW):
        for k, (value, col) in enumerate(zip(row, table["columns"]), start=1):
            cell = _write_value(ws, r, k, value, col["type"])
            if k == 1 and table.get("row_header"):
                cell.font = head_font
            widths[k - 1] = max(widths[k - 1], _width(value, col["type"]))
    for k, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(k)].width = max(8, min(w + 2, 60))
    first_col = "B" if table.get("row_header") else "A"
    ws.freeze_panes = f"{first_col}{FIRST_DATA_ROW}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape" if len(table["columns"]) > 6 else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.left.text = f"Datum {doc['date']} · Dataversion {doc['data_version']}"
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = "Sida &P av &N"
    ws.oddFooter.right.size = 8
    ws.oddHeader.left.text = _clean(doc["title"]).replace("&", "&&")
    ws.oddHeader.left.size = 8
    return ws


def _fixed_zip(data: bytes, date: _dt.date) -> bytes:
    """The same zip with every member stamped with ``date`` (deterministic bytes)."""
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def render_xlsx(doc: dict) -> bytes:
    """The document's tables (``doc["sheets"]``) as an XLSX workbook, one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    date = _dt.date.fromisoformat(doc["date"])
    when = _dt.datetime(date.year, date.month, date.day)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for table in doc["sheets"]:
        _sheet(wb, table, doc, used)
    props = wb.properties
    props.title = _clean(f"{doc['title']} – {doc['subtitle']}")
    props.subject = _clean(doc["subtitle"])
    props.creator = "Samverkanskartan (uvts)"
    props.lastModifiedBy = "Samverkanskartan (uvts)"
    props.description = f"Datum {doc['date']}, dataversion {doc['data_version']}"
    props.language = "sv-SE"
    props.created = when
    props.modified = when
    buf = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook would stamp "modified" with the clock
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()
    return _fixed_zip(buf.getvalue(), date)
