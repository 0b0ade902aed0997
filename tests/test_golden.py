"""Every saved query against its golden answer, written from reading the plan (tests/golden/)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from uvts.graph.namespaces import ID
from uvts.graph.queries import list_queries, run_saved

GOLDEN = Path(__file__).parent / "golden"


def _cases():
    for path in sorted(GOLDEN.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load_all(path.read_text(encoding="utf-8"))):
            yield pytest.param(case, id=f"{path.stem}-{i}")


def _plain(value):
    if isinstance(value, str) and value.startswith(ID):
        return value[len(ID):]
    return value


def project(result, columns):
    return [tuple(_plain(row.get(c)) for c in columns) for row in result.values()]


def check(store, case):
    params = {k: str(v) for k, v in (case.get("params") or {}).items()}
    result = run_saved(store, case["query"], params)
    got = project(result, case["columns"])
    if "rows" in case:
        expected = {tuple(r) for r in case["rows"]}
        assert set(got) == expected, (f"missing: {sorted(expected - set(got))}\n"
                                      f"unexpected: {sorted(set(got) - expected)}")
    for row in case.get("contains", []):
        assert tuple(row) in set(got), f"{row} not in the answer"
    for row in case.get("excludes", []):
        assert tuple(row) not in set(got), f"{row} should not be in the answer"


@pytest.mark.parametrize("case", list(_cases()))
def test_golden_answer_embedded_store(store, case):
    check(store, case)


@pytest.mark.parametrize("case", list(_cases()))
def test_golden_answer_rdflib_store(rdflib_store, case):
    check(rdflib_store, case)


def test_every_saved_query_has_a_golden_answer():
    answered = {yaml.safe_load_all(p.read_text(encoding="utf-8")).__next__()["query"] for p in GOLDEN.glob("*.yaml")}
    names = {q.name for q in list_queries()}
    assert names <= answered, f"saved queries without a golden answer: {sorted(names - answered)}"


def test_contract_questions_have_saved_queries():
    names = {q.name for q in list_queries()}
    contract = {"who-works-on", "interventions-by-risk-and-level", "risk-factors-without-level", "forum-members",
                "budget-by-risk-factor", "interventions-for-children-under", "source-of"}
    assert contract <= names
    assert len(names - contract) >= 5


def test_saved_queries_document_themselves():
    for q in list_queries():
        assert q.summary, f"{q.name} has no '#+ summary:' header"
        assert q.tags, f"{q.name} has no '#+ tags:' header"
        header = q.text.split("SELECT")[0]
        for p in q.params:
            # pyoxigraph binds parameters (SEP-0007) only when they are projected
            assert f"?{p.name}" in q.text.split("WHERE")[0], f"{q.name}: parameter ?{p.name} must be in SELECT"
        assert "#+ summary:" in header
