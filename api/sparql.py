"""The SPARQL 1.1 Protocol endpoint at ``/sparql``.

Written to the W3C Recommendation "SPARQL 1.1 Protocol":

* query by ``GET /sparql?query=…``, by ``POST`` with a form (``query=…``) or with the
  query itself as the body (``Content-Type: application/sparql-query``); the dataset
  parameters ``default-graph-uri`` and ``named-graph-uri`` choose among the store's graphs;
* answers by ``Accept`` (q-values honoured): SELECT/ASK as SPARQL JSON, XML, CSV or TSV;
  CONSTRUCT/DESCRIBE as Turtle, N-Triples, JSON-LD or RDF/XML; ``*/*`` gives JSON or Turtle;
* ``GET /sparql`` without a query answers with the service description;
* update by ``POST`` (form ``update=…`` or ``application/sparql-update``), refused with 403
  unless the service has an update token and the request sends it as
  ``Authorization: Bearer <token>``;
* errors in the service's one error shape: 400 for a query that cannot be parsed (with the
  parser's message) or that would fetch a URL (``SERVICE``, ``FROM``/``USING`` of a graph
  that is not here, ``LOAD``), 403, 406 (with the formats on offer), 413 (body size),
  415 (content type), 503 when the time limit is exceeded or every worker is busy, and
  400 when the answer would have more rows (or triples) than the result limit.

The work is done in worker processes (:mod:`uvts.api.sparql_pool`), so a slow query never
blocks the server. This module only reads requests and writes responses.
"""

from __future__ import annotations

import codecs
import hmac
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from .errors import ApiError

__all__ = ["make_router", "lifespan", "sparql_endpoint", "QUERY_CONTENT_TYPES"]

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
QUERY_CONTENT_TYPES = (FORM, SPARQL_QUERY, SPARQL_UPDATE)


# --- app integration ------------------------------------------------------------------------------


def make_router(settings):
    """The routes of the endpoint (``GET`` and ``POST /sparql``)."""
    from fastapi import APIRouter

    router = APIRouter(tags=["SPARQL"])
    # One route for both methods, so that a 405 lists both in its Allow header. It is left out
    # of the OpenAPI schema: its requests and answers are the W3C protocol's, not JSON models
    # (and one route with two methods would get one operation id twice).
    router.add_api_route("/sparql", sparql_endpoint, methods=["GET", "POST"], response_class=Response,
                         include_in_schema=False)
    return router


async def sparql_endpoint(request: Request) -> Response:
    """``GET``: a query or the service description; ``POST``: a query or an update."""
    if request.method == "POST":
        return await sparql_post(request)
    return await sparql_get(request)


@asynccontextmanager
async def lifespan(app):
    """Start the worker pool over the embedded store; stop it at shutdown."""
    import asyncio

    from uvts.graph.store import open_store

    from .sparql_pool import QueryPool

    settings = app.state.settings
    path = settings.embedded_store_path()
    version = getattr(app.state, "version", None)
    if version is not None:  # the workers open the published version, and the next one (uvts.api.live)
        from uvts.graph.versions import version_store_path

        from .live import pool_switcher

        def make_pool(store_path):
            return QueryPool(store_path, size=settings.query_workers, timeout=settings.query_timeout)

        pool = make_pool(version_store_path(version))
        await pool.start()
        app.state.sparql_pool = pool
        app.state.version_switchers.append(pool_switcher(app, make_pool))
        try:
            yield
        finally:
            await app.state.sparql_pool.close()
        return
    if settings.store != "oxigraph":
        # The endpoint always runs on the embedded pyoxigraph store (its workers open it
        # from disk); build it from the same data when the app's own store is another kind.
        store, _ = await asyncio.to_thread(open_store, settings.data_dirs(), "oxigraph", path, settings.rebuild)
        store.close()
    pool = QueryPool(path, size=settings.query_workers, timeout=settings.query_timeout,
                     in_memory=settings.updates_enabled)
    await pool.start()
    app.state.sparql_pool = pool
    try:
        yield
    finally:
        await pool.close()


# --- reading requests ------------------------------------------------------------------------------


def _multi(pairs) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def _media_type(header: str | None) -> tuple[str, dict[str, str]]:
    if not header:
        return "", {}
    parts = [p.strip() for p in header.split(";")]
    params = {}
    for p in parts[1:]:
        key, _, value = p.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return parts[0].lower(), params


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise ApiError(400, f"Parametern '{name}' får bara anges en gång (den angavs {len(values)} gånger).")
    return values[0] if values else None


def _decode(body: bytes, charset: str | None) -> str:
    name = charset or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        raise ApiError(415, f"Teckenkodningen '{name}' stöds inte; skicka UTF-8.") from None
    try:
        return body.decode(name)
    except UnicodeDecodeError:
        raise ApiError(400, f"Begärans innehåll är inte giltig {name}.") from None


async def sparql_get(request: Request) -> Response:
    params = _multi(request.query_params.multi_items())
    if "update" in params:
        raise ApiError(400, "Uppdateringar (SPARQL Update) kan bara skickas med POST.")
    query = _one(params, "query")
    if query is None:
        return _service_description(request)
    return await _run_query(request, query, params)


