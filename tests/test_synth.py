"""Synthetic plans (``uvts synth``) and many plans in one store (``uvts.graph.plans``)."""

from __future__ import annotations

import collections
import re
import shutil

import pytest
import yaml

from test_golden import _cases as golden_cases
from test_golden import check as golden_check
from uvts.graph import namespaces as ns
from uvts.graph.load import load_plan, load_plans
from uvts.graph.paths import DEFAULT_DATA
from uvts.graph.plans import (
    ONTOLOGY_GRAPH, PlanError, list_plans, plan_graph, plan_scope, resolve_plan, select_in_plan,
)
from uvts.graph.queries import bind_params, list_queries
from uvts.graph.store import open_store
from uvts.graph.synth import (
    DEPARTMENTS, MAX_MUNICIPALITIES, NATIONAL_ACTORS, municipality_names, synthesize, write_plans,
)

UMEA = "https://w3id.org/uvts/id/plan/umea-uvts-2024-2026"


def concat_separators(text: str) -> dict[str, str]:
    """Variables bound by GROUP_CONCAT, with their separators: SPARQL 1.1 leaves the order of
    the joined values open, and engines differ, so such a column is compared as a set."""
    out = {}
    for m in re.finditer(r'GROUP_CONCAT\s*\((.*?)\)\s+AS\s+\?(\w+)', text, re.S | re.I):
        sep = re.search(r'separator\s*=\s*"([^"]*)"', m.group(1), re.I)
        out[m.group(2)] = sep.group(1) if sep else " "
    return out


def rows_as_multiset(result, concat: dict[str, str] | None = None) -> collections.Counter:
    """A result as a multiset of rows of plain values."""
    def plain(var, value):
        if concat and var in concat and isinstance(value, str):
            return tuple(sorted(value.split(concat[var])))
        return value
    return collections.Counter(tuple((v, plain(v, row[v])) for v in result.vars) for row in result.values())
PREFIXES = "PREFIX uvts: <https://w3id.org/uvts/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


@pytest.fixture(scope="module")
def synth_dirs(tmp_path_factory):
    return write_plans(tmp_path_factory.mktemp("synth"), 3, seed=11)


@pytest.fixture(scope="module")
def many(synth_dirs):
    """Umeå and three synthetic plans in one embedded (in-memory pyoxigraph) store."""
    store, _ = open_store([DEFAULT_DATA, *synth_dirs], kind="memory")
    return store


# --- the generator ----------------------------------------------------------------------------------


def test_same_seed_same_plans_and_a_prefix_of_a_larger_nation():
    three = synthesize(3, seed=5)
    assert synthesize(3, seed=5) == three
    assert synthesize(2, seed=5) == three[:2]
    assert synthesize(3, seed=6) != three
    names = municipality_names(MAX_MUNICIPALITIES, seed=5)
    assert len(set(names)) == MAX_MUNICIPALITIES >= 290
    assert "umea" not in {ns.slugify(n) for n in names}
    with pytest.raises(ValueError):
        municipality_names(MAX_MUNICIPALITIES + 1)


def test_each_plan_has_the_shape_of_a_municipal_plan(synth_dirs):
    for folder in synth_dirs:
        plan = load_plan(folder)
        slug = folder.name
        assert plan.plan.municipality.id == f"{slug}-kommun"
        assert len(plan.departments) == len(DEPARTMENTS) == 10
        n = sum(1 for _ in plan.interventions())
        assert 20 <= n <= 60
        assert all(d.id.startswith(slug + "-") for d in plan.departments)
        assert {d.name for d in plan.departments} == {name for _, name in DEPARTMENTS}
        assert all(f.id.startswith(slug + "-") for f in plan.forums)
        assert all(p.id.startswith(slug + "-") for p in plan.places)
        actor_ids = {a.id for a in plan.actors}
        assert {aid for aid, _, _ in NATIONAL_ACTORS} <= actor_ids
        assert any(a.startswith("region-") for a in actor_ids) and any(a.startswith("lansstyrelsen-") for a in actor_ids)
        local = [a for a in actor_ids if a.startswith(slug + "-")]
        assert local, "a plan names local actors"
        for dept, iv in plan.interventions():
            for lines in [iv.lines]:
                assert int(lines.split("-")[-1]) <= plan.plan.source_line_count


