"""The network views in a real browser: Playwright driving Debian's Chromium, headless.

Every view is loaded from a local HTTP server on 127.0.0.1; any request for anything else
fails the test. Screenshots of each view at 1366×900 and 390×844 are kept in
test-artifacts/views/ (not committed; ``UVTS_ARTIFACTS`` moves them). One browser serves the
whole module. If Chromium is missing or does not start, the tests fail (they do not skip):
``bash scripts/setup.sh --test`` installs it.

What is measured, not assumed: label sizes and overlaps from vis-network's own label boxes
at the fitted scale, the details panel's box against the viewport, the graph area's height
and the page's width at phone size, axe-core's WCAG 2.1 A/AA results, and keyboard use.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from uvts.graph import namespaces as ns
from uvts.graph.analyses import run_all
from uvts.graph.paths import DEFAULT_DATA, ROOT
from uvts.graph.project import read_typed_graph
from uvts.visualisations import views as V

from axe import violations

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("UVTS_ARTIFACTS", ROOT / "test-artifacts")) / "views"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
READY = "() => window.uvtsView !== undefined && window.uvtsView.state.stabilised === true"
# the layout has settled again after a filter, search or focus
SETTLED = "() => window.uvtsView.state.stabilised === true && window.uvtsView.state.settling === false"
# the canvas shows a drawing (not blank): wait for this rather than read it once
PAINTED = """() => {
    const c = document.querySelector('#uvts-network canvas');
    if (!c || !c.width) { return false; }
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 16) { if (d[i] > 0) { n++; if (n > 150) { return true; } } }
    return false;
}"""
# vis-network's own label boxes after a fresh drawing, in page pixels
LABEL_BOXES = """async () => {
    const net = uvtsView.network;
    await new Promise((done) => { net.once('afterDrawing', done); net.redraw(); });
    const scale = net.getScale();
    const r = document.querySelector('#uvts-network canvas').getBoundingClientRect();
    const out = [];
    for (const id of uvtsView.nodesView.getIds()) {
        const node = net.body.nodes[id];
        const text = node.options.label;
        if (!text) { continue; }
        const s = node.labelModule.size;
        const a = net.canvasToDOM({x: s.left, y: s.top});
        const b = net.canvasToDOM({x: s.left + s.width, y: s.top + s.height});
        out.push({id: id, kind: uvtsView.data.nodes.find((n) => n.id === id).kind, text: text,
                  px: node.labelModule.fontOptions.size * scale,
                  left: r.left + a.x, top: r.top + a.y, right: r.left + b.x, bottom: r.top + b.y});
    }
    return out;
}"""
# how many of the nodes shown are inside the canvas at the current zoom
ON_SCREEN = """() => { const net = uvtsView.network, c = document.querySelector('#uvts-network canvas');
    const pos = net.getPositions(uvtsView.nodesView.getIds());
    return Object.values(pos).map((p) => net.canvasToDOM(p))
        .filter((p) => p.x >= 0 && p.y >= 0 && p.x <= c.clientWidth && p.y <= c.clientHeight).length; }"""
# words a user must never see in a view (English, internals, technical terms, wrong plural)
FORBIDDEN = re.compile(r"https?://|\bIRI\b|\bJSON\b|Jaccard|TF-IDF|betweenness|eigenvector|\bcentrality\b"
                       r"|undefined|\bnull\b|NaN|\b1 (insatser|noder|kopplingar|träffar|rader|aktörer)\b")

EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
EVIL_ACTOR = '<script>window.__pwned=3</script><b>Selam</b>'
EVIL_PURPOSE = '<img src=y onerror="window.__pwned=4">'


@functools.lru_cache(maxsize=1)
def _plan():
    """The plan's typed graph, analyses and extras (read once per test run)."""
    from uvts.graph.store import open_store

    store, _ = open_store([DEFAULT_DATA], kind="memory")
    return read_typed_graph(store), run_all(store, seed=0), V.read_extras(store)


def _view_names() -> list[str]:
    return [name for name, _ in V.view_names(_plan()[0])]


# --- fixtures: one server, one browser ------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A local HTTP server on 127.0.0.1 over a fresh folder: ``(folder, base URL)``."""
    root = tmp_path_factory.mktemp("site")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def plan_views(site):
    root, base = site
    G, results, extras = _plan()
    V.write_views(root / "plan", G, results=results, extras=extras)
    return f"{base}plan/"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Chromium saknas (kommandot 'chromium' finns inte): kör 'bash scripts/setup.sh --test', som "
                    "installerar Debians chromium.")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=exe, args=LAUNCH_ARGS)
    except Exception as exc:  # noqa: BLE001 - any launch failure is a failed test, with the reason
        pw.stop()
        pytest.fail(f"Chromium ({exe}) kunde inte startas: {exc}")
    yield b
    b.close()
    pw.stop()


