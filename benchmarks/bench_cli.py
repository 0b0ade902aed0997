"""Cold whole-process timings of `uvts build` and `uvts query` (issue: foundation, point 11).

Each run is a fresh Python process, as a user's command would be. Baselines measured in the
same run: an empty Python start and `import rdflib`. Targets on 2 cores: the build under 2 s,
a saved query on a built store under 0.5 s. Exits 1 when a target is missed.

    python benchmarks/bench_cli.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    home = Path(tempfile.mkdtemp(prefix="uvts-bench-"))
    env = dict(os.environ, UVTS_HOME=str(home))
    rows = {}
    rows["python -c pass"] = [timed([py, "-c", "pass"], env) for _ in range(args.runs)]
    rows["python -c 'import rdflib'"] = [timed([py, "-c", "import rdflib"], env) for _ in range(args.runs)]
    build = []
    for _ in range(args.runs):
        shutil.rmtree(home, ignore_errors=True)  # no published version: the build really builds
        build.append(timed([py, "-m", "uvts", "build"], env))
    rows["uvts build (cold, builds the store)"] = build
    rows["uvts query who-works-on (built store)"] = [
        timed([py, "-m", "uvts", "query", "who-works-on"], env) for _ in range(args.runs)]
    rows["uvts query --sparql COUNT (built store)"] = [
        timed([py, "-m", "uvts", "query", "--sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"], env)
        for _ in range(args.runs)]
    shutil.rmtree(home, ignore_errors=True)

    base = statistics.median(rows["python -c pass"])
    print(f"{'command':<45} {'median s':>9} {'min s':>7} {'× python':>9}")
    for name, values in rows.items():
        med = statistics.median(values)
        print(f"{name:<45} {med:>9.3f} {min(values):>7.3f} {med / base:>9.1f}")
    build_ok = statistics.median(build) < 2.0
    query_ok = statistics.median(rows["uvts query who-works-on (built store)"]) < 0.5
    print(f"\ntarget build < 2 s: {'ok' if build_ok else 'MISSED'}; target query < 0.5 s: {'ok' if query_ok else 'MISSED'}")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    return 0 if build_ok and query_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