def test_shared_resources_are_described_exactly_as_in_umeas_plan(synth_dirs):
    umea = load_plan(DEFAULT_DATA)
    umea_actors = {a.id: (a.name, a.category) for a in umea.actors}
    for folder in synth_dirs:
        plan = load_plan(folder)
        assert [(r.id, r.label, r.definition, r.alt_labels) for r in plan.risk_factors] == \
            [(r.id, r.label, r.definition, r.alt_labels) for r in umea.risk_factors]
        assert [(lv.id, lv.label) for lv in plan.levels] == [(lv.id, lv.label) for lv in umea.levels]
        for a in plan.actors:
            if a.id in umea_actors:
                assert (a.name, a.category) == umea_actors[a.id], a.id


def test_distributions_follow_umeas_plan():
    umea = load_plan(DEFAULT_DATA)

    def shares(counter):
        total = sum(counter.values())
        return {k: v / total for k, v in counter.items()}

    def profile(ivs):
        risks, levels = collections.Counter(), collections.Counter()
        with_level = 0
        for iv in ivs:
            risks.update(iv["risk_factors"])
            levels.update(iv["levels"])
            with_level += bool(iv["levels"])
        return shares(risks), shares(levels), with_level / len(ivs)

    plans = synthesize(40, seed=2)
    ivs = [iv for p in plans for d in p["departments"].values() for iv in d["interventions"]]
    counts = [sum(len(d["interventions"]) for d in p["departments"].values()) for p in plans]
    assert min(counts) >= 20 and max(counts) <= 60 and 33 <= sum(counts) / len(counts) <= 47
    u_ivs = [{"risk_factors": iv.risk_factors, "levels": iv.levels} for _, iv in umea.interventions()]
    s_risk, s_level, s_with = profile(ivs)
    u_risk, u_level, u_with = profile(u_ivs)
    distance = sum(abs(s_risk.get(k, 0) - u_risk.get(k, 0)) for k in set(s_risk) | set(u_risk)) / 2
    assert distance < 0.08, (s_risk, u_risk)
    assert max(s_level, key=s_level.get) == max(u_level, key=u_level.get) == "selektiv"
    assert abs(s_level["indikerad"] - u_level["indikerad"]) < 0.08
    assert abs(s_with - u_with) < 0.08


# --- the command --------------------------------------------------------------------------------------


def test_uvts_synth_writes_plans_that_validate(tmp_path, capsys):
    from uvts.api.cli import main

    out = tmp_path / "plans"
    assert main(["synth", "--municipalities", "2", "--seed", "4", "-o", str(out)]) == 0
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(folders) == 2 and all((f / "plan.yaml").exists() for f in folders)
    assert "Skrev 2 syntetiska planer" in capsys.readouterr().out
    args = ["validate"] + [x for f in folders for x in ("--data", str(f))]
    assert main(args) == 0, capsys.readouterr()
    assert "2 plan(er)" in capsys.readouterr().out
    # the same folder is not overwritten by accident
    assert main(["synth", "-n", "2", "-o", str(out)]) == 2
    assert "inte tom" in capsys.readouterr().err
    assert main(["synth", "-n", "2", "--seed", "4", "-o", str(out), "--force"]) == 0
    assert main(["synth", "-n", "0", "-o", str(tmp_path / "none")]) == 2


def test_a_broken_synthetic_plan_does_not_validate(tmp_path, capsys):
    """The validation above can fail: a synthetic plan with a dangling reference is refused."""
    from uvts.api.cli import main

    folder = write_plans(tmp_path, 1, seed=4)[0]
    dept = sorted((folder / "departments").glob("*.yaml"))[0]
    data = yaml.safe_load(dept.read_text(encoding="utf-8"))
    data["interventions"][0]["involves"]["actors"] = ["polisen-typo"]
    dept.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["validate", "--data", str(folder)]) == 1
    assert "polisen-typo" in capsys.readouterr().err


