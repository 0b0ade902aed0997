"""The content of the collaboration mapping report (samverkanskartläggning), as plain data.

:func:`build_document` reads the store once (the typed graph, a few SPARQL queries for
facts the projection does not carry, such as source lines), runs the analyses on that
graph, and returns one *document*, a plain dict that every renderer
(HTML, PDF, Markdown, XLSX) turns into its format. No renderer looks at the graph or the
analyses itself, so the four formats cannot disagree.

A document::

    {"title", "subtitle", "date": "YYYY-MM-DD", "data_version": 12 hex digits, "seed",
     "edition": "fullstandig" | "mote", "edition_label",
     "plans": [{"id", "label", "municipality_label", "period"}],
     "meta": [[label, value], …],
     "cover": {"rows": [[label, value], …] (plan, municipality, period, date, version, edition),
               "figures": [[number, label], …], "guide": [[section title, text], …]},
     "colophon": [[label, text], …] (data version and how it is made, seed, …),
     "sections": [section, …], "sheets": [table, …]}

    section = {"id": anchor, "title", "level": 1 | 2, "break": bool (starts a new page),
               "blocks": [block, …], "sections": [section, …]}
    block   = {"type": "paragraph", "text"} | {"type": "list", "items": [text]}
            | {"type": "definitions", "items": [[term, text], …]} | {"type": "heading", "text"}
            | {"type": "table", "table": table}
            | {"type": "figure", "chart": name, "title", "caption", "svg": bytes or None, "alt"}
    table   = {"id", "title", "explanation" (or None), "sheet" (XLSX sheet name),
               "columns": [{"label", "type"}], "rows": [[value, …], …], "row_header": bool,
               "matrix": bool, "heat_max": number or None (a heatmap: cells shaded by their share),
               "bar": column index or None (bars beside that column's amounts)}

The sections and the editions they belong to are listed in :func:`_sections`.

Column types: ``text``, ``integer``, ``number``, ``score``, ``sek`` (kronor), ``list`` (a
list of texts, shown one per line) and ``names`` (a list of short names, shown comma-separated). Values are ``str``, ``int``, ``float``, ``None`` or a list of ``str``.
Every text is plain text from the data or the analyses: renderers escape it.
``sheets`` lists, in order, the tables that become one XLSX sheet each (some are also
shown in sections; the per-department and per-risk-factor tables are folded into one
sheet each).
"""

from __future__ import annotations

from collections import Counter, defaultdict

__all__ = ["build_document", "document_from", "intervention_names", "format_value", "iter_sections", "DOCUMENT_TITLE"]

DOCUMENT_TITLE = "Samverkanskartläggning"
UVTS = "https://w3id.org/uvts/ontology#"
LEVEL_ORDER = ("universell", "selektiv", "indikerad")
NONE_KEY = "none"

_Q_SOURCE_LINES = f"""PREFIX uvts: <{UVTS}>
SELECT ?s ?lines WHERE {{ ?s uvts:sourceLines ?lines }}"""
_Q_STATED_BUDGET = f"""PREFIX uvts: <{UVTS}>
SELECT ?plan ?budget WHERE {{ ?plan uvts:statedTotalBudget ?budget }}"""


# --- reading the typed graph --------------------------------------------------------------


def _targets(G, node: str, relation: str) -> list[str]:
    return sorted(v for v, keys in G.succ[node].items() if relation in keys)


def _sources(G, node: str, relation: str) -> list[str]:
    return sorted(u for u, keys in G.pred[node].items() if relation in keys)


def _of_type(G, typ: str) -> list[str]:
    from uvts.graph.project import nodes_of_type

    return nodes_of_type(G, typ)


def _label(G, iri: str | None) -> str:
    if iri is None:
        return ""
    return G.nodes[iri]["label"] if iri in G else iri.rstrip("/").rsplit("/", 1)[-1]


def _slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _anchor(kind: str, iri: str) -> str:
    return f"{kind}-{_slug(iri)}"


def _interventions(G) -> list[str]:
    """Interventions in plan order: by department name, then number."""
    def key(i):
        dept = _targets(G, i, "responsible_department")
        return (_label(G, dept[0]).casefold() if dept else "", G.nodes[i].get("sequence_number") or 0, i)
    return sorted(_of_type(G, "Intervention"), key=key)


def _levels(G) -> list[str]:
    def key(n):
        s = _slug(n)
        return (LEVEL_ORDER.index(s) if s in LEVEL_ORDER else len(LEVEL_ORDER), _label(G, n).casefold(), n)
    return sorted(_of_type(G, "PreventionLevel"), key=key)


def intervention_names(G) -> dict[str, str]:
    """Short Swedish names of the interventions: department and number (``Stöd och omsorg 7``)."""
    out = {}
    for i in _of_type(G, "Intervention"):
        dept = _targets(G, i, "responsible_department")
        seq = G.nodes[i].get("sequence_number")
        out[i] = f"{_label(G, dept[0])} {seq}" if dept and seq is not None else _label(G, i)
    return out


def _join(names: list[str]) -> str:
    names = [n for n in names if n]
    if len(names) <= 1:
        return names[0] if names else ""
    return ", ".join(names[:-1]) + " och " + names[-1]


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _fmt_number(value, decimals: int = 0) -> str:
    from .charts import format_number

    return format_number(value, decimals)


def _fmt_sek(value) -> str:
    from .charts import format_sek

    return format_sek(value)


def format_value(value, typ: str):
    """A table value as people read it (Swedish numbers); a ``list`` value stays a list of texts.

    >>> format_value(35000000, "sek"), format_value(0.150316, "score"), format_value(2.5, "number")
    ('35 000 000', '0,150', '2,5')
    """
    if value is None:
        return [] if typ == "list" else ""
    if typ == "names":
        return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    if typ == "list":
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if typ == "sek" and isinstance(value, (int, float)):
        return _fmt_number(round(float(value)))
    if typ == "score" and isinstance(value, (int, float)):
        return _fmt_number(value, 3)
    if typ in ("integer", "number") and isinstance(value, (int, float)):
        if float(value).is_integer():
            return _fmt_number(value)
        return _fmt_number(value, 2).rstrip("0").rstrip(",")
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def iter_sections(sections: list[dict]):
    """Every section, depth first (a section before its sub-sections)."""
    for s in sections:
        yield s
        yield from iter_sections(s["sections"])


