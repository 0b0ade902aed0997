"""Commands ``uvts excel export``, ``uvts excel import`` and ``uvts new`` (thin: the work is in
:mod:`uvts.graph.workbook`, :mod:`uvts.graph.workbook_import` and :mod:`uvts.graph.newplan`)."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["add_commands", "cmd_excel_export", "cmd_excel_import", "cmd_new", "publish_folder"]


def _err(msg: str) -> None:
    print(f"fel: {msg}", file=sys.stderr)


def _plan_folder_at(args):
    """The one plan folder to export: ``--data`` (one plan) at the latest data, or at version ``--at``."""
    from .paths import data_dirs

    folders = data_dirs(args.data)
    if getattr(args, "at", None):
        try:
            from . import versions
        except ImportError:
            _err("versioner finns inte i den här installationen; utelämna --at")
            return None
        folders = versions.data_dirs_at(args.at, folders) if hasattr(versions, "data_dirs_at") else None
        if folders is None:
            _err("--at stöds inte ännu för arbetsboken; utelämna --at")
            return None
    if len(folders) != 1:
        _err(f"arbetsboken gäller en plan; ange en planmapp med --data (fick {len(folders)})")
        return None
    return folders[0]


def cmd_excel_export(args) -> int:
    from .load import load_plan
    from .workbook import export_workbook

    folder = _plan_folder_at(args)
    if folder is None:
        return 2
    plan = load_plan(folder)
    version = args.at or _current_version(folder)
    export_workbook(plan, args.output, version=version)
    n = sum(1 for _ in plan.interventions())
    print(f"Skrev {args.output}: {plan.plan.municipality.name}, {n} insatser. Öppna den i Excel, ändra och läs in den "
          f"med uvts excel import.")
    return 0


def _current_version(folder: Path) -> str | None:
    try:
        from .versions import version_id  # the versions module, when present
    except ImportError:
        return None
    try:
        return version_id([folder])
    except Exception:
        return None


def publish_folder(folder: Path, *, message: str | None, source: dict) -> tuple[str, bool]:
    """Build and publish ``folder`` as a new version (issue 13's ``versions.publish``)."""
    from . import versions

    version, created = versions.publish([folder], message=message, source=source)
    return getattr(version, "id", str(version)), created


def cmd_excel_import(args) -> int:
    from .workbook_import import import_workbook

    if args.publish:
        try:
            from . import versions  # noqa: F401
        except ImportError:
            _err("publicering (--publish) kräver versionshanteringen, som inte finns i den här installationen")
            return 2
    result = import_workbook(args.file, args.output)
    print(f"Läste in {result.file} till {result.folder}: {result.interventions} insatser"
          + (f", {len(result.added)} nya" if result.added else "")
          + (f", {len(result.removed)} borttagna" if result.removed else "")
          + (f", {len(result.changed)} ändrade celler." if result.changed else ", inga ändringar."))
    for iid in result.added:
        print(f"  ny insats: {iid}")
    if args.publish:
        vid, created = publish_folder(result.folder, message=args.message,
                                      source={"kind": "workbook", "name": result.file, "sha256": result.sha256})
        print(f"Publicerade version {vid}." if created else f"Data var oförändrad; senaste version är {vid}.")
    return 0


def cmd_new(args) -> int:
    from .newplan import new_plan
    from .load import load_plan

    folder = new_plan(args.output, args.kommun, args.kommunkod, args.period)
    plan = load_plan(folder)
    print(f"Skapade en tom plan för {plan.plan.municipality.name} ({plan.plan.period.start}–{plan.plan.period.end}) "
          f"i {folder}. Nästa steg: uvts excel export --data {folder} -o plan.xlsx")
    return 0


def add_commands(sub, add_common) -> None:
    p = sub.add_parser("excel", help="planen som Excel-arbetsbok: exportera och läs in")
    add_common(p)
    excel = p.add_subparsers(dest="excel_command", metavar="ÅTGÄRD", required=True)

    e = excel.add_parser("export", help="skriv planen som en arbetsbok (.xlsx) att ändra i Excel")
    add_common(e)
    e.add_argument("--at", metavar="VERSION", help="planen som den var i en publicerad version")
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
    n.set_defaults(func=cmd_new)
