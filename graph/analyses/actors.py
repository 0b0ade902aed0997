"""Key actors: centrality in the collaboration graph, forum load, communities and bridges.

The functions below :func:`actors` take a collaboration graph (weighted, undirected, as
made by :func:`uvts.graph.project.collaboration_graph`) or an actor–forum graph, so they
can be tried on hand-made graphs; :func:`actors` derives both from the typed graph.
networkx is imported inside the functions.
"""

from __future__ import annotations

from ..project import TYPE_LABELS, actor_forum_graph, collaboration_graph
from . import _plan as P
from ._shape import column, records, result

__all__ = ["actors", "centralities", "communities", "bridges", "brokers", "forum_load", "BETWEENNESS_EXACT_LIMIT",
           "BETWEENNESS_SAMPLES"]


def _label(C, n) -> str:
    return C.nodes[n].get("label", P.short(n)) if n in C else P.short(n)


# Above this many actors, betweenness is estimated from a seeded sample of source actors
# (networkx's ``k=``), since the exact computation grows with nodes × edges.
BETWEENNESS_EXACT_LIMIT = 500
BETWEENNESS_SAMPLES = 200


def _samples(n: int) -> int | None:
    """How many source actors betweenness is estimated from (``None``: exact)."""
    return None if n <= BETWEENNESS_EXACT_LIMIT else min(BETWEENNESS_SAMPLES, n)


def _eigenvector(nodes: list[str], edges: list[tuple[str, str, float]], max_iter: int = 10000,
                 tol: float = 1e-10) -> dict[str, float]:
    """Weighted eigenvector centrality of a connected graph by power iteration on (A + I),
    the same iteration as :func:`networkx.eigenvector_centrality`, in numpy."""
    import numpy as np

    index = {n: k for k, n in enumerate(nodes)}
    n = len(nodes)
    u = np.array([index[a] for a, _, _ in edges], dtype=np.int64)
    v = np.array([index[b] for _, b, _ in edges], dtype=np.int64)
    w = np.array([float(x) for _, _, x in edges])
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        last = x
        x = last + np.bincount(v, weights=w * last[u], minlength=n) + np.bincount(u, weights=w * last[v], minlength=n)
        x = x / np.linalg.norm(x)
        if np.abs(x - last).sum() < n * tol:
            break
    return {node: float(x[k]) for node, k in index.items()}


def centralities(C, seed: int = 0) -> dict[str, dict[str, float]]:
    """Degree, betweenness and eigenvector centrality of every node, each in [0, 1].

    * degree: the share of the other actors an actor is linked to (unweighted);
    * betweenness: the share of shortest paths between other actors that pass through it,
      normalised, with distance 1/weight so that strong ties are short; exact up to
      :data:`BETWEENNESS_EXACT_LIMIT` actors, above that estimated from
      :data:`BETWEENNESS_SAMPLES` source actors drawn with ``seed``;
    * eigenvector: computed on the largest connected part of the graph (weighted; ties of
      equal size are broken by the smallest node), scaled to Euclidean length 1; actors
      outside it get 0, since the measure is not defined across disconnected parts.
    """
    import networkx as nx

    out = {n: {"degree": 0.0, "betweenness": 0.0, "eigenvector": 0.0} for n in C}
    if C.number_of_nodes() == 0:
        return out
    H = nx.Graph()
    H.add_nodes_from(sorted(C))
    for a, b, w in sorted((min(a, b), max(a, b), w or 1) for a, b, w in C.edges(data="weight", default=1)):
        H.add_edge(a, b, weight=w, distance=1.0 / w)
    for n, value in nx.degree_centrality(H).items():
        out[n]["degree"] = float(value)
    k = _samples(H.number_of_nodes())
    for n, value in nx.betweenness_centrality(H, k=k, weight="distance", normalized=True, seed=seed).items():
        out[n]["betweenness"] = float(value)
    comps = [c for c in nx.connected_components(H) if len(c) > 1]
    if comps:
        main = sorted(sorted(c) for c in comps)
        main = sorted(main, key=lambda c: -len(c))[0]
        member = set(main)
        edges = [(a, b, w) for a, b, w in H.edges(data="weight") if a in member]
        for n, value in _eigenvector(main, edges).items():
            out[n]["eigenvector"] = value
    for n in out:
        for key, v in out[n].items():
            out[n][key] = round(min(max(v, 0.0), 1.0), 6)
    return out


