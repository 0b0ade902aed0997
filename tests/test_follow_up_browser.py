"""Follow-up in a real browser (Playwright, Debian's Chromium, headless): the round page, the
chain page and an intervention's trend chart under the app on 127.0.0.1 (axe: no serious
violations), and the network view's status toggle with its legend. Any request to anywhere
but 127.0.0.1 fails the test; the tests fail, not skip, when Chromium is missing.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from axe import violations
from uvts.api.app import create_app
from uvts.api.settings import Settings
from uvts.graph.paths import DEFAULT_DATA

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "fixtures" / "follow-up-plan"
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions"]
READY = "() => window.uvtsView !== undefined && window.uvtsView.state.stabilised === true"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    import uvicorn

    settings = Settings(store="memory", data=(DEFAULT_DATA, FIXTURE), query_workers=1, query_timeout=5)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import Error, sync_playwright

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("Chromium saknas: kör 'bash scripts/setup.sh --test' (Debians chromium); testerna hoppas inte över")
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        except Error as exc:
            pytest.fail(f"Chromium ({exe}) kunde inte startas: {exc}")
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="sv-SE")
    outside, errors = [], []

    def route(r):
        parts = urlsplit(r.request.url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1":
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.set_default_timeout(60_000)
    yield pg
    context.close()
    assert not outside, f"requests outside 127.0.0.1: {outside}"
    assert not errors, f"errors in the page: {errors}"


def test_round_and_chain_pages_are_accessible(page, base_url):
    page.goto(base_url + "/uppfoljning/testkommun-2024-2024-12-31")
    cell = page.locator("table.status-matrix").get_by_text("Försenad")
    cell.wait_for()
    assert cell.is_visible()
    assert violations(page) == []
    page.goto(base_url + "/uppfoljning/kedjan?plan=testkommun-2024")
    page.locator("table.chain").wait_for()
    assert page.locator("td.link-missing").count() == 1
    assert violations(page) == []


def test_trend_chart_loads_on_the_intervention_page(page, base_url):
    page.goto(base_url + "/insatser/social-2")
    img = page.locator("figure.trend img")
    img.wait_for()
    page.wait_for_function("() => { const i = document.querySelector('figure.trend img');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    assert "Antal föräldrar" in img.get_attribute("alt")
    assert violations(page) == []


@pytest.fixture(scope="module")
def view_url(tmp_path_factory):
    from uvts.graph.project import read_typed_graph
    from uvts.graph.store import open_store
    from uvts.visualisations.views import render_view

    root = tmp_path_factory.mktemp("views")
    store, _ = open_store([FIXTURE], kind="memory")
    (root / "network.html").write_text(render_view("network", read_typed_graph(store), index_href=None),
                                       encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/network.html"
    server.shutdown()
    server.server_close()


def test_view_colours_interventions_by_status_with_a_legend(page, view_url):
    page.goto(view_url)
    page.wait_for_function(READY)
    toggle = page.get_by_label("Färga insatser efter senaste uppföljning")
    legend = page.locator("#uvts-status-legend")
    assert not legend.is_visible()
    before = page.evaluate("() => window.uvtsView.nodes.get('https://w3id.org/uvts/id/intervention/skola-1')")
    toggle.check()
    page.wait_for_function("() => window.uvtsView.statusColoured === true")
    after = page.evaluate("() => window.uvtsView.nodes.get('https://w3id.org/uvts/id/intervention/skola-1')")
    assert after["status"] == "forsenad"
    assert after["color"]["background"] != before["color"]["background"]
    assert after["label"].startswith("! ")  # the symbol goes with the colour
    texts = legend.locator("li").all_inner_texts()
    assert any("Försenad (1)" in t for t in texts) and any("Avbruten (1)" in t for t in texts)
    toggle.uncheck()
    page.wait_for_function("() => window.uvtsView.statusColoured === false")
    restored = page.evaluate("() => window.uvtsView.nodes.get('https://w3id.org/uvts/id/intervention/skola-1')")
    # the colour comes back; the label loses its status symbol (whether a label is shown at this zoom
    # is the views' own label ranking, visualisations/templates/view.js, not the toggle's)
    assert restored["color"] == before["color"] and not (restored.get("label") or "").startswith("! ")
    assert not legend.is_visible()
