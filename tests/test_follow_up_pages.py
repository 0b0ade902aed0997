"""The follow-up pages, the intervention history and the trend charts (in-process, TestClient)."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from uvts.api.app import create_app
from uvts.api.settings import Settings
from uvts.graph.paths import DEFAULT_DATA

FIXTURE = Path(__file__).parent / "fixtures" / "follow-up-plan"
MODULES = ["uvts.api.rest", "uvts.api.pages", "uvts.api.follow_up_pages"]


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings(store="memory", data=(DEFAULT_DATA, FIXTURE)), modules=MODULES)
    with TestClient(app) as c:
        yield c


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_index_lists_rounds_of_both_plans_and_the_trends(client):
    r = client.get("/uppfoljning")
    assert r.status_code == 200
    for slug in ("testkommun-2024-2024-12-31", "testkommun-2024-2024-06-30", "umea-uvts-2024-2026-2024-05-31"):
        assert f'href="/uppfoljning/{slug}"' in r.text
    assert '/uppfoljning/diagram/skola-1--antal-elever.svg' in r.text
    assert '/uppfoljning/diagram/social-2--antal-foraldrar.svg' in r.text
    assert 'href="/uppfoljning"' in r.text and ">Uppföljning</a>" in r.text  # in the navigation
    assert "<td>Testkommun</td>" in r.text and "<td>Umeå kommun</td>" in r.text  # names, not plan ids
    assert "<td>testkommun-2024</td>" not in r.text


def test_round_page_matrix_has_text_not_only_colour(client):
    r = client.get("/uppfoljning/testkommun-2024-2024-12-31")
    assert r.status_code == 200
    page = r.text
    matrix = page.split('class="status-matrix"')[1].split("</table>")[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r'<tr><th scope="row"><a href="[^"]+">([^<]+)</a></th>(.*?)</tr>',
                                                          matrix, re.S)}
    assert set(rows) == {"Skolan", "Socialtjänsten"}
    skola = _text(rows["Skolan"])
    assert "Läxhjälp ! Försenad" in skola
    assert "Elevhälsa" not in skola  # not followed up in this round
    social = _text(rows["Socialtjänsten"])
    assert "Samtalsgrupper ✕ Avbruten" in social and "Föräldrastöd ✓ Enligt plan" in social
    text = _text(page)
    assert "Två av tre tjänster är inte tillsatta." in text  # why it is delayed
    assert "Inte uppföljda i omgången (1)" in text and "Elevhälsa i samverkan" in text.split("Inte uppföljda")[1]
    assert "status-forsenad" in matrix  # the colour class goes with the text
    assert "Testkommun. Datum: 2024-12-31" in text


def test_plan_round_page_shows_stated_results_without_status(client):
    r = client.get("/uppfoljning/umea-uvts-2024-2026-2024-05-31")
    assert r.status_code == 200
    text = _text(r.text)
    assert "– Ingen status angiven" in text
    assert "Antal nådda föräldrar: 67 föräldrar" in text and "Antal nådda barn: 95 barn" in text
    assert "Inte uppföljda i omgången (42)" in text


def test_unknown_round_is_a_swedish_404(client):
    r = client.get("/uppfoljning/hosten-2030")
    assert r.status_code == 404
    assert "Det finns ingen uppföljningsomgång 'hosten-2030'" in html.unescape(r.text)


def test_intervention_page_shows_history_and_trend(client):
    r = client.get("/insatser/skola-1")
    assert r.status_code == 200
    section = r.text.split('id="uppfoljningshistorik"')[1].split("</section>")[0]
    text = _text(section)
    assert "(2 omgångar)" in text
    assert text.index("Uppföljning våren 2024") < text.index("Uppföljning hösten 2024")
    assert "✓ Enligt plan" in text and "! Försenad" in text and "Antal elever: 14 elever" in text
    assert 'src="/uppfoljning/diagram/skola-1--antal-elever.svg"' in section
    r = client.get("/insatser/fritid-1")
    assert "Insatsen finns inte med i någon uppföljningsomgång." in r.text


def test_trend_chart_svg_and_png_with_swedish_labels(client):
    svg = client.get("/uppfoljning/diagram/social-2--antal-foraldrar.svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    ET.fromstring(svg.content)
    body = svg.content.decode("utf-8")
    for label in ("Uppföljningsomgång", "föräldrar", "Antal föräldrar", "8,5", "2024-06-30", "2024-12-31"):
        assert label in body, label
    png = client.get("/uppfoljning/diagram/social-2--antal-foraldrar.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    # one value only (Umeå's plan round): no chart
    assert client.get("/uppfoljning/diagram/arbetsmarknad-och-integration-3--antal-nadda-barn.svg").status_code == 404


def test_chain_page_marks_missing_links_in_words(client):
    r = client.get("/uppfoljning/kedjan?plan=testkommun-2024")
    assert r.status_code == 200
    rows = re.findall(r"<tr( class=\"broken\")?><td><a href=\"/insatser/([^\"]+)\">.*?</tr>", r.text, re.S)
    assert sorted(x[1] for x in rows) == ["skola-1", "skola-2", "social-1", "social-2"]
    assert {x[1] for x in rows if x[0]} == {"skola-2"}  # only Skolan 2 is not in the latest round
    assert "✕</span> saknas" in r.text and "✓</span> finns" in r.text


def test_network_view_nodes_carry_their_latest_status():
    from uvts.graph.project import read_typed_graph
    from uvts.graph.store import open_store
    from uvts.visualisations.views import view_data

    store, _ = open_store([DEFAULT_DATA, FIXTURE], kind="memory")
    data = view_data("network", read_typed_graph(store))
    status = {n["id"].rsplit("/", 1)[-1]: (n["status"], n["status_label"]) for n in data["nodes"]
              if n["kind"] == "Intervention"}
    assert status["skola-1"] == ("forsenad", "Försenad")
    assert status["skola-2"] == ("ej-paborjad", "Ej påbörjad")  # its latest given status (first round)
    assert status["kultur-1"] == ("ingen-status", "Ingen status angiven")  # Umeå: a stated result, no status
    assert status["fritid-1"] == ("ej-uppfoljd", "Inte uppföljd")
    assert all("status" not in n for n in data["nodes"] if n["kind"] != "Intervention")
    skola = next(n for n in data["nodes"] if n["id"].endswith("/skola-1"))
    assert ["Senaste uppföljning", "Försenad"] in skola["info"]["rows"]