@pytest.fixture(scope="module")
def context(browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    yield ctx
    ctx.close()


class Visit:
    """A page that records console errors, page errors and every request."""

    def __init__(self, context, base: str):
        self.base = base
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.page = context.new_page()
        self.page.on("console", lambda m: self.errors.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        if url.startswith(self.base):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, url: str):
        self.page.goto(url)
        self.page.wait_for_function(READY, timeout=60_000)
        return self.page

    def close(self):
        self.page.close()


def _server_root(url: str) -> str:
    return url.split("/", 3)[0] + "//" + url.split("/", 3)[2] + "/"


def _visible_ids(page) -> list[str]:
    return page.evaluate("() => uvtsView.nodesView.getIds()")


def _node_point(page, node_id: str) -> dict:
    """Where a node is drawn, in page coordinates."""
    return page.evaluate("""(id) => {
        const net = uvtsView.network;
        const p = net.canvasToDOM(net.getPosition(id));
        const r = document.querySelector('#uvts-network canvas').getBoundingClientRect();
        return {x: r.left + p.x, y: r.top + p.y};
    }""", node_id)


# --- every view ------------------------------------------------------------------------------------


def _shown_at_first(data) -> int:
    return sum(1 for n in data["nodes"] if n["kind"] not in data["hidden_types"])


def _no_horizontal_overflow(page) -> bool:
    return page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("name", _view_names())
def test_view_loads_offline_draws_on_every_screen_and_passes_axe(name, context, plan_views):
    """Each view at 1366×900 and at 390×844: drawn, no errors, nothing outside 127.0.0.1,
    graph area at least 60 % of a phone's height, no horizontal overflow, no serious or
    critical axe violation, no English or internal word in what the user reads."""
    G, results, extras = _plan()
    expected = V.view_data(name, G, results=results, extras=extras)
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}{name}.html")
        counts = page.evaluate("() => ({all: uvtsView.nodes.length, shown: uvtsView.network.body.data.nodes.length,"
                               " edges: uvtsView.edges.length})")
        assert counts == {"all": len(expected["nodes"]), "shown": _shown_at_first(expected),
                          "edges": len(expected["edges"])}
        assert counts["all"] > 0
        page.wait_for_function(PAINTED, timeout=30_000)
        assert page.title() == f"{expected['title']} – Samverkanskartan"
        assert page.locator("#uvts-size-measure").inner_text() == expected["size_measure"]
        legend = page.locator("#uvts-legend li").all_inner_texts()
        assert [t.strip() for t in legend] == [t["label"] for t in expected["legend"]["types"]]
        # the table alternative lists the nodes shown, each with its type
        rows = page.locator("#uvts-table tbody tr")
        assert rows.count() == min(_shown_at_first(expected), 400)
        assert _no_horizontal_overflow(page)
        # labels never overlap, and the node the view is about is always labelled
        boxes = page.evaluate(LABEL_BOXES)
        assert boxes and _overlaps(boxes) == []
        if expected["focus"]:
            assert expected["focus"] in {b["id"] for b in boxes}
        found = violations(page)
        assert found == [], found
        text = page.locator("body").inner_text()
        assert not FORBIDDEN.search(text), FORBIDDEN.search(text).group(0)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-1366.png"))

        page.set_viewport_size(PHONE)
        page.wait_for_function("() => document.querySelector('#uvts-network canvas').getBoundingClientRect().width"
                               " <= window.innerWidth")
        page.evaluate("() => uvtsView.fit()")
        page.wait_for_function(PAINTED, timeout=30_000)
        graph = page.locator("#uvts-network").bounding_box()
        assert graph["height"] >= 0.6 * PHONE["height"], graph
        assert graph["width"] == PHONE["width"]
        assert _no_horizontal_overflow(page)
        assert _overlaps(page.evaluate(LABEL_BOXES)) == []
        page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"))
        assert violations(page) == []
        assert visit.outside == []
        assert visit.errors == []
        assert all(u.startswith(plan_views) for u in visit.requests)
    finally:
        visit.close()


