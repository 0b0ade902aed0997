"""Where the graph lives: an interface with an embedded default and an in-memory rdflib store.

The default is pyoxigraph persisted to a folder (``.uvts/store``). A store carries a
fingerprint of the data, the ontology and the code that built it; a later start with the
same fingerprint opens the store read-only instead of rebuilding it.

Results come back as plain data (:class:`Term`, :class:`SelectResult`), the same for
every backend, so that callers never see a library's own types.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Protocol, Sequence

from . import namespaces as ns

__all__ = ["Term", "SelectResult", "Store", "OxigraphStore", "RdflibStore", "fingerprint", "open_store", "UNION_GRAPH",
           "STORE_KINDS", "QueryError", "term_from_ox"]

STORE_KINDS = ("oxigraph", "memory", "rdflib")
# The set-union of every graph, kept beside them: what a query over all plans sees. pyoxigraph's
# (and Virtuoso's) union of named graphs repeats a triple once per graph that holds it, and
# every plan describes the shared resources (risk factors, the police, …) again, so without
# it a national query would multiply rows by the number of plans.
UNION_GRAPH = "urn:x-uvts:union"


class QueryError(ValueError):
    """A query could not be parsed or run; the message comes from the SPARQL engine."""


@dataclass(frozen=True)
class Term:
    """An RDF term as plain data: ``kind`` is ``uri``, ``literal`` or ``bnode``."""

    kind: str
    value: str
    datatype: str | None = None
    lang: str | None = None

    def n3(self) -> str:
        if self.kind == "uri":
            return f"<{self.value}>"
        if self.kind == "bnode":
            return f"_:{self.value}"
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        if self.lang:
            return f'"{escaped}"@{self.lang}'
        if self.datatype and self.datatype != ns.XSD + "string":
            return f'"{escaped}"^^<{self.datatype}>'
        return f'"{escaped}"'

    def to_python(self):
        """The value as Python: int/float/bool for numeric and boolean literals, else the string."""
        if self.kind != "literal" or not self.datatype:
            return self.value
        dt = self.datatype[len(ns.XSD):] if self.datatype.startswith(ns.XSD) else ""
        try:
            if dt in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger"):
                return int(self.value)
            if dt in ("decimal", "double", "float"):
                number = float(self.value)
                return int(number) if number.is_integer() and dt == "decimal" else number
            if dt == "boolean":
                return self.value in ("true", "1")
        except ValueError:
            return self.value
        return self.value

    @staticmethod
    def uri(value: str) -> "Term":
        return Term("uri", value)

    @staticmethod
    def literal(value, datatype: str | None = None, lang: str | None = None) -> "Term":
        if isinstance(value, bool):
            return Term("literal", "true" if value else "false", ns.XSD + "boolean")
        if isinstance(value, int):
            return Term("literal", str(value), ns.XSD + "integer")
        if isinstance(value, float):
            return Term("literal", repr(value), ns.XSD + "double")
        return Term("literal", str(value), datatype if not lang else None, lang)


@dataclass
class SelectResult:
    """The answer to a SELECT (``vars`` and ``rows``) or an ASK (``boolean``)."""

    vars: list[str]
    rows: list[dict[str, Term]]
    boolean: bool | None = None
    truncated: bool = False

    def values(self) -> list[dict]:
        """Rows as plain Python values (``None`` for unbound)."""
        return [{v: (r[v].to_python() if v in r else None) for v in self.vars} for r in self.rows]


class Store(Protocol):
    """What every store offers. A remote SPARQL 1.1 store implements the same methods.

    ``graphs`` (optional) scopes a query to those named graphs: its default graph is their
    union and ``GRAPH ?g`` ranges over them only. Without it a query sees every graph
    (see :mod:`uvts.graph.plans` for one plan's graphs).
    """

    kind: str

    def load_ntriples(self, data: bytes, graph: str) -> None: ...

    def select(self, query: str, bindings: dict[str, Term] | None = None, limit: int | None = None,
               graphs: Sequence[str] | None = None) -> SelectResult: ...

    def construct(self, query: str, bindings: dict[str, Term] | None = None,
                  graphs: Sequence[str] | None = None) -> bytes: ...

    def graphs(self) -> list[str]: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


# --- pyoxigraph ------------------------------------------------------------------------


def term_from_ox(t) -> Term:
    """A pyoxigraph term as a :class:`Term` (also used by the SPARQL endpoint's workers)."""
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return Term("uri", t.value)
    if isinstance(t, ox.BlankNode):
        return Term("bnode", t.value)
    if isinstance(t, ox.Literal):
        lang = t.language
        return Term("literal", t.value, None if lang else t.datatype.value, lang)
    return Term("literal", str(t))  # a quoted triple (RDF 1.2); the endpoint's parser check never lets one through


class OxigraphStore:
    """The embedded default: pyoxigraph, in memory or persisted to a folder.

    Every load also goes into :data:`UNION_GRAPH` (a set of triples), which is the default
    graph of a query over all plans; it is hidden from :meth:`graphs` and :meth:`__len__`.
    A store written before it existed falls back to pyoxigraph's union of named graphs.
    """

    kind = "oxigraph"

    def __init__(self, path: str | Path | None = None, read_only: bool = False):
        import pyoxigraph as ox

        self.path = Path(path) if path else None
        if self.path is None:
            self._store = ox.Store()
        elif read_only:
            self._store = ox.Store.read_only(str(self.path))
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self._store = ox.Store(str(self.path))
        self._union = ox.NamedNode(UNION_GRAPH)
        self._has_union = self._store.contains_named_graph(self._union) or len(self._store) == 0
        self._named: list | None = None
        self._union_size: int | None = None

    def load_ntriples(self, data: bytes, graph: str) -> None:
        import pyoxigraph as ox

        self._store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        if self._has_union:
            self._store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=self._union)
        self._store.flush()
        self._named = self._union_size = None

    def load_graphs(self, items: Iterable[tuple[bytes, str]]) -> None:
        """Load several ``(N-Triples, graph)`` pairs in one bulk load (much faster on disk)."""
        import pyoxigraph as ox

        targets = []
        lines = []
        for data, graph in items:
            targets = [f" <{graph}> .\n"] + ([f" <{UNION_GRAPH}> .\n"] if self._has_union else [])
            for line in data.decode("utf-8").splitlines():
                line = line.rstrip()
                if not line or line.startswith("#"):
                    continue
                if not line.endswith("."):
                    raise ValueError(f"ogiltig N-Triples-rad: {line[:80]}")
                body = line[:-1].rstrip()
                lines.extend(body + t for t in targets)
        if lines:
            self._store.bulk_load("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_QUADS)
            self._store.flush()
        self._named = self._union_size = None

    def _query(self, query: str, bindings: dict[str, Term] | None, graphs: Sequence[str] | None = None):
        import pyoxigraph as ox

        if bindings:
            # Written into the query as checked, escaped terms rather than given to pyoxigraph's
            # substitutions, which bind only after the query is planned (see uvts.graph.sparqltext).
            from .sparqltext import bind_query

            query = bind_query(query, bindings)
        if graphs is not None:
            scope = [ox.NamedNode(g) for g in graphs]
            dataset = {"default_graph": scope, "named_graphs": scope}
        elif self._has_union:
            if self._named is None:
                self._named = [ox.NamedNode(g) for g in self.graphs()]
            dataset = {"default_graph": [self._union], "named_graphs": self._named}
        else:
            dataset = {"use_default_graph_as_union": True}
        try:
            return self._store.query(query, **dataset)
        except SyntaxError as exc:
            raise QueryError(str(exc)) from None
        except (OSError, ValueError, RuntimeError) as exc:
            raise QueryError(str(exc)) from None

    def select(self, query: str, bindings: dict[str, Term] | None = None, limit: int | None = None,
               graphs: Sequence[str] | None = None) -> SelectResult:
        import pyoxigraph as ox

        res = self._query(query, bindings, graphs)
        if isinstance(res, (bool, ox.QueryBoolean)):
            return SelectResult([], [], boolean=bool(res))
        if not isinstance(res, ox.QuerySolutions):
            raise QueryError("frågan är inte en SELECT- eller ASK-fråga")
        names = [v.value for v in res.variables]
        rows, truncated = [], False
        try:
            for sol in res:
                if limit is not None and len(rows) >= limit:
                    truncated = True
                    break
                row = {}
                for name in names:
                    value = sol[name]
                    if value is not None:
                        row[name] = term_from_ox(value)
                rows.append(row)
        except (OSError, ValueError, SyntaxError) as exc:
            raise QueryError(str(exc)) from None
        return SelectResult(names, rows, truncated=truncated)

    def construct(self, query: str, bindings: dict[str, Term] | None = None,
                  graphs: Sequence[str] | None = None) -> bytes:
        import pyoxigraph as ox

        res = self._query(query, bindings, graphs)
        if not isinstance(res, ox.QueryTriples):
            raise QueryError("frågan är inte en CONSTRUCT- eller DESCRIBE-fråga")
        return res.serialize(format=ox.RdfFormat.N_TRIPLES) or b""

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if g.value != UNION_GRAPH)

    def __len__(self) -> int:
        """Triples in the named graphs (a triple in two plans' graphs counts twice), the union not counted."""
        if self._union_size is None:
            self._union_size = sum(1 for _ in self._store.quads_for_pattern(None, None, None, self._union))
        return len(self._store) - self._union_size

    def close(self) -> None:
        self._store = None


# --- rdflib memory -----------------------------------------------------------------------


def _rdflib_term(t) -> Term:
    from rdflib import BNode, Literal, URIRef

    if isinstance(t, URIRef):
        return Term("uri", str(t))
    if isinstance(t, BNode):
        return Term("bnode", str(t))
    assert isinstance(t, Literal)
    return Term("literal", str(t), None if t.language else (str(t.datatype) if t.datatype else ns.XSD + "string"),
                t.language)


def _to_rdflib(t: Term):
    from rdflib import BNode, Literal, URIRef

    if t.kind == "uri":
        return URIRef(t.value)
    if t.kind == "bnode":
        return BNode(t.value)
    return Literal(t.value, lang=t.lang, datatype=None if t.lang or not t.datatype else URIRef(t.datatype))


class RdflibStore:
    """rdflib's in-memory store: the reference implementation, slower than the default."""

    kind = "rdflib"

    def __init__(self):
        from rdflib import Dataset

        self._ds = Dataset(default_union=True)
        self._scoped: dict[tuple[str, ...], object] = {}

    def load_ntriples(self, data: bytes, graph: str) -> None:
        from rdflib import URIRef

        self._ds.graph(URIRef(graph)).parse(data=data, format="nt")
        self._scoped.clear()

    def _dataset(self, graphs: Sequence[str] | None):
        """The whole dataset, or a copy holding only ``graphs`` (a few kept for reuse)."""
        from rdflib import Dataset, URIRef

        if graphs is None:
            return self._ds
        key = tuple(sorted(set(graphs)))
        if key not in self._scoped:
            ds = Dataset(default_union=True)
            for g in key:
                target = ds.graph(URIRef(g))
                for triple in self._ds.get_context(URIRef(g)):
                    target.add(triple)
            if len(self._scoped) >= 8:
                self._scoped.pop(next(iter(self._scoped)))
            self._scoped[key] = ds
        return self._scoped[key]

    def _query(self, query: str, bindings: dict[str, Term] | None, graphs: Sequence[str] | None = None):
        from pyparsing import ParseException

        try:
            return self._dataset(graphs).query(query, initBindings={k: _to_rdflib(v) for k, v in (bindings or {}).items()})
        except ParseException as exc:
            raise QueryError(str(exc)) from None
        except Exception as exc:  # rdflib raises many kinds for bad queries
            raise QueryError(f"{type(exc).__name__}: {exc}") from None

    def select(self, query: str, bindings: dict[str, Term] | None = None, limit: int | None = None,
               graphs: Sequence[str] | None = None) -> SelectResult:
        res = self._query(query, bindings, graphs)
        if res.type == "ASK":
            return SelectResult([], [], boolean=bool(res.askAnswer))
        if res.type != "SELECT":
            raise QueryError("frågan är inte en SELECT- eller ASK-fråga")
        names = [str(v) for v in res.vars]
        rows, truncated = [], False
        for sol in res:
            if limit is not None and len(rows) >= limit:
                truncated = True
                break
            rows.append({n: _rdflib_term(sol[i]) for i, n in enumerate(names) if sol[i] is not None})
        return SelectResult(names, rows, truncated=truncated)

    def construct(self, query: str, bindings: dict[str, Term] | None = None,
                  graphs: Sequence[str] | None = None) -> bytes:
        res = self._query(query, bindings, graphs)
        if res.type not in ("CONSTRUCT", "DESCRIBE"):
            raise QueryError("frågan är inte en CONSTRUCT- eller DESCRIBE-fråga")
        return res.graph.serialize(format="nt", encoding="utf-8")

    def graphs(self) -> list[str]:
        return sorted(str(g.identifier) for g in self._ds.graphs() if str(g.identifier) != "urn:x-rdflib:default")

    def __len__(self) -> int:
        return len(self._ds)

    def close(self) -> None:
        pass


# --- building and reusing the embedded store ----------------------------------------------


def fingerprint(files: Iterable[Path]) -> str:
    """A hash of the files a store is built from, and of the code that builds it."""
    from .paths import ONTOLOGY_FILE, ROOT

    h = hashlib.sha256()
    code = [ROOT / "graph" / "build.py", ROOT / "graph" / "models.py", ONTOLOGY_FILE]
    for path in list(files) + code:
        path = Path(path)
        h.update(str(path.name).encode())
        h.update(path.read_bytes() if path.exists() else b"-")
    return h.hexdigest()


def _meta(path: Path) -> dict:
    try:
        return json.loads((path / "uvts-meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def open_store(data_dirs: Sequence[str | Path], kind: str = "oxigraph", path: str | Path | None = None,
               rebuild: bool = False, plans=None, at: str | None = None):
    """Open a store holding the plans of ``data_dirs``, building it only when needed.

    The embedded store without an explicit ``path`` reads published versions and never
    writes (:func:`uvts.graph.versions.open_for_read`): version ``at`` when given, else
    the published version whose data is exactly ``data_dirs``, else the folders built in
    memory. Publishing is :func:`uvts.graph.versions.publish` (``uvts build``). With an
    explicit ``path`` the store there is built and reused as before (one unversioned store).

    Returns ``(store, built)``: ``built`` is true when the data was (re)loaded.
    The embedded store is built in a temporary folder and swapped in when complete, so
    a failed build leaves the previous store intact. A ``kind`` such as
    ``sparql+http://127.0.0.1:8890/sparql`` opens a remote SPARQL 1.1 server instead
    (:mod:`uvts.graph.remote`), reloading only the graphs whose data changed.
    """
    from .paths import data_files, state_dir

    if isinstance(kind, str) and kind.startswith(("sparql+http://", "sparql+https://")):
        from .remote import open_remote_store

        return open_remote_store(data_dirs, kind, rebuild=rebuild)

    if kind == "oxigraph" and path is None:
        from .versions import open_for_read

        return open_for_read(data_dirs, at=at, plans=plans)
    if at is not None and kind != "oxigraph":
        from .versions import VersionError

        raise VersionError("--at (en tidigare version) finns för den inbäddade lagringen (oxigraph)")
    files = [f for d in data_dirs for f in data_files(Path(d))]
    files += [f for d in data_dirs for f in sorted((Path(d) / "source").glob("*.txt"))]
    fp = fingerprint([f for f in files if f.is_file()])
    if kind in ("memory", "rdflib"):
        store = RdflibStore() if kind == "rdflib" else OxigraphStore()
        _fill(store, data_dirs, plans)
        return store, True
    if kind != "oxigraph":
        raise ValueError(f"okänd lagringstyp '{kind}'; välj en av {', '.join(STORE_KINDS)} "
                         "eller en SPARQL-server: sparql+http://VÄRD:PORT/sparql")
    target = Path(path) if path else state_dir() / "store"
    if not rebuild and _meta(target).get("fingerprint") == fp:
        return OxigraphStore(target, read_only=True), False
    tmp = target.with_name(target.name + ".building")
    if tmp.exists():
        shutil.rmtree(tmp)
    store = OxigraphStore(tmp)
    try:
        _fill(store, data_dirs, plans)
        store.close()
        del store
        (tmp / "uvts-meta.json").write_text(json.dumps({"fingerprint": fp, "data": [str(d) for d in data_dirs]}),
                                            encoding="utf-8")
        old = target.with_name(target.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return OxigraphStore(target, read_only=True), True


def _fill(store, data_dirs: Sequence[str | Path], plans=None) -> None:
    from .build import ONTOLOGY_GRAPH, build_plan_graph, ontology_graph, plan_graph_iri, sorted_ntriples
    from .load import load_plans

    plans = plans if plans is not None else load_plans(data_dirs)
    items = [(sorted_ntriples(ontology_graph()), str(ONTOLOGY_GRAPH))]
    items += [(sorted_ntriples(build_plan_graph(plan)), str(plan_graph_iri(plan))) for plan in plans]
    if hasattr(store, "load_graphs"):
        store.load_graphs(items)  # one bulk load: on disk each load costs a fixed ~0.1 s
    else:
        for data, graph in items:
            store.load_ntriples(data, graph)