# --- turning analysis tables into document tables --------------------------------------------


def _table(id: str, title: str, columns: list[tuple[str, str]], rows: list[list], explanation: str | None = None,
           sheet: str | None = None, row_header: bool = False, matrix: bool = False) -> dict:
    return {"id": id, "title": title, "explanation": explanation, "sheet": sheet,
            "columns": [{"label": label, "type": typ} for label, typ in columns], "rows": rows,
            "row_header": row_header, "matrix": matrix, "heat_max": None, "bar": None}


def _block_table(table: dict) -> dict:
    return {"type": "table", "table": table}


def _para(text: str) -> dict:
    return {"type": "paragraph", "text": text}


def _list(items: list[str]) -> dict:
    return {"type": "list", "items": list(items)}


def _section(id: str, title: str, blocks: list[dict], sections: list[dict] | None = None, level: int = 1,
             brk: bool = False) -> dict:
    return {"id": id, "title": title, "level": level, "break": brk, "blocks": blocks, "sections": sections or []}


class _Names:
    """How an IRI is shown: interventions by short name, everything else by Swedish label."""

    def __init__(self, G, labels: dict[str, str]):
        self.G = G
        self.labels = labels
        self.iv = intervention_names(G)

    def __call__(self, iri) -> str:
        if iri is None:
            return ""
        if iri in self.iv:
            return self.iv[iri]
        if iri in self.G:
            return _label(self.G, iri)
        return self.labels.get(iri, _slug(iri))

    def many(self, iris) -> list[str]:
        return [self(x) for x in iris]

    def titled(self, iri) -> str:
        """An intervention by its title with its code: ``Föräldrasupporten (Stöd och omsorg 7)``;
        anything else as :meth:`__call__`."""
        if iri in self.iv and iri in self.G:
            title = _label(self.G, iri)
            return f"{title} ({self.iv[iri]})" if title and title != self.iv[iri] else self.iv[iri]
        return self(iri)


_TYPE_OF = {"iri": "text", "iris": "names", "codes": "text", "reasons": "list", "sek": "sek", "score": "score",
            "integer": "integer", "number": "number", "boolean": "text", "text": "text"}


def _cell(value, col: dict, name: _Names):
    typ = col.get("type", "text")
    if value is None:
        return None
    if typ == "iri":
        return name(value)
    if typ == "iris":
        return name.many(value)
    if typ == "codes":
        codes = col.get("codes", {})
        items = value if isinstance(value, list) else [value]
        return ", ".join(codes.get(x, str(x)) for x in items)
    if typ == "reasons":
        return [r["description"] for r in value]
    if typ == "boolean":
        return "ja" if value else "nej"
    if typ in ("integer",):
        return int(value)
    if typ in ("number", "score", "sek"):
        return float(value) if not isinstance(value, int) else value
    if isinstance(value, list):
        return ", ".join(str(x) for x in value)
    return str(value)


def records_table(t: dict, name: _Names, sheet: str | None, id: str | None = None, columns: list[str] | None = None,
                  title: str | None = None) -> dict:
    """A records table of an analysis as a document table (``columns``: keys to keep, in order)."""
    cols = [c for c in t["columns"] if columns is None or c["key"] in columns]
    if columns is not None:
        cols.sort(key=lambda c: columns.index(c["key"]))
    rows = [[_cell(r.get(c["key"]), c, name) for c in cols] for r in t["rows"]]
    return _table(id or t["name"], title or t["title"], [(c["label"], _TYPE_OF.get(c["type"], "text")) for c in cols],
                  rows, t["explanation"], sheet)


def matrix_table(t: dict, sheet: str | None, id: str | None = None, heat: bool = False) -> dict:
    """A matrix of an analysis as a document table: a header column, the cells and a total.

    A column with no IRI in the analysis (a catch-all such as "Ingen nivå") is marked
    ``catch_all`` (left out when it is 0 everywhere). With ``heat`` the table is shown as a
    heatmap: ``heat_max`` is the largest cell (totals left out) and the renderers shade each
    cell by its share of it."""
    sek = t.get("value_label") == "Kronor"
    typ = "sek" if sek else "integer"
    columns = [(t["value_label"], "text")] + [(c["label"], typ) for c in t["columns"]]
    has_total = "row_totals" in t
    if has_total:
        columns.append(("Totalt", typ))
    rows = []
    for k, (r, cells) in enumerate(zip(t["rows"], t["cells"])):
        row = [r["label"]] + [c["value"] for c in cells]
        if has_total:
            row.append(t["row_totals"][k]["value"])
        rows.append(row)
    table = _table(id or t["name"], t["title"], columns, rows, t["explanation"], sheet, row_header=True, matrix=True)
    for col, src in zip(table["columns"][1:], t["columns"]):
        if src.get("iri", "") is None:
            col["catch_all"] = True
    if has_total:
        table["columns"][-1]["total"] = True
    if heat:
        values = [c["value"] for cells in t["cells"] for c in cells if isinstance(c["value"], (int, float))]
        table["heat_max"] = max(values, default=0) or None
    return table


def _find(res: dict, name: str) -> dict:
    for t in res["tables"]:
        if t["name"] == name:
            return t
    raise KeyError(name)


# --- the document ------------------------------------------------------------------------------


def _plans_info(store, plan: str | None) -> list[dict]:
    from uvts.graph.plans import list_plans, resolve_plan

    if plan is None:
        return list_plans(store)
    return [resolve_plan(store, plan)]


def _select(store, query: str, plan: str | None):
    from uvts.graph.plans import select_in_plan

    return select_in_plan(store, query, plan)


EDITIONS = {"fullstandig": "Fullständig utgåva", "mote": "Mötesutgåva"}
DEFAULT_EDITION = "fullstandig"
FULL, MEETING = frozenset({"fullstandig"}), frozenset({"fullstandig", "mote"})