def test_uvts_plans_lists_every_municipality(synth_dirs, capsys):
    from uvts.api.cli import main

    args = ["plans", "--store", "memory", "--data", str(DEFAULT_DATA)] + \
        [x for f in synth_dirs for x in ("--data", str(f))]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Umeå kommun" in out and "(4 planer)" in out
    for f in synth_dirs:
        assert f"{f.name}-2024-2026" in out


# --- many plans in one store ----------------------------------------------------------------------------


def test_each_plan_is_its_own_named_graph(many, synth_dirs):
    expected = {UMEA, ONTOLOGY_GRAPH} | {plan_graph(f"{f.name}-2024-2026") for f in synth_dirs}
    assert set(many.graphs()) == expected
    plans = list_plans(many)
    labels = [p["municipality_label"] for p in plans]
    assert labels == sorted(labels) and len(labels) == 4
    umea = next(p for p in plans if p["plan"] == UMEA)
    assert umea == {"plan": UMEA, "id": "umea-uvts-2024-2026", "label": umea["label"],
                    "municipality": ns.iri("actor", "umea-kommun"), "municipality_id": "umea-kommun",
                    "municipality_label": "Umeå kommun", "code": "2480", "period": "2024/2026"}


def test_a_plan_is_found_by_id_municipality_name_or_code(many, synth_dirs):
    slug = synth_dirs[0].name
    for ref in ("umea-uvts-2024-2026", UMEA, "umea-kommun", "Umeå", "Umeå kommun", "umea", "2480",
                ns.iri("actor", "umea-kommun")):
        assert resolve_plan(many, ref)["plan"] == UMEA, ref
    assert resolve_plan(many, slug)["plan"] == plan_graph(f"{slug}-2024-2026")
    with pytest.raises(PlanError, match='menade du "umea'):
        resolve_plan(many, "umeaa")
    with pytest.raises(PlanError, match="okänd plan"):
        resolve_plan(many, "Ingenstans")
    assert plan_scope(many, None) is None and plan_scope(many, "alla") is None
    assert plan_scope(many, "Umeå") == [UMEA, ONTOLOGY_GRAPH]


def test_two_plans_of_one_municipality_must_be_named_by_plan_id(data_copy):
    plan_file = data_copy / "plan.yaml"
    plan_file.write_text(plan_file.read_text(encoding="utf-8").replace("id: umea-uvts-2024-2026",
                                                                       "id: umea-uvts-2027-2029"), encoding="utf-8")
    store, _ = open_store([DEFAULT_DATA, data_copy], kind="memory")
    with pytest.raises(PlanError, match="passar flera planer"):
        resolve_plan(store, "Umeå")
    assert resolve_plan(store, "umea-uvts-2027-2029")["plan"].endswith("umea-uvts-2027-2029")


@pytest.mark.parametrize("name", [q.name for q in list_queries()])
def test_umea_keeps_all_its_answers_among_many_plans(many, store, name):
    query = {q.name: q for q in list_queries()}[name]
    b = bind_params(query, {})
    alone = store.select(query.text, b)
    scoped = select_in_plan(many, query.text, "Umeå", bindings=b)
    assert scoped.vars == alone.vars
    assert rows_as_multiset(scoped) == rows_as_multiset(alone)


class _UmeaOnly:
    """The many-plan store seen through one plan, as a golden answer check calls it."""

    def __init__(self, store):
        self.store = store

    def select(self, query, bindings=None, limit=None):
        return select_in_plan(self.store, query, UMEA, bindings=bindings, limit=limit)


@pytest.mark.parametrize("case", list(golden_cases()))
def test_golden_answers_hold_when_scoped_to_umea(many, case):
    golden_check(_UmeaOnly(many), case)


