"""The network views without a browser: what each view holds, the page shell, escaping, the command.

The browser tests (tests/test_views_browser.py) load the same pages in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest

from uvts.graph import namespaces as ns
from uvts.graph.analyses import find_table, run_all
from uvts.graph.project import ATTRIBUTES, RELATIONS, TYPE_LABELS, read_typed_graph, typed_graph_from_rows
from uvts.visualisations import views as V
from uvts.visualisations._page import json_for_html, vis_assets

PREFIX = f"PREFIX uvts: <{ns.UVTS}>\nPREFIX org: <{ns.ORG}>\n"


@pytest.fixture(scope="module")
def G(store):
    return read_typed_graph(store)


@pytest.fixture(scope="module")
def results(store):
    return run_all(store, seed=0)


@pytest.fixture(scope="module")
def extras(store):
    return V.read_extras(store)


@pytest.fixture(scope="module")
def written(G, results, extras, tmp_path_factory):
    out = tmp_path_factory.mktemp("views")
    return out, V.write_views(out, G, results=results, extras=extras)


def _ids(data, kind=None):
    return {n["id"] for n in data["nodes"] if kind is None or n["kind"] == kind}


def _select(store, query):
    return [r for r in store.select(PREFIX + query).values()]


# --- which views there are ---------------------------------------------------------------------


def test_one_view_per_risk_factor_department_and_external_actor(G):
    names = [n for n, _ in V.view_names(G)]
    assert len(names) == len(set(names))
    counts = {t: sum(1 for _, d in G.nodes(data="type") if d == t) for t in ("RiskFactor", "Department", "ExternalActor")}
    assert counts == {"RiskFactor": 7, "Department": 10, "ExternalActor": 32}
    assert sum(n.startswith("risk-factor-") for n in names) == 7
    assert sum(n.startswith("department-") for n in names) == 10
    assert sum(n.startswith("actor-") for n in names) == 32
    assert {"network", "forums", "overlap", "key-actors"} <= set(names)
    assert len(names) == 7 + 10 + 32 + 4


def test_unknown_view_is_a_key_error_in_swedish(G):
    with pytest.raises(KeyError, match="ingen vy"):
        V.view_data("risk-factor-finns-inte", G)
    with pytest.raises(KeyError):
        V.view_data("department-polisen", G)  # polisen is an actor, not a department


# --- what each view holds (checked against SPARQL on the store, not against the graph code) ----


def test_whole_network_has_every_node_and_link(G):
    data = V.view_data("network", G)
    assert _ids(data) == set(G)
    linked = {(u, v, k) for u, v, k in G.edges(keys=True)}
    shown = {(e["from"], e["to"], e["rel"]) for e in data["edges"]}
    # sameActivityAs is symmetric: drawn once per pair
    assert {x for x in linked if x[2] != "same_activity_as"} == {x for x in shown if x[2] != "same_activity_as"}
    same = {frozenset((u, v)) for u, v, k in linked if k == "same_activity_as"}
    assert {frozenset((u, v)) for u, v, k in shown if k == "same_activity_as"} == same


def test_risk_factor_view_shows_who_works_on_it_through_which_interventions_at_which_level(G, store):
    rf = ns.iri("risk-factor", "psykisk-ohalsa")
    data = V.view_data("risk-factor-psykisk-ohalsa", G)
    rows = _select(store, f"""SELECT ?i ?dept ?level ?party WHERE {{
        ?i a uvts:Intervention ; uvts:addresses <{rf}> ; uvts:responsibleDepartment ?dept .
        OPTIONAL {{ ?i uvts:preventionLevel ?level }} OPTIONAL {{ ?i uvts:involves ?party }} }}""")
    ivs = {r["i"] for r in rows}
    assert len(ivs) >= 5
    assert ivs == _ids(data, "Intervention")
    assert {r["dept"] for r in rows} <= _ids(data, "Department")
    assert {r["level"] for r in rows if r["level"]} == _ids(data, "PreventionLevel")
    assert {r["party"] for r in rows if r["party"]} <= _ids(data)
    rels = {(e["from"], e["to"], e["rel"]) for e in data["edges"]}
    for r in rows:
        assert (r["i"], rf, "addresses") in rels
        if r["level"]:
            assert (r["i"], r["level"], "prevention_level") in rels
    # nothing unrelated: every intervention shown addresses the risk factor
    assert rf in _ids(data, "RiskFactor") and len(_ids(data, "RiskFactor")) == 1


def test_department_view_shows_its_interventions_and_partners(G, store):
    dept = ns.iri("department", "stod-och-omsorg")
    data = V.view_data("department-stod-och-omsorg", G)
    own = {r["i"] for r in _select(store, f"SELECT ?i WHERE {{ ?i a uvts:Intervention ; uvts:responsibleDepartment <{dept}> }}")}
    involved = {r["i"] for r in _select(store, f"SELECT ?i WHERE {{ ?i a uvts:Intervention ; uvts:involves <{dept}> }}")}
    assert len(own) == 12
    assert own | involved == _ids(data, "Intervention")
    forums = {r["f"] for r in _select(store, f"SELECT ?f WHERE {{ {{ <{dept}> org:memberOf ?f }} UNION {{ ?f org:hasMember <{dept}> }} }}")}
    assert forums and forums <= _ids(data, "CollaborationForum")


def test_actor_view_shows_its_interventions_and_forums(G, store):
    actor = ns.iri("actor", "polisen")
    data = V.view_data("actor-polisen", G)
    ivs = {r["i"] for r in _select(store, f"SELECT ?i WHERE {{ ?i a uvts:Intervention ; uvts:involves <{actor}> }}")}
    forums = {r["f"] for r in _select(store, f"SELECT ?f WHERE {{ {{ <{actor}> org:memberOf ?f }} UNION {{ ?f org:hasMember <{actor}> }} }}")}
    assert ivs and forums
    assert ivs == _ids(data, "Intervention")
    assert forums == _ids(data, "CollaborationForum")
    assert "Extern aktör: Polisen" == data["title"]


def test_forum_view_shows_every_membership(G, store):
    data = V.view_data("forums", G)
    rows = _select(store, "SELECT DISTINCT ?m ?f WHERE { { ?m org:memberOf ?f } UNION { ?f org:hasMember ?m } }")
    assert len(rows) > 20
    shown = {(e["from"], e["to"]) for e in data["edges"] if e["rel"] == "member_of"}
    assert {(r["m"], r["f"]) for r in rows} == shown
    forums = {r["f"] for r in _select(store, "SELECT ?f WHERE { ?f a uvts:CollaborationForum }")}
    assert forums == _ids(data, "CollaborationForum")


def test_overlap_view_draws_the_flagged_pairs_with_their_reasons(G, results):
    data = V.view_data("overlap", G, results=results)
    pairs = find_table(results["overlap"], "intervention_pairs")["rows"]
    fpairs = find_table(results["overlap"], "forum_pairs")["rows"]
    assert pairs and fpairs
    drawn = {(e["from"], e["to"]): e for e in data["edges"] if e["rel"] == "overlap"}
    assert set(drawn) == {(p["a"], p["b"]) for p in pairs}
    for p in pairs:
        e = drawn[(p["a"], p["b"])]
        texts = [row[1] for row in e["info"]["rows"]]
        for reason in p["reasons"]:
            assert reason["description"] in texts
        assert e["info"]["rows"][0] == ["Poäng", f"{p['score']:.3f}".replace(".", ",")]
    # forum pairs are drawn when they share at least two named members (one shared member says little)
    shared2 = [p for p in fpairs if len(p["shared"]) >= 2]
    assert 0 < len(shared2) < len(fpairs)
    assert {(e["from"], e["to"]) for e in data["edges"] if e["rel"] == "forum_overlap"} == {(p["a"], p["b"]) for p in shared2}
    assert f"{len(fpairs) - len(shared2)} forumpar med bara en gemensam medlem visas inte" in data["description"]
    # plain Swedish: no technical terms outside the "how it is computed" fold
    for text in [data["description"], data["size_measure"], data["edge_note"]] + [
            str(r) for e in data["edges"] if "info" in e for r in e["info"]["rows"]]:
        assert "Jaccard" not in text and "TF-IDF" not in text
    assert "Jaccardindex" in " ".join(t for _, t in data["method"])
    # a node's size follows the number of flagged pairs it is in
    count = {}
    for p in pairs + shared2:
        for x in (p["a"], p["b"]):
            count[x] = count.get(x, 0) + 1
    flagged = [n for n in data["nodes"] if n["id"] in count]
    by_count = sorted(flagged, key=lambda n: count[n["id"]])
    assert [n["size"] for n in by_count] == sorted(n["size"] for n in flagged)
    assert "antal par" in data["size_measure"]


def test_key_actor_view_sizes_by_betweenness_and_colours_by_community(G, results):
    data = V.view_data("key-actors", G, results=results)
    cent = {r["actor"]: r["betweenness"] for r in find_table(results["actors"], "centrality")["rows"]}
    comms = find_table(results["actors"], "communities")["rows"]
    member = {a: c["community"] for c in comms for a in c["members"]}
    assert _ids(data) == set(cent)
    nodes = sorted(data["nodes"], key=lambda n: cent[n["id"]])
    assert [n["size"] for n in nodes] == sorted(n["size"] for n in nodes)
    top = max(cent, key=cent.get)
    assert next(n for n in data["nodes"] if n["id"] == top)["size"] == pytest.approx(V._MAX_SIZE)
    colour = {}
    for n in data["nodes"]:
        colour.setdefault(member[n["id"]], set()).add(n["color"]["background"])
    assert all(len(c) == 1 for c in colour.values())
    if len(colour) > 1:
        assert len({next(iter(c)) for c in colour.values()}) == min(len(colour), len(V.COMMUNITY_COLOURS))
    assert len(data["legend"]["colours"]) == len(comms)
    assert "brobyggare" in data["size_measure"]
    for text in [data["description"], data["size_measure"], data["edge_note"]] + [
            str(r[0]) for n in data["nodes"] for r in n["info"]["rows"]]:
        assert "centralitet" not in text and "Louvain" not in text, text
    assert "mellanhetscentralitet" in " ".join(t for _, t in data["method"])


# --- every view: style, legend, sizes, tooltips, filters, layout ---------------------------------


def test_every_view_colours_and_shapes_by_type_with_a_legend_and_a_stated_size(G, results, extras):
    for name, title in V.view_names(G):
        data = V.view_data(name, G, results=results, extras=extras)
        assert data["title"] == title
        assert data["size_measure"].startswith("Storlek:")
        types = {n["kind"] for n in data["nodes"]}
        assert {t["type"] for t in data["legend"]["types"]} == types
        for t in data["legend"]["types"]:
            assert t["label"] == TYPE_LABELS[t["type"]]
        for n in data["nodes"]:
            colour, shape, dashed = V.TYPE_STYLE[n["kind"]]
            assert n["shape"] == shape
            if name != "key-actors":
                assert n["color"]["background"] == colour
            assert V._MIN_SIZE <= n["size"] <= V._MAX_SIZE
            assert n["info"]["head"] == TYPE_LABELS[n["kind"]]
            assert n["info"]["name"] == G.nodes[n["id"]]["label"]
            assert isinstance(n["x"], float) and isinstance(n["y"], float)
        assert len({e["id"] for e in data["edges"]}) == len(data["edges"])


def test_tooltips_carry_details_and_source_lines(G, extras):
    data = V.view_data("department-kultur", G, extras=extras)
    node = next(n for n in data["nodes"] if n["id"] == ns.iri("intervention", "kultur-1"))
    rows = dict((k, v) for k, v in node["info"]["rows"])
    assert rows["Källa"] == "rader 1550-1597 i planens text"
    assert rows["Ansvarig förvaltning"] == ["Kultur"]
    assert rows["Preventionsnivå"] == ["Selektiv"]
    assert "Psykisk ohälsa" in rows["Riskfaktorer"]
    assert "Positiv effekt på psykisk hälsa." in rows["Mål"]
    assert "Kulturskolan är en del av Kultur" in rows["Anteckning"][0]
    # no IRI or id in what the user reads
    assert "IRI" not in rows
    assert not any("https://" in str(v) for v in rows.values())


def test_filter_facets_of_an_intervention_are_its_levels_departments_and_risk_factors(G):
    data = V.view_data("network", G)
    node = next(n for n in data["nodes"] if n["id"] == ns.iri("intervention", "kultur-1"))
    assert node["core"] is True
    assert node["facets"]["levels"] == [ns.iri("level", "selektiv")]
    assert node["facets"]["departments"] == sorted([ns.iri("department", "kultur"), ns.iri("department", "grundskolan")])
    assert ns.iri("risk-factor", "psykisk-ohalsa") in node["facets"]["risk_factors"]
    # a department's own facet includes itself; the filters list what occurs in the view
    dept = next(n for n in data["nodes"] if n["id"] == ns.iri("department", "fritid"))
    assert ns.iri("department", "fritid") in dept["facets"]["departments"]
    assert [o["label"] for o in data["filters"]["levels"]] == ["Universell", "Selektiv", "Indikerad"]
    assert len(data["filters"]["departments"]) == 10
    assert len(data["filters"]["risk_factors"]) == 7


def test_layout_is_seeded_and_physics_settles_then_stops(G):
    a = V.view_data("network", G, seed=0)
    b = V.view_data("network", G, seed=0)
    c = V.view_data("network", G, seed=1)
    pos = lambda d: {n["id"]: (n["x"], n["y"]) for n in d["nodes"]}  # noqa: E731
    assert pos(a) == pos(b)
    assert pos(a) != pos(c)
    opts = a["options"]
    assert opts["layout"]["randomSeed"] == 0 and c["options"]["layout"]["randomSeed"] == 1
    assert opts["physics"]["enabled"] is True
    assert opts["physics"]["stabilization"]["enabled"] is True
    assert 10 <= opts["physics"]["stabilization"]["iterations"] <= 60
    assert opts["physics"]["solver"] == "forceAtlas2Based"


def test_pyvis_add_edge_is_not_used(G, monkeypatch):
    """Prepared lists, not Network.add_node/add_edge (which scan every node and edge so far)."""
    from pyvis.network import Network

    def refuse(*a, **k):
        raise AssertionError("add_node/add_edge called")

    monkeypatch.setattr(Network, "add_edge", refuse)
    monkeypatch.setattr(Network, "add_node", refuse)
    assert len(V.view_data("network", G)["edges"]) == G.number_of_edges() - sum(
        1 for _, _, k in G.edges(keys=True) if k == "same_activity_as") // 2


# --- the page: self-contained, offline, UTF-8 ----------------------------------------------------


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []  # (tag, attrs)
        self.scripts = []  # (attrs, text)
        self.styles = []
        self.text = []
        self._in = None
        self._buf = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in, self._buf = (tag, dict(attrs)), []

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            (self.scripts if tag == "script" else self.styles).append((self._in[1], "".join(self._buf)))
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._buf.append(data)
        else:
            self.text.append(data)


def _parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    p.close()
    return p


_REMOTE = re.compile(r"^\s*(https?:|//|ftp:|ws:|wss:)", re.I)


def _assert_self_contained(html: str):
    page = _parse(html)
    for tag, attrs in page.tags:
        assert tag not in ("link", "iframe", "object", "embed", "img", "base", "frame"), tag
        for key in ("src", "srcset", "data", "action", "poster", "background"):
            assert key not in attrs, (tag, key)
        if "href" in attrs:
            assert not _REMOTE.match(attrs["href"]), attrs["href"]
    for _, css in page.styles:
        assert "@import" not in css
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
            assert url.startswith("data:"), url
    return page


def test_every_page_is_self_contained_utf8_and_inlines_vis_network(written, G):
    out, paths = written
    names = [n for n, _ in V.view_names(G)]
    assert [p.name for p in paths] == [f"{n}.html" for n in names] + ["index.html"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temporary files left
    vis_js, vis_css = vis_assets()
    for path in paths:
        raw = path.read_bytes()
        html = raw.decode("utf-8")
        assert (path.stat().st_mode & 0o777) == 0o644
        page = _assert_self_contained(html)
        assert ("meta", {"charset": "utf-8"}) in page.tags
        if path.name != "index.html":
            texts = [t for a, t in page.scripts if "type" not in a]
            assert texts[0] == vis_js  # vis-network from the installed pyvis package
            assert vis_css in [t for _, t in page.styles]
            assert "bootstrap" not in html.lower()
    network = (out / "network.html").read_text(encoding="utf-8")
    assert "<title>Hela nätverket – Samverkanskartan</title>" in network
    assert "Riskfaktor: Psykisk ohälsa".encode("utf-8") in (out / "index.html").read_bytes()


def test_index_links_every_view(written, G):
    out, _ = written
    page = _parse((out / "index.html").read_text(encoding="utf-8"))
    hrefs = [a["href"] for t, a in page.tags if t == "a"]
    assert sorted(hrefs) == sorted(f"{n}.html" for n, _ in V.view_names(G))
    assert hrefs[:4] == ["network.html", "forums.html", "overlap.html", "key-actors.html"]
    text = "".join(page.text)
    for _, title in V.view_names(G):
        assert title in text
    # each overview and each group says what it answers
    for note in list(V.VIEW_NOTES.values()) + list(V.GROUP_NOTES.values()):
        assert note in text


def test_content_security_policy_allows_only_the_pages_own_scripts(written):
    out, _ = written
    html = (out / "risk-factor-utanforskap.html").read_text(encoding="utf-8")
    page = _parse(html)
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"]
    executable = [t for a, t in page.scripts if a.get("type") != "application/json"]
    assert len(executable) == 3  # vis-network, the view, the follow-up status hook (view_status.js)
    hashes = {"'sha256-" + base64.b64encode(hashlib.sha256(t.encode("utf-8")).digest()).decode() + "'" for t in executable}
    assert set(directives["script-src"].split()) == hashes


# --- safety: text from the data never becomes markup --------------------------------------------

EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
EVIL2 = "</script><script>window.__pwned=2</script><!--"
EVIL3 = '"><svg onload=alert(1)> & </style><b>fet</b>'

_PROP = {rel: iri for iri, rel in RELATIONS.items()}
_ATTR = {name: iri for iri, (name, _) in ATTRIBUTES.items()}


@pytest.fixture(scope="module")
def evil_graph():
    """A small typed graph whose every text field carries markup."""
    iv = ns.iri("intervention", "evil-1")
    iv2 = ns.iri("intervention", "evil-2")
    dept = ns.iri("department", "evil")
    dept2 = ns.iri("department", "other")
    actor = ns.iri("actor", "evil")
    forum = ns.iri("forum", "evil")
    rf = ns.iri("risk-factor", "evil")
    lv = ns.iri("level", "selektiv")
    nodes = [(iv, "Intervention", EVIL), (iv2, "Intervention", EVIL + " igen"), (dept, "Department", EVIL2),
             (dept2, "Department", "Annan"), (actor, "ExternalActor", EVIL3), (forum, "CollaborationForum", EVIL),
             (rf, "RiskFactor", EVIL2), (lv, "PreventionLevel", EVIL3)]
    attrs = [(iv, _ATTR["title"], EVIL), (iv, _ATTR["description"], EVIL2 + EVIL3), (iv, _ATTR["goals"], EVIL),
             (iv, _ATTR["target_group"], EVIL3), (iv2, _ATTR["title"], EVIL + " igen"),
             (iv2, _ATTR["description"], EVIL2 + EVIL3), (forum, _ATTR["purpose"], EVIL2)]
    links = [(iv, _PROP["addresses"], rf), (iv, _PROP["prevention_level"], lv),
             (iv, _PROP["responsible_department"], dept), (iv, _PROP["involves"], actor),
             (iv, _PROP["involves"], forum), (actor, _PROP["member_of"], forum), (dept, _PROP["member_of"], forum),
             (iv2, _PROP["addresses"], rf), (iv2, _PROP["prevention_level"], lv),
             (iv2, _PROP["responsible_department"], dept2), (iv2, _PROP["involves"], actor)]
    G = typed_graph_from_rows(nodes, links, attrs)
    extras = {iv: {"source_lines": "1-2", "notes": [EVIL]}, rf: {"definition": EVIL3}}
    return G, extras


def test_markup_in_the_data_stays_text_in_every_view(evil_graph):
    G, extras = evil_graph
    for name, title in V.view_names(G):
        html = V.render_view(name, G, extras=extras)
        page = _assert_self_contained(html)
        # no element or attribute came from the data
        assert all(not k.startswith("on") for _, a in page.tags for k in a), name
        assert [t for t, _ in page.tags].count("script") == 4  # data, vis-network, the view, the follow-up status hook
        assert "<img" not in html and "<svg onload" not in html and "window.__pwned=2</script>" not in html
        assert not any(t == "b" for t, _ in page.tags)
        # the data block holds the texts exactly, and only as JSON
        block = next(t for a, t in page.scripts if a.get("type") == "application/json")
        data = json.loads(block)
        names = {n["name"] for n in data["nodes"]}
        assert names <= {EVIL, EVIL + " igen", EVIL2, EVIL3, "Annan"}
        text = "".join(page.text)
        assert title in text  # shown, as text, in the heading
    html = V.render_view("department-evil", G, extras=extras)
    assert f"<title>Förvaltning: {EVIL2.replace('<', '&lt;').replace('>', '&gt;')}" in html
    index = V.render_index(G)
    assert "<script>" not in index and EVIL2 not in index
    assert "Förvaltning: &lt;/script&gt;&lt;script&gt;window.__pwned=2&lt;/script&gt;&lt;!--" in index


def test_json_for_html_cannot_close_its_element():
    text = json_for_html({"a": "</script><!-- <script> & \u2028", "b": ["<", ">"]})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- <script> & \u2028", "b": ["<", ">"]}


# --- the command ---------------------------------------------------------------------------------


def test_uvts_views_writes_every_view_and_the_index(tmp_path, capsys):
    from uvts.api.cli import main

    out = tmp_path / "vyer"
    assert main(["views", "--store", "memory", "--out", str(out), "--view", "network", "--view", "overlap"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "network.html", "overlap.html"]
    assert "Skrev 2 vyer" in capsys.readouterr().out
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="network.html"' in index and 'href="key-actors.html"' not in index


def test_uvts_views_list_and_errors(tmp_path, capsys):
    from uvts.api.cli import main

    assert main(["views", "--store", "memory", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "risk-factor-psykisk-ohalsa" in listed and "Riskfaktor: Psykisk ohälsa" in listed
    assert main(["views", "--store", "memory", "--out", str(tmp_path / "x"), "--view", "nope"]) == 2
    assert "okänd vy" in capsys.readouterr().err
    assert main(["views", "--store", "memory"]) == 2
    assert "--out" in capsys.readouterr().err
    blocker = tmp_path / "fil"
    blocker.write_text("x", encoding="utf-8")
    assert main(["views", "--store", "memory", "--out", str(blocker)]) == 2


def test_views_command_imports_nothing_heavy_until_it_runs():
    import subprocess
    import sys

    code = ("import sys, uvts.visualisations.cli as c; "
            "print(sorted(m for m in ('pyvis','networkx','jinja2','matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_index_links_the_charts_already_written(G, tmp_path):
    charts = tmp_path / "charts"
    charts.mkdir()
    for name in ("tackning-riskfaktor-niva.svg", "tackning-riskfaktor-niva.png", "budget-per-forvaltning.png"):
        (charts / name).write_bytes(b"x")
    V.write_views(tmp_path, G, names=["forums"])
    page = _parse((tmp_path / "index.html").read_text(encoding="utf-8"))
    links = [a["href"] for t, a in page.tags if t == "a"]
    assert links == ["forums.html", "charts/tackning-riskfaktor-niva.svg", "charts/budget-per-forvaltning.png"]
    assert "Täckning: riskfaktor × preventionsnivå" in "".join(page.text)


def test_layout_in_blocks_is_the_same_layout(monkeypatch):
    ids = [f"n{k}" for k in range(300)]
    links = [(ids[k], ids[(k + 1) % 300]) for k in range(300)] + [(ids[0], ids[k]) for k in range(2, 300, 7)]
    whole = V._layout(ids, links, seed=3)
    monkeypatch.setattr(V, "_LAYOUT_BLOCK_CELLS", 300 * 7)  # blocks of 7 rows
    assert V._layout(ids, links, seed=3) == whole
    assert len(set(whole.values())) == 300  # no two nodes on one spot


# --- readable at first sight: defaults, importance, links by relation, Swedish only -----------------


def test_whole_network_hides_places_budget_posts_and_other_links_until_asked_for(G, written):
    data = V.view_data("network", G)
    assert data["hidden_types"] == ["Place", "BudgetAllocation", "OtherLink"]
    page = (written[0] / "network.html").read_text(encoding="utf-8")
    for t in data["legend"]["types"]:
        box = re.search(rf'<input type="checkbox" class="uvts-type" value="{t["type"]}"( checked)?>', page)
        assert box is not None
        assert (box.group(1) is None) == (t["type"] in data["hidden_types"]), t["type"]
    # the other views show everything they hold
    assert V.view_data("department-kultur", G)["hidden_types"] == []


def test_labels_are_ranked_by_importance_and_risk_factors_and_departments_are_prominent(G):
    data = V.view_data("network", G)
    by_kind = {}
    for n in data["nodes"]:
        by_kind.setdefault(n["kind"], []).append(n)
    lowest = {k: min(n["rank"] for n in ns_) for k, ns_ in by_kind.items()}
    highest = {k: max(n["rank"] for n in ns_) for k, ns_ in by_kind.items()}
    # every risk factor outranks every department, which outranks every intervention and actor
    assert lowest["RiskFactor"] > highest["Department"] >= lowest["Department"] > highest["Intervention"]
    assert lowest["Department"] > highest["ExternalActor"] > highest["BudgetAllocation"] - 1000
    assert {n["labelPx"] for n in by_kind["RiskFactor"]} == {V.TYPE_IMPORTANCE["RiskFactor"][1]}
    assert all(n["labelPx"] > V.TYPE_IMPORTANCE["Intervention"][1] for n in by_kind["Department"])
    assert all(n["size"] >= V.TYPE_MIN_SIZE["RiskFactor"] for n in by_kind["RiskFactor"])
    assert all(n["size"] >= V.TYPE_MIN_SIZE["Department"] for n in by_kind["Department"])


def test_links_are_styled_by_relation_with_a_legend_that_does_not_rely_on_colour(G, results, written):
    main = ("responsible_department", "involves", "prevention_level", "member_of")
    styles = [V.RELATION_STYLE[r][:3] for r in main]
    assert len({s[0] for s in styles}) == 4 and len({(str(s[1]), s[2]) for s in styles}) == 4  # colour AND dash/width
    data = V.view_data("network", G)
    for e in data["edges"]:
        colour, dashes, width, _ = V.RELATION_STYLE[e["rel"]]
        assert e["color"]["color"] == colour and e["width"] == width
        assert e.get("dashes", None) == (dashes or None) if dashes else "dashes" not in e
    legend = {r["rel"]: r for r in data["legend"]["relations"]}
    assert set(legend) == {e["rel"] for e in data["edges"]}
    assert {legend[r]["label"] for r in main} == {V.RELATION_LABELS[r] for r in main}
    page = (written[0] / "network.html").read_text(encoding="utf-8")
    block = page[page.index('id="uvts-legend-relations"'):]
    block = block[:block.index("</ul>")]
    for r in main:
        item = block[block.index(f'data-rel="{r}"'):]
        item = item[:item.index("</li>")]
        assert V.RELATION_STYLE[r][0] in item and V.RELATION_LABELS[r] in item
        if V.RELATION_STYLE[r][1]:
            assert "stroke-dasharray" in item and "(streckad)" in item


ENGLISH_OR_INTERNAL = re.compile(
    r"https?://|\bIRI\b|\bid\b|\bJSON\b|Jaccard|TF-IDF|betweenness|eigenvector|centrality|\bdegree\b|community"
    r"|centralitet|Louvain|\bnull\b|undefined|\b1 (insatser|noder|kopplingar|träffar|rader|aktörer|par)\b")


def _user_texts(data):
    """Every text of a view a user reads, except the names that come from the plan itself."""
    out = [data["title"], data["description"], data["size_measure"], data["edge_note"] or ""]
    out += [t["label"] for t in data["legend"]["types"]] + [r["label"] for r in data["legend"]["relations"]]
    out += [c["label"] for c in data["legend"]["colours"]]
    for item in data["nodes"] + data["edges"]:
        info = item.get("info")
        if info:
            out.append(info["head"])
            for field, value in info["rows"]:
                out.append(field)
                if field not in ("Titel", "Beskrivning", "Mål", "Uppföljning", "Syfte", "Anteckning", "Definition",
                                 "När", "Målgrupp") and not isinstance(value, list):
                    out.append(value)
    out += list(data["relations"].values()) + [t for pair in data["relation_text"].values() for t in pair]
    return out


def test_views_speak_swedish_only_with_no_ids_or_technical_terms(G, results, extras):
    for name, _ in V.view_names(G):
        data = V.view_data(name, G, results=results, extras=extras)
        for text in _user_texts(data):
            assert not ENGLISH_OR_INTERNAL.search(str(text)), (name, text)
        # the one place for technical terms is the "Så räknas det" fold
        for heading, _ in data["method"]:
            assert not ENGLISH_OR_INTERNAL.search(heading)
    assert V.plural(1, "insats", "insatser") == "1 insats" and V.plural(2, "insats", "insatser") == "2 insatser"


def test_the_details_link_to_the_nodes_page_when_there_is_one(G):
    href = lambda iri, typ: f"/sida/{typ}/{ns.slug_of(iri)}" if typ == "RiskFactor" else None  # noqa: E731
    data = V.view_data("risk-factor-psykisk-ohalsa", G, page_href=href)
    rf = next(n for n in data["nodes"] if n["kind"] == "RiskFactor")
    assert rf["href"] == "/sida/RiskFactor/psykisk-ohalsa"
    assert all(n["href"] is None for n in data["nodes"] if n["kind"] != "RiskFactor")
    assert all(n["href"] is None for n in V.view_data("risk-factor-psykisk-ohalsa", G)["nodes"])


def test_the_web_service_links_each_node_to_its_page(tmp_path):
    """Served by the web service, a view's details panel links a node to the page that exists for it."""
    from fastapi.testclient import TestClient

    from uvts.api.app import create_app
    from uvts.api.settings import Settings

    settings = Settings(store_path=tmp_path / "store", query_workers=1, query_timeout=5)
    with TestClient(create_app(settings)) as client:
        page = client.get("/views/risk-factor-psykisk-ohalsa").text
        block = page[page.index('id="uvts-data">') + len('id="uvts-data">'):]
        data = json.loads(block[:block.index("</script>")])
        hrefs = {n["id"]: n["href"] for n in data["nodes"]}
        assert hrefs[ns.iri("risk-factor", "psykisk-ohalsa")] == "/riskfaktorer/psykisk-ohalsa"
        assert hrefs[ns.iri("department", "fritid")] == "/forvaltningar/fritid"
        linked = [h for h in hrefs.values() if h]
        assert len(linked) == len(hrefs)  # every node kind in this view has a page
        for h in linked[:40]:
            assert client.get(h).status_code == 200, h
        index = client.get("/views").text
        assert all(note in index for note in V.VIEW_NOTES.values())


def test_several_plans_are_named_not_shown_by_id(tmp_path):
    from uvts.graph.store import open_store
    from uvts.graph.synth import write_plans

    store, _ = open_store(write_plans(tmp_path / "synth", 2, seed=0), kind="memory")
    G = read_typed_graph(store)
    extras = V.read_extras(store)
    plan_ids = sorted(V._plans_in(G))
    assert len(plan_ids) == 2
    data = V.view_data("network", G, extras=extras)
    seen = set()
    for n in data["nodes"]:
        rows = dict(n["info"]["rows"])
        for value in rows.get("Plan", []):
            assert value not in plan_ids and ": " in value, value
            seen.add(value)
    assert len(seen) == 2
    labels = [o["label"] for key in data["filters"] for o in data["filters"][key]]
    assert not any(pid in label for pid in plan_ids for label in labels)