def check_edition(edition: str | None) -> str:
    """``edition`` or the default; a Swedish ValueError for an unknown one."""
    edition = edition or DEFAULT_EDITION
    if edition not in EDITIONS:
        raise ValueError(f"okänd utgåva '{edition}'; välj {' eller '.join(EDITIONS)}")
    return edition


def build_document(store, plan: str | None = None, seed: int = 0, date=None, charts: bool = True,
                   edition: str | None = None) -> dict:
    """Read ``store`` (one plan, or all plans when ``plan`` is None) and build the report's document.

    ``date`` is a :class:`datetime.date`, an ISO string or ``None`` (``SOURCE_DATE_EPOCH``,
    else today); ``seed`` goes to the analyses (Louvain communities). ``edition``:
    ``fullstandig`` (default, every section) or ``mote`` (the meeting edition: summary,
    heatmaps, gaps, overlaps, forums). ``charts`` is accepted for older callers: the
    heatmaps and bars are drawn by the renderers from the tables, nothing is drawn here.
    """
    from uvts.graph.analyses import NAMES, run
    from uvts.graph.project import read_typed_graph

    from .report_meta import data_version, report_date

    edition = check_edition(edition)
    plans = _plans_info(store, plan)
    G = read_typed_graph(store, plan=plan)
    results = {name: run(name, G, seed=seed) for name in NAMES}
    lines = {r["s"].value: r["lines"].value for r in _select(store, _Q_SOURCE_LINES, plan).rows}
    stated = sum(float(r["budget"].to_python()) for r in _select(store, _Q_STATED_BUDGET, plan).rows
                 if any(p["plan"] == r["plan"].value for p in plans))
    facts = {"lines": lines, "stated_budget": stated or None, "plans": plans, "store": store, "plan": plan}
    doc = document_from(G, results, facts, date=report_date(date), version=data_version(store, plan), seed=seed,
                        edition=edition)
    from .report_changes import changes_section  # "Vad har ändrats sedan förra versionen" (published versions)

    changes = changes_section(store, [p["id"] for p in plans] if plan else None)
    if changes is not None:
        doc["sections"].insert(1, changes)
    return doc


def _sections():
    """The report's sections in order: ``(builder, editions)``. A builder takes the context
    (``ctx``: the typed graph ``G``, the analysis ``results``, ``facts``, ``name``, ``seed``,
    ``version``, ``edition``, ``sheets``) and returns a section (see :func:`_section`) or
    None to leave it out. To add a section, write a builder (in its own module if it is
    more than a few lines) and add it here with the editions it belongs to."""
    return [
        (_summary, MEETING),
        (_risk_factor_section, FULL),
        (_coverage_section, MEETING),
        (_budget_section, FULL),
        (_gaps_section, MEETING),
        (_follow_up, FULL),
        (_overlap_section, MEETING),
        (_forums_section, MEETING),
        (_actors_section, FULL),
        (_departments_section, FULL),
        (_method_section, FULL),
    ]


def document_from(G, results: dict, facts: dict, date, version: str, seed: int = 0, charts: bool = True,
                  edition: str = DEFAULT_EDITION) -> dict:
    """The document from a typed graph, its analysis results and a few facts read by SPARQL
    (``facts``: ``lines`` IRI -> source lines, ``stated_budget``, ``plans``)."""
    edition = check_edition(edition)
    labels = {}
    for res in results.values():
        labels.update(res.get("labels", {}))
    name = _Names(G, labels)
    ctx = {"G": G, "results": results, "facts": facts, "name": name, "seed": seed, "version": version,
           "edition": edition, "date": date, "charts": charts}
    plans = facts.get("plans") or []
    if len(plans) == 1:
        subtitle = f"{plans[0]['label']} ({plans[0]['municipality_label']})"
    elif plans:
        subtitle = f"{len(plans)} planer: " + _join([p["municipality_label"] for p in plans])
    else:
        subtitle = "Ingen plan"
    sheets: list[dict] = []
    ctx["sheets"] = sheets
    sections = [sec for build, editions in _sections() if edition in editions for sec in [build(ctx)] if sec]
    order = ["sammanfattning", "riskfaktor-nivaer", "tackning-niva", "tackning-forvaltning", "tackning-alder",
             "omraden", "budget-per-forvaltning", "budget-per-riskfaktor", "budget-matris", "luckor",
             "overlapp-insatser", "forum", "overlapp-forum", "centralitet", "forumbelastning", "grupper", "broar",
             "lankande-aktorer", "forvaltningar", "insatser", "metod", "ordlista"]
    sheets.sort(key=lambda t: order.index(t["id"]) if t["id"] in order else len(order))
    for sec in iter_sections(sections):
        for b in sec["blocks"]:
            if b["type"] == "table":
                drop_empty_columns(b["table"])
    for t in sheets:
        drop_empty_columns(t)
    from .report_cover import colophon, cover, guide

    front = cover(ctx, plans, subtitle)
    front["guide"] = guide(sections)
    return {
        "title": DOCUMENT_TITLE,
        "subtitle": subtitle,
        "date": date.isoformat(),
        "data_version": version,
        "seed": seed,
        "edition": edition,
        "edition_label": EDITIONS[edition],
        "plans": [{"id": p["id"], "label": p["label"], "municipality_label": p["municipality_label"],
                   "period": p.get("period")} for p in plans],
        "meta": [["Plan", subtitle]],
        "cover": front,
        "colophon": colophon(ctx),
        "sections": sections,
        "sheets": sheets,
    }


def _empty(value) -> bool:
    return value is None or value == "" or (isinstance(value, (list, tuple)) and not value)


