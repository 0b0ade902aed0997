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
    assert total == 154 and len(seen) > total  # KSNAU (l.85-86) and SIP (l.1462) are forums too


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


class Table(HTMLParser):
    """The rows of the first ``<table>`` whose class contains ``cls``: each row a list of cells, each
    cell ``{"text", "links"}``."""

    def __init__(self, cls: str):
        super().__init__(convert_charrefs=True)
        self.cls, self.rows, self._depth, self._cell = cls, [], 0, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and not self.rows and self._depth == 0 and self.cls in (attrs.get("class") or "").split():
            self._depth = 1
        elif self._depth and tag == "tr":
            self.rows.append([])
        elif self._depth and tag in ("td", "th"):
            self._cell = {"text": "", "links": []}
            self.rows[-1].append(self._cell)
        elif self._depth and tag == "a" and self._cell is not None:
            self._cell["links"].append(attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "table" and self._depth:
            self._depth = 0
            self.done = True
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def table_rows(html: str, cls: str) -> list[list[dict]]:
    t = Table(cls)
    t.feed(html)
    assert t.rows, f"no table.{cls}"
    return t.rows


def test_risk_factor_page_shows_each_actor_at_each_level_with_partners(client):
    """Point 5: who works on psykisk ohälsa, at which level, with whom, in one table."""
    html = client.get("/riskfaktorer/psykisk-ohalsa").text
    rows = table_rows(html, "levels")
    head = [c["text"].strip() for c in rows[0]]
    assert head[:4] == ["Aktör", "Universell", "Selektiv", "Indikerad"] and head[-1] == "Samarbetar med"
    body = {r[0]["links"][0]: r for r in rows[1:]}
    who = client.get("/risk-factors/psykisk-ohalsa/actors").json()
    assert set(body) == {a["actor"]["page"] for a in who["actors"]}
    # every intervention against the risk factor is in its department's row, under each of its levels
    level_column = {"universell": 1, "selektiv": 2, "indikerad": 3}
    for link in client.get("/risk-factors/psykisk-ohalsa").json()["interventions"]:
        iv = client.get(link["path"]).json()
        row = body[iv["department"]["page"]]
        for lv in iv["levels"]:
            assert iv["page"] in row[level_column[lv["id"]]]["links"], (iv["id"], lv["id"])
        for other in set(level_column) - {lv["id"] for lv in iv["levels"]}:
            assert iv["page"] not in row[level_column[other]]["links"], (iv["id"], other)
        # the partners: those involved are in the department's partner column, and it is in theirs
        for partner in iv["involves"]:
            assert partner["page"] in row[-1]["links"], (iv["id"], partner["id"])
            if partner["page"] in body:
                assert iv["department"]["page"] in body[partner["page"]][-1]["links"]
    soc = body["/forvaltningar/stod-och-omsorg"]
    assert "/insatser/stod-och-omsorg-3" in soc[1]["links"]  # Föräldrasupporten is universell
    assert "Region Västerbotten" in soc[-1]["text"]
    region = body["/aktorer/region-vasterbotten"]
    assert "medverkar" in region[2]["text"] and "Extern aktör" in region[0]["text"]


def test_start_page_visa_aktorerna_goes_to_the_risk_factor_table(client):
    page = assert_page(client.get("/"), "Visa aktörerna")
    targets = [l for l in page.links if l.endswith("#vem")]
    assert len(targets) == 7 and "/riskfaktorer/psykisk-ohalsa#vem" in targets
    assert 'id="vem"' in client.get("/riskfaktorer/psykisk-ohalsa").text


def test_department_page_is_about_the_department(client):
    """Point 10: interventions, partners, forums, budget with "ej angivet", plan text folded away."""
    response = client.get("/forvaltningar/stod-och-omsorg")
    page = assert_page(response, "Insatser som förvaltningen ansvarar för (12)", "Samarbetspartner",
                       "Samverkansforum", "Budgettillskott", "35 000 000 kr", "ej angivet")
    record = client.get("/departments/stod-och-omsorg").json()
    for link in record["interventions"] + record["forums"] + record["involved_in"]:
        assert link["page"] in page.links, link["id"]
    html = response.text
    # empty amounts say so: the budget table has no blank amount cell
    budget = html[html.index("Budgetposter"):]
    budget = budget[:budget.index("</table>")]
    assert budget.count("ej angivet") == sum(1 for b in record["budget_items"] if b["amount"] is None) > 0
    # the plan text is there, but folded away
    folded = html[html.index('<details class="plan-text">'):]
    assert html.index('<details class="plan-text">') < html.index('<pre class="plan-text"')
    assert folded.index('<pre class="plan-text"') < folded.index("</details>")
    assert folded.count('<pre class="plan-text"') == html.count('<pre class="plan-text"')
    # partners: Grundskolan shares the most interventions with Stöd och omsorg
    section = html[html.index('id="partner"'):]
    assert section.index("/forvaltningar/grundskolan") < section.index("/aktorer/polisen")


def test_short_plan_text_is_not_folded(client):
    html = client.get("/insatser/stod-och-omsorg-3").text
    assert '<pre class="plan-text"' in html and "<details class=\"plan-text\">" not in html


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
    assert "Det finns ingen riskfaktor på adressen /riskfaktorer/psykisk-ohals." in response.text
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
        national = "nationellt" in q.tags  # one plan: the national questions are left out
        assert (f'id="fraga-{q.name}"' in html) != national, q.name
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
    assert download.content.startswith(b"\xef\xbb\xbf")  # the tool's CSV dialect for Excel: BOM, semicolons
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
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
    page = assert_page(client.get("/search", params={"q": q}), "träff")
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
        text = re.sub("</?mark>", "", response.text)  # search marks the matching words
        assert escaped in text, path
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
        # a synthetic plan has no real text: its placeholder lines say so (uvts synth writes them)
        page = c.get(sorted(expected)[0])
        assert page.status_code == 200 and "(ingen verklig text)" in page.text
        assert c.get("/", params={"plan": "Ingenstans"}).status_code == 422
        # with several plans the national questions are offered, after the plan's own
        ids = re.findall(r'id="fraga-([a-z0-9-]+)"', c.get("/fragor").text)
        assert ids[0] == "who-works-on" and "budget-by-municipality" in ids
        assert ids.index("budget-by-municipality") > ids.index("source-of")


@pytest.mark.parametrize("path", ["/", "/riskfaktorer", "/insatser", "/views", "/views/network", "/fragor", "/rapport"])
def test_an_unknown_plan_gets_the_swedish_error_page(client, path):
    response = client.get(path, params={"plan": "ingen-sadan-plan"})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("text/html")
    assert "ingen-sadan-plan" in response.text and "Till startsidan" in response.text


# --- full-text search (point 6) -----------------------------------------------------------------------------------


def _hits(client, q: str) -> list[str]:
    page = assert_page(client.get("/search", params={"q": q}))
    return [l for l in page.links if re.fullmatch(r"/([a-z]+)/[^/?#]+", l) and l.split("/")[1] in PAGE_KINDS]


def test_search_finds_words_in_other_forms(client):
    """"föräldrar" finds both parental-support interventions (Swedish stems as prefixes)."""
    hits = _hits(client, "föräldrar")
    assert "/insatser/stod-och-omsorg-3" in hits and "/insatser/arbetsmarknad-och-integration-3" in hits
    html = client.get("/search", params={"q": "föräldrar"}).text
    assert "<mark>Föräldrasupporten</mark>" in html and "<mark>Föräldrastöd</mark> till utrikesfödda" in html
    assert re.search(r"Träff i (beskrivning|mål|uppföljning): [^<]*<mark>[Ff]öräldrar</mark>", html)


def test_search_finds_the_interventions_of_a_risk_factor(client):
    """"psykisk" finds the 8 interventions linked to psykisk ohälsa, and the risk factor first."""
    hits = _hits(client, "psykisk")
    expected = {l["page"] for l in client.get("/risk-factors/psykisk-ohalsa").json()["interventions"]}
    assert len(expected) == 8 and expected <= set(hits)
    assert hits[0] == "/riskfaktorer/psykisk-ohalsa"
    html = client.get("/search", params={"q": "psykisk"}).text
    assert f"{len(set(hits))} träffar" in html


def test_search_ranks_names_first_and_says_one_hit(client):
    hits = _hits(client, "Föräldrasupporten")
    assert hits[0] == "/insatser/stod-och-omsorg-3"
    html = client.get("/search", params={"q": "Bristande familjeförhållanden"}).text
    assert "1 träff på" in html and "1 träffar" not in html
    assert "Träff i andra namn: <mark>Bristande familjeförhållanden</mark>" in html
    empty = client.get("/search", params={"q": "xyzzy"}).text
    assert "0 träffar" in empty and "Inget matchade" in empty


def test_search_marks_are_the_only_markup_in_a_hit(client):
    """Matching text is escaped; only our <mark> is markup (the planted-title test covers hostile data)."""
    from uvts.api.search import FullText

    index = FullText([{"key": 1, "label": "Stöd <b>till</b> föräldrar & barn", "description": None}])
    [hit] = index.search("föräldrarna")
    assert hit["parts"] == [("Stöd <b>till</b> ", False), ("föräldrar", True), (" & barn", False)]
    assert FullText([{"key": 1, "label": "x"}]).search('"*) OR (') == []


# --- the 404 page (point 8) ---------------------------------------------------------------------------------------

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("path,nearest", [("/riskfaktor", "/riskfaktorer"), ("/Rapport", "/rapport"),
                                          ("/forvaltning", "/forvaltningar"), ("/insatserna", "/insatser"),
                                          ("/psykisk-ohalsa", "/riskfaktorer/psykisk-ohalsa"),
                                          ("/riskfaktorer/psykisk-ohalsa/mer", "/riskfaktorer/psykisk-ohalsa")])
def test_unknown_page_is_a_swedish_404_with_the_menu_and_the_nearest_page(client, path, nearest):
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="sv">' in html and "Sidan finns inte" in html and "Menade du" in html
    for text in NAV_TEXTS:
        assert f">{text}</a>" in html, text
    suggestion = re.search(r'Menade du <a href="([^"]+)">', html).group(1)
    assert suggestion == nearest
    assert client.get(suggestion, headers=BROWSER).status_code == 200
    assert_no_external_references(html, path)


def test_unknown_address_still_answers_json_clients_in_the_error_shape(client):
    for headers in ({}, {"accept": "application/json"}, {"accept": "*/*"}):
        response = client.get("/riskfaktor", headers=headers)
        assert response.status_code == 404 and response.json() == {
            "ok": False, "error": "Det finns ingenting på /riskfaktor.", "status": 404}
    assert client.post("/riskfaktor", headers=BROWSER).headers["content-type"].startswith("application/json")
    nothing = client.get("/qqqqqqqqqq", headers=BROWSER)
    assert nothing.status_code == 404 and "Menade du" not in nothing.text and "Sök i stället" in nothing.text


def test_range_errors_are_phrased_properly(client):
    response = client.get("/api/search", params={"q": "x", "limit": 100000})
    assert response.status_code == 422
    assert response.json()["error"] == "Begäran har ogiltiga parametrar: frågeparametern 'limit' har ett för stort värde."


# --- Swedish only (point 7) ----------------------------------------------------------------------------------------

# Words and strings that must not be on any page (visible text, the plan's own text and the
# SPARQL editor's contents aside): English, internal names, ids, IRIs, wrong number forms.
FORBIDDEN = ("På engelska", "Som JSON", "who-works-on", "Mental health", "Mental ill-health", "Expected", "found",
             "riskFactor", "actorType", "viaType", "actorLabel", "Label", "None", "null", "IRI", "Id", "https:",
             "http:", "w3id", "Not Found", "Search", "Home", "Submit", "results", "query", "Query", "the", "and",
             "of", "Lack of", "Poverty", "1 träffar", "1 rader", "1 insatser", "1 förvaltningar", "är för stort")
# an id such as stod-och-omsorg-1; not a file name (plan-2024.txt) or an address the user typed (/x/y-z)
_SLUG = re.compile(r"(?<![/\w-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?![\w-]|\.[a-z])")


def visible_text(html: str) -> str:
    """The page's text as a reader sees it, without the plan's own text (<pre>), the SPARQL
    editor's contents (<textarea>) and the developer line of the footer."""
    html = re.sub(r"<(pre|textarea)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<p class="dev">.*?</p>', " ", html, flags=re.S)
    return " ".join(read(html).text)


def every_page_kind(client) -> list[str]:
    from uvts.graph.queries import list_queries

    paths = ["/", "/insatser", "/views", "/fragor", "/rapport", "/search", "/search?q=psykisk",
             "/search?q=Bristande familjeförhållanden", "/search?q=polis"]
    for kind in KINDS.values():
        paths.append(f"/{kind.page}")
        paths += [i["page"] for i in client.get(f"/{kind.name}").json()["items"]]
    paths += [f"/fragor?fraga={q.name}" for q in list_queries() if not q.is_violation_check]
    return paths


def test_no_english_ids_or_iris_on_any_page(client):
    problems = []
    pages_seen = every_page_kind(client)
    for path in pages_seen + ["/riskfaktor", "/riskfaktorer/psykisk-ohals", "/fragor/sparql?query=SELECT"]:
        response = client.get(path, headers=BROWSER)
        assert response.headers["content-type"].startswith("text/html"), path
        text = visible_text(response.text)
        for word in FORBIDDEN:
            if re.search(rf"(?<![\wåäöÅÄÖ]){re.escape(word)}(?![\wåäöÅÄÖ])", text):
                problems.append((path, word))
        problems += [(path, slug) for slug in _SLUG.findall(text)]
    assert not problems, sorted({p[1] for p in problems})[:60]
    assert len(pages_seen) > 170


def test_the_forbidden_word_check_can_fail():
    html = ('<main><p>Även kallad: Mental health problems</p><p>1 träffar</p><p>stod-och-omsorg-1</p>'
            '<pre>psykisk-ohalsa Expected</pre></main>')
    text = visible_text(html)
    assert "Mental health" in text and "1 träffar" in text and _SLUG.findall(text) == ["stod-och-omsorg-1"]
    assert "Expected" not in text


# --- the question page (point 5) -----------------------------------------------------------------------------------


def test_every_saved_query_names_each_column_in_swedish(store):
    from uvts.graph.queries import list_queries, run_saved

    for q in list_queries():
        if q.is_violation_check:
            continue
        result = run_saved(store, q.name)
        assert result.vars and set(result.vars) <= set(q.headings), (q.name, set(result.vars) - set(q.headings))
        assert all(h[0].isupper() and not re.search(r"[a-z][A-Z]", h) for h in q.headings.values()), q.name


def test_question_answers_have_swedish_headings_and_link_to_pages(client):
    from uvts.graph.queries import get_query

    response = client.get("/fragor", params={"fraga": "who-works-on", "riskFactor": "psykisk-ohalsa"})
    html = response.text
    answer = html[html.index('id="svar"'):]
    heads = re.findall(r'<th scope="col">([^<]*)</th>', answer[:answer.index("</thead>")])
    assert heads and set(heads) <= set(get_query("who-works-on").headings.values())
    assert "Aktör" in heads and "Roll" in heads and "actor" not in heads
    assert "för riskfaktor Psykisk ohälsa" in answer
    assert re.search(r"\d+ rader för", answer)
    one = client.get("/fragor", params={"fraga": "budget-by-municipality"}).text
    assert "1 rad." in one or "1 rad " in one
    # title beside a linked intervention is not repeated
    by_dept = client.get("/fragor", params={"fraga": "interventions-by-department"}).text
    by_dept = by_dept[by_dept.index('id="svar"'):]
    assert ">Titel</th>" not in by_dept and ">Insats</th>" in by_dept and "/insatser/stod-och-omsorg-3" in by_dept


def test_questions_are_in_a_sensible_order_without_tags(client):
    from uvts.api.pages import QUESTION_ORDER

    html = client.get("/fragor").text
    ids = re.findall(r'id="fraga-([a-z0-9-]+)"', html)
    assert ids[0] == "who-works-on" and ids == [n for n in QUESTION_ORDER if n in ids]
    assert not re.search(r'class="tag"', html)


def test_question_page_fits_the_screen_css(client):
    """The select that made the page 1,465 px wide may not grow past its column (checked in Chromium too)."""
    css = client.get("/static/style.css").text
    assert "form .field select { width: 100%; max-width: 36rem;" in css


def test_sparql_parse_errors_say_where_in_swedish(client):
    import html as html_lib

    query = "PREFIX uvts: <https://w3id.org/uvts/ontology#>\nSELECT * WHERE {\n  ?s ?p\n}"
    bad = client.post("/fragor/sparql", data={"query": query})
    assert bad.status_code == 400
    text = visible_text(bad.text)
    # the parser (pyparsing) reports the triple's start or its end, depending on what it parsed before
    found = re.search(r"Frågan kunde inte tolkas: rad (\d), kolumn (\d): oväntat ”(\?|\})” här\.", text)
    assert found, text[-600:]
    line, column = int(found.group(1)), int(found.group(2))
    assert line in (3, 4) and "Expected" not in text and "line:" not in text
    shown = re.search(r'<pre class="sparql-problem"[^>]*>(.*?)</pre>', bad.text, re.S).group(1)
    assert html_lib.unescape(shown) == query.splitlines()[line - 1] + "\n" + " " * (column - 1) + "^"
    assert query.splitlines()[line - 1][column - 1] == found.group(3)


def test_wording_helpers():
    import doctest

    from uvts.api import page_text, search
    from uvts.api.page_text import explain_sparql_error, plural

    for module in (page_text, search):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
    assert plural(1, "rad", "rader") == "1 rad" and plural(10000, "rad", "rader") == "10\u00a0000 rader"
    # Oxigraph's parser (the worker's) words it differently: explained the same way
    problem = explain_sparql_error("Frågan kunde inte tolkas: error at 2:26: expected OPTIONAL",
                                   "PREFIX x: <a:b>\nSELECT * WHERE { ?s y:p ?o }")
    assert problem["message"] == "Frågan kunde inte tolkas: rad 2, kolumn 26: här förväntades OPTIONAL."
    assert problem["source_line"] == "SELECT * WHERE { ?s y:p ?o }" and problem["marker"] == " " * 25 + "^"
    assert explain_sparql_error("Frågan kunde inte köras: tidsgränsen", "x") is None
