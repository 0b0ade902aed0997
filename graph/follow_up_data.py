"""The follow-up rounds as plain data, read from a store (any object with ``select``).

:func:`read_follow_up` runs one SELECT (rounds, records and indicator values) and returns::

    {"rounds":  [{"iri", "plan", "date", "label", "synthetic"}, …],           # by plan, then date
     "records": [{"iri", "round", "intervention", "status", "comment", "plan", "date"}, …],
     "values":  [{"record", "round", "intervention", "name", "value", "unit", "period", "date"}, …]}

``status`` is the slug (``forsenad``) or ``None``; ``plan`` the plan's IRI. The helpers below
answer the questions the chain, the pages, the views and the report ask of it. No networkx.
"""

from __future__ import annotations

from collections import defaultdict

from . import namespaces as ns

__all__ = ["read_follow_up", "empty", "latest_rounds", "latest_records", "latest_status", "history",
           "indicator_series", "STATUS_ORDER", "STATUS_LABELS", "STATUS_SYMBOLS", "status_label"]

STATUS_ORDER = ("ej-paborjad", "enligt-plan", "forsenad", "avslutad", "avbruten")
STATUS_LABELS = {"ej-paborjad": "Ej påbörjad", "enligt-plan": "Enligt plan", "forsenad": "Försenad",
                 "avslutad": "Avslutad", "avbruten": "Avbruten", None: "Ingen status angiven"}
# shown next to the colour everywhere, so that the status never rests on colour alone
STATUS_SYMBOLS = {"ej-paborjad": "○", "enligt-plan": "✓", "forsenad": "!", "avslutad": "■", "avbruten": "✕", None: "–"}

_PREFIXES = (f"PREFIX uvts: <{ns.UVTS}>\nPREFIX rdfs: <{ns.RDFS}>\nPREFIX dcterms: <{ns.DCTERMS}>\n")
# One query (three parts joined by UNION), so that reading the typed graph costs one more round trip.
_Q_ALL = _PREFIXES + """SELECT ?round ?plan ?date ?label ?synthetic ?record ?inRound ?intervention ?status ?comment
       ?obs ?ofRecord ?name ?value ?unit ?period WHERE {
  { ?round a uvts:FollowUpRound ; uvts:inPlan ?plan ; dcterms:date ?date .
    OPTIONAL { ?round rdfs:label ?label . FILTER(langMatches(lang(?label), "sv")) }
    OPTIONAL { ?round uvts:synthetic ?synthetic } }
  UNION
  { ?record uvts:inRound ?inRound ; uvts:ofIntervention ?intervention .
    OPTIONAL { ?record uvts:status ?status }
    OPTIONAL { ?record rdfs:comment ?comment } }
  UNION
  { ?obs uvts:ofRecord ?ofRecord ; uvts:indicatorName ?name ; uvts:value ?value .
    OPTIONAL { ?obs uvts:unit ?unit }
    OPTIONAL { ?obs uvts:period ?period } }
}"""


def empty() -> dict:
    return {"rounds": [], "records": [], "values": []}


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status, status or STATUS_LABELS[None])


def _v(row, key):
    t = row.get(key)
    return None if t is None else t.value


def read_follow_up(select) -> dict:
    """Read the rounds with ``select(sparql) -> SelectResult`` (a store's ``select``, or one scoped to a plan)."""
    rows = select(_Q_ALL).rows
    rounds = {}
    for r in (r for r in rows if "round" in r):
        iri = r["round"].value
        rounds[iri] = {"iri": iri, "plan": r["plan"].value, "date": str(r["date"].value)[:10],
                       "label": _v(r, "label") or str(r["date"].value)[:10],
                       "synthetic": _v(r, "synthetic") in ("true", "1")}
    records = {}
    for r in (r for r in rows if "record" in r):
        rnd = rounds.get(r["inRound"].value)
        if rnd is None:
            continue
        status = _v(r, "status")
        records[r["record"].value] = {
            "iri": r["record"].value, "round": rnd["iri"], "intervention": r["intervention"].value,
            "status": ns.slug_of(status) if status else None, "comment": _v(r, "comment"),
            "plan": rnd["plan"], "date": rnd["date"]}
    values = []
    seen = set()
    for r in (r for r in rows if "obs" in r):
        rec = records.get(r["ofRecord"].value)
        if rec is None or r["obs"].value in seen:
            continue
        seen.add(r["obs"].value)
        values.append({"iri": r["obs"].value, "record": rec["iri"], "round": rec["round"],
                       "intervention": rec["intervention"], "name": r["name"].value, "value": float(r["value"].value),
                       "unit": _v(r, "unit"), "period": _v(r, "period"), "date": rec["date"]})
    return {"rounds": sorted(rounds.values(), key=lambda x: (x["plan"], x["date"])),
            "records": sorted(records.values(), key=lambda x: (x["date"], x["intervention"])),
            "values": sorted(values, key=lambda x: (x["intervention"], x["name"], x["date"], x["iri"]))}


def latest_rounds(fu: dict) -> dict[str, dict]:
    """The latest round of each plan: ``{plan IRI: round}``."""
    out: dict[str, dict] = {}
    for r in fu["rounds"]:
        if r["plan"] not in out or r["date"] > out[r["plan"]]["date"]:
            out[r["plan"]] = r
    return out


def latest_records(fu: dict) -> dict[str, dict]:
    """The record of each intervention in its plan's latest round: ``{intervention IRI: record}``."""
    latest = {r["iri"] for r in latest_rounds(fu).values()}
    return {rec["intervention"]: rec for rec in fu["records"] if rec["round"] in latest}


def latest_status(fu: dict) -> dict[str, str | None]:
    """Each intervention's status in the most recent round that gives it one (``None``: never given)."""
    out: dict[str, str | None] = {}
    for rec in sorted(fu["records"], key=lambda x: x["date"]):
        if rec["status"]:
            out[rec["intervention"]] = rec["status"]
    return out


def history(fu: dict, intervention: str) -> list[dict]:
    """The records of one intervention, oldest first, each with its round's label and its values."""
    labels = {r["iri"]: r for r in fu["rounds"]}
    vals = defaultdict(list)
    for v in fu["values"]:
        vals[v["record"]].append(v)
    return [{**rec, "round_label": labels[rec["round"]]["label"], "synthetic": labels[rec["round"]]["synthetic"],
             "values": vals[rec["iri"]]}
            for rec in fu["records"] if rec["intervention"] == intervention]


def indicator_series(fu: dict, min_points: int = 2) -> list[dict]:
    """Each indicator (intervention, name, unit) with at least ``min_points`` values, as a series by date."""
    groups: dict[tuple, list] = defaultdict(list)
    for v in fu["values"]:
        groups[(v["intervention"], v["name"], v["unit"])].append(v)
    out = []
    for (iv, name, unit), vs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")):
        vs = sorted(vs, key=lambda x: x["date"])
        if len(vs) >= min_points:
            out.append({"intervention": iv, "name": name, "unit": unit,
                        "points": [{"date": v["date"], "value": v["value"], "period": v["period"]} for v in vs]})
    return out
