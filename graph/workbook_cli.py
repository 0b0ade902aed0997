"""Commands ``uvts excel export``, ``uvts excel import`` and ``uvts new`` (thin: the work is in
:mod:`uvts.graph.workbook`, :mod:`uvts.graph.workbook_import` and :mod:`uvts.graph.newplan`)."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["add_commands", "cmd_excel_export", "cmd_excel_import", "cmd_new", "publish_folder", "publish_dirs"]


def _err(msg: str) -> None:
    print(f"fel: {msg}", file=sys.stderr)


def _choose(plans, wanted: str | None):
    """The one plan to export: the only one, or the one ``--plan`` names (id, municipality, code)."""
    if wanted:
        hits = [p for p in plans if wanted in (p.plan.id, p.plan.municipality.name, p.plan.municipality.code)]
        if len(hits) == 1:
            return hits[0]
        _err(f"okänd plan '{wanted}'; välj en av: " + ", ".join(p.plan.id for p in plans))
        return None
    if len(plans) == 1:
        return plans[0]
    _err("arbetsboken gäller en plan; välj med --plan (" + ", ".join(p.plan.id for p in plans) + ")")
    return None


def cmd_excel_export(args) -> int:
    from .load import load_plans
    from .paths import data_dirs
    from .workbook import export_workbook

    if args.at:
        from .versions import resolve_version, version_plans

        version = resolve_version(args.at)
        plan = _choose(version_plans(version), args.plan)
        vid = version.id
    else:
        plan = _choose(load_plans(data_dirs(args.data)), args.plan)
        vid = _published_id(plan) if plan is not None else None
    if plan is None:
        return 2
    export_workbook(plan, args.output, version=vid)
    n = sum(1 for _ in plan.interventions())
    print(f"Skrev {args.output}: {plan.plan.municipality.name}, {n} insatser. Öppna den i Excel, ändra och läs in den "
          f"med uvts excel import.")
    return 0


def _published_id(plan) -> str | None:
    """The published version's id when it holds exactly this plan's data, else None."""
    try:
        from .versions import data_id, latest, version_data_dirs
        from .load import load_plan

        current = latest()
        if current is None or plan.plan.id not in current.plans:
            return None
        for folder in version_data_dirs(current):
            if load_plan(folder).plan.id == plan.plan.id:
                return current.id if data_id([folder]) == data_id([plan.folder]) else None
    except Exception:  # no home or an unreadable version: say nothing about versions
        return None
    return None


def publish_dirs(dirs: list[Path], folder: Path) -> list[Path]:
    """``dirs`` with the plan folder of ``folder``'s plan replaced by ``folder`` (added when new)."""
    from .load import load_plan

    plan_id = load_plan(folder).plan.id
    out, replaced = [], False
    for d in dirs:
        try:
            same = Path(d).resolve() == Path(folder).resolve() or load_plan(d).plan.id == plan_id
        except Exception:
            same = False
        if same:
            if not replaced:
                out.append(Path(folder))
            replaced = True
        else:
            out.append(Path(d))
    return out if replaced else out + [Path(folder)]


def publish_folder(folder: Path, dirs: list[Path], *, message: str | None, source: dict):
    """Build and publish ``dirs`` with ``folder`` in place of its plan as a new version (issue 13)."""
    from . import versions

    return versions.publish(publish_dirs(dirs, folder), message=message, source=source)


def cmd_excel_import(args) -> int:
    from .paths import data_dirs
    from .workbook_import import import_workbook

    result = import_workbook(args.file, args.output)
    print(f"Läste in {result.file} till {result.folder}: {result.interventions} insatser"
          + (f", {len(result.added)} nya" if result.added else "")
          + (f", {len(result.removed)} borttagna" if result.removed else "")
          + (f", {len(result.changed)} ändrade celler." if result.changed else ", inga ändringar."))
    for iid in result.added:
        print(f"  ny insats: {iid}")
    if args.publish:
        version, created = publish_folder(result.folder, data_dirs(args.data), message=args.message,
                                          source={"kind": "workbook", "name": result.file, "sha256": result.sha256})
        print(f"Publicerade version {version.id}." if created else f"Data var oförändrad; version {version.id} är publicerad.")
    return 0


def cmd_new(args) -> int:
    from .load import load_plan
    from .newplan import new_plan
    from .workbook import export_workbook

    folder = new_plan(args.output, args.kommun, args.kommunkod, args.period)
    plan = load_plan(folder)
    xlsx = args.xlsx or Path(str(Path(args.output)).rstrip("/\\") + ".xlsx")
    export_workbook(plan, xlsx)
    print(f"Skapade en tom plan för {plan.plan.municipality.name} ({plan.plan.period.start}–{plan.plan.period.end}) "
          f"i {folder} och dess arbetsbok {xlsx}. Fyll i arbetsboken och läs in den: "
          f"uvts excel import {xlsx} -o {folder}")
    return 0


def add_commands(sub, add_common) -> None:
    p = sub.add_parser("excel", help="planen som Excel-arbetsbok: exportera och läs in")
    add_common(p)
    excel = p.add_subparsers(dest="excel_command", metavar="ÅTGÄRD", required=True)

    e = excel.add_parser("export", help="skriv planen som en arbetsbok (.xlsx) att ändra i Excel")
    add_common(e)
    e.add_argument("--plan", help="vilken plan, när det finns flera (id, kommunens namn eller kod)")
    e.add_argument("-o", "--output", required=True, type=Path, metavar="FIL.xlsx", help="arbetsboken att skriva")
    e.set_defaults(func=cmd_excel_export)

    i = excel.add_parser("import", help="läs in en ifylld arbetsbok till en planmapp")
    add_common(i)
    i.add_argument("file", type=Path, metavar="FIL.xlsx", help="arbetsboken att läsa in")
    i.add_argument("-o", "--output", required=True, type=Path, metavar="MAPP", help="planmappen att skriva")
    i.add_argument("--publish", action="store_true", help="bygg och publicera också en ny version")
    i.add_argument("-m", "--message", metavar="TEXT", help="meddelande till den publicerade versionen")
    i.set_defaults(func=cmd_excel_import)

    n = sub.add_parser("new", help="en ny, tom plan för en kommun")
    add_common(n)
    n.add_argument("--kommun", required=True, metavar="NAMN", help="kommunens namn, till exempel \"Nordmalings kommun\"")
    n.add_argument("--kommunkod", required=True, metavar="KOD", help="kommunkoden, fyra siffror")
    n.add_argument("--period", required=True, metavar="START-SLUT", help="planperioden, till exempel 2025-2027")
    n.add_argument("-o", "--output", required=True, type=Path, metavar="MAPP", help="mappen att skapa")
    n.add_argument("--xlsx", type=Path, metavar="FIL.xlsx", help="arbetsboken att skriva (standard: MAPP.xlsx bredvid mappen)")
    n.set_defaults(func=cmd_new)
