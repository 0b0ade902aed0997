"""The process that runs SPARQL queries: parse, check, negotiate, run, write the answer.

A worker is started by :mod:`uvts.api.sparql_pool` as ``python -m uvts.api.sparql_worker FD``
(a fresh interpreter: nothing of the server's main module is re-run) and talks to it over
a socket pair with ``multiprocessing.connection``: it receives one job at a time and sends
back one reply, a plain dict. Everything that costs CPU happens here, none of it in the web server's process:
parsing (rdflib's parser takes tens of milliseconds and holds the GIL), evaluation
(pyoxigraph) and writing the answer. When a query runs past its time limit the server
kills this process and starts another: neither rdflib nor pyoxigraph can cancel a
running query.

The worker opens the embedded store read-only. When SPARQL Update is enabled it works
on an in-memory copy instead (see :func:`open_worker_store`). It dies with the server
(``PR_SET_PDEATHSIG`` on Linux, a watchdog thread elsewhere) and cannot open network
connections from Python; pyoxigraph's own HTTP client is kept away by the checks in
:mod:`uvts.graph.sparqlguard`, which refuse ``SERVICE`` and ``LOAD`` before anything runs.

Its memory is capped (``RLIMIT_AS``: its size after start-up plus ``memory_mb``, the setting
``UVTS_QUERY_MEMORY``), so one query cannot take the machine's memory.

Jobs and replies::

    ("query", {"query", "accept", "default_graphs", "named_graphs", "limit", "base_iri"})
        -> {"ok": True, "status": 200, "media_type", "body"} | {"ok": False, "status", "message"}
    ("update", {"update"})  -> {"ok": True, "status": 204, "snapshot": N-Quads bytes, "graphs"}
    ("load", N-Quads bytes) -> {"ok": True, "graphs"}
"""

from __future__ import annotations

import os
import sys
import threading
import time

__all__ = ["worker_main", "main", "open_worker_store", "run_query", "run_update", "handle"]


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def watch():
        while True:
            if os.getppid() != parent_pid:
                os._exit(0)
            time.sleep(1.0)

    if os.getppid() != parent_pid:
        os._exit(0)
    threading.Thread(target=watch, name="uvts-parent-watch", daemon=True).start()


def _block_network() -> None:
    """Make every Python-level attempt to open a network connection in this process fail."""
    import socket

    def refuse(*args, **kwargs):
        raise OSError("nätverksåtkomst är avstängd i SPARQL-tjänstens frågeprocesser")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse


def open_worker_store(path: str, in_memory: bool = False, snapshot: bytes | None = None):
    """The pyoxigraph store a worker queries.

    Read-only on disk by default. With ``in_memory`` (updates enabled) a writable copy in
    memory: of ``snapshot`` (N-Quads, the state after the latest update) when given, else
    of the store on disk.
    """
    import pyoxigraph as ox

    if not in_memory:
        return ox.Store.read_only(str(path))
    store = ox.Store()
    if snapshot is not None:
        store.load(snapshot, format=ox.RdfFormat.N_QUADS)
    else:
        disk = ox.Store.read_only(str(path))
        store.bulk_extend(disk.quads_for_pattern(None, None, None, None))
        del disk
    return store


def _union_graph() -> str | None:
    """The graph that holds the set-union of all graphs, when the store keeps one.

    :mod:`uvts.graph.store` may keep every triple a second time in a hidden graph, so that a
    query over all graphs sees each triple once (pyoxigraph's own union repeats a triple once
    per graph that holds it). The endpoint then uses that graph as its default graph and hides
    it from the list of named graphs, exactly like the store's own queries.
    """
    from uvts.graph import store as store_module

    return getattr(store_module, "UNION_GRAPH", None)


def _graphs(store) -> list[str]:
    union = _union_graph()
    return sorted(g.value for g in store.named_graphs() if g.value != union)


