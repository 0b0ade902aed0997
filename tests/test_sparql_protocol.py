"""The SPARQL 1.1 Protocol endpoint (/sparql), in process (FastAPI's TestClient).

A protocol table (method × content type × Accept -> status and media type), the result
formats against the W3C specifications (and against independent parsers), the time and
row limits, the refusal of anything that would fetch a URL (checked with a listener on
loopback that records every connection), updates, request size, and every saved query
through the endpoint compared with ``run_saved`` and the golden answers.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from fastapi.testclient import TestClient

from uvts.api.app import create_app
from uvts.api.settings import Settings
from uvts.api.sparql_pool import LONG_NICE
from uvts.graph.sparqlguard import (SparqlRefusal, cached_inspect_query, code_only, inspect_query, inspect_update,
                                   lexical_keywords, tree_names, unknown_graphs)
from uvts.api.sparql_formats import (ASK_TYPES, GRAPH_TYPES, SELECT_TYPES, negotiate, parse_accept, results_csv,
                                     results_json, results_tsv, results_xml)
from uvts.graph.namespaces import ID
from uvts.graph.queries import bind_params, get_query, list_queries, run_saved
from uvts.graph.store import OxigraphStore, Term

GOLDEN = Path(__file__).parent / "golden"
XSD = "http://www.w3.org/2001/XMLSchema#"
ONTOLOGY_GRAPH = "https://w3id.org/uvts/ontology"
PLAN_GRAPH = "https://w3id.org/uvts/id/plan/umea-uvts-2024-2026"
PREFIXES = ("PREFIX uvts: <https://w3id.org/uvts/ontology#>\n"
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
Q_SELECT = PREFIXES + ('SELECT ?rf ?label WHERE { ?rf a uvts:RiskFactor ; skos:prefLabel ?label '
                       'FILTER(lang(?label) = "sv") } ORDER BY ?label')
Q_ASK = PREFIXES + "ASK { ?rf a uvts:RiskFactor }"
Q_CONSTRUCT = PREFIXES + "CONSTRUCT { ?rf skos:prefLabel ?l } WHERE { ?rf a uvts:RiskFactor ; skos:prefLabel ?l }"
Q_DESCRIBE = "DESCRIBE <https://w3id.org/uvts/id/risk-factor/psykisk-ohalsa>"
# A cross join of all triples, three times over: billions of solutions.
Q_SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TOKEN = "test-token-0123456789"
TIMEOUT = 3.0
LIMIT = 1000
MAX_BODY = 16_384
SPARQL_ONLY = ["uvts.api.sparql"]  # the endpoint alone (the full app is tested in test_sparql_clients.py)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sparql-protocol") / "store"


@pytest.fixture(scope="module")
def client(store_dir):
    # (every TestClient request comes from one client: its share is the whole pool here; the
    # per-client shares are tested against a real server in test_sparql_clients.py)
    settings = Settings(store_path=store_dir, query_timeout=TIMEOUT, result_limit=LIMIT, query_workers=2,
                        max_body=MAX_BODY, client_queries=4)
    with TestClient(create_app(settings, modules=SPARQL_ONLY)) as c:
        yield c


@pytest.fixture(scope="module")
def update_client(client, store_dir):
    """An app with SPARQL Update enabled (its workers hold in-memory copies of the data)."""
    settings = Settings(store_path=store_dir, query_timeout=2.0, result_limit=LIMIT, query_workers=2,
                        update_token=TOKEN)
    with TestClient(create_app(settings, modules=SPARQL_ONLY)) as c:
        yield c


def send(client, method: str, how: str, text: str | None = None, accept: str | None = None,
         content_type: str | None = None, **extra):
    """One request: ``how`` is ``get`` (query in the URL), ``form`` or ``direct`` (the body is the query)."""
    headers = {}
    if accept is not None:
        headers["Accept"] = accept
    if how == "get":
        params = {"query": text} if text is not None else {}
        return client.request(method, "/sparql", params=params, headers=headers)
    if how == "form":
        headers["Content-Type"] = content_type or "application/x-www-form-urlencoded"
        body = f"query={_quote(text)}" if text is not None else ""
        return client.request(method, "/sparql", content=body.encode(), headers=headers)
    headers["Content-Type"] = content_type or "application/sparql-query"
    return client.request(method, "/sparql", content=(text or "").encode(), headers=headers)


def _quote(text: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(text)


def media(response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def assert_error(response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    assert media(response) == "application/json"
    body = response.json()
    assert set(body) == {"ok", "error", "status"}
    assert body["ok"] is False and body["status"] == status
    for word in words:
        assert word in body["error"], body["error"]
    return body["error"]


# --- the protocol table ------------------------------------------------------------------------------------

JSON_RES, XML_RES = "application/sparql-results+json", "application/sparql-results+xml"
TABLE = [
    # (id, method, how, query, Accept, Content-Type, status, media type)
    ("get-select-no-accept", "GET", "get", Q_SELECT, None, None, 200, JSON_RES),
    ("get-select-any", "GET", "get", Q_SELECT, "*/*", None, 200, JSON_RES),
    ("get-select-json", "GET", "get", Q_SELECT, JSON_RES, None, 200, JSON_RES),
    ("get-select-xml", "GET", "get", Q_SELECT, XML_RES, None, 200, XML_RES),
    ("get-select-csv", "GET", "get", Q_SELECT, "text/csv", None, 200, "text/csv"),
    ("get-select-tsv", "GET", "get", Q_SELECT, "text/tab-separated-values", None, 200, "text/tab-separated-values"),
    # Aliases are accepted, but the answer carries the format's own media type.
    ("get-select-plain-json", "GET", "get", Q_SELECT, "application/json", None, 200, JSON_RES),
    ("get-select-plain-xml", "GET", "get", Q_SELECT, "application/xml", None, 200, XML_RES),
    ("get-select-text-xml", "GET", "get", Q_SELECT, "text/xml", None, 200, XML_RES),
    ("get-ask-plain-json", "GET", "get", Q_ASK, "application/json", None, 200, JSON_RES),
    ("get-construct-x-turtle", "GET", "get", Q_CONSTRUCT, "application/x-turtle", None, 200, "text/turtle"),
    ("get-select-q-values", "GET", "get", Q_SELECT, f"text/csv;q=0.5, {XML_RES}", None, 200, XML_RES),
    ("get-select-text-star", "GET", "get", Q_SELECT, f"text/*;q=0.9, {JSON_RES};q=0.8", None, 200, "text/csv"),
    ("get-select-named-beats-star", "GET", "get", Q_SELECT, "*/*, text/tab-separated-values", None, 200,
     "text/tab-separated-values"),
    ("get-select-q-zero", "GET", "get", Q_SELECT, f"{JSON_RES};q=0, application/json;q=0, */*", None, 200, XML_RES),
    ("get-select-browser", "GET", "get", Q_SELECT,
     "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, 200, XML_RES),
    ("get-select-turtle", "GET", "get", Q_SELECT, "text/turtle", None, 406, None),
    ("get-select-image", "GET", "get", Q_SELECT, "image/png", None, 406, None),
    ("get-ask-any", "GET", "get", Q_ASK, "*/*", None, 200, JSON_RES),
    ("get-ask-xml", "GET", "get", Q_ASK, XML_RES, None, 200, XML_RES),
    ("get-ask-csv", "GET", "get", Q_ASK, "text/csv", None, 406, None),
    ("get-construct-no-accept", "GET", "get", Q_CONSTRUCT, None, None, 200, "text/turtle"),
    ("get-construct-any", "GET", "get", Q_CONSTRUCT, "*/*", None, 200, "text/turtle"),
    ("get-construct-nt", "GET", "get", Q_CONSTRUCT, "application/n-triples", None, 200, "application/n-triples"),
    ("get-construct-jsonld", "GET", "get", Q_CONSTRUCT, "application/ld+json", None, 200, "application/ld+json"),
    ("get-construct-rdfxml", "GET", "get", Q_CONSTRUCT, "application/rdf+xml", None, 200, "application/rdf+xml"),
    ("get-construct-results-json", "GET", "get", Q_CONSTRUCT, JSON_RES, None, 406, None),
    ("get-describe", "GET", "get", Q_DESCRIBE, None, None, 200, "text/turtle"),
    ("get-service-description", "GET", "get", None, None, None, 200, "text/turtle"),
    ("get-service-description-jsonld", "GET", "get", None, "application/ld+json", None, 200, "application/ld+json"),
    ("get-service-description-csv", "GET", "get", None, "text/csv", None, 406, None),
    ("post-form-select", "POST", "form", Q_SELECT, None, None, 200, JSON_RES),
    ("post-form-select-csv", "POST", "form", Q_SELECT, "text/csv", None, 200, "text/csv"),
    ("post-form-construct", "POST", "form", Q_CONSTRUCT, "application/n-triples", None, 200, "application/n-triples"),
    ("post-direct-select", "POST", "direct", Q_SELECT, None, None, 200, JSON_RES),
    ("post-direct-charset", "POST", "direct", Q_SELECT, XML_RES, "application/sparql-query; charset=utf-8", 200,
     XML_RES),
    ("post-direct-ask-tsv", "POST", "direct", Q_ASK, "text/tab-separated-values", None, 406, None),
    ("post-text-plain", "POST", "direct", Q_SELECT, None, "text/plain", 415, None),
    ("post-json", "POST", "direct", Q_SELECT, None, "application/json", 415, None),
    ("post-multipart", "POST", "direct", Q_SELECT, None, "multipart/form-data; boundary=x", 415, None),
    ("post-no-content-type", "POST", "direct", Q_SELECT, None, "", 415, None),
    ("post-unknown-charset", "POST", "direct", Q_SELECT, None, "application/sparql-query; charset=klingon", 415, None),
    # Only UTF-8: a charset names no decoder to look up (charset=uu once gave a 500 LookupError).
    ("post-charset-uu", "POST", "direct", Q_SELECT, None, "application/sparql-query; charset=uu", 415, None),
    ("post-charset-rot13", "POST", "direct", Q_SELECT, None, "application/sparql-query; charset=rot13", 415, None),
    ("post-charset-base64", "POST", "direct", Q_SELECT, None, "application/sparql-query; charset=base64", 415, None),
    ("post-charset-zlib", "POST", "direct", Q_SELECT, None, "application/sparql-query; charset=zlib", 415, None),
    ("post-charset-utf16", "POST", "direct", Q_SELECT, None, "application/sparql-query; charset=UTF-16", 415, None),
    ("post-charset-latin1", "POST", "direct", Q_SELECT, None, "application/sparql-query; charset=ISO-8859-1", 415,
     None),
    ("post-form-charset-latin1", "POST", "form", Q_SELECT, None,
     "application/x-www-form-urlencoded; charset=iso-8859-1", 415, None),
    ("post-update-charset-utf16", "POST", "direct", "CLEAR ALL", None, "application/sparql-update; charset=utf-16",
     415, None),
    ("post-charset-utf8-upper", "POST", "direct", Q_SELECT, None, "application/sparql-query; charset=UTF-8", 200,
     JSON_RES),
    ("post-form-empty", "POST", "form", None, None, None, 400, None),
    ("get-malformed", "GET", "get", "SELECT * WHERE { ?s ?p }", None, None, 400, None),
    ("post-malformed", "POST", "direct", "SELEC ?x", None, None, 400, None),
    ("get-empty-query", "GET", "get", "   ", None, None, 400, None),
    ("post-direct-update-refused", "POST", "direct", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", None,
     "application/sparql-update", 403, None),
    ("put", "PUT", "direct", Q_SELECT, None, None, 405, None),
    ("delete", "DELETE", "get", None, None, None, 405, None),
]


@pytest.mark.parametrize("case", TABLE, ids=[c[0] for c in TABLE])
def test_protocol_table(client, case):
    _, method, how, query, accept, ctype, status, media_type = case
    if ctype == "":
        r = client.request(method, "/sparql", content=query.encode())
    else:
        r = send(client, method, how, query, accept, ctype)
    if status >= 400:
        assert_error(r, status)
        if status == 405:
            assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
        return
    assert r.status_code == status, r.text
    assert media(r) == media_type
    assert r.headers.get("vary") == "Accept"
    if media_type.startswith("text/"):
        assert "charset=utf-8" in r.headers["content-type"]


def test_406_lists_what_is_available(client):
    message = assert_error(send(client, "GET", "get", Q_SELECT, "text/turtle"), 406)
    for media_type, _ in SELECT_TYPES:
        assert media_type in message
    message = assert_error(send(client, "GET", "get", Q_CONSTRUCT, JSON_RES), 406)
    assert "text/turtle" in message and "application/ld+json" in message


def test_malformed_query_gets_the_parsers_message(client):
    message = assert_error(send(client, "GET", "get", "SELECT * WHERE { ?s ?p }"), 400, "Frågan kunde inte tolkas")
    assert "line:1" in message and "col:" in message  # the position, from the parser
    message = assert_error(send(client, "GET", "get", "INSERT DATA { <urn:a> <urn:b> <urn:c> }"), 400)
    assert "uppdatering" in message  # an update sent as a query is named as such


def test_parameters_given_twice_are_refused(client):
    r = client.get("/sparql", params=[("query", Q_ASK), ("query", Q_ASK)])
    assert_error(r, 400, "query")
    r = client.post("/sparql", content=f"query={_quote(Q_ASK)}&update=CLEAR%20ALL".encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 400, "inte båda")
    assert_error(client.get("/sparql", params={"update": "CLEAR ALL"}), 400, "POST")


def test_only_utf8_bodies(client):
    query = PREFIXES + 'ASK { ?rf skos:prefLabel "Psykisk ohälsa"@sv }'
    r = client.post("/sparql", content=query.encode("utf-8"),
                    headers={"Content-Type": "application/sparql-query; charset=utf-8"})
    assert r.status_code == 200 and r.json() == {"head": {}, "boolean": True}
    for charset in ("iso-8859-1", "uu", "utf-16"):
        r = client.post("/sparql", content=query.encode("latin-1"),
                        headers={"Content-Type": f"application/sparql-query; charset={charset}"})
        assert_error(r, 415, "UTF-8", charset)
    r = client.post("/sparql", content=query.encode("latin-1"), headers={"Content-Type": "application/sparql-query"})
    assert_error(r, 400, "UTF-8")  # without a charset the body must be UTF-8


def test_codec_lookup_is_never_done_from_a_header(client, monkeypatch):
    import codecs

    def refuse(name):
        raise AssertionError(f"codecs.lookup({name!r}) called from a request")

    monkeypatch.setattr(codecs, "lookup", refuse)
    r = client.post("/sparql", content=Q_ASK.encode(), headers={"Content-Type": "application/sparql-query; charset=uu"})
    assert_error(r, 415)


def test_relative_iris_resolve_against_the_endpoint(client):
    r = send(client, "GET", "get", "CONSTRUCT { <s> <p> 1 } WHERE {}", "application/n-triples")
    assert r.status_code == 200, r.text
    # TestClient's server is "testserver" on port 80: the listening address, not the Host header
    assert r.text.strip() == '<http://testserver/s> <http://testserver/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .'
    r = client.get("/sparql", params={"query": "SELECT ?x WHERE { BIND(<a/b> AS ?x) }"},
                   headers={"Host": "evil.example"})
    assert r.json()["results"]["bindings"][0]["x"]["value"] == "http://testserver/a/b"


def test_public_url_is_the_base_iri_and_sd_endpoint(store_dir):
    settings = Settings(store_path=store_dir, query_workers=1, public_url="https://karta.example.se/api/sparql")
    with TestClient(create_app(settings, modules=SPARQL_ONLY)) as c:
        r = send(c, "GET", "get", "SELECT ?x WHERE { BIND(<rel> AS ?x) }")
        assert r.json()["results"]["bindings"][0]["x"]["value"] == "https://karta.example.se/api/rel"
        g = ox.Store()
        g.load(c.get("/sparql", headers={"Host": "evil.example"}).content, format=ox.RdfFormat.TURTLE)
        ends = {q.object.value for q in g.quads_for_pattern(None, ox.NamedNode(
            "http://www.w3.org/ns/sparql-service-description#endpoint"), None)}
        assert ends == {"https://karta.example.se/api/sparql"}


def test_dataset_in_the_url_of_a_form_post_is_honoured(client):
    count = PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def n(response):
        assert response.status_code == 200, response.text
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    everything = n(client.post("/sparql", content=f"query={_quote(count)}".encode(), headers=form))
    ontology = n(client.post("/sparql", params={"default-graph-uri": ONTOLOGY_GRAPH},
                             content=f"query={_quote(count)}".encode(), headers=form))
    in_body = n(client.post("/sparql", content=f"query={_quote(count)}&default-graph-uri={_quote(ONTOLOGY_GRAPH)}"
                            .encode(), headers=form))
    assert ontology == in_body < everything
    # an unknown graph in the URL of a form POST is refused like anywhere else (never ignored)
    r = client.post("/sparql", params={"named-graph-uri": "urn:x:nowhere"}, content=f"query={_quote(count)}".encode(),
                    headers=form)
    assert_error(r, 400, "urn:x:nowhere")
    # the query itself in the URL of a POST is refused, not ignored
    r = client.post("/sparql", params={"query": Q_ASK}, content=f"query={_quote(Q_ASK)}".encode(), headers=form)
    assert_error(r, 400, "query")
    r = client.post("/sparql", params={"query": Q_ASK}, content=Q_ASK.encode(),
                    headers={"Content-Type": "application/sparql-query"})
    assert_error(r, 400, "query")


def test_dataset_parameters_of_the_other_operation_are_refused(client, update_client):
    r = client.get("/sparql", params={"query": Q_ASK, "using-graph-uri": ONTOLOGY_GRAPH})
    assert_error(r, 400, "using-graph-uri")
    r = update_client.post("/sparql", params={"default-graph-uri": ONTOLOGY_GRAPH}, content=b"CLEAR SILENT GRAPH <urn:x>",
                           headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert_error(r, 400, "default-graph-uri")


def test_guarded_child_reports_a_segfault_in_swedish():
    from uvts.graph.guarded import GuardedCrash, run_guarded

    assert run_guarded(sum, [1, 2, 3]) == 6
    with pytest.raises(GuardedCrash, match="kraschade.*SIGSEGV"):
        run_guarded(_segfault)
    with pytest.raises(SparqlRefusal) as caught:  # the child's exceptions come back as they were
        run_guarded(inspect_query, "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }")
    assert caught.value.status == 400


def _segfault():
    import ctypes

    ctypes.string_at(0)  # reads address 0: a real segmentation fault


def test_head_on_get_routes(client):
    get = send(client, "GET", "get", Q_SELECT)
    head = send(client, "HEAD", "get", Q_SELECT)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))
    assert client.head("/sparql").status_code == 200  # the service description


@pytest.mark.parametrize("query, words", [
    ("SELECT * WHERE " + "{" * 40 + " ?s ?p ?o " + "}" * 40, ["nästlad", "40"]),
    ("SELECT ?x WHERE { BIND(" + "CONCAT(" * 25 + '"a"' + ', "a")' * 25 + " AS ?x) }", ["nästlad"]),
    ("SELECT * WHERE { " + " UNION ".join("{ ?s ?p %d }" % i for i in range(300)) + " }", ["UNION", "300"]),
    ("SELECT * WHERE { ?s ?p ?o } #" + "x" * 60_000, ["för lång"]),
])
def test_oversized_queries_are_refused_before_the_engine(update_client, query, words):
    r = send(update_client, "POST", "direct", query)  # (this app's body limit is the default 1 MB)
    assert_error(r, 400, *words)


def test_the_10000_union_query_that_crashed_pyoxigraph_is_a_400(update_client):
    query = "SELECT * WHERE { " + " UNION ".join("{ ?s ?p %d }" % i for i in range(10_000)) + " }"
    r = update_client.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"})
    assert_error(r, 400, "för lång")
    small = query.replace(" ?s ?p ", "")[:49_000].rsplit(" UNION ", 1)[0] + " }"  # thousands of branches, < 50 KB
    assert_error(send(update_client, "POST", "direct", small), 400, "UNION")


# --- the answers themselves --------------------------------------------------------------------------------


def json_rows(doc: dict) -> list[dict[str, Term]]:
    """SPARQL JSON bindings as Terms (simple literals with no datatype)."""
    out = []
    for b in doc["results"]["bindings"]:
        row = {}
        for var, t in b.items():
            if t["type"] == "uri":
                row[var] = Term("uri", t["value"])
            elif t["type"] == "bnode":
                row[var] = Term("bnode", t["value"])
            else:
                row[var] = Term("literal", t["value"], t.get("datatype"), t.get("xml:lang"))
        out.append(row)
    return out


def normal(rows) -> list[tuple]:
    """Rows as sortable tuples, ``xsd:string`` and no datatype counted as the same."""
    out = []
    for r in rows:
        items = []
        for var, t in sorted(r.items()):
            dt = None if (t.lang or t.datatype in (None, XSD + "string")) else t.datatype
            items.append((var, t.kind, t.value, dt, t.lang))
        out.append(tuple(items))
    return sorted(out)


def ox_rows(solutions) -> list[dict[str, Term]]:
    names = [v.value for v in solutions.variables]
    out = []
    for s in solutions:
        row = {}
        for n in names:
            v = s[n]
            if v is None:
                continue
            if isinstance(v, ox.NamedNode):
                row[n] = Term("uri", v.value)
            elif isinstance(v, ox.BlankNode):
                row[n] = Term("bnode", v.value)
            else:
                row[n] = Term("literal", v.value, None if v.language else v.datatype.value, v.language)
        out.append(row)
    return out


def test_select_answer_is_right(client):
    r = send(client, "GET", "get", Q_SELECT)
    doc = r.json()
    assert doc["head"]["vars"] == ["rf", "label"]
    rows = json_rows(doc)
    assert len(rows) == 7
    assert rows[0]["label"] == Term("literal", "Avsaknad av positiva sammanhang och förebilder", None, "sv")
    assert {r["rf"].value for r in rows} >= {ID + "risk-factor/psykisk-ohalsa", ID + "risk-factor/skolmisslyckande"}
    ask = send(client, "GET", "get", PREFIXES + "ASK { ?x a uvts:NoSuchClass }").json()
    assert ask == {"head": {}, "boolean": False}


@pytest.mark.parametrize("accept,fmt", [(XML_RES, ox.QueryResultsFormat.XML),
                                        ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
                                        (JSON_RES, ox.QueryResultsFormat.JSON)])
def test_result_formats_agree_with_an_independent_parser(client, accept, fmt):
    query = PREFIXES + ("SELECT ?s ?label ?n WHERE { ?s a uvts:Department ; rdfs:label ?label . "
                        "OPTIONAL { ?s uvts:budgetAddition ?n } }")
    expected = json_rows(send(client, "GET", "get", query).json())
    body = send(client, "GET", "get", query, accept).content
    parsed = ox_rows(ox.parse_query_results(body, format=fmt))
    assert normal(parsed) == normal(expected)
    assert any(t.datatype == XSD + "decimal" for r in expected for t in r.values())


def test_csv_answer_has_the_lexical_values(client):
    query = PREFIXES + "SELECT ?s ?label WHERE { ?s a uvts:Department ; rdfs:label ?label }"
    expected = sorted((r["s"].value, r["label"].value) for r in json_rows(send(client, "GET", "get", query).json()))
    text = send(client, "GET", "get", query, "text/csv").content.decode("utf-8")
    assert text.startswith("s,label\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["s", "label"]
    assert sorted(tuple(r) for r in rows[1:]) == expected


def test_construct_formats_give_the_same_graph(client):
    graphs = {}
    for accept, fmt in [("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                        ("application/ld+json", ox.RdfFormat.JSON_LD), ("application/rdf+xml", ox.RdfFormat.RDF_XML)]:
        body = send(client, "GET", "get", Q_CONSTRUCT, accept).content  # our own output, parsed by the test
        graphs[accept] = {str(t) for t in ox.parse(body, format=fmt)}
    first = graphs["text/turtle"]
    assert len(first) >= 7 * 2  # seven risk factors, Swedish and English labels
    for accept, triples in graphs.items():
        assert triples == first, accept
    body = send(client, "GET", "get", Q_CONSTRUCT, "application/ld+json").content
    assert b"@context" not in body  # no context at all, so never a remote one


def test_service_description(client):
    r = client.get("/sparql")
    triples = list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    sd = "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>\n"
    endpoint = [s["e"].value for s in store.query(sd + "SELECT ?e WHERE { ?s a sd:Service ; sd:endpoint ?e }")]
    assert endpoint == ["http://testserver/sparql"]
    assert bool(store.query(sd + "ASK { ?s sd:supportedLanguage sd:SPARQL11Query ; sd:feature sd:UnionDefaultGraph }"))
    assert not bool(store.query(sd + "ASK { ?s sd:supportedLanguage sd:SPARQL11Update }"))
    formats = {s["f"].value for s in store.query(sd + "SELECT ?f WHERE { ?s sd:resultFormat ?f }")}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats and len(formats) == 8
    names = {s["g"].value for s in store.query(
        sd + "SELECT ?g WHERE { ?s sd:defaultDataset/sd:namedGraph ?n . ?n a sd:NamedGraph ; sd:name ?g }")}
    assert names == {ONTOLOGY_GRAPH, PLAN_GRAPH}
    assert bool(store.query(sd + "ASK { ?s sd:defaultDataset/sd:defaultGraph ?d . ?d a sd:Graph }"))


# --- result formats against the W3C specifications ---------------------------------------------------------

EX = "http://example/"
SPEC_VARS = ["x", "literal"]
SPEC_ROWS = [
    {"x": Term("uri", EX + "x"), "literal": Term("literal", "String")},
    {"x": Term("uri", EX + "x"), "literal": Term("literal", 'String-with-dquote"')},
    {"x": Term("bnode", "b0"), "literal": Term("literal", "Blank node")},
    {"x": Term("uri", EX + "x"), "literal": Term("literal", "")},
    {"x": Term("uri", EX + "x"), "literal": Term("literal", "String-with-lang", lang="en")},
    {"x": Term("uri", EX + "x"), "literal": Term("literal", "123", XSD + "integer")},
    {"x": Term("uri", EX + "x"), "literal": Term("literal", "1.5", XSD + "decimal")},
    {"x": Term("uri", EX + "x"), "literal": Term("literal", "1.0e6", XSD + "double")},
    {"x": Term("uri", EX + "x"), "literal": Term("literal", "a,b\nc\td", EX + "dt")},
    {"x": Term("uri", EX + "x")},
]


def test_json_results_follow_the_spec():
    doc = json.loads(results_json(SPEC_VARS, SPEC_ROWS))
    assert doc["head"] == {"vars": ["x", "literal"]}
    b = doc["results"]["bindings"]
    assert b[0] == {"x": {"type": "uri", "value": EX + "x"}, "literal": {"type": "literal", "value": "String"}}
    assert b[2]["x"] == {"type": "bnode", "value": "b0"}
    assert b[4]["literal"] == {"type": "literal", "value": "String-with-lang", "xml:lang": "en"}
    assert b[5]["literal"] == {"type": "literal", "value": "123", "datatype": XSD + "integer"}
    assert b[9] == {"x": {"type": "uri", "value": EX + "x"}}  # an unbound variable is left out
    assert json.loads(results_json([], [], True)) == {"head": {}, "boolean": True}


def test_xml_results_follow_the_spec():
    ns = "{http://www.w3.org/2005/sparql-results#}"
    root = ET.fromstring(results_xml(SPEC_VARS, SPEC_ROWS + [{"literal": Term("literal", "bell\x07<&>")}]))
    assert root.tag == ns + "sparql"
    assert [v.get("name") for v in root.find(ns + "head")] == ["x", "literal"]
    results = root.find(ns + "results").findall(ns + "result")
    assert len(results) == len(SPEC_ROWS) + 1
    lang = results[4].find(f"{ns}binding[@name='literal']/{ns}literal")
    assert lang.text == "String-with-lang" and lang.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    typed = results[5].find(f"{ns}binding[@name='literal']/{ns}literal")
    assert typed.get("datatype") == XSD + "integer" and typed.text == "123"
    assert results[2].find(f"{ns}binding[@name='x']/{ns}bnode").text == "b0"
    assert results[9].find(f"{ns}binding[@name='literal']") is None
    assert results[10].find(f"{ns}binding[@name='literal']/{ns}literal").text == "bell\ufffd<&>"
    ask = ET.fromstring(results_xml([], [], False))
    assert ask.find(ns + "boolean").text == "false" and ask.find(ns + "results") is None


def test_csv_results_follow_the_spec():
    text = results_csv(SPEC_VARS, SPEC_ROWS).decode("utf-8")
    lines = text.split("\r\n")
    assert lines[0] == "x,literal"
    assert lines[1] == "http://example/x,String"
    assert lines[2] == 'http://example/x,"String-with-dquote"""'
    assert lines[3] == "_:b0,Blank node"
    assert lines[4] == "http://example/x,"
    assert lines[5] == "http://example/x,String-with-lang"
    assert lines[6] == "http://example/x,123"
    assert list(csv.reader(io.StringIO(text)))[9] == ["http://example/x", "a,b\nc\td"]
    assert text.endswith("http://example/x,\r\n")


