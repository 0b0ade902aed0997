"""The web pages: every page answers in Swedish, escapes data, references nothing outside the service.

Served in-process (FastAPI's TestClient) by the whole app: SPARQL endpoint (one worker
process), REST resources and pages. The browser tests (tests/test_pages_browser.py) drive
the same pages in Chromium.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import yaml
from fastapi.testclient import TestClient

from uvts.api import pages
from uvts.api.app import create_app
from uvts.api.catalog import KINDS, catalogs
from uvts.api.settings import Settings

PAGE_KINDS = {k.page: k for k in KINDS.values()}
ENGLISH_UI = ("Not Found", "Internal Server Error", "Submit", "Search results", "Home")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = Settings(store_path=tmp_path_factory.mktemp("pages") / "store", query_workers=1, query_timeout=5)
    with TestClient(create_app(settings)) as c:
        yield c


# --- reading pages -------------------------------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data", "xlink:href", "background",
                  "manifest", "icon", "ping", "cite", "longdesc"}


class Page(HTMLParser):
    """What a page references, links to and says."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str]] = []   # (tag, attribute, value)
        self.links: list[str] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self.pre: list[dict] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name in URL_ATTRIBUTES and value is not None:
                self.refs.append((tag, name, value))
            if name == "style" and value:
                self.styles.append(value)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "pre" and "plan-text" in (attrs.get("class") or ""):
            self.pre.append({"lines": attrs.get("data-lines"), "text": "", "numbers": []})
        if tag == "span" and self.pre and "pre" in self._in and attrs.get("class") == "ln":
            self.pre[-1]["numbers"].append(int(attrs["data-n"]))
        if tag not in ("br", "img", "input", "meta", "link"):
            self._in.append(tag)

    def handle_endtag(self, tag):
        if tag in self._in:
            while self._in and self._in.pop() != tag:
                pass

    def handle_data(self, data):
        if "style" in self._in[-1:]:
            self.styles.append(data)
        elif "script" not in self._in[-1:]:
            self.text.append(data)
        if "pre" in self._in and self.pre:
            self.pre[-1]["text"] += data


def read(html: str) -> Page:
    p = Page()
    p.feed(html)
    return p


def assert_no_external_references(html: str, where: str = "") -> None:
    """No attribute and no style of the page may point anywhere but this service."""
    page = read(html)
    for tag, attr, value in page.refs:
        for part in (value.split(",") if attr == "srcset" else [value]):
            url = part.strip().split(" ")[0]
            parts = urlsplit(url)
            assert not parts.scheme or parts.scheme in ("data",), f"{where}: <{tag} {attr}={value!r}>"
            assert not parts.netloc and not url.startswith("//"), f"{where}: <{tag} {attr}={value!r}>"
    for css in page.styles:
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css) and "@import" not in css, where
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", html, re.I), where


def assert_page(response, *phrases: str) -> Page:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="sv">' in html
    for phrase in phrases:
        assert phrase in html, phrase
    for word in ENGLISH_UI:
        assert word not in html
    assert_no_external_references(html, response.url.path)
    return read(html)


# --- the layout and every kind of page --------------------------------------------------------------------------

NAV_TEXTS = ["Start", "Riskfaktorer", "Förvaltningar", "Aktörer", "Forum", "Platser", "Insatser", "Nätverk", "Frågor",
             "Rapport", "Sök"]


def test_every_nav_page_answers_in_swedish(client):
    for item in pages.NAV:
        response = client.get(item["href"])
        page = assert_page(response, *NAV_TEXTS)
        assert response.headers["content-security-policy"] == pages.CSP
        assert f'href="{item["href"]}" aria-current="page"' in response.text, item


def test_start_page_shows_overview_figures_budget_and_charts(client, store):
    page = assert_page(client.get("/"), "Översikt", "46", "insatser", "cirka 60 miljoner kronor",
                       "56,7 miljoner kronor", "Psykisk ohälsa")
    charts = [v for tag, attr, v in page.refs if tag == "img" and attr == "src"]
    assert len(charts) == 4
    for src in charts:
        r = client.get(src)
        assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
        assert b"<svg" in r.content[:2000] and b"http://www.w3.org/2000/svg" in r.content
    png = client.get(charts[0].replace(".svg", ".png"))
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/charts/nope.svg").status_code == 404


