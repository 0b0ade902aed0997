"""REST resources (JSON) over the knowledge graph: the router.

Routes (all ``GET``, all in the OpenAPI schema, every error in the one error shape):

* ``/risk-factors``, ``/prevention-levels``, ``/departments``, ``/interventions``,
  ``/actors`` (external actors), ``/forums``, ``/places``, ``/base-missions``: lists;
  ``/interventions`` filters by ``risk_factor``, ``level``, ``department``, ``place`` and
  ``age``;
* ``/{kind}/{id}``: one resource by its contract slug, with its fields, ``iri``, its
  ``source_lines`` and the exact plan text of those lines (``source_text``), and links
  (IRI, API path, page) to its neighbours;
* ``/risk-factors/{id}/actors``: who works on a risk factor, with the interventions (and
  base missions, marked) through which they do (the saved query ``who-works-on``);
* ``/analyses`` and ``/analyses/{name}``: the analyses of :mod:`uvts.graph.analyses`;
* ``/queries``, ``/queries/{name}`` and ``/queries/{name}/results?param=…``: the saved
  queries, run by name with their parameters;
* ``/plans``, ``/overview`` and ``/api/search?q=…``.

List endpoints, the analyses, who-works-on, saved queries and search take an optional
``plan`` (a plan id, municipality name or code; default: every plan in the store).

How it stays fast: everything static per process is computed once, lazily, per plan
scope, in a :class:`~uvts.api.catalog.Catalog` (the typed graph, every resource's JSON,
the search index, the analyses), and cached answers are sent as ready-made JSON bytes.
Work that is not cached yet runs in a thread, so the event loop keeps answering. The pages
(:mod:`uvts.api.pages`) read the same catalogue. The response models (the OpenAPI schema)
are in :mod:`uvts.api.models`.
"""

from __future__ import annotations

import asyncio
import difflib
from contextlib import asynccontextmanager
from typing import Any, Optional

from starlette.requests import Request

from .catalog import (KINDS, Kind, catalog_for, catalogs, filter_interventions, get_saved_query, query_info,
                      resolve_filter, saved_query_results)
from .errors import ApiError
from .models import (DETAIL_MODELS, AnalysisIndex, AnalysisInfo, AnalysisResult, ErrorBody, InterventionList,
                     Overview, PlanList, PlanOut, QueryResults, ResourceList, SavedQueryInfo, SavedQueryList,
                     SavedQueryOut, SearchResults, WhoWorksOn)

__all__ = ["make_router", "lifespan"]


# --- the router --------------------------------------------------------------------------------------------------

def _errors(*statuses: int) -> dict:
    text = {400: "Felaktig begäran", 404: "Finns inte (med förslag på närliggande id)",
            422: "Ogiltiga parametrar", 503: "Tjänsten kan inte svara just nu"}
    return {s: {"model": ErrorBody, "description": text.get(s, "Fel")} for s in statuses}


def _json(body: bytes):
    from starlette.responses import Response

    return Response(body, media_type="application/json")


PLAN_DESCRIPTION = ("En plan: planens id, kommunens namn eller kommunkod. Utan parameter (eller 'alla'): "
                    "alla planer i grafen.")



