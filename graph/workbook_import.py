"""The workbook back into a plan folder: every problem at once, by cell; nothing written on any.

The workbook carries the plan folder it was exported from (the hidden sheet, see
:mod:`uvts.graph.workbook`). Each row is compared with it: a fact left unchanged keeps its
YAML as it was (source lines and notes included; a file with no change is written back byte
for byte), a fact edited or added in the workbook gets a ``workbook`` entry naming the
workbook, its SHA-256 checksum and, per field, the cell it came from. The output is
deterministic: the same workbook gives the same files.
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import difflib
import os
import re
import shutil
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from .errors import DataError
from .load import PlanData, load_plan
from .models import ACTOR_CATEGORIES, PLACE_KINDS, parse_line_ranges
from .namespaces import slugify
from .workbook import (CATEGORY_SV, HEADERS, HIDDEN_MARK, HIDDEN_SHEET, INSATSER_EXTRA, INSATSER_HEAD, INSATSER_TAIL,
                       KIND_SV, SHEETS, STATUSES)
from .workbook_read import Cell, CellProblem, Sheet, WorkbookError, read_workbook

__all__ = ["import_workbook", "read_plan_workbook", "ImportResult", "WorkbookError", "CellProblem", "parse_amount"]

_RANGES = re.compile(r"^\d+(-\d+)?(, \d+(-\d+)?)*$")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_REQUIRED = {
    "Insatser": INSATSER_HEAD + ("Mål", "Uppföljning", "Målgrupp", "Ålder från", "Ålder till", "Platser",
                                 "Medverkande förvaltningar", "Externa aktörer", "Forum"),
    "Riskfaktorer": ("Id", "Namn", "Definition"),
    "Förvaltningar": ("Id", "Namn", "Budgettillskott"),
    "Aktörer": ("Id", "Namn", "Kategori"),
    "Forum": ("Id", "Namn", "Syfte", "Medlemmar"),
    "Platser": ("Id", "Namn", "Typ"),
    "Budget": ("Förvaltning", "Belopp", "Syfte"),
    "Uppföljning": HEADERS["Uppföljning"][:10],
    "Om planen": ("Uppgift", "Värde"),
}
_DATA_SHEETS = [s for s in SHEETS if s != "Instruktioner"]
_CATEGORY = {v: k for k, v in CATEGORY_SV.items()}
_KIND = {v: k for k, v in KIND_SV.items()}
_SET_FIELDS = {"levels", "risk_factors", "other_links", "places", "involves.departments", "involves.actors",
               "involves.forums", "same_activity_as", "members.departments", "members.actors", "alt_names",
               "alt_labels.sv", "interventions", "reported_to"}
_KIND_SHEET = {"department": "Förvaltningar", "actor": "Aktörer", "forum": "Forum", "place": "Platser",
               "risk_factor": "Riskfaktorer", "intervention": "Insatser"}
_KIND_SV = {"department": "en förvaltning", "actor": "en extern aktör", "forum": "ett forum", "place": "en plats",
            "risk_factor": "en riskfaktor", "intervention": "en insats"}


@dataclass
class ImportResult:
    """What an import wrote."""

    folder: Path
    file: str
    sha256: str
    plan_id: str
    interventions: int
    changed: list[str] = field(default_factory=list)  # cells of facts added or edited ("Insatser!D12")
    added: list[str] = field(default_factory=list)     # ids of interventions added
    removed: list[str] = field(default_factory=list)   # ids of interventions removed


def _near(value: str, pool) -> str | None:
    """A near miss for ``value`` in ``pool`` (similar spelling, or one starts with the other)."""
    pool = list(pool)
    near = difflib.get_close_matches(value, pool, n=1, cutoff=0.6)
    if near:
        return near[0]
    folded = value.casefold()
    starts = [p for p in pool if folded.startswith(p.casefold()) or p.casefold().startswith(folded)]
    return max(starts, key=len) if starts else None


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def parse_amount(value: Any) -> int | None:
    """Kronor from a cell: a number, or text as people type it ("1,5 mkr", "500 000 kr", "200 tkr").

    >>> parse_amount("1,5 mkr"), parse_amount("500 000 kr"), parse_amount("200 tkr"), parse_amount(1700000.0)
    (1500000, 500000, 200000, 1700000)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        return int(round(value))
    text = str(value).casefold().replace("\u202f", " ").replace("\u2009", " ").strip()
    m = re.fullmatch(r"([0-9][0-9 .,]*)\s*(mkr|miljoner|milj\.?|mn|tkr|tusen|kr\.?|kronor|sek|:-)?", text)
    if not m:
        raise ValueError
    number, unit = m.group(1).replace(" ", ""), m.group(2) or ""
    if "," in number:
        number = number.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", number):
        number = number.replace(".", "")
    scale = 1_000_000 if unit.startswith(("m", "mn")) else 1000 if unit in ("tkr", "tusen") else 1
    return int(round(float(number) * scale))


def _number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        return value
    text = str(value).replace(" ", "").replace("\u202f", "")
    if not re.fullmatch(r"[-+]?\d+([.,]\d+)?", text):
        raise ValueError
    num = float(text.replace(",", "."))
    return int(num) if num.is_integer() else num


# --- the reader -------------------------------------------------------------------------------------------


