"""What changed between two versions of the plans: plain change records and a Swedish text.

:func:`diff_plans` compares loaded plans (:class:`uvts.graph.load.PlanData`) and returns
the living-plan contract's change records, in a fixed order::

    {"kind": "added"|"removed"|"changed", "type": "intervention"|"department"|…,
     "id": SLUG, "field": NAME (for "changed"), "before": VALUE, "after": VALUE,
     "plan": PLAN ID, "label": the resource's Swedish name}

``field`` is a data-format field name (``title``, ``levels``, ``risk_factors``,
``involves.actors``, ``members.departments``, …). For an added or removed resource,
``before``/``after`` hold its name. Line references (``lines``) are not compared: they
move whenever the plan text is edited and say nothing about the plan itself.

:func:`diff_versions` compares two published versions (:mod:`uvts.graph.versions`) from
their own copies of the data.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["diff_plans", "diff_versions", "format_diff", "names_of", "describe", "grouped", "summary_sentence", "TYPE_ORDER", "TYPE_NAMES", "FIELD_NAMES", "summarise"]

TYPE_ORDER = ["plan", "department", "budget", "intervention", "risk-factor", "actor", "forum", "place", "follow-up"]
KIND_ORDER = {"removed": 0, "added": 1, "changed": 2}

# Swedish names for the text, the page and the report.
TYPE_NAMES = {
    "plan": ("planen", "Planen"), "department": ("förvaltningen", "Förvaltningar"),
    "budget": ("budgeten", "Budget"), "intervention": ("insatsen", "Insatser"),
    "risk-factor": ("riskfaktorn", "Riskfaktorer"), "actor": ("aktören", "Externa aktörer"),
    "forum": ("forumet", "Samverkansforum"), "place": ("platsen", "Platser"),
    "follow-up": ("uppföljningen", "Uppföljning"),
}
FIELD_NAMES = {
    "title": "titel", "description": "beskrivning", "levels": "nivåer", "risk_factors": "riskfaktorer",
    "other_links": "andra kopplingar", "goals": "mål", "follow_ups": "uppföljning", "min_age": "ålder från",
    "max_age": "ålder till", "target_group": "målgrupp", "places": "platser", "timing": "när",
    "involves.departments": "medverkande förvaltningar", "involves.actors": "externa aktörer",
    "involves.forums": "forum", "same_activity_as": "samma aktivitet som", "note": "anteckning",
    "name": "namn", "alt_names": "andra namn", "category": "kategori", "kind": "typ", "priority": "prioriterad",
    "purpose": "syfte", "expansion": "förkortning utskriven", "members.departments": "förvaltningar som medlemmar",
    "members.actors": "aktörer som medlemmar", "label": "namn", "definition": "definition",
    "alt_labels": "andra namn", "amount": "budgettillskott (kr)", "breakdown": "budgetens delar",
    "base_mission": "grunduppdrag", "short_title": "kort titel", "municipality": "kommun", "period": "period",
    "source": "källtext", "source_line_count": "källtextens rader", "stated_total_budget": "angiven total budget",
}
_SKIP = {"lines", "purpose_lines", "stated_total_budget_lines", "number", "id", "interventions", "budget",
         "workbook"}  # workbook: where an edited fact came from (its cell), not a fact of the plan


def _plain(value):
    """A model value as JSON-ready data."""
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("lines", "purpose_lines", "workbook")}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _fields(model) -> dict:
    """A model's comparable fields, nested models flattened one level (``involves.actors``)."""
    out = {}
    data = model.model_dump(mode="json")
    for key, value in data.items():
        if key in _SKIP:
            continue
        if key in ("involves", "members") and isinstance(value, dict):
            for sub, v in value.items():
                out[f"{key}.{sub}"] = v
        else:
            out[key] = _plain(value)
    return out


def _label(item) -> str:
    for attr in ("title", "name"):
        v = getattr(item, attr, None)
        if isinstance(v, str):
            return v
    label = getattr(item, "label", None)
    return getattr(label, "sv", None) or str(getattr(item, "id", ""))


def _compare(out: list, plan: str, kind: str, before: dict, after: dict) -> None:
    """``before``/``after``: ``{id: (label, fields)}``."""
    for rid in before.keys() - after.keys():
        out.append({"kind": "removed", "type": kind, "id": rid, "field": None, "before": before[rid][0], "after": None,
                    "plan": plan, "label": before[rid][0]})
    for rid in after.keys() - before.keys():
        out.append({"kind": "added", "type": kind, "id": rid, "field": None, "before": None, "after": after[rid][0],
                    "plan": plan, "label": after[rid][0]})
    for rid in before.keys() & after.keys():
        b, a = before[rid][1], after[rid][1]
        for name in sorted(b.keys() | a.keys()):
            if b.get(name) != a.get(name):
                out.append({"kind": "changed", "type": kind, "id": rid, "field": name, "before": b.get(name),
                            "after": a.get(name), "plan": plan, "label": after[rid][0]})


