"""The report's "Uppföljning" section, for KSNAU: how the interventions are going.

:func:`follow_up_section` builds one section of the report document (see
:mod:`uvts.visualisations.report_document` for the block and table shapes) from the typed
graph's follow-up data and the chain analysis: the latest round's statuses by department and
by risk factor, what is delayed or stopped and why (the comments), what was not followed up,
Brå's chain per intervention, and the indicator values with a trend chart for each indicator
measured in two or more rounds. Every renderer (HTML, PDF, XLSX, Markdown) shows it as it
shows the other sections.
"""

from __future__ import annotations

from uvts.graph import follow_up_data as F

__all__ = ["follow_up_section", "SECTION_ID"]

SECTION_ID = "uppfoljning"
_STATUSES = (*F.STATUS_ORDER, None)


def _table(id, title, columns, rows, explanation=None, sheet=None, row_header=False, matrix=False) -> dict:
    return {"id": id, "title": title, "explanation": explanation, "sheet": sheet,
            "columns": [{"label": label, "type": typ} for label, typ in columns], "rows": rows,
            "row_header": row_header, "matrix": matrix, "heat_max": None, "bar": None}


def _para(text):
    return {"type": "paragraph", "text": text}


def _section(id, title, blocks, level=2, brk=False):
    return {"id": id, "title": title, "level": level, "break": brk, "blocks": blocks, "sections": []}


def _status_text(s) -> str:
    return f"{F.STATUS_SYMBOLS.get(s, '–')} {F.status_label(s)}"


def _count_matrix(G, records, key_of, title, id, sheet, first) -> dict:
    """Rows (a department or a risk factor) × status, counting interventions of the latest round."""
    counts: dict[str, dict] = {}
    for rec in records:
        for k in key_of(rec["intervention"]):
            counts.setdefault(k, {s: 0 for s in _STATUSES})[rec["status"]] += 1
    used = [s for s in _STATUSES if any(c[s] for c in counts.values())]
    label = (lambda k: G.nodes[k]["label"] if k in G else k.rsplit("/", 1)[-1])
    rows = [[label(k)] + [c[s] for s in used] + [sum(c.values())]
            for k, c in sorted(counts.items(), key=lambda kv: label(kv[0]).casefold())]
    cols = [(first, "text")] + [(_status_text(s), "integer") for s in used] + [("Totalt", "integer")]
    return _table(id, title, cols, rows, "Antal insatser per status i den senaste omgången; symbolen och ordet "
                  "bär statusen, inte färgen.", sheet, row_header=True, matrix=True)


