"""The plan as an editable Excel workbook (.xlsx): export.

The sheets and headers are those of ``docs/living-plan-contract.md`` (``Om planen``,
``Insatser``, ``Riskfaktorer``, ``Förvaltningar``, ``Aktörer``, ``Forum``, ``Platser``,
``Budget``, ``Uppföljning``, ``Instruktioner``). The workbook also carries the plan folder's
files as they were exported, in a very hidden sheet (``_uvts``): the import compares each
cell with them, so that a fact left unchanged keeps its source lines and notes and a fact
edited in the workbook is marked with its cell. See :mod:`uvts.graph.workbook_import`.

Nothing in a written workbook is a formula: text that starts with ``=``, ``+``, ``-`` or
``@`` is stored as text.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import zlib
from pathlib import Path
from typing import Any

import yaml

from .load import PlanData
from .paths import data_files

__all__ = ["export_workbook", "workbook_bytes", "SHEETS", "INSATSER_HEAD", "INSATSER_TAIL", "HEADERS",
           "CATEGORY_SV", "KIND_SV", "STATUSES", "HIDDEN_SHEET", "HIDDEN_MARK", "INSATSER_EXTRA", "OM_PLANEN_ROWS", "plan_files", "follow_up_files"]

SHEETS = ("Om planen", "Insatser", "Riskfaktorer", "Förvaltningar", "Aktörer", "Forum", "Platser", "Budget",
          "Uppföljning", "Instruktioner")
HIDDEN_SHEET = "_uvts"
HIDDEN_MARK = "uvts-plan-files-1"  # the hidden sheet's format: file name, then base64 of zlib'd UTF-8 text

# Insatser: these, then one column per risk factor, then INSATSER_TAIL, then the extra columns.
INSATSER_HEAD = ("Id", "Förvaltning", "Nummer", "Titel", "Beskrivning", "När", "Universell", "Selektiv", "Indikerad")
INSATSER_TAIL = ("Mål", "Uppföljning", "Målgrupp", "Ålder från", "Ålder till", "Platser", "Medverkande förvaltningar",
                 "Externa aktörer", "Forum", "Källa", "Anteckning")
INSATSER_EXTRA = ("Andra kopplingar", "Samma aktivitet som")

HEADERS = {
    "Om planen": ("Uppgift", "Värde"),
    "Riskfaktorer": ("Id", "Namn", "Definition", "Namn (engelska)", "Definition (engelska)", "Samma som",
                     "Andra namn", "Källa", "Anteckning"),
    "Förvaltningar": ("Id", "Namn", "Budgettillskott", "Andra namn", "Källa", "Anteckning"),
    "Aktörer": ("Id", "Namn", "Kategori", "Andra namn", "Källa", "Anteckning"),
    "Forum": ("Id", "Namn", "Syfte", "Medlemmar", "Utskrivet namn", "Andra namn", "Källa", "Anteckning"),
    "Platser": ("Id", "Namn", "Typ", "Prioriterat", "Andra namn", "Källa", "Anteckning"),
    "Budget": ("Förvaltning", "Belopp", "Syfte", "Insatser", "Källa", "Anteckning"),
    "Uppföljning": ("Omgång", "Rubrik", "Insats", "Status", "Kommentar", "Indikator", "Värde", "Enhet", "Period",
                    "Källa", "Rapporteras till"),
}

CATEGORY_SV = {"police": "polis", "region": "region", "state-agency": "myndighet", "civil-society": "civilsamhälle",
               "business": "näringsliv", "academia": "akademi", "other": "övrigt"}
KIND_SV = {"area": "område", "school": "skola", "building": "byggnad"}
STATUSES = ("ej-paborjad", "enligt-plan", "forsenad", "avslutad", "avbruten")

OM_PLANEN_ROWS = ("Kommun", "Kommunkod", "Period", "Titel", "Planens id", "Exporterad från version", "Exporterad")

INSTRUCTIONS = """\
Så här arbetar du med planen i Excel

Arbetsboken är kommunens brottsförebyggande aktivitetsplan. Ändra i den, spara den som Excel-arbetsbok (.xlsx) och läs in den igen med uvts excel import eller på sidan Data i webbläsaren. Inläsningen kontrollerar allt på en gång och säger i vilken cell något behöver rättas. Ingenting sparas förrän arbetsboken är felfri.