@pytest.mark.parametrize("folder", sorted(PAGE_KINDS))
def test_list_pages_link_every_resource(client, folder):
    kind = PAGE_KINDS[folder]
    items = client.get(f"/{kind.name}").json()["items"]
    page = assert_page(client.get(f"/{folder}"), kind.plural)
    links = set(page.links)
    for item in items:
        assert item["page"] in links, item["page"]


def test_every_resource_page_and_every_link_from_it_loads(client, plan):
    """Crawl every resource page: it answers, shows its plan excerpt exactly, and its links load."""
    seen: dict[str, int] = {}
    plan_lines = plan.source_text
    total = 0
    for kind in KINDS.values():
        for item in client.get(f"/{kind.name}").json()["items"]:
            total += 1
            response = client.get(item["page"])
            page = assert_page(response, item["label"].replace("&", "&amp;").replace('"', "&#34;"))
            seen[item["page"]] = 200
            detail = client.get(item["path"]).json()
            assert page.pre, f"{item['page']}: no plan excerpt"
            for block in page.pre:
                start, _, end = block["lines"].partition("-")
                start, end = int(start), int(end or start)
                assert block["numbers"] == list(range(start, end + 1))
                assert block["text"] == "\n".join(plan_lines[start - 1:end]), item["page"]
            assert "\n".join(b["text"] for b in page.pre) == detail["source_text"]
            for link in page.links:
                if link.startswith("/") and link.split("/")[1] in PAGE_KINDS and link not in seen:
                    seen[link] = client.get(link).status_code
    broken = {k: v for k, v in seen.items() if v != 200}
    assert not broken
    assert total == 152 and len(seen) > total


def test_intervention_page_shows_facts_and_neighbours(client):
    page = assert_page(client.get("/insatser/stod-och-omsorg-1"), "Resursförstärka grunduppdraget", "Mål",
                       "Uppföljning", "Ansvarig förvaltning", "Källa i planen", "rad 2137-2204")
    for href in ("/forvaltningar/stod-och-omsorg", "/riskfaktorer/psykisk-ohalsa", "/aktorer/region-vasterbotten",
                 "/forvaltningar/grundskolan", "/nivaer/selektiv", "/interventions/stod-och-omsorg-1"):
        assert href in page.links, href


def test_risk_factor_page_says_who_works_on_it(client):
    page = assert_page(client.get("/riskfaktorer/psykisk-ohalsa"), "Vem arbetar med psykisk ohälsa?",
                       "Region Västerbotten", "grunduppdrag")
    who = client.get("/risk-factors/psykisk-ohalsa/actors").json()
    for a in who["actors"]:
        assert a["actor"]["page"] in page.links
        for v in a["via"]:
            assert v["link"]["page"] in page.links
    assert "/views/risk-factor-psykisk-ohalsa" in page.links


def test_interventions_page_filters(client):
    page = assert_page(client.get("/insatser", params={"risk_factor": "psykisk-ohalsa", "level": "selektiv"}),
                       "8 av 46 insatser")
    expected = {i["page"] for i in client.get("/interventions", params={"risk_factor": "psykisk-ohalsa",
                                                                         "level": "selektiv"}).json()["items"]}
    assert expected <= set(page.links)
    assert not {l for l in page.links if l.startswith("/insatser/")} - expected
    bad = client.get("/insatser", params={"risk_factor": "psykisk"})
    assert bad.status_code == 422 and "Menade du" in bad.text and '<html lang="sv">' in bad.text


def test_unknown_resource_page_is_404_with_a_suggestion(client):
    response = client.get("/riskfaktorer/psykisk-ohals")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "Det finns ingen riskfaktor med id" in response.text
    assert 'href="/riskfaktorer/psykisk-ohalsa"' in response.text
    assert client.get("/views/finns-inte").status_code == 404
    assert client.get("/riskfaktorer", params={"plan": "Ingenstans"}).status_code == 422