class _Book:
    """The parsed workbook with its problems; every check adds to :attr:`problems` and goes on."""

    def __init__(self, name: str, sha: str, sheets: dict[str, Sheet], order: list[str]):
        self.name, self.sha, self.sheets, self.order = name, sha, sheets, order
        self.problems: list[CellProblem] = []

    def problem(self, cell: Cell | None, message: str, sheet: str | None = None, coord: str | None = None):
        if cell is not None:
            sheet, coord = cell.sheet, cell.coord
        self.problems.append(CellProblem(self.name, sheet, coord, message))

    def table(self, sheet: str) -> list[tuple[int, dict[str, Cell], Cell]]:
        """Rows of a sheet as header -> cell (headers matched after trimming, case-insensitively)."""
        ws = self.sheets.get(sheet)
        if ws is None or not ws.rows:
            if ws is not None:
                self.problem(None, "bladet är tomt; rubrikraden saknas", sheet, "A1")
            return []
        head = ws.rows[0]
        known = {_norm(h): h for h in _REQUIRED.get(sheet, ()) + HEADERS.get(sheet, ())}
        if sheet == "Insatser":
            known.update({_norm(h): h for h in INSATSER_TAIL + INSATSER_EXTRA})
        columns: dict[int, str] = {}
        seen: dict[str, Cell] = {}
        for col, cell in head.items():
            title = str(cell.value)
            canon = known.get(_norm(title), title)
            if canon in seen:
                self.problem(cell, f"kolumnen '{canon}' finns två gånger (också i {seen[canon].coord}); ta bort den ena")
                continue
            seen[canon] = cell
            columns[col] = canon
        for req in _REQUIRED.get(sheet, ()):
            if req not in seen:
                near = difflib.get_close_matches(req, [str(c.value) for c in head.values()], n=1, cutoff=0.6)
                hint = f'; menade du "{near[0]}"? Döp tillbaka rubriken' if near else ""
                self.problem(None, f"kolumnen '{req}' saknas i rubrikraden{hint}", sheet, "A1")
        self.columns = getattr(self, "columns", {})
        self.columns[sheet] = columns
        self.headers = getattr(self, "headers", {})
        self.headers[sheet] = seen
        out = []
        for row in ws.rows[1:]:
            named = {columns[c]: cell for c, cell in row.items() if c in columns}
            first = next(iter(row.values()))
            out.append((int(re.sub(r"\D", "", first.coord)), named, first))
        return out

    # cell readers: each returns a value, or reports a problem and returns None

    def text(self, cell: Cell | None) -> str | None:
        if cell is None:
            return None
        v = cell.value
        if isinstance(v, bool):
            return "x" if v else None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, _dt.datetime):
            return v.date().isoformat() if v.time() == _dt.time() else v.isoformat()
        if isinstance(v, _dt.date):
            return v.isoformat()
        return str(v)

    def lines_of(self, cell: Cell | None) -> list[str]:
        t = self.text(cell)
        if not t:
            return []
        return [part.strip() for part in t.split("\n") if part.strip()]

    def mark(self, cell: Cell | None) -> bool:
        t = self.text(cell)
        if t is None:
            return False
        if t.casefold() == "x":
            return True
        self.problem(cell, f"markera med x eller lämna tomt (fick '{t}')")
        return False

    def integer(self, cell: Cell | None, what: str, low: int = 0, high: int | None = None) -> int | None:
        if cell is None:
            return None
        v = cell.value
        try:
            if isinstance(v, str):
                v = re.sub(r"\s*år$", "", v.strip())
            n = _number(v)
            if not float(n).is_integer():
                raise ValueError
            n = int(n)
        except (ValueError, TypeError):
            self.problem(cell, f"{what} ska vara ett heltal (fick '{self.text(cell)}')")
            return None
        if n < low or (high is not None and n > high):
            self.problem(cell, f"{what} ska vara mellan {low} och {high} (fick {n})" if high is not None
                         else f"{what} ska vara minst {low} (fick {n})")
            return None
        return n

    def amount(self, cell: Cell | None, what: str) -> int | None:
        if cell is None:
            return None
        try:
            n = parse_amount(cell.value)
        except (ValueError, TypeError):
            self.problem(cell, f"{what} ska vara ett belopp i kronor, till exempel 500000 eller 1,5 mkr "
                               f"(fick '{self.text(cell)}')")
            return None
        if n is not None and n < 0:
            self.problem(cell, f"{what} får inte vara negativt (fick {n})")
            return None
        return n

    def source_lines(self, cell: Cell | None, max_line: int) -> str | None:
        t = self.text(cell)
        if t is None:
            return None
        t = re.sub(r"\s*-\s*", "-", re.sub(r"\s*,\s*", ", ", t.replace("–", "-").strip()))
        if not _RANGES.match(t):
            self.problem(cell, f"Källa ska vara planens rader, till exempel 168-209 eller 1598-1621, 1639-1661 (fick '{t}')")
            return None
        for start, end in parse_line_ranges(t):
            if start < 1 or end < start or end > max_line:
                self.problem(cell, f"radintervallet {start}-{end} finns inte i planens text (rad 1-{max_line})")
                return None
        return t

    def date(self, cell: Cell | None) -> _dt.date | None:
        if cell is None:
            return None
        v = cell.value
        if isinstance(v, _dt.datetime):
            return v.date()
        if isinstance(v, _dt.date):
            return v
        try:
            return _dt.date.fromisoformat(str(v).strip())
        except ValueError:
            self.problem(cell, f"ett datum som 2024-12-10 (fick '{self.text(cell)}')")
            return None


class _Names:
    """Resolves names, alternative names and ids of one kind to ids, with a "menade du" suggestion."""

    def __init__(self, kind: str, what: str):
        self.kind, self.what = kind, what
        self.by_key: dict[str, str] = {}
        self.names: dict[str, str] = {}

    def add(self, id_: str, name: str | None, alts: list[str] = ()):
        self.names[id_] = name or id_
        for key in [id_, name, *alts]:
            if key:
                self.by_key.setdefault(_norm(key), id_)

    def resolve(self, book: _Book, cell: Cell, value: str) -> str | None:
        found = self.by_key.get(_norm(value))
        if found:
            return found
        pool = list(self.names.values())
        near = difflib.get_close_matches(value, pool, n=1, cutoff=0.6) or \
            difflib.get_close_matches(_norm(value), [_norm(p) for p in pool], n=1, cutoff=0.6)
        if near and near[0] not in pool:
            near = [next(p for p in pool if _norm(p) == near[0])]
        hint = f'; menade du "{near[0]}"?' if near else f"; finns den på bladet {_KIND_SHEET[self.kind]}?"
        book.problem(cell, f"okänd {self.what} '{value}'{hint}")
        return None

    def resolve_all(self, book: _Book, cell: Cell | None) -> list[str]:
        out = []
        for value in book.lines_of(cell):
            rid = self.resolve(book, cell, value)
            if rid and rid not in out:
                out.append(rid)
        return out


# --- the original plan folder, from the hidden sheet -------------------------------------------------------


def _original_files(book: _Book) -> dict[str, str] | None:
    ws = book.sheets.get(HIDDEN_SHEET)
    if ws is None or not ws.rows or ws.rows[0].get(1) is None or ws.rows[0][1].value != HIDDEN_MARK:
        return None
    files = {}
    for row in ws.rows[1:]:
        name = row.get(1)
        if name is None:
            continue
        packed = "".join(str(row[c].value) for c in sorted(row) if c > 1)
        try:
            files[str(name.value)] = zlib.decompress(base64.b64decode(packed), bufsize=1 << 20).decode("utf-8")
        except (ValueError, zlib.error, UnicodeDecodeError):
            return None
    return files