def drop_empty_columns(table: dict) -> dict:
    """Leave out, in place, the columns no row fills: in a records table a column whose every
    value is empty; in a matrix a catch-all column (such as "Ingen nivå") that is 0 in every
    row. The first (row header) column always stays. Returns the table.

    >>> t = {"columns": [{"label": "A", "type": "text"}, {"label": "B", "type": "list"}], "rows": [["x", []]],
    ...      "matrix": False}
    >>> [c["label"] for c in drop_empty_columns(t)["columns"]], t["rows"]
    (['A'], [['x']])
    """
    if not table["rows"]:
        return table
    keep = []
    for k, col in enumerate(table["columns"]):
        values = [row[k] for row in table["rows"]]
        if k == 0:
            keep.append(k)
        elif table.get("matrix"):
            if not (col.get("catch_all") and all(not v for v in values)):
                keep.append(k)
        elif not all(_empty(v) for v in values):
            keep.append(k)
    if len(keep) < len(table["columns"]):
        table["columns"] = [table["columns"][k] for k in keep]
        table["rows"] = [[row[k] for k in keep] for row in table["rows"]]
    return table


# --- sections ---------------------------------------------------------------------------------


def _follow_up(ctx) -> dict:
    """The "Uppföljning" section (visualisations/report_follow_up.py)."""
    from .report_follow_up import follow_up_section

    return follow_up_section(ctx, ctx.get("charts", True))


def _counts(G) -> dict:
    c = Counter(t for _, t in G.nodes(data="type"))
    return {k: c.get(k, 0) for k in ("Intervention", "Department", "ExternalActor", "CollaborationForum", "Place",
                                     "RiskFactor")}


def _budget_total(G) -> float:
    return float(sum(G.nodes[d].get("budget_addition") or 0 for d in _of_type(G, "Department")))


def _summary(ctx) -> dict:
    G, results, name = ctx["G"], ctx["results"], ctx["name"]
    counts = _counts(G)
    total = _budget_total(G)
    stated = ctx["facts"].get("stated_budget")
    blocks = []
    text = (f"Kartläggningen omfattar {_n(counts['Intervention'], 'insats', 'insatser')} från "
            f"{_n(counts['Department'], 'förvaltning', 'förvaltningar')}, med "
            f"{_n(counts['ExternalActor'], 'extern aktör', 'externa aktörer')} och "
            f"{_n(counts['CollaborationForum'], 'samverkansforum', 'samverkansforum')}. "
            f"Budgettillskottet till förvaltningarna är sammanlagt {_fmt_sek(total)}")
    text += f" (planen anger cirka {_fmt_sek(stated)})." if stated else "."
    blocks.append(_para(text))

    gaps = _find(results["gaps"], "gaps")["rows"]
    kinds = Counter(g["kind"] for g in gaps)
    structural = [g["description"] for g in gaps if g["kind"] in
                  ("no_intervention", "level_empty", "single_department", "priority_area_uncovered")]
    gap_text = f"Analysen hittar {_n(len(gaps), 'lucka', 'luckor')}."
    if structural:
        gap_text += " De viktigaste: " + " ".join(structural)
    rest = []
    for kind, one, many in (("level_thin", "tunn preventionsnivå", "tunna preventionsnivåer"),
                            ("priority_area_thin", "prioriterat område med bara en insats",
                             "prioriterade områden med bara en insats"),
                            ("goal_not_set", "insats utan fastställt mål", "insatser utan fastställt mål"),
                            ("follow_up_not_set", "insats utan fastställd uppföljning",
                             "insatser utan fastställd uppföljning"),
                            ("no_risk_factor", "insats utan riskfaktor", "insatser utan riskfaktor"),
                            ("forum_no_purpose", "forum utan angivet syfte", "forum utan angivet syfte"),
                            ("forum_no_members", "forum utan namngivna medlemmar", "forum utan namngivna medlemmar")):
        if kinds.get(kind):
            rest.append(_n(kinds[kind], one, many))
    if rest:
        gap_text += " Dessutom finns " + _join(rest) + "."
    blocks.append(_para(gap_text))

    pairs = _find(results["overlap"], "intervention_pairs")["rows"]
    fpairs = _find(results["overlap"], "forum_pairs")["rows"]
    if pairs:
        top = [f"{name(p['a'])} och {name(p['b'])} ({_fmt_number(p['score'], 2)})" for p in pairs[:3]]
        ov = (f"{_n(len(pairs), 'par', 'par')} av insatser i olika förvaltningar liknar varandra och kan behöva "
              f"samordnas; mest lika är {_join(top)}.")
    else:
        ov = "Inga insatser i olika förvaltningar liknar varandra tillräckligt för att räknas som överlapp."
    if fpairs:
        same = sum(1 for p in fpairs if p.get("identical"))
        ov += f" {_n(len(fpairs), 'par', 'par')} av samverkansforum delar medlemmar"
        ov += (f", varav {same} har samma namngivna medlemmar (minst två)." if same else
               "; inga två forum har samma namngivna medlemmar (minst två gemensamma).")
    blocks.append(_para(ov))

    cent = _find(results["actors"], "centrality")["rows"]
    load = _find(results["actors"], "forum_load")["rows"]
    if cent:
        key = _join([name(r["actor"]) for r in cent[:3]])
        act = f"De aktörer som oftast binder ihop andra i samverkansnätverket (mellanhetscentralitet) är {key}."
        if load:
            act += f" Flest forum har {name(load[0]['actor'])} ({_n(load[0]['count'], 'forum', 'forum')})."
        blocks.append(_para(act))

    figures = _table("sammanfattning", "Nyckeltal", [("Uppgift", "text"), ("Värde", "number")], [
        ["Insatser", counts["Intervention"]], ["Förvaltningar", counts["Department"]],
        ["Externa aktörer", counts["ExternalActor"]], ["Samverkansforum", counts["CollaborationForum"]],
        ["Platser", counts["Place"]], ["Riskfaktorer", counts["RiskFactor"]],
        ["Budgettillskott (kr)", total], ["Budget enligt planen (kr)", stated],
        ["Luckor", len(gaps)], ["Par av insatser som kan överlappa", len(pairs)],
        ["Par av forum med gemensamma medlemmar", len(fpairs)],
    ], "Antal och belopp ur grafen och analyserna.", sheet="Sammanfattning", row_header=True)
    ctx["sheets"].append(figures)
    blocks.append(_block_table(figures))
    return _section("sammanfattning", "Sammanfattning", blocks, brk=True)


def _level_columns(results) -> list[dict]:
    return _find(results["coverage"], "risk_factor_by_level")["columns"]


