"""Many plans in one store: list them, name one, and scope a query to it.

Every plan is its own named graph, ``https://w3id.org/uvts/id/plan/{plan id}``, and the
ontology lives in ``https://w3id.org/uvts/ontology``. A query without a scope sees the
union of all graphs: the national picture. A query scoped to a plan sees that plan's
graph and the ontology only, so its answers are those of the plan alone, whatever else
the store holds. Every store (embedded, rdflib, remote) takes the scope as the
``graphs=`` argument of ``select`` and ``construct``.

Resources that many plans name (the police, a region, the seven risk factors) keep
one IRI, so the national graph connects; each plan's graph describes them again. On the
embedded and remote stores a pattern over the union then matches once per plan that
describes the resource: national queries that list such resources use ``DISTINCT``.

>>> from uvts.graph.store import open_store
>>> from uvts.graph.paths import DEFAULT_DATA
>>> store, _ = open_store([DEFAULT_DATA], kind="memory")
>>> [p["id"] for p in list_plans(store)]
['umea-uvts-2024-2026']
>>> resolve_plan(store, "Umeå")["municipality_id"]
'umea-kommun'
"""

from __future__ import annotations

import difflib

from . import namespaces as ns
from .store import SelectResult, Term

__all__ = ["ONTOLOGY_GRAPH", "ALL_PLANS", "PlanError", "plan_graph", "list_plans", "resolve_plan", "plan_scope",
           "select_in_plan", "construct_in_plan", "municipality_of"]

ONTOLOGY_GRAPH = "https://w3id.org/uvts/ontology"
# Values that mean "every plan" where a plan can be named (CLI, API, report).
ALL_PLANS = ("", "all", "alla", "*")

_LIST = """
PREFIX uvts: <https://w3id.org/uvts/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?plan ?label ?municipality ?municipalityLabel ?code ?period WHERE {
  ?plan a uvts:ActionPlan ; rdfs:label ?label ; uvts:municipality ?municipality .
  OPTIONAL { ?plan dcterms:temporal ?period }
  OPTIONAL { ?municipality rdfs:label ?municipalityLabel FILTER(lang(?municipalityLabel) = "sv") }
  OPTIONAL { ?municipality uvts:municipalityCode ?code }
  FILTER(lang(?label) = "sv")
}
"""


class PlanError(ValueError):
    """A plan was named that the store does not hold, or the name fits several plans."""


def plan_graph(plan: str) -> str:
    """The named graph of a plan, from its id or IRI.

    >>> plan_graph("umea-uvts-2024-2026")
    'https://w3id.org/uvts/id/plan/umea-uvts-2024-2026'
    """
    return plan if plan.startswith(("http://", "https://")) else ns.iri("plan", plan)


def list_plans(store) -> list[dict]:
    """Every plan the store holds, sorted by municipality name and plan id.

    Each is a dict: ``plan`` (IRI, also the named graph), ``id``, ``label``,
    ``municipality`` (IRI), ``municipality_id``, ``municipality_label``, ``code``, ``period``.
    """
    graphs = set(store.graphs())
    seen: dict[str, dict] = {}
    for row in store.select(_LIST).rows:
        iri = row["plan"].value
        if iri in seen or iri not in graphs:
            continue
        muni = row["municipality"].value
        seen[iri] = {
            "plan": iri, "id": ns.slug_of(iri), "label": row["label"].value,
            "municipality": muni, "municipality_id": ns.slug_of(muni),
            "municipality_label": row["municipalityLabel"].value if "municipalityLabel" in row else ns.slug_of(muni),
            "code": row["code"].value if "code" in row else None,
            "period": row["period"].value if "period" in row else None,
        }
    return sorted(seen.values(), key=lambda p: (p["municipality_label"], p["id"]))


def _fold(text: str) -> str:
    return ns.slugify(text)


def resolve_plan(store, ref: str, plans: list[dict] | None = None) -> dict:
    """The plan a person means by ``ref``: a plan id or IRI, a municipality id, IRI,
    name (with or without "kommun"), or municipality code.

    A municipality with several plans in the store is ambiguous: name the plan id then.
    Raises :class:`PlanError` (Swedish message, with a suggestion) when nothing fits.
    """
    plans = list_plans(store) if plans is None else plans
    key = _fold(ref.strip())
    hits = []
    for p in plans:
        names = {p["plan"], p["municipality"], p["code"]}
        folded = {p["id"], p["municipality_id"], _fold(p["municipality_label"]),
                  _fold(p["municipality_label"]).removesuffix("-kommun"), p["municipality_id"].removesuffix("-kommun")}
        if ref.strip() in names or key in folded:
            hits.append(p)
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise PlanError(f"'{ref}' passar flera planer: {', '.join(p['id'] for p in hits)}; ange planens id")
    pool = [p["id"] for p in plans] + [p["municipality_id"].removesuffix("-kommun") for p in plans]
    near = difflib.get_close_matches(key, pool, n=1, cutoff=0.6)
    hint = f'; menade du "{near[0]}"?' if near else ""
    raise PlanError(f"okänd plan eller kommun '{ref}'{hint} (uvts plans listar de planer som finns)")


def plan_scope(store, plan: str | None) -> list[str] | None:
    """The graphs a query for ``plan`` should see: the plan's graph and the ontology.

    ``None`` or one of :data:`ALL_PLANS` gives ``None``: every graph (all plans).
    """
    if plan is None or plan.strip().lower() in ALL_PLANS:
        return None
    graphs = set(store.graphs())
    iri = plan_graph(plan)
    if iri not in graphs:
        iri = resolve_plan(store, plan)["plan"]
    return [iri] + ([ONTOLOGY_GRAPH] if ONTOLOGY_GRAPH in graphs else [])


def select_in_plan(store, query: str, plan: str | None = None, bindings: dict[str, Term] | None = None,
                   limit: int | None = None) -> SelectResult:
    """Run a SELECT or ASK on one plan (its graph and the ontology), or on all plans."""
    scope = plan_scope(store, plan)
    if scope is None:
        return store.select(query, bindings, limit=limit)
    return store.select(query, bindings, limit=limit, graphs=scope)


def construct_in_plan(store, query: str, plan: str | None = None, bindings: dict[str, Term] | None = None) -> bytes:
    """Run a CONSTRUCT or DESCRIBE on one plan, or on all plans."""
    scope = plan_scope(store, plan)
    if scope is None:
        return store.construct(query, bindings)
    return store.construct(query, bindings, graphs=scope)


def municipality_of(store, plan: str) -> dict:
    """The municipality of a plan: ``{"municipality": IRI, "id", "label", "code"}``."""
    p = resolve_plan(store, plan)
    return {"municipality": p["municipality"], "id": p["municipality_id"], "label": p["municipality_label"],
            "code": p["code"]}

