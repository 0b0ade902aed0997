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
  415 (content type, or a charset other than UTF-8), 503 when the time limit or the memory
  limit is exceeded, when the engine crashed (the worker is replaced), or when no worker (or
  no share of this client's) became free in time, and 400 when the answer would have more
  rows (or triples) than the result limit, or the query is too long, too deeply nested or
  has too many UNION branches (:mod:`uvts.graph.sparqlguard`);
* relative IRIs in a query resolve against the endpoint's URL (``UVTS_PUBLIC_URL``, else the
  address the server listens on), which is also the service description's ``sd:endpoint``;
* dataset parameters count wherever they appear (URL of a GET or direct POST, form body and
  URL of a form POST); ``query``/``update`` in the URL of a POST is refused.

The work is done in worker processes (:mod:`uvts.api.sparql_pool`), so a slow query never
blocks the server. This module only reads requests and writes responses.
"""

from __future__ import annotations

import asyncio
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
                     in_memory=settings.updates_enabled, memory_mb=settings.query_memory,
                     client_limit=settings.client_queries)
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


_UTF8_NAMES = ("utf-8", "utf8")


def _decode(body: bytes, charset: str | None) -> str:
    """The body as text: UTF-8 only (the protocol's rule for POSTed queries and updates).

    No decoder is ever looked up by a name from the request: any other ``charset`` is a 415.
    """
    if charset is not None and charset.strip().lower() not in _UTF8_NAMES:
        shown = charset if len(charset) <= 40 and charset.isprintable() else charset[:40].encode("unicode_escape").decode()
        raise ApiError(415, f"Teckenkodningen '{shown}' stöds inte: frågor och uppdateringar skickas som UTF-8 "
                            f"(charset=utf-8 eller ingen charset).")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "Begärans innehåll är inte giltig UTF-8; skicka frågan som UTF-8.") from None


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
    in_url = _multi(request.query_params.multi_items())
    for name in ("query", "update"):
        if name in in_url:
            raise ApiError(400, f"Parametern '{name}' hör hemma i begärans innehåll vid POST, inte i adressen.")
    if media == FORM:
        params = _multi(parse_qsl(text, keep_blank_values=True))
        # Dataset parameters in the URL of a form POST count too (never silently ignored).
        for name in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"):
            if name in in_url:
                params.setdefault(name, []).extend(in_url[name])
        query, update = _one(params, "query"), _one(params, "update")
        if query is not None and update is not None:
            raise ApiError(400, "Ange antingen 'query' eller 'update', inte båda.")
        if query is None and update is None:
            raise ApiError(400, "Formuläret saknar 'query' (en fråga) eller 'update' (en uppdatering).")
        if update is not None:
            return await _run_update(request, update, params)
        return await _run_query(request, query, params)
    params = in_url
    if media == SPARQL_QUERY:
        return await _run_query(request, text, params)
    return await _run_update(request, text, params)


# --- answering -------------------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def endpoint_url(request) -> str:
    """The endpoint's URL: the setting ``UVTS_PUBLIC_URL``, else the address the server listens on
    (the ASGI ``server``, never the request's ``Host`` header, which the client chooses)."""
    settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url
    host, port = request.scope.get("server") or ("127.0.0.1", 8000)
    scheme = request.scope.get("scheme", "http")
    host = f"[{host}]" if ":" in str(host) else host
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}{request.scope.get('root_path', '')}/sparql"


async def _until_disconnected(request) -> None:
    """Return when the client has gone away (uvicorn says ``http.disconnect``)."""
    while True:
        message = await request.receive()
        if message.get("type") == "http.disconnect":
            return


async def _unless_disconnected(request, work):
    """Await ``work``; if the client disconnects first, cancel it (its worker is killed and replaced)."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_until_disconnected(request))
    try:
        await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        watch.cancel()
        raise
    if task.done():
        watch.cancel()
        return task.result()
    task.cancel()
    try:
        await task
    except BaseException:
        pass
    raise ApiError(499, "Klienten kopplade ner; frågan avbröts.")


def _crash_message(exc, memory_mb: int = 0) -> str:
    from uvts.graph.guarded import crash_message

    memory = getattr(exc, "memory", False)
    if memory:
        return ("Frågan avbröts: den behövde mer minne än tjänstens gräns för en fråga. Gör den snävare "
                "(färre rader, kortare strängar, LIMIT). Frågeprocessen har ersatts.")
    return "Frågan avbröts: " + crash_message(exc.signal, memory_mb) + " Frågeprocessen har ersatts."


async def run_in_pool(request, text: str, accept: str | None, default_graphs=(), named_graphs=()) -> dict:
    """Run a query in the worker pool; the worker's reply, or an :class:`ApiError` in Swedish.

    The one place that turns the pool's failures (time limit, all workers busy, a crashed
    worker) and the worker's own refusals into errors; the pages' SPARQL editor uses it too.
    The query runs on behalf of the client's IP address (its share of the workers) and is
    cancelled if the client disconnects.
    """
    from .sparql_pool import ClientBusy, PoolBusy, QueryTimeout, WorkerCrashed

    pool = getattr(request.app.state, "sparql_pool", None)
    if pool is None:
        raise ApiError(503, "SPARQL-slutpunkten är inte igång i den här tjänsten.")
    settings = request.app.state.settings
    if not text.strip():
        raise ApiError(400, "Frågan är tom.")
    job = {"query": text, "accept": accept, "default_graphs": list(default_graphs),
           "named_graphs": list(named_graphs), "limit": settings.result_limit, "base_iri": endpoint_url(request)}
    client = request.client.host if request.client else None
    try:
        reply = await _unless_disconnected(request, pool.query(job, client))
    except ClientBusy as exc:
        raise ApiError(503, f"Du har redan {exc.limit} frågor igång mot tjänsten; vänta tills de är klara och "
                            f"försök igen.", {"Retry-After": "2"}) from None
    except QueryTimeout:
        raise ApiError(503, f"Frågan avbröts: den tog längre tid än tidsgränsen på {_seconds(settings.query_timeout)} "
                            f"sekunder. Gör frågan snävare eller lägg till LIMIT.") from None
    except PoolBusy:
        raise ApiError(503, "Alla frågeprocesser är upptagna just nu; försök igen om en stund.",
                       {"Retry-After": "2"}) from None
    except WorkerCrashed as exc:
        raise ApiError(503, _crash_message(exc, settings.query_memory)) from None
    if not reply.get("ok"):
        raise ApiError(reply["status"], reply["message"])
    return reply


async def _run_query(request, text: str, params: dict[str, list[str]]):
    from .sparql_formats import content_type

    if "using-graph-uri" in params or "using-named-graph-uri" in params:
        raise ApiError(400, "Parametrarna using-graph-uri och using-named-graph-uri gäller uppdateringar; en fråga "
                            "väljer grafer med default-graph-uri och named-graph-uri.")
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
    if "default-graph-uri" in params or "named-graph-uri" in params:
        raise ApiError(400, "Parametrarna default-graph-uri och named-graph-uri gäller frågor, inte uppdateringar; "
                            "skriv USING eller GRAPH i uppdateringen.")
    try:
        reply = await request.app.state.sparql_pool.update(text)
    except QueryTimeout:
        raise ApiError(503, f"Uppdateringen avbröts: den tog längre tid än tidsgränsen på "
                            f"{_seconds(settings.query_timeout)} sekunder och gjordes inte.") from None
    except PoolBusy:
        raise ApiError(503, "Tjänsten är upptagen med andra frågor; försök igen om en stund.",
                       {"Retry-After": "2"}) from None
    except WorkerCrashed as exc:
        message = _crash_message(exc, settings.query_memory)
        raise ApiError(503, message.replace("Frågan avbröts", "Uppdateringen gjordes inte")) from None
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
    endpoint = endpoint_url(request)
    body = service_description(endpoint, request.app.state.sparql_pool.graphs, fmt,
                               updates=request.app.state.settings.updates_enabled)
    return Response(body, media_type=content_type(media_type), headers={"Vary": "Accept"})