def _safe_relpath(name: str) -> bool:
    p = Path(name)
    return not p.is_absolute() and ".." not in p.parts and p.parts and p.parts[0] in (
        "plan.yaml", "risk-factors.yaml", "prevention-levels.yaml", "other-links.yaml", "actors.yaml", "forums.yaml",
        "places.yaml", "departments", "uppfoljning", "source") and len(p.parts) <= 2


def _write_files(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


# --- deterministic YAML ------------------------------------------------------------------------------------


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)


def _get(d: dict, path: str, default=None):
    cur: Any = d
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return default
        cur = cur[part]
    return cur


def _put(d: dict, path: str, value) -> None:
    parts = path.split(".")
    cur = d
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    if value is None or (value == [] and parts[-1] not in ("levels", "interventions")):
        cur.pop(parts[-1], None)
    else:
        cur[parts[-1]] = value


def _same(path: str, a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list) and path.split(".")[-1] in {p.split(".")[-1] for p in _SET_FIELDS}:
        return sorted(map(str, a)) == sorted(map(str, b)) and len(set(map(str, a))) == len(set(map(str, b)))
    if a in (None, []) and b in (None, []):
        return True
    return a == b


def _overlay(book: _Book, raw: dict | None, values: dict[str, tuple[Any, Cell | None, Any]],
             changed_cells: list[str]) -> dict:
    """``raw`` (the original YAML data, or None for a new fact) with ``values`` (field -> (new, cell,
    original)) laid over it; changed fields (all non-empty ones for a new fact) are recorded in
    ``workbook.cells``."""
    out = copy.deepcopy(raw) if raw is not None else {}
    cells = {}
    for path, (new, cell, orig) in values.items():
        if raw is not None and _same(path, new, orig):
            continue
        if raw is None and new in (None, []):
            if path in ("levels",):
                _put(out, path, [])
            continue
        _put(out, path, new)
        if cell is not None:
            cells[path] = cell.ref
    if cells:
        out["workbook"] = {"file": book.name, "sha256": book.sha, "cells": dict(sorted(cells.items()))}
        changed_cells.extend(cells.values())
    return out


# --- the import ----------------------------------------------------------------------------------------------


def read_plan_workbook(raw: bytes, name: str) -> tuple[dict[str, str], ImportResult]:
    """Parse a workbook into the plan folder's files (path -> text). Raises :class:`WorkbookError`
    with every problem, by cell."""
    sheets, order, problems, sha = read_workbook(raw, name, {HIDDEN_SHEET})
    book = _Book(name, sha, sheets, order)
    book.problems.extend(problems)
    present = {s for s in order if s in sheets}
    unknown = [s for s in order if s in sheets and s not in SHEETS and s != HIDDEN_SHEET]
    for wanted in _DATA_SHEETS:
        if wanted not in present:
            near = [u for u in unknown if _norm(u) == _norm(wanted)] or difflib.get_close_matches(wanted, unknown, n=1, cutoff=0.5)
            if near:
                book.problem(None, f"bladet '{wanted}' saknas; bladet '{near[0]}' ska heta '{wanted}'", near[0])
            elif unknown:
                book.problem(None, f"bladet '{wanted}' saknas; döp tillbaka det (okända blad: "
                                   + ", ".join(f"'{u}'" for u in unknown) + ")", wanted)
            else:
                book.problem(None, f"bladet '{wanted}' saknas; exportera en ny arbetsbok och för över ändringarna", wanted)
    files = _original_files(book)
    if files is None or any(not _safe_relpath(n) for n in files) or "plan.yaml" not in files:
        book.problem(None, "arbetsboken saknar planens övriga uppgifter (det dolda bladet från exporten); "
                           "utgå från en arbetsbok som exporterats med uvts excel export eller från sidan Data")
        raise WorkbookError(book.problems)
    if book.problems and any(p.cell is None for p in book.problems):
        raise WorkbookError(book.problems)

    with tempfile.TemporaryDirectory(prefix="uvts-wb-") as tmp:
        folder = Path(tmp) / "plan"
        _write_files(folder, files)
        try:
            orig = load_plan(folder)
        except DataError as exc:
            raise WorkbookError([CellProblem(name, None, None, f"planen som arbetsboken exporterades från går inte "
                                                                f"att läsa: {p}") for p in exc.problems]) from None
    raws = {n: (yaml.load(t, Loader=_LOADER) if n.endswith(".yaml") else None) for n, t in files.items()}
    out, result = _parse(book, orig, raws, files)
    if book.problems:
        raise WorkbookError(book.problems)
    return out, result


