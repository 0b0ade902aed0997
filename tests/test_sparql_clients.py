"""Real clients against a real server: SPARQLWrapper, rdflib's SPARQLStore and curl.

``uvts serve`` runs in a subprocess (uvicorn on a free port on 127.0.0.1, with an update
token from the environment), once for the module. The curl commands are read from
docs/service.md, so the documentation shows exactly what is tested.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from uvts.graph.paths import ROOT

DOCS = ROOT / "docs" / "service.md"
TOKEN = "klient-token-0123456789"
UVTS = Namespace("https://w3id.org/uvts/ontology#")
ONTOLOGY_GRAPH = "https://w3id.org/uvts/ontology"
Q_RISK = "PREFIX uvts: <https://w3id.org/uvts/ontology#> SELECT ?rf WHERE { ?rf a uvts:RiskFactor }"
Q_ASK = "PREFIX uvts: <https://w3id.org/uvts/ontology#> ASK { ?rf a uvts:RiskFactor }"
Q_CONSTRUCT = ("PREFIX uvts: <https://w3id.org/uvts/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
               "CONSTRUCT { ?rf skos:prefLabel ?l } WHERE { ?rf a uvts:RiskFactor ; skos:prefLabel ?l }")
Q_SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TIMEOUT = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The base URL of ``uvts serve`` running in a subprocess."""
    tmp = tmp_path_factory.mktemp("sparql-clients")
    port = _free_port()
    env = dict(os.environ, UVTS_UPDATE_TOKEN=TOKEN, UVTS_STORE_PATH=str(tmp / "store"),
               UVTS_QUERY_TIMEOUT=str(TIMEOUT))
    log = open(tmp / "server.log", "w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "uvts", "serve", "--port", str(port), "--query-workers", "2",
                             "--log-level", "warning"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"uvts serve stopped (exit {proc.returncode}):\n{log.read()}")
        try:
            with urllib.request.urlopen(base + "/sparql", timeout=2) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("uvts serve did not answer within 120 s")
        time.sleep(0.2)
    workers = _children(proc.pid) if Path("/proc").is_dir() else []
    if Path("/proc").is_dir():
        assert len(workers) == 2  # the query workers
    yield base
    proc.terminate()  # as Ctrl-C or a service manager would stop it
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()
    time.sleep(0.5)
    assert not [pid for pid in workers if _running(pid)], "query workers outlived the server"


# --- SPARQLWrapper ----------------------------------------------------------------------------------------


def wrapper(server, query: str, fmt=JSON, method=None, request_method=None) -> SPARQLWrapper:
    sw = SPARQLWrapper(server + "/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    if method:
        sw.setMethod(method)
    if request_method:
        sw.setRequestMethod(request_method)
    return sw


def test_sparqlwrapper_select_in_every_format(server):
    rows = wrapper(server, Q_RISK).query().convert()["results"]["bindings"]
    assert len(rows) == 7
    expected = {r["rf"]["value"] for r in rows}
    assert "https://w3id.org/uvts/id/risk-factor/psykisk-ohalsa" in expected
    doc = wrapper(server, Q_RISK, XML).query().convert()  # a DOM document
    assert {u.firstChild.data for u in doc.getElementsByTagName("uri")} == expected
    csv_text = wrapper(server, Q_RISK, CSV).query().convert().decode("utf-8")
    assert set(csv_text.split("\r\n")[1:-1]) == expected
    tsv_text = wrapper(server, Q_RISK, TSV).query().convert().decode("utf-8")
    assert {line.strip("<>") for line in tsv_text.splitlines()[1:]} == expected


@pytest.mark.parametrize("method,request_method", [(POST, URLENCODED), (POST, POSTDIRECTLY)])
def test_sparqlwrapper_post(server, method, request_method):
    result = wrapper(server, Q_RISK, JSON, method, request_method).query()
    assert result.response.headers["Content-Type"].startswith("application/sparql-results+json")
    assert len(result.convert()["results"]["bindings"]) == 7
    assert wrapper(server, Q_ASK, JSON, method, request_method).query().convert()["boolean"] is True


@pytest.mark.parametrize("fmt", [TURTLE, RDFXML, JSONLD])
def test_sparqlwrapper_construct(server, fmt):
    result = wrapper(server, Q_CONSTRUCT, fmt).query().convert()
    graph = result if isinstance(result, Graph) else Graph().parse(data=result, format="turtle")
    assert len(graph) == 14  # seven risk factors, Swedish and English labels


def test_sparqlwrapper_errors(server):
    with pytest.raises(QueryBadFormed) as err:
        wrapper(server, "SELECT * WHERE { ?s ?p }").query()
    assert "kunde inte tolkas" in str(err.value)  # our message (SPARQLWrapper shows the bytes)
    sw = wrapper(server, "INSERT DATA { <urn:a> <urn:b> <urn:c> }", JSON, POST)
    with pytest.raises(urllib.error.HTTPError) as err:
        sw.query()
    assert err.value.code == 403
    assert json.loads(err.value.read())["status"] == 403


def test_sparqlwrapper_update_with_the_token(server):
    graph = "https://w3id.org/uvts/id/plan/klienttest"
    sw = wrapper(server, f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:uvts:x> <urn:uvts:p> "klient" }} }}', JSON, POST)
    sw.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    assert sw.query().response.status == 204
    ask = wrapper(server, f'ASK {{ GRAPH <{graph}> {{ <urn:uvts:x> <urn:uvts:p> "klient" }} }}')
    assert ask.query().convert()["boolean"] is True


