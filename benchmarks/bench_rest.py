"""Benchmark of the REST resources on loopback (a benchmark, not a timed test).

Starts ``uvts serve`` in a subprocess on a free port of 127.0.0.1 (the server and the
load generator share the machine) and measures, with a bounded load generator (a fixed
number of requests per client, a time cap, loopback only, each client sending its next
request when the previous one is answered):

1. requests per second and p50/p99 latency of a REST call
   (``GET /risk-factors/psykisk-ohalsa``, and a filtered list) with 1, 4 and 16
   concurrent clients, next to another ready-made answer of the same server measured
   just before it (a static file served from memory);
2. the p99 latency of the REST call while two slow SPARQL queries run (each a cross join
   that would take hours, in the endpoint's worker processes), next to the same call
   with nothing else running (the baseline, measured in the same run).

Targets on 2 cores, load generator included: at least 500 REST requests per second with
16 clients, and p99 of the REST call under 100 ms while two slow queries run.

Run::

    .venv/bin/python benchmarks/bench_rest.py                 # prints a table
    .venv/bin/python benchmarks/bench_rest.py --json out.json --check

``--check`` exits with 1 when a target is missed. The load generator is a small HTTP/1.1
client on asyncio streams with keep-alive connections (:func:`run_raw_load`), lighter than
httpx, so that on two cores it leaves the server as much CPU as it can; the server
starter comes from ``bench_service.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_service import SLOW_QUERY, LoadResult, percentile, serve  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REST_CALL = "/risk-factors/psykisk-ohalsa"
FILTERED_CALL = "/interventions?risk_factor=psykisk-ohalsa&level=selektiv"
# Another answer of the same app that is ready bytes (a static file), for comparison. It is not a
# floor: its route is matched after the REST routes, and routing tries each route in turn.
FLOOR_CALL = "/static/app.js"
TARGET_RPS_16 = 500.0
TARGET_P99_MS = 100.0

__all__ = ["run_raw_load", "main", "TARGET_RPS_16", "TARGET_P99_MS"]


# --- a small, bounded HTTP/1.1 load generator ---------------------------------------------------------------


async def _read_response(reader) -> int:
    """Read one HTTP/1.1 response (Content-Length or chunked body); return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def run_raw_load(base: str, path: str, *, name: str, concurrency: int, requests: int,
                       max_seconds: float = 60.0, expect_status: int = 200) -> LoadResult:
    """Send ``requests`` GET requests for ``path`` from ``concurrency`` keep-alive connections.

    Each connection sends its next request when the previous answer has been read (a closed
    loop: the load is bounded by the server's speed), and the run stops after ``requests``
    requests or ``max_seconds``. Only ``expect_status`` counts as a success.
    """
    url = urlsplit(base)
    request = (f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nAccept: application/json\r\n"
               f"Connection: keep-alive\r\n\r\n").encode("latin-1")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    remaining = requests
    start = time.perf_counter()
    deadline = start + max_seconds

    async def client():
        nonlocal remaining, errors
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                t0 = time.perf_counter()
                try:
                    writer.write(request)
                    status = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    latencies.append((time.perf_counter() - t0) * 1000.0)
                    writer.close()
                    reader, writer = await asyncio.open_connection(url.hostname, url.port)
                    continue
                latencies.append((time.perf_counter() - t0) * 1000.0)
                statuses[status] = statuses.get(status, 0) + 1
                if status != expect_status:
                    errors += 1
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    seconds = time.perf_counter() - start
    return LoadResult(name, concurrency, len(latencies), errors, round(seconds, 3),
                      round(len(latencies) / seconds, 1) if seconds else 0.0,
                      round(percentile(latencies, 50), 2), round(percentile(latencies, 99), 2),
                      round(max(latencies), 2) if latencies else float("nan"), statuses)


# --- the scenarios ----------------------------------------------------------------------------------------


async def _throughput(base: str, per_client: int) -> list[LoadResult]:
    results = []
    await run_raw_load(base, REST_CALL, name="warm-up", concurrency=2, requests=200)
    await run_raw_load(base, FILTERED_CALL, name="warm-up", concurrency=2, requests=50)
    for concurrency in (1, 4, 16):  # the comparison right before each REST run: both see the same machine
        n = per_client * max(concurrency, 4)
        results.append(await run_raw_load(base, FLOOR_CALL, name="compare: /static/app.js (ready bytes)",
                                          concurrency=concurrency, requests=n))
        results.append(await run_raw_load(base, REST_CALL, name=f"REST {REST_CALL}", concurrency=concurrency,
                                          requests=n))
    for concurrency in (1, 16):
        results.append(await run_raw_load(base, FILTERED_CALL, name="REST /interventions (two filters)",
                                          concurrency=concurrency, requests=per_client * max(concurrency, 4)))
    return results


