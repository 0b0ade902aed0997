"""The store benchmark (benchmarks/bench_stores.py) runs, measures every saved query, and checks
its targets honestly: a small run of it, and its grouping of the queries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from uvts.graph.queries import list_queries

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_stores  # noqa: E402


def test_national_aggregates_are_saved_queries():
    names = {q.name for q in list_queries()}
    assert set(bench_stores.NATIONAL_AGGREGATES) <= names
    national = {q.name for q in list_queries() if "nationellt" in q.tags}
    assert national <= set(bench_stores.NATIONAL_AGGREGATES) and len(national) == 4


def test_every_measured_query_has_a_group():
    assert bench_stores.group("plan:who-works-on") == "plan"
    assert bench_stores.group("plan-M:who-works-on") == "plan"
    assert bench_stores.group("nat:coverage-risk-level") == "aggregate"
    assert bench_stores.group("nat:who-works-on") == "listing"
    assert bench_stores.group("form:gaps-plain-not-exists") is None


def _result(store, p50s):
    return {"store": store, "size": 290, "triples": 1, "load_s": 1.0, "peak_bytes": 1,
            "analyses_s": {"plan": 0.5, "nation": 30.0},
            "queries": {k: ({"p50": v, "runs": 7} if v is not None else {"p50": None, "timeout": 30.0})
                        for k, v in p50s.items()}}


def test_targets_fail_when_a_national_aggregate_is_slow_or_a_cut_off_query_hides():
    run = {"sizes": [{"size": 290}], "results": [
        _result("oxigraph", {"plan:a": 0.002, "nat:coverage-risk-level": 0.250, "nat:who-works-on": 0.1}),
        _result("rdflib", {"plan:a": 0.050, "nat:coverage-risk-level": 30.0, "nat:who-works-on": 2.0})]}
    text = bench_stores.targets(run, 290)
    assert "- **not met**: national aggregate questions" in text and "worst 250.0 ms" in text
    run["results"][0]["queries"]["nat:coverage-risk-level"] = {"p50": None, "timeout": 30.0}
    assert "- **not met**: national aggregate questions" in bench_stores.targets(run, 290)
    run["results"][0]["queries"]["nat:coverage-risk-level"] = {"p50": 0.150, "runs": 7}
    text = bench_stores.targets(run, 290)
    assert "- met: national aggregate questions" in text
    assert "- **not met**: per-plan questions each ≥ 10×" not in text  # 25× here


def test_a_small_run_measures_every_saved_query_on_both_stores(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_stores.py"), "--sizes", "1,3",
                           "--stores", "oxigraph,rdflib", "--repeat", "1", "--no-docs", "--json", str(out),
                           "--workdir", str(tmp_path / "work")], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    run = json.loads(out.read_text(encoding="utf-8"))
    names = {q.name for q in list_queries()}
    for r in run["results"]:
        assert "error" not in r, r
        measured = set(r["queries"])
        assert {f"plan:{n}" for n in names} <= measured
        if r["size"] > 1:
            assert {f"nat:{n}" for n in names} <= measured
            assert {"form:gaps-plain-minus", "form:gaps-plain-not-exists"} <= measured
    assert "Targets at 3 plans" in proc.stdout and "| 3 (Umeå + 2 synthetic) |" in proc.stdout


@pytest.mark.parametrize("marker", [bench_stores.START, bench_stores.END])
def test_readme_and_doc_carry_the_table_markers(marker):
    for path in (bench_stores.README, bench_stores.DOC):
        assert marker in path.read_text(encoding="utf-8"), path