def test_index_page_links_every_view_and_loads_offline(context, plan_views):
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.page
        page.goto(f"{plan_views}index.html")
        hrefs = page.eval_on_selector_all("a", "els => els.map(a => a.getAttribute('href'))")
        assert sorted(hrefs) == sorted(f"{n}.html" for n in _view_names())
        page.click("text=Riskfaktor: Psykisk ohälsa")
        page.wait_for_function(READY, timeout=60_000)
        assert page.url.endswith("risk-factor-psykisk-ohalsa.html")
        page.click("text=← Alla vyer")
        page.wait_for_url("**/index.html")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)
        assert visit.outside == [] and visit.errors == []
    finally:
        visit.close()


# --- interaction -----------------------------------------------------------------------------------


def _neighbours(data, node, among=None) -> set[str]:
    out = {e["to"] for e in data["edges"] if e["from"] == node} | {e["from"] for e in data["edges"] if e["to"] == node}
    return out if among is None else out & among


def test_search_shows_the_matches_and_their_neighbours(context, plan_views):
    G, _, _ = _plan()
    data = V.view_data("network", G)
    default = {n["id"] for n in data["nodes"] if n["kind"] not in data["hidden_types"]}
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}network.html")
        page.fill("#uvts-search", "polisen")
        page.wait_for_function(SETTLED)
        shown = set(_visible_ids(page))
        assert 1 < len(shown) < len(default)
        matches = {n["id"] for n in data["nodes"] if "polisen" in (n["name"] + " " + n["label"]).casefold()} & default
        near = set().union(*(_neighbours(data, m, default) for m in matches))
        assert shown == matches | near
        results = page.locator("#uvts-results li").all_inner_texts()
        assert any(r.startswith("Polisen") for r in results)
        # accents do not matter: "ohalsa" finds "Psykisk ohälsa"
        page.fill("#uvts-search", "psykisk ohalsa")
        assert ns.iri("risk-factor", "psykisk-ohalsa") in _visible_ids(page)
        page.fill("#uvts-search", "zzz-finns-inte")
        assert _visible_ids(page) == []
        assert page.locator("#uvts-results").inner_text().strip() == "Inga träffar"
        assert "Inga träffar på ”zzz-finns-inte”" in page.locator("#uvts-empty").inner_text()
        page.fill("#uvts-search", "")
        page.wait_for_function(SETTLED)
        assert set(_visible_ids(page)) == default
        assert visit.errors == []
    finally:
        visit.close()


def test_filters_by_type_level_department_and_risk_factor(context, plan_views):
    G, _, _ = _plan()
    data = V.view_data("network", G)
    by_id = {n["id"]: n for n in data["nodes"]}
    default = {n["id"] for n in data["nodes"] if n["kind"] not in data["hidden_types"]}
    interventions = {n["id"] for n in data["nodes"] if n["kind"] == "Intervention"}
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}network.html")
        # places, budget posts and other links are hidden until asked for
        assert set(_visible_ids(page)) == default
        page.check("input.uvts-type[value='Place']")
        page.wait_for_function(SETTLED)
        places = {i for i, n in by_id.items() if n["kind"] == "Place"}
        assert set(_visible_ids(page)) == default | places
        page.uncheck("input.uvts-type[value='Place']")
        page.uncheck("input.uvts-type[value='Intervention']")
        page.wait_for_function(SETTLED)
        shown = set(_visible_ids(page))
        assert shown == default - interventions
        count_text = page.locator("#uvts-count").inner_text()
        assert count_text.startswith(f"Visar {len(default - interventions)} av {len(by_id)} noder")
        page.check("input.uvts-type[value='Intervention']")
        page.wait_for_function(SETTLED)
        assert set(_visible_ids(page)) == default

        indicated = ns.iri("level", "indikerad")
        page.select_option("#uvts-level", indicated)
        page.wait_for_function(SETTLED)
        shown = set(_visible_ids(page))
        cores = {i for i, n in by_id.items() if n["core"]}
        assert shown & cores == {i for i in cores & default if indicated in by_id[i]["facets"]["levels"]}
        # a chosen level hides the other levels, even those its interventions also have
        assert {i for i in shown if by_id[i]["kind"] == "PreventionLevel"} == {indicated}

        fritid = ns.iri("department", "fritid")
        page.select_option("#uvts-department", fritid)
        page.wait_for_function(SETTLED)
        shown = set(_visible_ids(page))
        assert shown & cores == {i for i in cores & default if indicated in by_id[i]["facets"]["levels"]
                                 and fritid in by_id[i]["facets"]["departments"]}

        # the example: Psykisk ohälsa + Indikerad shows no other level or risk factor
        page.select_option("#uvts-department", "")
        mental = ns.iri("risk-factor", "psykisk-ohalsa")
        page.select_option("#uvts-risk-factor", mental)
        page.wait_for_function(SETTLED)
        shown = set(_visible_ids(page))
        assert {by_id[i]["kind"] for i in shown} >= {"Intervention", "Department", "RiskFactor", "PreventionLevel"}
        assert {i for i in shown if by_id[i]["kind"] in ("PreventionLevel", "RiskFactor")} == {indicated, mental}
        assert page.locator("#uvts-empty").is_hidden()

        page.select_option("#uvts-level", "")
        rf = ns.iri("risk-factor", "synlig-narvaro-av-kriminella")
        page.select_option("#uvts-risk-factor", rf)
        page.wait_for_function(SETTLED)
        shown = set(_visible_ids(page))
        assert shown & cores == {i for i in cores & default if rf in by_id[i]["facets"]["risk_factors"]}
        assert rf in shown
        # every node shown is linked to a shown intervention or base mission, or is the chosen one
        for n in shown - cores - {rf}:
            assert _neighbours(data, n) & shown & cores, by_id[n]["name"]
        page.click("#uvts-reset")
        assert set(_visible_ids(page)) == default
        assert visit.errors == []
    finally:
        visit.close()


