"""The follow-up pages: the rounds, a page per round, the chain, and the indicator trend charts.

=======================================  ====================================================
``/uppfoljning``                         every round (newest first), the trend charts
``/uppfoljning/{round}``                 one round: status matrix förvaltning × riskfaktor
                                         (colour, symbol and text), the records with their
                                         comments and values, and what was not followed up
``/uppfoljning/kedjan``                  Brå's chain per intervention, missing links marked
``/uppfoljning/diagram/{key}.svg|.png``  an indicator's values over the rounds
=======================================  ====================================================

Each takes ``plan`` like the other pages. The intervention pages show the follow-up history
through :func:`history_context` (called from :func:`uvts.api.pages._parts`).
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .errors import ApiError

__all__ = ["make_router", "history_context", "PAGE"]

PAGE = "/uppfoljning"


def _link(catalog, iri: str) -> dict:
    return catalog.link(iri)


def history_context(catalog, iri: str) -> dict:
    """What an intervention page shows of its follow-up: the history and its trend charts."""
    from uvts.visualisations.follow_up import intervention_history, trend_series

    return {"follow_up_history": intervention_history(catalog.G, iri),
            "follow_up_trends": trend_series(catalog.G, iri)}


def _chain_rows(catalog) -> dict:
    from uvts.graph.analyses import find_table

    res = catalog.analysis("chain")
    table = find_table(res, "chain")
    links = table["links"]
    rows = []
    for r in table["rows"]:
        rows.append({"intervention": _link(catalog, r["intervention"]),
                     "department": _link(catalog, r["department"]) if r["department"] else None,
                     "links": [{"key": lk["key"], "ok": r[lk["key"]]} for lk in links],
                     "complete": r["complete"]})
    return {"explanation": table["explanation"], "links": links, "rows": rows,
            "summary": find_table(res, "chain-links")["rows"]}


def make_router(settings):
    from fastapi import APIRouter

    from .pages import _catalog, _error_page, _html_errors, _memo, _page, _plan_query

    router = APIRouter(include_in_schema=False)

    @router.get(PAGE, response_class=HTMLResponse)
    @_html_errors
    async def index(request: Request):
        from uvts.visualisations.follow_up import rounds, trend_series

        catalog = await _catalog(request)
        names = {p["id"]: p["municipality_label"] for p in catalog.all_plans}
        listed = [{**r, "plan_label": names.get(r["plan_slug"], r["plan_slug"])} for r in rounds(catalog.G)]
        return _page(request, "follow_up_index.html", catalog, "follow-up", title="Uppföljning",
                     rounds=listed, trends=trend_series(catalog.G), plan_query=_plan_query(catalog))

    @router.get(PAGE + "/kedjan", response_class=HTMLResponse)
    @_html_errors
    async def chain_page(request: Request):
        catalog = await _catalog(request)
        data = await asyncio.to_thread(_chain_rows, catalog)
        return _page(request, "follow_up_chain.html", catalog, "follow-up", title="Kedjan från problem till resultat",
                     chain=data)

    @router.get(PAGE + "/diagram/{file}")
    async def trend_chart(request: Request, file: str):
        from uvts.visualisations.follow_up import trend_png, trend_series, trend_svg

        key, _, ext = file.rpartition(".")
        catalog = await _catalog(request)
        series = {s["key"]: s for s in trend_series(catalog.G)}
        if key not in series or ext not in ("svg", "png"):
            raise ApiError(404, f"Det finns inget indikatordiagram '{file}'; ett diagram finns för varje indikator "
                                f"med minst två värden (se {PAGE}).")
        body = await asyncio.to_thread(
            _memo, catalog, ("trend", key, ext),
            lambda: trend_svg(series[key]) if ext == "svg" else trend_png(series[key]))
        return Response(body, media_type="image/svg+xml" if ext == "svg" else "image/png",
                        headers={"Cache-Control": "public, max-age=600"})

    @router.get(PAGE + "/{slug}", response_class=HTMLResponse)
    async def round_page(request: Request, slug: str):
        from uvts.visualisations.follow_up import round_by_slug, round_matrix, rounds

        catalog = await _catalog(request)
        rnd = round_by_slug(catalog.G, slug)
        if rnd is None:
            known = [r["slug"] for r in rounds(catalog.G)]
            hint = f" Omgångar: {', '.join(known)}." if known else " Det finns inga uppföljningsomgångar."
            return await _error_page(request, ApiError(404, f"Det finns ingen uppföljningsomgång '{slug}'.{hint}"),
                                     back={"href": PAGE, "text": "Alla uppföljningsomgångar"})
        m = round_matrix(catalog.G, rnd["iri"])
        rnd = {**rnd, "plan_label": {p["id"]: p["municipality_label"] for p in catalog.all_plans}.get(rnd["plan_slug"],
                                                                                                   rnd["plan_slug"])}
        for row in m["rows"]:
            row["link"] = _link(catalog, row["iri"])
        for col in m["columns"]:
            col["link"] = _link(catalog, col["iri"])
        for cells in m["cells"]:
            for c in cells:
                for e in c["entries"]:
                    e["link"] = _link(catalog, e["iri"])
        for r in m["records"]:
            r["link"] = _link(catalog, r["iri"])
        missing = [_link(catalog, x["iri"]) for x in m["not_followed_up"]]
        return _page(request, "follow_up_round.html", catalog, "follow-up", title=rnd["label"], rnd=rnd, m=m,
                     missing=missing)

    return router
