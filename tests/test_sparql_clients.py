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
import select
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from uvts.api.sparql_pool import LONG_NICE
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


def start_server(tmp: Path, env_extra: dict, workers: int):
    """Start ``uvts serve`` on a free port; wait (polling) until it answers. Returns ``(proc, base, log)``."""
    port = _free_port()
    env = dict(os.environ, UVTS_STORE_PATH=str(tmp / "store"), **env_extra)
    log = open(tmp / "server.log", "w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "uvts", "serve", "--port", str(port), "--query-workers", str(workers),
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
    return proc, base, log


def stop_server(proc, log) -> None:
    proc.terminate()  # as Ctrl-C or a service manager would stop it
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The base URL of ``uvts serve`` running in a subprocess."""
    tmp = tmp_path_factory.mktemp("sparql-clients")
    # every request of these tests comes from 127.0.0.1: its share is the whole pool here
    proc, base, log = start_server(tmp, {"UVTS_UPDATE_TOKEN": TOKEN, "UVTS_QUERY_TIMEOUT": str(TIMEOUT),
                                         "UVTS_CLIENT_QUERIES": "2"}, 2)
    workers = _children(proc.pid) if Path("/proc").is_dir() else []
    if Path("/proc").is_dir():
        assert len(workers) == 2  # the query workers
    yield base
    stop_server(proc, log)
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


# --- fair, bounded, crash-proof: a server with 3 workers and long time limits ----------------------------

# A query that never ends in practice (a cross join of all triples, three times over).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# 24 doublings of a 16-character string: 256 MB in one value, with copies more (the limit below is 300 MB).
MEMORY_HOG = ("SELECT (STRLEN(?v24) AS ?n) WHERE { BIND(\"xxxxxxxxxxxxxxxx\" AS ?v0) "
              + " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(24)) + " }")


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """``uvts serve`` with 3 workers, a 30 s time limit and a 300 MB memory limit per query."""
    tmp = tmp_path_factory.mktemp("sparql-guarded")
    proc, base, log = start_server(tmp, {"UVTS_QUERY_TIMEOUT": "30", "UVTS_QUERY_MEMORY": "300"}, 3)
    yield proc, base
    stop_server(proc, log)


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def open_query(base: str, query: str, source: str = "127.0.0.1") -> socket.socket:
    """Send a GET query on a raw socket from ``source`` and leave the answer unread."""
    sock = socket.create_connection(("127.0.0.1", _port(base)), timeout=60, source_address=(source, 0))
    path = "/sparql?" + urllib.parse.urlencode({"query": query})
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    return sock


def read_answer(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def ask(base: str, source: str = "127.0.0.2", query: str = Q_ASK) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", _port(base), timeout=60, source_address=(source, 0))
    try:
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _nice(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    except (OSError, IndexError, ValueError):
        return None


def long_running_workers(proc) -> list[int]:
    """Worker processes running a long query (the pool lowers their priority to nice 19 after a second)."""
    return [pid for pid in _children(proc.pid) if _nice(pid) == LONG_NICE and _running(pid)]


def wait_for(condition, seconds: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for: {what}")


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads worker processes from /proc")


@needs_proc
def test_a_cheap_query_is_answered_while_another_client_runs_four_runaways(guarded):
    proc, base = guarded
    runaways = [open_query(base, RUNAWAY, "127.0.0.1") for _ in range(4)]
    # the client's share is 2 queries at once: two run (and turn long), two wait in its own queue
    wait_for(lambda: len(long_running_workers(proc)) == 2, what="two long-running queries")
    for _ in range(10):
        status, body = ask(base, "127.0.0.2")
        assert status == 200 and json.loads(body)["boolean"] is True
    # the same answers came while both runaways were still running (nothing has answered them)
    assert len(long_running_workers(proc)) == 2
    # the two queued runaways get a clear 503 after the bounded wait (5 s), never a worker
    answered, pending = [], list(runaways)
    deadline = time.monotonic() + 20
    while len(answered) < 2 and time.monotonic() < deadline:
        ready, _, _ = select.select(pending, [], [], 0.5)
        for sock in ready:
            answered.append(read_answer(sock))
            pending.remove(sock)
    assert [status for status, _ in answered] == [503, 503]
    assert all("Du har redan 2 frågor igång" in body["error"] for _, body in answered)
    assert len(long_running_workers(proc)) == 2 and len(pending) == 2
    for sock in pending:  # the client goes away: its two running queries are cancelled
        sock.close()
    wait_for(lambda: not long_running_workers(proc), seconds=10, what="cancelled queries' workers to go")
    wait_for(lambda: len(_children(proc.pid)) == 3, what="the pool back at 3 workers")


@needs_proc
def test_a_disconnected_clients_query_is_cancelled_and_its_worker_replaced(guarded):
    proc, base = guarded
    sock = open_query(base, RUNAWAY)
    pid = wait_for(lambda: long_running_workers(proc), what="the query to run long")[0]
    closed = time.monotonic()
    sock.close()
    wait_for(lambda: not _running(pid), seconds=10, what="the worker of the cancelled query to be killed")
    took = time.monotonic() - closed
    assert took < 10  # far inside the 30 s time limit: cancelled, not timed out (the benchmark reports the time)
    wait_for(lambda: len(_children(proc.pid)) == 3, what="the pool back at 3 workers")
    status, _ = ask(base)
    assert status == 200


@needs_proc
def test_a_query_over_the_memory_limit_gets_a_503_and_a_fresh_worker(guarded):
    proc, base = guarded
    before = set(_children(proc.pid))
    status, body = ask(base, query=MEMORY_HOG)
    assert status == 503, body
    error = json.loads(body)
    assert set(error) == {"ok", "error", "status"} and "minne" in error["error"]
    wait_for(lambda: len(_children(proc.pid)) == 3 and set(_children(proc.pid)) != before,
             what="the worker to be replaced")
    assert ask(base)[0] == 200


@needs_proc
def test_an_engine_crash_is_a_503_in_the_error_shape_and_the_worker_is_replaced(guarded):
    import signal

    proc, base = guarded
    sock = open_query(base, RUNAWAY)
    pid = wait_for(lambda: long_running_workers(proc), what="the query to run long")[0]
    os.kill(pid, signal.SIGSEGV)  # as a segfault in pyoxigraph would end it
    status, body = read_answer(sock)
    assert status == 503
    assert set(body) == {"ok", "error", "status"}
    assert "kraschade" in body["error"] and "SIGSEGV" in body["error"] and "ersatts" in body["error"]
    wait_for(lambda: len(_children(proc.pid)) == 3, what="the pool back at 3 workers")
    assert ask(base)[0] == 200


def test_http_layer_errors_are_in_the_error_shape(guarded):
    import http.client

    _, base = guarded
    conn = http.client.HTTPConnection("127.0.0.1", _port(base), timeout=30)
    conn.request("GET", "/sparql?query=" + "x" * 1_000_000)
    response = conn.getresponse()
    body = json.loads(response.read())
    assert response.status == 414 and body["status"] == 414 and "för lång" in body["error"] and "POST" in body["error"]
    conn.close()
    sock = socket.create_connection(("127.0.0.1", _port(base)), timeout=30)
    sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    status, body = read_answer(sock)
    assert status == 400 and body == {"ok": False, "status": 400, "error": body["error"]} and "HTTP" in body["error"]


def test_head_and_sd_endpoint_on_the_real_server(guarded):
    _, base = guarded
    request = urllib.request.Request(base + "/sparql", method="HEAD")
    with urllib.request.urlopen(request, timeout=30) as r:
        assert r.status == 200 and r.read() == b"" and int(r.headers["content-length"]) > 0
    request = urllib.request.Request(base + "/sparql", headers={"Host": "evil.example", "Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=30) as r:
        text = r.read().decode()
    assert f"<{base}/sparql>" in text and "evil.example" not in text


# --- the command line is as guarded as the server ---------------------------------------------------------


def run_uvts(*args, env_extra=None, timeout=120):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "uvts", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=timeout)


@pytest.fixture
def listener():
    """A TCP listener on loopback that counts the connections made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.1)
    seen = {"n": 0, "stop": False}

    def run():
        while not seen["stop"]:
            try:
                conn, _ = sock.accept()
                seen["n"] += 1
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/x", seen
    seen["stop"] = True
    thread.join(2)
    sock.close()


