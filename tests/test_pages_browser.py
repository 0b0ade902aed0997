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