def communities(C, seed: int = 0) -> list[list[str]]:
    """Louvain communities (weighted, with ``seed``), largest first; each sorted."""
    import networkx as nx

    H = nx.Graph()
    H.add_nodes_from(sorted(C))
    H.add_weighted_edges_from(sorted((min(u, v), max(u, v), w or 1) for u, v, w in C.edges(data="weight", default=1)))
    comms = nx.community.louvain_communities(H, weight="weight", seed=seed)
    return sorted((sorted(c) for c in comms), key=lambda c: (-len(c), c[0]))


def bridges(C) -> list[tuple[str, str]]:
    """Edges whose removal splits a connected part of the graph in two (:func:`networkx.bridges`)."""
    import networkx as nx

    H = nx.Graph()
    H.add_nodes_from(sorted(C))
    H.add_edges_from(sorted((min(u, v), max(u, v)) for u, v in C.edges()))
    return sorted((min(u, v), max(u, v)) for u, v in nx.bridges(H))


def brokers(C, comms: list[list[str]]) -> list[dict]:
    """Actors linked to members of other communities: ``{"actor", "community", "links_to"}``
    (``links_to``: the numbers of the other communities), most communities reached first.
    Communities are numbered from 1 in the order of ``comms``."""
    member = {n: k for k, c in enumerate(comms, start=1) for n in c}
    out = []
    for n in sorted(C):
        others = sorted({member[m] for m in C.neighbors(n) if member.get(m) != member.get(n)})
        if others:
            out.append({"actor": n, "community": member.get(n), "links_to": others})
    out.sort(key=lambda r: (-len(r["links_to"]), r["actor"]))
    return out


def forum_load(AF) -> list[dict]:
    """Actors by number of forums they belong to (actor–forum graph; ``bipartite=0`` are actors)."""
    rows = []
    for n, side in AF.nodes(data="bipartite"):
        if side != 0:
            continue
        forums = sorted(AF.neighbors(n))
        rows.append({"actor": n, "forums": forums, "count": len(forums)})
    rows.sort(key=lambda r: (-r["count"], _label(AF, r["actor"]).casefold(), r["actor"]))
    return rows


