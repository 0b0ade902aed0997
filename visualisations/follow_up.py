"""Seeing the follow-up: a round's status matrix, an intervention's history, indicator trend charts.

Plain functions of the typed graph (``G.graph["follow_up"]``, see
:mod:`uvts.graph.follow_up_data`) returning plain data, and trend charts drawn with
matplotlib as :mod:`uvts.visualisations.charts` draws its charts (the same settings,
deterministic SVG and PNG, Swedish labels). Used by the pages, the report and the views.
"""

from __future__ import annotations

import io
import re
import weakref

from uvts.graph import follow_up_data as F
from uvts.graph import namespaces as ns

__all__ = ["rounds", "round_by_slug", "round_matrix", "intervention_history", "trend_series", "trend_key",
           "trend_png", "trend_svg", "STATUS_CLASSES", "node_status", "NODE_STATUS_LABELS"]

# a CSS class per status (the colour); the text and the symbol always go with it
STATUS_CLASSES = {s: f"status-{s}" for s in F.STATUS_ORDER} | {None: "status-ingen"}


def _fu(G) -> dict:
    return G.graph.get("follow_up") or F.empty()


def _label(G, iri: str) -> str:
    return G.nodes[iri]["label"] if iri in G else ns.slug_of(iri)


def rounds(G) -> list[dict]:
    """Every round, newest first, each with its slug (the IRI's last segment) and record count."""
    fu = _fu(G)
    counts: dict[str, int] = {}
    for rec in fu["records"]:
        counts[rec["round"]] = counts.get(rec["round"], 0) + 1
    latest = {r["iri"] for r in F.latest_rounds(fu).values()}
    return [{**r, "slug": ns.slug_of(r["iri"]), "records": counts.get(r["iri"], 0), "latest": r["iri"] in latest,
             "plan_slug": ns.slug_of(r["plan"])}
            for r in sorted(fu["rounds"], key=lambda r: (r["date"], r["plan"]), reverse=True)]


def round_by_slug(G, slug: str) -> dict | None:
    return next((r for r in rounds(G) if r["slug"] == slug), None)


def _status_entry(G, iri: str, status: str | None) -> dict:
    return {"iri": iri, "label": _label(G, iri), "status": status, "status_label": F.status_label(status),
            "symbol": F.STATUS_SYMBOLS.get(status, "–"), "css": STATUS_CLASSES.get(status, "status-ingen")}


def round_matrix(G, round_iri: str) -> dict:
    """One round as a status matrix department × risk factor, plus its records and who is missing.

    Each cell lists the interventions of that department addressing that risk factor that have
    a record in the round, each with its status (text, symbol and CSS class); ``counts`` are per
    status. ``not_followed_up``: the plan's interventions without a record in the round.
    """
    from uvts.graph.analyses import _plan as P

    fu = _fu(G)
    rnd = next(r for r in fu["rounds"] if r["iri"] == round_iri)
    recs = {rec["intervention"]: rec for rec in fu["records"] if rec["round"] == round_iri}
    plan_slug = ns.slug_of(rnd["plan"])
    ivs = [i for i in P.interventions(G) if plan_slug in (G.nodes[i].get("plans") or [plan_slug])]
    depts = sorted({d for i in ivs for d in P.responsible(G, i)}, key=lambda d: _label(G, d).casefold())
    rfs = sorted({r for i in ivs for r in P.targets(G, i, "addresses")}, key=lambda r: _label(G, r).casefold())
    cells = []
    for d in depts:
        row = []
        for rf in rfs:
            entries = [_status_entry(G, i, recs[i]["status"]) for i in ivs
                       if i in recs and d in P.responsible(G, i) and rf in P.targets(G, i, "addresses")]
            row.append({"entries": entries})
        cells.append(row)
    vals: dict[str, list] = {}
    for v in fu["values"]:
        if v["round"] == round_iri:
            vals.setdefault(v["intervention"], []).append(v)
    records = [{**_status_entry(G, i, recs[i]["status"]), "comment": recs[i]["comment"],
                "department": _label(G, P.responsible(G, i)[0]) if P.responsible(G, i) else "",
                "values": vals.get(i, [])} for i in ivs if i in recs]
    counts = {s: sum(1 for r in records if r["status"] == s) for s in (*F.STATUS_ORDER, None)}
    return {"round": {**rnd, "slug": ns.slug_of(round_iri)},
            "rows": [{"iri": d, "label": _label(G, d)} for d in depts],
            "columns": [{"iri": r, "label": _label(G, r)} for r in rfs], "cells": cells,
            "records": records, "counts": [{**_status_entry(G, "", s), "count": n} for s, n in counts.items() if n],
            "not_followed_up": [{"iri": i, "label": _label(G, i)} for i in ivs if i not in recs]}


