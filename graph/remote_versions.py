"""Versions kept on a remote SPARQL server (``--store sparql+http://…``): the same commands.

Every version is a set of named graphs of its own on the server: the logical graph ``G``
(a plan's graph, the ontology, the version's description, the union of them) is stored as
``urn:x-uvts:version:{id}:G``. A store opened on a version (:class:`VersionRemoteStore`)
names those graphs in every request and turns them back into the logical names in every
answer, so queries, analyses, views and reports read a version exactly as they read the
embedded store. The server's meta graph (``urn:x-uvts:store-meta``) records each version
(its :class:`~uvts.graph.versions.Version` as JSON, and its data files, compressed, one
literal per plan folder, so diffs and ``--at`` need nothing but the server) and which
version is published: one triple, replaced by one SPARQL Update (atomic on the server).

Writers take a lock on the server: a lock triple inserted only when none is there, read
back to see who won; a lock whose writer died (a process on this machine that no longer
runs, or any lock older than :data:`LOCK_EXPIRES` seconds) is broken. A writer that dies half-way leaves graphs of a version that is not recorded; the
next writer drops them. Readers never write.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import socket
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

from .remote import META_GRAPH, RemoteStore, parse_results_json
from .sparqltext import term_to_sparql
from .store import UNION_GRAPH, SelectResult, Term
from .versions import LockBusy, Version, VersionError, _now, _read_data, _builder, version_iri, version_ntriples

__all__ = ["VersionRemoteStore", "publish_remote", "list_remote_versions", "latest_remote", "resolve_remote_version",
           "open_remote_version", "remote_version_plans", "open_remote_for_read", "LOCK_EXPIRES", "physical_prefix"]

LOCK_EXPIRES = 600.0
_P = "urn:x-uvts:"
_CURRENT, _JSON, _SNAPSHOT, _HOLDER, _PUBLISHED = (_P + "current", _P + "version-json", _P + "snapshot", _P + "holder",
                                                   _P + "published")
_VERSIONS, _LOCK = _P + "versions", _P + "lock"


def physical_prefix(version_id: str) -> str:
    return f"{_P}version:{version_id}:"


def _lit(value: str) -> str:
    return term_to_sparql(Term.literal(value))


class VersionRemoteStore(RemoteStore):
    """A read-only view of one version's graphs on the server, under their logical names."""

    def __init__(self, url: str, version: Version, logical_graphs: Sequence[str]):
        self.prefix = physical_prefix(version.id)
        self._logical = sorted(logical_graphs)
        super().__init__(url, graphs=[self.prefix + g for g in self._logical], union=self.prefix + UNION_GRAPH)
        self.version = version

    def graphs(self) -> list[str]:
        return list(self._logical)

    def _dataset(self, graphs):
        chosen = list(graphs) if graphs is not None else self._logical
        return [g if g.startswith(self.prefix) else self.prefix + g for g in chosen]

    def _unmap(self, term: Term) -> Term:
        if term.kind == "uri" and term.value.startswith(self.prefix):
            return Term("uri", term.value[len(self.prefix):])
        return term

    def select(self, query, bindings=None, limit=None, graphs=None) -> SelectResult:
        res = super().select(query, bindings, limit, graphs)
        res.rows = [{k: self._unmap(v) for k, v in row.items()} for row in res.rows]
        return res

    def construct(self, query, bindings=None, graphs=None) -> bytes:
        return super().construct(query, bindings, graphs).replace(b"<" + self.prefix.encode(), b"<")

    def __len__(self) -> int:
        return self.version.triples


# --- reading the server's record -----------------------------------------------------------------


def _select(rs: RemoteStore, query: str) -> list[dict]:
    status, _, data = rs._http.request(
        "POST", rs.config["query"], urllib.parse.urlencode([("query", query)]).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})
    if status >= 400:
        from .remote import RemoteError, _error_text

        raise RemoteError(f"SPARQL-servern svarade {status}: {_error_text(data)}")
    return [{k: v.value for k, v in row.items()} for row in parse_results_json(data).rows]


def _meta(url: str) -> RemoteStore:
    return RemoteStore(url, graphs=[META_GRAPH])


def _versions(rs: RemoteStore) -> dict[str, Version]:
    rows = _select(rs, f"SELECT ?v ?j WHERE {{ GRAPH <{META_GRAPH}> {{ ?v <{_JSON}> ?j }} }}")
    out = {}
    for row in rows:
        try:
            v = Version.from_dict(json.loads(row["j"]))
        except (ValueError, KeyError):
            continue
        out[v.id] = v
    return out


def _current_id(rs: RemoteStore) -> str | None:
    rows = _select(rs, f"SELECT ?c WHERE {{ GRAPH <{META_GRAPH}> {{ <{_VERSIONS}> <{_CURRENT}> ?c }} }}")
    return rows[0]["c"] if rows else None


