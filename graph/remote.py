"""A store on a remote triple store server, spoken to through the W3C protocols only.

:class:`RemoteStore` implements the same methods as the embedded stores
(:class:`uvts.graph.store.Store`) on any server that speaks the SPARQL 1.1 Protocol
(query and update) and, for loading, the SPARQL 1.1 Graph Store HTTP Protocol:
Virtuoso, Apache Jena Fuseki, GraphDB. It is chosen by a store setting such as
``--store sparql+http://127.0.0.1:8890/sparql``::

    sparql+http://HOST:PORT/PATH[?update=URL&gsp=URL&prefix=IRI&timeout=S]

``PATH`` is the query endpoint. ``update`` is the update endpoint (default: the query
endpoint, as in Virtuoso and Fuseki's dataset URL); ``gsp`` the Graph Store endpoint
(default for a path ending in ``/sparql``: the sibling ``/sparql-graph-crud``, Virtuoso's;
``gsp=none`` loads with ``INSERT DATA`` in chunks instead); relative values are resolved
against the query endpoint. ``user:password@`` in the URL is sent as HTTP Basic
authentication. ``sparql+https://`` uses TLS.

What a query sees: a server holds its own system graphs besides ours (Virtuoso keeps
thousands of triples in ``virtrdf:``), so the store never queries the server's default
graph. Every request names its dataset with the protocol's ``default-graph-uri`` and
``named-graph-uri`` parameters: the graphs this store holds, or the ones a caller scopes
a query to (``graphs=``). As on the embedded store, the default graph is then the union
of the plans' named graphs and the ontology graph.

Parameters are never pasted into a query as text. A binding becomes an RDF term written
by :func:`term_to_sparql` (IRIs checked against the SPARQL grammar, literals escaped,
language tags and datatypes checked) and enters the query as a ``VALUES`` block at the
start of the outermost group plus the same term in place of the variable in that group's
patterns (outside sub-queries), as on the embedded store (:mod:`uvts.graph.sparqltext`).

Results are normalised to what the embedded store returns: Virtuoso writes booleans as
``1``/``0``, integers of aggregates as ``xsd:int``, plain literals without ``xsd:string``
and (old) ``typed-literal`` result types; all become the canonical forms.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from decimal import Decimal, InvalidOperation
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import Sequence

from . import namespaces as ns
from .sparqltext import _ESCAPES, _check_iri, bind_query, query_form, term_to_sparql, where_group_span, with_dataset
from .store import UNION_GRAPH, QueryError, SelectResult, Term

__all__ = ["RemoteStore", "RemoteError", "parse_store_url", "is_remote_kind", "term_to_sparql", "bind_query",
           "where_group_span", "query_form", "union_graph_for", "with_dataset", "open_remote_store", "REMOTE_SCHEMES", "META_GRAPH"]

REMOTE_SCHEMES = ("sparql+http://", "sparql+https://")
# Where the store records what it loaded (outside the uvts graph prefix, so never queried as data).
META_GRAPH = "urn:x-uvts:store-meta"
_FINGERPRINT = "urn:x-uvts:fingerprint"
DEFAULT_PREFIX = "https://w3id.org/uvts/"

_XSD = ns.XSD
_INTEGER_TYPES = {_XSD + t for t in ("int", "long", "short", "byte", "unsignedInt", "unsignedLong", "unsignedShort",
                                     "unsignedByte")}


class RemoteError(OSError):
    """The server could not be reached, or refused a request that is not a query error."""


def is_remote_kind(kind: str) -> bool:
    """True when a store setting names a remote SPARQL server (``sparql+http://…``)."""
    return isinstance(kind, str) and kind.startswith(REMOTE_SCHEMES)


def parse_store_url(url: str) -> dict:
    """Split a ``sparql+http://…`` setting into endpoints and options (plain data).

    >>> cfg = parse_store_url("sparql+http://127.0.0.1:8890/sparql")
    >>> cfg["query"], cfg["update"], cfg["gsp"]
    ('http://127.0.0.1:8890/sparql', 'http://127.0.0.1:8890/sparql', 'http://127.0.0.1:8890/sparql-graph-crud')
    >>> parse_store_url("sparql+http://h:3030/ds/query?update=/ds/update&gsp=/ds/data")["gsp"]
    'http://h:3030/ds/data'
    """
    if not is_remote_kind(url):
        raise ValueError(f"förväntade en adress som börjar med sparql+http:// eller sparql+https:// (fick {url!r})")
    parts = urllib.parse.urlsplit(url[len("sparql+"):])
    if not parts.hostname:
        raise ValueError(f"adressen {url!r} saknar värd")
    options = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(options) - {"update", "gsp", "prefix", "timeout"}
    if unknown:
        raise ValueError(f"okänd inställning {', '.join(sorted(unknown))} i {url!r}; tillåtna: update, gsp, prefix, timeout")
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port:
        netloc += f":{parts.port}"
    query = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))

    def resolve(value: str) -> str:
        return urllib.parse.urljoin(query, value)

    update = resolve(options["update"]) if options.get("update") else query
    if "gsp" in options:
        gsp = None if options["gsp"] in ("", "none") else resolve(options["gsp"])
    elif query.endswith("/sparql"):
        gsp = query + "-graph-crud"
    else:
        gsp = None
    auth = None
    if parts.username is not None:
        auth = (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
    try:
        timeout = float(options.get("timeout", 120))
    except ValueError:
        raise ValueError(f"timeout ska vara ett antal sekunder (fick {options['timeout']!r})") from None
    return {"query": query, "update": update, "gsp": gsp, "auth": auth, "timeout": timeout,
            "prefix": options.get("prefix") or DEFAULT_PREFIX}


# --- results -----------------------------------------------------------------------------------------


def _canonical_decimal(value: str) -> str:
    try:
        d = Decimal(value)
    except InvalidOperation:
        return value
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    text = format(d.normalize(), "f")
    return text


def normalise_term(binding: dict) -> Term:
    """A SPARQL JSON result term as :class:`Term`, in the embedded store's canonical form."""
    kind = binding.get("type")
    value = binding.get("value", "")
    if kind == "uri":
        return Term("uri", value)
    if kind == "bnode":
        return Term("bnode", value)
    lang = binding.get("xml:lang")
    if lang:
        return Term("literal", value, None, lang.lower())
    datatype = binding.get("datatype") or _XSD + "string"
    if datatype in _INTEGER_TYPES:
        datatype = _XSD + "integer"
    if datatype == _XSD + "integer":
        try:
            value = str(int(value))
        except ValueError:
            pass
    elif datatype == _XSD + "decimal":
        value = _canonical_decimal(value)
    elif datatype == _XSD + "boolean":
        value = {"1": "true", "0": "false"}.get(value, value)
    return Term("literal", value, datatype, None)


def parse_results_json(data: bytes, limit: int | None = None) -> SelectResult:
    """A ``application/sparql-results+json`` document as :class:`SelectResult`."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise QueryError(f"servern svarade inte med giltig SPARQL-JSON ({exc})") from None
    if "boolean" in doc:
        return SelectResult([], [], boolean=bool(doc["boolean"]))
    names = list(doc.get("head", {}).get("vars", []))
    rows, truncated = [], False
    for b in doc.get("results", {}).get("bindings", []):
        if limit is not None and len(rows) >= limit:
            truncated = True
            break
        rows.append({k: normalise_term(v) for k, v in b.items() if k in names or not names})
    return SelectResult(names, rows, truncated=truncated)


# --- HTTP ----------------------------------------------------------------------------------------------


class _Http:
    """Keep-alive HTTP connections, one per thread, retried once when the server closed one."""

    def __init__(self, timeout: float, auth: tuple[str, str] | None):
        self.timeout = timeout
        self.auth = auth
        self._local = threading.local()

    def _conn(self, scheme: str, netloc: str):
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        key = (scheme, netloc)
        if key not in pool:
            cls = HTTPSConnection if scheme == "https" else HTTPConnection
            pool[key] = cls(netloc, timeout=self.timeout)
        return pool[key]

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None):
        parts = urllib.parse.urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(headers or {})
        if self.auth:
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        for attempt in (1, 2):
            conn = self._conn(parts.scheme, parts.netloc)
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, resp.getheader("Content-Type", "") or "", data
            except (ConnectionError, HTTPException, OSError) as exc:
                conn.close()
                self._local.pool.pop((parts.scheme, parts.netloc), None)
                retriable = isinstance(exc, (ConnectionResetError, BrokenPipeError, HTTPException)) and \
                    not isinstance(exc, TimeoutError)
                if attempt == 2 or not retriable:
                    raise RemoteError(f"SPARQL-servern på {parts.scheme}://{parts.netloc} svarar inte "
                                      f"({type(exc).__name__}: {exc})") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        for conn in getattr(self._local, "pool", {}).values():
            conn.close()
        self._local.pool = {}


def _error_text(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    text = re.sub(r"\s+", " ", text)
    return text[:500]


# --- the store ---------------------------------------------------------------------------------------


class RemoteStore:
    """A store on a SPARQL 1.1 server: same methods and plain results as the embedded ones.

    ``graphs`` fixes the store's dataset (the graphs it loaded or was opened on); without
    it the dataset is every named graph whose IRI starts with ``prefix``. With ``union``
    (an IRI, see :func:`union_graph_for`) the server holds the set-union of the dataset's
    graphs there, and a query over all plans uses it as its default graph, as the embedded
    store does (the server's own union of graphs repeats shared triples once per plan).
    """

    kind = "sparql"

    def __init__(self, url: str, graphs: Sequence[str] | None = None, union: str | None = None):
        self.url = url
        self.config = parse_store_url(url)
        self._http = _Http(self.config["timeout"], self.config["auth"])
        self._graphs = sorted(set(graphs)) if graphs is not None else None
        self._union = union
        self._union_stale = False

    # protocol helpers ------------------------------------------------------------------------

    def _dataset(self, graphs: Sequence[str] | None) -> list[str]:
        chosen = list(graphs) if graphs is not None else self.graphs()
        for g in chosen:
            _check_iri(g, "graf-IRI")
        return chosen

    def _post_query(self, query: str, graphs: Sequence[str] | None, accept: str) -> tuple[str, bytes]:
        from .sparqlguard import check_store_query

        info = check_store_query(query, lambda: self._dataset(graphs))
        if info is not None and info.has_dataset:  # its own FROM, of graphs checked to be in the dataset
            return self._send_query([("query", query)], accept)
        named = self._dataset(graphs)
        default = named
        if graphs is None and self._union and named:
            if self._union_stale:
                self.rebuild_union()
            default = [self._union]
        # An empty dataset must stay empty: name a graph that holds nothing.
        default, named = default or [META_GRAPH + "#empty"], named or [META_GRAPH + "#empty"]
        # The dataset goes into the query as FROM / FROM NAMED: the protocol's parameters
        # would do the same, but Virtuoso echoes each one as a response header, and past
        # 100 headers Python's HTTP client gives up.
        scoped = with_dataset(query, default, named)
        if scoped is not None:
            form = [("query", scoped)]
        else:
            # the query names its own dataset: the protocol's parameters override it
            if len(default) + len(named) > 90:
                raise QueryError("en fråga med egen FROM-klausul kan inte ställas till en server med så många grafer; "
                                 "ta bort FROM (frågan ser redan planernas grafer)")
            form = [("query", query)] + [("default-graph-uri", g) for g in default] + \
                [("named-graph-uri", g) for g in named]
        return self._send_query(form, accept)

    def _send_query(self, form: list[tuple[str, str]], accept: str) -> tuple[str, bytes]:
        body = urllib.parse.urlencode(form).encode("utf-8")
        status, ctype, data = self._http.request(
            "POST", self.config["query"], body,
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": accept})
        if status >= 400:
            if status in (400, 500) and data:
                raise QueryError(f"servern avvisade frågan ({status}): {_error_text(data)}")
            raise RemoteError(f"SPARQL-servern svarade {status} på en fråga: {_error_text(data)}")
        return ctype.split(";")[0].strip().lower(), data

    def update(self, update: str) -> None:
        """Run a SPARQL 1.1 Update on the server (used for loading and dropping graphs)."""
        body = urllib.parse.urlencode([("update", update)]).encode("utf-8")
        status, _, data = self._http.request(
            "POST", self.config["update"], body,
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "*/*"})
        if status >= 400:
            hint = ""
            if status in (401, 403) or b"SPARQL_UPDATE" in data or b"permission" in data.lower():
                hint = ' (i Virtuoso: isql-vt HOST:PORT dba LÖSENORD exec="GRANT SPARQL_UPDATE TO \\"SPARQL\\";")'
            raise RemoteError(f"SPARQL-servern tog inte emot uppdateringen ({status}){hint}: {_error_text(data)}")

    # the Store methods -------------------------------------------------------------------------

    def select(self, query: str, bindings: dict[str, Term] | None = None, limit: int | None = None,
               graphs: Sequence[str] | None = None) -> SelectResult:
        if query_form(query) not in ("SELECT", "ASK"):
            raise QueryError("frågan är inte en SELECT- eller ASK-fråga")
        ctype, data = self._post_query(bind_query(query, bindings), graphs, "application/sparql-results+json")
        if ctype not in ("application/sparql-results+json", "application/json"):
            raise QueryError("frågan är inte en SELECT- eller ASK-fråga")
        return parse_results_json(data, limit)

    def construct(self, query: str, bindings: dict[str, Term] | None = None,
                  graphs: Sequence[str] | None = None) -> bytes:
        import pyoxigraph as ox

        if query_form(query) not in ("CONSTRUCT", "DESCRIBE"):
            raise QueryError("frågan är inte en CONSTRUCT- eller DESCRIBE-fråga")
        ctype, data = self._post_query(bind_query(query, bindings), graphs, "application/n-triples, text/turtle;q=0.9")
        formats = {"application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES,
                   "text/ntriples": ox.RdfFormat.N_TRIPLES, "text/turtle": ox.RdfFormat.TURTLE}
        if ctype not in formats:
            raise QueryError("frågan är inte en CONSTRUCT- eller DESCRIBE-fråga")
        try:
            triples = list(ox.parse(data, format=formats[ctype]))
        except SyntaxError as exc:
            raise QueryError(f"servern svarade med ogiltig RDF ({exc})") from None
        lines = sorted({f"{_ox_n3(t.subject)} {_ox_n3(t.predicate)} {_ox_n3(t.object)} ." for t in triples})
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def load_ntriples(self, data: bytes, graph: str) -> None:
        """Add N-Triples to ``graph`` (Graph Store Protocol POST, or INSERT DATA in chunks)."""
        _check_iri(graph, "graf-IRI")
        if self.config["gsp"]:
            self._gsp("POST", graph, data)
            if self._union:
                self._gsp("POST", self._union, data)
        else:
            self._insert_chunks(data, graph)
            if self._union:
                self._insert_chunks(data, self._union)
        self._remember(graph)

    def replace_graph(self, data: bytes, graph: str) -> None:
        """Replace the content of ``graph`` with N-Triples (Graph Store Protocol PUT)."""
        _check_iri(graph, "graf-IRI")
        if self.config["gsp"]:
            self._gsp("PUT", graph, data)
        else:
            self.update(f"DROP SILENT GRAPH <{graph}>")
            self._insert_chunks(data, graph)
        self._remember(graph)
        self._union_stale = bool(self._union)

    def rebuild_union(self) -> str:
        """Fill the union graph anew from the dataset's graphs, on the server; return its IRI."""
        graphs = self.graphs()
        union = self._union or union_graph_for(graphs)
        self.update(f"DROP SILENT GRAPH <{union}>")
        for g in graphs:
            _check_iri(g, "graf-IRI")
            self.update(f"INSERT {{ GRAPH <{union}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")
        self._union = union
        self._union_stale = False
        return union

    def drop_graph(self, graph: str) -> None:
        _check_iri(graph, "graf-IRI")
        self.update(f"DROP SILENT GRAPH <{graph}>")
        if self._graphs is not None and graph in self._graphs:
            self._graphs.remove(graph)
        self._union_stale = bool(self._union)

    def _remember(self, graph: str) -> None:
        if self._graphs is not None and graph not in self._graphs and graph != META_GRAPH:
            self._graphs = sorted(self._graphs + [graph])

    def _gsp(self, method: str, graph: str, data: bytes) -> None:
        url = self.config["gsp"] + ("&" if "?" in self.config["gsp"] else "?") + urllib.parse.urlencode({"graph": graph})
        status, _, body = self._http.request(method, url, data, {"Content-Type": "application/n-triples"})
        if status >= 400:
            raise RemoteError(f"Graph Store-tjänsten tog inte emot grafen <{graph}> ({status}): {_error_text(body)}")

    def _insert_chunks(self, data: bytes, graph: str, chunk: int = 2000) -> None:
        lines = [ln for ln in data.decode("utf-8").splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        for i in range(0, len(lines), chunk):
            self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n" + "\n".join(lines[i:i + chunk]) + "\n} }")

    def graphs(self) -> list[str]:
        if self._graphs is not None:
            return list(self._graphs)
        prefix = self.config["prefix"]
        query = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "
                 + term_to_sparql(Term.literal(prefix)) + ")) }")
        status, _, data = self._http.request(
            "POST", self.config["query"], urllib.parse.urlencode([("query", query)]).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})
        if status >= 400:
            raise RemoteError(f"SPARQL-servern svarade {status}: {_error_text(data)}")
        return sorted(r["g"].value for r in parse_results_json(data).rows)

    def fingerprints(self) -> dict[str, str]:
        """What each graph was built from, as recorded by :func:`open_remote_store`."""
        query = f"SELECT ?g ?fp WHERE {{ GRAPH <{META_GRAPH}> {{ ?g <{_FINGERPRINT}> ?fp }} }}"
        status, _, data = self._http.request(
            "POST", self.config["query"], urllib.parse.urlencode([("query", query)]).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})
        if status >= 400:
            raise RemoteError(f"SPARQL-servern svarade {status}: {_error_text(data)}")
        return {r["g"].value: r["fp"].value for r in parse_results_json(data).rows if "g" in r and "fp" in r}

    def set_fingerprint(self, graph: str, fp: str) -> None:
        g = term_to_sparql(Term.uri(graph))
        self.update(f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ {g} <{_FINGERPRINT}> ?fp }} }} ;\n"
                    f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ {g} <{_FINGERPRINT}> {term_to_sparql(Term.literal(fp))} }} }}")

    def __len__(self) -> int:
        dataset = sorted(set(self.graphs()))
        if not dataset:
            return 0
        query = with_dataset("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
                             [META_GRAPH + "#empty"], dataset)
        status, _, data = self._http.request(
            "POST", self.config["query"], urllib.parse.urlencode([("query", query)]).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})
        if status >= 400:
            raise RemoteError(f"SPARQL-servern svarade {status}: {_error_text(data)}")
        return sum(int(r["n"].value) for r in parse_results_json(data).rows if r["g"].value in set(dataset))

    def close(self) -> None:
        self._http.close()


