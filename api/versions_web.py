"""Versions on the web: the REST resources ``/versions`` and ``/diff``, and the page ``/andringar``.

The versions are those of the home (:mod:`uvts.graph.versions`); a diff is computed from
the two versions' own copies of the data (:mod:`uvts.graph.diff`), in a thread, and kept:
versions never change, so neither does their diff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections import OrderedDict
from typing import Optional

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .errors import ApiError

__all__ = ["make_router", "make_rest_router", "version_label", "TYPE_PAGES"]

# Which page folder shows a resource of each diff type (uvts.api.catalog.KINDS).
TYPE_PAGES = {"intervention": "insatser", "department": "forvaltningar", "budget": "forvaltningar",
              "actor": "aktorer", "forum": "forum", "place": "platser", "risk-factor": "riskfaktorer"}
_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december")
_LOCK = threading.Lock()


def version_label(version) -> str:
    """A version for people: its date and time, and its message (no id)."""
    try:
        when = dt.datetime.fromisoformat(version.created)
        text = f"{when.day} {_MONTHS[when.month - 1]} {when.year} kl. {when:%H.%M}"
    except ValueError:
        text = version.created
    return f"{text} – {version.message}" if version.message else text


def _diff(app, frm: str | None, to: str | None, names: bool = False) -> dict:
    from uvts.graph.diff import diff_versions
    from uvts.graph.versions import VersionError, resolve_version

    try:
        to_v = resolve_version(to).id
        from_v = resolve_version(frm).id if frm else None
    except VersionError as exc:
        raise ApiError(404, f"{exc}") from None
    key = (from_v, to_v, names)
    cache = app.state.__dict__.setdefault("diff_cache", OrderedDict())
    with _LOCK:
        if key in cache:
            return cache[key]
    result = diff_versions(from_v, to_v, names=names)
    with _LOCK:
        cache[key] = result
        while len(cache) > 16:
            cache.popitem(last=False)
    return result


def _json(data) -> Response:
    import json

    return Response(json.dumps(data, ensure_ascii=False).encode("utf-8"), media_type="application/json")


def make_rest_router(settings):
    """The REST resources (included by :mod:`uvts.api.rest`, so they are in its OpenAPI schema)."""
    from fastapi import APIRouter, Path, Query

    from .rest import _errors

    router = APIRouter()

    @router.get("/versions", tags=["Versioner"], operation_id="list_versions",
                summary="De publicerade versionerna, den senaste först")
    async def versions(request: Request):
        from uvts.graph.versions import list_versions

        items = await asyncio.to_thread(list_versions)
        current = getattr(request.app.state, "version", None)
        return _json({"current": current.id if current else None, "count": len(items),
                      "versions": [v.to_dict() for v in items]})

    @router.get("/versions/{id}", tags=["Versioner"], operation_id="get_version", summary="En publicerad version",
                responses=_errors(404, 422))
    async def version(request: Request, id: str = Path(..., max_length=64, description="versionens id")):
        from uvts.graph.versions import VersionError, resolve_version

        try:
            v = await asyncio.to_thread(resolve_version, id)
        except VersionError as exc:
            raise ApiError(404, str(exc)) from None
        return _json(v.to_dict())

    @router.get("/diff", tags=["Versioner"], operation_id="diff_versions",
                summary="Vad som ändrats mellan två versioner (standard: versionen före den senaste → den senaste)",
                responses=_errors(404, 422))
    async def diff(request: Request,
                   from_: Optional[str] = Query(None, alias="from", max_length=64, description="den tidigare versionen"),
                   to: Optional[str] = Query(None, max_length=64, description="den senare versionen")):
        result = await asyncio.to_thread(_diff, request.app, from_, to)
        return _json(result)

    return router


def make_router(settings):
    """The page ``/andringar``."""
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/andringar", response_class=HTMLResponse, include_in_schema=False)
    async def changes_page(request: Request):
        from uvts.graph.diff import grouped, summary_sentence
        from uvts.graph.versions import list_versions

        from .pages import _catalog, _error_page, _page

        catalog = await _catalog(request)
        items = await asyncio.to_thread(list_versions)
        frm = request.query_params.get("from") or None
        to = request.query_params.get("to") or None
        context = {"versions": [{"id": v.id, "label": version_label(v)} for v in items], "result": None,
                   "groups": [], "summary": None}
        if items:
            try:
                result = await asyncio.to_thread(_diff, request.app, frm, to, True)
            except ApiError as exc:
                return await _error_page(request, exc, back={"href": "/andringar", "text": "Till Ändringar"})
            current = getattr(request.app.state, "version", None)
            by_id = {v.id: v for v in items}
            groups = grouped(result)
            for group in groups:
                for item in group["items"]:
                    page = TYPE_PAGES.get(item["type"])
                    at = result["from"] if item["kind"] == "removed" else result["to"]
                    suffix = "" if current is not None and at == current.id else f"?at={at}"
                    item["href"] = f"/{page}/{item['id']}{suffix}" if page else None
            context.update(result=result, groups=groups, summary=summary_sentence(result["changes"]),
                           from_label=version_label(by_id[result["from"]]) if result["from"] else None,
                           to_label=version_label(by_id[result["to"]]))
        return _page(request, "changes.html", catalog, "changes", title="Ändringar", **context)

    return router