def test_an_empty_result_says_which_filter_emptied_it(context, plan_views):
    """In the forums and overlap views the filters that would show nothing are marked, and a
    combination that leaves nothing says which filter did it, instead of "Visar 0 av 39 noder"."""
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}overlap.html")
        page.wait_for_function("() => document.querySelectorAll('#uvts-level option').length > 1")
        # options that cannot show anything in this view are disabled and say so
        disabled = page.eval_on_selector_all("#uvts-risk-factor option:disabled, #uvts-level option:disabled",
                                             "os => os.map(o => o.textContent)")
        assert all(t.endswith("(finns inte i vyn)") for t in disabled)
        levels = page.eval_on_selector_all("#uvts-level option:not(:disabled)", "os => os.map(o => o.value)")[1:]
        risks = page.eval_on_selector_all("#uvts-risk-factor option:not(:disabled)", "os => os.map(o => o.value)")[1:]
        assert levels and risks
        empty_pair = None
        for level in levels:
            for risk in risks:
                n = page.evaluate("""([l, r]) => { const s = document.getElementById('uvts-level');
                    s.value = l; document.getElementById('uvts-risk-factor').value = r; uvtsView.apply(false);
                    return uvtsView.state.empty === null ? null : uvtsView.state.empty; }""", [level, risk])
                if n:
                    empty_pair = (level, risk, n)
                    break
            if empty_pair:
                break
        assert empty_pair is not None, "no combination of level and risk factor empties the overlap view"
        page.select_option("#uvts-level", "")
        page.select_option("#uvts-risk-factor", "")
        page.select_option("#uvts-level", empty_pair[0])
        page.select_option("#uvts-risk-factor", empty_pair[1])
        message = page.locator("#uvts-empty")
        message.wait_for(state="visible")
        text = message.inner_text()
        assert text.startswith("Inget i vyn passar alla valda filter")
        assert "Utan filtret" in text and re.search(r"visas \d+ noder?\.", text)
        assert text in page.locator("#uvts-count").inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "empty-result-1366.png"))

        page.goto(f"{plan_views}forums.html")
        page.wait_for_function(READY, timeout=60_000)
        page.wait_for_function("() => document.querySelectorAll('#uvts-department option').length > 1")
        assert page.locator("#uvts-count").inner_text().startswith("Visar 41 av 41 noder")  # with KSNAU and SIP (issue 18, l.84-86, 1462)
        found = violations(page)
        assert found == [], found
        assert visit.errors == []
    finally:
        visit.close()