def _risk_factor_section(ctx) -> dict:
    G, results, name = ctx["G"], ctx["results"], ctx["name"]
    cov = results["coverage"]
    lm = _find(cov, "risk_factor_by_level")
    dm = _find(cov, "risk_factor_by_department")
    abr = _find(cov, "actors_by_risk_factor")
    role_col = next(c for c in abr["columns"] if c["key"] == "roles")
    type_col = next(c for c in abr["columns"] if c["key"] == "actor_type")
    level_cols = _level_columns(results)
    gaps = _find(results["gaps"], "gaps")["rows"]
    subs = []
    flat_rows = []
    for k, r in enumerate(lm["rows"]):
        rf = r["iri"]
        total = lm["row_totals"][k]["value"]
        per_level = [f"{c['value']} på {col['label'].lower()} nivå" if col["iri"] else f"{c['value']} utan nivå"
                     for col, c in zip(lm["columns"], lm["cells"][k]) if c["value"]]
        text = f"{_n(total, 'insats', 'insatser')} tar upp {r['label'].lower()}"
        text += (": " + _join(per_level) + ".") if per_level else "."
        resp = [(col["label"], c["value"]) for col, c in zip(dm["columns"], dm["cells"][k]) if c["value"]]
        resp.sort(key=lambda x: (-x[1], x[0].casefold()))
        if resp:
            text += " Ansvariga förvaltningar: " + _join([f"{lbl} ({v})" for lbl, v in resp]) + "."
        base = [col["label"] for col, c in zip(dm["columns"], dm["cells"][k]) if c.get("base_mission")]
        if base:
            text += " Grunduppdraget tar upp riskfaktorn hos " + _join(base) + "."
        blocks = [_para(text)]
        rows = []
        for row in abr["rows"]:
            if row["risk_factor"] != rf:
                continue
            by_level = defaultdict(list)
            for i in row["interventions"]:
                lv = _targets(G, i, "prevention_level")
                for key in ([_slug(x) for x in lv] or [NONE_KEY]):
                    by_level[key].append(i)
            cells = [[name.titled(i) for i in sorted(by_level.get(col["key"], []), key=lambda i: name(i).casefold())]
                     for col in level_cols]
            roles = _cell(row["roles"], role_col, name)
            typ = _cell(row["actor_type"], type_col, name)
            flat_rows.append([r["label"], name(row["actor"]), typ, roles] + cells)
            if row["interventions"]:  # actors only by base mission are named in the text above
                rows.append([name(row["actor"]), f"{typ}: {roles}" if typ else roles] + cells)
        columns = [("Aktör", "text"), ("Roll", "text")] + [(c["label"], "list") for c in level_cols]
        blocks.append(_block_table(_table(f"vem-{r['key']}", f"Vem arbetar med {r['label'].lower()}, på vilken nivå",
                                          columns, rows, None, row_header=True)))
        own = [g["description"] for g in gaps if rf in g["subjects"]]
        if own:
            blocks.append(_para("Luckor som gäller riskfaktorn:"))
            blocks.append(_list(own))
        subs.append(_section(_anchor("riskfaktor", rf), r["label"], blocks, level=2))
    intro = _para("För var och en av riskfaktorerna: hur många insatser som tar upp den på varje preventionsnivå, "
                  "vilka förvaltningar som ansvarar för dem, och i tabellen vilka aktörer som arbetar med "
                  "riskfaktorn i vilken roll och genom vilka insatser på varje nivå. " + abr["explanation"])
    ctx["sheets"].append(_table(
        "riskfaktor-nivaer", "Aktörer per riskfaktor och nivå",
        [("Riskfaktor", "text"), ("Aktör", "text"), ("Typ", "text"), ("Roll", "text")] +
        [(c["label"], "list") for c in level_cols], flat_rows, abr["explanation"], sheet="Aktörer per riskfaktor"))
    evidence = _evidence_table(ctx)  # each link's own lines and words (issue 18); also a sheet, see _appendix
    if evidence["rows"]:
        subs.append(_section("kopplingar-belagg", "Kopplingarna enligt planen", [_block_table(evidence)], level=2,
                             brk=True))
    return _section("riskfaktorer", "Riskfaktorerna: vem arbetar med vad, på vilken nivå", [intro], subs, brk=True)


_HEAT_TEXT = ("Tabellen är en värmekarta: ju mörkare ruta, desto fler insatser. Tomma rutor (0) är möjliga "
              "luckor.")


def _coverage_section(ctx) -> dict:
    results, name = ctx["results"], ctx["name"]
    cov = results["coverage"]
    lm, dm = _find(cov, "risk_factor_by_level"), _find(cov, "risk_factor_by_department")
    am, areas = _find(cov, "risk_factor_by_age_band"), _find(cov, "areas")
    t_lm = matrix_table(lm, "Riskfaktor × nivå", "tackning-niva", heat=True)
    t_dm = matrix_table(dm, "Riskfaktor × förvaltning", "tackning-forvaltning", heat=True)
    t_am = matrix_table(am, "Riskfaktor × åldersgrupp", "tackning-alder", heat=True)
    t_areas = records_table(areas, name, "Områden", "omraden")
    ctx["sheets"] += [t_lm, t_dm, t_am, t_areas]
    subs = [
        _section("tackning-niva", lm["title"], [_para(_HEAT_TEXT), _block_table(t_lm)], level=2),
        _section("tackning-forvaltning", dm["title"], [_block_table(t_dm)], level=2),
    ]
    if ctx["edition"] != "mote":
        subs += [_section("tackning-alder", am["title"], [_block_table(t_am)], level=2),
                 _section("omraden", areas["title"], [_block_table(t_areas)], level=2)]
    return _section("tackning", "Täckning", [_para(cov["explanation"])], subs, brk=True)


