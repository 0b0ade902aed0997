"""Export and import time of the plan workbook (issue 14, point 7).

Measures, in one process after a warm-up (as the web service and a second command run):
`export_workbook` and `import_workbook` of the Umeå plan, and of the largest plan of a
290-plan nation (Umeå + 289 synthetic plans from `uvts synth`, largest by interventions).
Target, stated in the README: each export and each import ≤ 1 s (p50 of the runs): the
Nielsen limit for a response that keeps the user's flow, so that a strategist who clicks
"Granska" or "Ladda ned" sees the answer at once. Exits 1 when a target is missed.

    python benchmarks/bench_workbook.py [--runs 5] [--plans 290] [--seed 1]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 1.0


def _median_time(fn, runs: int) -> tuple[float, float]:
    """p50 wall-clock and p50 CPU seconds (the CPU time shows the work when the machine is shared)."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def measure(folder: Path, runs: int, work: Path) -> dict:
    from uvts.graph.load import load_plan
    from uvts.graph.workbook import export_workbook
    from uvts.graph.workbook_import import import_workbook

    plan = load_plan(folder)
    xlsx = work / f"{plan.plan.id}.xlsx"
    out = work / f"{plan.plan.id}-import"

    def export():
        export_workbook(load_plan(folder), xlsx)

    def imp():
        import_workbook(xlsx, out)

    export_s, export_cpu = _median_time(export, runs)
    import_s, import_cpu = _median_time(imp, runs)
    return {"plan": plan.plan.municipality.name, "interventions": sum(1 for _ in plan.interventions()),
            "rows": sum(1 for _ in plan.interventions()) + len(plan.actors) + len(plan.forums) + len(plan.places),
            "bytes": xlsx.stat().st_size, "export_s": export_s, "import_s": import_s, "export_cpu": export_cpu,
            "import_cpu": import_cpu}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--plans", type=int, default=290, help="plans in the nation, Umeå included")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from uvts.graph.paths import DEFAULT_DATA
    from uvts.graph.synth import write_plans

    work = Path(tempfile.mkdtemp(prefix="uvts-bench-wb-"))
    try:
        rows = [dict(measure(DEFAULT_DATA, args.runs, work), which="Umeå")]
        folders = write_plans(work / "nation", args.plans - 1, seed=args.seed)

        def size(folder: Path) -> int:
            return sum(p.read_text(encoding="utf-8").count("\n  - number:") for p in (folder / "departments").glob("*.yaml"))

        largest = max(folders, key=size)
        rows.append(dict(measure(largest, args.runs, work), which=f"largest of {args.plans} plans"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Measured by benchmarks/bench_workbook.py on {platform.machine()} ({os.cpu_count()} cores, load average "
          f"{load:.1f} at the end), Python {platform.python_version()}; p50 of {args.runs} runs after a warm-up, in one "
          "process; wall-clock seconds (CPU seconds in brackets).\n")
    print("| plan | interventions | rows | workbook | export s | import s |")
    print("|---|---|---|---|---|---|")
    ok = True
    for r in rows:
        print(f"| {r['which']}: {r['plan']} | {r['interventions']} | {r['rows']} | {r['bytes'] // 1024} KB | "
              f"{r['export_s']:.2f} ({r['export_cpu']:.2f}) | {r['import_s']:.2f} ({r['import_cpu']:.2f}) |")
        ok = ok and r["export_s"] <= TARGET_S and r["import_s"] <= TARGET_S
    print(f"\nTarget: export and import each ≤ {TARGET_S:.0f} s: {'met' if ok else 'NOT MET'}.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
