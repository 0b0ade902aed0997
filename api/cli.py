"""The ``uvts`` command line: a thin layer over the library.

Each subcommand parses its arguments, calls library functions and turns library errors
into Swedish messages. Exit codes: 0 success, 1 the data has problems (violations, bad
input), 2 the command could not run. Heavy libraries are imported inside the commands
that need them, so ``uvts query`` does not pay for FastAPI, pyvis or matplotlib.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

__all__ = ["main", "build_parser", "COMMAND_MODULES", "open_store_from_args", "data_dirs_from_args"]


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", action="append", metavar="MAPP", type=Path,
                   help="planmapp med plan.yaml, eller en mapp med planmappar (kan anges flera gånger; standard: repots data/)")
    p.add_argument("--store", default=os.environ.get("UVTS_STORE", "oxigraph"),
                   help="lagring: oxigraph (inbäddad, standard), memory, rdflib, eller sparql+http://värd/sparql")
    p.add_argument("--rebuild", action="store_true", help="bygg om den inbäddade lagringen även om data är oförändrad")
    p.add_argument("--at", metavar="VERSION", help="läs en tidigare publicerad version i stället för data i mapparna "
                                                    "(uvts versions listar dem)")


def _err(msg: str) -> None:
    print(f"fel: {msg}", file=sys.stderr)


def data_dirs_from_args(args) -> list[Path]:
    """The plan folders a command works on (``--data``, ``UVTS_DATA`` or the repository's data/);
    a folder of plan folders stands for each of them."""
    from uvts.graph.paths import data_dirs

    return data_dirs(args.data)


def open_store_from_args(args, plans=None):
    """Open the store a command works on, building it when the data has changed."""
    from uvts.graph.store import open_store

    store, built = open_store(data_dirs_from_args(args), kind=args.store, rebuild=getattr(args, "rebuild", False),
                              plans=plans, at=getattr(args, "at", None))
    return store, built


# --- commands ------------------------------------------------------------------------------


def cmd_build(args) -> int:
    from uvts.graph.build import build_graph, serialize, write_atomic
    from uvts.graph.load import load_plans
    from uvts.graph.summary import format_summary, summary

    if getattr(args, "at", None):
        _err("build publicerar data i mapparna; --at gäller bara kommandon som läser")
        return 2
    dirs = data_dirs_from_args(args)
    if args.store == "oxigraph":
        from uvts.graph.versions import latest, open_version, publish, version_plans

        before = latest()
        # publish loads the data first (from its own copy) and reports data errors before anything is published
        version, built = publish(dirs, message=args.message, rebuild=args.rebuild)
        plans = version_plans(version) if args.output else None
        store = open_version(version.id)
        if built:
            print(f"Grafen byggdes: version {version.id} är publicerad ({len(store)} tripler).")
        elif before is None or before.id != version.id:
            print(f"Grafen var redan byggd (data oförändrad): version {version.id} är publicerad igen ({len(store)} tripler).")
        else:
            print(f"Grafen var redan byggd (data oförändrad): version {version.id}, {len(store)} tripler.")
    elif args.store.startswith(("sparql+http://", "sparql+https://")):  # versions kept on the server
        from uvts.graph.remote_versions import open_remote_version, publish_remote, remote_version_plans

        version, built = publish_remote(dirs, args.store, message=args.message, rebuild=args.rebuild)
        store = open_remote_version(version.id, args.store)
        plans = remote_version_plans(version, args.store) if args.output else None
        print(("Grafen byggdes" if built else "Grafen var redan byggd (data oförändrad)") +
              f": version {version.id} är publicerad på servern ({version.triples} tripler).")
    else:
        plans = load_plans(dirs)  # reports data errors before anything is written
        store, built = open_store_from_args(args, plans)
        print(("Grafen byggdes" if built else "Grafen var redan byggd (data oförändrad)") + f": {len(store)} tripler.")
    if args.output:
        write_atomic(args.output, serialize(build_graph(plans), "nt"))
    print(format_summary(summary(store)))
    return 0


def cmd_export(args) -> int:
    from uvts.graph.build import FORMATS, build_graph, serialize, write_atomic
    from uvts.graph.load import load_plans

    if getattr(args, "at", None) and args.store.startswith(("sparql+http://", "sparql+https://")):
        from uvts.graph.remote_versions import remote_version_plans

        plans = remote_version_plans(args.at, args.store)
    elif getattr(args, "at", None):
        from uvts.graph.versions import version_plans

        plans = version_plans(args.at)
    else:
        plans = load_plans(data_dirs_from_args(args))
    data = serialize(build_graph(plans), args.format)
    if args.output in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        write_atomic(args.output, data)
        print(f"Skrev {args.output} ({FORMATS[args.format][2]}, {len(data)} byte).")
    return 0


def cmd_validate(args) -> int:
    from uvts.graph.load import load_plans
    from uvts.graph.validate import check_consistency, format_violations, validate_plans

    plans = load_plans(data_dirs_from_args(args))
    violations = validate_plans(plans)
    problems = [] if args.no_owl else check_consistency(plans)
    if not violations and not problems:
        n = sum(1 for p in plans for _ in p.interventions())
        print(f"Data följer formerna (SHACL) och är konsistent (OWL RL): {len(plans)} plan(er), {n} insatser.")
        return 0
    if violations:
        print(format_violations(violations))
    for p in problems:
        print(f"Inkonsistens (OWL RL): {p}")
    return 1


def cmd_query(args) -> int:
    from uvts.graph.queries import bind_params, format_result, get_query, list_queries

    if args.list:
        for q in list_queries():
            params = " ".join(f"{p.name}={p.default or '…'}" for p in q.params)
            print(f"{q.name:<40} {q.summary}" + (f"  [{params}]" if params else ""))
        return 0
    if not args.name and not args.sparql:
        _err("ange namnet på en sparad fråga (uvts query --list visar dem) eller --sparql TEXT")
        return 2
    params = {}
    for item in args.param or []:
        key, sep, value = item.partition("=")
        if not sep:
            _err(f"parametern '{item}' ska skrivas nyckel=värde")
            return 2
        params[key.strip()] = value.strip()
    if args.name:
        get_query(args.name)  # fail fast on an unknown name, before opening the store
    from uvts.graph.plans import plan_scope, select_in_plan

    store, _ = open_store_from_args(args)
    plan_scope(store, args.plan)  # an unknown plan fails here, with its Swedish message
    if args.sparql:
        sparql = Path(args.sparql[1:]).read_text(encoding="utf-8") if args.sparql.startswith("@") else args.sparql
    else:
        saved = get_query(args.name)
        sparql, bindings = saved.text, bind_params(saved, params)
    if args.sparql:  # a user's query: run in a child process, so an engine crash is a message, not exit 139
        from uvts.graph.userquery import run_user_select

        result = run_user_select(store, sparql, args.plan, args.limit)
    else:
        result = select_in_plan(store, sparql, args.plan, bindings, limit=args.limit)
    out = format_result(result, args.format)
    print(out, end="" if out.endswith("\n") else "\n")
    return 0


# --- the parser ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uvts",
        description="Samverkanskartan: kunskapsgraf över aktörer, insatser och riskfaktorer i brottsförebyggande arbete.")
    parser.add_argument("--version", action="version", version="uvts 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="KOMMANDO")

    p = sub.add_parser("build", help="bygg grafen och visa en sammanfattning")
    _add_common(p)
    p.add_argument("-o", "--output", help="skriv också grafen som sorterad N-Triples till FIL")
    p.add_argument("-m", "--message", metavar="TEXT", help="ett meddelande som sparas med den nya versionen")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate", help="kontrollera data mot formerna (SHACL) och ontologin (OWL RL)")
    _add_common(p)
    p.add_argument("--no-owl", action="store_true", help="hoppa över OWL RL-kontrollen")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("export", help="skriv hela grafen (ontologi + data) till en fil")
    _add_common(p)
    p.add_argument("--format", choices=["turtle", "nt", "jsonld", "xml"], default="turtle")
    p.add_argument("-o", "--output", help="fil att skriva (standard: skärmen)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("query", help="kör en sparad fråga eller egen SPARQL")
    _add_common(p)
    p.add_argument("name", nargs="?", help="namnet på en sparad fråga i ontology/queries/")
    p.add_argument("--param", action="append", metavar="NYCKEL=VÄRDE", help="värde för en parameter")
    p.add_argument("--sparql", metavar="TEXT", help="egen SPARQL-fråga (eller @FIL)")
    p.add_argument("--format", choices=["table", "csv", "tsv", "json"], default="table")
    p.add_argument("--limit", type=int, default=10000, help="högsta antal rader (standard 10000)")
    p.add_argument("--list", action="store_true", help="lista de sparade frågorna")
    p.add_argument("--plan", help="bara en plan (id, kommunens namn eller kod); standard: alla planer")
    p.set_defaults(func=cmd_query)

    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        module.add_commands(sub, _add_common)
    return parser


# Modules that add further subcommands. Each defines ``add_commands(subparsers, add_common)``
# and imports its heavy libraries only inside the command functions.
COMMAND_MODULES: list[str] = [
    "uvts.graph.analyses.cli",
    "uvts.graph.synth_cli",
    "uvts.graph.workbook_cli",
    "uvts.api.serve",
    "uvts.visualisations.report_cli",
    "uvts.visualisations.cli",
    "uvts.api.versions_cli",
]


def main(argv: list[str] | None = None) -> int:
    from uvts.graph.errors import DataError
    from uvts.graph.plans import PlanError
    from uvts.graph.queries import ParamError
    from uvts.graph.store import QueryError
    from uvts.graph.versions import LockBusy, VersionError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except DataError as exc:
        _err(f"data kunde inte läsas ({len(exc.problems)} problem):")
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except (ParamError, QueryError, PlanError, VersionError, LockBusy) as exc:
        _err(str(exc))
        return 1
    except BrokenPipeError:
        # the reader went away (``uvts query … | head``): not an error; don't print into a closed pipe
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        _err(f"kommandot kunde inte köras: {exc.strerror or exc} {exc.filename or ''}".rstrip())
        return 2
    except Exception as exc:  # a library failed: say so plainly, exit 2 ("could not run")
        _err(f"kommandot kunde inte köras: {type(exc).__name__}: {exc}")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