def test_without_scope_a_query_sees_the_nation(many, synth_dirs):
    q = PREFIXES + "SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i a uvts:Intervention }"
    national = many.select(q).values()[0]["n"]
    per_plan = [select_in_plan(many, q, p["plan"]).values()[0]["n"] for p in list_plans(many)]
    assert national == sum(per_plan) and len(per_plan) == 4
    assert per_plan.count(46) >= 1  # Umeå's 46
    # the national graph connects through shared actors: the police work with several municipalities
    q = PREFIXES + ("SELECT (COUNT(DISTINCT ?plan) AS ?n) WHERE { ?i uvts:involves|^org:hasMember "
                    "<https://w3id.org/uvts/id/actor/polisen> ; uvts:inPlan ?plan }")
    q = q.replace("PREFIX rdfs", "PREFIX org: <http://www.w3.org/ns/org#>\nPREFIX rdfs")
    assert many.select(q).values()[0]["n"] >= 3


def test_rdflib_and_oxigraph_scope_alike(synth_dirs):
    ox, _ = open_store([DEFAULT_DATA, synth_dirs[0]], kind="memory")
    rd, _ = open_store([DEFAULT_DATA, synth_dirs[0]], kind="rdflib")
    q = PREFIXES + "SELECT DISTINCT ?d ?label WHERE { ?d a uvts:Department ; rdfs:label ?label } ORDER BY ?d"
    for plan in (None, "Umeå", synth_dirs[0].name):
        a, b = select_in_plan(ox, q, plan).values(), select_in_plan(rd, q, plan).values()
        assert a == b and len(a) == (20 if plan is None else 10)
    assert select_in_plan(rd, q, "Umeå").values()[0]["d"] == ns.iri("department", "arbetsmarknad-och-integration")
    assert rd.select(q, graphs=[]).rows == [] and ox.select(q, graphs=[]).rows == []


def test_ids_from_different_plans_never_collide(synth_dirs):
    plans = load_plans([DEFAULT_DATA, *synth_dirs])
    seen: dict[str, str] = {}
    for plan in plans:
        local = [d.id for d in plan.departments] + [f"{d.id}-{iv.number}" for d, iv in plan.interventions()] + \
            [f.id for f in plan.forums] + [p.id for p in plan.places]
        for ident in local:
            assert ident not in seen, f"{ident} in {plan.plan.id} and {seen[ident]}"
            seen[ident] = plan.plan.id


def test_a_copied_plan_with_the_same_id_is_refused(synth_dirs, tmp_path):
    from uvts.graph.load import DataError

    twin = tmp_path / "twin"
    shutil.copytree(synth_dirs[0], twin)
    with pytest.raises(DataError, match="unikt id"):
        load_plans([synth_dirs[0], twin])


# --- the national view: each triple once ---------------------------------------------------------------


def test_national_queries_see_a_shared_triple_once(many, synth_dirs):
    rd, _ = open_store([DEFAULT_DATA, *synth_dirs], kind="rdflib")
    q = "SELECT ?label WHERE { <https://w3id.org/uvts/id/actor/polisen> <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    assert many.select(q).values() == rd.select(q).values() == [{"label": "Polisen"}]
    # ... while each plan's graph still describes the police for that plan
    q = ("SELECT ?g WHERE { GRAPH ?g { <https://w3id.org/uvts/id/actor/polisen> "
         "<http://www.w3.org/2000/01/rdf-schema#label> ?label } }")
    assert len(many.select(q).rows) == 4
    # every saved query over all plans: the embedded store and rdflib agree
    for query in list_queries():
        b = bind_params(query, {})
        concat = concat_separators(query.text)
        a, r = many.select(query.text, b), rd.select(query.text, b)
        assert rows_as_multiset(a, concat) == rows_as_multiset(r, concat), query.name


def test_len_and_graphs_hide_the_union(many, store):
    from uvts.graph.store import UNION_GRAPH

    assert UNION_GRAPH not in many.graphs()
    q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert len(many) == many.select(q).values()[0]["n"]
    assert len(store) == store.select(q).values()[0]["n"]


