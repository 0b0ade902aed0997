"""The saved queries written for speed give the answers of the same questions written plainly.

Several saved queries put each triple pattern in its own sub-select, so that Oxigraph joins
with hash tables over all plans instead of one index lookup per row (docs/many-plans.md).
That form is easy to get wrong, and rdflib evaluates some sub-selects in OPTIONAL wrongly, so
each is checked here against the plain form of the question (the form they had before), on
Umeå with three synthetic plans, nationally and plan by plan, on the embedded store and on
rdflib's.
"""

from __future__ import annotations

import pytest

from test_synth import concat_separators, rows_as_multiset
from uvts.graph.paths import DEFAULT_DATA
from uvts.graph.plans import list_plans, select_in_plan
from uvts.graph.queries import bind_params, get_query, list_queries
from uvts.graph.store import open_store
from uvts.graph.synth import write_plans

PREFIXES = """PREFIX uvts: <https://w3id.org/uvts/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

PLAIN = {
    "actors-by-category": """
SELECT ?categoryLabel ?actor ?label (COUNT(DISTINCT ?intervention) AS ?interventions) WHERE {
  ?actor a uvts:ExternalActor ; rdfs:label ?label ; uvts:actorCategory/skos:prefLabel ?categoryLabel .
  FILTER(lang(?label) = "sv" && lang(?categoryLabel) = "sv")
  OPTIONAL { ?intervention a uvts:Intervention ; uvts:involves ?actor }
}
GROUP BY ?categoryLabel ?actor ?label
ORDER BY ?categoryLabel ?label
""",
    "budget-by-risk-factor": """
SELECT ?riskFactor ?label (SUM(?budget) AS ?total) (COUNT(?department) AS ?departments) WHERE {
  {
    SELECT DISTINCT ?riskFactor ?department WHERE {
      ?intervention a uvts:Intervention ; uvts:addresses ?riskFactor ; uvts:responsibleDepartment ?department .
    }
  }
  ?department uvts:budgetAddition ?budget .
  ?riskFactor skos:prefLabel ?label .
  FILTER(lang(?label) = "sv")
}
GROUP BY ?riskFactor ?label
ORDER BY DESC(?total) ?label
""",
    "coverage-risk-level": """
SELECT ?riskLabel ?levelLabel (COUNT(DISTINCT ?intervention) AS ?interventions) WHERE {
  ?riskFactor a uvts:RiskFactor ; skos:prefLabel ?riskLabel .
  ?level a uvts:PreventionLevel ; skos:prefLabel ?levelLabel .
  FILTER(lang(?riskLabel) = "sv" && lang(?levelLabel) = "sv")
  OPTIONAL { ?intervention uvts:addresses ?riskFactor ; uvts:preventionLevel ?level }
}
GROUP BY ?riskLabel ?levelLabel
ORDER BY ?riskLabel ?levelLabel
""",
    "interventions-for-children-under": """
SELECT ?age ?intervention ?title ?minAge ?maxAge ?departmentLabel WHERE {
  ?intervention a uvts:Intervention ; uvts:minAge ?minAge ; dcterms:title ?title ;
      uvts:responsibleDepartment/rdfs:label ?departmentLabel .
  OPTIONAL { ?intervention uvts:maxAge ?maxAge }
  FILTER(?minAge < ?age && lang(?departmentLabel) = "sv")
}
ORDER BY ?minAge ?intervention
""",
    "interventions-without-goal": """
SELECT ?intervention ?title ?departmentLabel ?goal WHERE {
  ?intervention a uvts:Intervention ; dcterms:title ?title ;
      uvts:responsibleDepartment/rdfs:label ?departmentLabel .
  FILTER(lang(?departmentLabel) = "sv")
  OPTIONAL { ?intervention uvts:goal ?goal }
  FILTER(!BOUND(?goal) || CONTAINS(LCASE(STR(?goal)), "inte fastställt") || CONTAINS(LCASE(STR(?goal)), "inte fastställd"))
}
ORDER BY ?intervention
""",
    "risk-factors-without-level": """
