"""Static charts of the coverage analysis: heatmaps and budget bars, as PNG and SVG.

Every chart is drawn from the analysis results (:func:`uvts.graph.analyses.run_all`, or
only its ``"coverage"`` result), never from the graph, so a chart shows exactly the
numbers of the table it illustrates:

* ``tackning-riskfaktor-niva``: heatmap of the matrix *Riskfaktor × preventionsnivå*;
* ``tackning-riskfaktor-forvaltning``: heatmap of *Riskfaktor × förvaltning*;
* ``budget-per-forvaltning``: each department's budget addition (the column sums of
  *Budgettillskott: riskfaktor × förvaltning*, which hold each department's whole addition);
* ``budget-per-riskfaktor``: *Budgettillskott per riskfaktor* under the rules
  "lika delning" and "budgetposter".

Output is deterministic: figures are drawn on matplotlib's Agg (PNG) and SVG canvases
directly, never through pyplot or a global backend, with DejaVu Sans (shipped with
matplotlib; it has å, ä and ö), a fixed ``svg.hashsalt``, no date in the metadata, and
``svg.fonttype = "none"`` so that labels stay text in the SVG.

matplotlib is imported inside the functions, so importing this module is cheap.

>>> from uvts.graph.store import open_store
>>> from uvts.graph.paths import DEFAULT_DATA
>>> from uvts.graph.analyses import run_all
>>> store, _ = open_store([DEFAULT_DATA], kind="memory")
>>> results = run_all(store, names=("coverage",))
>>> chart_png("tackning-riskfaktor-niva", results)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

__all__ = ["CHARTS", "CHART_TITLES", "chart_data", "chart_figure", "chart_png", "chart_svg", "write_charts",
           "format_sek", "format_number", "RC"]

CHART_TITLES = {
    "tackning-riskfaktor-niva": "Täckning: riskfaktor × preventionsnivå",
    "tackning-riskfaktor-forvaltning": "Täckning: riskfaktor × förvaltning",
    "budget-per-forvaltning": "Budgettillskott per förvaltning",
    "budget-per-riskfaktor": "Budgettillskott per riskfaktor",
}
CHARTS = tuple(CHART_TITLES)

# The analysis table each chart is drawn from (name within the coverage result).
_SOURCE = {
    "tackning-riskfaktor-niva": "risk_factor_by_level",
    "tackning-riskfaktor-forvaltning": "risk_factor_by_department",
    "budget-per-forvaltning": "budget_by_risk_factor_and_department",
    "budget-per-riskfaktor": "budget_by_risk_factor",
}
# The budget rules shown in the risk-factor bars ("hela tillskottet" counts a department's whole
# addition for every risk factor it works on, so it is on another scale; the table shows it).
_BUDGET_RULES = (("equal_split", "Lika delning"), ("budget_items", "Budgetposter"))

# matplotlib settings for every chart (applied with rc_context, never globally)
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.fonttype": "none",
    "svg.hashsalt": "uvts-samverkanskartan",
    "path.simplify": True,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
}
_SVG_METADATA = {"Date": None, "Creator": "Samverkanskartan (uvts)"}
_PNG_METADATA = {"Software": "Samverkanskartan (uvts)"}


# --- Swedish number formats ---------------------------------------------------------------


def format_number(value, decimals: int = 0) -> str:
    """A number the Swedish way: space between thousands, decimal comma.

    >>> format_number(35000000)
    '35 000 000'
    >>> format_number(0.8923, 2)
    '0,89'
    """
    if value is None:
        return ""
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",")


def format_sek(value) -> str:
    """Kronor, rounded to whole kronor: ``'1 700 000 kr'``."""
    return "" if value is None else f"{format_number(round(float(value)))} kr"


def _mnkr(value: float) -> str:
    return format_number(value / 1e6, 1) + " mnkr"


# --- the data of each chart ---------------------------------------------------------------


def _coverage(results: dict) -> dict:
    if results.get("name") == "coverage":
        return results
    if "coverage" not in results:
        raise KeyError("diagrammen behöver täckningsanalysen (coverage)")
    return results["coverage"]


def _table(results: dict, name: str) -> dict:
    for t in _coverage(results)["tables"]:
        if t["name"] == name:
            return t
    raise KeyError(name)


def chart_data(name: str, results: dict) -> dict:
    """The numbers a chart shows, as plain data.

    Heatmaps: ``{"kind": "heatmap", "title", "rows": [label], "columns": [label],
    "values": [[number]], "value_label", "row_title", "column_title"}`` (the analysis
    matrix cell by cell). Bars: ``{"kind": "bars", "title", "labels": [label],
    "series": [{"label", "values": [SEK]}], "value_label"}``.
    """
    if name not in _SOURCE:
        raise KeyError(f"okänt diagram '{name}'; finns: {', '.join(CHARTS)}")
    t = _table(results, _SOURCE[name])
    title = CHART_TITLES[name]
    if name in ("tackning-riskfaktor-niva", "tackning-riskfaktor-forvaltning"):
        return {"kind": "heatmap", "name": name, "title": title, "rows": [r["label"] for r in t["rows"]],
                "columns": [c["label"] for c in t["columns"]],
                "values": [[c["value"] for c in row] for row in t["cells"]], "value_label": t["value_label"],
                "row_title": "Riskfaktor",
                "column_title": "Preventionsnivå" if name == "tackning-riskfaktor-niva" else "Förvaltning"}
    if name == "budget-per-forvaltning":
        totals = [sum(row[k]["value"] for row in t["cells"]) for k in range(len(t["columns"]))]
        pairs = sorted(zip([c["label"] for c in t["columns"]], totals), key=lambda p: (-p[1], p[0].casefold()))
        return {"kind": "bars", "name": name, "title": title, "labels": [p[0] for p in pairs],
                "series": [{"label": "Budgettillskott", "values": [round(p[1], 2) for p in pairs]}],
                "value_label": "Miljoner kronor"}
    rows = [r for r in t["rows"] if r["risk_factor"] is not None or any(r[k] for k, _ in _BUDGET_RULES)]
    return {"kind": "bars", "name": name, "title": title, "labels": [r["label"] for r in rows],
            "series": [{"label": label, "values": [r[key] for r in rows]} for key, label in _BUDGET_RULES],
            "value_label": "Miljoner kronor"}


# --- drawing --------------------------------------------------------------------------------


def _wrap(label: str, width: int) -> str:
    return "\n".join(textwrap.wrap(label, width=width, break_long_words=False)) or label


def _heatmap(fig, data: dict) -> None:
    import numpy as np

    values = np.array(data["values"], dtype=float)
    ax = fig.add_subplot(1, 1, 1)
    vmax = max(float(values.max()) if values.size else 0.0, 1.0)
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=vmax, aspect="auto", interpolation="nearest")
    if len(data["columns"]) <= 5:
        ax.set_xticks(range(len(data["columns"])), [_wrap(c, 14) for c in data["columns"]])
    else:
        ax.set_xticks(range(len(data["columns"])), [_wrap(c, 40) for c in data["columns"]], rotation=40,
                      ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(data["rows"])), [_wrap(r, 30) for r in data["rows"]])
    ax.set_xlabel(data["column_title"])
    ax.set_ylabel(data["row_title"])
    ax.set_title(data["title"])
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(-0.5, len(data["columns"]), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(data["rows"]), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            ax.text(j, i, format_number(v, 0 if float(v).is_integer() else 1), ha="center", va="center",
                    fontsize=9, color="white" if v > 0.6 * vmax else "#1a1a1a")
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v)))
    bar.set_label(data["value_label"])


def _bars(fig, data: dict) -> None:
    import numpy as np

    ax = fig.add_subplot(1, 1, 1)
    n, k = len(data["labels"]), len(data["series"])
    height = 0.8 / k
    y = np.arange(n)
    colours = ("#2b6ca3", "#e39b2d", "#5a9e5a")
    top = max((v for s in data["series"] for v in s["values"]), default=0) or 1.0
    for s_index, series in enumerate(data["series"]):
        offset = (s_index - (k - 1) / 2) * height
        values = [v / 1e6 for v in series["values"]]
        ax.barh(y + offset, values, height=height * 0.95, label=series["label"], color=colours[s_index % 3])
        for yy, v in zip(y + offset, series["values"]):
            ax.text(v / 1e6 + top / 1e6 * 0.01, yy, _mnkr(v), va="center", fontsize=8)
    ax.set_yticks(y, [_wrap(label, 30) for label in data["labels"]])
    ax.invert_yaxis()
    ax.set_xlim(0, top / 1e6 * 1.25)
    ax.set_xlabel(data["value_label"])
    ax.set_title(data["title"])
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, 0 if float(v).is_integer() else 1)))
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    if k > 1:
        ax.legend(loc="lower right", frameon=False)


def _size(data: dict) -> tuple[float, float]:
    if data["kind"] == "heatmap":
        # capped, so that a national store's many departments cannot make a giant picture
        return (min(max(6.5, 2.6 + 0.75 * len(data["columns"])), 40.0), max(3.5, 1.6 + 0.5 * len(data["rows"])))
    return (7.0, max(3.0, 1.2 + 0.3 * len(data["labels"]) * len(data["series"]) + 0.15 * len(data["labels"])))


def chart_figure(name: str, results: dict):
    """The chart as a :class:`matplotlib.figure.Figure` (not attached to pyplot).

    Draw it within ``matplotlib.rc_context(RC)`` if you save it yourself; :func:`chart_png`
    and :func:`chart_svg` do.
    """
    import matplotlib
    from matplotlib.figure import Figure

    data = chart_data(name, results)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=_size(data), layout="constrained")
        (_heatmap if data["kind"] == "heatmap" else _bars)(fig, data)
    return fig


def _save(name: str, results: dict, fmt: str, **kwargs) -> bytes:
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = chart_figure(name, results)
        if fmt == "png":
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            FigureCanvasAgg(fig)
        else:
            from matplotlib.backends.backend_svg import FigureCanvasSVG

            FigureCanvasSVG(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata=_PNG_METADATA if fmt == "png" else _SVG_METADATA,
                    facecolor="white", **kwargs)
    return buf.getvalue()


def chart_png(name: str, results: dict, dpi: int = 150) -> bytes:
    """The chart as PNG bytes (white background, ``dpi`` dots per inch)."""
    return _save(name, results, "png", dpi=dpi)


def chart_svg(name: str, results: dict) -> bytes:
    """The chart as SVG bytes; labels are ``<text>`` elements (Swedish, searchable)."""
    return _save(name, results, "svg")


def write_charts(results: dict, out_dir: str | Path, formats=("png", "svg"), names=CHARTS) -> list[Path]:
    """Write each chart as ``{name}.{format}`` into ``out_dir`` (created if missing); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        for fmt in formats:
            if fmt not in ("png", "svg"):
                raise ValueError(f"okänt bildformat '{fmt}'; välj png eller svg")
            data = chart_png(name, results) if fmt == "png" else chart_svg(name, results)
            path = out / f"{name}.{fmt}"
            path.write_bytes(data)
            written.append(path)
    return written