async def sparql_post(request: Request) -> Response:
    media, ct_params = _media_type(request.headers.get("content-type"))
    if media not in QUERY_CONTENT_TYPES:
        got = f"'{media}'" if media else "ingen innehållstyp"
        raise ApiError(415, f"Innehållstypen {got} stöds inte för POST till /sparql; använd "
                            f"{', '.join(QUERY_CONTENT_TYPES)}.")
    text = _decode(await request.body(), ct_params.get("charset"))
    if media == FORM:
        params = _multi(parse_qsl(text, keep_blank_values=True))
        query, update = _one(params, "query"), _one(params, "update")
        if query is not None and update is not None:
            raise ApiError(400, "Ange antingen 'query' eller 'update', inte båda.")
        if query is None and update is None:
            raise ApiError(400, "Formuläret saknar 'query' (en fråga) eller 'update' (en uppdatering).")
        if update is not None:
            return await _run_update(request, update, params)
        return await _run_query(request, query, params)
    params = _multi(request.query_params.multi_items())
    if media == SPARQL_QUERY:
        return await _run_query(request, text, params)
    return await _run_update(request, text, params)


# --- answering -------------------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")


async def run_in_pool(request, text: str, accept: str | None, default_graphs=(), named_graphs=()) -> dict:
    """Run a query in the worker pool; the worker's reply, or an :class:`ApiError` in Swedish.

    The one place that turns the pool's failures (time limit, all workers busy, a crashed
    worker) and the worker's own refusals into errors; the pages' SPARQL editor uses it too.
    """
    from .sparql_pool import PoolBusy, QueryTimeout, WorkerCrashed

    pool = getattr(request.app.state, "sparql_pool", None)
    if pool is None:
        raise ApiError(503, "SPARQL-slutpunkten är inte igång i den här tjänsten.")
    settings = request.app.state.settings
    if not text.strip():
        raise ApiError(400, "Frågan är tom.")
    job = {"query": text, "accept": accept, "default_graphs": list(default_graphs),
           "named_graphs": list(named_graphs), "limit": settings.result_limit}
    try:
        reply = await pool.query(job)
    except QueryTimeout:
        raise ApiError(503, f"Frågan avbröts: den tog längre tid än tidsgränsen på {_seconds(settings.query_timeout)} "
                            f"sekunder. Gör frågan snävare eller lägg till LIMIT.") from None
    except PoolBusy:
        raise ApiError(503, "Alla frågeprocesser är upptagna just nu; försök igen om en stund.",
                       {"Retry-After": "2"}) from None
    except WorkerCrashed:
        raise ApiError(500, "Frågeprocessen avslutades oväntat (kanske tog minnet slut). Försök med en snävare "
                            "fråga.") from None
    if not reply.get("ok"):
        raise ApiError(reply["status"], reply["message"])
    return reply


async def _run_query(request, text: str, params: dict[str, list[str]]):
    from .sparql_formats import content_type

    reply = await run_in_pool(request, text, request.headers.get("accept"),
                              params.get("default-graph-uri", []), params.get("named-graph-uri", []))
    return Response(reply["body"], status_code=200, media_type=content_type(reply["media_type"]),
                    headers={"Vary": "Accept"})


def _bearer(request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _run_update(request, text: str, params: dict[str, list[str]]):
    from .sparql_pool import PoolBusy, QueryTimeout, WorkerCrashed

    settings = request.app.state.settings
    if not settings.updates_enabled:
        raise ApiError(403, "Uppdateringar (SPARQL Update) är avstängda i den här tjänsten.")
    if getattr(request.app.state, "version", None) is not None:
        raise ApiError(403, "Tjänsten visar en publicerad version av planen, och den ändras inte med SPARQL Update: "
                            "ändra data (planmappen eller arbetsboken) och publicera en ny version med uvts build.")
    token = _bearer(request)
    if token is None or not hmac.compare_digest(token.encode("utf-8"), settings.update_token.encode("utf-8")):
        raise ApiError(403, "Uppdateringen nekades: den kräver tjänstens token som 'Authorization: Bearer <token>'.")
    if params.get("using-graph-uri") or params.get("using-named-graph-uri"):
        raise ApiError(400, "Parametrarna using-graph-uri och using-named-graph-uri stöds inte; skriv USING i "
                            "uppdateringen.")
    try:
        reply = await request.app.state.sparql_pool.update(text)
    except QueryTimeout:
        raise ApiError(503, f"Uppdateringen avbröts: den tog längre tid än tidsgränsen på "
                            f"{_seconds(settings.query_timeout)} sekunder och gjordes inte.") from None
    except PoolBusy:
        raise ApiError(503, "Tjänsten är upptagen med andra frågor; försök igen om en stund.",
                       {"Retry-After": "2"}) from None
    except WorkerCrashed:
        raise ApiError(500, "Frågeprocessen avslutades oväntat; uppdateringen gjordes inte.") from None
    if not reply.get("ok"):
        raise ApiError(reply["status"], reply["message"])
    return Response(status_code=204)


def _service_description(request: Request) -> Response:
    from .sparql_description import service_description
    from .sparql_formats import GRAPH_TYPES, content_type, negotiate

    accept = request.headers.get("accept")
    chosen = negotiate(accept, GRAPH_TYPES)
    if chosen is None:
        offered = ", ".join(dict.fromkeys(t for t, _ in GRAPH_TYPES))
        raise ApiError(406, f"Tjänstebeskrivningen kan ges som {offered}, men begäran accepterar bara: {accept}.")
    media_type, fmt = chosen
    endpoint = str(request.url.replace(query="", fragment=""))
    body = service_description(endpoint, request.app.state.sparql_pool.graphs, fmt,
                               updates=request.app.state.settings.updates_enabled)
    return Response(body, media_type=content_type(media_type), headers={"Vary": "Accept"})