def test_clicking_a_node_focuses_its_neighbourhood_and_esc_or_background_clears_it(context, plan_views):
    G, _, _ = _plan()
    data = V.view_data("actor-polisen", G)
    target = ns.iri("actor", "polisen")
    neighbours = _neighbours(data, target)
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}actor-polisen.html")
        point = _node_point(page, target)
        page.mouse.click(point["x"], point["y"])
        page.wait_for_function("() => uvtsView.state.focus !== null")
        page.wait_for_function(SETTLED)
        assert page.evaluate("() => uvtsView.state.focus") == target
        assert set(_visible_ids(page)) == neighbours | {target}
        assert len(neighbours) + 1 < len(data["nodes"])
        assert page.locator("#uvts-info").is_visible()
        assert "Polisen" in page.locator("#uvts-info").inner_text()
        # Esc clears the focus
        page.keyboard.press("Escape")
        page.wait_for_function(SETTLED)
        assert page.evaluate("() => uvtsView.state.focus") is None
        assert len(_visible_ids(page)) == len(data["nodes"])
        assert page.locator("#uvts-info").is_hidden()
        # so does a click on an empty part of the canvas
        page.evaluate("(id) => uvtsView.setFocus(id)", target)
        page.wait_for_function(SETTLED)
        box = page.locator("#uvts-network").bounding_box()
        empty = page.evaluate("""() => {
            const net = uvtsView.network, r = document.querySelector('#uvts-network canvas').getBoundingClientRect();
            for (let y = 10; y < r.height; y += 17) { for (let x = 10; x < r.width / 2; x += 17) {
                const p = net.DOMtoCanvas({x: x, y: y});
                if (net.getNodeAt({x: x, y: y}) === undefined && net.getEdgeAt({x: x, y: y}) === undefined) {
                    return {x: r.left + x, y: r.top + y}; } } }
            return null; }""")
        assert empty is not None and box["x"] <= empty["x"]
        page.mouse.click(empty["x"], empty["y"])
        page.wait_for_function("() => uvtsView.state.focus === null")
        page.wait_for_function(SETTLED)
        assert len(_visible_ids(page)) == len(data["nodes"])
        page.evaluate("(id) => uvtsView.setFocus(id)", target)
        page.click("#uvts-reset")
        assert len(_visible_ids(page)) == len(data["nodes"])
        assert page.locator("#uvts-info").is_hidden()
        assert visit.errors == []
    finally:
        visit.close()


def test_a_risk_factor_in_focus_shows_the_departments_and_partners_behind_its_interventions(context, plan_views):
    G, _, _ = _plan()
    data = V.view_data("network", G)
    by_id = {n["id"]: n for n in data["nodes"]}
    default = {n["id"] for n in data["nodes"] if n["kind"] not in data["hidden_types"]}
    mental = ns.iri("risk-factor", "psykisk-ohalsa")
    first = _neighbours(data, mental, default)
    second = set().union(*(_neighbours(data, m, default) for m in first if by_id[m]["core"]))
    expected = {mental} | first | {x for x in second if by_id[x]["kind"] != "RiskFactor"}
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}network.html")
        page.evaluate("(id) => uvtsView.setFocus(id)", mental)
        page.wait_for_function(SETTLED)
        shown = set(_visible_ids(page))
        assert shown == expected
        kinds = {by_id[i]["kind"] for i in shown}
        assert {"Department", "ExternalActor", "PreventionLevel"} <= kinds
        assert [i for i in shown if by_id[i]["kind"] == "RiskFactor"] == [mental]
        # one step only when asked for
        page.select_option("#uvts-depth", "1")
        page.wait_for_function(SETTLED)
        assert set(_visible_ids(page)) == {mental} | first
        assert visit.errors == []
    finally:
        visit.close()


def _overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    out = []
    for k, a in enumerate(boxes):
        for b in boxes[k + 1:]:
            if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]:
                out.append((a["text"], b["text"]))
    return out


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["1366", "390"])
def test_labels_at_the_fitted_zoom_are_readable_ranked_and_never_overlap(viewport, browser, plan_views):
    """Measured from vis-network's own label boxes at the fitted scale of the whole network."""
    G, _, _ = _plan()
    data = V.view_data("network", G)
    kinds = {n["id"]: n["kind"] for n in data["nodes"]}
    ctx = browser.new_context(viewport=viewport)
    visit = Visit(ctx, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}network.html")
        page.wait_for_function(PAINTED, timeout=30_000)
        boxes = page.evaluate(LABEL_BOXES)
        scale = page.evaluate("() => uvtsView.network.getScale()")
        canvas = page.locator("#uvts-network").bounding_box()
        print(f"\n{viewport['width']} px: scale {scale:.3f}, {len(boxes)} of {len(_visible_ids(page))} labels shown, "
              f"sizes {sorted({round(b['px'], 1) for b in boxes})}")
        assert _overlaps(boxes) == []
        # readable: no label under 10 px on screen (they were about 6 px before), all inside the canvas
        assert min(b["px"] for b in boxes) >= 10
        for b in boxes:
            assert canvas["x"] - 1 <= b["left"] and b["right"] <= canvas["x"] + canvas["width"] + 1, b["text"]
        # risk factors and departments are larger than interventions, and most of them are labelled
        px = {}
        for b in boxes:
            px.setdefault(kinds[b["id"]], []).append(b["px"])
        assert min(px["RiskFactor"]) > max(px.get("Intervention", [0]))
        assert min(px["Department"]) > max(px.get("Intervention", [0]))
        labelled = {b["id"] for b in boxes}
        rfs = [i for i, k in kinds.items() if k == "RiskFactor"]
        depts = [i for i, k in kinds.items() if k == "Department"]
        wanted = 0.7 if viewport is VIEWPORT else 0.4
        assert sum(i in labelled for i in rfs + depts) >= wanted * len(rfs + depts)
        # zooming in shows more labels, still without overlap
        page.evaluate("""() => { const net = uvtsView.network;
            net.moveTo({scale: net.getScale() * 2.5, animation: false}); uvtsView.relabel(); }""")
        closer = page.evaluate(LABEL_BOXES)
        on_screen = page.evaluate(ON_SCREEN)
        assert len(closer) / on_screen > len(boxes) / len(_visible_ids(page)), "zooming in shows no more labels"
        assert _overlaps(closer) == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"network-zoomed-{viewport['width']}.png"))
        assert visit.errors == []
    finally:
        visit.close()
        ctx.close()


