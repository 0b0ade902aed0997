"""The service serves one published version and follows new ones without a restart.

In the default set-up (the embedded store in the home, no ``UVTS_STORE_PATH``) the app
opens the published version (:mod:`uvts.graph.versions`) read-only, and a background task
watches the home's ``current.json``. When another version is published (``uvts build``,
a workbook import), the task prepares everything for it *beside* the running one: opens
its store, builds its catalogue, starts a fresh pool of SPARQL workers on it (each module
that needs something registers a *switcher* in ``app.state.version_switchers``). Then,
in one step of the event loop with no ``await`` in between, it swaps them all in
(``app.state.store``, ``catalogs``, ``version``, ``data_dirs``, ``sparql_pool``), so a
request sees either the old version or the new one, never a mix. Requests already running
finish on the old version; the old SPARQL workers are stopped once they are idle.

Nothing here writes: a failed or half-done publication never changes ``current.json``, so
the service keeps serving the last good version. At start-up the service publishes its
configured data only when told to (``--data``/``UVTS_DATA``) or when nothing is published
yet, exactly as ``uvts build`` would; bad data then leaves the last good version served.

``?at=VERSION`` on REST resources and pages reads an earlier version: its catalogue is
opened on first use and a few are kept (:func:`catalogs_at`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from contextlib import asynccontextmanager

__all__ = ["is_versioned", "initial_publish", "serving", "following", "switch_to", "catalogs_at", "pool_switcher", "POLL_SECONDS"]

log = logging.getLogger("uvts.api.live")
POLL_SECONDS = 0.25
_KEEP_AT = 4


def is_versioned(settings) -> bool:
    """True when the service serves published versions (the embedded store in the home)."""
    return settings.store == "oxigraph" and settings.store_path is None


def initial_publish(settings):
    """Publish the configured data when asked to (explicit data) or when nothing is published;
    return ``(version or None, error or None)``. Bad data is an error only when there is no
    earlier version to serve (then :class:`~uvts.graph.errors.DataError` is raised)."""
    from uvts.graph.errors import DataError
    from uvts.graph.versions import latest, publish

    current = latest()
    if settings.data or current is None or settings.rebuild:
        try:
            version, _ = publish(settings.data_dirs(), rebuild=settings.rebuild)
            return version, None
        except DataError as exc:
            if current is None:
                raise
            return current, exc
    return current, None


def _open(version):
    from uvts.graph.versions import open_version, version_data_dirs

    from .catalog import Catalogs, PlanTexts

    store = open_version(version.id)
    dirs = version_data_dirs(version)
    cats = Catalogs(store, PlanTexts(dirs))
    cats.get(None)  # the all-plans catalogue, so the first request after the switch is fast
    return store, cats, dirs


async def switch_to(app, version) -> None:
    """Prepare ``version`` beside the served one, then swap everything in at once."""
    store, cats, dirs = await asyncio.to_thread(_open, version)
    prepared = []
    try:
        for prepare in list(getattr(app.state, "version_switchers", [])):
            prepared.append(await prepare(version))
    except BaseException:
        for _, _, retire_new in prepared:
            await retire_new()
        raise
    # -- the swap: no await from here to the end of the loop --
    app.state.store = store
    app.state.catalogs = cats
    app.state.version = version
    app.state.data_dirs = dirs
    for commit, _, _ in prepared:
        commit()
    log.info("serving version %s", version.id)
    for _, retire_old, _ in prepared:
        await retire_old()


async def _follow(app) -> None:
    from uvts.graph.versions import latest

    failed: str | None = None
    while True:
        await asyncio.sleep(POLL_SECONDS)
        try:
            current = await asyncio.to_thread(latest)
        except Exception:  # a half-read home: try again
            continue
        if current is None or current.id == getattr(app.state.version, "id", None) or current.id == failed:
            continue
        try:
            await switch_to(app, current)
            failed = None
        except Exception as exc:  # keep serving the last good version
            failed = current.id
            log.error("version %s could not be opened; still serving %s: %s", current.id, app.state.version.id, exc)


@asynccontextmanager
async def serving(app):
    """Open the published version for the app and follow new ones until shutdown."""
    from uvts.graph.versions import open_version, version_data_dirs

    settings = app.state.settings
    version, error = await asyncio.to_thread(initial_publish, settings)
    if error is not None:
        log.error("the data could not be published; serving version %s: %s", version.id, error)
    app.state.version_switchers = []
    app.state.version_catalogs = OrderedDict()
    app.state.version = version
    app.state.data_dirs = version_data_dirs(version)
    app.state.store = await asyncio.to_thread(open_version, version.id)
    app.state.store_built = False
    yield


@asynccontextmanager
async def following(app):
    """Watch for newly published versions (entered after every module has registered its switcher)."""
    follower = asyncio.get_running_loop().create_task(_follow(app))
    try:
        yield
    finally:
        follower.cancel()
        try:
            await follower
        except (asyncio.CancelledError, Exception):
            pass


async def catalogs_at(app, at: str):
    """The catalogues of version ``at`` (an id or a unique prefix); 404 for an unknown one."""
    from uvts.graph.versions import VersionError, open_version, resolve_version, version_data_dirs

    from .catalog import Catalogs, PlanTexts
    from .errors import ApiError

    try:
        version = resolve_version(at)
    except VersionError as exc:
        raise ApiError(404, f"Parametern 'at': {exc}") from None
    current = getattr(app.state, "version", None)
    if current is not None and current.id == version.id:
        from .catalog import catalogs

        return catalogs(app)
    cache = getattr(app.state, "version_catalogs", None)
    if cache is None:
        cache = app.state.version_catalogs = OrderedDict()
    if version.id in cache:
        cache.move_to_end(version.id)
        return cache[version.id]

    def make():
        store = open_version(version.id)
        return Catalogs(store, PlanTexts(version_data_dirs(version)))

    cats = await asyncio.to_thread(make)
    cache[version.id] = cats
    while len(cache) > _KEEP_AT:
        cache.popitem(last=False)
    return cats


def pool_switcher(app, make_pool):
    """A switcher for the SPARQL endpoint: a new pool on the new version's store, swapped in
    with the rest; the old pool is closed once its workers are idle (at most its time limit)."""
    from uvts.graph.versions import version_store_path

    async def prepare(version):
        new = make_pool(version_store_path(version))
        await new.start()
        holder = {}

        def commit():
            holder["old"] = app.state.sparql_pool
            app.state.sparql_pool = new

        async def retire_old():
            old = holder.get("old")
            if old is None or old is new:
                return
            task = asyncio.get_running_loop().create_task(_drain_and_close(old))
            tasks = app.state.__dict__.setdefault("_retiring", set())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        async def retire_new():
            await new.close()

        return commit, retire_old, retire_new

    return prepare


async def _drain_and_close(pool) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + pool.timeout * 2 + 5
    idle_twice = 0
    while loop.time() < deadline:
        idle_twice = idle_twice + 1 if pool.busy <= 0 else 0
        if idle_twice >= 2:
            break
        await asyncio.sleep(0.05)
    await pool.close()