def make_router(settings):
    """The REST routes (see the module docstring)."""
    from fastapi import APIRouter, Path, Query

    router = APIRouter()
    plan_q = Query(None, description=PLAN_DESCRIPTION, max_length=200)
    id_p = Path(..., max_length=200, description="resursens id (slug), t.ex. psykisk-ohalsa")

    # -- plans and overview --

    @router.get("/plans", response_model=PlanList, tags=["Planer"], operation_id="list_plans",
                summary="Planerna i grafen")
    async def plans(request: Request):
        cats = catalogs(request.app)
        items = cats.plans() if cats._plans is not None else await asyncio.to_thread(cats.plans)
        return _json(PlanList(count=len(items), plans=[PlanOut.model_validate(p) for p in items])
                     .model_dump_json().encode("utf-8"))

    @router.get("/overview", response_model=Overview, tags=["Planer"], operation_id="overview",
                summary="Översiktssiffror: antal resurser och budget", responses=_errors(422))
    async def overview(request: Request, plan: Optional[str] = plan_q):
        catalog = await catalog_for(request, plan)
        return _json(catalog.json("overview", lambda: Overview.model_validate(catalog.overview())))

    # -- the resource kinds --

    def add_kind(kind: Kind):
        model = DETAIL_MODELS[kind.name]

        if kind.name != "interventions":
            async def list_kind(request: Request, plan: Optional[str] = plan_q):
                catalog = await catalog_for(request, plan)
                return _json(catalog.json(("list", kind.name), lambda: ResourceList.model_validate({
                    "kind": kind.name, "plan": catalog.plan, "count": len(catalog.records[kind.name]),
                    "items": [catalog.summary(r) for r in catalog.records[kind.name]]})))

            router.add_api_route(f"/{kind.name}", list_kind, methods=["GET"], response_model=ResourceList,
                                 tags=[kind.plural], operation_id=f"list_{kind.name.replace('-', '_')}",
                                 summary=f"{kind.plural}: en lista", responses=_errors(422))

        async def get_one(request: Request, id: str = id_p):
            catalog = await catalog_for(request)
            record = catalog.get(kind.name, id)
            return _json(catalog.json(("detail", kind.name, id), lambda: model.model_validate(record)))

        router.add_api_route(f"/{kind.name}/{{id}}", get_one, methods=["GET"], response_model=model,
                             tags=[kind.plural], operation_id=f"get_{kind.name.replace('-', '_')}",
                             summary=f"En {kind.singular}, med källtext och grannar", responses=_errors(404, 422))

    @router.get("/interventions", response_model=InterventionList, tags=["Insatser"],
                operation_id="list_interventions", summary="Insatser, med filter", responses=_errors(422))
    async def list_interventions(
            request: Request,
            risk_factor: Optional[str] = Query(None, max_length=200,
                                               description="riskfaktorns id (eller namn), t.ex. psykisk-ohalsa"),
            level: Optional[str] = Query(None, max_length=200, description="preventionsnivå: universell, selektiv "
                                                                            "eller indikerad"),
            department: Optional[str] = Query(None, max_length=200, description="ansvarig förvaltnings id, "
                                                                                 "t.ex. stod-och-omsorg"),
            place: Optional[str] = Query(None, max_length=200, description="platsens id, t.ex. alidhem"),
            age: Optional[int] = Query(None, ge=0, le=120, description="en ålder i år: insatser vars angivna "
                                                                      "målgruppsålder omfattar den"),
            plan: Optional[str] = plan_q):
        catalog = await catalog_for(request, plan)
        filters: dict[str, Any] = {}
        for param, value, kind in (("risk_factor", risk_factor, "risk-factors"), ("level", level, "prevention-levels"),
                                   ("department", department, "departments"), ("place", place, "places")):
            if value is not None:
                filters[param] = resolve_filter(catalog, kind, value, param)
        if age is not None:
            filters["age"] = age
        key = ("interventions", tuple(sorted(filters.items())))
        return _json(catalog.json(key, lambda: InterventionList.model_validate({
            "kind": "interventions", "plan": catalog.plan, "filters": filters,
            "count": len(items := filter_interventions(catalog, filters)), "items": items}), bounded=bool(filters)))

    for kind in KINDS.values():
        add_kind(kind)

    @router.get("/risk-factors/{id}/actors", response_model=WhoWorksOn, tags=["Riskfaktorer"],
                operation_id="who_works_on", responses=_errors(404, 422),
                summary="Vem arbetar med riskfaktorn? Med insatserna (och grunduppdragen) genom vilka")
    async def who_works_on(request: Request, id: str = id_p, plan: Optional[str] = plan_q):
        catalog = await catalog_for(request, plan)
        catalog.get("risk-factors", id)
        if id in catalog._who:
            data = catalog._who[id]
        else:
            data = await asyncio.to_thread(catalog.who_works_on, id)
        return _json(catalog.json(("who", id), lambda: WhoWorksOn.model_validate(data)))

    # -- analyses --

    @router.get("/analyses", response_model=AnalysisIndex, tags=["Analyser"], operation_id="list_analyses",
                summary="Analyserna", responses=_errors(422))
    async def analyses(request: Request, plan: Optional[str] = plan_q):
        from uvts.graph.analyses import NAMES

        catalog = await catalog_for(request, plan)
        titles = {"coverage": "Täckning", "gaps": "Luckor", "overlap": "Överlapp", "actors": "Nyckelaktörer",
                  "chain": "Kedjan"}
        return _json(AnalysisIndex(plan=catalog.plan, analyses=[
            AnalysisInfo(name=n, title=titles.get(n, n), path=f"/analyses/{n}") for n in NAMES]
        ).model_dump_json().encode("utf-8"))

    @router.get("/analyses/{name}", response_model=AnalysisResult, tags=["Analyser"], operation_id="get_analysis",
                summary="En analys (täckning, luckor, överlapp, nyckelaktörer)", responses=_errors(404, 422))
    async def analysis(request: Request, name: str = Path(..., max_length=100), plan: Optional[str] = plan_q,
                       seed: int = Query(0, ge=0, le=2 ** 31 - 1, description="slumpfrö för Louvain-grupperna")):
        from uvts.graph.analyses import NAMES

        if name not in NAMES:
            near = difflib.get_close_matches(name, NAMES, n=1)
            hint = f' Menade du "{near[0]}"?' if near else f" Välj en av {', '.join(NAMES)}."
            raise ApiError(404, f"Det finns ingen analys '{name}'.{hint}")
        catalog = await catalog_for(request, plan)
        data = await asyncio.to_thread(catalog.analysis, name, seed)
        return _json(catalog.json(("analysis", name, seed), lambda: AnalysisResult.model_validate(data),
                                  bounded=seed != 0))

    # -- saved queries --

    from uvts.graph.queries import list_queries

    saved = list_queries()

    @router.get("/queries", response_model=SavedQueryList, tags=["Sparade frågor"], operation_id="list_queries",
                summary="De sparade frågorna")
    async def queries():
        return SavedQueryList(count=len(saved), queries=[SavedQueryInfo.model_validate(query_info(q)) for q in saved])

    @router.get("/queries/{name}", response_model=SavedQueryOut, tags=["Sparade frågor"], operation_id="get_query",
                summary="En sparad fråga, med sin SPARQL-text", responses=_errors(404, 422))
    async def query(name: str = Path(..., max_length=100)):
        q = get_saved_query(name)
        return SavedQueryOut.model_validate({**query_info(q), "text": q.text})

    def add_results(q):
        async def results(request: Request, plan: Optional[str] = plan_q,
                          limit: int = Query(1000, ge=1, le=10_000, description="högst så många rader")):
            values = {k: v for k, v in request.query_params.items() if k not in ("plan", "limit")}
            catalog = await catalog_for(request, plan)
            data = await asyncio.to_thread(saved_query_results, catalog, q.name, values,
                                           min(limit, request.app.state.settings.result_limit))
            return _json(QueryResults.model_validate(data).model_dump_json().encode("utf-8"))

        parameters = []
        for p in q.params:
            schema: dict = {"type": "integer"} if p.kind == "integer" else {"type": "string", "maxLength": 300}
            if p.default is not None:
                schema["default"] = int(p.default) if p.kind == "integer" else p.default
            parameters.append({"name": p.name, "in": "query", "required": False, "schema": schema,
                               "description": f"{p.kind}" + (f" (standard {p.default})" if p.default else "")})
        router.add_api_route(f"/queries/{q.name}/results", results, methods=["GET"], response_model=QueryResults,
                             tags=["Sparade frågor"], operation_id=f"run_{q.name.replace('-', '_')}",
                             summary=q.summary, responses=_errors(400, 404, 422),
                             openapi_extra={"parameters": parameters} if parameters else None)

    for q in saved:
        add_results(q)

    @router.get("/queries/{name}/results", response_model=QueryResults, tags=["Sparade frågor"],
                operation_id="run_unknown_query", include_in_schema=False)
    async def unknown_results(name: str):
        get_saved_query(name)
        raise ApiError(404, f"Den sparade frågan '{name}' lades till efter att tjänsten startade; starta om tjänsten.")

    # -- search --

    @router.get("/api/search", response_model=SearchResults, tags=["Sök"], operation_id="search",
                summary="Sök på namn och svenska synonymer", responses=_errors(422))
    async def search(request: Request, q: str = Query(..., max_length=200, description="sökord"),
                     limit: int = Query(20, ge=1, le=200), plan: Optional[str] = plan_q):
        catalog = await catalog_for(request, plan)
        if catalog._search_index is None:
            await asyncio.to_thread(catalog.search_index)
        hits = catalog.search(q, limit=limit)
        return _json(SearchResults.model_validate({"query": q, "plan": catalog.plan, "count": len(hits),
                                                   "hits": hits}).model_dump_json().encode("utf-8"))

    from .versions_web import make_rest_router

    router.include_router(make_rest_router(settings))  # /versions, /diff (uvts.api.versions_web)
    return router


@asynccontextmanager
async def lifespan(app):
    """Build the all-plans catalogue at start-up (in a thread), so the first request is fast;
    forget the catalogues at shutdown (the store they read is closed then)."""
    cats = catalogs(app)
    await asyncio.to_thread(cats.get, None)
    try:
        yield
    finally:
        if getattr(app.state, "catalogs", None) is cats:
            app.state.catalogs = None