def _parse(book: _Book, orig: PlanData, raws: dict[str, Any], files: dict[str, str]):
    changed: list[str] = []
    max_line = orig.plan.source_line_count
    all_ids = {
        "department": {d.id for d in orig.departments}, "actor": {a.id for a in orig.actors},
        "forum": {f.id for f in orig.forums}, "place": {p.id for p in orig.places},
        "risk_factor": {r.id for r in orig.risk_factors},
        "intervention": {orig.intervention_id(d, iv) for d, iv in orig.interventions()},
    }

    def entity_rows(sheet: str, kind: str, orig_by_id: dict, name_header: str = "Namn"):
        """(row, cells, id, original model or None) for each row; ids checked."""
        out, seen = [], {}
        for rownum, cells, first in book.table(sheet):
            idc, namec = cells.get("Id"), cells.get(name_header)
            name = book.text(namec)
            rid = book.text(idc)
            if rid is None:
                if name is None:
                    book.problem(first, f"raden saknar både Id och {name_header}; fyll i {name_header} eller ta bort raden")
                    continue
                rid = slugify(name)
            elif not _SLUG.match(rid):
                book.problem(idc, f"ett id skrivs med gemena a–z, 0–9 och bindestreck (fick '{rid}'); lämna Id tomt "
                                  "på en ny rad så skapas det av namnet")
                continue
            other = next((k for k, ids in all_ids.items() if k != kind and rid in ids and rid not in all_ids[kind]), None)
            if other and rid not in orig_by_id:
                book.problem(idc or namec, f"'{rid}' är {_KIND_SV[other]}; raden hör hemma på bladet '{_KIND_SHEET[other]}'")
                continue
            if rid in seen:
                book.problem(idc or namec, f"id '{rid}' finns redan på rad {seen[rid]}; varje id får bara finnas en gång")
                continue
            seen[rid] = rownum
            if name is None:
                book.problem(namec or first, f"{name_header} saknas men krävs", sheet,
                             None if namec else f"{_col_letter(book, sheet, name_header)}{rownum}")
            out.append((rownum, cells, rid, orig_by_id.get(rid)))
        return out

    # Riskfaktorer
    rf_names = _Names("risk_factor", "riskfaktor")
    rf_rows = entity_rows("Riskfaktorer", "risk_factor", {r.id: r for r in orig.risk_factors})
    for _, cells, rid, o in rf_rows:
        rf_names.add(rid, book.text(cells.get("Namn")), book.lines_of(cells.get("Andra namn")))
    rf_list = []
    for rownum, cells, rid, o in rf_rows:
        same = None
        if cells.get("Samma som") is not None:
            same = rf_names.resolve(book, cells["Samma som"], book.text(cells["Samma som"]))
        vals = {
            "label.sv": (book.text(cells.get("Namn")), cells.get("Namn"), o and o.label.sv),
            "definition.sv": (book.text(cells.get("Definition")), cells.get("Definition"), o and o.definition.sv),
            "label.en": (book.text(cells.get("Namn (engelska)")), cells.get("Namn (engelska)"), o and o.label.en),
            "definition.en": (book.text(cells.get("Definition (engelska)")), cells.get("Definition (engelska)"),
                              o and o.definition.en),
            "exact_match": (same, cells.get("Samma som"), o and o.exact_match),
            "alt_labels.sv": (book.lines_of(cells.get("Andra namn")), cells.get("Andra namn"), o and o.alt_labels.sv),
            **_lines_and_note(book, cells, o, max_line),
        }
        if vals["definition.sv"][0] is None:
            book.problem(None, "Definition saknas men krävs", "Riskfaktorer", f"{_col_letter(book, 'Riskfaktorer', 'Definition')}{rownum}")
        if o is None and (vals["label.en"][0] is None or vals["definition.en"][0] is None):
            book.problem(None, "ett nytt problemområde behöver också namn och definition på engelska (kolumnerna "
                               "Namn (engelska) och Definition (engelska))", "Riskfaktorer", f"A{rownum}")
        raw = _find(raws["risk-factors.yaml"], rid)
        item = _overlay(book, raw, vals, changed)
        if raw is None:
            item = {"id": rid, **item}
        rf_list.append(item)

    # Förvaltningar
    dept_names = _Names("department", "förvaltning")
    dept_rows = entity_rows("Förvaltningar", "department", {d.id: d for d in orig.departments})
    for _, cells, rid, o in dept_rows:
        dept_names.add(rid, book.text(cells.get("Namn")), book.lines_of(cells.get("Andra namn")) + (list(o.alt_names) if o else []))

    # Aktörer
    actor_names = _Names("actor", "extern aktör")
    actor_rows = entity_rows("Aktörer", "actor", {a.id: a for a in orig.actors})
    for _, cells, rid, o in actor_rows:
        actor_names.add(rid, book.text(cells.get("Namn")), book.lines_of(cells.get("Andra namn")))
    actor_list = []
    for rownum, cells, rid, o in actor_rows:
        cat = None
        c = cells.get("Kategori")
        if c is None:
            book.problem(None, "Kategori saknas men krävs (" + ", ".join(CATEGORY_SV.values()) + ")", "Aktörer",
                         f"{_col_letter(book, 'Aktörer', 'Kategori')}{rownum}")
        else:
            t = book.text(c).casefold()
            cat = _CATEGORY.get(t) or (t if t in ACTOR_CATEGORIES else None)
            if cat is None:
                near = _near(t, _CATEGORY)
                book.problem(c, f"okänd kategori '{book.text(c)}'" + (f'; menade du "{near}"?' if near else
                                                                     "; välj en av " + ", ".join(CATEGORY_SV.values())))
        vals = {
            "name": (book.text(cells.get("Namn")), cells.get("Namn"), o and o.name),
            "category": (cat, c, o and o.category),
            "alt_names": (book.lines_of(cells.get("Andra namn")), cells.get("Andra namn"), o and list(o.alt_names)),
            **_lines_and_note(book, cells, o, max_line),
        }
        raw = _find(raws["actors.yaml"], rid)
        item = _overlay(book, raw, vals, changed)
        actor_list.append(item if raw is not None else {"id": rid, **item})

    # Forum
    forum_names = _Names("forum", "samverkansforum")
    forum_rows = entity_rows("Forum", "forum", {f.id: f for f in orig.forums})
    for _, cells, rid, o in forum_rows:
        forum_names.add(rid, book.text(cells.get("Namn")), book.lines_of(cells.get("Andra namn")))
    forum_list = []
    for rownum, cells, rid, o in forum_rows:
        mdepts, mactors = [], []
        mc = cells.get("Medlemmar")
        for value in book.lines_of(mc):
            d = dept_names.by_key.get(_norm(value))
            a = actor_names.by_key.get(_norm(value))
            if d:
                mdepts.append(d)
            elif a:
                mactors.append(a)
            else:
                pool = list(dept_names.names.values()) + list(actor_names.names.values())
                near = difflib.get_close_matches(value, pool, n=1, cutoff=0.6)
                book.problem(mc, f"okänd medlem '{value}' (varken förvaltning eller extern aktör)"
                                 + (f'; menade du "{near[0]}"?' if near else ""))
        vals = {
            "name": (book.text(cells.get("Namn")), cells.get("Namn"), o and o.name),
            "purpose": (book.text(cells.get("Syfte")), cells.get("Syfte"), o and o.purpose),
            "members.departments": (mdepts, mc, o and list(o.members.departments)),
            "members.actors": (mactors, mc, o and list(o.members.actors)),
            "expansion": (book.text(cells.get("Utskrivet namn")), cells.get("Utskrivet namn"), o and o.expansion),
            "alt_names": (book.lines_of(cells.get("Andra namn")), cells.get("Andra namn"), o and list(o.alt_names)),
            **_lines_and_note(book, cells, o, max_line),
        }
        raw = _find(raws["forums.yaml"], rid)
        item = _overlay(book, raw, vals, changed)
        forum_list.append(item if raw is not None else {"id": rid, **item})

    # Platser
    place_names = _Names("place", "plats")
    place_rows = entity_rows("Platser", "place", {p.id: p for p in orig.places})
    for _, cells, rid, o in place_rows:
        place_names.add(rid, book.text(cells.get("Namn")), book.lines_of(cells.get("Andra namn")))
    place_list = []
    for rownum, cells, rid, o in place_rows:
        kind = None
        c = cells.get("Typ")
        if c is None:
            book.problem(None, "Typ saknas men krävs (område, skola eller byggnad)", "Platser",
                         f"{_col_letter(book, 'Platser', 'Typ')}{rownum}")
        else:
            t = book.text(c).casefold()
            kind = _KIND.get(t) or (t if t in PLACE_KINDS else None)
            if kind is None:
                near = _near(t, _KIND)
                book.problem(c, f"okänd typ '{book.text(c)}'" + (f'; menade du "{near}"?' if near else
                                                                "; välj en av område, skola, byggnad"))
        vals = {
            "name": (book.text(cells.get("Namn")), cells.get("Namn"), o and o.name),
            "kind": (kind, c, o and o.kind),
            "priority": (book.mark(cells.get("Prioriterat")) or None, cells.get("Prioriterat"), (o and o.priority) or None),
            "alt_names": (book.lines_of(cells.get("Andra namn")), cells.get("Andra namn"), o and list(o.alt_names)),
            **_lines_and_note(book, cells, o, max_line),
        }
        raw = _find(raws["places.yaml"], rid)
        item = _overlay(book, raw, vals, changed)
        place_list.append(item if raw is not None else {"id": rid, **item})

    # Insatser
    level_cols = {"Universell": "universell", "Selektiv": "selektiv", "Indikerad": "indikerad"}
    link_names = _Names("risk_factor", "annan koppling")
    for ol in orig.other_links:
        link_names.add(ol.id, ol.label.sv, [ol.label.en] if ol.label.en else [])
    orig_iv = {orig.intervention_id(d, iv): (d, iv) for d, iv in orig.interventions()}
    used_numbers: dict[str, set[int]] = {}
    for d, iv in orig.interventions():
        used_numbers.setdefault(d.id, set()).add(iv.number)
    rows = book.table("Insatser")
    known_heads = set(INSATSER_HEAD + INSATSER_TAIL + INSATSER_EXTRA)
    rf_columns: dict[str, str] = {}  # header -> risk factor id
    for title, hc in getattr(book, "headers", {}).get("Insatser", {}).items():
        if title in known_heads:
            continue
        rid = rf_names.by_key.get(_norm(title))
        if rid:
            rf_columns[title] = rid
        elif any(book.text(cells.get(title)) for _, cells, _ in rows):
            values = [book.text(cells.get(title)) for _, cells, _ in rows if cells.get(title) is not None]
            if all(v.casefold() == "x" for v in values):  # an x-marked column: meant as a risk factor
                near = difflib.get_close_matches(title, list(rf_names.names.values()), n=1, cutoff=0.5)
                book.problem(hc, f"okänd riskfaktor '{title}'" + (f'; menade du "{near[0]}"?' if near else
                                                                  "; lägg till den på bladet Riskfaktorer"))
    seen_ids: dict[str, int] = {}
    mentioned: set[str] = set()  # ids in the Id column (also of rows with problems): references to them are not errors
    ivs: list[tuple[str, dict, int | None, dict, Cell]] = []  # (dept, values, number, cells, first)
    for rownum, cells, first in rows:
        idc = cells.get("Id")
        rid = book.text(idc)
        dc = cells.get("Förvaltning")
        dept = dept_names.resolve(book, dc, book.text(dc)) if dc is not None else None
        if dc is None:
            book.problem(None, "Förvaltning saknas men krävs", "Insatser", f"{_col_letter(book, 'Insatser', 'Förvaltning')}{rownum}")
        nc = cells.get("Nummer")
        number = book.integer(nc, "Nummer", 1) if nc is not None else None
        o = None
        if rid is not None:
            mentioned.add(rid)
            if rid in seen_ids:
                book.problem(idc, f"id '{rid}' finns redan på rad {seen_ids[rid]}; varje insats har ett eget id "
                                  "(lämna Id tomt på en ny insats)")
                continue
            seen_ids[rid] = rownum
            if rid not in orig_iv:
                other = next((k for k, ids in all_ids.items() if k != "intervention" and rid in ids), None)
                if other:
                    book.problem(idc, f"'{rid}' är {_KIND_SV[other]}; raden hör hemma på bladet '{_KIND_SHEET[other]}'")
                else:
                    book.problem(idc, f"okänt id '{rid}'; en ny insats ska ha tomt Id (den får ett id vid inläsningen)")
                continue
            od, o = orig_iv[rid]
            if dept is not None and dept != od.id:
                book.problem(dc, f"insatsen {rid} hör till {od.name}; ett id ändras aldrig. Lägg in insatsen som en ny "
                                 "rad med tomt Id om den ska flyttas")
                continue
            if number is not None and number != o.number:
                book.problem(nc, f"insatsen {rid} har nummer {o.number}; numret hör till id:t och ändras inte")
                continue
            number = o.number
        elif number is not None and dept is not None:
            if number in used_numbers.get(dept, set()) or f"{dept}-{number}" in seen_ids:
                book.problem(nc, f"id '{dept}-{number}' används redan eller har använts; ett id återanvänds aldrig. "
                                 "Lämna Nummer tomt så får insatsen nästa lediga nummer")
                continue
        title_c, desc_c = cells.get("Titel"), cells.get("Beskrivning")
        if title_c is None:
            book.problem(None, "Titel saknas men krävs", "Insatser", f"{_col_letter(book, 'Insatser', 'Titel')}{rownum}")
        if desc_c is None:
            book.problem(None, "Beskrivning saknas men krävs", "Insatser",
                         f"{_col_letter(book, 'Insatser', 'Beskrivning')}{rownum}")
        levels = [lv for col, lv in level_cols.items() if book.mark(cells.get(col))]
        rfs = [rf for col, rf in rf_columns.items() if book.mark(cells.get(col))]
        lo = book.integer(cells.get("Ålder från"), "Ålder från", 0, 120)
        hi = book.integer(cells.get("Ålder till"), "Ålder till", 0, 120)
        if lo is not None and hi is not None and lo > hi:
            book.problem(cells.get("Ålder från"), f"Ålder från ({lo}) är större än Ålder till ({hi})")
        involved_depts = dept_names.resolve_all(book, cells.get("Medverkande förvaltningar"))
        if dept in involved_depts:
            book.problem(cells.get("Medverkande förvaltningar"), "den ansvariga förvaltningen ska inte stå bland de medverkande")
        level_cell = next((cells[c] for c in level_cols if c in cells), None) or first
        rf_cell = next((cells[c] for c in rf_columns if c in cells), None) or first
        vals = {
            "title": (book.text(title_c), title_c, o and o.title),
            "description": (book.text(desc_c), desc_c, o and o.description),
            "timing": (book.text(cells.get("När")), cells.get("När"), o and o.timing),
            "levels": (levels, level_cell, o and list(o.levels)),
            "risk_factors": (rfs, rf_cell, o and list(o.risk_factors)),
            "other_links": (link_names.resolve_all(book, cells.get("Andra kopplingar")), cells.get("Andra kopplingar"),
                            o and list(o.other_links)),
            "goals": (book.lines_of(cells.get("Mål")), cells.get("Mål"), o and list(o.goals)),
            "follow_ups": (book.lines_of(cells.get("Uppföljning")), cells.get("Uppföljning"), o and list(o.follow_ups)),
            "min_age": (lo, cells.get("Ålder från"), o and o.min_age),
            "max_age": (hi, cells.get("Ålder till"), o and o.max_age),
            "target_group": (book.text(cells.get("Målgrupp")), cells.get("Målgrupp"), o and o.target_group),
            "places": (place_names.resolve_all(book, cells.get("Platser")), cells.get("Platser"), o and list(o.places)),
            "involves.departments": (involved_depts, cells.get("Medverkande förvaltningar"),
                                     o and list(o.involves.departments)),
            "involves.actors": (actor_names.resolve_all(book, cells.get("Externa aktörer")), cells.get("Externa aktörer"),
                                o and list(o.involves.actors)),
            "involves.forums": (forum_names.resolve_all(book, cells.get("Forum")), cells.get("Forum"),
                                o and list(o.involves.forums)),
            "same_activity_as": (book.lines_of(cells.get("Samma aktivitet som")), cells.get("Samma aktivitet som"),
                                 o and list(o.same_activity_as)),
            **_lines_and_note(book, cells, o, max_line),
        }
        if dept is None:
            continue
        ivs.append((dept, vals, number, cells, first, rid))
    # numbers for new interventions: the next free one, never one used before
    final_ids = set()
    assigned = []
    for dept, vals, number, cells, first, rid in ivs:
        if number is None:
            taken = used_numbers.setdefault(dept, set()) | {n for d2, _, n, *_ in assigned if d2 == dept}
            number = max(taken, default=0) + 1
        assigned.append((dept, vals, number, cells, first, rid))
        final_ids.add(f"{dept}-{number}")
        used_numbers.setdefault(dept, set()).add(number)
    referable = final_ids | (mentioned & set(orig_iv))
    for dept, vals, number, cells, first, rid in assigned:
        for other in vals["same_activity_as"][0]:
            if other not in referable:
                book.problem(cells.get("Samma aktivitet som"), f"okänd insats '{other}' (skriv insatsens Id)")

    # departments' files
    dept_files: dict[str, dict] = {}
    for rownum, cells, rid, o in dept_rows:
        raw = raws.get(f"departments/{rid}.yaml")
        budget_c = cells.get("Budgettillskott")
        amount = book.amount(budget_c, "Budgettillskott") if budget_c is not None else 0
        vals = {
            "name": (book.text(cells.get("Namn")), cells.get("Namn"), o and o.name),
            "alt_names": (book.lines_of(cells.get("Andra namn")), cells.get("Andra namn"), o and list(o.alt_names)),
            "budget.amount": (amount if amount is not None else 0, budget_c, o and o.budget.amount),
            **_lines_and_note(book, cells, o, max_line),
        }
        stripped = copy.deepcopy(raw) if raw is not None else None
        if stripped is not None:
            stripped.pop("interventions", None)
        item = _overlay(book, stripped, vals, changed)
        if raw is None:
            item = {"id": rid, "name": item.pop("name", rid), **item}
            item.setdefault("budget", {"amount": 0})
        dept_files[rid] = item
    new_ivs: dict[str, list] = {d: [] for d in dept_files}
    added, removed = [], []
    for dept, vals, number, cells, first, rid in assigned:
        iid = f"{dept}-{number}"
        raw_iv = None
        if rid is not None:
            od, oiv = orig_iv[rid]
            raw_iv = next((x for x in (raws.get(f"departments/{od.id}.yaml") or {}).get("interventions", [])
                           if x.get("number") == oiv.number), None)
        item = _overlay(book, raw_iv, vals, changed)
        if raw_iv is None:
            added.append(iid)
            item = {"number": number, **item}
            item.setdefault("levels", [])
        if dept in new_ivs:
            new_ivs[dept].append(item)
    removed = sorted(set(orig_iv) - {rid for *_, rid in assigned if rid})

    # Budget
    budget_rows: dict[str, list] = {}
    for rownum, cells, first in book.table("Budget"):
        dc = cells.get("Förvaltning")
        if dc is None:
            book.problem(None, "Förvaltning saknas men krävs", "Budget", f"A{rownum}")
            continue
        dept = dept_names.resolve(book, dc, book.text(dc))
        if dept is None:
            continue
        amount = book.amount(cells.get("Belopp"), "Belopp")
        if cells.get("Syfte") is None:
            book.problem(None, "Syfte saknas men krävs", "Budget", f"{_col_letter(book, 'Budget', 'Syfte')}{rownum}")
        funded = book.lines_of(cells.get("Insatser"))
        for f in funded:
            if f not in referable:
                book.problem(cells.get("Insatser"), f"okänd insats '{f}' (skriv insatsens Id)")
        budget_rows.setdefault(dept, []).append((cells, amount, funded))
    for dept, item in dept_files.items():
        o = next((d for d in orig.departments if d.id == dept), None)
        originals = list(o.budget.breakdown) if o else []
        raw_items = ((raws.get(f"departments/{dept}.yaml") or {}).get("budget") or {}).get("breakdown") or []
        out_items = []
        for k, (cells, amount, funded) in enumerate(budget_rows.get(dept, [])):
            ob = originals[k] if k < len(originals) else None
            vals = {
                "amount": (amount, cells.get("Belopp"), ob and ob.amount),
                "purpose": (book.text(cells.get("Syfte")), cells.get("Syfte"), ob and ob.purpose),
                "interventions": (funded, cells.get("Insatser"), ob and list(ob.interventions)),
                **_lines_and_note(book, cells, ob, max_line),
            }
            out_items.append(_overlay(book, raw_items[k] if ob is not None and k < len(raw_items) else None, vals, changed))
        budget = item.setdefault("budget", {"amount": 0})
        if out_items != raw_items:
            if out_items:
                budget["breakdown"] = out_items
            else:
                budget.pop("breakdown", None)

    # Om planen
    plan_raw = copy.deepcopy(raws["plan.yaml"])
    p = orig.plan
    facts = {}
    for rownum, cells, first in book.table("Om planen"):
        key = book.text(cells.get("Uppgift"))
        if key:
            facts[_norm(key)] = cells.get("Värde") or Cell("Om planen", f"B{rownum}", None)
    period_c = facts.get("period")
    period = None
    if period_c is not None and period_c.value is not None:
        m = re.fullmatch(r"\s*(\d{4})\s*[-–/]\s*(\d{4})\s*", book.text(period_c) or "")
        if not m or int(m.group(1)) > int(m.group(2)):
            book.problem(period_c, f"Period skrivs som 2024-2026 (fick '{book.text(period_c)}')")
        else:
            period = {"start": int(m.group(1)), "end": int(m.group(2))}
    vals = {
        "municipality.name": (book.text(facts.get("kommun")), facts.get("kommun"), p.municipality.name),
        "municipality.code": (book.text(facts.get("kommunkod")), facts.get("kommunkod"), p.municipality.code),
        "period": (period or {"start": p.period.start, "end": p.period.end}, period_c,
                   {"start": p.period.start, "end": p.period.end}),
        "title": (book.text(facts.get("titel")), facts.get("titel"), p.title),
    }
    for key in ("municipality.name", "title"):
        if vals[key][0] is None:
            book.problem(vals[key][1], f"{'Kommun' if key != 'title' else 'Titel'} saknas men krävs", "Om planen",
                         None if vals[key][1] else "B2")
    plan_raw = _overlay(book, plan_raw, vals, changed)

    # Uppföljning
    round_files = _follow_ups(book, raws, final_ids, dept_names, actor_names, forum_names, changed)

    out: dict[str, str] = {}

    def emit(name: str, data):
        if name in files and raws.get(name) == data:
            out[name] = files[name]  # unchanged: byte for byte, comments included
        else:
            out[name] = _dump(data)

    emit("plan.yaml", plan_raw)
    for name in ("prevention-levels.yaml", "other-links.yaml"):
        out[name] = files[name]
    emit("risk-factors.yaml", rf_list)
    emit("actors.yaml", actor_list)
    emit("forums.yaml", forum_list)
    emit("places.yaml", place_list)
    for did, item in dept_files.items():
        data = {}
        for key in ("id", "name", "alt_names", "lines"):
            if key in item:
                data[key] = item[key]
        data["interventions"] = sorted(new_ivs[did], key=lambda x: x["number"])
        for key, value in item.items():
            if key not in data:
                data[key] = value
        name = f"departments/{did}.yaml"
        orig_data = raws.get(name)
        if orig_data is not None and list(orig_data) != list(data) and set(orig_data) == set(data):
            data = {k: data[k] for k in orig_data}  # keep the original key order
        emit(name, data)
    for name, data in round_files.items():
        emit(name, data)
    for name, text in files.items():
        if name.startswith("source/"):
            out[name] = text
    n = sum(len(v) for v in new_ivs.values())
    result = ImportResult(folder=Path("."), file=book.name, sha256=book.sha, plan_id=orig.plan.id, interventions=n,
                          changed=sorted(set(changed), key=_cell_order), added=added, removed=removed)
    return out, result