async def _rest_while_slow(base: str, requests: int, slow: int = 2) -> tuple[list[LoadResult], int]:
    import httpx

    results = [await run_raw_load(base, REST_CALL, name="REST call, baseline", concurrency=1, requests=requests),
               await run_raw_load(base, REST_CALL, name="REST call, baseline", concurrency=4, requests=requests)]
    async with httpx.AsyncClient(timeout=300) as client:
        slow_tasks = [asyncio.create_task(client.post(base + "/sparql", content=SLOW_QUERY.encode(),
                                                      headers={"Content-Type": "application/sparql-query"}))
                      for _ in range(slow)]
        await asyncio.sleep(1.0)  # both slow queries are running in their workers by now
        for concurrency in (1, 4):
            results.append(await run_raw_load(base, REST_CALL, name=f"REST call, {slow} slow queries running",
                                              concurrency=concurrency, requests=requests, max_seconds=30))
        still_running = sum(not t.done() for t in slow_tasks)
        for t in slow_tasks:
            t.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*slow_tasks, return_exceptions=True)
    return results, still_running


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500,
                        help="requests per client in the throughput runs (at least 4 clients' worth)")
    parser.add_argument("--latency-requests", type=int, default=1000, help="requests per latency measurement")
    parser.add_argument("--slow-timeout", type=float, default=120.0, help="query time limit of the server")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        env = {"UVTS_STORE_PATH": str(Path(tmp) / "store")}
        with serve("--query-timeout", str(args.slow_timeout), "--query-workers", "3", env=env,
                   ready_path=REST_CALL) as base:
            throughput = asyncio.run(_throughput(base, args.requests))
            latency, still_running = asyncio.run(_rest_while_slow(base, args.latency_requests))
    if still_running != 2:
        print("the slow queries ended before the measurement did; raise --slow-timeout", file=sys.stderr)
        return 2

    rows = throughput + latency
    print(f"{'measurement':<50} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8}")
    for r in rows:
        print(f"{r.name:<50} {r.concurrency:>7} {r.requests:>8} {r.errors:>6} {r.rps:>8} {r.p50_ms:>8} "
              f"{r.p99_ms:>8} {r.max_ms:>8}")
    rest16 = next(r for r in throughput if r.name.startswith(f"REST {REST_CALL}") and r.concurrency == 16)
    floor16 = next(r for r in throughput if r.name.startswith("compare") and r.concurrency == 16)
    under = [r for r in latency if "slow queries running" in r.name]
    base_rows = [r for r in latency if r.name.endswith("baseline")]
    ratios = {"rps_rest_vs_static_file_16_clients": round(rest16.rps / floor16.rps, 2) if floor16.rps else None}
    for u, b in zip(under, base_rows):
        ratios[f"p99_slow_vs_baseline_{u.concurrency}_clients"] = round(u.p99_ms / b.p99_ms, 2) if b.p99_ms else None
    for k, v in ratios.items():
        print(f"ratio {k}: {v}")
    p99_under_load = next(r.p99_ms for r in under if r.concurrency == 1)
    rps_met = rest16.rps >= TARGET_RPS_16 and rest16.errors == 0
    p99_met = p99_under_load < TARGET_P99_MS and all(r.errors == 0 for r in latency)
    print(f"target: >= {TARGET_RPS_16:g} REST requests/s with 16 clients: {'met' if rps_met else 'MISSED'} "
          f"({rest16.rps} req/s; {os.cpu_count()} cores, load generator included)")
    print(f"target: p99 of the REST call under {TARGET_P99_MS:g} ms while two slow queries run: "
          f"{'met' if p99_met else 'MISSED'} ({p99_under_load} ms with 1 client)")
    if args.json:
        args.json.write_text(json.dumps({"results": [asdict(r) for r in rows], "ratios": ratios,
                                         "targets": {"rps_16": rps_met, "p99_slow": p99_met},
                                         "cores": os.cpu_count()}, indent=2), encoding="utf-8")
    return 0 if (rps_met and p99_met) or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
