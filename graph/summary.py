"""Overview figures of the graph, counted by SPARQL on the store (what a user would check)."""

from __future__ import annotations

__all__ = ["summary", "format_summary"]

PREFIX = """PREFIX uvts: <https://w3id.org/uvts/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def _rows(store, query: str) -> list[dict]:
    return store.select(PREFIX + query).values()


def summary(store) -> dict:
    """Counts per department, per risk factor and in total, as plain data."""
    departments = _rows(store, """
        SELECT ?department ?label (COUNT(DISTINCT ?i) AS ?interventions) ?budget WHERE {
          ?department a uvts:Department ; rdfs:label ?label ; uvts:budgetAddition ?budget .
          OPTIONAL { ?i a uvts:Intervention ; uvts:responsibleDepartment ?department }
        } GROUP BY ?department ?label ?budget ORDER BY ?label""")
    risk = _rows(store, """
        SELECT ?riskFactor ?label (COUNT(DISTINCT ?i) AS ?interventions) (COUNT(DISTINCT ?m) AS ?baseMissions) WHERE {
          ?riskFactor a uvts:RiskFactor ; skos:prefLabel ?label . FILTER(lang(?label) = "sv")
          OPTIONAL { ?i a uvts:Intervention ; uvts:addresses ?riskFactor }
          OPTIONAL { ?m a uvts:BaseMission ; uvts:addresses ?riskFactor }
        } GROUP BY ?riskFactor ?label ORDER BY ?label""")
    totals = _rows(store, """
        SELECT
          (SUM(IF(?t = uvts:Intervention, 1, 0)) AS ?interventions)
          (SUM(IF(?t = uvts:Department, 1, 0)) AS ?departments)
          (SUM(IF(?t = uvts:ExternalActor, 1, 0)) AS ?actors)
          (SUM(IF(?t = uvts:CollaborationForum, 1, 0)) AS ?forums)
          (SUM(IF(?t = uvts:Place, 1, 0)) AS ?places)
          (SUM(IF(?t = uvts:ActionPlan, 1, 0)) AS ?plans)
        WHERE { ?s a ?t }""")[0]
    links = _rows(store, "SELECT (COUNT(*) AS ?n) WHERE { ?i a uvts:Intervention ; uvts:addresses ?r }")[0]["n"]
    stated = _rows(store, "SELECT (SUM(?b) AS ?stated) WHERE { ?p uvts:statedTotalBudget ?b }")[0]["stated"]
    budget_total = sum(d["budget"] for d in departments)
    follow_up = _rows(store, """
        SELECT (COUNT(DISTINCT ?round) AS ?rounds) (COUNT(DISTINCT ?record) AS ?records) (COUNT(DISTINCT ?value) AS ?values) WHERE {
          ?round a uvts:FollowUpRound .
          OPTIONAL { ?record uvts:inRound ?round . OPTIONAL { ?value uvts:ofRecord ?record } }
        }""")[0]
    return {
        "follow_up": {k: int(v or 0) for k, v in follow_up.items()},
        "departments": departments,
        "risk_factors": risk,
        "totals": {k: int(v or 0) for k, v in totals.items()} | {"risk_factor_links": int(links)},
        "budget_total": budget_total,
        "stated_total_budget": stated,
    }


def _sek(amount) -> str:
    return f"{int(amount):,}".replace(",", " ") + " kr"


def format_summary(s: dict) -> str:
    """The summary as Swedish text for the terminal."""
    t = s["totals"]
    lines = [f"Grafen innehåller {t['interventions']} insatser från {t['departments']} förvaltningar, "
             f"{t['actors']} externa aktörer, {t['forums']} samverkansforum och {t['places']} platser.", "",
             "Insatser per förvaltning:"]
    width = max((len(d["label"]) for d in s["departments"]), default=10)
    for d in s["departments"]:
        lines.append(f"  {d['label'].ljust(width)}  {d['interventions']:>3} insatser   budgettillskott {_sek(d['budget'])}")
    lines += ["", f"Kopplingar till riskfaktorer ({t['risk_factor_links']} i insatserna):"]
    width = max((len(r["label"]) for r in s["risk_factors"]), default=10)
    for r in s["risk_factors"]:
        lines.append(f"  {r['label'].ljust(width)}  {r['interventions']:>3} insatser  {r['baseMissions']:>3} grunduppdrag")
    fu = s.get("follow_up")
    if fu and fu["rounds"]:
        lines += ["", f"Uppföljning: {fu['rounds']} omgång(ar), {fu['records']} uppföljda insatser, "
                      f"{fu['values']} indikatorvärden."]
    lines += ["", f"Budgettillskott totalt: {_sek(s['budget_total'])}"]
    if s.get("stated_total_budget"):
        diff = s["stated_total_budget"] - s["budget_total"]
        lines.append(f"Planen anger cirka {_sek(s['stated_total_budget'])}; skillnad {_sek(diff)}.")
    return "\n".join(lines)