def actors(G, seed: int = 0) -> dict:
    """Centralities, forum load, communities, bridges and brokers of the actors in the typed graph ``G``."""
    import networkx as nx

    C = collaboration_graph(G)
    AF = actor_forum_graph(G)
    cent = centralities(C, seed=seed)
    comms = communities(C, seed=seed)
    sampled = _samples(C.number_of_nodes())
    member = {n: k for k, c in enumerate(comms, start=1) for n in c}  # groups are numbered from 1
    ivs = {n: [i for i in P.sources(G, n, "responsible_department") if G.nodes[i]["type"] == "Intervention"] +
           [i for i in P.sources(G, n, "involves") if G.nodes[i]["type"] == "Intervention"] for n in C}
    forums = {r["actor"]: r for r in forum_load(AF)}
    rows = []
    for n in C:
        rows.append({"actor": n, "actor_type": C.nodes[n]["type"], **cent[n],
                     "collaborators": C.degree(n), "strength": C.degree(n, weight="weight"),
                     "interventions": len(set(ivs[n])), "forums": forums.get(n, {}).get("count", 0),
                     "community": member[n]})
    rows.sort(key=lambda r: (-r["betweenness"], -r["degree"], -r["eigenvector"], _label(C, r["actor"]).casefold()))
    t_cent = records(
        "centrality", "Centralitet i samverkansnätverket",
        "Två aktörer (förvaltningar och externa aktörer) är länkade när de deltar i samma insats eller är medlemmar i "
        "samma forum, med vikten antal sådana insatser och forum; gradcentralitet är andelen andra aktörer man är "
        "länkad till, mellanhetscentralitet andelen kortaste vägar mellan andra aktörer som går via aktören (avstånd "
        "1/vikt" + (f", uppskattad från {sampled} slumpvis valda startaktörer med frö {seed}" if sampled
                    else "") +
        ") och egenvektorcentralitet beräknas i det största sammanhängande nätverket (andra får 0).",
        [column("actor", "Aktör", "iri"), column("actor_type", "Typ", "codes", codes=TYPE_LABELS),
         column("degree", "Grad", "score"), column("betweenness", "Mellanhet", "score"),
         column("eigenvector", "Egenvektor", "score"), column("collaborators", "Samverkansparter", "integer"),
         column("strength", "Summa vikter", "integer"), column("interventions", "Insatser", "integer"),
         column("forums", "Forum", "integer"), column("community", "Grupp", "integer")],
        rows, betweenness_samples=sampled)
    load_rows = [{"actor": r["actor"], "actor_type": AF.nodes[r["actor"]]["type"], "count": r["count"],
                  "forums": r["forums"], "interventions": len(set(ivs.get(r["actor"], [])))}
                 for r in forum_load(AF) if r["count"] > 0]
    t_load = records(
        "forum_load", "Aktörer i flest forum",
        "Aktörerna ordnas efter hur många samverkansforum planen namnger dem som medlemmar i, eftersom många forum "
        "kan innebära risk för överbelastning av nyckelaktörer som planen själv påpekar.",
        [column("actor", "Aktör", "iri"), column("actor_type", "Typ", "codes", codes=TYPE_LABELS),
         column("count", "Antal forum", "integer"), column("forums", "Forum", "iris"),
         column("interventions", "Insatser", "integer")],
        load_rows)
    comm_rows = []
    for k, c in enumerate(comms, start=1):
        internal = C.subgraph(c).size(weight="weight")
        comm_rows.append({"community": k, "members": c, "size": len(c), "internal_weight": internal})
    t_comm = records(
        "communities", "Grupper (Louvain)",
        f"Grupperna hittas med Louvain-metoden på samverkansnätverket med vikter och fast slumpfrö {seed}, så att "
        f"samma data alltid ger samma grupper; aktörer utan länkar blir egna grupper.",
        [column("community", "Grupp", "integer"), column("size", "Antal", "integer"),
         column("members", "Medlemmar", "iris"), column("internal_weight", "Vikt inom gruppen", "integer")],
        comm_rows, seed=seed)
    bridge_rows = []
    for u, v in bridges(C):
        data = C.edges[u, v]
        bridge_rows.append({"a": u, "b": v, "weight": data.get("weight", 1),
                            "interventions": list(data.get("interventions", [])), "forums": list(data.get("forums", [])),
                            "communities": [member[u], member[v]]})
    t_bridges = records(
        "bridges", "Broar",
        "En bro är en länk mellan två aktörer som är den enda förbindelsen mellan två delar av nätverket: "
        "tas den bort delas nätverket.",
        [column("a", "Aktör A", "iri"), column("b", "Aktör B", "iri"), column("weight", "Vikt", "integer"),
         column("interventions", "Insatser", "iris"), column("forums", "Forum", "iris"),
         column("communities", "Grupper", "text")],
        bridge_rows)
    H = nx.Graph()
    H.add_nodes_from(sorted(C))
    H.add_edges_from(sorted((min(u, v), max(u, v)) for u, v in C.edges()))
    cut = set(nx.articulation_points(H))
    broker_rows = [{**b, "articulation_point": b["actor"] in cut} for b in brokers(C, comms)]
    broker_rows += [{"actor": n, "community": member[n], "links_to": [], "articulation_point": True}
                    for n in sorted(cut - {b["actor"] for b in broker_rows})]
    t_brokers = records(
        "brokers", "Aktörer som länkar grupper",
        "En aktör listas när den har samverkansparter i andra Louvain-grupper än sin egen, eller när nätverket "
        "delas om aktören tas bort (ledpunkt), och ordnas efter hur många andra grupper den når.",
        [column("actor", "Aktör", "iri"), column("community", "Egen grupp", "integer"),
         column("links_to", "Länkar till grupper", "text"), column("articulation_point", "Ledpunkt", "boolean")],
        broker_rows)
    return result(G, "actors", "Nyckelaktörer",
                  "Nyckelaktörerna räknas fram i samverkansnätverket mellan förvaltningar och externa aktörer, som "
                  "bygger på gemensamma insatser och forum.",
                  [t_cent, t_load, t_comm, t_bridges, t_brokers], seed=seed)
