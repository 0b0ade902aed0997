"""Property tests: any valid plan data round-trips YAML -> RDF -> Turtle -> RDF unchanged."""

from __future__ import annotations

import shutil

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.compare import isomorphic

from uvts.graph.build import build_plan_graph
from uvts.graph.load import load_plan
from uvts.graph.paths import DEFAULT_DATA

# Text that a person could type into a field: any printable Unicode, including quotes,
# backslashes, markup and Swedish letters (YAML handles escaping).
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).map(str.strip).filter(bool)
levels = st.lists(st.sampled_from(["universell", "selektiv", "indikerad"]), unique=True, max_size=3)
risks = st.lists(st.sampled_from(["ekonomisk-utsatthet", "skolmisslyckande", "psykisk-ohalsa", "utanforskap"]), unique=True)
ages = st.tuples(st.integers(0, 30), st.integers(0, 30)).map(sorted)


@st.composite
def interventions(draw):
    n = draw(st.integers(1, 4))
    out = []
    for i in range(1, n + 1):
        lo, hi = draw(ages)
        iv = {"number": i, "title": draw(text), "lines": f"{i * 10}-{i * 10 + 5}", "levels": draw(levels),
              "description": draw(text), "timing": draw(text), "risk_factors": draw(risks),
              "goals": draw(st.lists(text, max_size=3, unique=True)),
              "follow_ups": draw(st.lists(text, max_size=3, unique=True))}
        if draw(st.booleans()):
            iv["min_age"], iv["max_age"] = lo, hi
        if draw(st.booleans()):
            iv["note"] = draw(text)
        out.append(iv)
    return out


_BASE = DEFAULT_DATA


@settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ivs=interventions(), name=text, summary=text, budget=st.integers(0, 10**9))
def test_yaml_rdf_turtle_rdf_round_trip(tmp_path_factory, ivs, name, summary, budget):
    data = tmp_path_factory.mktemp("plan")
    for f in ("plan.yaml", "risk-factors.yaml", "prevention-levels.yaml", "other-links.yaml", "actors.yaml",
              "places.yaml"):
        shutil.copy(_BASE / f, data / f)
    (data / "forums.yaml").write_text("[]\n", encoding="utf-8")  # forums name the real departments
    # ... so the plan is reported to no forum; its text comes along (a plan needs its text)
    plan_yaml = (data / "plan.yaml").read_text(encoding="utf-8")
    (data / "plan.yaml").write_text("".join(ln for ln in plan_yaml.splitlines(keepends=True)
                                            if not ln.startswith("reported_to")), encoding="utf-8")
    shutil.copytree(_BASE / "source", data / "source")
    (data / "departments").mkdir()
    dept = {"id": "testavdelning", "name": name, "lines": "1-100", "interventions": ivs,
            "base_mission": {"lines": "1-2", "summary": summary}, "budget": {"amount": budget, "lines": "3"}}
    (data / "departments" / "testavdelning.yaml").write_text(yaml.safe_dump(dept, allow_unicode=True), encoding="utf-8")
    plan = load_plan(data)
    g = build_plan_graph(plan)
    turtle = g.serialize(format="turtle")
    back = Graph().parse(data=turtle, format="turtle")
    assert isomorphic(g, back)
    # and the values survive as typed
    iv = plan.departments[0].interventions[0]
    titles = {str(o) for o in back.objects(predicate=None) if str(o) == iv.title}
    assert iv.title in titles
