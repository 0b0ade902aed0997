"""``uvts synth`` (write synthetic plans) and ``uvts plans`` (list the plans in a store).

A command module of the ``uvts`` command line (see ``COMMAND_MODULES`` in
:mod:`uvts.api.cli`). It lives in ``graph/`` and so imports nothing from ``api/``: the
store is opened with :func:`uvts.graph.store.open_store` from the common options.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["add_commands", "cmd_synth", "cmd_plans"]


def _data_dirs(args) -> list[Path]:
    from .paths import data_dirs

    return data_dirs(getattr(args, "data", None))


def cmd_synth(args) -> int:
    from .synth import MAX_MUNICIPALITIES, write_plans

    out = Path(args.output)
    if not 1 <= args.municipalities <= MAX_MUNICIPALITIES:
        print(f"fel: --municipalities ska vara mellan 1 och {MAX_MUNICIPALITIES} (fick {args.municipalities})",
              file=sys.stderr)
        return 2
    if out.exists() and not out.is_dir():
        print(f"fel: {out} finns redan och är ingen mapp", file=sys.stderr)
        return 2
    if out.is_dir() and any(out.iterdir()) and not args.force:
        print(f"fel: mappen {out} är inte tom; välj en tom mapp eller ange --force för att skriva över", file=sys.stderr)
        return 2
    shared_from = args.data[0] if args.data else None
    folders = write_plans(out, args.municipalities, seed=args.seed, shared_from=shared_from)
    print(f"Skrev {len(folders)} syntetiska planer (frö {args.seed}) till {out}/.")
    example = " ".join(f"--data {f}" for f in folders[:2])
    print(f"Varje undermapp är en planmapp: uvts validate {example}{' …' if len(folders) > 2 else ''}, "
          f"eller alla på en gång: uvts validate --data {out}")
    return 0


def cmd_plans(args) -> int:
    from .plans import list_plans
    from .store import open_store

    store, _ = open_store(_data_dirs(args), kind=args.store, rebuild=getattr(args, "rebuild", False),
                          at=getattr(args, "at", None))
    plans = list_plans(store)
    width = max([len(p["id"]) for p in plans] + [4])
    print(f"{'plan':<{width}}  {'kod':<5} kommun")
    for p in plans:
        print(f"{p['id']:<{width}}  {(p['code'] or ''):<5} {p['municipality_label']}")
    print(f"({len(plans)} {'plan' if len(plans) == 1 else 'planer'})")
    return 0


def add_commands(subparsers, add_common) -> None:
    p = subparsers.add_parser("synth", help="skriv syntetiska planer (för tester och mätningar)")
    p.add_argument("--municipalities", "-n", type=int, default=3, metavar="N", help="antal kommuner (standard 3)")
    p.add_argument("--seed", type=int, default=0, help="slumpfrö: samma frö ger samma planer (standard 0)")
    p.add_argument("-o", "--output", required=True, metavar="MAPP", help="mapp att skriva planmapparna i")
    p.add_argument("--force", action="store_true", help="skriv även om mappen inte är tom")
    p.add_argument("--data", action="append", type=Path, metavar="MAPP",
                   help="planmapp vars riskfaktorer, nivåer och nationella aktörer kopieras (standard: repots data/)")
    p.set_defaults(func=cmd_synth)

    p = subparsers.add_parser("plans", help="lista planerna (kommunerna) i lagringen")
    add_common(p)
    p.set_defaults(func=cmd_plans)
