"""Published versions of the plan data: kept, immutable, one writer at a time.

Every publication (``uvts build``, a workbook import, …) writes a new *version* beside
the published ones and then points the home's ``current.json`` at it with one atomic
rename, so a reader sees either the old or the new version, never half of one. A
version's id is a content hash of its data (the first 12 hex digits of a SHA-256 over
every plan folder's files), so the same data always gets the same id.

The home (``UVTS_HOME`` or ``.uvts/``) holds::

    versions/<id>/version.json     what the version is (see :class:`Version`)
    versions/<id>/data/NNN-name/   a copy of the plan folders it was built from
    versions/<id>/store/           its pyoxigraph store (read-only once published)
    current.json                   {"id": …} the published version (replaced atomically)
    history.json                   every publication in order: [{"id", "published"}, …]
    publish.lock (+ .holder)       the writers' lock (filelock) and who holds it

Writers (:func:`publish`) take the lock; a second writer waits up to ``wait`` seconds and
then fails with :class:`LockBusy`, whose Swedish message names the holder. A writer
killed half-way leaves only a ``versions/.building-*`` folder, which the next writer
removes; the published version is untouched. Readers (:func:`open_version`,
:func:`list_versions`) never take the lock and never write.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import socket
import sys
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from . import namespaces as ns

__all__ = ["Version", "VersionError", "LockBusy", "publish", "list_versions", "latest", "open_version", "get_version",
           "resolve_version", "open_for_read", "version_data_dirs", "version_plans", "version_store_path", "data_id", "version_ntriples",
           "version_iri", "home_dir", "keep_setting", "ID_LENGTH", "KEEP_ENV", "LOCK_WAIT_ENV"]

ID_LENGTH = 12
KEEP_ENV = "UVTS_KEEP_VERSIONS"
LOCK_WAIT_ENV = "UVTS_LOCK_WAIT"
# Files of a plan folder that belong to its data (YAML, the plan text, follow-up rounds, …).
_DATA_SUFFIXES = (".yaml", ".yml", ".txt")


class VersionError(ValueError):
    """A version was named that the home does not hold, or none is published yet (Swedish message)."""


class LockBusy(RuntimeError):
    """Another writer holds the home's lock (Swedish message naming it)."""


@dataclass(frozen=True)
class Version:
    """One published version. ``plans`` are plan ids; ``source`` says where the data came from
    (``{"kind": "folders", "paths": […]}`` or ``{"kind": "workbook", "name": …, "sha256": …}``);
    ``revises`` is the version published before it (``None`` for the first)."""

    id: str
    created: str
    plans: list[str]
    source: dict
    message: str | None
    revises: str | None
    triples: int
    builder: str = ""
    folders: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("builder", None)
        d.pop("folders", None)
        return d

    @staticmethod
    def from_dict(d: dict) -> "Version":
        return Version(id=d["id"], created=d["created"], plans=list(d.get("plans", [])), source=dict(d.get("source") or {}),
                       message=d.get("message"), revises=d.get("revises"), triples=int(d.get("triples", 0)),
                       builder=d.get("builder", ""), folders=list(d.get("folders", [])))


# --- where things are ---------------------------------------------------------------------------


def home_dir(home: str | Path | None = None) -> Path:
    from .paths import state_dir

    return Path(home) if home else state_dir()


def _versions_dir(home: Path) -> Path:
    return home / "versions"


def version_iri(version_id: str) -> str:
    return f"{ns.ID}version/{version_id}"


def keep_setting() -> int | None:
    """How many versions to keep (``UVTS_KEEP_VERSIONS``; unset or 0: all)."""
    raw = os.environ.get(KEEP_ENV, "").strip()
    if not raw:
        return None
    try:
        n = int(raw)
    except ValueError:
        raise VersionError(f"{KEEP_ENV}: förväntade ett heltal (antal versioner att spara), fick {raw!r}") from None
    if n < 0:
        raise VersionError(f"{KEEP_ENV}: antalet versioner att spara kan inte vara negativt (fick {n})")
    return n or None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def _read_json(path: Path, default=None):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def _write_json_atomic(path: Path, value) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# --- the data and its id -------------------------------------------------------------------------


def _plan_files(folder: Path) -> list[tuple[str, Path]]:
    """``(relative path, file)`` for every data file of a plan folder, sorted; hidden names and
    files that resolve outside the folder are left out."""
    root = folder.resolve()
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.suffix.lower() not in _DATA_SUFFIXES:
            continue
        try:
            path.resolve().relative_to(root)
        except ValueError:
            continue
        out.append((rel.as_posix(), path))
    return out