def test_tsv_results_follow_the_spec():
    text = results_tsv(SPEC_VARS, SPEC_ROWS).decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == "?x\t?literal"
    assert lines[1] == '<http://example/x>\t"String"'
    assert lines[2] == '<http://example/x>\t"String-with-dquote\\""'
    assert lines[3] == '_:b0\t"Blank node"'
    assert lines[4] == '<http://example/x>\t""'
    assert lines[5] == '<http://example/x>\t"String-with-lang"@en'
    assert lines[6] == "<http://example/x>\t123"
    assert lines[7] == "<http://example/x>\t1.5"
    assert lines[8] == "<http://example/x>\t1.0e6"
    assert lines[9] == '<http://example/x>\t"a,b\\nc\\td"^^<http://example/dt>'
    assert lines[10] == "<http://example/x>\t"
    parsed = ox_rows(ox.parse_query_results(text, format=ox.QueryResultsFormat.TSV))
    assert normal(parsed) == normal(SPEC_ROWS)


# --- content negotiation -----------------------------------------------------------------------------------


def test_accept_parsing():
    ranges = parse_accept("text/csv;q=0.5, application/*;q=0.8, */*;q=0.1, bad, x/y;q=2, text/tsv;q=0.123")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [("text", "csv", 0.5), ("application", "*", 0.8),
                                                         ("*", "*", 0.1), ("text", "tsv", 0.123)]


