"""Coverage: how the interventions spread over risk factors, levels, departments, ages, actors, budget and areas.

Every function takes the typed graph (:func:`uvts.graph.project.read_typed_graph`, or a
hand-made graph of the same shape) and returns a table (see :mod:`._shape`); none
changes the graph.
"""

from __future__ import annotations

from collections import defaultdict

from ..project import ACTOR_TYPES, TYPE_LABELS, nodes_of_type
from . import _plan as P
from ._shape import cell, column, header, matrix, records, result

__all__ = ["coverage", "level_matrix", "department_matrix", "age_matrix", "actors_by_risk_factor",
           "budget_shares", "budget_by_risk_factor", "budget_matrix", "area_coverage", "BUDGET_RULES",
           "ROLE_LABELS"]

NO_LEVEL = ("none", "Ingen nivå")
NO_RISK_FACTOR = ("none", "Ingen riskfaktor")

ROLE_LABELS = {
    "responsible": "ansvarig",
    "involved": "medverkar",
    "forum": "forum i insatsen",
    "forum_member": "via forum",
    "base_mission": "grunduppdrag",
}

BUDGET_RULES = {
    "equal_split": "lika delning",
    "budget_items": "budgetposter",
    "whole_addition": "hela tillskottet",
}


def _rf_headers(G) -> list[dict]:
    return [header(P.short(r), P.label(G, r), r) for r in P.risk_factors(G)]


def _addressing(G, rf: str) -> list[str]:
    return [i for i in P.sources(G, rf, "addresses") if G.nodes[i]["type"] == "Intervention"]


def level_matrix(G) -> dict:
    """Risk factor × prevention level: the interventions addressing the risk factor at the level."""
    lvls = P.levels(G)
    columns = [header(P.short(lv), P.label(G, lv), lv) for lv in lvls] + [header(NO_LEVEL[0], NO_LEVEL[1])]
    cells, totals = [], []
    for rf in P.risk_factors(G):
        ivs = _addressing(G, rf)
        row = []
        for lv in lvls:
            hit = [i for i in ivs if lv in P.targets(G, i, "prevention_level")]
            row.append(cell(len(hit), hit))
        none = [i for i in ivs if not P.targets(G, i, "prevention_level")]
        row.append(cell(len(none), none))
        cells.append(row)
        totals.append(cell(len(ivs), ivs))
    return matrix(
        "risk_factor_by_level", "Riskfaktor × preventionsnivå",
        "Varje cell räknar de insatser som planen kopplar till riskfaktorn på den preventionsnivån; en insats "
        "med flera nivåer räknas på varje nivå, och insatser som planen anger som inte relevanta för någon nivå "
        "står under ”Ingen nivå”.",
        _rf_headers(G), columns, cells, "Antal insatser", totals)


def department_matrix(G) -> dict:
    """Risk factor × department: interventions the department is responsible for (``interventions``),
    interventions it only takes part in (``involved``) and whether its base mission addresses
    the risk factor (``base_mission``)."""
    depts = P.departments(G)
    base = {d: set(r for bm in P.targets(G, d, "base_mission") for r in P.targets(G, bm, "addresses"))
            for d in depts}
    cells, totals = [], []
    for rf in P.risk_factors(G):
        ivs = _addressing(G, rf)
        own, inv = defaultdict(list), defaultdict(list)
        for i in ivs:
            resp = P.responsible(G, i)
            for d in resp:
                own[d].append(i)
            for x in P.involved(G, i):
                if x not in resp and G.nodes[x]["type"] == "Department":
                    inv[x].append(i)
        row = [cell(len(own[d]), own[d], involved=sorted(inv[d]), base_mission=rf in base[d]) for d in depts]
        cells.append(row)
        totals.append(cell(len(ivs), ivs))
    return matrix(
        "risk_factor_by_department", "Riskfaktor × förvaltning",
        "Varje cell räknar de insatser som förvaltningen ansvarar för och som planen kopplar till riskfaktorn; "
        "cellen listar också insatser där förvaltningen bara medverkar och anger om förvaltningens grunduppdrag "
        "tar upp riskfaktorn.",
        _rf_headers(G), [header(P.short(d), P.label(G, d), d) for d in depts], cells, "Antal insatser (ansvarig)",
        totals)