def _read_data(data_dirs: Sequence[str | Path]) -> tuple[str, list[tuple[Path, list[tuple[str, bytes]]]]]:
    """The data's id and its contents: ``[(folder, [(relative path, bytes)…])…]``."""
    from .paths import plan_folders

    contents = []
    digests = []
    for folder in plan_folders(list(data_dirs)):
        folder = Path(folder)
        files = [(rel, p.read_bytes()) for rel, p in _plan_files(folder)] if folder.is_dir() else []
        h = hashlib.sha256()
        for rel, data in files:
            h.update(rel.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
        digests.append(h.hexdigest())
        contents.append((folder, files))
    whole = hashlib.sha256(("uvts-data-1\n" + "\n".join(digests)).encode("ascii")).hexdigest()
    return whole[:ID_LENGTH], contents


def data_id(data_dirs: Sequence[str | Path]) -> str:
    """The version id that ``data_dirs`` would get: a content hash of their data files
    (the folders' names and places do not count; their order does)."""
    return _read_data(data_dirs)[0]


# --- reading versions (never writes) ----------------------------------------------------------------


def _history(home: Path) -> list[dict]:
    return _read_json(home / "history.json", []) or []


def _load_version(home: Path, version_id: str) -> Version | None:
    d = _read_json(_versions_dir(home) / version_id / "version.json")
    return Version.from_dict(d) if isinstance(d, dict) and d.get("id") == version_id else None


def list_versions(home: str | Path | None = None) -> list[Version]:
    """Every version the home keeps, the most recently published first."""
    home = home_dir(home)
    folder = _versions_dir(home)
    if not folder.is_dir():
        return []
    found = {}
    for entry in folder.iterdir():
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        v = _load_version(home, entry.name)
        if v is not None:
            found[v.id] = v
    order: dict[str, int] = {}
    for i, item in enumerate(_history(home)):
        order[item.get("id")] = i
    return sorted(found.values(), key=lambda v: (order.get(v.id, -1), v.created), reverse=True)


def latest(home: str | Path | None = None) -> Version | None:
    """The published version (``current.json``), or ``None`` when nothing is published."""
    home = home_dir(home)
    cur = _read_json(home / "current.json")
    if not isinstance(cur, dict) or not cur.get("id"):
        return None
    return _load_version(home, cur["id"])


def resolve_version(at: str | None, home: str | Path | None = None) -> Version:
    """The version ``at`` names (an id, a unique prefix of at least 4 characters, or
    ``senaste``/``latest``/``None`` for the published one); :class:`VersionError` if none."""
    home = home_dir(home)
    if at is None or at.strip().lower() in ("", "senaste", "latest", "current"):
        v = latest(home)
        if v is None:
            raise VersionError("ingen version är publicerad ännu; kör uvts build för att publicera planen")
        return v
    key = at.strip().lower()
    exact = _load_version(home, key) if all(c in "0123456789abcdef" for c in key) else None
    if exact is not None:
        return exact
    versions = list_versions(home)
    hits = [v for v in versions if len(key) >= 4 and v.id.startswith(key)]
    if len(hits) == 1:
        return hits[0]
    known = ", ".join(v.id for v in versions[:5]) or "inga"
    if len(hits) > 1:
        raise VersionError(f"'{at}' passar flera versioner ({', '.join(v.id for v in hits)}); ange fler tecken")
    raise VersionError(f"okänd version '{at}'; de senaste är: {known} (uvts versions listar alla)")


def get_version(version_id: str, home: str | Path | None = None) -> Version:
    return resolve_version(version_id, home)


def version_store_path(version: Version | str, home: str | Path | None = None) -> Path:
    vid = version.id if isinstance(version, Version) else version
    return _versions_dir(home_dir(home)) / vid / "store"


def version_data_dirs(version: Version | str, home: str | Path | None = None) -> list[Path]:
    """The plan folders a version was built from (its own copy, in the order it was built)."""
    v = version if isinstance(version, Version) else resolve_version(version, home)
    base = _versions_dir(home_dir(home)) / v.id / "data"
    return [base / name for name in v.folders]


def version_plans(version: Version | str, home: str | Path | None = None):
    """The plans of a version, loaded from its copy of the data (``list[PlanData]``)."""
    from .load import load_plans

    return load_plans(version_data_dirs(version, home))


def open_version(at: str | None = None, home: str | Path | None = None):
    """A read-only store of version ``at`` (default: the published one). Never builds anything."""
    from .store import OxigraphStore

    v = resolve_version(at, home)
    path = version_store_path(v, home)
    if not (path / "CURRENT").exists():
        raise VersionError(f"versionen {v.id} saknar sin lagring ({path}); publicera data på nytt med uvts build")
    store = OxigraphStore(path, read_only=True)
    store.version = v
    return store


def open_for_read(data_dirs: Sequence[str | Path], at: str | None = None, plans=None, home: str | Path | None = None):
    """A store for a read-only command; never writes. ``(store, built)``.

    Version ``at`` when given; else the published version whose data is exactly
    ``data_dirs`` (same data, same id), when one was built by this code; else the folders
    built into an in-memory store (``built`` true, and ``store.unpublished`` true).
    """
    from .store import OxigraphStore, _fill

    if at is not None:
        return open_version(at, home), False
    vid = data_id(data_dirs)
    v = _load_version(home_dir(home), vid)
    if v is not None and v.builder == _builder() and (version_store_path(v, home) / "CURRENT").exists():
        store = OxigraphStore(version_store_path(v, home), read_only=True)
        store.version = v
        return store, False
    store = OxigraphStore()
    _fill(store, data_dirs, plans)
    store.unpublished = True
    return store, True


# --- RDF ------------------------------------------------------------------------------------------


def version_ntriples(v: Version) -> bytes:
    """The version as RDF (``uvts:Version``, see the living-plan contract), as N-Triples."""
    from .store import Term

    s = Term.uri(version_iri(v.id)).n3()
    src = Term.uri(version_iri(v.id) + "/source").n3()
    t = lambda p: Term.uri(p).n3()  # noqa: E731
    lines = [
        f"{s} {t(ns.RDF + 'type')} {t(ns.UVTS + 'Version')} .",
        f"{s} {t(ns.RDF + 'type')} {t(ns.PROV + 'Entity')} .",
        f"{s} {t(ns.DCTERMS + 'identifier')} {Term.literal(v.id).n3()} .",
        f"{s} {t(ns.DCTERMS + 'created')} {Term('literal', v.created, ns.XSD + 'dateTime').n3()} .",
        f"{s} {t(ns.RDFS + 'label')} {Term.literal('Version ' + v.id, lang='sv').n3()} .",
        f"{s} {t(ns.PROV + 'wasDerivedFrom')} {src} .",
        f"{src} {t(ns.RDF + 'type')} {t(ns.PROV + 'Entity')} .",
    ]
    if v.message:
        lines.append(f"{s} {t(ns.RDFS + 'comment')} {Term.literal(v.message, lang='sv').n3()} .")
    if v.revises:
        lines.append(f"{s} {t(ns.PROV + 'wasRevisionOf')} {Term.uri(version_iri(v.revises)).n3()} .")
    kind = v.source.get("kind", "folders")
    if kind == "workbook":
        lines.append(f"{src} {t(ns.RDFS + 'label')} {Term.literal(str(v.source.get('name', '')), lang='sv').n3()} .")
        if v.source.get("sha256"):
            lines.append(f"{src} {t(ns.DCTERMS + 'identifier')} {Term.literal('sha256:' + v.source['sha256']).n3()} .")
    else:
        for p in v.source.get("paths", []):
            lines.append(f"{src} {t(ns.RDFS + 'label')} {Term.literal(str(p), lang='sv').n3()} .")
    for plan in v.plans:
        lines.append(f"{s} {t(ns.DCTERMS + 'hasPart')} {Term.uri(ns.iri('plan', plan)).n3()} .")
    return ("\n".join(sorted(set(lines))) + "\n").encode("utf-8")


# --- the lock -------------------------------------------------------------------------------------


class _Lock:
    """The home's writer lock (``filelock``: an OS lock that dies with its process)."""

    def __init__(self, home: Path, wait: float):
        from filelock import FileLock

        home.mkdir(parents=True, exist_ok=True)
        self.path = home / "publish.lock"
        self.holder = home / "publish.lock.holder"
        self.wait = wait
        self._lock = FileLock(str(self.path))

    def __enter__(self):
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=self.wait)
        except Timeout:
            who = _read_json(self.holder, {}) or {}
            desc = (f"process {who.get('pid')} på {who.get('host')} ({who.get('command')}), sedan {who.get('since')}"
                    if who else "en annan process")
            raise LockBusy(f"en annan publicering pågår i {self.path.parent}: låset hålls av {desc}; "
                           f"väntade {self.wait:g} s. Försök igen när den är klar.") from None
        _write_json_atomic(self.holder, {"pid": os.getpid(), "host": socket.gethostname(),
                                         "command": " ".join(os.path.basename(a) for a in sys.argv[:3]) or "python",
                                         "since": _now()})
        return self

    def __exit__(self, *exc):
        try:
            self.holder.unlink()
        except OSError:
            pass
        self._lock.release()