def _budget_section(ctx) -> dict:
    G, results, name = ctx["G"], ctx["results"], ctx["name"]
    cov = results["coverage"]
    brf, bm = _find(cov, "budget_by_risk_factor"), _find(cov, "budget_by_risk_factor_and_department")
    rows = []
    for d in _of_type(G, "Department"):
        items = [b for b in _targets(G, d, "budget_allocation")]
        rows.append([_label(G, d), G.nodes[d].get("budget_addition") or 0,
                     [_budget_item_text(G, b, name) for b in items]])
    rows.sort(key=lambda r: (-float(r[1]), r[0].casefold()))
    t_dept = _table("budget-per-forvaltning", "Budgettillskott per förvaltning",
                    [("Förvaltning", "text"), ("Budgettillskott (kr)", "sek"), ("Budgetposter", "list")], rows,
                    "Varje förvaltnings extra budget enligt planen och de budgetposter planen anger för den; "
                    "stapeln visar beloppet i förhållande till det största.", sheet="Budget per förvaltning",
                    row_header=True)
    t_dept["bar"] = 1
    t_brf = records_table(brf, name, "Budget per riskfaktor", "budget-per-riskfaktor",
                          columns=["label", "equal_split", "budget_items", "whole_addition", "departments"])
    t_brf["bar"] = 1
    t_bm = matrix_table(bm, "Budget riskfaktor × förvaltning", "budget-matris", heat=True)
    ctx["sheets"] += [t_dept, t_brf, t_bm]
    subs = [
        _section("budget-forvaltning", t_dept["title"], [_block_table(t_dept)], level=2),
        _section("budget-riskfaktor", brf["title"], [_block_table(t_brf)], level=2),
        _section("budget-matris", bm["title"], [_block_table(t_bm)], level=2),
    ]
    total = _budget_total(G)
    return _section("budget", "Budget", [_para(
        f"Budgettillskottet är sammanlagt {_fmt_sek(total)}. Planen knyter tillskottet till förvaltningar, inte "
        f"till riskfaktorer; fördelningen per riskfaktor räknas därför fram med tre regler som beskrivs nedan.")],
        subs, brk=True)


def _budget_item_text(G, b: str, name) -> str:
    data = G.nodes[b]
    parts = [data.get("purpose") or _label(G, b)]
    if data.get("amount") is not None:
        parts.append(_fmt_sek(data["amount"]))
    funded = _targets(G, b, "funds")
    if funded:
        parts.append("finansierar " + _join(name.many(funded)))
    return " – ".join(p.rstrip(".") for p in parts if p)


def _gaps_section(ctx) -> dict:
    results, name = ctx["results"], ctx["name"]
    t = _find(results["gaps"], "gaps")
    kinds = {k["kind"]: k for k in t["kinds"]}
    by_kind = defaultdict(list)
    for g in t["rows"]:
        by_kind[g["kind"]].append(g)
    subs = []
    meeting = ctx["edition"] == "mote"
    for kind, info in kinds.items():
        if not by_kind.get(kind):
            continue
        if meeting and kind == "chain_broken":
            # one line per intervention: the full edition's Uppföljning section has the chain table
            subs.append(_section("lucka-chain-broken", f"{info['title']} ({len(by_kind[kind])})", [_para(
                f"{len(by_kind[kind])} insatser saknar någon länk i kedjan från problem till uppföljning; "
                "se avsnittet Uppföljning i den fullständiga rapporten.")], level=2))
            continue
        blocks = [_list([g["description"] for g in by_kind[kind]])]
        if not meeting:
            blocks.insert(0, _para(info["explanation"]))
        subs.append(_section(f"lucka-{kind.replace('_', '-')}", f"{info['title']} ({len(by_kind[kind])})",
                             blocks, level=2))
    table = records_table(t, name, "Luckor", "luckor")
    ctx["sheets"].append(table)
    intro = [_para(results["gaps"]["explanation"] + " " + t["explanation"])]
    if not t["rows"]:
        intro.append(_para("Inga luckor hittades."))
    return _section("luckor", "Luckor", intro, subs, brk=True)


def _overlap_section(ctx) -> dict:
    results, name, G = ctx["results"], ctx["name"], ctx["G"]
    t = _find(results["overlap"], "intervention_pairs")
    rows = []
    meeting = ctx["edition"] == "mote"
    for p in t["rows"]:
        reasons = ([t.get("reason_labels", {}).get(r["kind"], r["description"]) for r in p["reasons"]] if meeting
                   else [r["description"] for r in p["reasons"]])
        rows.append([p["score"], name.titled(p["a"]), name.titled(p["b"]), reasons])
    table = _table("overlapp-insatser", t["title"], [("Poäng", "score"), ("Insats A", "text"), ("Insats B", "text"),
                                                     ("Liknar i", "names") if meeting else ("Skäl", "list")], rows,
                   None if meeting else t["explanation"], sheet="Överlappande insatser")
    ctx["sheets"].append(table)
    blocks = [_para(results["overlap"]["explanation"])]
    same = [p for p in t["rows"] if any(r["kind"] == "same_activity" for r in p["reasons"])]
    if same:
        blocks.append(_para(f"Av paren anger planen själv att {_n(len(same), 'par', 'par')} är samma aktivitet: "
                            + _join([f"{name(p['a'])} och {name(p['b'])}" for p in same]) + "."))
    blocks.append(_block_table(table))
    return _section("overlapp", "Överlappande insatser", blocks, brk=True)


