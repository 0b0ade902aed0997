"""``uvts views --out DIR``: write every network view and an index page.

A command module of the ``uvts`` command line (see ``COMMAND_MODULES`` in
:mod:`uvts.api.cli`). It lives in ``visualisations/`` and so imports nothing from ``api/``;
the store is opened with :func:`uvts.graph.store.open_store` from the common options.
networkx, pyvis and Jinja2 are imported only when the command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["add_commands", "cmd_views"]


def _data_dirs(args) -> list[Path]:
    """``--data`` in all its forms (see :func:`uvts.graph.paths.data_dirs`)."""
    from uvts.graph.paths import data_dirs

    return data_dirs(getattr(args, "data", None))


def cmd_views(args) -> int:
    from uvts.graph.analyses import run
    from uvts.graph.plans import PlanError
    from uvts.graph.project import read_typed_graph
    from uvts.graph.store import open_store

    from .views import read_extras, view_names, write_views

    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        print(f"fel: {out} finns redan och är ingen mapp", file=sys.stderr)
        return 2
    store, _ = open_store(_data_dirs(args), kind=args.store, rebuild=getattr(args, "rebuild", False),
                          at=getattr(args, "at", None))
    try:
        G = read_typed_graph(store, plan=args.plan)
        extras = read_extras(store, plan=args.plan)
    except PlanError as exc:
        print(f"fel: {exc}", file=sys.stderr)
        return 1
    if args.list:
        for name, title in view_names(G):
            print(f"{name:<60} {title}")
        return 0
    known = {name for name, _ in view_names(G)}
    unknown = [n for n in args.view or [] if n not in known]
    if unknown:
        print(f"fel: okänd vy {', '.join(repr(n) for n in unknown)}; uvts views --list visar vyerna", file=sys.stderr)
        return 2
    names = args.view or None
    # the analyses the overlap and key-actor views draw, run on the graph read above
    wanted = [a for a, v in (("overlap", "overlap"), ("actors", "key-actors")) if names is None or v in names]
    results = {a: run(a, G, seed=args.seed) for a in wanted}
    paths = write_views(out, G, results=results, extras=extras, seed=args.seed, names=names)
    print(f"Skrev {len(paths) - 1} vyer och index.html till {out}/ (öppna {out / 'index.html'} i en webbläsare).")
    return 0


def add_commands(subparsers, add_common) -> None:
    p = subparsers.add_parser(
        "views", help="skriv interaktiva nätverksvyer (HTML som fungerar utan internet)",
        description="Skriv nätverksvyerna som fristående HTML-sidor med en indexsida: hela nätverket, en vy per "
                    "riskfaktor, förvaltning och extern aktör, samverkansforumen, överlappet och nyckelaktörerna. "
                    "Sidorna hämtar ingenting från internet.")
    add_common(p)
    p.add_argument("--out", default=None, metavar="MAPP", help="mappen att skriva vyerna till (skapas vid behov)")
    p.add_argument("--view", action="append", metavar="VY", help="skriv bara denna vy (kan anges flera gånger)")
    p.add_argument("--plan", default=None, metavar="PLAN",
                   help="bara en plan (id, kommunnamn eller kommunkod); standard: alla planer i lagringen")
    p.add_argument("--seed", type=int, default=0, help="slumpfrö för layouten och grupperna (standard 0)")
    p.add_argument("--list", action="store_true", help="lista vyernas namn och titlar i stället för att skriva dem")
    p.set_defaults(func=_run)


def _run(args) -> int:
    if not args.list and not args.out:
        print("fel: ange --out MAPP (eller --list)", file=sys.stderr)
        return 2
    return cmd_views(args)