# --- network views -------------------------------------------------------------------------------------------


def test_views_index_and_a_view(client):
    from uvts.graph.project import read_typed_graph
    from uvts.visualisations.views import view_names

    page = assert_page(client.get("/views"), "Nätverksvyer", "Hela nätverket")
    names = [n for n, _ in view_names(read_typed_graph(client.app.state.store))]
    for name in names:
        assert f"/views/{name}" in page.links
    for name in ("network", "risk-factor-psykisk-ohalsa"):
        response = client.get(f"/views/{name}")
        assert response.status_code == 200 and "<html" in response.text
        assert_no_external_references(response.text, name)
        assert 'href="/views"' in response.text


# --- the question page ----------------------------------------------------------------------------------------


def test_question_page_has_a_form_per_saved_query(client):
    from uvts.graph.queries import list_queries

    response = client.get("/fragor")
    page = assert_page(response, "Sparade frågor", "Egen SPARQL-fråga")
    html = response.text
    for q in list_queries():
        assert f'id="fraga-{q.name}"' in html, q.name
    form = html[html.index('id="fraga-who-works-on"'):]
    form = form[:form.index("</form>")]
    assert '<select id="who-works-on-riskFactor" name="riskFactor">' in form
    assert '<option value="psykisk-ohalsa" selected>Psykisk ohälsa</option>' in form
    assert form.count("<option") == 7
    age = html[html.index('id="fraga-interventions-for-children-under"'):]
    assert 'type="number"' in age[:age.index("</form>")]


def test_who_works_on_psykisk_ohalsa_through_the_form(client):
    response = client.get("/fragor", params={"fraga": "who-works-on", "riskFactor": "psykisk-ohalsa"})
    page = assert_page(response, "Svar:", "Psykisk ohälsa", "Förskolan", "Kultur", "Stöd och omsorg",
                       "Region Västerbotten", "Polisen", "SSPF")
    golden = yaml.safe_load(open("tests/golden/who-works-on.yaml", encoding="utf-8"))
    for actor, _, via in golden["rows"]:
        kind, slug = actor.split("/")
        folder = {"department": "forvaltningar", "actor": "aktorer", "forum": "forum"}[kind]
        assert f"/{folder}/{slug}" in page.links, actor
    for link in {l for l in page.links if l.split("/")[1:2] and l.split("/")[1] in PAGE_KINDS}:
        assert client.get(link).status_code == 200, link
    assert "/queries/who-works-on/results?riskFactor=psykisk-ohalsa" in page.links


def test_question_form_errors_are_shown_in_swedish(client):
    response = client.get("/fragor", params={"fraga": "who-works-on", "riskFactor": "psykisk"})
    assert response.status_code == 422 and 'Menade du "psykisk-ohalsa"' in response.text.replace("&#34;", '"')
    assert client.get("/fragor", params={"fraga": "finns-inte"}).status_code == 404


def test_sparql_editor_shows_a_table_and_offers_csv(client):
    query = ("PREFIX uvts: <https://w3id.org/uvts/ontology#> SELECT ?rf WHERE { ?rf a uvts:RiskFactor } "
             "ORDER BY ?rf")
    response = client.post("/fragor/sparql", data={"query": query})
    page = assert_page(response, "Resultat", "7 rader", "Ladda ned CSV")
    assert "/riskfaktorer/psykisk-ohalsa" in page.links
    csv_href = next(l for l in page.links if l.startswith("/fragor/sparql.csv"))
    download = client.get(csv_href)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["rf"] and len(rows) == 8
    assert "https://w3id.org/uvts/id/risk-factor/psykisk-ohalsa" in {r[0] for r in rows}
    same = client.get("/fragor/sparql", params={"query": query})
    assert same.status_code == 200 and "7 rader" in same.text