@pytest.mark.parametrize("accept,available,expected", [
    (None, SELECT_TYPES, JSON_RES),
    ("", GRAPH_TYPES, "text/turtle"),
    ("*/*", GRAPH_TYPES, "text/turtle"),
    ("application/*", GRAPH_TYPES, "application/n-triples"),
    ("text/csv;q=0.2, text/tab-separated-values;q=0.3", SELECT_TYPES, "text/tab-separated-values"),
    ("text/*, text/csv;q=0", SELECT_TYPES, "text/tab-separated-values"),
    ("TEXT/CSV", SELECT_TYPES, "text/csv"),
    ("text/csv", ASK_TYPES, None),
    ("application/rdf+xml;q=0.9, application/ld+json", GRAPH_TYPES, "application/ld+json"),
    ("!!!", SELECT_TYPES, JSON_RES),
])
def test_negotiation(accept, available, expected):
    chosen = negotiate(accept, available)
    assert (chosen[0] if chosen else None) == expected


# --- reading queries before they run -----------------------------------------------------------------------


def test_inspect_query_forms_and_datasets():
    assert inspect_query(Q_SELECT).form == "SELECT"
    assert inspect_query(Q_ASK).form == "ASK"
    assert inspect_query(Q_CONSTRUCT).form == "CONSTRUCT"
    assert inspect_query(Q_DESCRIBE).form == "DESCRIBE"
    info = inspect_query("SELECT * FROM <http://a/g> FROM NAMED <http://b/g> WHERE { ?s ?p ?o }")
    assert info.from_graphs == ("http://a/g",) and info.from_named == ("http://b/g",)
    assert unknown_graphs(["http://a/g", PLAN_GRAPH, "http://a/g"], [PLAN_GRAPH]) == ["http://a/g"]


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE ?x { ?s ?p ?o } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://x/> { ?s ?p ?o } } } }",
    "ASK { FILTER EXISTS { SERVICE <http://x/> { ?s ?p ?o } } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?a ?b ?c MINUS { SERVICE <http://x/> { ?s ?p ?o } } }",
    r"SELECT * WHERE { \u0053ERVICE <http://x/> { ?s ?p ?o } }",
    r"PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:p ex:a\' . SERVICE <http://x/> { ?s ?p ?o } . ?s ?p 'x' }",
])
def test_service_is_refused_wherever_it_hides(query):
    from rdflib.plugins.sparql.parser import parseQuery

    with pytest.raises(SparqlRefusal) as err:
        inspect_query(query)
    assert err.value.status == 400 and "SERVICE" in err.value.message
    # each of the two checks finds it on its own
    assert "ServiceGraphPattern" in tree_names(parseQuery(query))
    assert lexical_keywords(query) == {"SERVICE"}


