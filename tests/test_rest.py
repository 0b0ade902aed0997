"""The REST resources: shapes, links, filters, who works on X, analyses, saved queries, search, plans.

Answers are checked against sources that do not go through the REST code: the plan
models of the loader (``plan`` fixture), the saved queries' golden answers read from the
plan (tests/golden/), SPARQL on the store, and the analyses library.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from uvts.api.app import create_app
from uvts.api.catalog import KINDS
from uvts.api.models import DETAIL_MODELS
from uvts.api.settings import Settings
from uvts.graph import namespaces as ns
from uvts.graph.analyses import run_all
from uvts.graph.paths import DEFAULT_DATA
from uvts.graph.queries import list_queries, run_saved

GOLDEN = Path(__file__).parent / "golden"
UVTS = "PREFIX uvts: <https://w3id.org/uvts/ontology#>\n"


@pytest.fixture(scope="module")
def client():
    """The REST routes alone (no worker processes), on an in-memory store of data/."""
    app = create_app(Settings(store="memory"), modules=["uvts.api.rest"])
    with TestClient(app) as c:
        yield c


def assert_error(response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["ok", "error", "status"] and body["ok"] is False and body["status"] == status
    for word in words:
        assert word in body["error"], body["error"]
    return body["error"]


def golden(name: str) -> dict:
    return yaml.safe_load((GOLDEN / f"{name}.yaml").read_text(encoding="utf-8"))


def count_of(store, typ: str) -> int:
    return store.select(UVTS + f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a uvts:{typ} }}").values()[0]["n"]


# --- lists and resources ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_list_has_every_resource_of_its_kind(client, store, kind):
    body = client.get(f"/{kind}").json()
    assert body["kind"] == kind and body["plan"] is None
    assert body["count"] == len(body["items"]) == count_of(store, KINDS[kind].node_type)
    segment = KINDS[kind].segment
    for item in body["items"]:
        assert item["iri"] == ns.iri(segment if segment != "base-mission" else "base-mission", item["id"])
        assert item["path"] == f"/{kind}/{item['id']}"


def test_known_counts_of_the_plan(client):
    counts = client.get("/overview").json()["counts"]
    assert counts["risk-factors"] == 7 and counts["prevention-levels"] == 3 and counts["departments"] == 10
    assert counts["interventions"] == 46


def test_an_intervention_with_its_fields_source_and_links(client, plan):
    r = client.get("/interventions/stod-och-omsorg-1")
    assert r.status_code == 200
    body = r.json()
    dept = next(d for d in plan.departments if d.id == "stod-och-omsorg")
    iv = next(i for i in dept.interventions if i.number == 1)
    assert body["iri"] == "https://w3id.org/uvts/id/intervention/stod-och-omsorg-1"
    assert body["title"] == iv.title and body["number"] == 1
    assert body["department"] == {"kind": "departments", "id": "stod-och-omsorg", "label": "Stöd och omsorg",
                                  "iri": ns.iri("department", "stod-och-omsorg"), "path": "/departments/stod-och-omsorg",
                                  "page": "/forvaltningar/stod-och-omsorg"}
    assert body["source_lines"] == iv.lines == "2137-2204"
    assert body["source_text"] == plan.source_excerpt(iv.lines)
    assert body["source_text"].splitlines()[0] == plan.source_text[2136]
    assert body["sources"] == [{"plan": plan.plan.id, "lines": iv.lines, "text": plan.source_excerpt(iv.lines)}]
    assert {l["id"] for l in body["risk_factors"]} == set(iv.risk_factors)
    assert {l["id"] for l in body["levels"]} == set(iv.levels)
    assert sorted(body["goals"]) == sorted(iv.goals)
    assert {l["id"] for l in body["involves"]} == {"grundskolan", "region-vasterbotten"}


def test_a_risk_factor_with_its_synonyms_and_interventions(client, plan):
    body = client.get("/risk-factors/sarbara-familjeforhallanden").json()
    assert body["label"] == "Sårbara familjeförhållanden"
    assert "Bristande familjeförhållanden" in body["alt_labels"]
    expected = {f"{d.id}-{i.number}" for d in plan.departments for i in d.interventions
                if "sarbara-familjeforhallanden" in i.risk_factors}
    assert {l["id"] for l in body["interventions"]} == expected
    assert body["actors_path"] == "/risk-factors/sarbara-familjeforhallanden/actors"
    assert sum(lv["interventions"] for lv in body["levels"]) >= len(expected) - 5


def test_a_department_with_budget_and_base_mission(client, plan):
    body = client.get("/departments/stod-och-omsorg").json()
    dept = next(d for d in plan.departments if d.id == "stod-och-omsorg")
    assert body["budget_addition"] == dept.budget.amount == 35_000_000
    assert body["base_mission"]["path"] == "/base-missions/stod-och-omsorg"
    assert [l["id"] for l in body["interventions"]] == [f"stod-och-omsorg-{i.number}" for i in
                                                        sorted(dept.interventions, key=lambda i: i.number)]
    assert "socialtjänsten" in body["alt_labels"]
    assert sum(b["amount"] or 0 for b in body["budget_items"]) == sum(b.amount or 0 for b in dept.budget.breakdown)
    assert len(body["budget_items"]) == len(dept.budget.breakdown) > 0
    assert {f["id"] for f in body["forums"]} >= {"sspf"}


def test_forum_actor_and_place(client):
    sspf = client.get("/forums/sspf").json()
    assert {m["id"] for m in sspf["members"]} == {"grundskolan", "fritid", "stod-och-omsorg", "gymnasiet",  # l.2670: not Förskolan
                                                 "polisen"}
    assert sspf["acronym_expansion"] == "Skola, socialtjänst, polis och fritid"
    police = client.get("/actors/polisen").json()
    assert police["category"] == {"id": "police", "label": "Polis"}
    assert "sspf" in {f["id"] for f in police["forums"]}
    place = client.get("/places/alidhem").json()
    # a focus area of the first period (lines 9-14), not a priority area of this plan (lines 29-30)
    assert place["priority_area"] is False and place["focus_period"] == "2018-2022" and place["place_kind"] == "area"


def test_every_resource_and_every_link_resolves(client):
    """Crawl: each list item's detail answers 200 and validates; every link's path answers 200."""
    seen: set[str] = set()
    to_check: set[str] = set()
    for kind, model in DETAIL_MODELS.items():
        for item in client.get(f"/{kind}").json()["items"]:
            r = client.get(item["path"])
            assert r.status_code == 200, item["path"]
            body = r.json()
            model.model_validate(body)
            assert body["id"] == item["id"] and body["iri"] == item["iri"]
            seen.add(item["path"])

            def walk(x):
                if isinstance(x, dict):
                    if "path" in x and "iri" in x and x.get("path"):
                        to_check.add(x["path"])
                    for v in x.values():
                        walk(v)
                elif isinstance(x, list):
                    for v in x:
                        walk(v)

            walk({k: v for k, v in body.items() if k != "path"})
    assert to_check <= seen, f"links to paths that no list has: {sorted(to_check - seen)[:5]}"


def test_source_text_is_the_exact_plan_text_for_every_resource(client, plan):
    for kind in ("risk-factors", "departments", "actors", "forums", "places"):
        for item in client.get(f"/{kind}").json()["items"]:
            body = client.get(item["path"]).json()
            assert body["source_lines"], item["path"]
            assert body["source_text"] == plan.source_excerpt(body["source_lines"]), item["path"]


# --- filters -----------------------------------------------------------------------------------------------


def ids(body) -> set[str]:
    return {i["id"] for i in body["items"]}


def test_filter_by_risk_factor_and_level_matches_the_golden_answer(client):
    body = client.get("/interventions", params={"risk_factor": "psykisk-ohalsa", "level": "selektiv"}).json()
    case = golden("interventions-by-risk-and-level--psykisk-selektiv")
    assert ids(body) == {row[0].split("/")[1] for row in case["rows"]}
    assert body["filters"] == {"risk_factor": "psykisk-ohalsa", "level": "selektiv"}


def test_filter_by_department_place_and_age(client, plan, store):
    body = client.get("/interventions", params={"department": "stod-och-omsorg"}).json()
    dept = next(d for d in plan.departments if d.id == "stod-och-omsorg")
    assert ids(body) == {f"stod-och-omsorg-{i.number}" for i in dept.interventions}

    in_place = run_saved(store, "interventions-in-place", {"place": "alidhem"}).values()
    body = client.get("/interventions", params={"place": "alidhem"}).json()
    assert ids(body) == {ns.slug_of(r["intervention"]) for r in in_place} and body["count"] > 0

    for age in (5, 10, 16):
        body = client.get("/interventions", params={"age": age}).json()
        expected = {f"{d.id}-{i.number}" for d, i in plan.interventions()
                    if (i.min_age is not None or i.max_age is not None)
                    and (i.min_age or 0) <= age <= (i.max_age if i.max_age is not None else 200)}
        assert ids(body) == expected, age
    assert client.get("/interventions", params={"age": 10}).json()["count"] > 0


def test_filters_accept_swedish_names_and_combine(client):
    by_name = client.get("/interventions", params={"department": "Stöd och omsorg", "risk_factor": "Psykisk ohälsa"})
    by_id = client.get("/interventions", params={"department": "stod-och-omsorg", "risk_factor": "psykisk-ohalsa"})
    assert by_name.status_code == 200 and ids(by_name.json()) == ids(by_id.json())
    assert ids(by_id.json()) == {f"stod-och-omsorg-{n}" for n in (1, 3, 4, 5, 6)}


# --- errors ------------------------------------------------------------------------------------------------


def test_unknown_id_is_404_with_a_near_miss(client):
    message = assert_error(client.get("/risk-factors/psykisk-ohals"), 404, "psykisk-ohals", 'Menade du "psykisk-ohalsa"')
    assert message.startswith("Det finns ingen riskfaktor")
    assert_error(client.get("/interventions/stod-och-omsorg-99"), 404, "insats")
    assert_error(client.get("/departments/socialtjansten"), 404, '"stod-och-omsorg"')
    assert_error(client.get("/risk-factors/nope/actors"), 404, "riskfaktor")


def test_bad_filter_values_are_422_in_the_error_shape(client):
    assert_error(client.get("/interventions", params={"risk_factor": "psykisk"}), 422, "risk_factor",
                 'Menade du "psykisk-ohalsa"')
    assert_error(client.get("/interventions", params={"level": "hög"}), 422, "level")
    assert_error(client.get("/interventions", params={"age": "tio"}), 422, "age", "heltal")
    assert_error(client.get("/interventions", params={"age": -1}), 422, "age")
    assert_error(client.get("/interventions", params={"plan": "Ingenstans"}), 422, "plan", "Ingenstans")
    assert_error(client.get("/api/search"), 422, "q", "saknas")


def test_unknown_analysis_and_query_are_404(client):
    assert_error(client.get("/analyses/gap"), 404, '"gaps"')
    assert_error(client.get("/queries/who-works"), 404, "who-works")
    assert_error(client.get("/queries/nothing-like-it/results"), 404, "nothing-like-it")


def test_bad_saved_query_parameters_are_422(client):
    assert_error(client.get("/queries/who-works-on/results", params={"riskFactor": "psykisk-ohals"}), 422,
                 "riskFactor", '"psykisk-ohalsa"')
    assert_error(client.get("/queries/who-works-on/results", params={"färg": "blå"}), 422, "färg")
    assert_error(client.get("/queries/interventions-for-children-under/results", params={"age": "tretton"}), 422,
                 "heltal")
    assert_error(client.get("/queries/source-of/results", params={"resource": "not an iri"}), 422, "IRI")


# --- who works on X --------------------------------------------------------------------------------------------


def who_triples(body) -> set[tuple[str, str, str]]:
    out = set()
    for a in body["actors"]:
        for v in a["via"]:
            actor = a["actor"]["iri"][len(ns.ID):]
            out.add((actor, v["role"], v["link"]["iri"][len(ns.ID):]))
    return out


def test_who_works_on_psykisk_ohalsa_is_the_saved_querys_answer(client, store):
    body = client.get("/risk-factors/psykisk-ohalsa/actors").json()
    expected = {tuple(row) for row in golden("who-works-on")["rows"]}
    assert who_triples(body) == expected
    saved = {(r["actor"][len(ns.ID):], r["role"], r["via"][len(ns.ID):])
             for r in run_saved(store, "who-works-on", {"riskFactor": "psykisk-ohalsa"}).values()}
    assert who_triples(body) == saved
    assert body["count"] == len(body["actors"]) == len({t[0] for t in expected})
    assert body["query"] == "who-works-on"


def test_who_works_on_marks_base_missions_and_types(client):
    body = client.get("/risk-factors/psykisk-ohalsa/actors").json()
    by_actor = {a["actor"]["id"]: a for a in body["actors"]}
    assert by_actor["forskolan"]["type"] == "Department" and by_actor["forskolan"]["type_label"] == "Förvaltning"
    assert by_actor["region-vasterbotten"]["type"] == "ExternalActor"
    assert by_actor["sspf"]["type"] == "CollaborationForum" and by_actor["sspf"]["actor"]["path"] == "/forums/sspf"
    fritid = {v["link"]["id"]: v for v in by_actor["fritid"]["via"]}
    assert fritid["fritid"]["base_mission"] is True and fritid["fritid"]["link"]["path"] == "/base-missions/fritid"
    forskolan = {v["link"]["id"]: v for v in by_actor["forskolan"]["via"]}
    assert forskolan["forskolan-1"]["base_mission"] is False and forskolan["forskolan-1"]["role"] == "ansvarig"


@pytest.mark.parametrize("rf", ["skolmisslyckande", "utanforskap"])
def test_who_works_on_other_risk_factors_matches_the_saved_query(client, store, rf):
    body = client.get(f"/risk-factors/{rf}/actors").json()
    saved = {(r["actor"][len(ns.ID):], r["role"], r["via"][len(ns.ID):])
             for r in run_saved(store, "who-works-on", {"riskFactor": rf}).values()}
    assert who_triples(body) == saved and saved


# --- analyses and saved queries ----------------------------------------------------------------------------------


def test_analyses_are_the_librarys_results(client, store):
    index = client.get("/analyses").json()
    assert [a["name"] for a in index["analyses"]] == ["coverage", "gaps", "overlap", "actors", "chain"]
    expected = run_all(store, seed=0)
    for name in ("coverage", "gaps", "chain"):
        body = client.get(f"/analyses/{name}").json()
        assert body.pop("plan") is None and body.pop("seed") == 0
        assert body == expected[name]


def test_saved_queries_are_listed_and_run_by_name(client, store):
    listed = client.get("/queries").json()
    assert [q["name"] for q in listed["queries"]] == [q.name for q in list_queries()]
    who = next(q for q in listed["queries"] if q["name"] == "who-works-on")
    assert who["params"] == [{"name": "riskFactor", "kind": "risk-factor", "default": "psykisk-ohalsa",
                              "options": "risk-factors"}]
    assert "SELECT" in client.get("/queries/who-works-on").json()["text"]
    body = client.get("/queries/interventions-for-children-under/results", params={"age": 13}).json()
    expected = run_saved(store, "interventions-for-children-under", {"age": "13"})
    assert body["params"] == {"age": "13"} and body["vars"] == expected.vars
    assert [{v: (c["value"] if c else None) for v, c in row.items()} for row in body["rows"]] == \
        [{v: (r[v].value if v in r else None) for v in expected.vars} for r in expected.rows]
    iri_cell = body["rows"][0]["intervention"]
    assert iri_cell["type"] == "uri" and iri_cell["path"].startswith("/interventions/")


def test_saved_query_defaults_and_limit(client):
    body = client.get("/queries/who-works-on/results").json()
    assert body["params"] == {"riskFactor": "psykisk-ohalsa"} and body["count"] == len(golden("who-works-on")["rows"])
    assert client.get("/queries/who-works-on/results", params={"limit": 3}).json()["count"] == 3


# --- search ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q,kind,slug", [
    ("Bristande familjeförhållanden", "risk-factors", "sarbara-familjeforhallanden"),
    ("bristande familjeforhallanden", "risk-factors", "sarbara-familjeforhallanden"),
    ("socialtjänsten", "departments", "stod-och-omsorg"),
    ("SOCIALTJANSTEN", "departments", "stod-och-omsorg"),
    ("polis", "actors", "polisen"),
    ("psykisk ohalsa", "risk-factors", "psykisk-ohalsa"),
    ("Ålidhem", "places", "alidhem"),
    ("regionen", "actors", "region-vasterbotten"),
])
def test_search_by_name_and_swedish_synonyms(client, q, kind, slug):
    body = client.get("/api/search", params={"q": q}).json()
    assert body["hits"], q
    first = body["hits"][0]
    assert (first["kind"], first["id"]) == (kind, slug), body["hits"][:3]
    assert first["path"] == f"/{kind}/{slug}"


def test_search_finds_nothing_for_nonsense(client):
    assert client.get("/api/search", params={"q": "xyzzy-qwerty"}).json()["hits"] == []


# --- the OpenAPI schema --------------------------------------------------------------------------------------


def test_openapi_schema_is_precise(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for kind in KINDS:
        assert f"/{kind}" in paths and f"/{kind}/{{id}}" in paths
    for path in ("/risk-factors/{id}/actors", "/analyses", "/analyses/{name}", "/queries", "/api/search", "/plans",
                 "/queries/who-works-on/results"):
        assert path in paths, path
    detail = paths["/interventions/{id}"]["get"]["responses"]
    assert detail["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/InterventionOut")
    assert detail["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    listing = paths["/interventions"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"risk_factor", "level", "department", "place", "age", "plan"}
    assert listing["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    who = paths["/queries/who-works-on/results"]["get"]
    assert "riskFactor" in {p["name"] for p in who["parameters"]}
    assert "HTTPValidationError" not in schema.get("components", {}).get("schemas", {})


# --- one plan or all -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """Umeå and two synthetic plans in one store."""
    from uvts.graph.store import open_store
    from uvts.graph.synth import write_plans

    folders = write_plans(tmp_path_factory.mktemp("plans"), 2, seed=3)
    app = create_app(Settings(store="memory", data=(DEFAULT_DATA, *folders)), modules=["uvts.api.rest"])
    store, _ = open_store([DEFAULT_DATA, *folders], kind="memory")
    with TestClient(app) as c:
        yield c, store


def test_plans_are_listed(many):
    client, store = many
    plans = client.get("/plans").json()
    assert plans["count"] == 3
    assert "umea-uvts-2024-2026" in {p["id"] for p in plans["plans"]}


def test_plan_parameter_scopes_lists(many):
    client, store = many
    plans = [p["id"] for p in client.get("/plans").json()["plans"]]
    total = client.get("/interventions").json()["count"]
    per_plan = {}
    for plan in plans:
        body = client.get("/interventions", params={"plan": plan}).json()
        assert body["plan"] == plan
        per_plan[plan] = ids(body)
    assert len(per_plan["umea-uvts-2024-2026"]) == 46
    assert sum(len(v) for v in per_plan.values()) == total
    assert client.get("/interventions", params={"plan": "Umeå"}).json()["plan"] == "umea-uvts-2024-2026"
    assert client.get("/interventions", params={"plan": "alla"}).json()["count"] == total
    depts = client.get("/departments", params={"plan": "umea-uvts-2024-2026"}).json()
    assert depts["count"] == 10


def test_plan_parameter_scopes_who_works_on_and_analyses(many, client):
    multi, store = many
    umea = multi.get("/risk-factors/psykisk-ohalsa/actors", params={"plan": "umea-uvts-2024-2026"}).json()
    alone = client.get("/risk-factors/psykisk-ohalsa/actors").json()
    assert who_triples(umea) == who_triples(alone)
    national = multi.get("/risk-factors/psykisk-ohalsa/actors").json()
    assert who_triples(national) > who_triples(alone)
    other = next(p["id"] for p in multi.get("/plans").json()["plans"] if p["id"] != "umea-uvts-2024-2026")
    body = multi.get("/analyses/coverage", params={"plan": other}).json()
    assert body.pop("plan") == other and body.pop("seed") == 0
    assert body == run_all(store, seed=0, names=("coverage",), plan=other)["coverage"]


# --- the documentation's curl examples ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_url():
    """The REST routes under a real uvicorn on a free loopback port (in a thread)."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(Settings(store="memory"), modules=["uvts.api.rest"])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


def test_the_curl_examples_of_the_docs(live_url):
    import json
    import shutil
    import subprocess

    assert shutil.which("curl"), "curl is needed to check the documentation's examples"
    doc = (Path(__file__).parent.parent / "docs" / "web.md").read_text(encoding="utf-8")
    block = doc.split("### Med curl", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    comment, ran = "", 0
    for line in block.splitlines():
        if line.startswith("#"):
            comment = line
            continue
        if not line.startswith("curl "):
            continue
        out = subprocess.run(line.replace("127.0.0.1:8000", live_url), shell=True, capture_output=True, text=True,
                             timeout=60, executable="/bin/bash")
        assert out.returncode == 0, (line, out.stderr)
        body = json.loads(out.stdout)
        if "fel" in comment:
            assert body["ok"] is False and body["status"] == 404 and "Menade du" in body["error"], line
        else:
            assert not (isinstance(body, dict) and body.get("ok") is False), (line, body)
            assert body, line
        ran += 1
    assert ran >= 8
