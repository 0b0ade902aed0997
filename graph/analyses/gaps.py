"""Gaps: empty and thin cells, uncovered ages and areas, unset goals and follow-ups, vague forums.

:func:`gaps` returns a result whose table ``gaps`` lists objects
``{"kind", "subjects": [IRI, …], "description": Swedish, "details": {…}}``; the table's
``kinds`` says, for each kind, what it means and how it was found.
"""

from __future__ import annotations

import re

from ..project import nodes_of_type
from . import _plan as P
from ._shape import column, records, result
from .coverage import age_matrix, area_coverage, department_matrix, level_matrix

__all__ = ["gaps", "find_gaps", "pending_text", "GAP_KINDS", "PENDING_PATTERNS"]

# Swedish phrasings the plan uses for a goal or follow-up that is still to be decided
PENDING_PATTERNS = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"\bännu inte\b",
    r"\bkommer (?:att )?(?:fastställas|bestämmas|beslutas|tas fram|arbetas fram|utformas|utvecklas)\b",
    r"\bkompletteras (?:under|senare|efter|när|i takt)\b",
    r"\bkomplettering av hur\b",
    r"\barbetas fram\b",
    r"\bvara klar[t]? när\b",
    r"\bunder framtagande\b",
    r"\binte (?:är |har )?(?:fastställ(?:t|d|da|ts)|beslutat|bestämt)\b",
))

# kind -> (Swedish title, one-sentence Swedish explanation of the rule)
GAP_KINDS = {
    "no_intervention": ("Riskfaktor utan insats", "En riskfaktor som ingen insats i planen kopplas till."),
    "level_empty": ("Tom nivå", "En riskfaktor som ingen insats tar upp på en viss preventionsnivå."),
    "level_thin": ("Tunn nivå", "En riskfaktor som bara en insats tar upp på en viss preventionsnivå."),
    "single_department": ("En enda förvaltning",
                          "En riskfaktor där alla insatser som tar upp den har samma ansvariga förvaltning."),
    "age_band_empty": ("Åldersgrupp utan insats",
                       "Ett åldersband som ingen insats med angiven ålder överlappar."),
    "age_band_thin": ("Tunn åldersgrupp", "Ett åldersband som bara en insats med angiven ålder överlappar."),
    "priority_area_uncovered": ("Prioriterat område utan insats",
                                "Ett område som planen pekar ut som prioriterat men där ingen insats förläggs, "
                                "varken i området eller vid en plats i området."),
    "priority_area_thin": ("Prioriterat område med en insats",
                           "Ett prioriterat område där bara en insats förläggs, i området eller vid en plats i det."),
    "non_priority_area_activity": ("Insatser utanför prioriterade områden",
                                   "Ett område som planen inte pekar ut som prioriterat men där insatser förläggs "
                                   "(bara i en plan som pekar ut prioriterade områden; ett fokusområde från en "
                                   "tidigare period räknas inte som prioriterat)."),
    "goal_not_set": ("Mål ej fastställt",
                     "En insats utan mål, eller vars måltext säger att målet ännu inte är fastställt "
                     "(till exempel ”ännu inte fastställt”)."),
    "follow_up_not_set": ("Uppföljning ej fastställd",
                          "En insats utan uppföljning, eller där en uppföljningspunkt säger att metoden ska tas fram "
                          "senare (till exempel ”kommer att fastställas” eller ”kompletteras under hösten”)."),
    "no_risk_factor": ("Insats utan riskfaktor", "En insats som planen inte kopplar till någon av riskfaktorerna."),
    "forum_no_purpose": ("Forum utan syfte", "Ett samverkansforum som planen inte anger något syfte för."),
    "forum_no_members": ("Forum utan medlemmar", "Ett samverkansforum som planen inte namnger några medlemmar i."),
    "chain_broken": ("Bruten kedja",
                     "En insats där ett led i Brås kedja saknas: riskfaktor, fastställt mål, fastställd uppföljning, "
                     "ansvarig, tid eller en post i den senaste uppföljningsomgången (se analysen Kedjan)."),
}


