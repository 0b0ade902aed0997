"""What changed between two loadings of the same plans, as the contract's change dicts.

``{"kind": "added"|"removed"|"changed", "type": "intervention"|…, "id": SLUG, "field": NAME,
"before": VALUE, "after": VALUE}``, sorted. Used for the workbook preview on ``/data``; when
the versions module's :func:`uvts.graph.diff.diff_plans` is installed, that one is used instead
(see :func:`diff_plans`).
"""

from __future__ import annotations

from typing import Iterable

from .load import PlanData

__all__ = ["diff_plans", "own_diff", "FIELD_SV", "TYPE_SV"]

_SKIP = {"workbook"}  # where a fact came from is not a change of the fact

FIELD_SV = {
    "title": "titel", "description": "beskrivning", "timing": "när", "levels": "nivåer", "risk_factors": "riskfaktorer",
    "other_links": "andra kopplingar", "goals": "mål", "follow_ups": "uppföljning", "min_age": "ålder från",
    "max_age": "ålder till", "target_group": "målgrupp", "places": "platser", "involves": "medverkande",
    "same_activity_as": "samma aktivitet som", "note": "anteckning", "lines": "källrader", "name": "namn",
    "alt_names": "andra namn", "category": "kategori", "purpose": "syfte", "members": "medlemmar",
    "expansion": "utskrivet namn", "kind": "typ", "priority": "prioriterat", "label": "namn", "definition": "definition",
    "alt_labels": "andra namn", "exact_match": "samma som", "budget": "budget", "base_mission": "grunduppdrag",
    "municipality": "kommun", "period": "period", "amount": "belopp", "status": "status", "comment": "kommentar",
}
TYPE_SV = {"intervention": "insats", "department": "förvaltning", "actor": "extern aktör", "forum": "forum",
           "place": "plats", "risk-factor": "riskfaktor", "plan": "plan", "budget": "budget", "follow-up": "uppföljning"}


def _items(plan: PlanData) -> dict[tuple[str, str], dict]:
    out: dict[tuple[str, str], dict] = {}

    def dump(model, drop=()):
        return {k: v for k, v in model.model_dump().items() if k not in _SKIP and k not in drop}

    out[("plan", plan.plan.id)] = dump(plan.plan)
    for d, iv in plan.interventions():
        out[("intervention", plan.intervention_id(d, iv))] = dump(iv)
    for d in plan.departments:
        out[("department", d.id)] = dump(d, ("interventions",))
    for kind, items in (("actor", plan.actors), ("forum", plan.forums), ("place", plan.places),
                        ("risk-factor", plan.risk_factors)):
        for item in items:
            out[(kind, item.id)] = dump(item)
    return out


def own_diff(before: Iterable[PlanData], after: Iterable[PlanData]) -> list[dict]:
    a: dict = {}
    b: dict = {}
    for p in before:
        a.update(_items(p))
    for p in after:
        b.update(_items(p))
    changes = []
    for key in sorted(set(a) | set(b)):
        kind, rid = key
        if key not in a:
            changes.append({"kind": "added", "type": kind, "id": rid, "before": None, "after": b[key]})
        elif key not in b:
            changes.append({"kind": "removed", "type": kind, "id": rid, "before": a[key], "after": None})
        else:
            for field in sorted(set(a[key]) | set(b[key])):
                va, vb = a[key].get(field), b[key].get(field)
                if va != vb:
                    changes.append({"kind": "changed", "type": kind, "id": rid, "field": field, "before": va, "after": vb})
    return changes


def diff_plans(before: list[PlanData], after: list[PlanData]) -> list[dict]:
    """The changes from ``before`` to ``after`` (the versions module's diff when installed)."""
    try:
        from .diff import diff_plans as versions_diff  # issue 13's diff, when merged
    except ImportError:
        return own_diff(before, after)
    return versions_diff(before, after)