def age_matrix(G) -> dict:
    """Risk factor × target age band (:data:`~._plan.AGE_BANDS`, plus "ej angiven")."""
    columns = [header(k, lbl, None, min_age=lo, max_age=hi) for k, lo, hi, lbl in P.AGE_BANDS]
    columns.append(header(P.NO_AGE[0], P.NO_AGE[1]))
    keys = [c["key"] for c in columns]
    cells, totals = [], []
    for rf in P.risk_factors(G):
        ivs = _addressing(G, rf)
        by_band = defaultdict(list)
        for i in ivs:
            for b in P.bands_of(G, i):
                by_band[b].append(i)
        cells.append([cell(len(by_band[k]), by_band[k]) for k in keys])
        totals.append(cell(len(ivs), ivs))
    # a last row for the bands as such, whatever the risk factor
    all_ivs = P.interventions(G)
    by_band = defaultdict(list)
    for i in all_ivs:
        for b in P.bands_of(G, i):
            by_band[b].append(i)
    rows = _rf_headers(G) + [header("all", "Alla insatser")]
    cells.append([cell(len(by_band[k]), by_band[k]) for k in keys])
    totals.append(cell(len(all_ivs), all_ivs))
    return matrix(
        "risk_factor_by_age_band", "Riskfaktor × åldersgrupp",
        "En insats räknas i varje åldersband som dess åldersintervall (lägsta–högsta ålder enligt planen) "
        "överlappar, och insatser utan angiven ålder räknas under ”Ålder ej angiven”; sista raden gäller alla "
        "insatser oavsett riskfaktor.",
        rows, columns, cells, "Antal insatser", totals)


def actors_by_risk_factor(G) -> dict:
    """Who works on each risk factor, and in which role (see :data:`ROLE_LABELS`)."""
    rows = []
    for rf in P.risk_factors(G):
        acc: dict[str, dict] = {}

        def add(actor, role, via=None, base=None):
            entry = acc.setdefault(actor, {"roles": set(), "interventions": set(), "base_missions": set()})
            entry["roles"].add(role)
            if via:
                entry["interventions"].add(via)
            if base:
                entry["base_missions"].add(base)

        for i in _addressing(G, rf):
            for d in P.responsible(G, i):
                add(d, "responsible", i)
            for x in P.involved(G, i):
                typ = G.nodes[x]["type"]
                if typ in ACTOR_TYPES:
                    add(x, "involved", i)
                elif typ == "CollaborationForum":
                    add(x, "forum", i)
                    for member in P.sources(G, x, "member_of"):
                        add(member, "forum_member", i)
        for bm in P.sources(G, rf, "addresses"):
            if G.nodes[bm]["type"] != "BaseMission":
                continue
            for d in P.responsible(G, bm) + P.involved(G, bm):
                add(d, "base_mission", base=bm)
        order = list(ROLE_LABELS)
        for actor, e in acc.items():
            rows.append({
                "risk_factor": rf, "actor": actor, "actor_type": G.nodes[actor]["type"],
                "roles": sorted(e["roles"], key=order.index), "interventions": sorted(e["interventions"]),
                "base_missions": sorted(e["base_missions"]),
            })
    rf_order = {r: n for n, r in enumerate(P.risk_factors(G))}
    rows.sort(key=lambda r: (rf_order[r["risk_factor"]], -len(r["interventions"]), P.label(G, r["actor"]).casefold(),
                             r["actor"]))
    return records(
        "actors_by_risk_factor", "Aktörer per riskfaktor",
        "För varje riskfaktor listas den ansvariga förvaltningen för varje insats som kopplas till den, de "
        "förvaltningar, externa aktörer och forum som insatsen engagerar, medlemmarna i sådana forum (”via forum”) "
        "och de aktörer vars grunduppdrag tar upp riskfaktorn (”grunduppdrag”).",
        [column("risk_factor", "Riskfaktor", "iri"), column("actor", "Aktör", "iri"),
         column("actor_type", "Typ", "codes", codes=TYPE_LABELS),
         column("roles", "Roll", "codes", codes=ROLE_LABELS), column("interventions", "Insatser", "iris"),
         column("base_missions", "Grunduppdrag", "iris")],
        rows)