def _order(rs: RemoteStore) -> dict[str, float]:
    rows = _select(rs, f"SELECT ?p WHERE {{ GRAPH <{META_GRAPH}> {{ <{_VERSIONS}> <{_PUBLISHED}> ?p }} }}")
    order: dict[str, float] = {}
    for row in rows:
        vid, _, stamp = row["p"].partition("|")
        try:
            order[vid] = max(order.get(vid, 0.0), float(stamp))
        except ValueError:
            pass
    return order


def list_remote_versions(url: str) -> list[Version]:
    """The versions on the server, the most recently published first."""
    rs = _meta(url)
    found = _versions(rs)
    order = _order(rs)
    return sorted(found.values(), key=lambda v: (order.get(v.id, 0.0), v.created), reverse=True)


def latest_remote(url: str) -> Version | None:
    rs = _meta(url)
    cur = _current_id(rs)
    return _versions(rs).get(cur) if cur else None


def resolve_remote_version(at: str | None, url: str) -> Version:
    if at is None or at.strip().lower() in ("", "senaste", "latest", "current"):
        v = latest_remote(url)
        if v is None:
            raise VersionError("ingen version är publicerad på servern ännu; kör uvts build --store … för att publicera")
        return v
    key = at.strip().lower()
    versions = list_remote_versions(url)
    hits = [v for v in versions if v.id == key] or [v for v in versions if len(key) >= 4 and v.id.startswith(key)]
    if len(hits) == 1:
        return hits[0]
    known = ", ".join(v.id for v in versions[:5]) or "inga"
    raise VersionError(f"okänd version '{at}' på servern; de senaste är: {known} (uvts versions listar alla)")


def _logical_graphs(v: Version) -> list[str]:
    from . import namespaces as ns
    from .plans import ONTOLOGY_GRAPH

    return sorted([ONTOLOGY_GRAPH, version_iri(v.id)] + [ns.iri("plan", p) for p in v.plans])


def open_remote_version(at: str | None, url: str) -> VersionRemoteStore:
    v = resolve_remote_version(at, url)
    return VersionRemoteStore(url, v, _logical_graphs(v))


def open_remote_for_read(data_dirs, url: str, at: str | None = None):
    """``(store, False)`` for version ``at``, or for the version whose data is ``data_dirs``;
    ``None`` when the server holds no such version (nothing is written either way)."""
    if at is not None:
        return open_remote_version(at, url), False
    vid, _ = _read_data(data_dirs)
    found = _versions(_meta(url)).get(vid)
    if found is None or found.builder != _builder():
        return None
    return VersionRemoteStore(url, found, _logical_graphs(found)), False


def remote_version_plans(version: Version | str, url: str):
    """The plans of a version, from its data files kept on the server (unpacked to a temporary folder)."""
    from .load import load_plans

    v = version if isinstance(version, Version) else resolve_remote_version(version, url)
    rows = _select(_meta(url), f"SELECT ?s WHERE {{ GRAPH <{META_GRAPH}> {{ <{physical_prefix(v.id)}> <{_SNAPSHOT}> ?s }} }}")
    base = Path(tempfile.gettempdir()) / f"uvts-remote-{os.getuid() if hasattr(os, 'getuid') else 0}" / v.id
    if not (base / ".complete").exists():
        tmp = base.with_name(base.name + f".{uuid.uuid4().hex[:6]}")
        for row in rows:
            name, _, blob = row["s"].partition("\t")
            files = json.loads(gzip.decompress(base64.b64decode(blob)).decode("utf-8"))
            for rel, text in files.items():
                path = tmp / name / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(base64.b64decode(text))
        (tmp / ".complete").write_text("", encoding="utf-8")
        try:
            tmp.rename(base)
        except OSError:  # another process unpacked it first
            pass
    return load_plans([base / name for name in v.folders])


# --- writing ---------------------------------------------------------------------------------------


class _ServerLock:
    def __init__(self, rs: RemoteStore, wait: float):
        self.rs, self.wait = rs, wait
        self.token = f"{uuid.uuid4().hex}|process {os.getpid()} på {socket.gethostname()}|{time.time():.0f}"

    def _holders(self) -> list[str]:
        return [r["h"] for r in _select(self.rs, f"SELECT ?h WHERE {{ GRAPH <{META_GRAPH}> {{ <{_LOCK}> <{_HOLDER}> ?h }} }}")]

    def _drop(self, holder: str) -> None:
        self.rs.update(f"DELETE DATA {{ GRAPH <{META_GRAPH}> {{ <{_LOCK}> <{_HOLDER}> {_lit(holder)} }} }}")

    def __enter__(self):
        deadline = time.monotonic() + self.wait
        while True:
            self.rs.update(f"INSERT {{ GRAPH <{META_GRAPH}> {{ <{_LOCK}> <{_HOLDER}> {_lit(self.token)} }} }} WHERE "
                           f"{{ FILTER NOT EXISTS {{ GRAPH <{META_GRAPH}> {{ <{_LOCK}> <{_HOLDER}> ?h }} }} }}")
            holders = self._holders()
            if holders == [self.token]:
                return self
            if self.token in holders:  # two got in at once: both step back
                self._drop(self.token)
            for h in holders:
                if h != self.token and (time.time() - float(h.rsplit("|", 1)[-1] or 0) > LOCK_EXPIRES or _dead_here(h)):
                    self._drop(h)  # its writer died
            if time.monotonic() > deadline:
                who = next((h.split("|")[1] for h in holders if h != self.token), "en annan process")
                raise LockBusy(f"en annan publicering pågår på servern: låset hålls av {who}; väntade {self.wait:g} s. "
                               "Försök igen när den är klar.")
            time.sleep(0.2 + (hash(self.token) % 100) / 500)

    def __exit__(self, *exc):
        self._drop(self.token)


