"""How fast bad data is refused (issue 13, point 5). Target: under 2 s each.

Copies data/ to a temporary folder and times ``load_plan`` on three kinds of bad input:
a 478-byte YAML alias bomb, a 50 MB departments file (a list of goals), and a plan whose
``source`` points outside its folder. Prints one line per case; exits 1 if a target is missed.

    .venv/bin/python benchmarks/bench_data_limits.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from uvts.graph.load import DataError, load_plan
from uvts.graph.paths import DEFAULT_DATA

TARGET_S = 2.0
BOMB = "".join(f"{k}: &{k} [" + ",".join([f"*{p}"] * 9 if p else ['"lol"'] * 9) + "]\n"
               for p, k in zip([None, *"abcdefgh"], "abcdefghi"))


def _case(name: str, breaker) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(DEFAULT_DATA, data)
        breaker(data)
        start = time.perf_counter()
        try:
            load_plan(data)
            raise SystemExit(f"{name}: was accepted")
        except DataError as exc:
            took = time.perf_counter() - start
            print(f"{name:<28} refused in {took:6.3f} s  ({exc.problems[0].message[:70]}…)")
            return took


def main() -> int:
    big_goals = "interventions:\n" + "".join(f"  - goal {n} " + "x" * 80 + "\n" for n in range(50 * 1024 * 1024 // 95))
    times = [
        _case(f"alias bomb ({len(BOMB.encode())} bytes)", lambda d: (d / "forums.yaml").write_text(BOMB, encoding="utf-8")),
        _case(f"{len(big_goals) // 2**20} MB YAML file",
              lambda d: (d / "departments" / "kultur.yaml").write_text(big_goals, encoding="utf-8")),
        _case("source outside the folder", lambda d: (d / "plan.yaml").write_text(
            (d / "plan.yaml").read_text(encoding="utf-8").replace(
                "source: aktivitetsplan-uvts-2024-2026.txt", "source: ../../../../../../etc/passwd"), encoding="utf-8")),
    ]
    slow = [t for t in times if t > TARGET_S]
    print(f"target: each under {TARGET_S} s: {'met' if not slow else 'MISSED'}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