def test_lexical_check_sees_keywords_not_names_strings_or_iris():
    harmless = ('PREFIX service: <http://e/service#>\n# SERVICE in a comment, LOAD too\n'
                'SELECT ?service ?load WHERE { ?service service:load "SERVICE <http://x/> LOAD" . '
                '?s <http://e/SERVICE> ?load . ?s ?p ex:service, _:service FILTER(?p < 3) }')
    assert lexical_keywords(harmless) == set()
    assert code_only('"a#b" # c\n<http://x> ?y').strip().startswith("") and "http" not in code_only("<http://x>")
    assert lexical_keywords("SELECT * { Service <http://x/> {} }") == {"SERVICE"}
    assert lexical_keywords('INSERT DATA { <a:b> <a:c> """x""" } ; load <http://x/>') == {"LOAD"}
    assert lexical_keywords("SELECT * { ?s ?p ?o FILTER(?o<?p) SERVICE <x:y> {} }") == {"SERVICE"}
    # an escaped '#' or quote in a prefixed name starts no comment or string
    assert lexical_keywords(r"SELECT * { ?s ex:p ex:a\# . SERVICE <http://x/> { ?s ?p ?o } }") == {"SERVICE"}


def test_accepted_queries_are_parsed_once():
    from uvts.graph import sparqlguard as sparql_check

    text = Q_SELECT + "\n# cache test"
    assert cached_inspect_query(text) is cached_inspect_query(text)
    long_text = Q_SELECT + "\n#" + "x" * sparql_check.CACHE_MAX_TEXT
    assert cached_inspect_query(long_text) is not cached_inspect_query(long_text)
    for _ in range(2):
        with pytest.raises(SparqlRefusal):
            cached_inspect_query("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }")
    assert len(sparql_check._CACHE) <= sparql_check.CACHE_SIZE