FETCHING = [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }} }}",
    "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "SELECT * FROM <{url}.jsonld> WHERE {{ ?s ?p ?o }}",
    "LOAD <{url}>",
]


@pytest.mark.parametrize("store", ["oxigraph", "memory", "rdflib"])
def test_cli_refuses_what_the_server_refuses_on_every_store(store, listener, tmp_path, monkeypatch, capsys):
    from uvts.api.cli import main
    from uvts.graph.sparqlguard import SERVICE_MESSAGE

    url, seen = listener
    monkeypatch.setenv("UVTS_HOME", str(tmp_path))
    for template in FETCHING:  # in-process (the refusals come before any child process)
        code = main(["query", "--store", store, "--sparql", template.format(url=url)])
        out = capsys.readouterr()
        assert code == 1, (template, out.out, out.err)
        err = out.err
        assert err.startswith("fel: ") and "Traceback" not in err
        if "SERVICE" in template:
            assert SERVICE_MESSAGE in err
        elif "FROM" in template:
            assert "finns inte" in err and url in err
        else:
            assert "uppdatering" in err
    time.sleep(0.3)
    assert seen["n"] == 0, "the command line made a request"


def test_the_remote_store_refuses_before_sending_anything(listener):
    from uvts.graph.remote import RemoteStore
    from uvts.graph.sparqlguard import SERVICE_MESSAGE, SparqlRefusal

    url, seen = listener
    store = RemoteStore("sparql+" + url, graphs=["https://w3id.org/uvts/ontology"])
    with pytest.raises(SparqlRefusal) as caught:
        store.select(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}")
    assert caught.value.message == SERVICE_MESSAGE
    with pytest.raises(SparqlRefusal, match="finns inte"):
        store.select("SELECT * FROM <urn:x:elsewhere> WHERE { ?s ?p ?o }")
    time.sleep(0.3)
    assert seen["n"] == 0


