"""The report's cover and colophon, as plain data.

The cover is what a reader of a meeting's papers needs to place the document: the plan,
the municipality, the period, the date, the version and the edition, the key figures in
large type and a short guide to the sections. The technical provenance (the data hash
and how it is made, the seed of the Louvain groups, the program) goes to the colophon at
the end.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["cover", "colophon"]

_GUIDE = {
    "sammanfattning": "det viktigaste på en sida",
    "riskfaktorer": "vem som arbetar med varje riskfaktor, på vilken nivå",
    "tackning": "värmekartor: riskfaktor mot nivå och mot förvaltning",
    "budget": "budgettillskottet per förvaltning och per riskfaktor",
    "luckor": "tomma och tunna rutor, uppgifter som saknas",
    "overlapp": "insatser i olika förvaltningar som liknar varandra",
    "forum": "samverkansforumen och deras gemensamma medlemmar",
    "nyckelaktorer": "vilka aktörer som bär samverkan",
    "forvaltningar": "en sida per förvaltning",
    "metod": "hur allt räknas, med en ordlista",
    "bilaga": "alla insatser med rader i planens text",
}


def cover(ctx, plans: list[dict], subtitle: str) -> dict:
    """``{"rows": [[label, value], …], "figures": [[number text, label], …]}``: the cover's facts
    (plan, municipality, period, date, version, edition) and key figures. The guide is
    added by the renderer from the sections (see :func:`guide`)."""
    from .report_document import EDITIONS, _budget_total, _fmt_sek, _n

    G = ctx["G"]
    rows = []
    if len(plans) == 1:
        p = plans[0]
        rows += [["Plan", p["label"]], ["Kommun", p["municipality_label"]]]
        if p.get("period"):  # an ISO interval "2024/2026" as people write it: "2024–2026"
            rows.append(["Period", re.sub(r"^(\d{4})(?:-\d\d(?:-\d\d)?)?/(\d{4})(?:-\d\d(?:-\d\d)?)?$", r"\1–\2",
                                          str(p["period"]))])
    else:
        rows += [["Planer", subtitle]]
    rows += [["Datum", ctx["date"].isoformat()], ["Version", ctx["version"]], ["Utgåva", EDITIONS[ctx["edition"]]]]
    c = Counter(t for _, t in G.nodes(data="type"))
    figures = [[str(c.get("Intervention", 0)), _n(c.get("Intervention", 0), "insats", "insatser").split(" ", 1)[1]],
               [str(c.get("Department", 0)), _n(c.get("Department", 0), "förvaltning", "förvaltningar").split(" ", 1)[1]],
               [str(c.get("ExternalActor", 0)),
                _n(c.get("ExternalActor", 0), "extern aktör", "externa aktörer").split(" ", 1)[1]],
               [str(c.get("CollaborationForum", 0)), "samverkansforum"],
               [_fmt_sek(_budget_total(G)), "kronor i budgettillskott"]]
    return {"rows": rows, "figures": figures}


def guide(sections: list[dict]) -> list[list[str]]:
    """``[[section title, what it holds], …]`` for the sections present."""
    return [[s["title"], _GUIDE[s["id"]]] for s in sections if s["id"] in _GUIDE]


def colophon(ctx) -> list[list[str]]:
    """``[[label, text], …]``: how the report was made, for the last page."""
    version, seed = ctx["version"], ctx["seed"]
    return [
        ["Dataversion", f"{version}: de första tolv tecknen av en SHA-256-summa över kunskapsgrafens alla uppgifter "
                        "(ontologin undantagen) i sorterad ordning. Samma data ger samma version vilken lagring som "
                        "än används."],
        ["Slumpfrö", f"{seed}: talet som Louvain-grupperna under Nyckelaktörer börjar från; samma slumpfrö ger samma "
                     "grupper."],
        ["Datum", f"{ctx['date'].isoformat()}: dagen rapporten gäller; allt annat i rapporten bestäms av data."],
        ["Framtagen med", "Samverkanskartan (uvts), ur planens text via kunskapsgrafen. Luckor och överlapp är "
                          "underlag för samtal, inte slutsatser: de bygger på de kopplingar planen själv anger."],
    ]
