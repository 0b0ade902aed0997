"""What follow-up rounds cost: the three saved follow-up questions, reading the rounds with the typed
graph, and the chain check, on Umeå plus N synthetic plans (each with two synthetic rounds).

    .venv/bin/python benchmarks/bench_follow_up.py --plans 10 [--rdflib]

Prints a Markdown table of p50 times (ms) over ``--runs`` runs after a warm-up. Not a test:
there is no timed assertion; the numbers go into the report of the work.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ("delayed-interventions", "not-followed-up", "status-by-risk-factor")


def _p50(fn, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plans", type=int, default=10, help="synthetic plans besides Umeå's (default 10)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rdflib", action="store_true", help="also measure rdflib's memory store")
    args = ap.parse_args(argv)

    from uvts.graph.analyses import run
    from uvts.graph.follow_up_data import read_follow_up
    from uvts.graph.paths import DEFAULT_DATA
    from uvts.graph.project import read_typed_graph
    from uvts.graph.queries import run_saved
    from uvts.graph.store import open_store
    from uvts.graph.synth import write_plans

    with tempfile.TemporaryDirectory() as tmp:
        folders = [DEFAULT_DATA] + write_plans(tmp, args.plans, seed=args.seed)
        kinds = ["memory"] + (["rdflib"] if args.rdflib else [])
        rows = []
        for kind in kinds:
            store, _ = open_store(folders, kind=kind)
            fu = read_follow_up(store.select)
            row = {"store": "embedded (pyoxigraph)" if kind == "memory" else "rdflib memory",
                   "rounds": len(fu["rounds"]), "records": len(fu["records"])}
            for q in QUERIES:
                row[q] = _p50(lambda q=q: run_saved(store, q), args.runs)
            row["read rounds"] = _p50(lambda: read_follow_up(store.select), args.runs)
            G = read_typed_graph(store)
            row["chain"] = _p50(lambda: run("chain", G), args.runs)
            rows.append(row)
    cols = ["store", "rounds", "records", *QUERIES, "read rounds", "chain"]
    print(f"Umeå + {args.plans} synthetic plans; p50 of {args.runs} runs in ms ({sys.version.split()[0]}).\n")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{r[c]:.1f}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