def intervention_history(G, iri: str) -> list[dict]:
    """The intervention's records, oldest first: round, status (text, symbol, class), comment, values."""
    return [{**_status_entry(G, iri, h["status"]), "round_label": h["round_label"], "date": h["date"],
             "round_slug": ns.slug_of(h["round"]), "comment": h["comment"], "synthetic": h["synthetic"],
             "values": h["values"]}
            for h in F.history(_fu(G), iri)]


def trend_key(series: dict) -> str:
    """A file-name key for one indicator series: ``{intervention}--{indicator slug}``."""
    return f"{ns.slug_of(series['intervention'])}--{ns.slugify(series['name'])}"


def trend_series(G, intervention: str | None = None) -> list[dict]:
    """The indicators with two or more values (optionally of one intervention), each with its key and labels."""
    out = []
    for s in F.indicator_series(_fu(G)):
        if intervention and s["intervention"] != intervention:
            continue
        out.append({**s, "key": trend_key(s), "intervention_label": _label(G, s["intervention"])})
    return out


def _number(v: float) -> str:
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _figure(series: dict):
    import matplotlib
    import matplotlib.ticker
    from matplotlib.figure import Figure

    from .charts import RC

    dates = [p["date"] for p in series["points"]]
    values = [p["value"] for p in series["points"]]
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.0, 3.2), layout="constrained")
        ax = fig.add_subplot()
        ax.plot(range(len(values)), values, marker="o", color="#1f4e9c")
        for x, v in enumerate(values):
            ax.annotate(_number(v), (x, v), textcoords="offset points", xytext=(0, 6), ha="center")
        ax.set_xticks(range(len(dates)), dates)
        ax.set_xlabel("Uppföljningsomgång")
        ax.set_ylabel(series["unit"] or "Värde")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _number(v)))
        ax.set_ylim(bottom=0, top=max(values) * 1.2 if max(values) > 0 else 1)
        title = f"{series['name']} – {series.get('intervention_label') or ns.slug_of(series['intervention'])}"
        ax.set_title("\n".join(re.findall(r".{1,70}(?:\s|$)", title)).strip())
        ax.grid(axis="y", alpha=0.3)
    return fig


def _save(series: dict, fmt: str, **kwargs) -> bytes:
    import matplotlib

    from .charts import _PNG_METADATA, _SVG_METADATA, RC

    with matplotlib.rc_context(RC):
        fig = _figure(series)
        if fmt == "png":
            from matplotlib.backends.backend_agg import FigureCanvasAgg as Canvas
        else:
            from matplotlib.backends.backend_svg import FigureCanvasSVG as Canvas
        Canvas(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata=_PNG_METADATA if fmt == "png" else _SVG_METADATA, facecolor="white",
                    **kwargs)
    return buf.getvalue()


def trend_png(series: dict, dpi: int = 150) -> bytes:
    """One indicator's values over the rounds as a PNG line chart."""
    return _save(series, "png", dpi=dpi)


def trend_svg(series: dict) -> bytes:
    """One indicator's values over the rounds as an SVG line chart (labels stay text)."""
    return _save(series, "svg")


# --- the network views' hook: each intervention node carries its latest status ---------------

_NODE_STATUS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
NODE_STATUS_LABELS = {**{s: F.STATUS_LABELS[s] for s in F.STATUS_ORDER}, "ingen-status": "Ingen status angiven",
                      "ej-uppfoljd": "Inte uppföljd"}


def node_status(G, iri: str) -> dict:
    """``{"status": slug, "status_label": Swedish}`` of an intervention for the network views: its
    latest given status, ``ingen-status`` (followed up, no status given) or ``ej-uppfoljd``."""
    table = _NODE_STATUS.get(G) if getattr(G, "frozen", False) else None
    if table is None:
        fu = _fu(G)
        given = F.latest_status(fu)
        table = {rec["intervention"]: given.get(rec["intervention"], "ingen-status") for rec in fu["records"]}
        if getattr(G, "frozen", False):
            _NODE_STATUS[G] = table
    status = table.get(iri, "ej-uppfoljd")
    return {"status": status, "status_label": NODE_STATUS_LABELS[status]}
