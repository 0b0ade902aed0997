"""The strategists' web pages: Swedish, rendered on the server, working with no internet.

Every page uses one layout (``templates/base.html``) with the navigation Start,
Riskfaktorer, Förvaltningar, Aktörer, Forum, Platser, Insatser, Nätverk, Frågor, Rapport
and Sök. Templates are Jinja2 with autoescaping on, so every string from the data is
escaped; the pages reference nothing but the service itself (their CSS and JavaScript
are served from ``/static``), and a Content-Security-Policy header says so to the browser.

=================================  ====================================================
``/``                              start page: overview figures, budget, charts
``/riskfaktorer``, ``/{kind}/{id}``  lists and one page per resource (facts, the exact
                                   plan text of its source lines, links to neighbours);
                                   also ``/nivaer``, ``/forvaltningar``, ``/aktorer``,
                                   ``/forum``, ``/platser``, ``/insatser`` (with filters),
                                   ``/grunduppdrag``
``/views``, ``/views/{name}``      the network views (:mod:`uvts.visualisations.views`)
``/charts/{name}.svg|.png``        the charts (:mod:`uvts.visualisations.charts`)
``/fragor``                        the saved queries as forms, and a SPARQL editor
                                   (``/fragor/sparql``; CSV at ``/fragor/sparql.csv``)
``/rapport``, ``/report.{ext}``    the report, as HTML, PDF, Excel or Markdown
``/search?q=…``                    full-text search (names, synonyms, titles, descriptions,
                                   goals, follow-ups) with Swedish stems, matches marked
=================================  ====================================================

Every page is Swedish only: ids, IRIs and JSON links are kept to a small "För utvecklare"
line at the bottom (``dev_links``). An unknown page asked for by a browser gets a Swedish
404 page with the menu and the nearest page (:func:`not_found_page`); JSON clients keep the
one error shape.

Pages take an optional ``plan`` (as the REST API does). The data comes from the same
catalogue as the REST resources (:mod:`uvts.api.catalog`); user-written SPARQL runs in the
SPARQL endpoint's worker processes, never in the server process.
"""

from __future__ import annotations

import asyncio
import functools
import json
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from uvts.graph import namespaces as ns
from uvts.graph.errors import DataError

from .errors import ApiError
from .page_text import explain_sparql_error, plural
from .catalog import (KINDS, Catalog, catalog_for, catalogs, filter_interventions, resolve_filter,
                      saved_query_results)