def test_sparql_editor_reports_errors_in_swedish(client):
    bad = client.post("/fragor/sparql", data={"query": "SELECT * WHERE { ?s ?p }"})
    assert bad.status_code == 400 and "Frågan kunde inte tolkas" in bad.text and "<textarea" in bad.text
    remote = client.post("/fragor/sparql", data={"query": "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"})
    assert remote.status_code == 400
    ask = client.post("/fragor/sparql", data={"query": "ASK { ?s ?p ?o }"})
    assert ask.status_code == 200 and "ja" in ask.text


# --- search and report ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q,href", [("polis", "/aktorer/polisen"), ("socialtjänsten", "/forvaltningar/stod-och-omsorg"),
                                    ("Bristande familjeförhållanden", "/riskfaktorer/sarbara-familjeforhallanden")])
def test_search_page(client, q, href):
    page = assert_page(client.get("/search", params={"q": q}), "träffar")
    hits = [l for l in page.links if re.fullmatch(r"/([a-z]+)/[^/?#]+", l) and l.split("/")[1] in PAGE_KINDS]
    assert hits[0] == href


def test_report_page_links_each_format(client):
    page = assert_page(client.get("/rapport"), "Rapport")
    for ext in pages.REPORT_FORMATS:
        assert f"/report.{ext}" in page.links


@pytest.mark.parametrize("ext", ["md", "xlsx", "html"])
def test_report_downloads(client, ext):
    """The report, rendered by the report module in a worker process, as a download."""
    response = client.get(f"/report.{ext}")
    assert response.status_code == 200, response.text[:300]
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(rf'attachment; filename="samverkanskartlaggning-[a-z0-9-]+\.{ext}"', disposition)
    assert response.headers["content-type"].split(";")[0] == pages.REPORT_FORMATS[ext][0].split(";")[0]
    body = response.content
    if ext == "xlsx":
        assert body.startswith(b"PK")
    else:
        text = body.decode("utf-8")
        assert "Psykisk ohälsa" in text and "Samverkanskartläggning" in text
        if ext == "html":
            assert_no_external_references(text, "report.html")
    assert client.get(f"/report.{ext}").content == body  # remembered for the day


def test_report_pdf_download_is_wired_to_the_report(client, monkeypatch):
    """The PDF takes tens of seconds to render (the report module's own tests do it); here the
    renderer is replaced to check what the route asks for and how it answers."""
    calls = []

    def fake(fmt, plan, date):
        calls.append((fmt, plan))
        return b"%PDF-1.7 fake", "application/pdf", f"samverkanskartlaggning-{date.isoformat()}.pdf"

    monkeypatch.setattr(client.app.state, "report_runner", fake, raising=False)
    catalog = catalogs(client.app).get(None)
    from collections import OrderedDict

    monkeypatch.setattr(catalog, "_page_memo", OrderedDict(), raising=False)
    response = client.get("/report.pdf")
    assert calls == [("pdf", None)]
    assert response.status_code == 200 and response.content == b"%PDF-1.7 fake"
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('attachment; filename="samverkanskartlaggning-')
    assert client.get("/report.doc").status_code == 404


def test_report_meeting_edition_download(client, monkeypatch):
    calls = []

    def fake(fmt, plan, date, edition="fullstandig"):
        calls.append((fmt, plan, edition))
        return b"%PDF-1.7 mote", "application/pdf", f"samverkanskartlaggning-{date.isoformat()}-{edition}.pdf"

    monkeypatch.setattr(client.app.state, "report_runner", fake, raising=False)
    from collections import OrderedDict

    monkeypatch.setattr(catalogs(client.app).get(None), "_page_memo", OrderedDict(), raising=False)
    page = client.get("/rapport").text
    assert 'href="/report.pdf?utgava=mote"' in page and "mötesutgåva" in page
    response = client.get("/report.pdf?utgava=mote")
    assert calls == [("pdf", None, "mote")]
    assert response.status_code == 200 and response.content == b"%PDF-1.7 mote"
    assert response.headers["content-disposition"].endswith('-mote.pdf"')
    bad = client.get("/report.pdf?utgava=kort")
    assert bad.status_code == 400 and "utgava=mote" in bad.text


# --- static files, print style -----------------------------------------------------------------------------------