def _index(plan) -> dict[str, dict]:
    """Every comparable resource of one plan: ``{type: {id: (label, fields)}}``."""
    idx: dict[str, dict] = {t: {} for t in TYPE_ORDER}
    p = plan.plan
    plan_fields = {k: v for k, v in _fields(p).items()}
    idx["plan"][p.id] = (p.title, plan_fields)
    for d in plan.departments:
        fields = {k: v for k, v in _fields(d).items() if k not in ("interventions", "budget")}
        idx["department"][d.id] = (d.name, fields)
        idx["budget"][d.id] = (d.name, {"amount": d.budget.amount, "breakdown": _plain(d.budget.breakdown),
                                        "note": d.budget.note})
        for iv in d.interventions:
            idx["intervention"][f"{d.id}-{iv.number}"] = (iv.title, _fields(iv))
    for kind, items in (("risk-factor", plan.risk_factors), ("actor", plan.actors), ("forum", plan.forums),
                        ("place", plan.places)):
        for item in items:
            idx[kind][item.id] = (_label(item), _fields(item))
    for rnd in getattr(plan, "follow_up_rounds", None) or getattr(plan, "rounds", None) or []:
        rid = str(getattr(rnd, "date", getattr(rnd, "id", "")))
        idx["follow-up"][rid] = (str(getattr(rnd, "title", rid)), _fields(rnd) if hasattr(rnd, "model_dump") else {})
    return idx


def _sort_key(c: dict):
    return (c.get("plan") or "", TYPE_ORDER.index(c["type"]) if c["type"] in TYPE_ORDER else 99, c["id"],
            KIND_ORDER[c["kind"]], c.get("field") or "")


def diff_plans(before: list, after: list) -> list[dict]:
    """The changes from the plans ``before`` to the plans ``after`` (pure; a fixed order:
    by plan, type, id, then removed/added/changed and field)."""
    out: list[dict] = []
    b_plans = {p.plan.id: p for p in before}
    a_plans = {p.plan.id: p for p in after}
    for pid in b_plans.keys() - a_plans.keys():
        out.append({"kind": "removed", "type": "plan", "id": pid, "field": None, "before": b_plans[pid].plan.title,
                    "after": None, "plan": pid, "label": b_plans[pid].plan.title})
    for pid in a_plans.keys() - b_plans.keys():
        out.append({"kind": "added", "type": "plan", "id": pid, "field": None, "before": None,
                    "after": a_plans[pid].plan.title, "plan": pid, "label": a_plans[pid].plan.title})
    for pid in b_plans.keys() & a_plans.keys():
        bi, ai = _index(b_plans[pid]), _index(a_plans[pid])
        for kind in TYPE_ORDER:
            _compare(out, pid, kind, bi[kind], ai[kind])
    return sorted(out, key=_sort_key)


def names_of(plans) -> dict[str, str]:
    """Swedish names of every resource of ``plans`` by id (for the text, the page and the report)."""
    out: dict[str, str] = {}
    for plan in plans:
        out[plan.plan.id] = plan.plan.title
        for items in (plan.risk_factors, plan.levels, plan.other_links, plan.actors, plan.forums, plan.places):
            for item in items:
                out[item.id] = _label(item)
        for d in plan.departments:
            out[d.id] = d.name
            for iv in d.interventions:
                out[f"{d.id}-{iv.number}"] = iv.title
    return out


def diff_versions(from_id: str | None = None, to_id: str | None = None, home: str | Path | None = None,
                  names: bool = False, store: str | None = None) -> dict:
    """``{"from", "to", "changes"}`` between two published versions (default: the one before
    the latest → the latest). With only one version, ``from`` is ``None`` and there are no
    changes. Raises :class:`uvts.graph.versions.VersionError` for an unknown version."""
    from .versions import list_versions, resolve_version, version_plans

    if store is not None and store.startswith(("sparql+http://", "sparql+https://")):  # versions on a server
        from .remote_versions import list_remote_versions, remote_version_plans, resolve_remote_version

        url = store
        list_versions = lambda home: list_remote_versions(url)  # noqa: E731
        resolve_version = lambda at, home: resolve_remote_version(at, url)  # noqa: E731
        version_plans = lambda v, home: remote_version_plans(v, url)  # noqa: E731
    to = resolve_version(to_id, home)
    if from_id is not None:
        frm = resolve_version(from_id, home)
    else:
        versions = list_versions(home)
        ids = [v.id for v in versions]
        frm = None
        if to.revises and to.revises in ids:
            frm = next(v for v in versions if v.id == to.revises)
        elif to.id in ids and ids.index(to.id) + 1 < len(ids):
            frm = versions[ids.index(to.id) + 1]
    if frm is None:
        return {"from": None, "to": to.id, "changes": []}
    after = version_plans(to, home)
    before = after if frm.id == to.id else version_plans(frm, home)
    out = {"from": frm.id, "to": to.id, "changes": diff_plans(before, after)}
    if names:  # not part of the contract's shape: the Swedish names of the ids, old ones included
        out["names"] = {**names_of(before), **names_of(after)}
    return out