# --- rdflib's SPARQLStore ---------------------------------------------------------------------------------


def test_rdflib_sparqlstore_queries_the_whole_dataset(server):
    graph = Graph(store=SPARQLStore(server + "/sparql", context_aware=False))
    assert len(list(graph.query(Q_RISK))) == 7
    assert graph.query(Q_ASK).askAnswer is True
    assert len(set(graph.subjects(RDF.type, UVTS.RiskFactor))) == 7
    assert (URIRef("https://w3id.org/uvts/id/risk-factor/psykisk-ohalsa"), RDF.type, UVTS.RiskFactor) in graph


@pytest.mark.parametrize("method,fmt", [("GET", "json"), ("POST", "xml"), ("POST_FORM", "json")])
def test_rdflib_sparqlstore_methods_and_formats(server, method, fmt):
    graph = Graph(store=SPARQLStore(server + "/sparql", context_aware=False, method=method, returnFormat=fmt))
    assert len(list(graph.query(Q_RISK))) == 7


def test_rdflib_sparqlstore_one_named_graph(server):
    """A Graph with an identifier is sent as default-graph-uri: only that graph answers."""
    ontology = Graph(store=SPARQLStore(server + "/sparql"), identifier=URIRef(ONTOLOGY_GRAPH))
    classes = set(ontology.subjects(RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")))
    assert UVTS.Intervention in classes
    assert not set(ontology.subjects(RDF.type, UVTS.Intervention))  # the interventions live in the plan's graph
    whole = Graph(store=SPARQLStore(server + "/sparql", context_aware=False))
    assert set(whole.subjects(RDF.type, UVTS.Intervention))


# --- curl, exactly as documented --------------------------------------------------------------------------


def documented_curl_commands() -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### Med curl", 1)[1].split("\n### ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        joined = block.replace("\\\n", " ")
        commands += [line.strip() for line in joined.splitlines() if line.strip().startswith("curl ")]
    return commands


# (status, media type, a check of the body) for each documented command, in order
CURL_EXPECTED = [
    (200, "application/sparql-results+json", lambda b: len(json.loads(b)["results"]["bindings"]) == 7),
    (200, "text/csv", lambda b: b.decode().split("\r\n")[:2] == ["label", "Psykisk ohälsa"]),
    (200, "text/tab-separated-values",
     lambda b: b.decode().startswith("?riskFactor\t?label\t?total\t?departments\n") and b.count(b"\n") == 8),
    (200, "text/turtle", lambda b: b"Psykisk oh\xc3\xa4lsa" in b and b"@prefix" in b),
    (200, "text/turtle", lambda b: b"sd:Service" in b and b"sd:endpoint" in b),
    (204, "", lambda b: b == b""),
    (400, "application/json", lambda b: json.loads(b)["ok"] is False and "kunde inte tolkas" in json.loads(b)["error"]),
]


def test_curl_is_available():
    assert shutil.which("curl"), "curl is needed by the README's examples (apt-get install curl)"


@pytest.mark.parametrize("index", range(len(CURL_EXPECTED)))
def test_documented_curl_commands(server, index):
    commands = documented_curl_commands()
    assert len(commands) == len(CURL_EXPECTED), "docs/service.md and this test list different curl commands"
    command = commands[index].replace("http://127.0.0.1:8000", server).replace("$UVTS_UPDATE_TOKEN", TOKEN)
    argv = shlex.split(command) + ["-w", "\n%{http_code} %{content_type}"]
    out = subprocess.run(argv, capture_output=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    body, _, trailer = out.stdout.rpartition(b"\n")
    code, _, content_type = trailer.decode().partition(" ")
    status, media_type, check = CURL_EXPECTED[index]
    assert int(code) == status, body
    assert content_type.split(";")[0].strip() == media_type
    assert check(body), body[:500]


# --- the server keeps answering while a query runs past its time limit ---------------------------------


def test_real_server_answers_during_a_slow_query(server):
    outcome = {}

    def slow():
        try:
            wrapper(server, Q_SLOW).query()
        except urllib.error.HTTPError as exc:
            outcome["code"], outcome["body"] = exc.code, json.loads(exc.read())
        outcome["end"] = time.monotonic()

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    quick = []
    for _ in range(5):
        assert len(wrapper(server, Q_RISK).query().convert()["results"]["bindings"]) == 7
        quick.append(time.monotonic())
    thread.join(60)
    assert outcome["code"] == 503 and "tidsgränsen" in outcome["body"]["error"]
    assert max(quick) < outcome["end"]