def test_a_store_written_without_the_union_still_answers(tmp_path, synth_dirs):
    import pyoxigraph as ox

    from uvts.graph.build import build_plan_graph, sorted_ntriples
    from uvts.graph.store import OxigraphStore

    raw = ox.Store(str(tmp_path / "old"))
    for folder in synth_dirs[:2]:
        plan = load_plan(folder)
        raw.bulk_load(sorted_ntriples(build_plan_graph(plan)), format=ox.RdfFormat.N_TRIPLES,
                      to_graph=ox.NamedNode(plan_graph(plan.plan.id)))
    raw.flush()
    del raw
    old = OxigraphStore(tmp_path / "old", read_only=True)
    q = PREFIXES + "SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i a uvts:Intervention }"
    assert old.select(q).values()[0]["n"] == sum(sum(1 for _ in load_plan(f).interventions()) for f in synth_dirs[:2])
    assert len(old.graphs()) == 2


def test_uvts_synth_copies_the_shared_concepts_from_data(data_copy, tmp_path):
    from uvts.api.cli import main

    rf = data_copy / "risk-factors.yaml"
    rf.write_text(rf.read_text(encoding="utf-8").replace("sv: Psykisk ohälsa", "sv: Psykisk ohälsa (testnamn)", 1),
                  encoding="utf-8")
    assert main(["synth", "-n", "1", "-o", str(tmp_path / "out"), "--data", str(data_copy)]) == 0
    folder = next((tmp_path / "out").iterdir())
    labels = {r.id: r.label.sv for r in load_plan(folder).risk_factors}
    assert labels["psykisk-ohalsa"] == "Psykisk ohälsa (testnamn)"


def test_a_folder_of_plan_folders_stands_for_each_of_them(synth_dirs, capsys):
    """``uvts synth -o plans/`` then ``--data plans/`` loads every plan the folder holds."""
    from uvts.api.cli import main
    from uvts.graph.paths import data_dirs, plan_folders

    parent = synth_dirs[0].parent
    assert plan_folders([DEFAULT_DATA, parent]) == [DEFAULT_DATA, *sorted(synth_dirs)]
    assert data_dirs([parent]) == sorted(synth_dirs)
    assert plan_folders([parent / "saknas"]) == [parent / "saknas"]  # kept: loading it says what is wrong
    assert main(["plans", "--store", "memory", "--data", str(DEFAULT_DATA), "--data", str(parent)]) == 0
    out = capsys.readouterr().out
    assert "Umeå" in out and all(d.name.capitalize() in out or d.name in out for d in synth_dirs)
    from uvts.api.settings import Settings

    settings = Settings.from_env({"UVTS_DATA": f"{DEFAULT_DATA}{__import__('os').pathsep}{parent}"})
    assert settings.data_dirs() == [DEFAULT_DATA, *sorted(synth_dirs)]


def test_synthetic_rounds_are_marked_and_belong_to_their_plan(tmp_path):
    from uvts.graph.follow_up_data import read_follow_up
    from uvts.graph.load import load_plans
    from uvts.graph.store import open_store

    folders = write_plans(tmp_path, 2, seed=3)
    plans = load_plans(folders)
    for p in plans:
        assert [r.date.isoformat() for r in p.follow_up] == ["2024-12-10", "2025-06-15"]
        for r in p.follow_up:
            assert r.model.round.synthetic and r.model.round.title.startswith("Syntetisk")
            assert all(i.intervention.startswith(p.plan.municipality.id.removesuffix("-kommun") + "-") for i in r.items)
    store, _ = open_store(folders, kind="memory")
    fu = read_follow_up(store.select)
    assert len(fu["rounds"]) == 4 and all(r["synthetic"] for r in fu["rounds"])
    by_plan = {}
    for r in fu["rounds"]:
        by_plan.setdefault(r["plan"].rsplit("/", 1)[-1], []).append(r["iri"].rsplit("/", 1)[-1])
    assert by_plan == {p.plan.id: [f"{p.plan.id}-2024-12-10", f"{p.plan.id}-2025-06-15"] for p in plans}
    # the national question counts statuses across both municipalities
    from uvts.graph.queries import run_saved

    rows = run_saved(store, "status-by-risk-factor").values()
    assert rows and max(r["kommuner"] for r in rows) == 2
    assert sum(r["antal"] for r in rows) >= len({rec["intervention"] for rec in fu["records"] if rec["date"] == "2025-06-15"})
