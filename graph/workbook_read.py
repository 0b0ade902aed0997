"""Open an uploaded workbook safely and read its cells as plain values.

Refused before anything is parsed: a file that is not .xlsx (.xls, .xlsm and others), a
password-protected workbook (stored as an encrypted OLE2 file), a workbook with macros, a
zip whose unpacked size or member count is over a limit, and a file over a size limit.
Sheets are read in openpyxl's streaming read-only mode (XML parsed through defusedxml when
it is installed), twice: once for the values Excel cached for formulas, once to see which
cells are formulas. Nothing is evaluated, executed or fetched (external links are dropped).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DataError

__all__ = ["CellProblem", "WorkbookError", "Cell", "Sheet", "read_workbook", "check_container", "LIMITS"]

LIMITS = {
    "file_bytes": 20 * 1024 * 1024,       # the .xlsx as uploaded
    "unpacked_bytes": 100 * 1024 * 1024,  # every member of the zip, unpacked
    "members": 1000,                      # files in the zip
    "rows": 10000,                        # rows with content in one sheet
    "columns": 200,                       # columns read in one row
}


@dataclass(frozen=True)
class CellProblem:
    """One problem in a workbook: ``plan.xlsx › Insatser!F12: meddelande``.

    >>> print(CellProblem("plan.xlsx", "Insatser", "T2", "Ålder från ska vara ett heltal (fick 'tjugo')"))
    plan.xlsx › Insatser!T2: Ålder från ska vara ett heltal (fick 'tjugo')
    """

    file: str
    sheet: str | None
    cell: str | None
    message: str
    line: int | None = None  # the shape of :class:`uvts.graph.errors.Problem`, so every command prints it
    field: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.sheet:
            where += f" › {self.sheet}" + (f"!{self.cell}" if self.cell else "")
        return f"{where}: {self.message}"


class WorkbookError(DataError):
    """The workbook has problems; :attr:`problems` lists every one (nothing was written)."""


@dataclass(frozen=True)
class Cell:
    sheet: str
    coord: str
    value: Any  # str (stripped, never empty), int, float, datetime, bool, or None

    @property
    def ref(self) -> str:
        return f"{self.sheet}!{self.coord}"


@dataclass
class Sheet:
    name: str
    rows: list[dict[int, "Cell"]] = field(default_factory=list)  # non-empty rows, headers first; column number -> cell
    row_numbers: list[int] = field(default_factory=list)


def _refuse(name: str, message: str) -> WorkbookError:
    return WorkbookError([CellProblem(name, None, None, message)])


def check_container(raw: bytes, name: str) -> None:
    """Refuse what must not be opened: wrong type, password, macros, zip bombs, size."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise _refuse(name, "det gamla formatet .xls tas inte emot; öppna filen i Excel och spara den som "
                            "Excel-arbetsbok (.xlsx)")
    if suffix in (".xlsm", ".xltm", ".xlsb"):
        raise _refuse(name, f"arbetsböcker med makron eller binärformat ({suffix}) tas inte emot; spara som "
                            "Excel-arbetsbok (.xlsx)")
    if suffix != ".xlsx":
        raise _refuse(name, "filen ska vara en Excel-arbetsbok (.xlsx)")
    if len(raw) > LIMITS["file_bytes"]:
        raise _refuse(name, f"filen är {len(raw) // (1024 * 1024)} MB; högst {LIMITS['file_bytes'] // (1024 * 1024)} MB "
                            "tas emot")
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _refuse(name, "arbetsboken är lösenordsskyddad (krypterad) eller i det gamla .xls-formatet; ta bort "
                            "lösenordet (Arkiv › Info › Skydda arbetsbok) och spara som .xlsx")
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise _refuse(name, "filen är inte en Excel-arbetsbok (.xlsx) eller är skadad") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > LIMITS["members"]:
            raise _refuse(name, f"arbetsboken innehåller {len(infos)} delar; högst {LIMITS['members']} tas emot")
        total = sum(i.file_size for i in infos)
        if total > LIMITS["unpacked_bytes"]:
            raise _refuse(name, f"arbetsboken packas upp till {total // (1024 * 1024)} MB; högst "
                                f"{LIMITS['unpacked_bytes'] // (1024 * 1024)} MB tas emot")
        names = {i.filename.lower() for i in infos}
        if any(n.endswith("vbaproject.bin") for n in names):
            raise _refuse(name, "arbetsboken innehåller makron; spara den som Excel-arbetsbok (.xlsx) utan makron")
        if "xl/workbook.xml" not in names:
            raise _refuse(name, "filen är inte en Excel-arbetsbok (.xlsx); den saknar xl/workbook.xml")


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").strip()
        return value or None
    if isinstance(value, _dt.time):
        return value.isoformat()
    return value


def read_workbook(raw: bytes, name: str, wanted: set[str] | None = None) -> tuple[dict[str, Sheet], list[str], list[CellProblem], str]:
    """The workbook's visible sheets (and the ``wanted`` hidden ones), its sheet names in order,
    problems found while reading (formulas without a cached value, too many rows) and its
    SHA-256 checksum."""
    check_container(raw, name)
    from openpyxl import load_workbook

    sha = hashlib.sha256(raw).hexdigest()
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:  # a second pass only when some sheet has a formula
        has_formulas = any(re.search(rb"<(\w+:)?f[ >/]", zf.read(i.filename))
                           for i in zf.infolist() if i.filename.startswith("xl/worksheets/"))
    try:
        values = load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
        formulas = load_workbook(io.BytesIO(raw), read_only=True, data_only=False, keep_links=False) \
            if has_formulas else values
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise _refuse(name, f"arbetsboken kan inte läsas ({type(exc).__name__}); öppna den i Excel och spara den "
                            "som .xlsx igen") from None
    problems: list[CellProblem] = []
    sheets: dict[str, Sheet] = {}
    try:
        order = list(values.sheetnames)
        for title in order:
            ws_v = values[title]
            ws_f = formulas[title] if formulas is not values else None
            if ws_v.sheet_state != "visible" and title not in (wanted or set()):
                continue
            sheet = Sheet(title)
            count = 0
            rows_v = ws_v.iter_rows(max_col=LIMITS["columns"])
            rows_f = ws_f.iter_rows(max_col=LIMITS["columns"]) if ws_f is not None else None
            for row_v in rows_v:
                row_f = next(rows_f) if rows_f is not None else row_v
                cells: dict[int, Cell] = {}
                rownum = None
                for cv, cf in zip(row_v, row_f):
                    if getattr(cv, "column", None) is None:  # an EmptyCell of the streaming reader
                        continue
                    rownum = cv.row
                    value = _plain(cv.value)
                    if cf is not cv and getattr(cf, "data_type", None) == "f" and value is None:
                        problems.append(CellProblem(name, title, cv.coordinate,
                                                    "formeln har inget sparat värde; öppna arbetsboken i Excel och "
                                                    "spara den igen, eller skriv in värdet i stället för formeln"))
                    if value is not None:
                        cells[cv.column] = Cell(title, cv.coordinate, value)
                if not cells or rownum is None:
                    continue
                count += 1
                if count > LIMITS["rows"]:
                    problems.append(CellProblem(name, title, None, f"bladet har fler än {LIMITS['rows']} rader med "
                                                                   "innehåll; dela upp planen eller ta bort tomma rader"))
                    break
                sheet.rows.append(cells)
                sheet.row_numbers.append(rownum)
            sheets[title] = sheet
    finally:
        values.close()
        if formulas is not values:
            formulas.close()
    return sheets, order, problems, sha
