"""Each intervention checked against the text of its own source lines in the plan.

The title is there, each prevention level is on its "Nivå" line, and each linked risk
factor (or one of the plan's variant names for it) is in the intervention's KOPPLING text.
Also: every resource of the graph carries uvts:sourceLines.
"""

from __future__ import annotations

import re

import pytest

from uvts.graph.load import load_plan
from uvts.graph.models import parse_line_ranges
from uvts.graph.paths import DEFAULT_DATA

_PLAN = load_plan(DEFAULT_DATA)


def norm(text: str) -> str:
    """Compare as the PDF lets us: no whitespace, no hyphens/dashes, no case."""
    return re.sub(r"[\s\-–—]+", "", text).casefold()


def lines_of(ranges: str, source: list[str]) -> list[str]:
    out = []
    for start, end in parse_line_ranges(ranges):
        out.extend(source[start - 1:end])
    return out


def koppling_text(lines: list[str]) -> str:
    """The KOPPLING section: from its heading to the next MÅL/UPPFÖLJNING heading."""
    out, inside = [], False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("KOPPLING TILL FOKUSOMRÅDENA"):
            inside = True
            continue
        if inside and stripped in ("MÅL", "UPPFÖLJNING"):
            inside = False
        if inside:
            out.append(line)
    return "\n".join(out)


CASES = [pytest.param(dept, iv, id=f"{dept.id}-{iv.number}") for dept, iv in _PLAN.interventions()]


@pytest.mark.parametrize("dept,iv", CASES)
def test_title_is_in_its_lines(dept, iv):
    text = "\n".join(lines_of(iv.lines, _PLAN.source_text))
    text = re.sub(r"\bMÅL\b", "", text)  # the PDF glued some goal headings onto titles
    assert norm(iv.title) in norm(text)


@pytest.mark.parametrize("dept,iv", CASES)
def test_levels_are_on_the_niva_line(dept, iv):
    lines = lines_of(iv.lines, _PLAN.source_text)
    niva = [ln for ln in lines if ln.strip().startswith("Nivå:")]
    assert len(niva) == 1, "expected exactly one 'Nivå:' line in the intervention's lines"
    level_names = {lv.id: lv.label.sv for lv in _PLAN.levels}
    for level in iv.levels:
        assert level_names[level].casefold() in niva[0].casefold()
    if not iv.levels:
        assert "inte relevant" in niva[0]
    else:  # and no level the plan names is missing
        named = {lid for lid, label in level_names.items() if label.casefold() in niva[0].casefold()}
        assert named == set(iv.levels)


@pytest.mark.parametrize("dept,iv", CASES)
def test_risk_factors_are_named_in_koppling(dept, iv):
    koppling = norm(koppling_text(lines_of(iv.lines, _PLAN.source_text)))
    assert koppling, "no KOPPLING section found in the intervention's lines"
    factors = {rf.id: rf for rf in _PLAN.risk_factors}
    for rf_id in iv.risk_factors:
        rf = factors[rf_id]
        names = [rf.label.sv, *rf.alt_labels.sv]
        assert any(norm(n) in koppling for n in names), f"{rf_id} not named in the KOPPLING text"


def test_interventions_are_numbered_as_in_the_plan():
    for dept in _PLAN.departments:
        numbers = [iv.number for iv in dept.interventions]
        assert numbers == list(range(1, len(numbers) + 1)), dept.id


@pytest.mark.parametrize("dept,iv", CASES)
def test_heading_number_matches(dept, iv):
    first = parse_line_ranges(iv.lines)[0][0]
    assert re.match(rf"^\s*{iv.number}\.\s", _PLAN.source_text[first - 1]), \
        f"line {first} does not start with '{iv.number}.'"


def test_every_resource_has_source_lines(store):
    rows = store.select("""
        PREFIX uvts: <https://w3id.org/uvts/ontology#>
        SELECT ?s ?type WHERE {
          ?s a ?type .
          VALUES ?type { uvts:Intervention uvts:BaseMission uvts:Department uvts:ExternalActor
                         uvts:CollaborationForum uvts:Place uvts:RiskFactor uvts:PreventionLevel
                         uvts:BudgetAllocation uvts:OtherLink uvts:ActionPlan }
          FILTER NOT EXISTS { ?s uvts:sourceLines ?lines }
        }""").values()
    assert rows == []