def test_inspect_update():
    assert inspect_update("INSERT DATA { <urn:a> <urn:b> <urn:c> }").operations == ("InsertData",)
    info = inspect_update("INSERT { ?s ?p ?o } USING <http://u/g> WHERE { ?s ?p ?o }")
    assert info.using_graphs == ("http://u/g",)
    for text in ["LOAD <http://x/data.ttl>", "load silent <http://x/> into graph <urn:g>",
                 "INSERT { ?s ?p ?o } WHERE { SERVICE <http://x/> { ?s ?p ?o } }"]:
        with pytest.raises(SparqlRefusal):
            inspect_update(text)
    with pytest.raises(SparqlRefusal, match="kunde inte tolkas"):
        inspect_update("INSERT DATA { <urn:a> }")
    from rdflib.plugins.sparql.parser import parseUpdate

    load = "CLEAR ALL ; load <http://x/data.ttl> into graph <urn:g>"
    assert "Load" in tree_names(parseUpdate(load)) and lexical_keywords(load) == {"LOAD"}


# --- limits -----------------------------------------------------------------------------------------------


def test_row_limit_gives_an_error_that_says_so(client):
    message = assert_error(send(client, "GET", "get", "SELECT * WHERE { ?s ?p ?o }"), 400, str(LIMIT), "LIMIT")
    assert "rader" in message
    r = send(client, "GET", "get", f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {LIMIT}")
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == LIMIT  # exactly the limit is fine
    assert_error(send(client, "GET", "get", "CONSTRUCT WHERE { ?s ?p ?o }"), 400, "tripler", str(LIMIT))


def _wait_idle(pool, seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while pool.busy and time.monotonic() < end:
        time.sleep(0.05)
    assert pool.busy == 0, "the worker pool did not recover"


def test_slow_query_is_stopped_while_other_queries_are_answered(client):
    pool = client.app.state.sparql_pool
    _wait_idle(pool)
    restarts = pool.restarts
    outcome = {}

    def slow():
        outcome["response"] = send(client, "GET", "get", Q_SLOW)
        outcome["end"] = time.monotonic()

    thread = threading.Thread(target=slow)
    started = time.monotonic()
    thread.start()
    while pool.busy == 0 and thread.is_alive():
        time.sleep(0.01)
    fast_ends = []
    for _ in range(5):
        r = send(client, "GET", "get", Q_ASK)
        assert r.status_code == 200 and r.json()["boolean"] is True
        fast_ends.append(time.monotonic())
    if hasattr(os, "getpriority") and os.getpriority(os.PRIO_PROCESS, 0) < LONG_NICE:
        # after a second the long query's process runs at a lower CPU priority than the others,
        # and a spare worker takes its place (the pool keeps its lanes for short queries)
        base = os.getpriority(os.PRIO_PROCESS, 0)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "response" not in outcome:
            nices = sorted(os.getpriority(os.PRIO_PROCESS, pid) for pid in pool.pids)
            if nices == [base] * pool.size + [LONG_NICE]:
                break
            time.sleep(0.02)
        assert nices == [base] * pool.size + [LONG_NICE]
        assert pool.long_jobs == 1
    thread.join(60)
    assert_error(outcome["response"], 503, "tidsgränsen", "3 sekunder")
    assert max(fast_ends) < outcome["end"]  # every fast query came back before the slow one was stopped
    assert pool.restarts == restarts + 1  # the worker was killed and replaced
    _wait_idle(pool)
    assert send(client, "GET", "get", Q_ASK).status_code == 200


def test_server_answers_while_every_worker_runs_a_slow_query(client):
    pool = client.app.state.sparql_pool
    _wait_idle(pool)
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append((send(client, "GET", "get", Q_SLOW), time.monotonic())))
               for _ in range(pool.size)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while pool.busy < pool.size and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.busy == pool.size
    cheap_ends = []
    for _ in range(5):
        assert client.get("/sparql", headers={"Accept": "application/n-triples"}).status_code == 200
        assert client.get("/no-such-page").status_code == 404
        cheap_ends.append(time.monotonic())
    for t in threads:
        t.join(60)
    assert len(outcomes) == pool.size
    for response, end in outcomes:
        assert_error(response, 503, "tidsgränsen")
        assert max(cheap_ends) < end
    _wait_idle(pool)


# --- nothing ever fetches a URL -------------------------------------------------------------------------


class Listener:
    """A TCP listener on loopback that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            conn.close()

    def settle(self) -> int:
        time.sleep(0.3)
        return self.connections

    def close(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


def test_listener_sees_what_pyoxigraph_fetches(listener):
    """The control: run directly, pyoxigraph does connect for SERVICE and LOAD."""
    with pytest.raises(Exception):
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{listener.url}sparql> {{ ?s ?p ?o }} }}"))
    with pytest.raises(Exception):
        ox.Store().update(f"LOAD <{listener.url}data.ttl>")
    assert listener.settle() >= 2


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{url}sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ VALUES ?e {{ <{url}sparql> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "ASK {{ {{ SELECT ?s WHERE {{ service <{url}> {{ ?s ?p ?o }} }} }} }}",
    "SELECT * FROM <{url}graph.ttl> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}graph.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} FROM <{url}graph.ttl> WHERE {{ ?s ?p ?o }}",
])
def test_queries_that_would_fetch_are_refused(client, listener, template):
    r = send(client, "GET", "get", template.format(url=listener.url))
    message = assert_error(r, 400)
    assert "hämtar aldrig" in message
    assert listener.settle() == 0


def test_dataset_parameters_that_would_fetch_are_refused(client, listener):
    for name in ("default-graph-uri", "named-graph-uri"):
        r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", name: listener.url + "g"})
        assert_error(r, 400, "finns inte")
    assert listener.settle() == 0


def test_dataset_of_the_stores_own_graphs(client):
    store = OxigraphStore(client.app.state.settings.embedded_store_path(), read_only=True)
    in_ontology = store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}").values()
    expected = in_ontology[0]["n"]
    count = "SELECT (COUNT(*) AS ?n) {dataset} WHERE {{ ?s ?p ?o }}"

    def n(response):
        assert response.status_code == 200, response.text
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    assert n(send(client, "GET", "get", count.format(dataset=f"FROM <{ONTOLOGY_GRAPH}>"))) == expected
    assert n(client.get("/sparql", params={"query": count.format(dataset=""),
                                           "default-graph-uri": ONTOLOGY_GRAPH})) == expected
    # the protocol's dataset replaces the query's own
    assert n(client.get("/sparql", params={"query": count.format(dataset=f"FROM <{PLAN_GRAPH}>"),
                                           "default-graph-uri": ONTOLOGY_GRAPH})) == expected
    union = n(send(client, "GET", "get", count.format(dataset="")))
    assert union > expected  # without a dataset, the default graph is the union of every graph
    named_only = client.get("/sparql", params={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": PLAN_GRAPH})
    assert [b["g"]["value"] for b in named_only.json()["results"]["bindings"]] == [PLAN_GRAPH]


def test_worker_processes_cannot_open_connections(listener):
    port = listener.url.rsplit(":", 1)[1].strip("/")
    code = ("from uvts.api.sparql_worker import _block_network\n_block_network()\nimport socket, urllib.request\n"
            "for attempt in (lambda: socket.create_connection(('127.0.0.1', PORT)),\n"
            "                lambda: urllib.request.urlopen('http://127.0.0.1:PORT/'),\n"
            "                lambda: socket.socket().connect(('127.0.0.1', PORT))):\n"
            "    try:\n        attempt()\n    except OSError as exc:\n        print('refused')\n").replace("PORT", port)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["refused"] * 3, out.stderr
    assert listener.settle() == 0


# --- request size ------------------------------------------------------------------------------------------


def test_request_body_size_limit(client):
    padding = "#" + "x" * (MAX_BODY + 100) + "\n"
    assert_error(send(client, "POST", "direct", padding + Q_ASK), 413, str(MAX_BODY))
    chunks = iter([padding[: MAX_BODY // 2].encode(), padding[MAX_BODY // 2:].encode(), Q_ASK.encode()])
    r = client.post("/sparql", content=chunks, headers={"Content-Type": "application/sparql-query"})
    assert "content-length" not in {k.lower() for k in r.request.headers}  # sent chunked
    assert_error(r, 413)
    small = "#" + "x" * (MAX_BODY - len(Q_ASK) - 100) + "\n" + Q_ASK
    assert send(client, "POST", "direct", small).json()["boolean"] is True


# --- updates -------------------------------------------------------------------------------------------------

INSERT = ('INSERT DATA { GRAPH <https://w3id.org/uvts/id/plan/test> { '
          '<https://w3id.org/uvts/id/actor/testaktor> <http://www.w3.org/2000/01/rdf-schema#label> "Testaktör"@sv } }')
ASK_INSERTED = 'ASK { <https://w3id.org/uvts/id/actor/testaktor> ?p "Testaktör"@sv }'


def update(client, text: str, token: str | None = TOKEN, form: bool = False):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if form:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return client.post("/sparql", content=f"update={_quote(text)}".encode(), headers=headers)
    headers["Content-Type"] = "application/sparql-update"
    return client.post("/sparql", content=text.encode(), headers=headers)


def test_updates_are_refused_without_the_token(client, update_client):
    assert_error(update(client, INSERT), 403, "avstängda")  # no token configured: never
    assert_error(update(client, INSERT, form=True), 403, "avstängda")
    assert_error(update(update_client, INSERT, token=None), 403, "Bearer")
    assert_error(update(update_client, INSERT, token="wrong-token-0000"), 403, "Bearer")
    assert send(update_client, "GET", "get", ASK_INSERTED).json()["boolean"] is False


def test_update_with_the_token_changes_what_every_worker_sees(update_client, store_dir):
    pool = update_client.app.state.sparql_pool
    r = update(update_client, INSERT)
    assert r.status_code == 204, r.text
    for _ in range(2 * pool.size):  # workers are taken in turn: each one answers at least once
        assert send(update_client, "GET", "get", ASK_INSERTED).json()["boolean"] is True
    assert "https://w3id.org/uvts/id/plan/test" in update_client.get("/sparql").text  # the description too
    r = update(update_client, 'DELETE DATA { GRAPH <https://w3id.org/uvts/id/plan/test> { '
                              '<https://w3id.org/uvts/id/actor/testaktor> '
                              '<http://www.w3.org/2000/01/rdf-schema#label> "Testaktör"@sv } }', form=True)
    assert r.status_code == 204
    for _ in range(2 * pool.size):
        assert send(update_client, "GET", "get", ASK_INSERTED).json()["boolean"] is False
    # updates change the service's copy in memory, never the store on disk
    assert update(update_client, INSERT).status_code == 204
    disk = OxigraphStore(store_dir, read_only=True)
    assert disk.select(ASK_INSERTED).boolean is False
    # a worker started after the update (here: after a timeout) starts from the updated data
    restarts = pool.restarts
    assert_error(send(update_client, "GET", "get", Q_SLOW), 503)
    assert pool.restarts == restarts + 1
    _wait_idle(pool)
    for _ in range(2 * pool.size):
        assert send(update_client, "GET", "get", ASK_INSERTED).json()["boolean"] is True


def test_bad_updates(update_client, listener):
    assert_error(update(update_client, "INSERT DATA { <urn:a> }"), 400, "kunde inte tolkas")
    assert_error(update(update_client, f"LOAD <{listener.url}data.ttl>"), 400, "LOAD")
    assert_error(update(update_client, f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"),
                 400, "SERVICE")
    assert_error(update(update_client, f"INSERT {{ ?s ?p ?o }} USING <{listener.url}g> WHERE {{ ?s ?p ?o }}"), 400,
                 "finns inte")
    assert_error(update(update_client, "CREATE GRAPH <https://w3id.org/uvts/ontology>"), 400, "kunde inte köras")
    assert listener.settle() == 0


# --- every saved query through the endpoint ------------------------------------------------------------------


def with_values(text: str, bindings: dict[str, Term]) -> str:
    """The query with its parameters bound by a VALUES block at the start of its WHERE group."""
    if not bindings:
        return text
    at = code_only(text).index("{") + 1
    values = " ".join(f"VALUES ?{name} {{ {term.n3()} }}" for name, term in bindings.items())
    return text[:at] + " " + values + " " + text[at:]


def endpoint_rows(client, text: str) -> list[dict[str, Term]]:
    r = send(client, "POST", "direct", text, JSON_RES)
    assert r.status_code == 200, r.text
    return json_rows(r.json())


def _golden_cases():
    for path in sorted(GOLDEN.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load_all(path.read_text(encoding="utf-8"))):
            yield pytest.param(case, id=f"{path.stem}-{i}")


@pytest.mark.parametrize("name", [q.name for q in list_queries()])
def test_saved_query_through_the_endpoint_matches_run_saved(client, name):
    query = get_query(name)
    bindings = bind_params(query, {})
    expected = run_saved(client.app.state.store, name, {})
    got = endpoint_rows(client, with_values(query.text, bindings))
    assert normal(got) == normal(expected.rows)


@pytest.mark.parametrize("case", list(_golden_cases()))
def test_golden_answers_through_the_endpoint(client, case):
    params = {k: str(v) for k, v in (case.get("params") or {}).items()}
    query = get_query(case["query"])
    rows = endpoint_rows(client, with_values(query.text, bind_params(query, params)))
    assert normal(rows) == normal(run_saved(client.app.state.store, case["query"], params).rows)

    def plain(t):
        if t is None:
            return None
        value = t.to_python()
        return value[len(ID):] if isinstance(value, str) and value.startswith(ID) else value

    got = {tuple(plain(r.get(c)) for c in case["columns"]) for r in rows}
    if "rows" in case:
        assert got == {tuple(r) for r in case["rows"]}
    for row in case.get("contains", []):
        assert tuple(row) in got
    for row in case.get("excludes", []):
        assert tuple(row) not in got