def pending_text(text: str) -> bool:
    """True when the text says a goal or follow-up is still to be decided.

    >>> pending_text("Metod för uppföljning kommer att fastställas under översynens uppstartsfas.")
    True
    >>> pending_text("Medborgardialoger enligt av nämnden fastställd lista.")
    False
    """
    return any(p.search(text) for p in PENDING_PATTERNS)


def _gap(kind: str, subjects: list[str], description: str, **details) -> dict:
    return {"kind": kind, "subjects": list(subjects), "description": description, "details": details}


def _n(count: int) -> str:
    return f"{count} insats" if count == 1 else f"{count} insatser"


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return "”" + (text if len(text) <= limit else text[:limit - 1].rstrip() + "…") + "”"


def _iv_name(G, i: str) -> str:
    dept = P.responsible(G, i)
    return f"{P.label(G, dept[0])} {G.nodes[i].get('sequence_number', '')}".strip() + f" ”{P.label(G, i)}”" \
        if dept else P.label(G, i)


def find_gaps(G, thin: int = 1) -> list[dict]:
    """Every gap in ``G``, in the order of :data:`GAP_KINDS`; ``thin`` is the largest count called thin."""
    out: list[dict] = []
    levels = level_matrix(G)
    depts = department_matrix(G)
    for r, total in zip(levels["rows"], levels["row_totals"]):
        if total["value"] == 0:
            out.append(_gap("no_intervention", [r["iri"]], f"Ingen insats i planen kopplas till {r['label'].lower()}."))
    for r, row, total in zip(levels["rows"], levels["cells"], levels["row_totals"]):
        if total["value"] == 0:
            continue
        for c, cl in zip(levels["columns"], row):
            if c["iri"] is None:
                continue
            if cl["value"] == 0:
                out.append(_gap("level_empty", [r["iri"], c["iri"]],
                                f"Ingen insats tar upp {r['label'].lower()} på {c['label'].lower()} nivå.",
                                count=0))
            elif cl["value"] <= thin:
                names = ", ".join(_iv_name(G, i) for i in cl["interventions"])
                out.append(_gap("level_thin", [r["iri"], c["iri"]] + cl["interventions"],
                                f"Bara {_n(cl['value'])} tar upp {r['label'].lower()} på {c['label'].lower()} "
                                f"nivå: {names}.", count=cl["value"]))
    for r, row, total in zip(depts["rows"], depts["cells"], depts["row_totals"]):
        working = [c["iri"] for c, cl in zip(depts["columns"], row) if cl["value"] > 0]
        if total["value"] > 0 and len(working) == 1:
            out.append(_gap("single_department", [r["iri"], working[0]],
                            f"Alla {total['value']} insatser om {r['label'].lower()} har samma ansvariga förvaltning: "
                            f"{P.label(G, working[0])}.", count=total["value"]))
    ages = age_matrix(G)
    all_row = ages["cells"][-1]
    for c, cl in zip(ages["columns"], all_row):
        if c["key"] == P.NO_AGE[0]:
            continue
        if cl["value"] == 0:
            out.append(_gap("age_band_empty", [], f"Ingen insats med angiven ålder riktar sig till {c['label']}.",
                            age_band=c["key"], count=0))
        elif cl["value"] <= thin:
            names = ", ".join(_iv_name(G, i) for i in cl["interventions"])
            out.append(_gap("age_band_thin", cl["interventions"],
                            f"Bara {_n(cl['value'])} med angiven ålder riktar sig till {c['label']}: {names}.",
                            age_band=c["key"], count=cl["value"]))
    area_rows = area_coverage(G)["rows"]
    # "outside the priority areas" only means something in a plan that names priority areas
    prioritising = {p for row in area_rows if row["priority"] for p in (G.nodes[row["area"]].get("plans") or [None])}
    for row in area_rows:
        a, ivs = row["area"], sorted(set(row["interventions"]) | set(row["via_places"]))
        name = P.label(G, a)
        if row["priority"] and row["total"] == 0:
            out.append(_gap("priority_area_uncovered", [a],
                            f"{name} är ett prioriterat område, men ingen insats förläggs dit.", count=0))
        elif row["priority"] and row["total"] <= thin:
            how = " (vid " + ", ".join(P.label(G, p) for p in row["places_in_area"]
                                      if set(P.sources(G, p, "location")) & set(ivs)) + ")" if row["via_places"] else ""
            out.append(_gap("priority_area_thin", [a] + ivs,
                            f"{name} är ett prioriterat område, men bara {_n(row['total'])} förläggs dit: "
                            f"{', '.join(_iv_name(G, i) for i in ivs)}{how}.", count=row["total"]))
        elif not row["priority"] and row["total"] > 0 and \
                prioritising & set(G.nodes[a].get("plans") or [None]):
            out.append(_gap("non_priority_area_activity", [a] + ivs,
                            f"{_n(row['total'])} förläggs till {name}, som planen inte anger som prioriterat "
                            f"område: {', '.join(_iv_name(G, i) for i in ivs)}.", count=row["total"]))
    ivs = P.interventions(G)
    for kind, attr, noun, missing in (("goal_not_set", "goals", "mål", "inget mål angivet"),
                                      ("follow_up_not_set", "follow_ups", "uppföljning", "ingen uppföljning angiven")):
        for i in ivs:
            texts = G.nodes[i].get(attr) or []
            pending = [t for t in texts if pending_text(t)]
            if not texts:
                out.append(_gap(kind, [i], f"{_iv_name(G, i)} har {missing} i planen.", pending=[]))
            elif pending:
                rest = len(texts) - len(pending)
                extra = f" (planen anger {rest} {'annan punkt' if rest == 1 else 'andra punkter'} under {noun})" \
                    if rest else ""
                what = "målet ännu inte fastställt" if attr == "goals" else "uppföljningen ännu inte fastställd"
                out.append(_gap(kind, [i], f"För {_iv_name(G, i)} är {what}: "
                                           f"{_quote(pending[0])}{extra}.", pending=pending))
    for i in ivs:
        if not P.targets(G, i, "addresses"):
            links = P.targets(G, i, "other_link")
            extra = f" (annan koppling: {', '.join(P.label(G, x).lower() for x in links)})" if links else ""
            out.append(_gap("no_risk_factor", [i], f"{_iv_name(G, i)} kopplas inte till någon riskfaktor{extra}.",
                            other_links=links))
    for f in nodes_of_type(G, "CollaborationForum"):
        if not G.nodes[f].get("purpose"):
            out.append(_gap("forum_no_purpose", [f], f"Planen anger inget syfte för {P.label(G, f)}."))
    for f in nodes_of_type(G, "CollaborationForum"):
        if not P.sources(G, f, "member_of"):
            out.append(_gap("forum_no_members", [f], f"Planen namnger inga medlemmar i {P.label(G, f)}."))
    if "follow_up" in G.graph:  # read from a store (a hand-made graph has no follow-up data)
        from .chain import MISSING, broken_chains

        for row in broken_chains(G):
            out.append(_gap("chain_broken", [row["intervention"]],
                            f"Kedjan är bruten för {_iv_name(G, row['intervention'])}: "
                            f"{', '.join(MISSING[k] for k in row['missing'])}.", missing=row["missing"]))
    order = list(GAP_KINDS)
    return sorted(out, key=lambda g: order.index(g["kind"]))  # stable: keeps the order within a kind


def gaps(G, thin: int = 1) -> dict:
    """The gaps of the typed graph ``G`` as a result with one table, ``gaps``."""
    rows = find_gaps(G, thin=thin)
    table = records(
        "gaps", "Luckor",
        f"Luckorna hittas genom att räkna insatser per riskfaktor, nivå, förvaltning, åldersband och område (”tunn” "
        f"betyder högst {thin} insats) och genom att söka efter saknade eller ännu inte fastställda mål, "
        f"uppföljningar, syften och medlemmar.",
        [column("kind", "Typ", "codes", codes={k: v[0] for k, v in GAP_KINDS.items()}),
         column("subjects", "Gäller", "iris"), column("description", "Beskrivning", "text")],
        rows, kinds=[{"kind": k, "title": t, "explanation": e} for k, (t, e) in GAP_KINDS.items()])
    return result(G, "gaps", "Luckor",
                  "Luckorna är tomma eller tunna celler i täckningen och uppgifter som planen ännu inte har fastställt.",
                  [table])