__all__ = ["make_router", "lifespan", "NAV", "TEMPLATES", "STATIC", "CSP", "render", "REPORT_FORMATS",
           "SHOWN_ROWS"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

NAV = (
    {"href": "/", "text": "Start", "key": "start"},
    {"href": "/riskfaktorer", "text": "Riskfaktorer", "key": "risk-factors"},
    {"href": "/forvaltningar", "text": "Förvaltningar", "key": "departments"},
    {"href": "/aktorer", "text": "Aktörer", "key": "actors"},
    {"href": "/forum", "text": "Forum", "key": "forums"},
    {"href": "/platser", "text": "Platser", "key": "places"},
    {"href": "/insatser", "text": "Insatser", "key": "interventions"},
    {"href": "/views", "text": "Nätverk", "key": "views"},
    {"href": "/uppfoljning", "text": "Uppföljning", "key": "follow-up"},
    {"href": "/fragor", "text": "Frågor", "key": "questions"},
    {"href": "/rapport", "text": "Rapport", "key": "report"},
    {"href": "/andringar", "text": "Ändringar", "key": "changes"},
    {"href": "/search", "text": "Sök", "key": "search"},
)

# Our pages load only their own style sheet and script; views carry their own (stricter) policy.
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")

# The report's formats: extension -> (media type, Swedish title, description)
REPORT_FORMATS = {
    "html": ("text/html; charset=utf-8", "HTML", "för webbläsaren, fristående (bilder och stil ingår)"),
    "pdf": ("application/pdf", "PDF", "för utskrift och arkiv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel",
             "tabellerna, ett blad per avsnitt"),
    "md": ("text/markdown; charset=utf-8", "Markdown", "ren text"),
}

# The report's editions: ?utgava= value -> Swedish name (the full one is the default)
REPORT_EDITIONS = {"fullstandig": "fullständig utgåva", "mote": "mötesutgåva"}

# The most rows of a user's SPARQL answer shown as a table (the CSV has them all).
SHOWN_ROWS = 1000

PARAM_LABELS = {"risk-factor": "Riskfaktor", "level": "Preventionsnivå", "department": "Förvaltning",
                "intervention": "Insats", "actor": "Extern aktör", "forum": "Samverkansforum", "place": "Plats",
                "iri": "Resurs", "integer": "Tal", "string": "Text"}
_PARAM_COLLECTIONS = {"risk-factor": "risk-factors", "level": "prevention-levels", "department": "departments",
                      "intervention": "interventions", "actor": "actors", "forum": "forums", "place": "places"}

EXAMPLE_SPARQL = """PREFIX uvts: <https://w3id.org/uvts/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?insats ?titel ?forvaltning WHERE {
  ?insats a uvts:Intervention ;
          uvts:addresses <https://w3id.org/uvts/id/risk-factor/psykisk-ohalsa> ;
          rdfs:label ?titel ;
          uvts:responsibleDepartment ?forvaltning .
}
ORDER BY ?titel"""


# --- rendering ----------------------------------------------------------------------------------------


def _sek(value) -> str:
    """``56700000`` -> ``"56 700 000 kr"`` (non-breaking spaces)."""
    if value is None:
        return ""
    number = round(float(value))
    return f"{number:,}".replace(",", "\u00a0") + "\u00a0kr"


def _millions(value) -> str:
    """``56700000`` -> ``"56,7 miljoner kronor"``."""
    if value is None:
        return ""
    text = f"{float(value) / 1e6:.1f}".replace(".", ",").removesuffix(",0")
    return f"{text} miljoner kronor"


@functools.lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment: our templates, autoescaping always on, undefined names an error."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      keep_trailing_newline=True)
    env.filters["sek"] = _sek
    env.filters["millions"] = _millions
    env.filters["plural"] = plural
    return env


def render(template: str, **context) -> str:
    """Render one of our templates (every string escaped)."""
    return environment().get_template(template).render(**context)


def _plan_phrase(catalog: Catalog) -> str:
    plans = catalogs_plans(catalog)
    if catalog.plan is not None:
        chosen = [p for p in plans if p["id"] == catalog.plan]
        if chosen:
            return f"{chosen[0]['municipality_label']}s plan ({chosen[0]['label']})"
    if len(plans) == 1:
        return f"{plans[0]['municipality_label']}s plan ({plans[0]['label']})"
    return f"{len(plans)} kommuners planer"


def catalogs_plans(catalog: Catalog) -> list[dict]:
    return catalog.all_plans


def _page(request: Request, template: str, catalog: Catalog, active: str | None, status: int = 200,
          **context) -> HTMLResponse:
    body = render(template, nav=NAV, active=active, q=context.pop("q", None), plan=catalog.plan,
                  plans=catalogs_plans(catalog), plan_phrase=_plan_phrase(catalog),
                  dev_links=context.pop("dev_links", None) or [], status=status, **context)
    return HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": CSP})


async def _catalog(request: Request) -> Catalog:
    """The catalogue for the page's ``plan`` parameter (every plan when it is absent or empty)."""
    return await catalog_for(request, request.query_params.get("plan") or None)


async def _error_page(request: Request, exc: ApiError, back: dict | None = None,
                      suggestion: dict | None = None) -> HTMLResponse:
    catalog = await catalog_for(request)
    heading = {404: "Sidan finns inte", 422: "Ogiltiga parametrar"}.get(exc.status, "Något gick fel")
    return _page(request, "error.html", catalog, None, status=exc.status, heading=heading, message=exc.message,
                 suggestion=suggestion, back=back or {"href": "/", "text": "Till startsidan"}, title=heading)


def nearest_page(catalog: Catalog, path: str) -> dict | None:
    """The page nearest to an unknown ``path`` (``{"href", "label"}``): a menu or list page with a
    similar address (``/riskfaktor``, ``/Rapport``), else the resource whose id or name is nearest
    to the path's last part (``/psykisk-ohalsa``)."""
    import difflib

    wanted = path.strip().lower().rstrip("/") or "/"
    pages = {item["href"]: item["text"] for item in NAV}
    pages.update({f"/{k.page}": k.plural for k in KINDS.values()})
    near = difflib.get_close_matches(wanted, list(pages), n=1, cutoff=0.6)
    if near:
        return {"href": near[0], "label": pages[near[0]]}
    resources = {r["page"]: r["label"] for records in catalog.records.values() for r in records}
    near = difflib.get_close_matches(wanted, list(resources), n=1, cutoff=0.75)
    if near:
        return {"href": near[0], "label": resources[near[0]]}
    last = wanted.rsplit("/", 1)[-1]
    for kind in KINDS:
        found = catalog.suggest(kind, last) if last else None
        if found and difflib.SequenceMatcher(None, ns.slugify(last), found).ratio() >= 0.6:
            return {"href": f"/{KINDS[kind].page}/{found}", "label": catalog.index[(kind, found)]["label"]}
    return None


async def not_found_page(request: Request) -> HTMLResponse:
    """The Swedish 404 page for an unknown address asked for by a browser: the menu, the nearest
    page, a search box. (:mod:`uvts.api.errors` calls it through ``app.state.html_not_found``.)"""
    catalog = await catalog_for(request)
    path = request.url.path
    exc = ApiError(404, f"Det finns ingen sida på adressen {path}.")
    near = await asyncio.to_thread(nearest_page, catalog, path)  # difflib over every page: not in the event loop
    return await _error_page(request, exc, suggestion=near)


def _html_errors(handler):
    """Answer an :class:`ApiError` raised by a page handler with the Swedish error page."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        try:
            return await handler(request, *args, **kwargs)
        except ApiError as exc:
            return await _error_page(request, exc)

    return wrapper


def _plan_query(catalog: Catalog) -> str:
    return f"?{urlencode({'plan': catalog.plan})}" if catalog.plan else ""


# --- what each resource page shows ------------------------------------------------------------------------


def _age_text(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"{lo}–{hi} år"
    if lo is not None:
        return f"från {lo} år"
    if hi is not None:
        return f"upp till {hi} år"
    return ""


def evidence_text(a: dict) -> str:
    """One risk-factor link with its evidence: "Psykisk ohälsa — rad 2161-2163: …"."""
    if not a.get("lines"):
        return a["risk_factor"]["label"]
    where = f"rad {a['lines']}" if "-" not in a["lines"] and "," not in a["lines"] else f"rader {a['lines']}"
    return f"{a['risk_factor']['label']} — {where}: {a['evidence']}"


def _evidence_fact(facts: list, r: dict) -> None:
    """The plan's justification of each risk-factor link, next to the links."""
    if any(a.get("lines") for a in r.get("addressing") or []):
        facts.append({"label": "Kopplingen enligt planen", "bullets": [evidence_text(a) for a in r["addressing"]]})


def _parts(catalog: Catalog, kind: str, r: dict) -> dict:
    """Facts (``label`` + ``text``/``links``/``items``) and link sections of one resource page."""
    facts: list[dict] = []
    sections: list[dict] = []

    def text(label, value):
        if value not in (None, ""):
            facts.append({"label": label, "text": value})

    if r["definition"]:
        text("Definition", r["definition"])
    if kind == "risk-factors":
        text("Antal insatser", str(len(r["interventions"])))
        facts.append({"label": "Per preventionsnivå",
                      "bullets": [f"{lv['level']['label']}: {plural(lv['interventions'], 'insats', 'insatser')}"
                                  for lv in r["levels"]]})
        facts.append({"label": "Förvaltningar", "links": r["departments"]})
        sections += [{"title": "Insatser", "links": r["interventions"]},
                     {"title": "Grunduppdrag", "links": r["base_missions"]}]
    elif kind == "prevention-levels":
        sections += [{"title": "Insatser", "links": r["interventions"]},
                     {"title": "Riskfaktorer", "links": r["risk_factors"]}]
    elif kind == "departments":
        text("Budgettillskott", _sek(r["budget_addition"]) if r["budget_addition"] is not None else "ej angivet")
        facts.append({"label": "Grunduppdrag", "links": [r["base_mission"]] if r["base_mission"] else []})
        facts.append({"label": "Riskfaktorer", "links": r["risk_factors"]})
        facts.append({"label": "Samverkansforum", "links": r["forums"]})
        sections += [{"title": "Insatser och grunduppdrag där förvaltningen medverkar", "links": r["involved_in"]}]
    elif kind == "interventions":
        facts.append({"label": "Ansvarig förvaltning", "links": [r["department"]] if r["department"] else []})
        text("Vad", r["description"])
        facts.append({"label": "Mål", "bullets": r["goals"]})
        facts.append({"label": "Uppföljning", "bullets": r["follow_ups"]})
        text("När", r["timing"])
        text("Målgrupp", r["target_group"])
        text("Ålder", _age_text(r["min_age"], r["max_age"]))
        facts.append({"label": "Riskfaktorer", "links": r["risk_factors"]})
        _evidence_fact(facts, r)
        facts.append({"label": "Preventionsnivåer", "links": r["levels"]})
        facts.append({"label": "Medverkande", "links": r["involves"]})
        facts.append({"label": "Platser", "links": r["places"]})
        if r["other_links"]:
            facts.append({"label": "Andra kopplingar", "links": r["other_links"]})
        if r["same_activity_as"]:
            facts.append({"label": "Samma aktivitet som", "links": r["same_activity_as"]})
    elif kind == "actors":
        text("Kategori", r["category"]["label"] if r["category"] else None)
        sections += [{"title": "Samverkansforum", "links": r["forums"]},
                     {"title": "Insatser där aktören medverkar", "links": r["interventions"]},
                     {"title": "Grunduppdrag där aktören nämns", "links": r["base_missions"]}]
    elif kind == "forums":
        text("Syfte", r["purpose"])
        text("Roll i arbetet", r.get("role"))
        text("Förkortningen står för", r["acronym_expansion"])
        sections += [{"title": "Medlemmar", "links": r["members"]},
                     {"title": "Insatser", "links": r["interventions"]},
                     {"title": "Grunduppdrag", "links": r["base_missions"]}]
    elif kind == "places":
        text("Typ", r["place_kind_label"])
        text("Prioriterat område", "ja" if r["priority_area"] else "nej")
        if r.get("focus_period"):
            text("Fokusområde", f"under perioden {r['focus_period'].replace('-', '–')}")
        sections += [{"title": "Insatser", "links": r["interventions"]},
                     {"title": "Grunduppdrag", "links": r["base_missions"]}]
    elif kind == "base-missions":
        facts.append({"label": "Förvaltning", "links": [r["department"]] if r["department"] else []})
        text("Beskrivning", r["description"])
        facts.append({"label": "Riskfaktorer", "links": r["risk_factors"]})
        _evidence_fact(facts, r)
        facts.append({"label": "Medverkande", "links": r["involves"]})
        facts.append({"label": "Platser", "links": r["places"]})
    if len(r["plans"]) > 1:
        text("Planer", ", ".join(r["plans"]))
    extra = {}
    if kind == "interventions":  # the follow-up history and trends (api/follow_up_pages.py)
        from .follow_up_pages import history_context

        extra = history_context(catalog, r["iri"])
    return {"facts": facts, "sections": sections, "budget_items": r.get("budget_items") or [], **extra}


def _sources(catalog: Catalog, r: dict) -> list[dict]:
    from uvts.graph.models import parse_line_ranges

    names = {p["id"]: p["municipality_label"] for p in catalogs_plans(catalog)}
    out = []
    for s in r["sources"]:
        ranges = []
        if s["text"] is not None:
            for start, end in parse_line_ranges(s["lines"]):
                lines = f"{start}-{end}" if end != start else str(start)
                numbered = catalog.texts.numbered(s["plan"], lines) or []
                ranges.append({"lines": lines, "numbered": numbered})
        out.append({"plan": s["plan"], "plan_label": names.get(s["plan"], s["plan"]), "lines": s["lines"],
                    "ranges": ranges})
    return out


def _resource_extras(catalog: Catalog, kind: str, r: dict, who: dict | None) -> dict:
    """What a resource page shows besides facts and sections: names in Swedish only, the actor ×
    level table of a risk factor, a department's interventions and partners, whether the plan
    text is long enough to fold away, and the machine links for developers."""
    from .page_content import actor_levels, department_partners

    swedish = catalog.swedish_names(r["iri"])
    lines = sum(len(rg["numbered"]) for s in _sources(catalog, r) for rg in s["ranges"])
    return {"alt_labels": [a for a in r["alt_labels"] if a in swedish],
            "levels_table": actor_levels(catalog, who) if who is not None else None,
            "department_interventions": ([catalog.index[("interventions", l["id"])] for l in r["interventions"]]
                                         if kind == "departments" else None),
            "partners": department_partners(catalog, r) if kind == "departments" else None,
            "fold_text": kind == "departments" or lines > FOLD_LINES, "text_lines": lines,
            "dev_links": [{"href": r["path"], "text": "uppgifterna som JSON"}]}


# Plan excerpts longer than this are folded away (in <details>) on a resource page.
FOLD_LINES = 120

_VIEW_PREFIX = {"risk-factors": "risk-factor-", "departments": "department-", "actors": "actor-"}


# --- list pages ------------------------------------------------------------------------------------------------


def _columns(kind: str) -> list[dict]:
    count = {"title": "Insatser", "number": True, "value": lambda r: len(r["interventions"])}
    if kind == "risk-factors":
        return [count, {"title": "Grunduppdrag", "number": True, "value": lambda r: len(r["base_missions"])}]
    if kind == "departments":
        return [count, {"title": "Budgettillskott", "number": True, "value": lambda r: _sek(r["budget_addition"])}]
    if kind == "actors":
        return [{"title": "Kategori", "number": False, "value": lambda r: r["category"]["label"] if r["category"] else ""},
                count, {"title": "Forum", "number": True, "value": lambda r: len(r["forums"])}]
    if kind == "forums":
        return [{"title": "Medlemmar", "number": True, "value": lambda r: len(r["members"])}, count]
    if kind == "places":
        return [{"title": "Typ", "number": False, "value": lambda r: r["place_kind_label"] or ""}, count,
                {"title": "Prioriterat område", "number": False, "value": lambda r: "ja" if r["priority_area"] else ""}]
    if kind == "base-missions":
        return [{"title": "Förvaltning", "number": False,
                 "value": lambda r: r["department"]["label"] if r["department"] else ""},
                {"title": "Riskfaktorer", "number": True, "value": lambda r: len(r["risk_factors"])}]
    return [count]


# --- SPARQL through the endpoint's worker pool ---------------------------------------------------------------


async def run_user_sparql(request: Request, text: str, accept: str) -> tuple[str, bytes]:
    """Run a user's query in the SPARQL endpoint's worker pool: ``(media type, body)``.

    Raises :class:`ApiError` with the endpoint's Swedish messages (400 for a bad query,
    503 when the time limit passes or every worker is busy).
    """
    from .sparql import run_in_pool

    reply = await run_in_pool(request, text, accept)
    body = reply["body"]
    return reply["media_type"], body if isinstance(body, bytes) else str(body).encode("utf-8")


def _excel_csv(media_type: str, body: bytes) -> bytes:
    """A SELECT answer (SPARQL JSON) as the tool's one CSV dialect for Excel (``uvts.graph.csvfile``):
    semicolons, UTF-8 with BOM, decimal commas, cells Excel would read as formulas escaped."""
    import json

    from uvts.graph.csvfile import csv_bytes

    if "json" not in media_type:
        raise ApiError(400, "CSV finns bara för SELECT-frågor; ladda ned svaret på en CONSTRUCT- eller DESCRIBE-fråga "
                            "från SPARQL-tjänsten i stället.")
    data = json.loads(body)
    if "boolean" in data:
        return csv_bytes([["svar"], ["ja" if data["boolean"] else "nej"]])
    names = data["head"]["vars"]
    decimals = {ns.XSD + t for t in ("decimal", "double", "float")}

    def cell(b):
        if b is None:
            return ""
        value = b["value"]
        return value.replace(".", ",") if b.get("datatype") in decimals else value

    return csv_bytes([names] + [[cell(row.get(v)) for v in names] for row in data["results"]["bindings"]])


def _short_iri(value: str) -> str:
    for prefix, base in ns.PREFIXES.items():
        if value.startswith(base) and len(value) > len(base):
            return f"{prefix}:{value[len(base):]}"
    if value.startswith(ns.ID):
        return value[len(ns.ID):]
    return value


def _for_display(answer: dict, catalog: Catalog | None = None) -> dict:
    """A saved query's answer for the page: a column ``xLabel`` is left out when ``x`` is a linked
    resource (the link shows the label), and so is a text column that only repeats the names of a
    linked column (``title`` beside ``intervention``); ontology classes are shown by their Swedish
    names, other IRIs by their name in the graph."""
    from uvts.graph.project import TYPE_LABELS

    rows = answer["rows"]
    linked = {v for v in answer["vars"] if rows and all(r[v] is None or r[v].get("page") for r in rows)}

    def repeats(v: str) -> bool:
        if v in linked or not any(r[v] is not None for r in rows):
            return False
        return all(r[v] is None or (r[v]["type"] != "uri" and any(r[w] is not None and r[w]["label"] == r[v]["value"]
                                                                   for w in linked)) for r in rows)

    chosen = {str(value) for value in (answer.get("params") or {}).values()}

    def is_the_parameter(v: str) -> bool:  # every row names the resource the user chose: said above the table
        cells = [r[v] for r in rows]
        return bool(rows) and v in linked and all(c is not None and c.get("page") and
                                                  c["page"].rsplit("/", 1)[-1] in chosen for c in cells) and \
            len({c["page"] for c in cells}) == 1

    shown = [v for v in answer["vars"] if not (v.endswith("Label") and v[:-5] in linked) and not repeats(v)
             and not is_the_parameter(v)]
    for row in rows:
        for c in row.values():
            if c is not None and c["type"] == "uri" and not c.get("page"):
                local = c["value"][len(ns.UVTS):] if c["value"].startswith(ns.UVTS) else None
                c["short"] = _short_iri(c["value"])
                if local in TYPE_LABELS:
                    c["label"] = TYPE_LABELS[local]
                elif catalog is not None and not c.get("label"):
                    name = catalog.label(c["value"])
                    if name != ns.slug_of(c["value"]):
                        c["label"] = name
    return {**answer, "vars": shown}


def _cell_from_json(catalog: Catalog, b: dict | None) -> dict | None:
    if b is None:
        return None
    typ = {"typed-literal": "literal"}.get(b.get("type"), b.get("type", "literal"))
    out = {"type": typ, "value": b.get("value", ""), "page": None, "label": None, "short": None}
    if typ == "uri":
        if out["value"] in catalog.by_iri:
            link = catalog.link(out["value"])
            out.update(page=link["page"], label=link["label"])
        out["short"] = _short_iri(out["value"])
    return out


def parse_sparql_json(catalog: Catalog, media_type: str, body: bytes) -> dict:
    """A SPARQL answer as table data: ``vars``, ``rows`` (cells), or ``boolean``, or ``graph`` (text)."""
    if "json" not in media_type:
        return {"vars": [], "rows": [], "boolean": None, "graph": body.decode("utf-8", "replace"), "shown": 0}
    doc = json.loads(body)
    if "boolean" in doc:
        return {"vars": [], "rows": [], "boolean": bool(doc["boolean"]), "graph": None, "shown": 0}
    names = list(doc.get("head", {}).get("vars", []))
    rows = [{v: _cell_from_json(catalog, b.get(v)) for v in names} for b in doc.get("results", {}).get("bindings", [])]
    return {"vars": names, "rows": rows, "boolean": None, "graph": None, "shown": min(len(rows), SHOWN_ROWS)}


async def _form_query(request: Request) -> str | None:
    """The ``query`` of a page request: from the URL (GET) or an urlencoded form (POST)."""
    if request.method == "GET":
        return request.query_params.get("query")
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise ApiError(415, "Formuläret måste skickas som application/x-www-form-urlencoded.")
    try:
        fields = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise ApiError(400, "Formuläret är inte giltig UTF-8.") from None
    return fields.get("query")


# --- the router ------------------------------------------------------------------------------------------------


def _static_files() -> dict[str, tuple[bytes, str]]:
    types = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
    return {p.name: (p.read_bytes(), types[p.suffix]) for p in sorted(STATIC.iterdir()) if p.suffix in types}


def make_router(settings):
    """The page routes (not in the OpenAPI schema: they answer HTML)."""
    from fastapi import APIRouter

    router = APIRouter(include_in_schema=False)
    static = _static_files()

    # -- start --

    @router.get("/", response_class=HTMLResponse)
    @_html_errors
    async def start(request: Request):
        catalog = await _catalog(request)
        from uvts.visualisations.charts import CHART_TITLES

        overview = catalog.overview()
        counts = overview["counts"]
        figures = [{"count": counts[k], "text": text, "href": f"/{KINDS[k].page}{_plan_query(catalog)}"}
                   for k, text in (("interventions", "insatser"), ("departments", "förvaltningar"),
                                   ("actors", "externa aktörer"), ("forums", "samverkansforum"),
                                   ("places", "platser"), ("risk-factors", "riskfaktorer"))]
        pq = _plan_query(catalog)
        charts = [{"src": f"/charts/{name}.svg{pq}", "png": f"/charts/{name}.png{pq}", "title": title}
                  for name, title in CHART_TITLES.items()]
        return _page(request, "start.html", catalog, "start", title="Start", overview=overview, figures=figures,
                     risk_factors=catalog.records["risk-factors"], charts=charts)

    # -- lists and resources --

    def add_kind(kind):
        @_html_errors
        async def list_page(request: Request):
            catalog = await _catalog(request)
            return _page(request, "list.html", catalog, kind.name, title=kind.plural, kind=kind,
                         items=catalog.records[kind.name], columns=_columns(kind.name),
                         count_text=kind.plural.lower(),
                         dev_links=[{"href": f"/{kind.name}{_plan_query(catalog)}", "text": "listan som JSON"}])

        async def resource_page(request: Request, id: str):
            catalog = await catalog_for(request)
            record = catalog.index.get((kind.name, id))
            if record is None:
                near = catalog.suggest(kind.name, id)
                suggestion = None
                if near:
                    suggestion = {"href": f"/{kind.page}/{near}", "label": catalog.index[(kind.name, near)]["label"]}
                exc = ApiError(404, f"Det finns ingen {kind.singular} på adressen {request.url.path}.")
                return await _error_page(request, exc, back={"href": f"/{kind.page}", "text": f"Alla {kind.plural.lower()}"},
                                         suggestion=suggestion)
            who = None
            if kind.name == "risk-factors":
                who = catalog._who.get(id) or await asyncio.to_thread(catalog.who_works_on, id)
            parts = _parts(catalog, kind.name, record)
            view = f"/views/{_VIEW_PREFIX[kind.name]}{id}" if kind.name in _VIEW_PREFIX else None
            return _page(request, "resource.html", catalog, kind.name, title=record["label"], kind=kind, r=record,
                         who=who, sources=_sources(catalog, record), view=view, **parts,
                         **_resource_extras(catalog, kind.name, record, who))

        if kind.name != "interventions":
            router.add_api_route(f"/{kind.page}", list_page, methods=["GET"], response_class=HTMLResponse)
        router.add_api_route(f"/{kind.page}/{{id}}", resource_page, methods=["GET"], response_class=HTMLResponse)

    @router.get("/insatser", response_class=HTMLResponse)
    @_html_errors
    async def interventions_page(request: Request):
        catalog = await _catalog(request)
        params = request.query_params
        filters, error, status = {}, None, 200
        choices = []
        for name, label, kind in (("risk_factor", "Riskfaktor", "risk-factors"), ("level", "Nivå", "prevention-levels"),
                                  ("department", "Förvaltning", "departments"), ("place", "Plats", "places")):
            value = params.get(name) or None
            if value is not None:
                try:
                    filters[name] = resolve_filter(catalog, kind, value, name)
                except ApiError as exc:
                    error, status = exc.message, exc.status
            choices.append({"name": name, "label": label, "value": filters.get(name),
                            "options": [{"id": r["id"], "label": r["label"]} for r in catalog.records[kind]]})
        age = None
        if params.get("age"):
            try:
                age = int(params["age"])
                if not 0 <= age <= 120:
                    raise ValueError
                filters["age"] = age
            except ValueError:
                error, status = f"Åldern måste vara ett heltal 0–120, fick {params['age']!r}.", 422
        chosen = {s["id"] for s in filter_interventions(catalog, filters)} if error is None else set()
        items = [{**r, "age_text": _age_text(r["min_age"], r["max_age"])}
                 for r in catalog.records["interventions"] if r["id"] in chosen]
        query = {k: v for k, v in filters.items()}
        if catalog.plan:
            query["plan"] = catalog.plan
        api_path = "/interventions" + (f"?{urlencode(query)}" if query else "")
        return _page(request, "interventions.html", catalog, "interventions", status=status, title="Insatser",
                     items=items, total=len(catalog.records["interventions"]), filters=choices, age=age, error=error,
                     dev_links=[{"href": api_path, "text": "urvalet som JSON"}])

    for kind in KINDS.values():
        add_kind(kind)

    # -- network views and charts --

    @router.get("/views", response_class=HTMLResponse)
    @_html_errors
    async def views_index(request: Request):
        catalog = await _catalog(request)
        from uvts.visualisations.views import VIEW_NOTES, view_names

        pq = _plan_query(catalog)
        groups: dict[str, list] = {"Översikt": [], "Riskfaktorer": [], "Förvaltningar": [], "Externa aktörer": []}
        for name, title in view_names(catalog.G):
            key = ("Riskfaktorer" if name.startswith("risk-factor-") else "Förvaltningar"
                   if name.startswith("department-") else "Externa aktörer" if name.startswith("actor-") else "Översikt")
            groups[key].append({"href": f"/views/{name}{pq}", "title": title, "note": VIEW_NOTES.get(name)})
        return _page(request, "views.html", catalog, "views", title="Nätverk",
                     groups=[(k, v) for k, v in groups.items() if v])

    @router.get("/views/{name}", response_class=HTMLResponse)
    @_html_errors
    async def view_page(request: Request, name: str):
        catalog = await _catalog(request)
        from uvts.visualisations.views import view_names

        if name not in dict(view_names(catalog.G)):
            exc = ApiError(404, f"Det finns ingen nätverksvy som heter '{name}'.")
            return await _error_page(request, exc, back={"href": "/views", "text": "Alla nätverksvyer"})
        html = await asyncio.to_thread(_render_view, catalog, name)
        return HTMLResponse(html)

    @router.get("/charts/{file}")
    async def chart(request: Request, file: str):
        from uvts.visualisations.charts import CHARTS

        name, _, ext = file.rpartition(".")
        if name not in CHARTS or ext not in ("svg", "png"):
            raise ApiError(404, f"Det finns inget diagram '{file}'; finns: "
                                f"{', '.join(f'{c}.svg' for c in CHARTS)} (eller .png).")
        catalog = await catalog_for(request, request.query_params.get("plan") or None)
        body = await asyncio.to_thread(_render_chart, catalog, name, ext)
        return Response(body, media_type="image/svg+xml" if ext == "svg" else "image/png",
                        headers={"Cache-Control": "public, max-age=600"})

    # -- questions: saved queries as forms, and the SPARQL editor --

    @router.get("/fragor", response_class=HTMLResponse)
    @_html_errors
    async def questions(request: Request):
        catalog = await _catalog(request)
        chosen = request.query_params.get("fraga") or None
        context = {"answer": None, "answer_error": None, "answer_query": None, "answer_json": None,
                   "answer_labels": {}, "chosen": chosen, "answer_params": [], "headings": {}}
        status = 200
        if chosen is not None:
            from uvts.graph.queries import get_query

            reserved = {"fraga", "plan"}
            values = {k: v for k, v in request.query_params.items() if k not in reserved}
            try:
                answer = await asyncio.to_thread(saved_query_results, catalog, chosen, values,
                                                 request.app.state.settings.result_limit)
                query = get_query(chosen)
                answer = _for_display(answer, catalog)
                labels = {}
                for p in query.params:
                    value = answer["params"].get(p.name)
                    collection = _PARAM_COLLECTIONS.get(p.kind)
                    if collection and (collection, value) in catalog.index:
                        labels[p.name] = catalog.index[(collection, value)]["label"]
                    elif p.kind == "iri" and value in catalog.by_iri:
                        labels[p.name] = catalog.label(value)
                json_query = dict(answer["params"])
                if catalog.plan:
                    json_query["plan"] = catalog.plan
                answer_json = f"/queries/{chosen}/results?{urlencode(json_query)}"
                context.update(answer=answer, answer_query=query, answer_labels=labels, answer_json=answer_json,
                               answer_params=[{"label": PARAM_LABELS.get(p.kind, p.name),
                                               "value": labels.get(p.name, answer["params"].get(p.name))}
                                              for p in query.params if p.name in answer["params"]],
                               headings=query.headings,
                               dev_links=[{"href": answer_json, "text": "svaret som JSON"}])
            except ApiError as exc:
                context["answer_error"] = exc.message
                status = exc.status
        return _page(request, "questions.html", catalog, "questions", status=status, title="Frågor",
                     forms=_forms(catalog, chosen, request.query_params), sparql_text=EXAMPLE_SPARQL,
                     sparql_result=None, sparql_error=None, sparql_problem=None, csv_href=None, **_limits(request),
                     **context)

    @router.api_route("/fragor/sparql", methods=["GET", "POST"], response_class=HTMLResponse)
    async def sparql_editor(request: Request):
        catalog = await catalog_for(request)
        status, result, error = 200, None, None
        try:
            text = await _form_query(request)
        except ApiError as exc:
            text, error, status = "", exc.message, exc.status
        if text is None:
            text = EXAMPLE_SPARQL
        elif error is None:
            try:
                media_type, body = await run_user_sparql(
                    request, text, "application/sparql-results+json, text/turtle;q=0.9")
                result = parse_sparql_json(catalog, media_type, body)
            except ApiError as exc:
                error, status = exc.message, exc.status
        problem = explain_sparql_error(error, text) if error else None
        return _page(request, "questions.html", catalog, "questions", status=status, title="Frågor",
                     forms=_forms(catalog, None, {}), sparql_text=text, sparql_result=result,
                     sparql_error=problem["message"] if problem else error, sparql_problem=problem,
                     csv_href="/fragor/sparql.csv?" + urlencode({"query": text}), answer=None, answer_error=None,
                     answer_query=None, answer_json=None, answer_labels={}, chosen=None, answer_params=[],
                     headings={}, **_limits(request))

    @router.get("/fragor/sparql.csv")
    async def sparql_csv(request: Request):
        text = request.query_params.get("query")
        if text is None:
            raise ApiError(400, "Parametern 'query' saknas.")
        media_type, body = await run_user_sparql(request, text, "application/sparql-results+json")
        return Response(_excel_csv(media_type, body), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="svar.csv"'})

    # -- report --

    @router.get("/rapport", response_class=HTMLResponse)
    @_html_errors
    async def report_page(request: Request):
        catalog = await _catalog(request)
        pq = _plan_query(catalog)
        formats = [{"href": f"/report.{ext}{pq}", "title": title, "ext": ext, "text": text}
                   for ext, (_, title, text) in REPORT_FORMATS.items()]
        meeting_q = f"{pq}&utgava=mote" if pq else "?utgava=mote"
        formats.insert(2, {"href": f"/report.pdf{meeting_q}", "title": "PDF, mötesutgåva", "ext": "pdf",
                           "text": "kort utgåva för mötet: sammanfattning, värmekartor, luckor, överlapp och forum "
                                   "(högst tolv sidor)"})
        return _page(request, "report.html", catalog, "report", title="Rapport", formats=formats)

    @router.get("/report.{ext}")
    async def report_download(request: Request, ext: str):
        if ext not in REPORT_FORMATS:
            raise ApiError(404, f"Rapporten finns som {', '.join('report.' + e for e in REPORT_FORMATS)}; "
                                f"inte som report.{ext}.")
        edition = request.query_params.get("utgava") or "fullstandig"
        if edition not in REPORT_EDITIONS:
            raise ApiError(400, f"Rapporten finns i utgåvorna {' och '.join(REPORT_EDITIONS)} "
                                f"(utgava=mote för mötesutgåvan); inte som utgava={edition[:40]}.")
        catalog = await catalog_for(request, request.query_params.get("plan") or None)
        content, media_type, filename = await run_report(request.app, catalog, ext, edition)
        return Response(content, media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    # -- search --

    @router.get("/search", response_class=HTMLResponse)
    @_html_errors
    async def search_page(request: Request):
        catalog = await _catalog(request)
        q = (request.query_params.get("q") or "")[:200]
        if q and catalog.__dict__.get("_fulltext") is None:
            await asyncio.to_thread(lambda: (catalog.search_index(), catalog.fulltext_index()))
        hits = [{**h, "kind_label": KINDS[h["kind"]].singular.capitalize()} for h in catalog.fulltext(q)] if q else []
        return _page(request, "search.html", catalog, "search", title=f"Sök: {q}" if q else "Sök", q=q, hits=hits)

    # -- our static files --

    @router.get("/static/{name}")
    async def static_file(name: str):
        if name not in static:
            raise ApiError(404, f"Det finns ingen fil '{name}' under /static.")
        body, media_type = static[name]
        return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})

    return router


def _limits(request: Request) -> dict:
    settings = request.app.state.settings
    return {"timeout": f"{settings.query_timeout:g}".replace(".", ","), "result_limit": settings.result_limit}


def _forms(catalog: Catalog, chosen: str | None, values) -> list[dict]:
    """The saved queries as forms: a ``<select>`` of Swedish names for every resource parameter."""
    from uvts.graph.queries import list_queries

    forms = []
    for q in ordered_questions(list_queries(), len(catalog.all_plans)):
        params = []
        for p in q.params:
            collection = _PARAM_COLLECTIONS.get(p.kind)
            value = values.get(p.name) if chosen == q.name else None
            if value is None:
                value = p.default
            options = None
            if collection is not None:
                options = [{"label": None, "options": [{"value": r["id"], "label": r["label"]}
                                                       for r in catalog.records[collection]]}]
                if value and value.startswith(("http://", "https://")) and value in catalog.by_iri:
                    value = catalog.by_iri[value][1]
            elif p.kind == "iri":
                options = [{"label": KINDS[k].plural, "options": [{"value": r["iri"], "label": r["label"]}
                                                                  for r in catalog.records[k]]} for k in KINDS]
            params.append({"name": p.name, "kind": p.kind, "label": PARAM_LABELS.get(p.kind, p.name),
                           "options": options, "value": value})
        forms.append({"name": q.name, "summary": q.summary, "params": params})
    return forms


# The saved questions in the order a strategist meets them: who works on what, coverage, the
# departments, forums and actors, places and ages, budget, gaps, provenance. Questions not
# named here follow, by their Swedish summary.
QUESTION_ORDER = ("who-works-on", "interventions-by-risk-and-level", "coverage-risk-level",
                  "interventions-by-department", "forum-members", "forums-of-actor", "actors-by-category",
                  "interventions-in-place", "interventions-for-children-under", "budget-by-risk-factor",
                  "risk-factors-without-level", "interventions-without-goal", "forums-without-purpose",
                  "same-activity", "source-of", "link-evidence", "delayed-interventions", "not-followed-up")
NATIONAL_TAG = "nationellt"


def ordered_questions(queries, plan_count: int) -> list:
    """The saved questions to offer as forms, in :data:`QUESTION_ORDER`: checks (``*-violation``)
    left out, and the national questions (tag ``nationellt``) only when the graph holds several
    plans, after the plan's own questions."""
    rank = {name: i for i, name in enumerate(QUESTION_ORDER)}
    shown = [q for q in queries if not q.is_violation_check and (plan_count > 1 or NATIONAL_TAG not in q.tags)]
    return sorted(shown, key=lambda q: (NATIONAL_TAG in q.tags, rank.get(q.name, len(rank)), q.summary.casefold()))


def _page_memo(catalog: Catalog):
    """What the pages remember on a catalogue (rendered views, charts, reports), most recent last."""
    from collections import OrderedDict

    with catalog._lock:
        return catalog.__dict__.setdefault("_page_memo", OrderedDict())


def _memo(catalog: Catalog, key, build):
    """Remember ``build()`` on the catalogue (bounded: views are large)."""
    memo = _page_memo(catalog)
    with catalog._lock:
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
    value = build()
    with catalog._lock:
        memo[key] = value
        while len(memo) > 24:
            memo.popitem(last=False)
    return value


def _render_view(catalog: Catalog, name: str) -> str:
    from uvts.visualisations.views import read_extras, render_view

    def build():
        extras = _memo(catalog, "view-extras", lambda: read_extras(catalog.store, catalog.plan))
        results = {}
        if name == "overlap":
            results["overlap"] = catalog.analysis("overlap")
        elif name == "key-actors":
            results["actors"] = catalog.analysis("actors")
        index = "/views" + _plan_query(catalog)
        return render_view(name, catalog.G, results=results or None, extras=extras, seed=0, index_href=index,
                           page_href=_node_page_href(catalog))

    return _memo(catalog, ("view", name), build)


def _node_page_href(catalog: Catalog):
    """``href(iri, node_type)``: the page of a node in a network view (its details panel links there)."""
    by_type = {k.node_type: k for k in KINDS.values()}
    pq = _plan_query(catalog)

    def href(iri: str, node_type: str):
        kind = by_type.get(node_type)
        prefix = f"{ns.ID}{kind.segment}/" if kind else None
        if prefix is None or not iri.startswith(prefix) or (kind.name, iri[len(prefix):]) not in catalog.index:
            return None
        return f"/{kind.page}/{iri[len(prefix):]}{pq}"

    return href


def _render_chart(catalog: Catalog, name: str, ext: str) -> bytes:
    from uvts.visualisations.charts import chart_png, chart_svg

    def build():
        coverage = catalog.analysis("coverage")
        return chart_svg(name, coverage) if ext == "svg" else chart_png(name, coverage)

    return _memo(catalog, ("chart", name, ext), build)


def build_report_file(data_dirs: list[str], store_kind: str, store_path: str | None, fmt: str, plan: str | None,
                      date, edition: str = "fullstandig") -> tuple[bytes, str, str]:
    """Open the store and render the report: ``(content, media type, file name)``.

    Runs in a separate process (see :func:`run_report`): rendering a PDF takes tens of
    seconds of pure Python (WeasyPrint), which in the server process would hold the
    interpreter lock and slow every other request.
    """
    from uvts.graph.store import open_store
    from uvts.visualisations.report import report_file

    store, _ = open_store([Path(d) for d in data_dirs], store_kind, Path(store_path) if store_path else None)
    try:
        return tuple(report_file(fmt, store, plan=plan, date=date, edition=edition))
    finally:
        store.close()


def _report_pool(app):
    pool = getattr(app.state, "report_pool", None)
    if pool is None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        app.state.report_pool = pool
    return pool


async def run_report(app, catalog: Catalog, fmt: str, edition: str = "fullstandig") -> tuple[bytes, str, str]:
    """The report of the catalogue's plan scope in one format and edition, rendered in a worker
    process and remembered for the day (the report carries its date). ``app.state.report_runner``,
    when set, replaces the worker process (a function of ``(fmt, plan, date)``, given
    ``edition=`` as well for the meeting edition)."""
    import datetime

    today = datetime.date.today()
    key = ("report", fmt, today) if edition == "fullstandig" else ("report", fmt, today, edition)
    memo = _page_memo(catalog)
    with catalog._lock:
        if key in memo:
            return memo[key]
    runner = getattr(app.state, "report_runner", None)
    if runner is not None:
        extra = {} if edition == "fullstandig" else {"edition": edition}
        out = await asyncio.to_thread(runner, fmt, catalog.plan, today, **extra)
    else:
        settings = app.state.settings
        loop = asyncio.get_running_loop()
        version = getattr(catalog.store, "version", None)
        if version is not None:  # the catalogue's published version, from its own copy of the data (never built)
            from uvts.graph.versions import version_data_dirs

            dirs = version_data_dirs(version)
        else:
            dirs = settings.data_dirs()
        try:
            out = await loop.run_in_executor(_report_pool(app), build_report_file, [str(d) for d in dirs],
                                             settings.store, str(settings.store_path) if settings.store_path else None,
                                             fmt, catalog.plan, today, edition)
        except DataError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "okänt fel"
            raise ApiError(503, f"Rapporten kan inte göras just nu: datan på disken har fel ({first}). Rätta filen "
                                "och publicera den igen med uvts build.") from None
    return _memo(catalog, key, lambda: tuple(out))


@asynccontextmanager
async def lifespan(app):
    """Make sure the all-plans catalogue exists (the REST module usually built it already);
    stop the report's worker process at shutdown."""
    await asyncio.to_thread(catalogs(app).get, None)
    app.state.html_not_found = not_found_page
    try:
        yield
    finally:
        pool = getattr(app.state, "report_pool", None)
        if pool is not None:
            app.state.report_pool = None
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)
