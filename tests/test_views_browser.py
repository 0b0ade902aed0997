"""The network views in a real browser: Playwright driving Debian's Chromium, headless.

Every view is loaded from a local HTTP server on 127.0.0.1; any request for anything else
fails the test. A screenshot of each view is kept in test-artifacts/views/. One browser
serves the whole module. If Chromium is missing or does not start, the tests fail (they do
not skip): ``bash scripts/setup.sh --test`` installs it.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from uvts.graph import namespaces as ns
from uvts.graph.analyses import run_all
from uvts.graph.paths import DEFAULT_DATA, ROOT
from uvts.graph.project import read_typed_graph
from uvts.visualisations import views as V

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts" / "views"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}
READY = "() => window.uvtsView !== undefined && window.uvtsView.state.stabilised === true"

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


@pytest.mark.parametrize("name", _view_names())
def test_view_loads_offline_draws_and_has_no_errors(name, context, plan_views):
    G, results, extras = _plan()
    expected = V.view_data(name, G, results=results, extras=extras)
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}{name}.html")
        counts = page.evaluate("() => ({all: uvtsView.nodes.length, shown: uvtsView.network.body.data.nodes.length,"
                               " edges: uvtsView.edges.length})")
        assert counts == {"all": len(expected["nodes"]), "shown": len(expected["nodes"]),
                          "edges": len(expected["edges"])}
        assert counts["all"] > 0
        # vis-network draws on an animation frame: wait until the canvas has been painted
        painted = page.wait_for_function("""() => {
            const c = document.querySelector('#uvts-network canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) { n++; } }
            return n > 150 ? n : false;
        }""", timeout=15000).json_value()
        assert painted > 150, "the canvas is blank"
        assert page.title() == f"{expected['title']} – Samverkanskartan"
        assert page.locator("#uvts-size-measure").inner_text() == expected["size_measure"]
        legend = page.locator("#uvts-legend li").all_inner_texts()
        assert [t.strip() for t in legend] == [t["label"] for t in expected["legend"]["types"]]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
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


def test_search_shows_the_matches_and_their_neighbours(context, plan_views):
    G, _, _ = _plan()
    data = V.view_data("network", G)
    total = len(data["nodes"])
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}network.html")
        page.fill("#uvts-search", "polisen")
        shown = set(_visible_ids(page))
        assert 1 < len(shown) < total
        matches = {n["id"] for n in data["nodes"] if "polisen" in (n["name"] + " " + n["label"]).casefold()}
        near = {e["to"] for e in data["edges"] if e["from"] in matches} | {e["from"] for e in data["edges"] if e["to"] in matches}
        assert shown == matches | near
        results = page.locator("#uvts-results li").all_inner_texts()
        assert any(r.startswith("Polisen") for r in results)
        # accents do not matter: "ohalsa" finds "Psykisk ohälsa"
        page.fill("#uvts-search", "psykisk ohalsa")
        assert ns.iri("risk-factor", "psykisk-ohalsa") in _visible_ids(page)
        page.fill("#uvts-search", "zzz-finns-inte")
        assert _visible_ids(page) == []
        assert page.locator("#uvts-results").inner_text().strip() == "Inga träffar"
        page.fill("#uvts-search", "")
        assert len(_visible_ids(page)) == total
        assert visit.errors == []
    finally:
        visit.close()


def test_filters_by_type_level_department_and_risk_factor(context, plan_views):
    G, _, _ = _plan()
    data = V.view_data("network", G)
    total = len(data["nodes"])
    by_id = {n["id"]: n for n in data["nodes"]}
    interventions = {n["id"] for n in data["nodes"] if n["kind"] == "Intervention"}
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}network.html")
        page.uncheck("input.uvts-type[value='Intervention']")
        shown = set(_visible_ids(page))
        assert shown == set(by_id) - interventions
        count_text = page.locator("#uvts-count").inner_text()
        assert count_text.startswith(f"Visar {total - len(interventions)} av {total} noder")
        page.check("input.uvts-type[value='Intervention']")
        assert len(_visible_ids(page)) == total

        indicated = ns.iri("level", "indikerad")
        page.select_option("#uvts-level", indicated)
        shown = set(_visible_ids(page))
        cores = {i for i, n in by_id.items() if n["core"]}
        assert shown & cores == {i for i in cores if indicated in by_id[i]["facets"]["levels"]}
        assert indicated in shown and len(shown) < total
        assert ns.iri("level", "universell") not in shown or any(
            indicated in by_id[i]["facets"]["levels"] and ns.iri("level", "universell") in by_id[i]["facets"]["levels"]
            for i in shown & cores)

        fritid = ns.iri("department", "fritid")
        page.select_option("#uvts-department", fritid)
        shown = set(_visible_ids(page))
        assert shown & cores == {i for i in cores if indicated in by_id[i]["facets"]["levels"]
                                 and fritid in by_id[i]["facets"]["departments"]}

        page.select_option("#uvts-level", "")
        page.select_option("#uvts-department", "")
        rf = ns.iri("risk-factor", "synlig-narvaro-av-kriminella")
        page.select_option("#uvts-risk-factor", rf)
        shown = set(_visible_ids(page))
        assert shown & cores == {i for i in cores if rf in by_id[i]["facets"]["risk_factors"]}
        assert rf in shown
        # every node shown is linked to a shown intervention or base mission, or is the chosen one
        for n in shown - cores - {rf}:
            linked = {e["to"] for e in data["edges"] if e["from"] == n} | {e["from"] for e in data["edges"] if e["to"] == n}
            assert linked & shown & cores, by_id[n]["name"]
        page.click("#uvts-reset")
        assert len(_visible_ids(page)) == total
        assert visit.errors == []
    finally:
        visit.close()


def test_clicking_a_node_focuses_its_neighbourhood(context, plan_views):
    G, _, _ = _plan()
    data = V.view_data("actor-polisen", G)
    target = ns.iri("actor", "polisen")
    neighbours = {e["to"] for e in data["edges"] if e["from"] == target} | {e["from"] for e in data["edges"] if e["to"] == target}
    visit = Visit(context, _server_root(plan_views))
    try:
        page = visit.open(f"{plan_views}actor-polisen.html")
        point = _node_point(page, target)
        page.mouse.click(point["x"], point["y"])
        page.wait_for_function("() => uvtsView.state.focus !== null")
        assert page.evaluate("() => uvtsView.state.focus") == target
        assert set(_visible_ids(page)) == neighbours | {target}
        assert len(neighbours) + 1 < len(data["nodes"])
        assert page.locator("#uvts-info").is_visible()
        assert "Polisen" in page.locator("#uvts-info").inner_text()
        page.click("#uvts-reset")
        assert len(_visible_ids(page)) == len(data["nodes"])
        assert page.locator("#uvts-info").is_hidden()
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