def test_cli_from_names_a_graph_of_the_store(tmp_path):
    home = {"UVTS_HOME": str(tmp_path)}
    count = "SELECT (COUNT(*) AS ?n) {} WHERE {{ ?s ?p ?o }}"
    out = run_uvts("query", "--format", "csv", "--sparql", count.format("FROM <urn:x:unknown>"), env_extra=home)
    assert out.returncode == 1 and "Grafen <urn:x:unknown> finns inte" in out.stderr
    everything = run_uvts("query", "--format", "csv", "--sparql", count.format(""), env_extra=home)
    ontology = run_uvts("query", "--format", "csv", "--sparql", count.format(f"FROM <{ONTOLOGY_GRAPH}>"), env_extra=home)
    assert everything.returncode == 0 and ontology.returncode == 0, ontology.stderr
    assert 0 < int(ontology.stdout.split()[1]) < int(everything.stdout.split()[1])


def test_cli_survives_an_engine_crash_with_a_swedish_message(tmp_path):
    home = {"UVTS_HOME": str(tmp_path), "UVTS_QUERY_MEMORY": "300"}
    out = run_uvts("query", "--sparql", MEMORY_HOG, env_extra=home)
    assert out.returncode == 1, (out.returncode, out.stderr[-500:])
    assert out.stderr.startswith("fel: SPARQL-motorn kraschade") and "300 MB" in out.stderr
    assert "Traceback" not in out.stderr and "stack backtrace" not in out.stderr
    big = "SELECT * WHERE { " + " UNION ".join("{ ?s ?p %d }" % i for i in range(10_000)) + " }"
    query_file = tmp_path / "union.rq"
    query_file.write_text(big, encoding="utf-8")
    out = run_uvts("query", "--sparql", f"@{query_file}", env_extra=home)
    assert out.returncode == 1 and "för lång" in out.stderr  # once exit 139 (a segfault) and no message
    deep = "SELECT * WHERE " + "{" * 40 + " ?s ?p ?o " + "}" * 40
    out = run_uvts("query", "--store", "memory", "--sparql", deep, env_extra=home)
    assert out.returncode == 1 and "nästlad" in out.stderr


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json"])
def test_cli_escapes_control_characters_from_the_data(fmt, tmp_path, monkeypatch, capsys):
    from uvts.api.cli import main

    monkeypatch.setenv("UVTS_HOME", str(tmp_path))
    query = 'SELECT ?name WHERE { BIND("Social\\u001b]0;hacked\\u0007\\u001b[31mtjänst\\u009b" AS ?name) }'
    assert main(["query", "--store", "memory", "--format", fmt, "--sparql", query]) == 0
    stdout = capsys.readouterr().out
    assert not any(ch in stdout for ch in "\x1b\x07\x9b"), repr(stdout)
    assert "Social" in stdout and "tjänst" in stdout
    assert ("\\u001b" if fmt == "json" else "\\x1b") in stdout