def budget_shares(G) -> dict[str, dict[str, dict[str | None, float]]]:
    """Each department's budget addition over risk factors, under each rule of :data:`BUDGET_RULES`.

    Returns ``{rule: {department: {risk factor IRI or None: SEK}}}``; ``None`` collects what
    cannot be tied to any risk factor.

    * ``equal_split``: the addition is split equally over the distinct risk factors that the
      department's interventions address.
    * ``budget_items``: a budget item with an amount that funds named interventions is split
      equally over those interventions' risk factors; the rest of the addition is split as in
      ``equal_split``.
    * ``whole_addition``: every risk factor gets the whole addition of every department
      working on it (the sum exceeds the total; it shows reach, not money).
    """
    out = {rule: {} for rule in BUDGET_RULES}
    for d in P.departments(G):
        amount = float(G.nodes[d].get("budget_addition") or 0)
        ivs = [i for i in P.sources(G, d, "responsible_department") if G.nodes[i]["type"] == "Intervention"]
        rfs = sorted({r for i in ivs for r in P.targets(G, i, "addresses")})

        def split(total, over):
            if not total:
                return {}
            if not over:
                return {None: total}
            return {r: total / len(over) for r in over}

        out["equal_split"][d] = split(amount, rfs)
        out["whole_addition"][d] = {r: amount for r in rfs} if rfs and amount else ({None: amount} if amount else {})
        items: dict = defaultdict(float)
        placed = 0.0
        for b in P.targets(G, d, "budget_allocation"):
            value = G.nodes[b].get("amount")
            funded = P.targets(G, b, "funds")
            if value is None or not funded:
                continue
            value = float(value)
            placed += value
            for r, v in split(value, sorted({r for i in funded for r in P.targets(G, i, "addresses")})).items():
                items[r] += v
        for r, v in split(max(amount - placed, 0.0), rfs).items():
            items[r] += v
        out["budget_items"][d] = dict(items)
    return out


def budget_by_risk_factor(G, shares: dict | None = None) -> dict:
    """Per risk factor: SEK under each budget rule, and the departments contributing."""
    shares = shares or budget_shares(G)
    keys = P.risk_factors(G) + [None]
    rows = []
    for r in keys:
        row = {"risk_factor": r, "label": P.label(G, r) if r else NO_RISK_FACTOR[1]}
        for rule in BUDGET_RULES:
            row[rule] = round(sum(v.get(r, 0.0) for v in shares[rule].values()), 2)
        row["departments"] = sorted(d for d, v in shares["equal_split"].items() if v.get(r))
        rows.append(row)
    return records(
        "budget_by_risk_factor", "Budgettillskott per riskfaktor",
        "Tre regler jämförs: lika delning (varje förvaltnings tillskott delas lika mellan de riskfaktorer som dess "
        "insatser kopplas till), budgetposter (belopp som planen knyter till namngivna insatser delas mellan just de "
        "insatsernas riskfaktorer och resten delas lika) och hela tillskottet (varje riskfaktor tillgodoräknas hela "
        "tillskottet från varje förvaltning som arbetar med den, så summan blir större än totalen).",
        [column("risk_factor", "Riskfaktor", "iri"), column("label", "Namn", "text"),
         column("equal_split", "Lika delning (kr)", "sek"), column("budget_items", "Budgetposter (kr)", "sek"),
         column("whole_addition", "Hela tillskottet (kr)", "sek"), column("departments", "Förvaltningar", "iris")],
        rows, rules=dict(BUDGET_RULES))