def _lock_wait(wait: float | None) -> float:
    if wait is not None:
        return float(wait)
    raw = os.environ.get(LOCK_WAIT_ENV, "").strip()
    try:
        return float(raw) if raw else 60.0
    except ValueError:
        return 60.0


# --- publishing -----------------------------------------------------------------------------------


def _cleanup(home: Path) -> None:
    """Remove what killed or failed writers left (only called under the lock)."""
    folder = _versions_dir(home)
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.name.startswith((".building-", ".trash-")):
                shutil.rmtree(entry, ignore_errors=True)
    for entry in home.glob(".*.tmp"):
        try:
            entry.unlink()
        except OSError:
            pass


def _safe_name(name: str) -> str:
    return ns.slugify(name)[:60] or "plan"


def _builder() -> str:
    from .store import fingerprint

    return fingerprint([])[:ID_LENGTH]


def _set_current(home: Path, vid: str) -> None:
    history = _history(home)
    history.append({"id": vid, "published": _now()})
    _write_json_atomic(home / "history.json", history)
    _write_json_atomic(home / "current.json", {"id": vid})


def _prune(home: Path, keep: int | None) -> list[str]:
    """Delete the versions beyond the newest ``keep`` (never the published one)."""
    if not keep:
        return []
    versions = list_versions(home)
    current = latest(home)
    removed = []
    for v in versions[keep:]:
        if current is not None and v.id == current.id:
            continue
        src = _versions_dir(home) / v.id
        trash = _versions_dir(home) / f".trash-{v.id}-{uuid.uuid4().hex[:6]}"
        try:
            src.rename(trash)
        except OSError:
            continue
        shutil.rmtree(trash, ignore_errors=True)
        removed.append(v.id)
    return removed