def _default_dataset(store) -> dict:
    """Query options for a query without a dataset of its own: every graph, each triple once."""
    import pyoxigraph as ox

    union = _union_graph()
    if union and store.contains_named_graph(ox.NamedNode(union)):
        return {"default_graph": [ox.NamedNode(union)], "named_graphs": [ox.NamedNode(g) for g in _graphs(store)]}
    return {"use_default_graph_as_union": True}


def _rebuild_union(store) -> None:
    """Refill the union graph from every other graph (after an update changed them)."""
    union = _union_graph()
    store.update(f"DROP SILENT GRAPH <{union}> ; INSERT {{ GRAPH <{union}> {{ ?s ?p ?o }} }} WHERE {{ "
                 f"{{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{union}>) }} }}")


def _refuse_unknown(iris, store):
    from uvts.graph.sparqlguard import refuse_unknown_graphs

    refuse_unknown_graphs(iris, _graphs(store))


def run_query(store, job: dict) -> dict:
    """Answer one query job (see the module docstring); raises ``SparqlRefusal`` for 4xx."""
    import pyoxigraph as ox

    from .sparql_check import SparqlRefusal, cached_inspect_query
    from .sparql_formats import (ASK_TYPES, GRAPH_TYPES, SELECT_TYPES, GraphFormatError, negotiate,
                                 serialize_graph, serialize_results)

    text = job["query"]
    info = cached_inspect_query(text)
    default_graphs = list(job.get("default_graphs") or ())
    named_graphs = list(job.get("named_graphs") or ())
    _refuse_unknown([*info.from_graphs, *info.from_named, *default_graphs, *named_graphs], store)

    available = GRAPH_TYPES if info.is_graph_form else ASK_TYPES if info.form == "ASK" else SELECT_TYPES
    chosen = negotiate(job.get("accept"), available)
    if chosen is None:
        offered = ", ".join(dict.fromkeys(t for t, _ in available))
        raise SparqlRefusal(406, f"Svaret på en {info.form}-fråga kan ges som {offered}, men begäran accepterar "
                                 f"bara: {job.get('accept')}.")
    media_type, fmt = chosen

    options: dict = {}
    if default_graphs or named_graphs:  # the protocol's dataset replaces the query's (SPARQL 1.1 Protocol 2.1.4)
        options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    elif not info.has_dataset:
        options.update(_default_dataset(store))
    limit = int(job.get("limit") or 10_000)
    from uvts.graph.store import term_from_ox

    if job.get("base_iri"):  # relative IRIs in the query resolve against the endpoint's URL
        options["base_iri"] = job["base_iri"]
    try:
        result = store.query(text, **options)
        if info.form == "ASK":
            body = serialize_results(fmt, [], [], bool(result))
        elif info.form == "SELECT":
            names = [v.value for v in result.variables]
            rows = []
            for solution in result:
                if len(rows) >= limit:
                    raise SparqlRefusal(400, _too_many("rader", limit))
                row = {}
                for name in names:
                    value = solution[name]
                    if value is not None:
                        row[name] = term_from_ox(value)
                rows.append(row)
            body = serialize_results(fmt, names, rows)
        else:
            triples = []
            for triple in result:
                if len(triples) >= limit:
                    raise SparqlRefusal(400, _too_many("tripler", limit))
                triples.append(triple)
            try:
                body = serialize_graph(fmt, triples)
            except GraphFormatError as exc:
                raise SparqlRefusal(406, f"Svaret kan inte skrivas som {media_type} ({exc}); be om text/turtle "
                                         f"eller application/n-triples.") from None
    except SyntaxError as exc:
        raise SparqlRefusal(400, f"Frågan kunde inte tolkas: {exc}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise SparqlRefusal(400, f"Frågan kunde inte köras: {exc}") from None
    return {"ok": True, "status": 200, "media_type": media_type, "body": body}


def _too_many(what: str, limit: int) -> str:
    return (f"Svaret blev för stort: frågan ger fler än {limit} {what}, som är tjänstens gräns. "
            f"Lägg till LIMIT {limit} (eller mindre) eller gör frågan snävare.")


def run_update(store, job: dict) -> dict:
    """Run one update job on a writable (in-memory) store; reply with the new state."""
    import pyoxigraph as ox

    from .sparql_check import SparqlRefusal, inspect_update

    text = job["update"]
    info = inspect_update(text)
    _refuse_unknown(info.using_graphs, store)
    union = _union_graph()
    keeps_union = bool(union) and store.contains_named_graph(ox.NamedNode(union))
    try:
        store.update(text)
        if keeps_union:
            _rebuild_union(store)
    except SyntaxError as exc:
        raise SparqlRefusal(400, f"Uppdateringen kunde inte tolkas: {exc}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise SparqlRefusal(400, f"Uppdateringen kunde inte köras: {exc}") from None
    return {"ok": True, "status": 204, "graphs": _graphs(store),
            "snapshot": store.dump(format=ox.RdfFormat.N_QUADS)}


def handle(store, kind: str, payload):
    """One job for ``store``: returns ``(store, reply)`` (``load`` replaces the store)."""
    from .sparql_check import SparqlRefusal

    try:
        if kind == "query":
            return store, run_query(store, payload)
        if kind == "update":
            return store, run_update(store, payload)
        if kind == "load":
            store = open_worker_store("", in_memory=True, snapshot=payload)
            return store, {"ok": True, "status": 200, "graphs": _graphs(store)}
        return store, {"ok": False, "status": 500, "message": f"okänt uppdrag {kind!r}"}
    except SparqlRefusal as exc:
        return store, {"ok": False, "status": exc.status, "message": exc.message}
    except MemoryError:
        return store, {"ok": False, "status": 503, "memory": True,
                       "message": "Frågan behövde mer minne än tjänstens gräns för en fråga; gör den snävare."}
    except Exception as exc:  # a bug: say what it was, keep the worker alive
        return store, {"ok": False, "status": 500, "message": f"Ett internt fel inträffade: {type(exc).__name__}: {exc}"}


def _limit_memory(mb: int) -> None:
    """At most ``mb`` MB more address space than the worker holds after start-up (store open, parser
    loaded). A query that needs more fails: in Python with ``MemoryError`` (answered 503), in
    pyoxigraph with an abort (the pool replaces the worker and answers 503)."""
    from uvts.graph.guarded import limit_memory

    limit_memory(mb)


def worker_main(conn) -> None:
    """The worker's loop: read the spec (``path``, ``in_memory``, ``snapshot``, ``parent_pid``),
    open the store, say it is ready, then answer jobs until the pipe closes."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops the workers
    try:
        spec = conn.recv()
    except (EOFError, OSError):
        return
    _die_with_parent(spec["parent_pid"])
    _block_network()
    try:
        store = open_worker_store(spec["path"], spec.get("in_memory", False), spec.get("snapshot"))
        # Import the parser now, so that the first query does not pay for it.
        from rdflib.plugins.sparql.parser import parseQuery

        parseQuery("ASK {}")
        _limit_memory(spec.get("memory_mb") or 0)
    except Exception as exc:
        conn.send({"ok": False, "status": 500, "message": f"Frågeprocessen kunde inte starta: {exc}"})
        return
    conn.send({"ok": True, "status": 200, "graphs": _graphs(store), "pid": os.getpid()})
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        kind, payload = message
        store, reply = handle(store, kind, payload)
        try:
            conn.send(reply)
        except OSError:
            return


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m uvts.api.sparql_worker FD``: FD is the pool's socket."""
    from multiprocessing.connection import Connection

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        print("användning: python -m uvts.api.sparql_worker FD (startas av webbtjänsten)", file=sys.stderr)
        return 2
    worker_main(Connection(int(args[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