def _cell_order(ref: str):
    sheet, _, coord = ref.partition("!")
    m = re.match(r"([A-Z]+)(\d+)", coord)
    return (sheet, int(m.group(2)) if m else 0, len(m.group(1)) if m else 0, m.group(1) if m else coord)


def _col_letter(book: _Book, sheet: str, header: str) -> str:
    cell = getattr(book, "headers", {}).get(sheet, {}).get(header)
    return re.sub(r"\d", "", cell.coord) if cell else "A"


def _find(items, rid):
    for item in items or []:
        if isinstance(item, dict) and item.get("id") == rid:
            return item
    return None


def _follow_ups(book: _Book, raws: dict, interventions: set[str], depts: _Names, actors: _Names, forums: _Names,
                changed: list[str]) -> dict[str, dict]:
    """The ``Uppföljning`` sheet as ``uppfoljning/YYYY-MM-DD.yaml`` files (originals kept where unchanged)."""
    rounds: dict[str, dict] = {}
    for rownum, cells, first in book.table("Uppföljning"):
        dc = cells.get("Omgång")
        if dc is None:
            book.problem(None, "Omgång (datum) saknas men krävs", "Uppföljning", f"A{rownum}")
            continue
        date = book.date(dc)
        ic = cells.get("Insats")
        iid = book.text(ic)
        if iid is None:
            book.problem(None, "Insats (insatsens Id) saknas men krävs", "Uppföljning",
                         f"{_col_letter(book, 'Uppföljning', 'Insats')}{rownum}")
        elif iid not in interventions:
            near = difflib.get_close_matches(iid, sorted(interventions), n=1, cutoff=0.6)
            book.problem(ic, f"okänd insats '{iid}'" + (f'; menade du "{near[0]}"?' if near else "; skriv insatsens Id från bladet Insatser"))
            iid = None
        sc = cells.get("Status")
        status = None
        bad_status = False
        if sc is not None:  # empty: a result without a status judgement (as the plan's own first round)
            t = book.text(sc)
            status = t if t in STATUSES else slugify(t) if slugify(t) in STATUSES else None
            if status is None:
                bad_status = True
                near = difflib.get_close_matches(slugify(t), STATUSES, n=1, cutoff=0.5)
                book.problem(sc, f"okänd status '{t}'" + (f'; menade du "{near[0]}"?' if near else
                                                          "; välj en av " + ", ".join(STATUSES)))
        value = None
        vc = cells.get("Värde")
        if vc is not None:
            try:
                value = _number(vc.value)
            except (ValueError, TypeError):
                book.problem(vc, f"Värde ska vara ett tal, till exempel 67 eller 1,5 (fick '{book.text(vc)}')")
        if date is None or iid is None or bad_status:
            continue
        key = date.isoformat()
        rnd = rounds.setdefault(key, {"title": None, "title_cell": None, "reported_to": None, "items": {}})
        title = book.text(cells.get("Rubrik"))
        if title is not None:
            if rnd["title"] is not None and rnd["title"] != title:
                book.problem(cells.get("Rubrik"), f"omgången {key} har redan rubriken '{rnd['title']}'; en omgång har en rubrik")
            rnd["title"], rnd["title_cell"] = title, cells.get("Rubrik")
        rc = cells.get("Rapporteras till")
        if rc is not None:
            ids = []
            for v in book.lines_of(rc):
                found = forums.by_key.get(_norm(v)) or actors.by_key.get(_norm(v)) or depts.by_key.get(_norm(v))
                if found is None:
                    book.problem(rc, f"okänd mottagare '{v}' (ett forum, en extern aktör eller en förvaltning)")
                else:
                    ids.append(found)
            rnd["reported_to"] = (ids, rc)
        item = rnd["items"].setdefault(iid, {"status": (status, sc), "comment": (book.text(cells.get("Kommentar")),
                                                                                cells.get("Kommentar")), "indicators": []})
        if item["status"][0] != status:
            book.problem(sc, f"insatsen {iid} har redan status '{item['status'][0]}' i omgången {key}; en insats har en status per omgång")
        if cells.get("Indikator") is not None or vc is not None:
            if cells.get("Indikator") is None:
                book.problem(None, "Indikator (namnet på det som mäts) saknas när Värde är ifyllt", "Uppföljning",
                             f"{_col_letter(book, 'Uppföljning', 'Indikator')}{rownum}")
            item["indicators"].append({
                "name": (book.text(cells.get("Indikator")), cells.get("Indikator")),
                "value": (value, vc),
                "unit": (book.text(cells.get("Enhet")), cells.get("Enhet")),
                "period": (book.text(cells.get("Period")), cells.get("Period")),
                "source": (book.text(cells.get("Källa")), cells.get("Källa")),
            })
    out = {}
    for key, rnd in sorted(rounds.items()):
        name = f"uppfoljning/{key}.yaml"
        orig = raws.get(name) or {}
        orig_round = orig.get("round") or {}
        new_round = copy.deepcopy(orig_round)
        new_round["date"] = _dt.date.fromisoformat(key)
        touched = []
        if rnd["title"] != orig_round.get("title"):
            _put(new_round, "title", rnd["title"])
            if rnd["title_cell"] is not None:
                touched.append(rnd["title_cell"].ref)
        if rnd["reported_to"] is not None:
            ids, rc = rnd["reported_to"]
            if sorted(ids) != sorted(orig_round.get("reported_to") or []):
                new_round["reported_to"] = ids
                touched.append(rc.ref)
        elif orig_round.get("reported_to"):
            new_round.pop("reported_to", None)
        orig_items = {i.get("intervention"): i for i in orig.get("items") or [] if isinstance(i, dict)}
        items = []
        for iid, item in rnd["items"].items():
            oi = orig_items.get(iid)
            ni = copy.deepcopy(oi) if oi else {"intervention": iid}
            for fld in ("status", "comment"):
                v, c = item[fld]
                if (oi or {}).get(fld) != v:
                    _put(ni, fld, v)
                    if c is not None:
                        touched.append(c.ref)
            oinds = (oi or {}).get("indicators") or []
            inds = []
            for k, ind in enumerate(item["indicators"]):
                base = copy.deepcopy(oinds[k]) if k < len(oinds) and isinstance(oinds[k], dict) else {}
                for fld, (v, c) in ind.items():
                    ov = base.get(fld)
                    if fld == "value" and isinstance(ov, (int, float)) and isinstance(v, (int, float)) and float(ov) == float(v):
                        continue
                    if (str(ov) if isinstance(ov, (_dt.date,)) else ov) != v:
                        _put(base, fld, v)
                        if c is not None:
                            touched.append(c.ref)
                inds.append(base)
            if inds:
                ni["indicators"] = inds
            else:
                ni.pop("indicators", None)
            items.append(ni)
        data = copy.deepcopy(orig)
        data["round"] = new_round
        data["items"] = items
        changed.extend(touched)
        out[name] = data
    return out