Skriv bara roller och organisationer, aldrig namn på personer. Skriv till exempel "Fältassistenterna" eller "Rektor på Ålidhemsskolan", inte en persons namn. Det gäller alla blad, också kommentarerna på bladet Uppföljning (dataskyddsförordningen, GDPR).

Insatser
- En rad per insats. Lämna Id tomt på en ny insats; den får ett id när arbetsboken läses in. Ändra inte Id på en befintlig insats. Ett borttaget id används aldrig igen.
- Förvaltning, Titel och Beskrivning måste fyllas i.
- Markera nivåer (Universell, Selektiv, Indikerad) och riskfaktorer med x. Tom cell betyder nej.
- Flera värden i en cell (mål, uppföljning, platser, medverkande, forum) skrivs på var sin rad i cellen: tryck Alt+Enter mellan dem.
- Förvaltningar, aktörer, forum och platser skrivs med namnet från sitt eget blad. Listorna i cellerna visar vilka som finns.
- Ålder från och Ålder till är hela år, till exempel 13.
- Källa är raderna i planens text som uppgiften kommer ifrån. Låt den stå kvar. En ny eller ändrad uppgift får i stället en hänvisning till cellen i den här arbetsboken.
- Anteckning är en kort förklaring av hur planen har lästs.

De andra bladen
- Riskfaktorer: planens problemområden. De sju nationella riskfaktorerna finns med från början. Ett eget problemområde behöver namn och definition på svenska och engelska. Om det är detsamma som en nationell riskfaktor, skriv den i kolumnen Samma som, så räknas insatserna med i de nationella frågorna.
- Förvaltningar: Budgettillskott i kronor. Du kan skriva 1,5 mkr eller 500 tkr.
- Aktörer: Kategori är en av polis, region, myndighet, civilsamhälle, näringsliv, akademi, övrigt.
- Platser: Typ är en av område, skola, byggnad.
- Budget: hur förvaltningarnas tillskott fördelas.
- Uppföljning: en rad per insats och uppföljningsomgång; fler rader för fler indikatorer. Omgång är ett datum. Status är en av ej-paborjad, enligt-plan, forsenad, avslutad, avbruten.