def test_the_layout_settles_again_after_a_filter_and_labels_stay_apart(context, plan_views):
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}network.html")
        before = page.evaluate("() => uvtsView.network.getPositions()")
        settled = page.evaluate("() => uvtsView.state.settled")
        page.select_option("#uvts-risk-factor", ns.iri("risk-factor", "psykisk-ohalsa"))
        page.wait_for_function(f"() => uvtsView.state.settled > {settled} && uvtsView.state.settling === false")
        after = page.evaluate("() => uvtsView.network.getPositions()")
        moved = [i for i in after if i in before and (abs(after[i]["x"] - before[i]["x"]) > 1
                                                       or abs(after[i]["y"] - before[i]["y"]) > 1)]
        assert len(moved) >= len(after) // 2, "the nodes kept their old places"
        assert page.evaluate("() => uvtsView.network.physics.options.enabled") is False
        assert _overlaps(page.evaluate(LABEL_BOXES)) == []
        # "Visa allt" goes back to the first picture
        page.click("#uvts-reset")
        back = page.evaluate("() => uvtsView.network.getPositions()")
        assert all(abs(back[i]["x"] - before[i]["x"]) < 0.5 and abs(back[i]["y"] - before[i]["y"]) < 0.5 for i in before)
        assert visit.errors == []
    finally:
        visit.close()


@pytest.fixture(scope="module")
def linked_view(site):
    """The network view as the web service serves it: nodes link to their own pages."""
    root, base = site
    G, results, extras = _plan()
    href = lambda iri, typ: f"/sida/{ns.slug_of(iri)}" if typ in ("RiskFactor", "Department") else None  # noqa: E731
    (root / "linked").mkdir(exist_ok=True)
    (root / "linked" / "network.html").write_text(
        V.render_view("network", G, results=results, extras=extras, page_href=href), encoding="utf-8")
    return f"{base}linked/network.html"


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["1366", "390"])
def test_the_details_panel_opens_in_view_with_a_link_to_the_nodes_page(viewport, browser, linked_view):
    ctx = browser.new_context(viewport=viewport)
    visit = Visit(ctx, _server_root(linked_view))
    mental = ns.iri("risk-factor", "psykisk-ohalsa")
    try:
        page = visit.open(linked_view)
        # on a phone the user scrolls down to the graph and taps the node there
        page.locator("#uvts-network").scroll_into_view_if_needed()
        point = _node_point(page, mental)
        page.mouse.click(point["x"], point["y"])
        page.wait_for_function("() => uvtsView.state.focus !== null")
        page.wait_for_function(SETTLED)
        info = page.locator("#uvts-info")
        assert info.is_visible()
        box = info.bounding_box()
        size = page.viewport_size
        assert box["x"] >= 0 and box["y"] >= 0, box
        assert box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"], box
        assert box["height"] >= 100
        # no hover tooltip left over the panel
        assert page.locator("div.vis-tooltip").is_hidden()
        link = page.locator("#uvts-info-link")
        assert link.is_visible()
        assert link.get_attribute("href") == "/sida/psykisk-ohalsa"
        assert link.inner_text() == "Öppna sidan om Psykisk ohälsa"
        assert "Psykisk ohälsa" in page.locator("#uvts-info-body").inner_text()
        assert _no_horizontal_overflow(page)
        found = violations(page)
        assert found == [], found
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"details-{viewport['width']}.png"))
        # an intervention has no page here: no link
        page.keyboard.press("Escape")
        page.evaluate("(id) => uvtsView.setFocus(id)", ns.iri("intervention", "kultur-1"))
        assert page.locator("#uvts-info-link-row").is_hidden()
        page.locator("#uvts-info-close").click()
        assert info.is_hidden()
        assert visit.errors == []
    finally:
        visit.close()
        ctx.close()