def _dead_here(holder: str) -> bool:
    """True when the lock's holder was a process on this machine that no longer runs."""
    try:
        _, who, _ = holder.split("|")
        words = who.split()
        pid, host = int(words[1]), words[3]
    except (ValueError, IndexError):
        return False
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _snapshot_literal(name: str, files: list[tuple[str, bytes]]) -> str:
    packed = json.dumps({rel: base64.b64encode(data).decode("ascii") for rel, data in files}).encode("utf-8")
    return name + "\t" + base64.b64encode(gzip.compress(packed, 6)).decode("ascii")


def publish_remote(data_dirs, url: str, *, message: str | None = None, source: dict | None = None,
                   wait: float = 60.0, rebuild: bool = False) -> tuple[Version, bool]:
    """As :func:`uvts.graph.versions.publish`, on the server ``url``."""
    from .build import ONTOLOGY_GRAPH, build_plan_graph, ontology_graph, plan_graph_iri, sorted_ntriples
    from .load import load_plans
    from .versions import _safe_name

    meta = _meta(url)
    vid, contents = _read_data(data_dirs)
    with tempfile.TemporaryDirectory(prefix="uvts-publish-") as tmpdir:  # load from a copy, as the home does
        folders = []
        for i, (folder, files) in enumerate(contents):
            name = f"{i:03d}-{_safe_name(folder.name)}"
            folders.append(name)
            for rel, data in files:
                path = Path(tmpdir) / name / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        plans = load_plans([Path(tmpdir) / n for n in folders])  # DataError: nothing written
    with _ServerLock(meta, wait):
        known = _versions(meta)
        current = known.get(_current_id(meta) or "")
        prefix = physical_prefix(vid)
        existing = known.get(vid)
        # graphs of versions that a dead writer left unrecorded
        stale = _select(meta, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "
                              f"{_lit(_P + 'version:')})) }}")
        for row in stale:
            gid = row["g"][len(_P + "version:"):].split(":", 1)[0]
            if gid not in known or (gid == vid and (rebuild or existing is None or existing.builder != _builder())):
                meta.update(f"DROP SILENT GRAPH <{row['g']}>")
        if existing is not None and existing.builder == _builder() and not rebuild:
            created = False
            version = existing
        else:
            revises = existing.revises if existing else (current.id if current and current.id != vid else None)
            src = dict(source) if source else {"kind": "folders", "paths": [str(Path(f).resolve()) for f, _ in contents]}
            version = Version(id=vid, created=existing.created if existing else _now(), plans=[p.plan.id for p in plans],
                              source=src, message=message, revises=revises, triples=0, builder=_builder(),
                              folders=folders)
            items = [(sorted_ntriples(ontology_graph()), str(ONTOLOGY_GRAPH))]
            items += [(sorted_ntriples(build_plan_graph(p)), str(plan_graph_iri(p))) for p in plans]
            items.append((version_ntriples(version), version_iri(vid)))
            rs = RemoteStore(url, graphs=[prefix + g for _, g in items], union=prefix + UNION_GRAPH)
            for data, g in items:
                rs.load_ntriples(data, prefix + g)
            triples = sum(1 for data, _ in items for ln in data.splitlines() if ln.strip())
            version = Version(**{**asdict(version), "triples": triples})
            v_node = f"<{prefix}>"
            meta.update(f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ {v_node} ?p ?o }} }}")
            for (folder, files), name in zip(contents, folders):
                meta.update(f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ {v_node} <{_SNAPSHOT}> "
                            f"{_lit(_snapshot_literal(name, files))} }} }}")
            meta.update(f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ {v_node} <{_JSON}> {_lit(json.dumps(asdict(version)))} }} }}")
            created = True
        if created or current is None or current.id != vid:
            # the switch: one update, atomic on the server
            meta.update(f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{_VERSIONS}> <{_CURRENT}> ?c }} }} ;\n"
                        f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{_VERSIONS}> <{_CURRENT}> {_lit(vid)} . "
                        f"<{_VERSIONS}> <{_PUBLISHED}> {_lit(f'{vid}|{time.time():.3f}')} }} }}")
        return version, created