SELECT ?level ?riskFactor ?label WHERE {
  ?riskFactor a uvts:RiskFactor ; skos:prefLabel ?label .
  FILTER(lang(?label) = "sv")
  MINUS {
    ?intervention a uvts:Intervention ; uvts:addresses ?riskFactor ; uvts:preventionLevel ?level .
  }
}
ORDER BY ?label
""",
    "budget-by-municipality": """
SELECT ?municipality ?municipalityLabel ?plan (SUM(?budget) AS ?total) (COUNT(?department) AS ?departments) WHERE {
  ?department a uvts:Department ; uvts:budgetAddition ?budget ; uvts:inPlan ?plan .
  ?plan uvts:municipality ?municipality .
  ?municipality rdfs:label ?municipalityLabel .
  FILTER(lang(?municipalityLabel) = "sv")
}
GROUP BY ?municipality ?municipalityLabel ?plan
""",
    "actors-across-municipalities": """
SELECT ?actor ?label (COUNT(DISTINCT ?municipality) AS ?municipalities) (COUNT(DISTINCT ?intervention) AS ?interventions)
WHERE {
  ?intervention a uvts:Intervention ; uvts:involves ?actor ; uvts:inPlan/uvts:municipality ?municipality .
  ?actor a uvts:ExternalActor ; rdfs:label ?label .
  FILTER(lang(?label) = "sv")
}
GROUP BY ?actor ?label
""",
    "gaps-by-municipality": """
SELECT ?level ?municipalityLabel ?plan ?riskFactor ?riskLabel WHERE {
  ?plan a uvts:ActionPlan ; uvts:municipality/rdfs:label ?municipalityLabel .
  FILTER(lang(?municipalityLabel) = "sv")
  ?riskFactor a uvts:RiskFactor ; skos:prefLabel ?riskLabel .
  FILTER(lang(?riskLabel) = "sv")
  FILTER NOT EXISTS { ?intervention uvts:inPlan ?plan ; uvts:addresses ?riskFactor ; uvts:preventionLevel ?level }
}
""",
}


@pytest.fixture(scope="module")
def nation(tmp_path_factory):
    folders = write_plans(tmp_path_factory.mktemp("synth"), 3, seed=23)
    stores = {kind: open_store([DEFAULT_DATA, *folders], kind=kind)[0] for kind in ("memory", "rdflib")}
    return stores


def test_every_query_written_for_speed_has_a_plain_form():
    fast = {q.name for q in list_queries() if "# Written for speed" in q.text}
    assert fast == set(PLAIN)


@pytest.mark.parametrize("kind", ["memory", "rdflib"])
@pytest.mark.parametrize("name", sorted(PLAIN))
def test_fast_form_answers_as_the_plain_form(nation, kind, name):
    store = nation[kind]
    query = get_query(name)
    b = bind_params(query, {})
    concat = concat_separators(query.text)
    plain = PREFIXES + PLAIN[name]
    national = store.select(query.text, b)
    assert rows_as_multiset(national, concat) == rows_as_multiset(store.select(plain, b), concat)
    compared = len(national.rows)
    for plan in list_plans(store):
        fast = select_in_plan(store, query.text, plan["plan"], bindings=b)
        assert rows_as_multiset(fast, concat) == \
            rows_as_multiset(select_in_plan(store, plain, plan["plan"], bindings=b), concat), plan["plan"]
        compared += len(fast.rows)
    assert compared, f"{name}: no rows nationally or in any plan, nothing was compared"


def test_national_counts_are_the_sums_of_the_plans(nation):
    """Interventions belong to one plan each, so every national cell is the sum of the plans' cells."""
    store = nation["memory"]
    q = get_query("coverage-risk-level").text
    national = {(r["riskLabel"], r["levelLabel"]): r["interventions"] for r in store.select(q).values()}
    summed: dict = {}
    for plan in list_plans(store):
        for r in select_in_plan(store, q, plan["plan"]).values():
            key = (r["riskLabel"], r["levelLabel"])
            summed[key] = summed.get(key, 0) + r["interventions"]
    assert national == summed and sum(national.values()) > 46