def _forums_section(ctx) -> dict:
    G, results, name = ctx["G"], ctx["results"], ctx["name"]
    lines = ctx["facts"]["lines"]
    fpairs = _find(results["overlap"], "forum_pairs")
    gaps = _find(results["gaps"], "gaps")["rows"]
    no_purpose = [g["subjects"][0] for g in gaps if g["kind"] == "forum_no_purpose"]
    no_members = [g["subjects"][0] for g in gaps if g["kind"] == "forum_no_members"]
    overlapping = Counter()
    for p in fpairs["rows"]:
        overlapping[p["a"]] += 1
        overlapping[p["b"]] += 1
    rows = []
    meeting = ctx["edition"] == "mote"
    for f in _of_type(G, "CollaborationForum"):
        data = G.nodes[f]
        members = sorted(_sources(G, f, "member_of"), key=lambda m: name(m).casefold())
        rows.append([_label(G, f), data.get("acronym_expansion"), data.get("purpose") or "(inget syfte angivet)",
                     name.many(members), overlapping.get(f, 0), None if meeting else lines.get(f)])
    table = _table("forum", "Samverkansforum", [("Forum", "text"), ("Fullständigt namn", "text"), ("Syfte", "text"),
                                                ("Medlemmar", "names"), ("Överlappar med (antal forum)", "integer"),
                                                ("Rader i planen", "text")], rows,
                   "Forumen med syfte och namngivna medlemmar enligt planen; sista kolumnerna anger med hur många "
                   "andra forum medlemmarna överlappar och var i planens text forumet beskrivs.",
                   sheet="Samverkansforum", row_header=True)
    pairs = records_table(fpairs, name, "Överlappande forum", "overlapp-forum",
                          columns=["a", "b", "score", "shared", "only_a", "only_b", "identical"])
    for col in pairs["columns"]:
        if col["type"] == "score":
            col["label"] = "Andel gemensamma"
    shown = pairs
    if meeting:  # the pairs sharing at least half of their members, without the member lists
        keep = [k for k, p in enumerate(fpairs["rows"]) if p["score"] >= 0.5]
        cols = [k for k, c in enumerate(pairs["columns"]) if c["label"] not in ("Bara i A", "Bara i B")]
        shown = dict(pairs, id="overlapp-forum-mote", title=f"{pairs['title']} (minst hälften gemensamma)",
                     columns=[pairs["columns"][k] for k in cols],
                     rows=[[pairs["rows"][r][k] for k in cols] for r in keep])
    ctx["sheets"] += [table, pairs]
    blocks = [_para(f"Planen namnger {_n(len(rows), 'samverkansforum', 'samverkansforum')}. "
                    + (f"{_n(len(no_purpose), 'forum', 'forum')} saknar angivet syfte: "
                       f"{_join(name.many(no_purpose))}. " if no_purpose else "Alla forum har ett angivet syfte. ")
                    + (f"Inga medlemmar namnges i {_join(name.many(no_members))}." if no_members else "")),
              _block_table(table)]
    sub_blocks = [_block_table(shown)]
    if shown is not pairs:
        sub_blocks.insert(0, _para(f"{_n(len(shown['rows']), 'par', 'par')} av {len(pairs['rows'])} delar minst "
                                   "hälften av sina namngivna medlemmar; alla par finns i den fullständiga utgåvan."))
    subs = [_section("forum-overlapp", fpairs["title"], sub_blocks, level=2)]
    return _section("forum", "Samverkansforum", blocks, subs, brk=True)


def _actors_section(ctx) -> dict:
    results, name = ctx["results"], ctx["name"]
    res = results["actors"]
    specs = (("centrality", "centralitet", "Centralitet", None),
             ("forum_load", "forumbelastning", "Aktörer i flest forum", None),
             ("communities", "grupper", "Grupper", None),
             ("bridges", "broar", "Broar", None),
             ("brokers", "lankande-aktorer", "Länkande aktörer", None))
    subs = []
    for tname, id, sheet, cols in specs:
        t = _find(res, tname)
        table = records_table(t, name, sheet, id, columns=cols)
        ctx["sheets"].append(table)
        blocks = [_block_table(table)] if t["rows"] else [_para(t["explanation"]), _para("(Inga rader.)")]
        subs.append(_section(id, t["title"], blocks, level=2))
    return _section("nyckelaktorer", "Nyckelaktörer", [_para(res["explanation"])], subs, brk=True)


