"""The page Ändringar in a real browser (headless Chromium, as tests/test_pages_browser.py):
choose two versions, see the changes with links, no request outside 127.0.0.1, no axe violations."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from axe import violations
from test_pages_browser import CHROMIUM_ARGS, Guard, _free_port  # noqa: F401
from uvts.api.app import create_app
from uvts.api.settings import Settings
from uvts.graph import versions as V
from uvts.graph.paths import ROOT

pytestmark = pytest.mark.browser
FIXTURES = ROOT / "tests" / "fixtures" / "diff-plan"


@pytest.fixture
def served(tmp_path, monkeypatch):
    import uvicorn

    home = tmp_path / "home"
    monkeypatch.setenv("UVTS_HOME", str(home))
    folder = tmp_path / "lillby"
    shutil.copytree(FIXTURES / "v1", folder)
    v1, _ = V.publish([folder], message="Första versionen")
    shutil.rmtree(folder)
    shutil.copytree(FIXTURES / "v2", folder)
    v2, _ = V.publish([folder], message="Andra versionen")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(query_workers=1)), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", v1, v2
    server.should_exit = True
    thread.join(30)


def test_changes_page_in_the_browser(served):
    from playwright.sync_api import expect, sync_playwright

    base, v1, v2 = served
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Chromium is not installed (apt-get install chromium); the browser tests do not skip"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(base_url=base, locale="sv-SE")
        guard = Guard(context)
        page = guard.watch(context.new_page())
        page.set_default_timeout(30_000)
        page.goto("/")
        page.get_by_role("link", name="Ändringar").click()
        expect(page.get_by_role("heading", name="Ändringar", level=1)).to_be_visible()
        expect(page.get_by_role("link", name="Ny: Nattvandring")).to_be_visible()
        assert violations(page) == []
        # the other way round: choose the versions and compare
        page.get_by_label("Från version").select_option(label=next(o for o in page.locator("#fran option").all_inner_texts()
                                                                   if "Andra versionen" in o))
        page.get_by_label("Till version").select_option(label=next(o for o in page.locator("#till option").all_inner_texts()
                                                                   if "Första versionen" in o))
        with page.expect_navigation():
            page.get_by_role("button", name="Jämför").click()
        expect(page.get_by_role("link", name="Ny: Närvaroteam")).to_be_visible()
        # a removed intervention (as seen from the newer version) opens in the version that has it
        page.get_by_role("link", name="Ny: Närvaroteam").click()
        expect(page.get_by_role("heading", name="Närvaroteam")).to_be_visible()
        assert f"at={v1.id}" in page.url
        guard.check()
        browser.close()
