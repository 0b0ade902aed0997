"""Small helpers that read the typed graph (see :mod:`uvts.graph.project`); no networkx import."""

from __future__ import annotations

import re
from collections import defaultdict

from ..project import ACTOR_TYPES, nodes_of_type

__all__ = ["AGE_BANDS", "LEVEL_ORDER", "targets", "sources", "plan_of", "interventions", "risk_factors", "levels",
           "departments", "responsible", "involved", "parties", "age_range", "bands_of", "areas_of_places",
           "label", "short"]

# (key, min, max, Swedish label): an intervention covers a band when its [minAge, maxAge] overlaps it
AGE_BANDS = (
    ("0-5", 0, 5, "0–5 år (förskoleålder)"),
    ("6-12", 6, 12, "6–12 år (låg- och mellanstadium)"),
    ("13-15", 13, 15, "13–15 år (högstadium)"),
    ("16-18", 16, 18, "16–18 år (gymnasieålder)"),
    ("19-25", 19, 25, "19–25 år (unga vuxna)"),
)
NO_AGE = ("none", "Ålder ej angiven")

LEVEL_ORDER = ("universell", "selektiv", "indikerad")
_WORD_START = re.compile(r"(?<!\w)\w")


def label(G, iri: str) -> str:
    return G.nodes[iri]["label"] if iri in G else iri.rsplit("/", 1)[-1]


def short(iri: str) -> str:
    """The slug of an IRI (``stod-och-omsorg-7``)."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


# The typed graph is a MultiDiGraph keyed by relation; reading its adjacency dicts directly
# (as networkx's own algorithms do) is many times faster than going through edge views.


def targets(G, node: str, relation: str) -> list[str]:
    """The nodes ``node`` links to by ``relation`` (edge key), sorted."""
    return sorted(v for v, keys in G._succ[node].items() if relation in keys)


def sources(G, node: str, relation: str) -> list[str]:
    """The nodes linking to ``node`` by ``relation`` (edge key), sorted."""
    return sorted(u for u, keys in G._pred[node].items() if relation in keys)


def plan_of(G, node: str) -> str | None:
    """The (first) plan that describes ``node``; ``None`` when the graph does not say."""
    plans = G.nodes[node].get("plans")
    return plans[0] if plans else None


def interventions(G) -> list[str]:
    """Interventions in plan order: by department label, then sequence number."""
    def key(i):
        dept = targets(G, i, "responsible_department")
        return (label(G, dept[0]).casefold() if dept else "", G.nodes[i].get("sequence_number") or 0, i)
    return sorted(nodes_of_type(G, "Intervention"), key=key)


def risk_factors(G) -> list[str]:
    return nodes_of_type(G, "RiskFactor")


def levels(G) -> list[str]:
    def key(n):
        slug = short(n)
        return (LEVEL_ORDER.index(slug) if slug in LEVEL_ORDER else len(LEVEL_ORDER), label(G, n).casefold(), n)
    return sorted(nodes_of_type(G, "PreventionLevel"), key=key)


def departments(G) -> list[str]:
    return nodes_of_type(G, "Department")


def responsible(G, node: str) -> list[str]:
    return targets(G, node, "responsible_department")


def involved(G, node: str) -> list[str]:
    """Everything the intervention involves: departments, external actors and forums."""
    return targets(G, node, "involves")


def parties(G, intervention: str) -> list[str]:
    """The responsible department and the directly involved departments and external actors."""
    out = set(responsible(G, intervention))
    out.update(a for a in involved(G, intervention) if G.nodes[a]["type"] in ACTOR_TYPES)
    return sorted(out)


def age_range(G, intervention: str) -> tuple[int, int] | None:
    """``(min, max)`` age; a missing bound is open (0 or 200); ``None`` when no age is stated."""
    data = G.nodes[intervention]
    lo, hi = data.get("min_age"), data.get("max_age")
    if lo is None and hi is None:
        return None
    return (int(lo) if lo is not None else 0, int(hi) if hi is not None else 200)


def bands_of(G, intervention: str) -> list[str]:
    """Keys of the age bands the intervention's age range overlaps (``["none"]`` if no age)."""
    rng = age_range(G, intervention)
    if rng is None:
        return [NO_AGE[0]]
    lo, hi = rng
    return [key for key, bmin, bmax, _ in AGE_BANDS if lo <= bmax and hi >= bmin]


def areas_of_places(G) -> dict[str, list[str]]:
    """Place -> the areas it lies in by name: an area (``placeKind "area"``) contains a place
    when a word of the place's name begins with the area's name ("Östra Ersbodaskolan" lies
    in Ersboda). An area contains itself. Only places and areas of the same plan are
    compared (every municipality may have a "Centrum")."""
    places = nodes_of_type(G, "Place")
    names: dict[tuple, list[str]] = defaultdict(list)  # (plan, area name case-folded) -> areas
    for p in places:
        if G.nodes[p].get("place_kind") == "area":
            names[plan_of(G, p), label(G, p).casefold()].append(p)
    lengths = sorted({len(n) for _, n in names})
    out = {}
    for p in places:
        name, plan = label(G, p).casefold(), plan_of(G, p)
        found = set()
        for m in _WORD_START.finditer(name):
            start = m.start()
            for n in lengths:
                found.update(names.get((plan, name[start:start + n]), ()))
        out[p] = sorted(found)
    return out