def test_keyboard_alone_searches_focuses_reads_the_table_and_clears(context, plan_views):
    G, _, _ = _plan()
    data = V.view_data("risk-factor-psykisk-ohalsa", G)
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}risk-factor-psykisk-ohalsa.html")
        # Tab from the start of the page reaches the skip link, the index link, then the search field
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.textContent") == "Hoppa till tabellen med noderna"
        for _ in range(10):
            if page.evaluate("() => document.activeElement.id") == "uvts-search":
                break
            page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == "uvts-search"
        page.keyboard.type("föräldra")
        page.wait_for_function(SETTLED)
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.closest('#uvts-results') !== null")
        name = page.evaluate("() => document.activeElement.firstChild.textContent")
        page.keyboard.press("Enter")
        page.wait_for_function(SETTLED)
        # the details are shown and the keyboard is taken there
        assert page.evaluate("() => document.activeElement.id") == "uvts-info-title"
        assert name in page.locator("#uvts-info").inner_text()
        page.keyboard.press("Escape")
        page.wait_for_function(SETTLED)
        assert page.evaluate("() => uvtsView.state.focus") is None
        assert page.evaluate("() => document.activeElement.id") == "uvts-search"
        # the table: one row per node shown, its type and its links, and a button that focuses it
        page.fill("#uvts-search", "")
        page.wait_for_function(SETTLED)
        rows = page.locator("#uvts-table tbody tr")
        assert rows.count() == len(data["nodes"])
        kinds = {n["name"]: n["info"]["head"] for n in data["nodes"]}
        first = rows.first
        assert first.locator("td").first.inner_text() == kinds[first.locator("th button").inner_text()]
        row = page.locator("#uvts-table tbody tr", has=page.locator("th button", has_text="Psykisk ohälsa")).first
        links = row.locator("td li").all_inner_texts()
        cores = [n["name"] for n in data["nodes"] if n["core"]]
        assert sorted(t.split(": ", 1)[1] for t in links if t.startswith("arbetar mot den: ")) == sorted(cores)
        assert len(links) == sum(1 for e in data["edges"] if ns.iri("risk-factor", "psykisk-ohalsa") in (e["from"], e["to"]))
        row.locator("th button").focus()
        page.keyboard.press("Enter")
        page.wait_for_function(SETTLED)
        assert page.evaluate("() => uvtsView.state.focus") == ns.iri("risk-factor", "psykisk-ohalsa")
        assert page.evaluate("() => document.activeElement.id") == "uvts-info-title"
        page.keyboard.press("Escape")
        page.wait_for_function("() => uvtsView.state.focus === null")
        assert visit.errors == []
    finally:
        visit.close()


def test_print_shows_the_network_and_its_legend_without_the_controls(context, plan_views):
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}risk-factor-psykisk-ohalsa.html")
        page.emulate_media(media="print")
        assert page.locator("#uvts-search").is_hidden()
        assert page.locator("#uvts-legend").is_visible()
        assert page.locator("#uvts-network").bounding_box()["height"] > 300
        assert page.locator("#uvts-table tbody tr").first.is_visible()
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
        page.emulate_media(media="screen")
        assert visit.errors == []
    finally:
        visit.close()


def test_physics_stops_and_the_layout_is_the_same_every_time(context, plan_views):
    positions = []
    for _ in range(2):
        visit = Visit(context, _server_root(plan_views))
        try:
            page = visit.open(f"{plan_views}network.html")
            first = page.evaluate("() => uvtsView.network.getPositions()")
            page.wait_for_timeout(600)
            later = page.evaluate("() => uvtsView.network.getPositions()")
            assert later == first  # nothing moves once settled
            assert page.evaluate("() => uvtsView.network.physics.options.enabled") is False
            assert page.evaluate("() => uvtsView.state.iterations") <= V.view_data("network", _plan()[0])[
                "options"]["physics"]["stabilization"]["iterations"]
            positions.append(first)
        finally:
            visit.close()
    assert positions[0] == positions[1]


# --- safety ------------------------------------------------------------------------------------------


