"""``uvts report`` and ``uvts charts``: the collaboration mapping report and its charts as files.

A command module of the ``uvts`` command line (see ``COMMAND_MODULES`` in
:mod:`uvts.api.cli`). It imports nothing from ``api/`` (the store is opened with
:func:`uvts.graph.store.open_store` from the common options) and imports matplotlib,
WeasyPrint and openpyxl only when a command runs.

Exit codes: 0 done; 1 an unknown plan; 2 bad arguments (an unknown date) or a failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["add_commands", "cmd_report", "cmd_charts"]

REPORT_FORMATS = ("html", "pdf", "xlsx", "md")


def _data_dirs(args) -> list[Path]:
    """``--data`` in all its forms (see :func:`uvts.graph.paths.data_dirs`)."""
    from uvts.graph.paths import data_dirs

    return data_dirs(getattr(args, "data", None))


def _open(args):
    from uvts.graph.store import open_store

    store, _ = open_store(_data_dirs(args), kind=args.store, rebuild=getattr(args, "rebuild", False),
                          at=getattr(args, "at", None))
    return store


def _fail(message: str, code: int) -> int:
    print(f"fel: {message}", file=sys.stderr)
    return code


def cmd_report(args) -> int:
    from uvts.graph.build import write_atomic
    from uvts.graph.plans import PlanError

    from .report import report_date, report_file

    try:
        date = report_date(args.date)
    except ValueError as exc:
        return _fail(str(exc), 2)
    store = _open(args)
    try:
        result = report_file(args.format, store, plan=args.plan, date=date, seed=args.seed, edition=args.edition)
    except PlanError as exc:
        return _fail(str(exc), 1)
    if args.output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(result.content)
        sys.stdout.buffer.flush()
        return 0
    target = Path(args.output) if args.output else Path(result.filename)
    write_atomic(target, result.content)
    edition = "mötesutgåva" if args.edition == "mote" else "fullständig utgåva"
    print(f"Skrev {target} ({args.format}, {edition}, {len(result.content)} byte, datum {date.isoformat()}).")
    return 0


def cmd_charts(args) -> int:
    from uvts.graph.analyses import run_all
    from uvts.graph.plans import PlanError

    from .charts import CHARTS, write_charts

    formats = ("png", "svg") if args.format == "both" else (args.format,)
    store = _open(args)
    try:
        results = run_all(store, seed=0, names=("coverage",), plan=args.plan)
    except PlanError as exc:
        return _fail(str(exc), 1)
    paths = write_charts(results, args.out, formats=formats, names=args.chart or CHARTS)
    for p in paths:
        print(p)
    print(f"Skrev {len(paths)} diagram till {args.out}.")
    return 0


def add_commands(subparsers, add_common) -> None:
    p = subparsers.add_parser(
        "report", help="skriv samverkanskartläggningen (rapporten) som HTML, PDF, XLSX eller Markdown",
        description="Samverkanskartläggningen: sammanfattning, riskfaktorerna per nivå, täckning som värmekartor, "
                    "luckor, överlappande insatser, samverkansforum, nyckelaktörer, en sida per förvaltning, metod "
                    "och en bilaga med alla insatser och deras rader i planen. Datum och dataversion står på varje "
                    "sida.")
    add_common(p)
    p.add_argument("--format", choices=REPORT_FORMATS, default="html",
                   help="html (en fristående fil), pdf, xlsx (ett blad per tabell) eller md (standard html)")
    p.add_argument("-o", "--output", metavar="FIL",
                   help="fil att skriva ('-' för skärmen); standard: samverkanskartlaggning-PLAN-DATUM.FORMAT")
    p.add_argument("--plan", default=None, metavar="PLAN",
                   help="rapport för en plan (id, kommunnamn eller kommunkod); standard: alla planer i lagringen")
    p.add_argument("--date", default=None, metavar="ÅÅÅÅ-MM-DD",
                   help="datum i rapporten (standard: SOURCE_DATE_EPOCH om satt, annars dagens datum)")
    p.add_argument("--seed", type=int, default=0, help="slumpfrö för Louvain-grupperna (standard 0)")
    p.add_argument("--edition", "--utgava", dest="edition", choices=("fullstandig", "mote"), default="fullstandig",
                   help="fullstandig (alla delar, standard) eller mote: en kort mötesutgåva med sammanfattning, "
                        "värmekartor, luckor, överlapp och forum")
    p.set_defaults(func=cmd_report)

    p = subparsers.add_parser(
        "charts", help="rita täckningens värmekartor och budgetdiagrammen som PNG och SVG",
        description="Värmekartor (riskfaktor × preventionsnivå, riskfaktor × förvaltning) och budget per förvaltning "
                    "och per riskfaktor, med svenska etiketter, som PNG och SVG i en mapp.")
    add_common(p)
    p.add_argument("--out", required=True, metavar="MAPP", help="mapp att skriva diagrammen i (skapas vid behov)")
    p.add_argument("--format", choices=("png", "svg", "both"), default="both", help="bildformat (standard both)")
    p.add_argument("--chart", action="append", metavar="NAMN",
                   choices=("tackning-riskfaktor-niva", "tackning-riskfaktor-forvaltning", "budget-per-forvaltning",
                            "budget-per-riskfaktor"),
                   help="bara detta diagram (kan anges flera gånger)")
    p.add_argument("--plan", default=None, metavar="PLAN", help="diagram för en plan; standard: alla planer")
    p.set_defaults(func=cmd_charts)
