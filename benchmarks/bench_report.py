"""Benchmark: the report of Umeå's plan as PDF, both editions, against Chromium printing the same HTML.

Run it with ``.venv/bin/python benchmarks/bench_report.py [--repeat 3] [--no-chromium]``.

For each edition (``fullstandig``, ``mote``) it measures, in one process with the store
already open, the steps of ``uvts report --format pdf``: building the document (graph,
analyses), the HTML, WeasyPrint's layout and its PDF writing, as wall time and as CPU time
of the process (CPU time is what to compare when other programs share the machine: wall
time then grows with the load, CPU time much less). With Chromium (Debian's package, via
Playwright, as the browser tests use it) it also prints the same HTML to PDF and gives the
ratio WeasyPrint / Chromium. It prints the load average before and after.

Targets (checked here, not in the tests; the script exits with status 1 when one is missed):
the meeting edition in at most ``TARGET_MEETING`` seconds of CPU; the full edition's time
is reported with its ratio to Chromium and checked against ``TARGET_FULL``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TARGET_MEETING = 3.0   # seconds of CPU, document + PDF, meeting edition
TARGET_FULL = 3.0      # seconds of CPU, document + PDF, full edition (the target)


def _clock():
    return time.perf_counter(), time.process_time()


def _since(start):
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def measure(store, edition: str) -> dict:
    import weasyprint

    from uvts.visualisations.report import build_document
    from uvts.visualisations.report_html import html_to_pdf, render_html

    out = {}
    t = _clock()
    doc = build_document(store, date="2026-11-25", edition=edition)
    out["document"] = _since(t)
    t = _clock()
    html = render_html(doc, pdf=True)
    out["html"] = _since(t)
    t = _clock()
    rendered = weasyprint.HTML(string=html).render()
    out["layout"] = _since(t)
    t = _clock()
    rendered.write_pdf()
    out["write"] = _since(t)
    out["pages"] = len(rendered.pages)
    t = _clock()
    html_to_pdf(html)  # the way the report does it (data-only fetcher), in one go
    out["pdf"] = _since(t)
    out["total"] = tuple(a + b for a, b in zip(out["document"], out["pdf"]))
    out["html_text"] = html
    return out


def chromium_pdf_seconds(html: str) -> float | None:
    """Wall seconds for Chromium to load the HTML and print it to PDF (A4), or None without Chromium."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("data:", "about:"))
                   else route.abort())
        start = time.perf_counter()
        page.set_content(html, wait_until="load")
        page.pdf(format="A4")
        seconds = time.perf_counter() - start
        browser.close()
    return seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-chromium", action="store_true")
    args = ap.parse_args(argv)

    from uvts.graph.paths import DEFAULT_DATA
    from uvts.graph.store import open_store

    print(f"load average before: {os.getloadavg()}")
    store, _ = open_store([DEFAULT_DATA], kind="memory")
    failed = False
    for edition, target in (("mote", TARGET_MEETING), ("fullstandig", TARGET_FULL)):
        runs = [measure(store, edition) for _ in range(args.repeat)]
        median = {k: (statistics.median(r[k][0] for r in runs), statistics.median(r[k][1] for r in runs))
                  for k in ("document", "html", "layout", "write", "pdf", "total")}
        print(f"\n{edition}: {runs[0]['pages']} pages (median of {args.repeat}; wall / CPU seconds)")
        for k, (wall, cpu) in median.items():
            print(f"  {k:9s} {wall:7.2f} {cpu:7.2f}")
        total_cpu = median["total"][1]
        if not args.no_chromium:
            chrome = chromium_pdf_seconds(runs[0]["html_text"])
            if chrome:
                print(f"  Chromium prints the same HTML in {chrome:.2f} s wall; "
                      f"ratio WeasyPrint PDF / Chromium (wall): {median['pdf'][0] / chrome:.2f}")
        ok = total_cpu <= target
        print(f"  target: document + PDF ≤ {target:.1f} s CPU: {total_cpu:.2f} s, {'met' if ok else 'NOT MET'}")
        failed |= not ok
    print(f"\nload average after: {os.getloadavg()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