def _plant(data_dir: Path) -> None:
    """Markup in an intervention title, an actor's name and a forum's purpose."""
    kultur = data_dir / "departments" / "kultur.yaml"
    text = kultur.read_text(encoding="utf-8")
    assert "    title: Utveckla Kultur för hälsa\n" in text
    kultur.write_text(text.replace("    title: Utveckla Kultur för hälsa\n", f"    title: '{EVIL}'\n", 1),
                      encoding="utf-8")
    actors = data_dir / "actors.yaml"
    text = actors.read_text(encoding="utf-8")
    assert "- id: selam\n  name: Selam\n" in text
    actors.write_text(text.replace("- id: selam\n  name: Selam\n", f"- id: selam\n  name: '{EVIL_ACTOR}'\n", 1),
                      encoding="utf-8")
    forums = data_dir / "forums.yaml"
    text = forums.read_text(encoding="utf-8")
    start = text.index("- id: uvts-arbetsgrupp")
    head, rest = text[:start], text[start:]
    rest = rest.replace("  purpose: >-\n    Tar fram aktivitetsplanen;", f"  purpose: >-\n    {EVIL_PURPOSE} Tar fram aktivitetsplanen;", 1)
    assert EVIL_PURPOSE in rest
    forums.write_text(head + rest, encoding="utf-8")


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "without-csp"])
def test_markup_planted_in_the_data_never_runs(bypass_csp, browser, site, data_copy):
    """With the page's Content-Security-Policy and without it (so that escaping alone is tested)."""
    from uvts.graph.store import open_store

    _plant(data_copy)
    store, _ = open_store([data_copy], kind="memory")
    G = read_typed_graph(store)
    target = ns.iri("intervention", "kultur-1")
    assert G.nodes[target]["title"] == EVIL
    root, base = site
    folder = f"evil-{'nocsp' if bypass_csp else 'csp'}"
    names = ["network", "department-kultur", "actor-selam", "forums", "key-actors"]
    V.write_views(root / folder, G, extras=V.read_extras(store), names=names)
    ctx = browser.new_context(viewport=VIEWPORT, bypass_csp=bypass_csp)
    visit = Visit(ctx, base)
    try:
        page = visit.open(f"{base}{folder}/department-kultur.html")
        # the tooltip shows the title as text
        point = _node_point(page, target)
        page.mouse.move(point["x"] - 40, point["y"] - 40)
        page.mouse.move(point["x"], point["y"], steps=4)
        tooltip = page.locator("div.vis-tooltip")
        tooltip.wait_for(state="visible", timeout=5_000)
        assert EVIL in tooltip.inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"xss-tooltip-{folder}.png"))
        # the search list and the details panel show it as text too
        page.fill("#uvts-search", "<img src=x")
        assert any(EVIL in t for t in page.locator("#uvts-results li").all_inner_texts())
        page.locator("#uvts-results button").first.click()
        assert EVIL in page.locator("#uvts-info").inner_text()
        page.wait_for_timeout(200)
        checks = page.evaluate("""() => ({pwned: typeof window.__pwned, imgs: document.images.length,
            scripts: document.scripts.length, svgOnload: document.querySelectorAll('[onload],[onerror]').length})""")
        assert checks == {"pwned": "undefined", "imgs": 0, "scripts": 4, "svgOnload": 0}  # + the follow-up status hook

        for name, shown in (("actor-selam", EVIL_ACTOR), ("network", EVIL), ("key-actors", EVIL_ACTOR)):
            page.goto(f"{base}{folder}/{name}.html")
            page.wait_for_function(READY, timeout=60_000)
            page.fill("#uvts-search", shown[:12])
            assert any(shown in t for t in page.locator("#uvts-results li").all_inner_texts()), name
            assert page.evaluate("() => typeof window.__pwned") == "undefined", name
        page.goto(f"{base}{folder}/actor-selam.html")
        page.wait_for_function(READY, timeout=60_000)
        assert page.locator("h1").inner_text() == f"Extern aktör: {EVIL_ACTOR}"
        assert page.title() == f"Extern aktör: {EVIL_ACTOR} – Samverkanskartan"
        forum_id = ns.iri("forum", "uvts-arbetsgrupp")
        page.goto(f"{base}{folder}/forums.html")
        page.wait_for_function(READY, timeout=60_000)
        page.evaluate("(id) => uvtsView.setFocus(id)", forum_id)
        assert EVIL_PURPOSE in page.locator("#uvts-info").inner_text()
        page.goto(f"{base}{folder}/index.html")
        assert f"Extern aktör: {EVIL_ACTOR}" in page.locator("body").inner_text()
        assert page.evaluate("() => typeof window.__pwned") == "undefined"
        assert not any(u.rstrip("/").endswith(("/x", "/y")) for u in visit.requests)
        assert visit.outside == []
        assert visit.errors == []
    finally:
        visit.close()
        ctx.close()
