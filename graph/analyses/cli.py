"""``uvts analyse NAME``: run an analysis and print it as a table, JSON or CSV.

A command module of the ``uvts`` command line (see ``COMMAND_MODULES`` in
:mod:`uvts.api.cli`). It lives in ``graph/`` and so imports nothing from ``api/``; the
store is opened with :func:`uvts.graph.store.open_store` from the common options.
networkx and numpy are imported only when the command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["add_commands", "cmd_analyse", "CHOICES"]

CHOICES = ("coverage", "gaps", "overlap", "actors", "all")


def _data_dirs(args) -> list[Path]:
    """``--data`` in all its forms (see :func:`uvts.graph.paths.data_dirs`)."""
    from uvts.graph.paths import data_dirs

    return data_dirs(getattr(args, "data", None))


def cmd_analyse(args) -> int:
    from ..plans import PlanError
    from ..project import read_typed_graph
    from ..store import open_store
    from . import NAMES, run
    from .render import csv_bytes, format_csv, format_json, format_table

    store, _ = open_store(_data_dirs(args), kind=args.store, rebuild=getattr(args, "rebuild", False),
                          at=getattr(args, "at", None))
    try:
        G = read_typed_graph(store, plan=args.plan)
    except PlanError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 1
    names = NAMES if args.name == "all" else (args.name,)
    results = [run(name, G, seed=args.seed) for name in names]
    try:
        if args.format == "json":
            if args.table:
                from .render import select_tables

                data = [t for _, t in select_tables(results, args.table)]
                payload = data[0] if len(data) == 1 else data
            else:
                payload = results[0] if len(results) == 1 else {r["name"]: r for r in results}
            out = (format_json(payload) + "\n").encode("utf-8")
        elif args.format == "csv":
            out = csv_bytes(format_csv(results, args.table))
        else:
            out = format_table(results, args.table).encode("utf-8")
    except KeyError as exc:
        print(f"fel: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.output in (None, "-"):
        sys.stdout.flush()
        sys.stdout.buffer.write(out)
        sys.stdout.buffer.flush()
    else:
        from ..build import write_atomic

        write_atomic(args.output, out)
        print(f"Skrev {args.output} ({len(out)} byte).")
    return 0


def add_commands(subparsers, add_common) -> None:
    p = subparsers.add_parser(
        "analyse", help="analysera täckning, luckor, överlapp och nyckelaktörer",
        description="Räkna fram täckning (coverage), luckor (gaps), överlapp (overlap) eller nyckelaktörer "
                    "(actors) ur grafen, eller alla (all). Tabellen visas på svenska; CSV är anpassad för Excel "
                    "(semikolon, decimalkomma, UTF-8 med BOM).")
    add_common(p)
    p.add_argument("name", choices=CHOICES, metavar="NAMN", help="coverage, gaps, overlap, actors eller all")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table", help="utdataformat (standard table)")
    p.add_argument("--seed", type=int, default=0, help="slumpfrö för Louvain-grupperna (standard 0)")
    p.add_argument("--plan", default=None, metavar="PLAN",
                   help="analysera bara en plan (id, kommunnamn eller kommunkod); standard: alla planer i lagringen")
    p.add_argument("--table", default=None, metavar="TABELL", help="visa bara tabellen med detta namn")
    p.add_argument("-o", "--output", default=None, metavar="FIL", help="skriv till FIL i stället för till skärmen")
    p.set_defaults(func=cmd_analyse)
