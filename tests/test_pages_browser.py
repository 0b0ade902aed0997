"""The pages in a real browser: headless Chromium (Debian's) driven by Playwright.

The whole app runs under uvicorn on 127.0.0.1 (in a thread of this process). Every
request the browser makes to anywhere but 127.0.0.1 is blocked and fails the test, and
so does any JavaScript error or Content-Security-Policy violation. These tests do not
skip: when Chromium cannot start, they fail and say why.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from uvts.api.app import create_app
from uvts.api.settings import Settings

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions", "--metrics-recording-only"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    """The whole app (SPARQL endpoint, REST, pages) under uvicorn on a free loopback port."""
    import uvicorn

    settings = Settings(store_path=tmp_path_factory.mktemp("browser") / "store", query_workers=1, query_timeout=5)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn (see the log above)")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import Error, sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: install Debian's package (apt-get install chromium); the browser "
                    "tests do not skip")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        except Error as exc:
            pytest.fail(f"Chromium ({executable}) could not start: {exc}")
        yield browser
        browser.close()


class Guard:
    """Blocks and records every request not to 127.0.0.1, every page error and console error."""

    def __init__(self, context):
        self.blocked: list[str] = []
        self.errors: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def watch(self, page):
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        return page

    def check(self):
        assert not self.blocked, f"requests outside 127.0.0.1: {self.blocked}"
        assert not self.errors, f"errors in the page: {self.errors}"


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(base_url=base_url, locale="sv-SE", accept_downloads=True)
    guard = Guard(context)
    page = guard.watch(context.new_page())
    page.set_default_timeout(30_000)
    yield page, guard
    context.close()
    guard.check()


def test_question_page_answers_who_works_on_psykisk_ohalsa(page):
    page, guard = page
    page.goto("/fragor")
    form = page.locator("#fraga-who-works-on")
    form.get_by_label("Riskfaktor").select_option(label="Psykisk ohälsa")
    with page.expect_navigation():
        form.get_by_role("button", name="Kör").click()
    answer = page.locator("#svar table")
    answer.wait_for()
    text = answer.inner_text()
    for name in ("Förskolan", "Kultur", "Stöd och omsorg", "Region Västerbotten", "Grundskolan", "Gymnasiet",
                 "Fritid", "Polisen", "Länsstyrelsen Västerbotten", "SSPF"):
        assert name in text, name
    links = answer.locator("a").evaluate_all("els => els.map(e => [e.getAttribute('href'), e.textContent])")
    targets = dict(links)
    assert "/forvaltningar/forskolan" in targets and "/aktorer/region-vasterbotten" in targets
    assert len(targets) >= 20
    for href, label in sorted(targets.items()):
        response = page.goto(href)
        assert response is not None and response.ok, href
        assert page.locator("h1").inner_text().strip() == label.strip(), href


def test_every_nav_page_loads_offline_without_errors(page):
    page, guard = page
    page.goto("/")
    hrefs = page.locator("header nav a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert len(hrefs) == 13  # with Ändringar (the versions) and Uppföljning (api/follow_up_pages.py)
    for href in hrefs:
        response = page.goto(href)
        assert response.ok, href
        assert page.locator("html").get_attribute("lang") == "sv"
        assert page.locator("h1").count() == 1, href
    page.goto("/")
    images = page.locator(".charts img")
    assert images.count() == 4
    for i in range(4):
        images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=images.nth(i).element_handle())


def test_resource_page_shows_the_plan_text_and_links(page):
    page, guard = page
    page.goto("/insatser/stod-och-omsorg-1")
    assert page.locator("h1").inner_text() == "Resursförstärka grunduppdraget"
    pre = page.locator("pre.plan-text").first
    first_number = pre.locator(".ln").first.evaluate("e => getComputedStyle(e, '::before').content")
    assert first_number == '"2137"'
    with page.expect_navigation():
        page.locator("dl.facts").get_by_role("link", name="Stöd och omsorg").click()
    assert page.url.endswith("/forvaltningar/stod-och-omsorg")


def test_network_view_draws_offline(page):
    page, guard = page
    page.goto("/views")
    with page.expect_navigation():
        page.get_by_role("link", name="Riskfaktor: Psykisk ohälsa").click()
    assert page.url.endswith("/views/risk-factor-psykisk-ohalsa")
    page.locator("canvas").first.wait_for()


def test_search_from_the_header_finds_synonyms(page):
    page, guard = page
    page.goto("/")
    page.locator("#sok-ruta").fill("socialtjänsten")
    with page.expect_navigation():
        page.locator("#sok-ruta").press("Enter")
    first = page.locator("ol.hits a").first
    assert first.inner_text() == "Stöd och omsorg"
    with page.expect_navigation():
        first.click()
    assert page.url.endswith("/forvaltningar/stod-och-omsorg")


def test_sparql_editor_runs_a_query_and_downloads_csv(page):
    page, guard = page
    page.goto("/fragor")
    editor = page.locator("#sparql-query")
    editor.fill("PREFIX uvts: <https://w3id.org/uvts/ontology#>\nSELECT ?niva WHERE { ?niva a uvts:PreventionLevel }")
    with page.expect_navigation():
        editor.press("Control+Enter")
    result = page.locator("#sparql-svar")
    assert "3 rader" in result.inner_text()
    assert result.locator("table a").count() == 3
    with page.expect_download() as info:
        result.get_by_role("link", name="Ladda ned CSV").click()
    download = info.value
    assert download.suggested_filename == "svar.csv"
    lines = open(download.path(), encoding="utf-8-sig").read().splitlines()
    assert lines[0] == "niva" and len(lines) == 4


def test_print_style_hides_navigation(page):
    page, guard = page
    page.goto("/riskfaktorer/psykisk-ohalsa")
    assert page.locator("header.site").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()
    assert page.locator("pre.plan-text").first.is_visible()
    assert re.search(r"Vem arbetar med", page.locator("main").inner_text())


def test_the_guard_catches_a_request_outside_loopback(browser, base_url):
    """The check above can fail: a page that loads something from elsewhere is caught."""
    context = browser.new_context(base_url=base_url)
    guard = Guard(context)
    page = guard.watch(context.new_page())
    page.goto("/static/style.css")
    page.set_content('<img src="https://example.org/bild.png">')
    page.wait_for_timeout(300)
    context.close()
    assert guard.blocked == ["https://example.org/bild.png"]


# --- every page kind at phone and laptop width: no overflow, axe, screenshots (issue 16) --------------------------

from pathlib import Path  # noqa: E402

from axe import violations  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "pages"
VIEWPORTS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}

# One address per page kind (and the pages the issue named).
PAGE_KINDS = {
    "start": "/", "riskfaktorer": "/riskfaktorer", "riskfaktor": "/riskfaktorer/psykisk-ohalsa",
    "forvaltningar": "/forvaltningar", "forvaltning": "/forvaltningar/stod-och-omsorg", "aktorer": "/aktorer",
    "aktor": "/aktorer/region-vasterbotten", "forum": "/forum/sspf", "plats": "/platser/alidhem",
    "niva": "/nivaer/selektiv", "grunduppdrag": "/grunduppdrag/fritid", "insatser": "/insatser",
    "insats": "/insatser/stod-och-omsorg-3", "natverk": "/views", "fragor": "/fragor",
    "fragesvar": "/fragor?fraga=who-works-on&riskFactor=psykisk-ohalsa", "rapport": "/rapport",
    "sok": "/search?q=f%C3%B6r%C3%A4ldrar", "saknas": "/riskfaktor",
    "sparqlfel": "/fragor/sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%7D",
}
STATUS = {"saknas": 404, "sparqlfel": 400}


@pytest.fixture(params=list(VIEWPORTS))
def sized(request, browser, base_url):
    context = browser.new_context(base_url=base_url, locale="sv-SE", viewport=VIEWPORTS[request.param])
    guard = Guard(context)
    page = guard.watch(context.new_page())
    page.set_default_timeout(30_000)
    page.guard = guard
    yield page, request.param
    context.close()
    guard.check()


def _expected_error(guard, status: int) -> None:
    """Forget the console's note of a status this test asked for (a 404 page, a refused query)."""
    guard.errors = [e for e in guard.errors if f"status of {status}" not in e]


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_every_page_kind_fits_the_screen_and_passes_axe(sized):
    page, width = sized
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = {}
    for name, path in PAGE_KINDS.items():
        response = page.goto(path)
        assert response is not None and response.status == STATUS.get(name, 200), path
        page.locator("h1").wait_for()
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        if _overflow(page) > 0:
            problems[path] = f"{_overflow(page)} px wider than the window"
        found = violations(page)
        if found:
            problems[f"{path} (axe)"] = found
    _expected_error(page.guard, 404)
    _expected_error(page.guard, 400)
    assert not problems, problems


