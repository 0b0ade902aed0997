"""Versions measured: publish time, disk per version, REST latency while a version is published.

* publish: ``uvts build`` as a whole process on a home that already holds versions, with
  changed data (a budget figure), so that a new version is built and published: the Umeå
  plan (median of ``--runs``) and ``--plans`` plans (Umeå and synthetic ones, once);
* disk: the size of one version's folder (its store and its copy of the data);
* REST under load: the app under uvicorn on loopback, ``--clients`` threads asking
  REST resources and pages in a loop; p50/p99 before, and during the publication of a
  new version (from the start of `uvts build` until the service has switched), with
  every request counted (a failed one is a miss).

Targets (exit 1 when one is missed): Umeå published in ≤ 3 s; 290 plans in ≤ 180 s; REST
p99 during a publication ≤ 1 s with 0 failed requests; disk per version ≤ 5 MB for Umeå and
≤ 600 MB for 290 plans.

    python benchmarks/bench_versions.py [--plans 290] [--runs 3] [--clients 4] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT.parent))

TARGETS = {"publish_umea_s": 3.0, "publish_many_s": 180.0, "rest_p99_during_publish_ms": 1000.0,
           "disk_umea_mb": 5.0, "disk_many_mb": 600.0}


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _bump(folder: Path, n: int) -> None:
    """Change one budget figure of a plan folder, so that its data (and version id) is new."""
    f = sorted((folder / "departments").glob("*.yaml"))[0]
    text = f.read_text(encoding="utf-8")
    marker = "# bench-versions "
    lines = [ln for ln in text.splitlines() if not ln.startswith(marker)]
    f.write_text("\n".join(lines) + f"\n{marker}{n}\n", encoding="utf-8")


def _build(folders: list[Path], env: dict, message: str) -> float:
    cmd = [sys.executable, "-m", "uvts", "build", "-m", message]
    for f in folders:
        cmd += ["--data", str(f)]
    start = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"uvts build failed: {r.stderr}")
    return time.perf_counter() - start


def _publish_timed(folders: list[Path], env: dict, message: str) -> float:
    """Seconds of :func:`uvts.graph.versions.publish` alone, in a fresh process (the CLI's
    summary of 290 plans afterwards is not part of publishing)."""
    code = ("import sys, time, json; from uvts.graph.versions import publish; t = time.perf_counter(); "
            "publish(json.loads(sys.argv[1]), message=sys.argv[2]); print(time.perf_counter() - t)")
    r = subprocess.run([sys.executable, "-c", code, json.dumps([str(f) for f in folders]), message], env=env, cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"publish failed: {r.stderr}")
    return float(r.stdout.strip().splitlines()[-1])


def _current(home: Path) -> str | None:
    try:
        return json.loads((home / "current.json").read_text(encoding="utf-8"))["id"]
    except (OSError, ValueError, KeyError):
        return None


def _percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def rest_under_publish(folder: Path, home: Path, env: dict, clients: int) -> dict:
    """p50/p99 of REST and page requests before and during a publication."""
    import httpx
    import uvicorn

    os.environ["UVTS_HOME"] = str(home)
    from uvts.api.app import create_app
    from uvts.api.settings import Settings

    app = create_app(Settings(query_workers=2))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    paths = ["/overview", "/risk-factors", "/interventions", "/riskfaktorer", "/insatser", "/forvaltningar/fritid"]
    samples: list[tuple[float, float, int]] = []  # (start, seconds, status)
    stop = threading.Event()

    def load(i: int):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            k = i
            while not stop.is_set():
                path = paths[k % len(paths)]
                k += 1
                t0 = time.perf_counter()
                try:
                    status = client.get(path).status_code
                except httpx.HTTPError:
                    status = 0
                samples.append((t0, time.perf_counter() - t0, status))

    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        for path in paths:  # warm up: each resource's catalogue is built on its first request
            client.get(path)
    workers = [threading.Thread(target=load, args=(i,), daemon=True) for i in range(clients)]
    for w in workers:
        w.start()
    time.sleep(5.0)
    before_end = time.perf_counter()
    _bump(folder, 999)
    start = time.perf_counter()
    old = _current(home)
    _build([folder], env, "bench: under load")
    new = _current(home)
    while getattr(app.state, "version", None) is None or app.state.version.id != new:
        time.sleep(0.01)
    end = time.perf_counter()
    time.sleep(1.0)
    stop.set()
    for w in workers:
        w.join(60)
    server.should_exit = True
    thread.join(30)
    before = [d for t, d, _ in samples if t < before_end]
    during = [d for t, d, _ in samples if start <= t <= end]
    failed = sum(1 for _, _, s in samples if s != 200)
    return {"requests": len(samples), "failed": failed, "switched": old != new, "publish_and_switch_s": end - start,
            "before_p50_ms": 1000 * _percentile(before, 50), "before_p99_ms": 1000 * _percentile(before, 99),
            "during_n": len(during), "during_p50_ms": 1000 * _percentile(during, 50),
            "during_p99_ms": 1000 * _percentile(during, 99)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=290, help="plans in the large run (Umeå + synthetic); 0 skips it")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from uvts.graph.paths import DEFAULT_DATA

    work = Path(tempfile.mkdtemp(prefix="uvts-bench-versions-"))
    out: dict = {"machine": f"{os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}",
                 "date": time.strftime("%Y-%m-%d")}
    try:
        umea = work / "umea"
        shutil.copytree(DEFAULT_DATA, umea)
        home = work / "home-umea"
        env = dict(os.environ, UVTS_HOME=str(home))
        _build([umea], env, "första")
        times = []
        for n in range(args.runs):
            _bump(umea, n)
            times.append(_build([umea], env, f"bench {n}"))
        out["publish_umea_s"] = statistics.median(times)
        out["publish_umea_runs_s"] = times
        out["disk_umea_mb"] = _du(home / "versions" / _current(home)) / 1e6
        out["rest"] = rest_under_publish(umea, home, env, args.clients)
        if args.plans > 1:
            synth = work / "synth"
            subprocess.run([sys.executable, "-m", "uvts", "synth", "--municipalities", str(args.plans - 1), "--seed", "1",
                            "-o", str(synth)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            home_many = work / "home-many"
            env_many = dict(os.environ, UVTS_HOME=str(home_many))
            plan_dirs = [umea] + sorted(p for p in synth.iterdir() if (p / "plan.yaml").exists())
            out["publish_many_first_s"] = _publish_timed(plan_dirs, env_many, "första")
            _bump(umea, 12345)
            out["publish_many_s"] = _publish_timed(plan_dirs, env_many, "en ändrad budget")
            out["disk_many_mb"] = _du(home_many / "versions" / _current(home_many)) / 1e6
            out["plans"] = args.plans
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rest = out["rest"]
    checks = [
        ("publish_umea_s", out["publish_umea_s"], "Umeå published (uvts build, whole process), median s"),
        ("disk_umea_mb", out["disk_umea_mb"], "disk per version, Umeå, MB"),
        ("rest_p99_during_publish_ms", rest["during_p99_ms"] if rest["failed"] == 0 else float("inf"),
         f"REST p99 during a publication, ms ({rest['during_n']} requests during it, {rest['failed']} failed of "
         f"{rest['requests']}; before: p50 {rest['before_p50_ms']:.1f} ms, p99 {rest['before_p99_ms']:.1f} ms)"),
    ]
    if "publish_many_s" in out:
        checks += [("publish_many_s", out["publish_many_s"], f"{out['plans']} plans published (publish(), a fresh "
                    f"process; the first version {out['publish_many_first_s']:.1f} s), s"),
                   ("disk_many_mb", out["disk_many_mb"], f"disk per version, {out['plans']} plans, MB")]
    ok = True
    print(f"Measured {out['date']} on {out['machine']}")
    for key, value, text in checks:
        met = value <= TARGETS[key]
        ok &= met
        print(f"- {'met' if met else 'NOT MET'}: {text}: {value:.2f} (target ≤ {TARGETS[key]:g})")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