def test_static_files_are_ours_and_offline(client):
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media print" in css.text
    assert "url(" not in css.text and "@import" not in css.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "fetch(" not in js.text and "http" not in js.text
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/nope.css").status_code == 404


def test_pages_are_not_in_the_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(p.startswith(("/riskfaktorer", "/fragor", "/views", "/search", "/static", "/rapport"))
                   for p in paths)


# --- escaping: a planted title ----------------------------------------------------------------------------------

PLANTED = '<script>alert("x")</script><img src=x onerror=alert(1)> & "citat"'


@pytest.fixture
def planted_client(data_copy):
    """An app over a copy of data/ whose first Stöd och omsorg intervention has a hostile title."""
    import json

    path = data_copy / "departments" / "stod-och-omsorg.yaml"
    text = path.read_text(encoding="utf-8")
    line = "    title: Resursförstärka grunduppdraget\n"
    assert line in text
    path.write_text(text.replace(line, f"    title: {json.dumps(PLANTED, ensure_ascii=False)}\n", 1), encoding="utf-8")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["interventions"][0]["title"] == PLANTED
    app = create_app(Settings(store="memory", data=(data_copy,)), modules=["uvts.api.rest", "uvts.api.pages"])
    with TestClient(app) as c:
        yield c


def test_a_planted_title_is_escaped_everywhere(planted_client):
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#34;citat&#34;"
    for path in ("/insatser/stod-och-omsorg-1", "/insatser", "/forvaltningar/stod-och-omsorg",
                 "/riskfaktorer/psykisk-ohalsa", "/search?q=alert", "/aktorer/region-vasterbotten",
                 "/fragor?fraga=interventions-by-department&department=stod-och-omsorg"):
        response = planted_client.get(path)
        assert response.status_code == 200, path
        assert "<script>alert" not in response.text and "onerror=alert(1)>" not in response.text, path
        assert escaped in response.text, path
        assert_no_external_references(response.text, path)
    assert planted_client.get("/interventions/stod-och-omsorg-1").json()["title"] == PLANTED


def test_a_query_string_is_escaped(client):
    response = client.get("/search", params={"q": '"><script>alert(1)</script>'})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


# --- one plan or all ------------------------------------------------------------------------------------------


def test_pages_for_one_plan_among_many(tmp_path):
    from uvts.graph.paths import DEFAULT_DATA
    from uvts.graph.synth import write_plans

    folders = write_plans(tmp_path / "plans", 2, seed=3)
    app = create_app(Settings(store="memory", data=(DEFAULT_DATA, *folders)), modules=["uvts.api.rest", "uvts.api.pages"])
    with TestClient(app) as c:
        plans = c.get("/plans").json()["plans"]
        other = next(p for p in plans if p["id"] != "umea-uvts-2024-2026")
        start = c.get("/")
        assert start.status_code == 200 and "3 kommuners planer" in start.text
        assert f'<option value="{other["id"]}">' in start.text  # the plan selector
        scoped = assert_page(c.get("/insatser", params={"plan": other["id"]}), f'{other["municipality_label"]}s plan')
        expected = {i["page"] for i in c.get("/interventions", params={"plan": other["id"]}).json()["items"]}
        shown = {l for l in scoped.links if l.startswith("/insatser/")}
        assert shown == expected and all(l.startswith(f"/insatser/{other['municipality_id'].removesuffix('-kommun')}")
                                         for l in shown)
        # a synthetic plan has no plain text: the page says so instead of showing an excerpt
        page = c.get(sorted(expected)[0])
        assert page.status_code == 200 and "Planens text finns inte i datamappen" in page.text
        assert c.get("/", params={"plan": "Ingenstans"}).status_code == 422


@pytest.mark.parametrize("path", ["/", "/riskfaktorer", "/insatser", "/views", "/views/network", "/fragor", "/rapport"])
def test_an_unknown_plan_gets_the_swedish_error_page(client, path):
    response = client.get(path, params={"plan": "ingen-sadan-plan"})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("text/html")
    assert "ingen-sadan-plan" in response.text and "Till startsidan" in response.text