def _lines_and_note(book, cells: dict, old, max_line: int) -> dict:
    """The two columns every sheet ends with, ``Källa`` and ``Anteckning``, as ``vals`` entries:
    ``field -> (value read, cell, value before)`` (``old`` is the fact as it was, or None)."""
    return {
        "lines": (book.source_lines(cells.get("Källa"), max_line), cells.get("Källa"), old and old.lines),
        "note": (book.text(cells.get("Anteckning")), cells.get("Anteckning"), old and old.note),
    }

def import_workbook(path: str | Path, out_dir: str | Path, *, name: str | None = None,
                    raw: bytes | None = None) -> ImportResult:
    """Read the workbook at ``path`` into the plan folder ``out_dir``.

    Every problem is collected and raised together as :class:`WorkbookError` (each by cell);
    then nothing is written. The new folder is loaded and checked before it replaces
    ``out_dir`` (which must be empty, missing, or a plan folder).
    """
    path = Path(path)
    name = name or path.name
    if raw is None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise WorkbookError([CellProblem(name, None, None, f"filen kan inte läsas ({exc.strerror})")]) from None
        from .workbook_read import LIMITS, check_container

        if size > LIMITS["file_bytes"]:
            check_container(b"PK" + b"\0" * (LIMITS["file_bytes"] + 1), name)
        raw = path.read_bytes()
    files, result = read_plan_workbook(raw, name)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not (out / "plan.yaml").exists():
        raise WorkbookError([CellProblem(name, None, None, f"mappen {out} finns redan och är ingen planmapp; "
                                                          "ange en ny eller tom mapp med -o")])
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out.parent))
    try:
        _write_files(staging, files)
        (staging / "departments").mkdir(exist_ok=True)
        try:
            load_plan(staging)
        except DataError as exc:
            raise WorkbookError([CellProblem(name, None, None, "planen blir inte giltig: "
                                             + str(p).replace(staging.name, out.name)) for p in exc.problems]) from None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
            os.replace(staging, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    result.folder = out
    return result
