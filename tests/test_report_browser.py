"""The report's HTML in Debian's Chromium (Playwright): no serious or critical axe-core
violation (WCAG 2.1 A/AA, tests/axe.py) in either edition, nothing loaded from outside the
file, and the heatmaps readable without colour (the numbers are in the cells).
"""

from __future__ import annotations

import shutil

import pytest

from axe import violations
from uvts.graph.paths import DEFAULT_DATA
from uvts.graph.store import open_store
from uvts.visualisations.report import build_document, render_document

CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: apt-get install chromium (the browser tests do not skip)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def store():
    store, _ = open_store([DEFAULT_DATA], kind="memory")
    return store


@pytest.mark.parametrize("edition", ["fullstandig", "mote"])
def test_report_html_has_no_serious_accessibility_violation(browser, store, edition, tmp_path):
    html = render_document(build_document(store, date="2026-11-25", edition=edition), "html").decode("utf-8")
    context = browser.new_context(locale="sv-SE", viewport={"width": 1366, "height": 900})
    outside = []

    def route(r):
        if r.request.url.startswith(("data:", "about:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_content(html, wait_until="load")
    page.wait_for_function("document.querySelectorAll('table.heatmap td.heat-6').length > 0")
    found = violations(page)
    assert found == [], found
    # a heatmap cell carries its number as text, so colour is not the only carrier of meaning
    cells = page.eval_on_selector_all("table.heatmap td[class*='heat-']", "els => els.map(e => e.textContent.trim())")
    assert cells and all(c.replace("\u00a0", "").replace(" ", "").isdigit() for c in cells)
    page.screenshot(path=str(tmp_path / f"rapport-{edition}.png"))
    context.close()
    assert not outside and not errors, (outside, errors)
