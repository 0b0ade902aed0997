"""The chain check: which links of Brå's åtgärdsplan chain hold for each intervention.

Brå's template for a municipality's action plan is a chain Orsak → Åtgärd → Operativa mål → När →
Vem → Uppföljning. For every intervention :func:`chain` says, each as true or false:

``risk_factor``  the plan links it to at least one risk factor (the problem, Brå's "orsak");
``goal``         it has a goal that is set (not "ännu inte fastställt", see :func:`gaps.pending_text`);
``indicator``    it has a follow-up method that is set, or an indicator value in some round;
``responsible``  a responsible department;
``timing``       a time (the plan's "När:");
``followed_up``  a record in the latest follow-up round of its plan.

The follow-up data come from ``G.graph["follow_up"]`` (:mod:`uvts.graph.follow_up_data`), which
:func:`uvts.graph.project.read_typed_graph` fills; a hand-made graph without it has no rounds.
"""

from __future__ import annotations

from .. import follow_up_data as F
from . import _plan as P
from ._shape import column, records, result
from .gaps import pending_text

__all__ = ["chain", "chain_rows", "LINKS", "broken_chains"]

# key -> (Swedish column label, Brå's step, what it means)
LINKS = {
    "risk_factor": ("Riskfaktor", "Orsak", "kopplas till minst en riskfaktor"),
    "goal": ("Mål", "Operativa mål", "har ett fastställt mål"),
    "indicator": ("Indikator", "Uppföljningsmetod", "har en fastställd uppföljning eller ett uppmätt indikatorvärde"),
    "responsible": ("Ansvarig", "Vem", "har en ansvarig förvaltning"),
    "timing": ("Tid", "När", "har en tidsangivelse"),
    "followed_up": ("Uppföljd", "Uppföljning", "finns med i den senaste uppföljningsomgången"),
}
MISSING = {
    "risk_factor": "ingen riskfaktor", "goal": "inget fastställt mål", "indicator": "ingen fastställd uppföljning",
    "responsible": "ingen ansvarig", "timing": "ingen tid", "followed_up": "inte uppföljd i senaste omgången",
}


def _set(texts) -> bool:
    return any(not pending_text(t) for t in texts or [])


def chain_rows(G) -> list[dict]:
    """One row per intervention (plan order) with the six links and what is missing."""
    fu = G.graph.get("follow_up") or F.empty()
    latest = F.latest_records(fu)
    measured = {v["intervention"] for v in fu["values"]}
    statuses = F.latest_status(fu)
    rows = []
    for i in P.interventions(G):
        node = G.nodes[i]
        links = {
            "risk_factor": bool(P.targets(G, i, "addresses")),
            "goal": _set(node.get("goals")),
            "indicator": _set(node.get("follow_ups")) or i in measured,
            "responsible": bool(P.responsible(G, i)),
            "timing": bool((node.get("timing") or "").strip()),
            "followed_up": i in latest,
        }
        missing = [k for k, ok in links.items() if not ok]
        dept = P.responsible(G, i)
        rows.append({"intervention": i, "department": dept[0] if dept else None, **links,
                     "status": statuses.get(i), "missing": missing, "complete": not missing})
    return rows


def broken_chains(G) -> list[dict]:
    """The rows of :func:`chain_rows` whose chain misses a link."""
    return [r for r in chain_rows(G) if r["missing"]]


def chain(G) -> dict:
    """The chain check as a result with two tables: ``chain`` (per intervention) and ``chain-links`` (per link)."""
    rows = chain_rows(G)
    fu = G.graph.get("follow_up") or F.empty()
    latest = F.latest_rounds(fu)
    when = ", ".join(sorted(r["date"] for r in latest.values())) or "ingen omgång"
    table = records(
        "chain", "Kedjan från problem till resultat",
        "För varje insats visas vilka led i Brås kedja (orsak, mål, uppföljningsmetod, vem, när, uppföljning) som "
        "finns: en riskfaktor, ett mål som inte står som ”ännu inte fastställt”, en fastställd uppföljning eller ett "
        f"uppmätt värde, en ansvarig förvaltning, en tidsangivelse och en post i den senaste omgången ({when}).",
        [column("intervention", "Insats", "iri"), column("department", "Förvaltning", "iri")]
        + [column(k, v[0], "boolean") for k, v in LINKS.items()]
        + [column("status", "Senaste status", "codes", codes={k: v for k, v in F.STATUS_LABELS.items() if k}),
           column("missing", "Saknas", "codes", codes=MISSING)],
        rows, links=[{"key": k, "label": v[0], "step": v[1], "meaning": v[2]} for k, v in LINKS.items()])
    n = len(rows)
    summary = records(
        "chain-links", "Led som finns",
        "Antalet insatser där varje led i kedjan finns, av alla insatser.",
        [column("link", "Led", "text"), column("step", "Steg hos Brå", "text"), column("count", "Insatser", "integer"),
         column("of", "Av", "integer")],
        [{"link": v[0], "step": v[1], "count": sum(1 for r in rows if r[k]), "of": n} for k, v in LINKS.items()]
        + [{"link": "Hela kedjan", "step": "Alla led", "count": sum(1 for r in rows if r["complete"]), "of": n}])
    return result(G, "chain", "Kedjan",
                  "Kedjan följer Brås mall för en åtgärdsplan: varje insats ska bygga på ett problem, ha ett mål, ett sätt "
                  "att följa upp, en ansvarig, en tid och följas upp; ett led som saknas bryter kedjan.",
                  [table, summary])