Tomma rader, extra kolumner och kolumner i annan ordning går bra. Byt inte namn på bladen eller rubrikerna. Arbetsboken innehåller inga makron och inga formler; skriv värden, inte formler.
"""


def _text(value) -> Any:
    return value if value is not None else None


def _lines(values) -> str | None:
    values = [v for v in values if v]
    return "\n".join(values) if values else None


def plan_files(plan: PlanData) -> dict[str, str]:
    """The plan folder's files as text, by path relative to the folder (the hidden sheet's content)."""
    folder = plan.folder
    out = {}
    for path in data_files(folder) + follow_up_files(folder):
        if path.exists():
            out[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
    src = folder / "source" / plan.plan.source
    if src.exists():
        out["source/" + plan.plan.source] = src.read_text(encoding="utf-8")
    return out


def follow_up_files(folder: Path) -> list[Path]:
    """The follow-up rounds of a plan folder (``uppfoljning/YYYY-MM-DD.yaml``), in date order."""
    return sorted((Path(folder) / "uppfoljning").glob("*.yaml"))


def _read_rounds(folder: Path) -> list[tuple[str, dict]]:
    out = []
    for path in follow_up_files(folder):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict):
            out.append((path.name, data))
    return out


# --- writing -------------------------------------------------------------------------------

_CHUNK = 30000  # an Excel cell holds at most 32,767 characters


def _set(ws, row: int, col: int, value, wrap: bool = False):
    from openpyxl.styles import Alignment

    cell = ws.cell(row=row, column=col)
    if value is None or value == "":
        return cell
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # a leading =, +, - or @ stays text, never a formula
    if wrap or (isinstance(value, str) and "\n" in value):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    else:
        cell.alignment = Alignment(vertical="top")
    return cell


_WIDTHS = {"Id": 31, "Förvaltning": 22, "Nummer": 9, "Titel": 40, "Beskrivning": 60, "När": 24, "Universell": 11,
           "Selektiv": 9, "Indikerad": 10, "Mål": 50, "Uppföljning": 50, "Målgrupp": 30, "Ålder från": 11,
           "Ålder till": 11, "Platser": 24, "Medverkande förvaltningar": 26, "Externa aktörer": 26, "Forum": 22,
           "Källa": 14, "Anteckning": 50, "Namn": 34, "Definition": 60, "Syfte": 50, "Medlemmar": 30,
           "Kategori": 14, "Typ": 10, "Budgettillskott": 16, "Belopp": 14, "Insatser": 26, "Omgång": 12,
           "Rubrik": 30, "Insats": 26, "Status": 14, "Kommentar": 50, "Indikator": 30, "Värde": 10, "Enhet": 14,
           "Period": 18, "Uppgift": 26}


def _header(ws, headers, widths: dict | None = None, freeze: str = "A2"):
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    fill = PatternFill("solid", fgColor="DDE7F0")
    for col, name in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=col, value=name)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(col)].width = (widths or {}).get(name, _WIDTHS.get(name, 14))
    ws.freeze_panes = freeze


def _list_validation(ws, col: int, source: str, last_row: int, strict: bool, prompt: str | None = None):
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=strict,
                        showDropDown=False)
    if strict:
        dv.errorTitle = "Ogiltigt värde"
        dv.error = "Välj ett värde ur listan."
    if prompt:
        dv.promptTitle = "Tips"
        dv.prompt = prompt
        dv.showInputMessage = True
    letter = get_column_letter(col)
    dv.add(f"{letter}2:{letter}{last_row}")
    ws.add_data_validation(dv)


def _ref(sheet: str, col: str, n: int) -> str:
    return f"'{sheet}'!${col}$2:${col}${max(n + 200, 2)}"


def export_workbook(plan: PlanData, path: str | Path | None = None, *, version: str | None = None,
                    exported: _dt.date | None = None) -> bytes:
    """Write ``plan`` as an editable workbook to ``path`` (when given); return the .xlsx bytes."""
    data = workbook_bytes(plan, version=version, exported=exported)
    if path is not None:
        from .build import write_atomic

        write_atomic(path, data)
    return data


def workbook_bytes(plan: PlanData, *, version: str | None = None, exported: _dt.date | None = None) -> bytes:
    from openpyxl import Workbook

    p = plan.plan
    wb = Workbook()
    wb.remove(wb.active)
    dept_name = {d.id: d.name for d in plan.departments}
    actor_name = {a.id: a.name for a in plan.actors}
    forum_name = {f.id: f.name for f in plan.forums}
    place_name = {pl.id: pl.name for pl in plan.places}
    rf_name = {rf.id: rf.label.sv for rf in plan.risk_factors}
    link_name = {ol.id: ol.label.sv for ol in plan.other_links}
    margin = 500  # rows with dropdowns below the data, for new rows

    # Om planen
    ws = wb.create_sheet("Om planen")
    _header(ws, HEADERS["Om planen"], {"Uppgift": 26, "Värde": 70})
    values = [p.municipality.name, p.municipality.code, f"{p.period.start}-{p.period.end}", p.title, p.id,
              version or "", (exported or _dt.date.today()).isoformat()]
    for r, (label, value) in enumerate(zip(OM_PLANEN_ROWS, values), start=2):
        _set(ws, r, 1, label)
        _set(ws, r, 2, value, wrap=True)

    # Insatser
    ws = wb.create_sheet("Insatser")
    rfs = [rf.id for rf in plan.risk_factors]
    headers = list(INSATSER_HEAD) + [rf_name[r] for r in rfs] + list(INSATSER_TAIL) + list(INSATSER_EXTRA)
    widths = {rf_name[r]: 13 for r in rfs}
    _header(ws, headers, widths, freeze="E2")
    col = {h: i for i, h in enumerate(headers, start=1)}
    row = 1
    for d, iv in plan.interventions():
        row += 1
        cells = {
            "Id": plan.intervention_id(d, iv), "Förvaltning": d.name, "Nummer": iv.number, "Titel": iv.title,
            "Beskrivning": iv.description, "När": iv.timing,
            "Universell": "x" if "universell" in iv.levels else None, "Selektiv": "x" if "selektiv" in iv.levels else None,
            "Indikerad": "x" if "indikerad" in iv.levels else None,
            "Mål": _lines(iv.goals), "Uppföljning": _lines(iv.follow_ups), "Målgrupp": iv.target_group,
            "Ålder från": iv.min_age, "Ålder till": iv.max_age, "Platser": _lines(place_name[x] for x in iv.places),
            "Medverkande förvaltningar": _lines(dept_name[x] for x in iv.involves.departments),
            "Externa aktörer": _lines(actor_name[x] for x in iv.involves.actors),
            "Forum": _lines(forum_name[x] for x in iv.involves.forums), "Källa": iv.lines, "Anteckning": iv.note,
            "Andra kopplingar": _lines(link_name[x] for x in iv.other_links),
            "Samma aktivitet som": _lines(iv.same_activity_as),
        }
        for r in rfs:
            cells[rf_name[r]] = "x" if r in iv.risk_factors else None
        for name, value in cells.items():
            _set(ws, row, col[name], value, wrap=name in ("Titel", "Beskrivning", "När", "Mål", "Uppföljning",
                                                           "Målgrupp", "Anteckning"))
    ws.row_dimensions[1].height = 45  # room for the risk factors' names, wrapped
    for r in range(2, row + 1):
        ws.row_dimensions[r].height = 75  # five lines; the whole text shows in the formula bar
    last = row + margin
    _list_validation(ws, col["Förvaltning"], _ref("Förvaltningar", "B", len(plan.departments)), last, True)
    for name in ["Universell", "Selektiv", "Indikerad"] + [rf_name[r] for r in rfs]:
        _list_validation(ws, col[name], '"x"', last, True)
    hint = "Flera värden: ett per rad (Alt+Enter)."
    _list_validation(ws, col["Platser"], _ref("Platser", "B", len(plan.places)), last, False, hint)
    _list_validation(ws, col["Medverkande förvaltningar"], _ref("Förvaltningar", "B", len(plan.departments)), last,
                     False, hint)
    _list_validation(ws, col["Externa aktörer"], _ref("Aktörer", "B", len(plan.actors)), last, False, hint)
    _list_validation(ws, col["Forum"], _ref("Forum", "B", len(plan.forums)), last, False, hint)
    ws.auto_filter.ref = f"A1:{ws.cell(row=1, column=len(headers)).column_letter}{max(row, 2)}"

    # Riskfaktorer
    ws = wb.create_sheet("Riskfaktorer")
    _header(ws, HEADERS["Riskfaktorer"], {"Namn (engelska)": 30, "Definition (engelska)": 50, "Samma som": 24,
                                          "Andra namn": 30})
    for r, rf in enumerate(plan.risk_factors, start=2):
        for c, value in enumerate((rf.id, rf.label.sv, rf.definition.sv, rf.label.en, rf.definition.en,
                                   rf_name.get(rf.exact_match) if rf.exact_match else None,
                                   _lines(rf.alt_labels.sv), rf.lines, rf.note), start=1):
            _set(ws, r, c, value, wrap=c in (3, 5, 9))

    # Förvaltningar
    ws = wb.create_sheet("Förvaltningar")
    _header(ws, HEADERS["Förvaltningar"], {"Andra namn": 34})
    for r, d in enumerate(plan.departments, start=2):
        for c, value in enumerate((d.id, d.name, d.budget.amount, _lines(d.alt_names), d.lines, d.note), start=1):
            cell = _set(ws, r, c, value, wrap=c == 6)
            if c == 3:
                cell.number_format = "#,##0"

    # Aktörer
    ws = wb.create_sheet("Aktörer")
    _header(ws, HEADERS["Aktörer"], {"Andra namn": 34})
    for r, a in enumerate(plan.actors, start=2):
        for c, value in enumerate((a.id, a.name, CATEGORY_SV[a.category], _lines(a.alt_names), a.lines, a.note),
                                  start=1):
            _set(ws, r, c, value, wrap=c == 6)
    _list_validation(ws, 3, '"' + ",".join(CATEGORY_SV.values()) + '"', len(plan.actors) + 1 + margin, True)

    # Forum
    ws = wb.create_sheet("Forum")
    _header(ws, HEADERS["Forum"], {"Utskrivet namn": 34, "Andra namn": 24})
    for r, f in enumerate(plan.forums, start=2):
        members = [dept_name[x] for x in f.members.departments] + [actor_name[x] for x in f.members.actors]
        for c, value in enumerate((f.id, f.name, f.purpose, _lines(members), f.expansion, _lines(f.alt_names), f.lines,
                                   f.note), start=1):
            _set(ws, r, c, value, wrap=c in (3, 4, 8))

    # Platser
    ws = wb.create_sheet("Platser")
    _header(ws, HEADERS["Platser"], {"Prioriterat": 12, "Andra namn": 24})
    for r, pl in enumerate(plan.places, start=2):
        for c, value in enumerate((pl.id, pl.name, KIND_SV[pl.kind], "x" if pl.priority else None,
                                   _lines(pl.alt_names), pl.lines, pl.note), start=1):
            _set(ws, r, c, value, wrap=c == 7)
    last = len(plan.places) + 1 + margin
    _list_validation(ws, 3, '"' + ",".join(KIND_SV.values()) + '"', last, True)
    _list_validation(ws, 4, '"x"', last, True)

    # Budget
    ws = wb.create_sheet("Budget")
    _header(ws, HEADERS["Budget"])
    r = 1
    for d in plan.departments:
        for item in d.budget.breakdown:
            r += 1
            for c, value in enumerate((d.name, item.amount, item.purpose, _lines(item.interventions), item.lines,
                                       item.note), start=1):
                cell = _set(ws, r, c, value, wrap=c in (3, 6))
                if c == 2:
                    cell.number_format = "#,##0"
    _list_validation(ws, 1, _ref("Förvaltningar", "B", len(plan.departments)), r + margin, True)

    # Uppföljning
    ws = wb.create_sheet("Uppföljning")
    _header(ws, HEADERS["Uppföljning"])
    r = 1
    for _name, data in _read_rounds(plan.folder):
        rnd = data.get("round") or {}
        date = rnd.get("date")
        for item in data.get("items") or []:
            indicators = item.get("indicators") or [None]
            for ind in indicators:
                r += 1
                ind = ind or {}
                values = (date, rnd.get("title"), item.get("intervention"), item.get("status"), item.get("comment"),
                          ind.get("name"), ind.get("value"), ind.get("unit"), ind.get("period"), ind.get("source"),
                          _lines(rnd.get("reported_to") or []))
                for c, value in enumerate(values, start=1):
                    if isinstance(value, float) and value.is_integer():
                        value = int(value)
                    cell = _set(ws, r, c, value if not isinstance(value, (list, dict)) else str(value), wrap=c == 5)
                    if c == 1 and isinstance(value, (_dt.date, _dt.datetime)):
                        cell.number_format = "yyyy-mm-dd"
    last = r + margin
    _list_validation(ws, 4, '"' + ",".join(STATUSES) + '"', last, True)

    # Instruktioner
    ws = wb.create_sheet("Instruktioner")
    ws.column_dimensions["A"].width = 110
    from openpyxl.styles import Font

    for r, line in enumerate(INSTRUCTIONS.splitlines(), start=1):
        cell = _set(ws, r, 1, line or None, wrap=True)
        if r == 1 or line in ("Insatser", "De andra bladen"):
            cell.font = Font(bold=True, size=13 if r == 1 else 11)

    # the plan folder's files, for the import to compare against
    ws = wb.create_sheet(HIDDEN_SHEET)
    ws.sheet_state = "veryHidden"
    _set(ws, 1, 1, HIDDEN_MARK)
    for r, (name, text) in enumerate(sorted(plan_files(plan).items()), start=2):
        packed = base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
        _set(ws, r, 1, name)
        for c, start in enumerate(range(0, max(len(packed), 1), _CHUNK), start=2):
            _set(ws, r, c, packed[start:start + _CHUNK])

    wb.active = wb.sheetnames.index("Insatser")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