def budget_matrix(G, shares: dict | None = None) -> dict:
    """Risk factor × department, SEK under the equal-split rule."""
    shares = shares or budget_shares(G)
    depts = P.departments(G)
    rows = _rf_headers(G) + [header(NO_RISK_FACTOR[0], NO_RISK_FACTOR[1])]
    cells, totals = [], []
    for r in P.risk_factors(G) + [None]:
        row = []
        for d in depts:
            ivs = [i for i in P.sources(G, d, "responsible_department") if G.nodes[i]["type"] == "Intervention"
                   and (r in P.targets(G, i, "addresses") if r else not P.targets(G, i, "addresses"))]
            row.append(cell(round(shares["equal_split"][d].get(r, 0.0), 2), ivs))
        cells.append(row)
        totals.append(cell(round(sum(c["value"] for c in row), 2), [i for c in row for i in c["interventions"]]))
    return matrix(
        "budget_by_risk_factor_and_department", "Budgettillskott: riskfaktor × förvaltning",
        "Varje förvaltnings budgettillskott delas lika mellan de olika riskfaktorer som förvaltningens insatser "
        "kopplas till, och ett tillskott utan någon sådan koppling redovisas under ”Ingen riskfaktor”.",
        rows, [header(P.short(d), P.label(G, d), d) for d in depts], cells, "Kronor", totals)


def area_coverage(G) -> dict:
    """Areas (priority areas first): the interventions located there, directly or at a place in the area."""
    inside_of = defaultdict(list)
    for place, owners in P.areas_of_places(G).items():
        for a in owners:
            if a != place:
                inside_of[a].append(place)
    areas = [p for p in nodes_of_type(G, "Place") if G.nodes[p].get("place_kind") == "area"]
    rows = []
    for a in areas:
        direct = [i for i in P.sources(G, a, "location") if G.nodes[i]["type"] == "Intervention"]
        inside = sorted(inside_of[a])
        via = sorted({i for p in inside for i in P.sources(G, p, "location") if G.nodes[i]["type"] == "Intervention"}
                     - set(direct))
        rows.append({"area": a, "priority": bool(G.nodes[a].get("priority_area")), "interventions": direct,
                     "places_in_area": inside, "via_places": via, "total": len(direct) + len(via),
                     "focus_period": G.nodes[a].get("focus_period")})
    rows.sort(key=lambda r: (not r["priority"], -r["total"], P.label(G, r["area"]).casefold()))
    return records(
        "areas", "Områden: prioriterade och där insatser sker",
        "För varje område räknas insatser som planen förlägger till området och insatser vid platser i området, där "
        "en plats anses ligga i ett område när ett ord i platsens namn börjar med områdets namn (till exempel "
        "Östra Ersbodaskolan i Ersboda).",
        [column("area", "Område", "iri"), column("priority", "Prioriterat", "boolean"),
         column("interventions", "Insatser i området", "iris"), column("places_in_area", "Platser i området", "iris"),
         column("via_places", "Insatser vid platser i området", "iris"), column("total", "Antal", "integer"),
         column("focus_period", "Fokusområde under en tidigare period", "text")],
        rows)


def coverage(G) -> dict:
    """All coverage tables of the typed graph ``G``."""
    shares = budget_shares(G)
    tables = [level_matrix(G), department_matrix(G), age_matrix(G), actors_by_risk_factor(G),
              budget_by_risk_factor(G, shares), budget_matrix(G, shares), area_coverage(G)]
    return result(G, "coverage", "Täckning",
                  "Täckningen räknar, utifrån planens kopplingar mellan insatser och riskfaktorer, hur insatserna "
                  "fördelar sig över preventionsnivåer, förvaltningar, åldrar, aktörer, budget och områden.", tables)