def follow_up_section(ctx, charts: bool) -> dict:
    """The "Uppföljning" section (``ctx`` as in :func:`report_document.document_from`: ``G``,
    ``results`` with ``chain``, ``name``, ``sheets``); ``charts`` draws the trend charts."""
    from uvts.graph.analyses import _plan as P

    from .report_document import records_table  # the document's own conversion of analysis tables

    G, name = ctx["G"], ctx["name"]
    fu = G.graph.get("follow_up") or F.empty()
    latest = F.latest_rounds(fu)
    blocks: list[dict] = []
    subs: list[dict] = []
    if not latest:
        blocks.append(_para("Det finns ännu ingen uppföljningsomgång; alla insatser saknar därför uppföljning."))
    else:
        parts = [f"{r['label']} ({r['date']}{', syntetisk' if r['synthetic'] else ''})"
                 for r in sorted(latest.values(), key=lambda r: r["plan"])]
        blocks.append(_para("Insatserna följs upp i omgångar med en status, en kommentar och uppmätta indikatorvärden. "
                            "Avsnittet bygger på den senaste omgången för varje plan: " + "; ".join(parts[:10])
                            + (f" och {len(parts) - 10} till" if len(parts) > 10 else "") + ". Uppgifterna gäller roller "
                            "och organisationer, aldrig enskilda personer."))
    records = list(F.latest_records(fu).values())
    no_status = sum(1 for r in records if r["status"] is None)
    if records and no_status:
        blocks.append(_para(f"{no_status} av {len(records)} poster anger ingen status: de redovisar ett resultat "
                            "(till exempel antal nådda deltagare) utan att säga hur insatsen ligger till."))

    # statuses by department and by risk factor
    by_dept = _count_matrix(G, records, lambda i: P.responsible(G, i), "Status per förvaltning", "uppfoljning-forvaltning",
                            "Uppföljning förvaltning", "Förvaltning")
    by_rf = _count_matrix(G, records, lambda i: P.targets(G, i, "addresses"), "Status per riskfaktor",
                          "uppfoljning-riskfaktor", "Uppföljning riskfaktor", "Riskfaktor")
    ctx["sheets"] += [by_dept, by_rf]
    subs.append(_section("uppfoljning-status", "Status i senaste omgången",
                         [{"type": "table", "table": by_dept}, {"type": "table", "table": by_rf}]))

    # delayed or stopped, and why
    bad = [r for r in records if r["status"] in ("forsenad", "avbruten")]
    rows = [[name(r["intervention"]), G.nodes[r["intervention"]]["label"] if r["intervention"] in G else "",
             _status_text(r["status"]), r["comment"] or "(ingen kommentar)"]
            for r in sorted(bad, key=lambda r: (F.STATUS_ORDER.index(r["status"]), name(r["intervention"])))]
    late = _table("uppfoljning-forsenade", "Försenade och avbrutna insatser",
                  [("Insats", "text"), ("Titel", "text"), ("Status", "text"), ("Varför (kommentar)", "text")], rows,
                  "Insatser med status försenad eller avbruten i den senaste omgången, med omgångens kommentar.",
                  "Uppföljning försenade")
    ctx["sheets"].append(late)
    subs.append(_section("uppfoljning-forsenade", f"Försenat eller avbrutet ({len(bad)})",
                         [{"type": "table", "table": late}] if bad else [_para("Ingen insats är försenad eller avbruten i "
                                                                              "den senaste omgången.")]))

    # not followed up
    followed = {r["intervention"] for r in records}
    missing = [i for i in P.interventions(G) if i not in followed]
    miss = _table("uppfoljning-saknas", "Inte uppföljda i senaste omgången",
                  [("Insats", "text"), ("Titel", "text"), ("Förvaltning", "text")],
                  [[name(i), G.nodes[i]["label"], ", ".join(name.many(P.responsible(G, i)))] for i in missing],
                  "Insatser utan post i sin plans senaste omgång.", "Uppföljning saknas")
    ctx["sheets"].append(miss)
    subs.append(_section("uppfoljning-saknas", f"Inte uppföljt ({len(missing)})",
                         [{"type": "table", "table": miss}] if missing else [_para("Alla insatser är uppföljda.")]))

    # Brå's chain
    res = ctx["results"].get("chain")
    if res is not None:
        t = next(t for t in res["tables"] if t["name"] == "chain")
        chain = records_table(t, name, "Kedjan", "uppfoljning-kedjan",
                              columns=["intervention", "risk_factor", "goal", "indicator", "responsible", "timing",
                                       "followed_up", "missing"])
        summary = next(t for t in res["tables"] if t["name"] == "chain-links")
        complete = summary["rows"][-1]
        ctx["sheets"].append(chain)
        subs.append(_section("uppfoljning-kedjan", "Kedjan från problem till resultat",
                             [_para(res["explanation"] + f" Hela kedjan finns för {complete['count']} av "
                                    f"{complete['of']} insatser; ”nej” markerar ett led som saknas."),
                              {"type": "table", "table": chain}]))

    # indicators and trends
    vals = sorted(fu["values"], key=lambda v: (name(v["intervention"]), v["name"], v["date"]))
    ind = _table("uppfoljning-indikatorer", "Indikatorvärden",
                 [("Insats", "text"), ("Indikator", "text"), ("Omgång", "text"), ("Värde", "number"), ("Enhet", "text"),
                  ("Period", "text")],
                 [[name(v["intervention"]), v["name"], v["date"], v["value"], v["unit"] or "", v["period"] or ""]
                  for v in vals], "Alla uppmätta indikatorvärden, i alla omgångar.", "Uppföljning indikatorer")
    ctx["sheets"].append(ind)
    tblocks: list[dict] = [{"type": "table", "table": ind}] if vals else [_para("Inga indikatorvärden har redovisats.")]
    from .follow_up import trend_series, trend_svg

    series = trend_series(G)
    if not series and vals:
        tblocks.append(_para("Ingen indikator har ännu värden från två omgångar, så det finns ingen trend att visa."))
    for s in series:
        points = ", ".join(f"{p['date']}: {p['value']:g}".replace(".", ",") for p in s["points"])
        tblocks.append({"type": "figure", "chart": f"trend-{s['key']}", "title": f"{s['name']} – {name(s['intervention'])}",
                        "caption": f"Värden per omgång ({points}{' ' + s['unit'] if s['unit'] else ''}).",
                        "svg": trend_svg(s) if charts else None,
                        "alt": f"Linjediagram: {s['name']} per uppföljningsomgång; värdena: {points}."})
    subs.append(_section("uppfoljning-indikatorer", "Indikatorer över tid", tblocks))
    out = _section(SECTION_ID, "Uppföljning", blocks, level=1, brk=True)
    out["sections"] = subs
    return out
