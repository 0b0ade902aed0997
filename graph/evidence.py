"""Each risk-factor link's evidence, held against the plan's text.

A link (``addressing`` in the data, ``uvts:Addressing`` in RDF) quotes the plan's own
words from the lines it names. The plan text is PDF text: a word split across two lines
lost its hyphen ("social" / "tjänsten"), so the comparison folds away whitespace, hyphens
and case before looking for the quote in the lines.

>>> fold("social\\ntjänsten  i samverkan")
'socialtjänstenisamverkan'
"""

from __future__ import annotations

import re
from typing import Iterable

from . import models as m

__all__ = ["fold", "activities", "quote_problems", "names_risk_factor", "link_problems"]

_FOLD = re.compile(r"[\s\-\u00ad]+")


def fold(text: str) -> str:
    """Text without whitespace, hyphens and soft hyphens, case-folded: for comparing with PDF text."""
    return _FOLD.sub("", text).casefold()


def activities(plan) -> Iterable[tuple[str, str, object]]:
    """``(name, lines, activity)`` of every intervention and base mission of a loaded plan."""
    for dept in plan.departments:
        for iv in dept.interventions:
            yield f"{dept.name} {iv.number}", iv.lines, iv
        if dept.base_mission is not None:  # a department added in a workbook has none yet
            yield f"Grunduppdrag – {dept.name}", dept.base_mission.lines, dept.base_mission


def quote_problems(plan) -> list[tuple[str, str, str]]:
    """``(activity, risk factor, Swedish message)`` for every evidence that is not the plan's
    words on its lines (empty when the plan text is not in the folder)."""
    if not plan.source_text:
        return []
    out = []
    for name, _lines, act in activities(plan):
        for a in act.addressing:
            source = fold(plan.source_excerpt(a.lines))
            if fold(a.evidence) not in source:
                out.append((name, a.risk_factor, f"beläggen för '{a.risk_factor}' står inte ordagrant på raderna "
                                                 f"{a.lines} i planens text; citera planens egna ord"))
    return out


def names_risk_factor(plan, risk_factor: str, text: str) -> bool:
    """True when ``text`` names the risk factor by its Swedish name or one of the plan's own
    wordings (its ``alt_labels``)."""
    rf = next((r for r in plan.risk_factors if r.id == risk_factor), None)
    if rf is None:
        return False
    folded = fold(text)
    return any(fold(name) in folded for name in [rf.label.sv, *rf.alt_labels.sv])


def link_problems(plan) -> list[str]:
    """Every risk-factor link without its own evidence, with lines outside its activity, or
    whose lines do not name the risk factor: Swedish messages, empty when all is well."""
    out = []
    for name, lines, act in activities(plan):
        given = {a.risk_factor: a for a in act.addressing}
        inside = m.parse_line_ranges(lines)
        for rf in act.risk_factors:
            a = given.get(rf)
            if a is None:
                out.append(f"{name}: kopplingen till '{rf}' saknar belägg (addressing)")
                continue
            if not all(any(lo <= s and e <= hi for lo, hi in inside) for s, e in m.parse_line_ranges(a.lines)):
                out.append(f"{name}: beläggen för '{rf}' (rad {a.lines}) ligger utanför raderna {lines}")
            if plan.source_text and not names_risk_factor(plan, rf, plan.source_excerpt(a.lines)):
                out.append(f"{name}: raderna {a.lines} nämner inte riskfaktorn '{rf}'")
            if not names_risk_factor(plan, rf, a.evidence):
                out.append(f"{name}: beläggen för '{rf}' nämner inte riskfaktorn")
    out += [f"{n}: {msg}" for n, _rf, msg in quote_problems(plan)]
    return out