def test_the_department_page_is_short_and_the_plan_text_folded(sized):
    page, width = sized
    page.goto("/forvaltningar/stod-och-omsorg")
    details = page.locator("details.plan-text").first
    assert not details.locator("pre").is_visible()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < (6000 if width == "1366" else 10000), height  # it was 17,000 px at 1366
    assert page.get_by_role("heading", name="Samarbetspartner (7)").is_visible()  # 7 since Förskolan is no longer read into Stöd och omsorg 8 and 9 (issue 18, l.2617, 2670)
    details.locator("summary").click()
    details.locator("pre").first.wait_for(state="visible")
    assert _overflow(page) <= 0


def test_two_clicks_from_the_start_page_to_who_works_at_which_level(page):
    page, guard = page
    page.set_viewport_size(VIEWPORTS["1366"])
    page.goto("/")
    row = page.locator("table tr", has=page.get_by_role("link", name="Psykisk ohälsa", exact=True))
    with page.expect_navigation():
        row.get_by_role("link", name="Visa aktörerna").click()
    assert page.url.endswith("/riskfaktorer/psykisk-ohalsa#vem")
    table = page.locator("table.levels")
    page.wait_for_function("() => { const r = document.getElementById('vem').getBoundingClientRect();"
                           " return r.top >= 0 && r.top < window.innerHeight; }")
    heads = table.locator("thead th").all_inner_texts()
    assert heads[:4] == ["Aktör", "Universell", "Selektiv", "Indikerad"]
    soc = table.locator("tbody tr:has(th a:text-is('Stöd och omsorg'))")
    assert "Föräldrasupporten" in soc.locator("td").nth(0).inner_text()
    with page.expect_navigation():
        soc.get_by_role("link", name="Föräldrasupporten").first.click()
    assert page.url.endswith("/insatser/stod-och-omsorg-3")