def _ox_n3(t) -> str:
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return f"<{t.value}>"
    if isinstance(t, ox.BlankNode):
        return f"_:{t.value}"
    b = {"type": "literal", "value": t.value}
    if t.language:
        b["xml:lang"] = t.language
    else:
        b["datatype"] = t.datatype.value
    term = normalise_term(b)
    text = "".join(_ESCAPES.get(ch, ch) for ch in term.value)
    if term.lang:
        return f'"{text}"@{term.lang}'
    if term.datatype and term.datatype != _XSD + "string":
        return f'"{text}"^^<{term.datatype}>'
    return f'"{text}"'


# --- opening a remote store for plan folders --------------------------------------------------------------


def open_remote_store(data_dirs, url: str, rebuild: bool = False):
    """Open a remote store holding the plans of ``data_dirs``; (re)load only changed graphs.

    Each plan's named graph and the ontology graph carry a fingerprint of what they were
    built from (kept in the graph ``urn:x-uvts:store-meta``); a graph whose fingerprint
    matches is left as it is. Graphs of other plans on the server are neither changed nor
    queried: the store's dataset is the ontology and the plans of ``data_dirs``.
    Returns ``(store, built)``.
    """
    from pathlib import Path

    from .build import ONTOLOGY_GRAPH, build_plan_graph, ontology_graph, plan_graph_iri, sorted_ntriples
    from .load import data_files, load_plans
    from .store import fingerprint

    plans = load_plans(data_dirs)
    wanted: dict[str, tuple[str, object]] = {str(ONTOLOGY_GRAPH): (fingerprint([]), None)}
    for plan in plans:
        files = data_files(Path(plan.folder)) + sorted((Path(plan.folder) / "source").glob("*.txt"))
        wanted[str(plan_graph_iri(plan))] = (fingerprint([f for f in files if f.is_file()]), plan)
    store = RemoteStore(url, graphs=sorted(wanted))
    have = {} if rebuild else store.fingerprints()
    built = False
    for graph, (fp, plan) in wanted.items():
        if have.get(graph) == fp:
            continue
        data = sorted_ntriples(ontology_graph() if plan is None else build_plan_graph(plan))
        store.replace_graph(data, graph)
        store.set_fingerprint(graph, fp)
        built = True
    # the union of exactly these graphs (its own graph per set of graphs, so that stores
    # of different plan sets on one server do not see each other), rebuilt when one changed
    import hashlib

    union = union_graph_for(wanted)
    union_fp = hashlib.sha256(json.dumps(sorted((g, fp) for g, (fp, _) in wanted.items())).encode()).hexdigest()
    store._union = union
    if built or have.get(union) != union_fp:
        store.rebuild_union()
        store.set_fingerprint(union, union_fp)
        built = True
    return store, built


def union_graph_for(graphs) -> str:
    """The IRI of the union graph of a set of graphs: ``urn:x-uvts:union:`` and a hash of their IRIs."""
    import hashlib

    digest = hashlib.sha256("\n".join(sorted(graphs)).encode("utf-8")).hexdigest()[:20]
    return f"{UNION_GRAPH}:{digest}"
