"""The web service: an app factory, nothing built at import time.

``create_app(settings)`` returns a FastAPI app. The store is opened (built when the data
changed) in the app's lifespan, when the server starts, not when this module is imported.
Run it with ``uvts serve`` or ``uvicorn --factory uvts.api.app:create_app`` (settings then
come from the ``UVTS_*`` environment variables, see :mod:`uvts.api.settings`).

Extending the app
-----------------
The app is put together from the modules named in :data:`ROUTER_MODULES`. Each such
module defines

* ``make_router(settings) -> fastapi.APIRouter``: its routes; and optionally
* ``lifespan(app)``: an async context manager entered at start-up, after the store is
  open (use it to start what the module needs, and to stop it at shutdown).

To add REST resources or HTML pages, write ``api/rest.py`` or ``api/pages.py`` with a
``make_router`` and append ``"uvts.api.rest"`` / ``"uvts.api.pages"`` to
:data:`ROUTER_MODULES`. Every route gets, for free: the one error shape
(:mod:`uvts.api.errors`: raise :class:`~uvts.api.errors.ApiError`), the request body
limit, and CORS as configured.

What a route can use (``request.app.state``):

* ``settings``: the :class:`~uvts.api.settings.Settings`;
* ``store``: the store opened from the settings (``select``, ``construct``, …), for cheap
  queries in the server process (see :func:`get_store`);
* ``sparql_pool``: the worker processes of the SPARQL endpoint, for anything slow or
  user-written (``await pool.query({...})``), which must never run in the server process.
"""

from __future__ import annotations

import importlib
from contextlib import AsyncExitStack, asynccontextmanager

from .errors import ApiError, error_response, install_error_handlers
from .settings import Settings

__all__ = ["create_app", "ROUTER_MODULES", "get_store", "get_settings", "BodyLimitMiddleware"]

# Modules that add routes to the app (see the module docstring), in the order they are included.
ROUTER_MODULES: list[str] = ["uvts.api.sparql", "uvts.api.rest", "uvts.api.pages", "uvts.api.versions_web",
                             "uvts.api.follow_up_pages", "uvts.api.data_page"]


def get_settings(request) -> Settings:
    """The app's settings (usable as a FastAPI dependency)."""
    return request.app.state.settings


def get_store(request):
    """The app's store (usable as a FastAPI dependency): cheap queries only."""
    return request.app.state.store


class BodyLimitMiddleware:
    """Refuse request bodies larger than ``max_body`` bytes with 413, in the error shape.

    A declared ``Content-Length`` is checked before the app runs; a body sent without one
    (chunked) is counted as it arrives, and reading past the limit raises the 413.
    """

    def __init__(self, app, max_body: int):
        self.app = app
        self.max_body = max_body

    def _message(self) -> str:
        return (f"Begärans innehåll är för stort: tjänsten tar emot högst {self.max_body} byte "
                f"(inställningen UVTS_MAX_BODY).")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = None
        for key, value in scope.get("headers", ()):
            if key == b"content-length":
                declared = value
        if declared is not None:
            text = declared.decode("latin-1").strip()
            if not text.isdigit():
                return await error_response(400, "Huvudet Content-Length är ogiltigt.")(scope, receive, send)
            if int(text) > self.max_body:
                return await error_response(413, self._message(), {"Connection": "close"})(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise ApiError(413, self._message())
            return message

        await self.app(scope, limited_receive, send)


_CORS_FAILURES = {"origin": "ursprunget", "method": "metoden", "headers": "huvudena", "private-network": "privat nätverk"}


def _cors_middleware():
    """Starlette's CORS middleware, with refused preflight requests in the error shape."""
    from starlette.middleware.cors import CORSMiddleware

    class Cors(CORSMiddleware):
        def preflight_response(self, request_headers):
            response = super().preflight_response(request_headers)
            if response.status_code != 400:
                return response
            text = response.body.decode("utf-8", "replace").removeprefix("Disallowed CORS ")
            what = ", ".join(_CORS_FAILURES.get(part.strip(), part.strip()) for part in text.split(","))
            headers = {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}
            return error_response(400, f"CORS-förfrågan nekades: {what} är inte tillåtet.", headers)

    return Cors


def create_app(settings: Settings | None = None, *, modules: list[str] | None = None):
    """The FastAPI app for ``settings`` (default: from the environment).

    ``modules`` replaces :data:`ROUTER_MODULES` (tests use it to build a smaller app).
    Nothing is opened or started here: the lifespan does that when the server starts.
    """
    from fastapi import FastAPI

    settings = settings if settings is not None else Settings.from_env()
    loaded = [importlib.import_module(name) for name in (ROUTER_MODULES if modules is None else modules)]

    @asynccontextmanager
    async def lifespan(app):
        import asyncio

        from uvts.graph.store import open_store

        from .live import following, is_versioned, serving

        async with AsyncExitStack() as stack:
            if is_versioned(settings):  # the published version, followed without restart (uvts.api.live)
                await stack.enter_async_context(serving(app))
            else:
                store, built = await asyncio.to_thread(open_store, settings.data_dirs(), settings.store,
                                                       settings.store_path, settings.rebuild)
                stack.callback(store.close)
                app.state.store, app.state.store_built = store, built
            for module in loaded:
                if hasattr(module, "lifespan"):
                    await stack.enter_async_context(module.lifespan(app))
            if is_versioned(settings):
                await stack.enter_async_context(following(app))
            yield

    # FastAPI's /docs and /redoc pages load Swagger UI and ReDoc from a CDN: off, the app is
    # offline. The schema itself is served at /openapi.json.
    app = FastAPI(title="Samverkanskartan", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Kunskapsgraf över aktörer, insatser och riskfaktorer i brottsförebyggande arbete.")
    app.state.settings = settings
    install_error_handlers(app)
    for module in loaded:
        app.include_router(module.make_router(settings))
    app.add_middleware(BodyLimitMiddleware, max_body=settings.max_body)
    from .http_layer import HeadMiddleware

    app.add_middleware(HeadMiddleware)  # HEAD on every GET route
    if settings.cors_origins:
        app.add_middleware(_cors_middleware(), allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Accept", "Content-Type", "Authorization"], max_age=600)
    return app
