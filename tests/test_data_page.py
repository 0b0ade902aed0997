"""/data: off without the administrator's token; with it download, upload, preview, publish."""

from __future__ import annotations

import io
import shutil

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from uvts.api.app import create_app
from uvts.api.settings import Settings
from uvts.graph.load import load_plan
from uvts.graph.paths import DEFAULT_DATA

TOKEN = "hemlig-token-123"


@pytest.fixture
def app_data(tmp_path, monkeypatch):
    monkeypatch.setenv("UVTS_HOME", str(tmp_path / "home"))
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA, data)
    return data


def client_for(data, token=TOKEN, store="memory"):
    app = create_app(Settings(store=store, data=(data,), admin_token=token),
                     modules=["uvts.api.pages", "uvts.api.data_page"])
    return TestClient(app, base_url="http://testserver")


def test_off_without_a_token_says_how_to_turn_it_on(app_data):
    with client_for(app_data, None) as c:
        page = c.get("/data")
        assert page.status_code == 200
        assert "UVTS_ADMIN_TOKEN" in page.text and "--admin-token" in page.text and "avstängd" in page.text
        assert 'action="/data/granska"' not in page.text
        assert c.get("/data/arbetsbok.xlsx").status_code == 403
        r = c.post("/data/granska", files={"arbetsbok": ("a.xlsx", b"x")}, data={"token": "vad-som-helst-123"})
        assert r.status_code == 403


def _edited_workbook(c, title: str) -> bytes:
    r = c.get("/data/arbetsbok.xlsx", params={"plan": "umea-uvts-2024-2026"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["Insatser"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "kultur-2")
    ws.cell(row, 4).value = title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("store", ["memory", "oxigraph"])  # oxigraph in the home: published versions
def test_upload_preview_publish(app_data, store):
    with client_for(app_data, store=store) as c:
        assert "Ladda upp" in c.get("/data").text
        raw = _edited_workbook(c, "Kulturskola för alla")
        # wrong token, other origin: refused, nothing staged
        r = c.post("/data/granska", files={"arbetsbok": ("plan.xlsx", raw)}, data={"token": "fel-token-456789"})
        assert r.status_code == 403 and "Fel token" in r.text
        r = c.post("/data/granska", files={"arbetsbok": ("plan.xlsx", raw)}, data={"token": TOKEN},
                   headers={"Origin": "https://example.org"})
        assert r.status_code == 403 and "annan webbplats" in r.text
        r = c.post("/data/granska", files={"arbetsbok": ("plan.xlsx", raw)}, data={"token": TOKEN},
                   headers={"Sec-Fetch-Site": "cross-site"})
        assert r.status_code == 403
        # the preview: exactly one change
        r = c.post("/data/granska", files={"arbetsbok": ("plan.xlsx", raw)}, data={"token": TOKEN},
                   headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
        assert r.status_code == 200, r.text
        assert "1 ändring)" in r.text and "Kulturskola för alla" in r.text and 'name="granskning"' in r.text
        before = load_plan(app_data)
        assert all(iv.title != "Kulturskola för alla" for _, iv in before.interventions())  # nothing written yet
        upload = r.text.split('name="granskning" value="')[1].split('"')[0]
        r = c.post("/data/publicera", data={"granskning": upload, "token": TOKEN, "meddelande": "Ny titel"})
        assert r.status_code == 200 and "Publicerat" in r.text
        after = load_plan(app_data)
        assert next(iv for d, iv in after.interventions() if d.id == "kultur" and iv.number == 2).title == "Kulturskola för alla"
        page = c.get("/insatser/kultur-2")
        assert page.status_code == 200 and "Kulturskola för alla" in page.text
        if store == "oxigraph":
            from uvts.graph.versions import latest

            v = latest()
            assert v.source["kind"] == "workbook" and v.source["name"] == "plan.xlsx" and len(v.source["sha256"]) == 64
            assert v.message == "Ny titel" and f"version {v.id}" in r.text


def test_a_wrong_workbook_shows_every_error_by_cell_and_changes_nothing(app_data):
    with client_for(app_data) as c:
        r = c.get("/data/arbetsbok.xlsx")
        wb = load_workbook(io.BytesIO(r.content))
        ws = wb["Insatser"]
        ws["T2"].value = "tjugo"
        ws["B3"].value = "Fritd"
        buf = io.BytesIO()
        wb.save(buf)
        before = sorted(p.read_bytes() for p in app_data.rglob("*.yaml"))
        r = c.post("/data/granska", files={"arbetsbok": ("plan.xlsx", buf.getvalue())}, data={"token": TOKEN})
        assert r.status_code == 422
        assert "plan.xlsx › Insatser!T2: Ålder från ska vara ett heltal (fick &#39;tjugo&#39;)" in r.text
        assert "plan.xlsx › Insatser!B3: okänd förvaltning &#39;Fritd&#39;; menade du &#34;Fritid&#34;?" in r.text
        assert "Publicera" not in r.text
        assert sorted(p.read_bytes() for p in app_data.rglob("*.yaml")) == before
        r = c.post("/data/granska", files={"arbetsbok": ("plan.xls", b"\xd0\xcf\x11\xe0")}, data={"token": TOKEN})
        assert r.status_code == 422 and ".xls tas inte emot" in r.text


def test_two_uploads_at_once_never_corrupt_the_plan(app_data):
    """Two previews published at the same moment: both publications finish, one after the other
    (the lock), and the plan is one of the two workbooks' whole, never a mix or half-written."""
    import threading

    with client_for(app_data, store="oxigraph") as c:
        uploads = []
        for title in ("Första titeln", "Andra titeln"):
            r = c.post("/data/granska", files={"arbetsbok": (f"{title}.xlsx", _edited_workbook(c, title))},
                       data={"token": TOKEN})
            assert r.status_code == 200, r.text
            uploads.append(r.text.split('name="granskning" value="')[1].split('"')[0])
        results = []

        def publish(upload):
            results.append(c.post("/data/publicera", data={"granskning": upload, "token": TOKEN, "meddelande": "samtidigt"}))

        threads = [threading.Thread(target=publish, args=(u,)) for u in uploads]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sorted(r.status_code for r in results) == [200, 200]
        plan = load_plan(app_data)  # loads: whole files only
        title = next(iv for d, iv in plan.interventions() if d.id == "kultur" and iv.number == 2).title
        assert title in ("Första titeln", "Andra titeln")
        from uvts.graph.versions import latest, version_plans

        served = version_plans(latest())[0]
        assert next(iv for d, iv in served.interventions() if d.id == "kultur" and iv.number == 2).title == title
        assert not list(app_data.parent.glob(".data.*"))  # no half-swapped folder left