def _departments_section(ctx) -> dict:
    G, results, name = ctx["G"], ctx["results"], ctx["name"]
    lines = ctx["facts"]["lines"]
    dm = _find(results["coverage"], "risk_factor_by_department")
    cent = {r["actor"]: (k + 1, r) for k, r in enumerate(_find(results["actors"], "centrality")["rows"])}
    n_actors = len(cent)
    levels = _levels(G)
    own, part = defaultdict(list), defaultdict(list)
    for i in _interventions(G):  # plan order
        resp = _targets(G, i, "responsible_department")
        for d in resp:
            own[d].append(i)
        for d in _targets(G, i, "involves"):
            if d not in resp:
                part[d].append(i)
    subs, summary_rows = [], []
    for d in _of_type(G, "Department"):
        data = G.nodes[d]
        ivs, involved = own[d], part[d]
        level_count = Counter(lv for i in ivs for lv in _targets(G, i, "prevention_level"))
        no_level = sum(1 for i in ivs if not _targets(G, i, "prevention_level"))
        col = next((k for k, c in enumerate(dm["columns"]) if c["iri"] == d), None)
        rf_counts = [(r["label"], dm["cells"][k][col]["value"]) for k, r in enumerate(dm["rows"])] if col is not None \
            else []
        rf_counts = [(lbl, v) for lbl, v in rf_counts if v]
        budget = data.get("budget_addition") or 0
        blocks = [_para(f"{data['label']} ansvarar för {_n(len(ivs), 'insats', 'insatser')} i planen och medverkar i "
                        f"{_n(len(involved), 'insats', 'insatser')} som andra förvaltningar ansvarar för. "
                        f"Budgettillskott: {_fmt_sek(budget)}.")]
        lv_text = [f"{_label(G, lv).lower()} {level_count[lv]}" for lv in levels if level_count.get(lv)]
        if no_level:
            lv_text.append(f"ingen nivå {no_level}")
        facts = [["Preventionsnivåer (antal insatser)", _join(lv_text) or "–"],
                 ["Riskfaktorer (antal insatser)", _join([f"{lbl.lower()} {v}" for lbl, v in rf_counts]) or "–"]]
        items = _targets(G, d, "budget_allocation")
        if items:
            facts.append(["Budgetposter", "; ".join(_budget_item_text(G, b, name) for b in items)])
        forums = _targets(G, d, "member_of")
        facts.append(["Samverkansforum", _join(name.many(forums)) or "–"])
        if d in cent:
            rank, row = cent[d]
            facts.append(["Plats i samverkansnätverket",
                          f"{rank} av {n_actors} efter mellanhetscentralitet ({_fmt_number(row['betweenness'], 3)}); "
                          f"{row['collaborators']} samverkansparter"])
        if involved:
            facts.append(["Medverkar i", _join(name.many(involved))])
        blocks.append({"type": "definitions", "items": facts})
        for bm in _targets(G, d, "base_mission"):
            text = G.nodes[bm].get("description")
            rfs = _targets(G, bm, "addresses")
            body = [_para(text)] if text else [_para("Planen beskriver inget grunduppdrag i text.")]
            body.append(_para("Grunduppdraget tar upp: " + (_join([_label(G, r).lower() for r in rfs]) or
                                                                "ingen av riskfaktorerna uttryckligen") + "."))
            blocks.append({"type": "heading", "text": "Grunduppdrag"})
            blocks += body
        rows = []
        for i in ivs:
            rows.append([G.nodes[i].get("sequence_number"), _label(G, i),
                         [_label(G, lv) for lv in _levels_of(G, i)] or ["ingen nivå"],
                         [_label(G, r) for r in _targets(G, i, "addresses")],
                         name.many([x for x in _targets(G, i, "involves")]), lines.get(i)])
        blocks.append({"type": "heading", "text": "Insatser"})
        blocks.append(_block_table(_table(_anchor("insatser", d), f"Insatser – {data['label']}", [
            ("Nr", "integer"), ("Insats", "text"), ("Nivåer", "names"), ("Riskfaktorer", "list"),
            ("Medverkande", "names"), ("Rader i planen", "text")], rows)) if rows
            else _para("Förvaltningen ansvarar inte för någon insats i planen."))
        # a page per department; the first shares its page with the section's introduction
        subs.append(_section(_anchor("forvaltning", d), data["label"], blocks, level=2, brk=bool(subs)))
        base = " ".join(G.nodes[bm].get("description") or "" for bm in _targets(G, d, "base_mission")) or None
        summary_rows.append([data["label"], budget, len(ivs), len(involved)] +
                            [level_count.get(lv, 0) for lv in levels] + [no_level] +
                            [_join([f"{lbl} ({v})" for lbl, v in rf_counts]), base])
    _appendix_sheet(ctx)
    ctx["sheets"].append(_table(
        "forvaltningar", "Förvaltningarna",
        [("Förvaltning", "text"), ("Budgettillskott (kr)", "sek"), ("Ansvarar för (insatser)", "integer"),
         ("Medverkar i (insatser)", "integer")] + [(f"Nivå: {_label(G, lv)}", "integer") for lv in levels] +
        [("Ingen nivå", "integer"), ("Riskfaktorer (antal insatser)", "text"), ("Grunduppdrag", "text")],
        summary_rows, "En rad per förvaltning: budget, antal insatser per nivå, riskfaktorer och grunduppdrag.",
        sheet="Förvaltningar", row_header=True))
    return _section("forvaltningar", "Förvaltningarna", [_para(
        "En sida per förvaltning: budget, de insatser förvaltningen ansvarar för med nivåer och riskfaktorer, "
        "grunduppdraget och förvaltningens plats i samverkan.")], subs, brk=True)


def _levels_of(G, i: str) -> list[str]:
    order = {lv: k for k, lv in enumerate(_levels(G))}
    return sorted(_targets(G, i, "prevention_level"), key=lambda lv: order.get(lv, 99))


def _method_section(ctx) -> dict:
    from .report_method import method_section

    return method_section(ctx)


def _appendix_sheet(ctx) -> None:
    """The sheet "Insatser": every intervention with its id and source lines. (The report's
    pages show the same interventions, with their source lines, on the department pages.)"""
    _appendix(ctx)


def _appendix(ctx) -> dict:
    G = ctx["G"]
    lines = ctx["facts"]["lines"]
    rows = []
    for i in _interventions(G):
        dept = _targets(G, i, "responsible_department")
        rows.append([_slug(i), _label(G, dept[0]) if dept else "", G.nodes[i].get("sequence_number"), _label(G, i),
                     [_label(G, lv) for lv in _levels_of(G, i)], [_label(G, r) for r in _targets(G, i, "addresses")],
                     lines.get(i)])
    table = _table("insatser", "Alla insatser", [("Id", "text"), ("Förvaltning", "text"), ("Nr", "integer"),
                                                 ("Insats", "text"), ("Nivåer", "names"), ("Riskfaktorer", "names"),
                                                 ("Rader i planen", "text")], rows,
                   "Varje insats i planen med de rader i planens text som den bygger på.", sheet="Insatser")
    ctx["sheets"].append(table)
    blocks = [_para("Raderna hänvisar till planens text (textversionen av aktivitetsplanen), så att varje uppgift kan "
                    "kontrolleras mot källan."), _block_table(table)]
    evidence = _evidence_table(ctx)
    if evidence["rows"]:
        ctx["sheets"].append(evidence)
        blocks.append(_block_table(evidence))
    return _section("bilaga", "Bilaga: alla insatser och deras källor", blocks, brk=True)


def _evidence_table(ctx) -> dict:
    """Every risk-factor link with the plan's lines and words that justify it (uvts:Addressing)."""
    G, name = ctx["G"], ctx["name"]
    rows = []
    missions = [bm for d in _of_type(G, "Department") for bm in _targets(G, d, "base_mission")]
    for a in _interventions(G) + missions:
        for r in sorted(_targets(G, a, "addresses"), key=lambda x: _label(G, x).casefold()):
            edge = G.get_edge_data(a, r, key="addresses") or {}
            if edge.get("evidence_lines"):
                rows.append([name(a), _label(G, r), edge["evidence_lines"], edge.get("evidence") or ""])
    return _table("kopplingar", "Kopplingarna till riskfaktorerna enligt planen",
                  [("Insats eller grunduppdrag", "text"), ("Riskfaktor", "text"), ("Rader i planen", "text"),
                   ("Planens ord", "text")], rows,
                  "Varje koppling mellan en insats (eller ett grunduppdrag) och en riskfaktor, med raderna i planens "
                  "avsnitt KOPPLING och planens egna ord som motiverar den.", sheet="Kopplingar")