def test_full_text_search_in_the_browser(page):
    page, guard = page
    page.goto("/")
    page.locator("#sok-ruta").fill("föräldrar")
    with page.expect_navigation():
        page.locator("#sok-ruta").press("Enter")
    hits = page.locator("ol.hits > li")
    names = page.locator("ol.hits > li > a").all_inner_texts()
    assert "Föräldrasupporten" in names and "Föräldrastöd till utrikesfödda" in names
    assert page.locator("ol.hits mark").count() >= len(names)
    assert re.fullmatch(r"\d+ träffar på ”?föräldrar”?\.", page.locator("#antal").inner_text().replace('"', ""))
    assert hits.count() == len(names)
    page.goto("/search?q=psykisk")
    assert len(page.locator("ol.hits > li > a").all_inner_texts()) >= 9


def test_a_browser_gets_the_swedish_404_page(page):
    page, guard = page
    for path, nearest in (("/riskfaktor", "Riskfaktorer"), ("/Rapport", "Rapport")):
        response = page.goto(path)
        assert response.status == 404 and response.headers["content-type"].startswith("text/html")
        assert page.locator("h1").inner_text() == "Sidan finns inte"
        assert page.locator("header nav a").count() == 13
        with page.expect_navigation():
            page.locator("main").get_by_role("link", name=nearest).click()
        assert page.locator("h1").inner_text() in (nearest, "Rapport")
    _expected_error(guard, 404)


def test_keyboard_skip_link_and_search(page):
    page, guard = page
    page.goto("/riskfaktorer/psykisk-ohalsa")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.url.endswith("#innehall")
    # the wide table can be scrolled from the keyboard: its region takes focus
    region = page.locator("#vem-avsnitt .table-wrap")
    assert region.get_attribute("tabindex") == "0"
    # Tab reaches the search box from the top of the page
    page.goto("/")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "sok-ruta":
            break
    assert page.evaluate("document.activeElement.id") == "sok-ruta"
    page.keyboard.type("polis")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("ol.hits a").first.inner_text() == "Polisen"


def test_print_style_of_the_risk_factor_and_department_pages(page):
    page, guard = page
    page.goto("/riskfaktorer/psykisk-ohalsa")
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible() and not page.locator("footer.site").is_visible()
    assert page.locator("table.levels").is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('table.levels thead')).display") == "table-header-group"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "riskfaktor-utskrift.pdf"), format="A4")
    page.goto("/forvaltningar/stod-och-omsorg")
    assert not page.locator("form").first.is_visible()
    assert _overflow(page) <= 0


def test_the_question_page_is_no_wider_than_the_window(sized):
    page, width = sized
    page.goto("/fragor")
    widest = page.evaluate("Math.max(...[...document.querySelectorAll('select')].map(s => s.getBoundingClientRect().right))")
    assert widest <= page.viewport_size["width"], widest
    assert _overflow(page) <= 0


def test_sparql_error_shows_the_position_in_swedish(page):
    page, guard = page
    page.goto("/fragor")
    editor = page.locator("#sparql-query")
    editor.fill("SELECT * WHERE {\n  ?s ?p\n}")
    with page.expect_navigation():
        editor.press("Control+Enter")
    alert = page.locator("#sparql-svar")
    _expected_error(guard, 400)
    found = re.search(r"Frågan kunde inte tolkas: rad (\d), kolumn (\d): oväntat ”(\?|\})” här\.", alert.inner_text())
    assert found and "Expected" not in alert.inner_text()
    line, column = int(found.group(1)), int(found.group(2))
    assert alert.locator("pre.sparql-problem").inner_text() == \
        ["SELECT * WHERE {", "  ?s ?p", "}"][line - 1] + "\n" + " " * (column - 1) + "^"


def test_tables_become_cards_on_a_phone(sized):
    """At 390 px the interventions and the risk factor's level table are read as one card per row,
    each value named; at 1366 they are tables."""
    page, width = sized
    page.goto("/insatser")
    cell = page.locator("table.cards tbody tr").first.locator("td").nth(1)
    label = cell.evaluate("e => getComputedStyle(e, '::before').content")
    display = cell.evaluate("e => getComputedStyle(e).display")
    if width == "390":
        assert label == '"Förvaltning: "' and display == "block"
    else:
        assert display == "table-cell"
    page.goto("/riskfaktorer/psykisk-ohalsa")
    cell = page.locator("table.levels tbody tr").first.locator("td").first
    assert cell.evaluate("e => getComputedStyle(e).display") == ("block" if width == "390" else "table-cell")
    assert _overflow(page) <= 0