def _value(v, names: dict | None = None) -> str:
    names = names or {}
    if isinstance(v, str) and v in names:
        return names[v]
    if v is None or v == [] or v == "":
        return "–"
    if isinstance(v, bool):
        return "ja" if v else "nej"
    if isinstance(v, int):
        return f"{v:,}".replace(",", " ")
    if isinstance(v, list):
        return ", ".join(_value(x, names) if not isinstance(x, dict) else _dict(x) for x in v) or "–"
    if isinstance(v, dict):
        return _dict(v)
    text = " ".join(str(v).split())
    return text if len(text) <= 160 else text[:157] + "…"


def _dict(d: dict) -> str:
    for key in ("sv", "name", "purpose", "summary"):
        if key in d and isinstance(d[key], str):
            return _value(d[key])
    return "; ".join(f"{k}: {_value(v)}" for k, v in d.items() if v not in (None, [], ""))


def describe(change: dict, names: dict | None = None) -> str:
    """One change as a Swedish sentence (without the resource's type heading); ``names``
    turns ids in the values into names."""
    name = change.get("label") or change["id"]
    if change["kind"] == "added":
        return f"Ny: {name}"
    if change["kind"] == "removed":
        return f"Borttagen: {name}"
    field = FIELD_NAMES.get(change["field"], change["field"])
    return f"{name}: {field} ändrad från {_value(change['before'], names)} till {_value(change['after'], names)}"


def summarise(changes: list[dict]) -> dict[str, dict[str, int]]:
    """Counts per type and kind: ``{"intervention": {"added": 1, "removed": 0, "changed": 3}}``
    (``changed`` counts resources, not fields)."""
    out: dict[str, dict[str, int]] = {}
    seen = set()
    for c in changes:
        row = out.setdefault(c["type"], {"added": 0, "removed": 0, "changed": 0})
        if c["kind"] == "changed":
            key = (c.get("plan"), c["type"], c["id"])
            if key in seen:
                continue
            seen.add(key)
        row[c["kind"]] += 1
    return out


def grouped(result: dict, names: dict | None = None) -> list[dict]:
    """The changes by type, for pages and the report: ``[{"type", "heading", "items": [{"kind",
    "type", "id", "plan", "label", "text"}]}]`` in :data:`TYPE_ORDER`."""
    names = names if names is not None else result.get("names")
    out = []
    for kind in TYPE_ORDER:
        items = [{"kind": c["kind"], "type": c["type"], "id": c["id"], "plan": c.get("plan"), "label": c.get("label"),
                  "field": c.get("field"), "text": describe(c, names)} for c in result["changes"] if c["type"] == kind]
        if items:
            out.append({"type": kind, "heading": TYPE_NAMES[kind][1], "items": items})
    return out


def summary_sentence(changes: list[dict]) -> str:
    """One Swedish sentence: how many resources were added, removed and changed."""
    if not changes:
        return "Inga ändringar."
    counts = summarise(changes)
    added = sum(r["added"] for r in counts.values())
    removed = sum(r["removed"] for r in counts.values())
    changed = sum(r["changed"] for r in counts.values())
    iv = counts.get("intervention", {"added": 0, "removed": 0, "changed": 0})
    parts = [f"{added} tillagda", f"{removed} borttagna", f"{changed} ändrade"]
    return (f"{len(changes)} ändringar: " + ", ".join(parts) + " uppgifter, varav insatser: "
            f"{iv['added']} nya, {iv['removed']} borttagna och {iv['changed']} ändrade.")


def format_diff(result: dict, names: dict | None = None) -> str:
    """The diff as Swedish text, grouped by type (``names``, or ``result["names"]``, turn ids into names)."""
    names = names if names is not None else result.get("names")
    if result.get("from") is None:
        return f"Version {result['to']} är den första versionen; det finns inget tidigare att jämföra med."
    changes = result["changes"]
    head = f"Ändringar från version {result['from']} till version {result['to']}"
    if not changes:
        return head + ": inga ändringar."
    lines = [f"{head}: {len(changes)} ändring{'ar' if len(changes) != 1 else ''}."]
    plans = sorted({c.get("plan") or "" for c in changes})
    for plan in plans:
        if len(plans) > 1:
            lines.append(f"\nPlan: {(names or {}).get(plan, plan)}")
        for kind in TYPE_ORDER:
            group = [c for c in changes if c["type"] == kind and (c.get("plan") or "") == plan]
            if not group:
                continue
            lines.append(f"\n{TYPE_NAMES[kind][1]}")
            for c in group:
                mark = {"added": "+", "removed": "−", "changed": "~"}[c["kind"]]
                lines.append(f"  {mark} {describe(c, names)}")
    return "\n".join(lines)
