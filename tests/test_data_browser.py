"""/data in a real browser (Debian's Chromium, Playwright): download the workbook, edit one title,
upload it through the page, see the preview, publish, and find the new title on the intervention's
page; a wrong workbook shows the cell errors and changes nothing. Requests outside 127.0.0.1 fail."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from openpyxl import load_workbook

from axe import violations
from test_pages_browser import Guard, _free_port, browser  # noqa: F401  (the shared Chromium fixture)
from uvts.api.app import create_app
from uvts.api.settings import Settings
from uvts.graph.paths import DEFAULT_DATA

pytestmark = pytest.mark.browser
TOKEN = "webbläsartoken-42"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import uvicorn

    tmp = tmp_path_factory.mktemp("data-browser")
    data = tmp / "data"
    shutil.copytree(DEFAULT_DATA, data)
    mp = pytest.MonkeyPatch()
    mp.setenv("UVTS_HOME", str(tmp / "home"))
    settings = Settings(data=(data,), admin_token=TOKEN, query_workers=1)  # published versions in the home
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, modules=["uvts.api.pages", "uvts.api.data_page"]),
                                           host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", data, tmp
    server.should_exit = True
    thread.join(30)
    mp.undo()


@pytest.fixture
def page(browser, served):  # noqa: F811
    base_url = served[0]
    context = browser.new_context(base_url=base_url, locale="sv-SE", accept_downloads=True)
    guard = Guard(context)
    page = guard.watch(context.new_page())
    page.set_default_timeout(30_000)
    yield page, guard
    context.close()
    guard.check()


def _download(page, tmp):
    page.goto("/data")
    with page.expect_download() as info:
        page.get_by_role("link", name="Umeå kommun: Aktivitetsplan 2024–2026 – Umeå växer tryggt och säkert").click()
    path = tmp / "nedladdad.xlsx"
    info.value.save_as(path)
    return path


def test_a_wrong_workbook_shows_the_cell_errors_and_changes_nothing(page, served):
    page, guard = page
    _, data, tmp = served
    wb = load_workbook(_download(page, tmp))
    ws = wb["Insatser"]
    ws["T2"].value = "tjugo"
    ws["B3"].value = "Fritd"
    wrong = tmp / "fel.xlsx"
    wb.save(wrong)
    before = {p: p.read_bytes() for p in data.rglob("*.yaml")}
    page.get_by_label("Arbetsbok (.xlsx)").set_input_files(str(wrong))
    page.get_by_label("Administratörens token").fill(TOKEN)
    page.get_by_role("button", name="Granska").click()
    alert = page.get_by_role("alert")
    alert.get_by_text("Arbetsboken har 2 fel").wait_for()
    text = alert.inner_text()
    assert "fel.xlsx › Insatser!T2: Ålder från ska vara ett heltal (fick 'tjugo')" in text
    assert "fel.xlsx › Insatser!B3: okänd förvaltning 'Fritd'; menade du \"Fritid\"?" in text
    assert page.get_by_role("button", name="Publicera").count() == 0
    assert {p: p.read_bytes() for p in data.rglob("*.yaml")} == before
    guard.errors = [e for e in guard.errors if "422" not in e]  # the page answers 422 on purpose


def test_upload_preview_publish_and_see_the_new_title(page, served):
    page, guard = page
    _, data, tmp = served
    wb = load_workbook(_download(page, tmp))
    ws = wb["Insatser"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "gymnasiet-1")
    old_title = ws.cell(row, 4).value
    ws.cell(row, 4).value = "Mentorer på gymnasiet"
    edited = tmp / "ändrad.xlsx"
    wb.save(edited)
    page.get_by_label("Arbetsbok (.xlsx)").set_input_files(str(edited))
    page.get_by_label("Administratörens token").fill(TOKEN)
    page.get_by_role("button", name="Granska").click()
    preview = page.locator("section[aria-labelledby=granskning]")
    preview.get_by_text("1 ändring)").wait_for()
    rows = preview.locator("table.changes tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[1:] == ["titel", old_title, "Mentorer på gymnasiet"]
    assert violations(page) == []
    page.get_by_label("Meddelande till versionen").fill("Ny titel på mentorsinsatsen")
    page.get_by_role("button", name="Publicera").click()
    page.get_by_role("status").get_by_text("Publicerat").wait_for()
    page.goto("/insatser/gymnasiet-1")
    assert page.locator("h1").inner_text().strip() == "Mentorer på gymnasiet"
    assert "Mentorer på gymnasiet" in (data / "departments" / "gymnasiet.yaml").read_text(encoding="utf-8")


def test_the_page_is_accessible_and_off_switch_is_explained(page):
    page, guard = page
    page.goto("/data")
    assert page.locator("h1").inner_text() == "Planen i Excel"
    assert violations(page) == []
