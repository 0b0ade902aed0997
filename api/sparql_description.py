"""The SPARQL 1.1 Service Description of the endpoint (answered to ``GET /sparql``).

Written as RDF with the W3C vocabulary ``sd:`` (http://www.w3.org/ns/sparql-service-description#):
the service, its endpoint, the languages it supports (SPARQL 1.1 Query, and Update when
enabled), the result formats, the feature ``sd:UnionDefaultGraph`` (the default graph
is the union of the named graphs) and the default dataset with every named graph.
"""

from __future__ import annotations

__all__ = ["SD", "service_description", "description_triples"]

SD = "http://www.w3.org/ns/sparql-service-description#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_DCTERMS = "http://purl.org/dc/terms/"


def description_triples(endpoint: str, graphs: list[str], *, updates: bool = False) -> list:
    """The description as pyoxigraph triples (blank nodes with fixed labels)."""
    import pyoxigraph as ox

    from .sparql_formats import FORMAT_IRIS

    def n(iri: str):
        return ox.NamedNode(iri)

    a = n(_RDF_TYPE)
    service, dataset, default = ox.BlankNode("service"), ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
    triples = [
        ox.Triple(service, a, n(SD + "Service")),
        ox.Triple(service, n(SD + "endpoint"), n(endpoint)),
        ox.Triple(service, n(_DCTERMS + "title"), ox.Literal("Samverkanskartan: SPARQL-slutpunkt", language="sv")),
        ox.Triple(service, n(SD + "supportedLanguage"), n(SD + "SPARQL11Query")),
        ox.Triple(service, n(SD + "feature"), n(SD + "UnionDefaultGraph")),
        ox.Triple(service, n(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, a, n(SD + "Dataset")),
        ox.Triple(dataset, n(SD + "defaultGraph"), default),
        ox.Triple(default, a, n(SD + "Graph")),
        ox.Triple(default, n(_DCTERMS + "description"),
                  ox.Literal("Unionen av alla namngivna grafer.", language="sv")),
    ]
    if updates:
        triples.append(ox.Triple(service, n(SD + "supportedLanguage"), n(SD + "SPARQL11Update")))
    for fmt_iri in dict.fromkeys(FORMAT_IRIS.values()):
        triples.append(ox.Triple(service, n(SD + "resultFormat"), n(fmt_iri)))
    for i, graph in enumerate(graphs):
        named, inner = ox.BlankNode(f"namedGraph{i}"), ox.BlankNode(f"graph{i}")
        triples += [
            ox.Triple(dataset, n(SD + "namedGraph"), named),
            ox.Triple(named, a, n(SD + "NamedGraph")),
            ox.Triple(named, n(SD + "name"), n(graph)),
            ox.Triple(named, n(SD + "graph"), inner),
            ox.Triple(inner, a, n(SD + "Graph")),
        ]
    return triples


def service_description(endpoint: str, graphs: list[str], fmt: str = "turtle", *, updates: bool = False) -> bytes:
    """The description in ``fmt`` (``turtle``, ``nt``, ``jsonld`` or ``rdfxml``)."""
    from .sparql_formats import serialize_graph

    return serialize_graph(fmt, description_triples(endpoint, graphs, updates=updates),
                           prefixes={"sd": SD, "formats": "http://www.w3.org/ns/formats/"})
