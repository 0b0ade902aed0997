"""Projection of the RDF graph to NetworkX: one typed graph, and three graphs derived from it.

The store is read with four SPARQL SELECTs (the typed resources, the links between them,
their literal values, and each risk-factor link's evidence), whatever the number of resources. Anything with
``select(sparql) -> SelectResult`` works: the embedded pyoxigraph store, rdflib, or a
remote SPARQL store.

The typed graph is a :class:`networkx.MultiDiGraph` whose nodes are IRIs. Every node
carries ``type`` (the ontology class's local name, e.g. ``"Intervention"``), ``label``
(Swedish) and ``iri``, plus the resource's literal values under snake_case names
(``goals``, ``follow_ups``, ``min_age``, ``budget_addition``, ``purpose``, …) and ``plans``,
the ids of the plans that describe it (``uvts:inPlan``). Edges are
keyed by relation (``addresses``, ``prevention_level``, ``responsible_department``,
``involves``, ``location``, ``same_activity_as``, ``member_of``, ``base_mission``,
``budget_allocation``, ``funds``, ``other_link``) and carry it again as ``relation``; an
``addresses`` edge also carries its evidence (``evidence_lines``, ``evidence``: the lines of
the plan and the plan's own words) when the data gives it.

The derived graphs are plain functions of the typed graph, so analyses and tests can
start from a hand-made typed graph. Every graph returned here is frozen
(:func:`networkx.freeze`): a later step that tries to add or remove a node or edge fails.

networkx is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import weakref
from typing import Any, NamedTuple

from . import namespaces as ns

__all__ = [
    "Projection", "project", "read_typed_graph", "typed_graph_from_rows",
    "intervention_risk_factor_graph", "actor_forum_graph", "collaboration_graph",
    "intervention_parties", "NODE_TYPES", "ACTOR_TYPES", "RELATIONS", "ATTRIBUTES", "TYPE_LABELS", "nodes_of_type",
]

# ontology class -> the node type used in the typed graph
NODE_TYPES = ("Intervention", "BaseMission", "RiskFactor", "PreventionLevel", "Department", "ExternalActor",
              "CollaborationForum", "Place", "BudgetAllocation", "OtherLink")
# who can be an actor in the collaboration graph
ACTOR_TYPES = ("Department", "ExternalActor")

TYPE_LABELS = {
    "Intervention": "Insats", "BaseMission": "Grunduppdrag", "RiskFactor": "Riskfaktor",
    "PreventionLevel": "Preventionsnivå", "Department": "Förvaltning", "ExternalActor": "Extern aktör",
    "CollaborationForum": "Samverkansforum", "Place": "Plats", "BudgetAllocation": "Budgetpost",
    "OtherLink": "Annan koppling",
}

# property IRI -> edge relation (subject -> object)
RELATIONS = {
    ns.UVTS + "addresses": "addresses",
    ns.UVTS + "preventionLevel": "prevention_level",
    ns.UVTS + "responsibleDepartment": "responsible_department",
    ns.UVTS + "involves": "involves",
    ns.UVTS + "location": "location",
    ns.UVTS + "sameActivityAs": "same_activity_as",
    ns.UVTS + "otherLink": "other_link",
    ns.UVTS + "baseMission": "base_mission",
    ns.UVTS + "budgetAllocation": "budget_allocation",
    ns.UVTS + "funds": "funds",
    ns.ORG + "memberOf": "member_of",
}
# org:hasMember is read as member_of in the other direction
_INVERSE = {ns.ORG + "hasMember": "member_of"}

# property IRI -> (attribute name, many values?)
ATTRIBUTES = {
    ns.DCTERMS + "title": ("title", False),
    ns.DCTERMS + "description": ("description", False),
    ns.UVTS + "goal": ("goals", True),
    ns.UVTS + "followUp": ("follow_ups", True),
    ns.UVTS + "minAge": ("min_age", False),
    ns.UVTS + "maxAge": ("max_age", False),
    ns.UVTS + "targetGroup": ("target_group", False),
    ns.UVTS + "sequenceNumber": ("sequence_number", False),
    ns.UVTS + "timing": ("timing", False),
    ns.UVTS + "budgetAddition": ("budget_addition", False),
    ns.UVTS + "purpose": ("purpose", False),
    ns.UVTS + "placeKind": ("place_kind", False),
    ns.UVTS + "priorityArea": ("priority_area", False),
    ns.UVTS + "focusAreaOfPeriod": ("focus_period", False),
    ns.UVTS + "amount": ("amount", False),
    ns.UVTS + "acronymExpansion": ("acronym_expansion", False),
    ns.UVTS + "role": ("role", False),
    ns.UVTS + "actorCategory": ("category", False),
    ns.UVTS + "inPlan": ("plans", True),
}

_PREFIXES = f"PREFIX uvts: <{ns.UVTS}>\nPREFIX rdfs: <{ns.RDFS}>\n"


def _values(iris) -> str:
    return " ".join(f"<{i}>" for i in sorted(iris))


_Q_NODES = _PREFIXES + """SELECT DISTINCT ?s ?type ?label WHERE {
  VALUES ?type { %s }
  ?s a ?type .
  OPTIONAL { ?s rdfs:label ?label . FILTER(langMatches(lang(?label), "sv")) }
}""" % " ".join(f"uvts:{t}" for t in NODE_TYPES)

_Q_LINKS = """SELECT DISTINCT ?s ?p ?o WHERE {
  VALUES ?p { %s }
  ?s ?p ?o . FILTER(isIRI(?o))
}""" % _values(list(RELATIONS) + list(_INVERSE))

_Q_ATTRS = """SELECT DISTINCT ?s ?p ?o WHERE {
  VALUES ?p { %s }
  ?s ?p ?o .
  FILTER(isIRI(?o) || lang(?o) = "" || langMatches(lang(?o), "sv"))
}""" % _values(ATTRIBUTES)


# each risk-factor link's own evidence (uvts:Addressing): set on the ``addresses`` edge
_Q_ADDRESSING = _PREFIXES + """SELECT DISTINCT ?s ?rf ?lines ?evidence WHERE {
  ?s uvts:qualifiedAddressing ?q .
  ?q uvts:riskFactor ?rf ; uvts:sourceLines ?lines ; uvts:evidence ?evidence .
}"""


class Projection(NamedTuple):
    """The four NetworkX graphs of one store (all frozen)."""

    typed: Any
    intervention_risk_factor: Any
    actor_forum: Any
    collaboration: Any


def _plain(term) -> Any:
    return None if term is None else term.to_python()


def read_typed_graph(store, plan: str | None = None):
    """The typed graph of everything in ``store`` (see the module docstring).

    Runs four SELECT queries, and a fifth for the follow-up rounds, which it puts in
    ``G.graph["follow_up"]`` (see :mod:`uvts.graph.follow_up_data`). Works on any object with ``select(sparql)`` returning a
    :class:`~uvts.graph.store.SelectResult`. ``plan`` (an id, IRI or municipality, see
    :func:`uvts.graph.plans.resolve_plan`) limits the graph to one plan; ``None`` reads
    every plan in the store.
    """
    if plan is None:
        select = store.select
    else:
        from .plans import select_in_plan

        def select(query):
            return select_in_plan(store, query, plan)

    nodes = [(r["s"].value, r["type"].value[len(ns.UVTS):], _plain(r.get("label")))
             for r in select(_Q_NODES).rows]
    links = [(r["s"].value, r["p"].value, r["o"].value) for r in select(_Q_LINKS).rows]
    attrs = [(r["s"].value, r["p"].value, _plain(r["o"]) if r["o"].kind == "literal" else ns.slug_of(r["o"].value))
             for r in select(_Q_ATTRS).rows]
    addressing = [(r["s"].value, r["rf"].value, r["lines"].value, r["evidence"].value)
                  for r in select(_Q_ADDRESSING).rows]
    G = typed_graph_from_rows(nodes, links, attrs, addressing)
    from .follow_up_data import read_follow_up

    G.graph["follow_up"] = read_follow_up(select)  # the follow-up rounds (graph.follow_up_data), as plain data
    return G


def typed_graph_from_rows(nodes, links, attrs, addressing=()):
    """Build the frozen typed graph from plain rows.

    ``nodes``: ``(iri, type, label)``; ``links``: ``(subject, property IRI, object)``;
    ``attrs``: ``(subject, property IRI, python value)``; ``addressing`` (optional):
    ``(activity, risk factor, lines, evidence)``, each link's own evidence, set on its
    ``addresses`` edge as ``evidence_lines`` and ``evidence``. Rows may come in any order and
    repeat: the result is the same (nodes, edges and multi-valued attributes are sorted).
    """
    import networkx as nx

    info: dict[str, dict] = {}
    for iri, typ, label in sorted(nodes, key=lambda r: (r[0], r[1], r[2] or "")):
        if iri in info:  # a resource with two of our types (should not happen): keep the first
            if info[iri]["label"] is None and label:
                info[iri]["label"] = label
            continue
        info[iri] = {"type": typ, "label": label, "iri": iri}
    many: dict[tuple[str, str], list] = {}
    for s, p, value in attrs:
        if s not in info or p not in ATTRIBUTES:
            continue
        name, is_many = ATTRIBUTES[p]
        if is_many:
            many.setdefault((s, name), []).append(value)
        else:
            current = info[s].get(name)
            if current is None or str(value) < str(current):  # deterministic if repeated
                info[s][name] = value
    for (s, name), values in many.items():
        info[s][name] = sorted(set(values))
    G = nx.MultiDiGraph()
    for iri in sorted(info):
        data = info[iri]
        if data["label"] is None:
            data["label"] = data.get("title") or ns.slug_of(iri)
        if data["type"] == "Intervention":
            data.setdefault("goals", [])
            data.setdefault("follow_ups", [])
        G.add_node(iri, **data)
    edges = set()
    for s, p, o in links:
        if p in _INVERSE:
            s, o, relation = o, s, _INVERSE[p]
        elif p in RELATIONS:
            relation = RELATIONS[p]
        else:
            continue
        if s in info and o in info:
            edges.add((s, o, relation))
    evidence = {}
    for s, rf, lines, text in sorted(addressing):
        evidence.setdefault((s, rf), {"evidence_lines": lines, "evidence": text})  # deterministic if repeated
    for s, o, relation in sorted(edges):
        extra = evidence.get((s, o), {}) if relation == "addresses" else {}
        G.add_edge(s, o, key=relation, relation=relation, **extra)
    return nx.freeze(G)


_BY_TYPE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def nodes_of_type(G, typ: str) -> list[str]:
    """The nodes of one type, sorted by Swedish label then IRI.

    For a frozen graph (every graph this module returns) the grouping is computed once and
    remembered; an unfrozen graph, which may still change, is read afresh each time.
    """
    if not getattr(G, "frozen", False):
        return sorted((n for n, t in G.nodes(data="type") if t == typ),
                      key=lambda n: (G.nodes[n]["label"].casefold(), n))
    groups = _BY_TYPE.get(G)
    if groups is None:
        groups = {}
        for n, data in G._node.items():
            groups.setdefault(data.get("type"), []).append(n)
        for members in groups.values():
            members.sort(key=lambda n: (G._node[n]["label"].casefold(), n))
        _BY_TYPE[G] = groups
    return list(groups.get(typ, ()))


def _targets(G, node, relation) -> list[str]:
    return sorted(v for v, keys in G._succ[node].items() if relation in keys)


def _copy_node(H, G, node, **extra) -> None:
    data = G.nodes[node]
    H.add_node(node, type=data["type"], label=data["label"], iri=data["iri"], **extra)


def intervention_risk_factor_graph(G):
    """Bipartite graph: interventions (``bipartite=0``) and risk factors (``bipartite=1``).

    An edge means the intervention addresses the risk factor. Every intervention and
    every risk factor is a node, linked or not.
    """
    import networkx as nx

    H = nx.Graph()
    for i in nodes_of_type(G, "Intervention"):
        _copy_node(H, G, i, bipartite=0)
    for r in nodes_of_type(G, "RiskFactor"):
        _copy_node(H, G, r, bipartite=1)
    for i in nodes_of_type(G, "Intervention"):
        for r in _targets(G, i, "addresses"):
            if r in H:
                H.add_edge(i, r)
    return nx.freeze(H)


def actor_forum_graph(G):
    """Bipartite graph: actors (departments and external actors, ``bipartite=0``) and forums (``bipartite=1``).

    An edge means the actor is a member of the forum (``org:memberOf``/``org:hasMember``).
    """
    import networkx as nx

    H = nx.Graph()
    for typ in ACTOR_TYPES:
        for a in nodes_of_type(G, typ):
            _copy_node(H, G, a, bipartite=0)
    for f in nodes_of_type(G, "CollaborationForum"):
        _copy_node(H, G, f, bipartite=1)
    for a in sorted(n for n, d in H.nodes(data="bipartite") if d == 0):
        for f in _targets(G, a, "member_of"):
            if H.nodes.get(f, {}).get("bipartite") == 1:
                H.add_edge(a, f)
    return nx.freeze(H)


def intervention_parties(G, intervention: str) -> list[str]:
    """The actors taking part in an intervention: its responsible department and the
    departments and external actors it involves directly (forums are not expanded)."""
    out = set(_targets(G, intervention, "responsible_department"))
    out.update(a for a in _targets(G, intervention, "involves") if G.nodes[a]["type"] in ACTOR_TYPES)
    return sorted(out)


def collaboration_graph(G):
    """Actor–actor collaboration graph, weighted by shared interventions and forums.

    Nodes: every department and external actor. Two actors are linked when they take
    part in the same intervention (as responsible department or named as involved) or
    are members of the same forum. ``weight`` = number of shared interventions + number
    of shared forums; the edge also lists them (``interventions``, ``forums``).
    Base missions are not counted (they are the departments' ordinary work, not UVTS
    interventions), and a forum that an intervention involves is not expanded to its members.
    """
    import networkx as nx

    C = nx.Graph()
    for typ in ACTOR_TYPES:
        for a in nodes_of_type(G, typ):
            _copy_node(C, G, a)
    shared: dict[tuple[str, str], dict[str, set]] = {}

    def link(members, via, kind):
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                pair = (members[x], members[y])
                shared.setdefault(pair, {"interventions": set(), "forums": set()})[kind].add(via)

    for i in nodes_of_type(G, "Intervention"):
        link(intervention_parties(G, i), i, "interventions")
    for f in nodes_of_type(G, "CollaborationForum"):
        members = sorted(u for u, keys in G._pred[f].items() if "member_of" in keys and u in C)
        link(members, f, "forums")
    for (a, b), s in sorted(shared.items()):
        ivs, forums = sorted(s["interventions"]), sorted(s["forums"])
        C.add_edge(a, b, weight=len(ivs) + len(forums), interventions=ivs, forums=forums)
    return nx.freeze(C)


def project(store, plan: str | None = None) -> Projection:
    """Read ``store`` once (one plan, or all) and return the typed graph and the three derived graphs."""
    G = read_typed_graph(store, plan=plan)
    return Projection(G, intervention_risk_factor_graph(G), actor_forum_graph(G), collaboration_graph(G))