def publish(data_dirs: Sequence[str | Path], *, message: str | None = None, source: dict | None = None,
            home: str | Path | None = None, wait: float | None = None, keep: int | None = None,
            rebuild: bool = False) -> tuple[Version, bool]:
    """Build the plan folders into a new version and publish it; ``(version, created)``.

    ``created`` is false when nothing new was built: the same data is already a version
    (if it was not the published one, it is published again). Raises
    :class:`~uvts.graph.errors.DataError` for bad data (nothing is written or published) and
    :class:`LockBusy` when another writer holds the lock past ``wait`` seconds
    (``UVTS_LOCK_WAIT``, default 60). ``keep`` (or ``UVTS_KEEP_VERSIONS``) keeps only the
    newest N versions.
    """
    from .load import load_plans
    from .store import OxigraphStore, _fill

    home = home_dir(home)
    keep = keep if keep is not None else keep_setting()
    with _Lock(home, _lock_wait(wait)):
        _cleanup(home)
        vid, contents = _read_data(data_dirs)
        builder = _builder()
        vdir = _versions_dir(home) / vid
        existing = _load_version(home, vid)
        current = latest(home)
        if existing is not None and existing.builder == builder and not rebuild \
                and (version_store_path(vid, home) / "CURRENT").exists():
            if current is None or current.id != vid:
                _set_current(home, vid)
            _prune(home, keep)
            return existing, False
        tmp = _versions_dir(home) / f".building-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            folders = []
            for i, (folder, files) in enumerate(contents):
                name = f"{i:03d}-{_safe_name(folder.name)}"
                folders.append(name)
                target = tmp / "data" / name
                target.mkdir(parents=True, exist_ok=True)
                for rel, data in files:
                    path = target / rel
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
            plans = load_plans([tmp / "data" / name for name in folders])  # DataError: nothing published
            revises = existing.revises if existing is not None else (current.id if current and current.id != vid else None)
            src = dict(source) if source else {"kind": "folders", "paths": [str(Path(f).resolve()) for f, _ in contents]}
            version = Version(id=vid, created=existing.created if existing else _now(), plans=[p.plan.id for p in plans],
                              source=src, message=message if message is not None else (existing.message if existing else None),
                              revises=revises, triples=0, builder=builder, folders=folders)
            store = OxigraphStore(tmp / "store")
            _fill(store, [], plans)
            store.load_ntriples(version_ntriples(version), version_iri(vid))
            triples = len(store)
            store.close()
            del store
            version = Version(**{**asdict(version), "triples": triples})
            _write_json_atomic(tmp / "version.json", asdict(version))
            if vdir.exists():  # an incomplete folder, or one built by older code: set it aside
                vdir.rename(_versions_dir(home) / f".trash-{vid}-{uuid.uuid4().hex[:6]}")
            tmp.rename(vdir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _set_current(home, vid)
        _prune(home, keep)
        return version, True
