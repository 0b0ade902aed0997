"""Interactive network views of the typed graph: pyvis network data in our own offline page shell.

A *view* is a named selection of the typed graph (:func:`uvts.graph.project.read_typed_graph`)
drawn as a network: the whole network, one view per risk factor, per department and per
external actor, the collaboration forums with their members, the overlap analysis's flagged
pairs and the key actors (sized by centrality, coloured by community). The analyses
(:mod:`uvts.graph.analyses`) supply the overlap and key-actor data; nothing here recomputes
them.

The library has three layers, each usable alone:

* :func:`view_names` and :func:`view_data`: plain, JSON-ready data for one view (nodes with
  their colour, shape, size, tooltip details and filter facets; edges; legend; filters).
* :func:`render_view` and :func:`render_index`: a whole HTML page, self-contained (vis-network
  inlined from the installed pyvis package, no link to anything outside the page), with
  every string from the data escaped (see :mod:`uvts.visualisations._page`).
* :func:`write_views`: every view and an ``index.html`` into a folder, atomically, as UTF-8.

Source lines and editorial notes are not part of the typed graph; :func:`read_extras`
reads them from the store in one query, and every function above takes them as ``extras``.

    >>> from uvts.graph.store import open_store
    >>> from uvts.graph.paths import DEFAULT_DATA
    >>> from uvts.graph.project import read_typed_graph
    >>> store, _ = open_store([DEFAULT_DATA], kind="memory")
    >>> G = read_typed_graph(store)
    >>> names = dict(view_names(G))
    >>> names["network"], names["risk-factor-psykisk-ohalsa"]
    ('Hela nätverket', 'Riskfaktor: Psykisk ohälsa')
    >>> page = render_view("risk-factor-psykisk-ohalsa", G, extras=read_extras(store))
    >>> "https://cdn" in page
    False

networkx, pyvis and Jinja2 are imported inside the functions.
"""

from __future__ import annotations

import math
import weakref
from pathlib import Path

from uvts.graph import namespaces as ns
from uvts.graph.analyses import _plan as P
from uvts.graph.project import TYPE_LABELS, nodes_of_type

__all__ = [
    "view_names", "view_data", "render_view", "render_index", "write_views", "read_extras",
    "TYPE_STYLE", "RELATION_LABELS", "RELATION_STYLE", "TYPE_IMPORTANCE", "DEFAULT_HIDDEN", "COMMUNITY_COLOURS",
    "CORE_TYPES", "VIEW_KINDS", "VIEW_NOTES", "GROUP_NOTES", "plural",
]

# node type -> (colour, vis-network shape, dashed border); the legend is drawn from this table
TYPE_STYLE = {
    "Intervention": ("#4e79a7", "dot", False),
    "BaseMission": ("#a0cbe8", "dot", True),
    "RiskFactor": ("#e15759", "diamond", False),
    "PreventionLevel": ("#f28e2b", "triangle", False),
    "Department": ("#59a14f", "square", False),
    "ExternalActor": ("#b07aa1", "triangleDown", False),
    "CollaborationForum": ("#edc948", "hexagon", False),
    "Place": ("#9c755f", "star", False),
    "BudgetAllocation": ("#bab0ac", "square", True),
    "OtherLink": ("#ff9da7", "diamond", True),
}
# the order of the legend and of the type filter
TYPE_ORDER = tuple(TYPE_STYLE)

RELATION_LABELS = {
    "addresses": "arbetar mot riskfaktorn",
    "prevention_level": "på preventionsnivån",
    "responsible_department": "ansvarig förvaltning",
    "involves": "involverar",
    "location": "äger rum i",
    "same_activity_as": "samma aktivitet som",
    "other_link": "annan koppling",
    "base_mission": "grunduppdrag",
    "budget_allocation": "budgetpost",
    "funds": "finansierar",
    "member_of": "medlem i",
    "overlap": "kan överlappa",
    "forum_overlap": "delar medlemmar med",
    "collaboration": "samverkar med",
}
RELATION_LABELS["involves"] = "medverkande part"

# relation -> (text in the row of the link's start, text in the row of its end): the table
# alternative lists each node's links as "text: other node"
RELATION_TEXT = {
    "addresses": ("riskfaktor", "arbetar mot den"),
    "prevention_level": ("preventionsnivå", "insats på nivån"),
    "responsible_department": ("ansvarig förvaltning", "ansvarig för"),
    "involves": ("medverkande part", "medverkar i"),
    "location": ("plats", "plats för"),
    "same_activity_as": ("samma aktivitet som", "samma aktivitet som"),
    "other_link": ("annan koppling", "annan koppling från"),
    "base_mission": ("grunduppdrag", "grunduppdrag för"),
    "budget_allocation": ("budgetpost", "budgetpost för"),
    "funds": ("finansierar", "finansieras av"),
    "member_of": ("medlem i", "har medlemmen"),
    "overlap": ("kan överlappa", "kan överlappa"),
    "forum_overlap": ("delar medlemmar med", "delar medlemmar med"),
    "collaboration": ("samverkar med", "samverkar med"),
}

# relation -> (colour, dash pattern or None, width, arrow): the links' look and the link legend.
# Colour is never alone: each main relation also has its own dash pattern and width.
RELATION_STYLE = {
    "responsible_department": ("#2f6b2a", None, 2.2, True),
    "involves": ("#7b4f9d", [8, 4], 1.6, True),
    "prevention_level": ("#b35c00", [2, 4], 1.4, True),
    "member_of": ("#8a6d00", [12, 3, 2, 3], 1.6, True),
    "addresses": ("#b8393b", None, 1.2, True),
    "base_mission": ("#5b7fa6", [4, 3], 1.2, True),
    "location": ("#8a6a55", [1, 3], 1.0, True),
    "budget_allocation": ("#8e8a87", [1, 3], 1.0, True),
    "funds": ("#8e8a87", [1, 3], 1.0, True),
    "other_link": ("#c06c78", [1, 3], 1.0, True),
    "same_activity_as": ("#1f4e79", [6, 2, 1, 2], 2.0, False),
    "overlap": ("#c0392b", None, 2.0, False),
    "forum_overlap": ("#8a6d00", None, 2.0, False),
    "collaboration": ("#6b7785", None, 1.0, False),
}
RELATION_ORDER = tuple(RELATION_STYLE)

# label importance by node type: a larger number is drawn larger and kept first when labels
# would overlap (see view.js); (importance, label size in screen pixels)
TYPE_IMPORTANCE = {
    "RiskFactor": (5, 17), "Department": (4, 16), "PreventionLevel": (4, 15), "CollaborationForum": (3, 14),
    "ExternalActor": (3, 14), "Intervention": (2, 13), "BaseMission": (1, 12), "Place": (1, 12),
    "BudgetAllocation": (0, 12), "OtherLink": (0, 12),
}

# the smallest node size of the types a strategist looks for first (size otherwise follows the measure)
TYPE_MIN_SIZE = {"RiskFactor": 24.0, "Department": 20.0, "PreventionLevel": 20.0}

# node types hidden until asked for (type filter unchecked) in the whole-network view
DEFAULT_HIDDEN = {"network": ("Place", "BudgetAllocation", "OtherLink")}

# colours of the key-actor view's communities (Tableau 20, strong colours first)
COMMUNITY_COLOURS = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e",
)

# the nodes the prevention-level, department and risk-factor filters test directly
CORE_TYPES = ("Intervention", "BaseMission")

CATEGORY_LABELS = {
    "police": "polis", "region": "region", "state-agency": "statlig myndighet", "civil-society": "civilsamhälle",
    "business": "näringsliv", "academia": "akademi", "other": "annan",
}
PLACE_KINDS = {"area": "område", "school": "skola", "building": "byggnad"}

# view kind -> (slug prefix or whole slug, node type it is about or None)
VIEW_KINDS = {
    "network": ("network", None),
    "risk-factor": ("risk-factor-", "RiskFactor"),
    "department": ("department-", "Department"),
    "actor": ("actor-", "ExternalActor"),
    "forums": ("forums", None),
    "overlap": ("overlap", None),
    "key-actors": ("key-actors", None),
}

_LABEL_MAX = 42
_MIN_SIZE, _MAX_SIZE = 9.0, 40.0


# --- reading what the typed graph leaves out ----------------------------------------------------


def read_extras(store, plan: str | None = None) -> dict[str, dict]:
    """Source lines, editorial notes and definitions of every resource, from the store.

    Returns ``{iri: {"source_lines": "2137-2204", "notes": [...], "definition": "..."}}``
    (keys only where the store has a value), and for each plan ``{plan iri: {"plan_label":
    "Umeå kommun: …"}}``. One SELECT; ``plan`` as in
    :func:`uvts.graph.project.read_typed_graph`.
    """
    query = f"""PREFIX uvts: <{ns.UVTS}>
PREFIX skos: <{ns.SKOS}>
SELECT DISTINCT ?s ?p ?o WHERE {{
  VALUES ?p {{ uvts:sourceLines skos:editorialNote skos:definition }}
  ?s ?p ?o . FILTER(isLiteral(?o) && (lang(?o) = "" || langMatches(lang(?o), "sv")))
}}"""
    if plan is None:
        rows = store.select(query).rows
    else:
        from uvts.graph.plans import select_in_plan

        rows = select_in_plan(store, query, plan).rows
    out: dict[str, dict] = {}
    for r in rows:
        s, p, o = r["s"].value, r["p"].value, r["o"].value
        entry = out.setdefault(s, {})
        if p.endswith("sourceLines"):
            entry.setdefault("lines", set()).add(o)
        elif p.endswith("editorialNote"):
            entry.setdefault("notes", set()).add(o)
        else:
            entry["definition"] = min(o, entry.get("definition", o))
    try:  # plan names, so that a view over several plans names them rather than showing their ids
        from uvts.graph.plans import list_plans

        for pl in list_plans(store):
            out.setdefault(pl["plan"], {})["plan_label"] = f"{pl['municipality_label']}: {pl['label']}"
    except Exception:  # noqa: BLE001 - a store without plan metadata: ids are shown as before
        pass
    for entry in out.values():
        if "lines" in entry:
            entry["source_lines"] = ", ".join(sorted(entry.pop("lines"), key=_line_key))
        if "notes" in entry:
            entry["notes"] = sorted(entry["notes"])
    return out


def _line_key(text: str):
    head = text.split("-", 1)[0].split(",", 1)[0].strip()
    return (int(head) if head.isdigit() else 0, text)


# --- helpers on the typed graph ------------------------------------------------------------------


def _label(G, n) -> str:
    return P.label(G, n)


def _sorted_labels(G, iris) -> list[str]:
    return [_label(G, x) for x in sorted(set(iris), key=lambda x: (_label(G, x).casefold(), x))]


def _related(G, n) -> set[str]:
    """Every neighbour of ``n``, both directions."""
    return set(G._succ[n]) | set(G._pred[n])


def _short_label(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _LABEL_MAX else text[: _LABEL_MAX - 1].rstrip() + "…"


def _sek(value) -> str:
    return f"{round(float(value)):,}".replace(",", "\u00a0") + "\u00a0kr"


def _number(value: float) -> str:
    return f"{value:.3f}".replace(".", ",")


def plural(count: int, one: str, many: str) -> str:
    """``"1 insats"`` / ``"3 insatser"``: the count with the right Swedish form."""
    return f"{count} {one if count == 1 else many}"


_FACETS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _facets(G) -> dict[str, dict[str, list[str]]]:
    """Node -> ``{"levels", "departments", "risk_factors"}`` (sorted IRIs): what the filters test.

    An intervention's facets are its prevention levels, its responsible and involved
    departments and its risk factors; a base mission's its department and risk factors. Any
    other node has the union of the facets of the interventions and base missions it is
    linked to, plus itself when it is a level, department or risk factor (and a forum its
    member departments, a budget item its department).
    """
    cached = _FACETS.get(G) if getattr(G, "frozen", False) else None
    if cached is not None:
        return cached
    core: dict[str, dict[str, set]] = {}
    for i in nodes_of_type(G, "Intervention"):
        core[i] = {
            "levels": set(P.targets(G, i, "prevention_level")),
            "departments": set(P.responsible(G, i)) | {a for a in P.involved(G, i)
                                                       if G.nodes[a]["type"] == "Department"},
            "risk_factors": set(P.targets(G, i, "addresses")),
        }
    for b in nodes_of_type(G, "BaseMission"):
        core[b] = {"levels": set(),
                   "departments": set(P.sources(G, b, "base_mission")) | set(P.responsible(G, b)),
                   "risk_factors": set(P.targets(G, b, "addresses"))}
    out: dict[str, dict[str, list[str]]] = {}
    for n, data in G.nodes(data=True):
        typ = data.get("type")
        if n in core:
            f = core[n]
        else:
            f = {"levels": set(), "departments": set(), "risk_factors": set()}
            if typ == "PreventionLevel":
                f["levels"].add(n)
            elif typ == "Department":
                f["departments"].add(n)
            elif typ == "RiskFactor":
                f["risk_factors"].add(n)
            elif typ == "CollaborationForum":
                f["departments"].update(m for m in P.sources(G, n, "member_of") if G.nodes[m]["type"] == "Department")
            elif typ == "BudgetAllocation":
                f["departments"].update(P.sources(G, n, "budget_allocation"))
            for m in _related(G, n):
                if m in core:
                    for key in f:
                        f[key] |= core[m][key]
        out[n] = {key: sorted(values) for key, values in f.items()}
    if getattr(G, "frozen", False):
        _FACETS[G] = out
    return out


def _plan_label(extras: dict, plan: str) -> str:
    """A plan's name (municipality: title) from :func:`read_extras`, or its id when unknown."""
    from uvts.graph.plans import plan_graph

    return extras.get(plan_graph(plan), {}).get("plan_label", plan)


def _plans_in(G) -> set[str]:
    return {p for _, plans in G.nodes(data="plans") for p in (plans or ())}


def _evidence_text(G, u, v) -> str | None:
    """The plan's justification of the link ``u`` addresses ``v``: "Psykisk ohälsa — rad 2161-2163: …"."""
    edge = G.get_edge_data(u, v, key="addresses") or {}
    if not edge.get("evidence_lines"):
        return None
    return f"{_label(G, v)} — rad {edge['evidence_lines']}: {edge.get('evidence') or ''}".rstrip(": ")


def _evidence_rows(G, n) -> list[str]:
    rfs = sorted(P.targets(G, n, "addresses"), key=lambda x: (_label(G, x).casefold(), x))
    return [t for t in (_evidence_text(G, n, r) for r in rfs) if t]


def _addresses_info(G, u, v) -> dict | None:
    """The tooltip of an ``addresses`` edge that has its own evidence."""
    text = _evidence_text(G, u, v)
    if text is None:
        return None
    return {"head": "Koppling", "name": RELATION_LABELS["addresses"],
            "rows": [["Från", _label(G, u)], ["Till", _label(G, v)], ["Enligt planen", text]]}


def _details(G, n, extras: dict, many_plans: bool) -> list[list]:
    """The rows of a node's tooltip: ``[[Swedish field name, text or list of texts], …]``."""
    d = G.nodes[n]
    typ = d["type"]
    rows: list[list] = []

    def add(field, value):
        if value is None or value == "" or value == []:
            return
        rows.append([field, value if isinstance(value, list) else str(value)])

    if typ == "Intervention":
        if d.get("title") and d["title"] != d["label"]:
            add("Titel", d["title"])
        add("Ansvarig förvaltning", _sorted_labels(G, P.responsible(G, n)))
        add("Riskfaktorer", _sorted_labels(G, P.targets(G, n, "addresses")))
        add("Kopplingen enligt planen", _evidence_rows(G, n))
        levels = [_label(G, x) for x in P.levels(G) if x in set(P.targets(G, n, "prevention_level"))]
        add("Preventionsnivå", levels or "ingen nivå (inte relevant enligt planen)")
        add("Medverkande", _sorted_labels(G, P.involved(G, n)))
        add("Platser", _sorted_labels(G, P.targets(G, n, "location")))
        add("Målgrupp", d.get("target_group"))
        rng = P.age_range(G, n)
        if rng:
            add("Ålder", f"{rng[0]}–{rng[1]} år" if rng[1] < 200 else f"från {rng[0]} år")
        add("När", d.get("timing"))
        add("Beskrivning", d.get("description"))
        add("Mål", list(d.get("goals") or []))
        add("Uppföljning", list(d.get("follow_ups") or []))
        add("Samma aktivitet som", _sorted_labels(G, set(P.targets(G, n, "same_activity_as"))
                                                  | set(P.sources(G, n, "same_activity_as"))))
        add("Andra kopplingar", _sorted_labels(G, P.targets(G, n, "other_link")))
        add("Finansieras av", _sorted_labels(G, P.sources(G, n, "funds")))
    elif typ == "BaseMission":
        add("Förvaltning", _sorted_labels(G, set(P.sources(G, n, "base_mission")) | set(P.responsible(G, n))))
        add("Riskfaktorer", _sorted_labels(G, P.targets(G, n, "addresses")))
        add("Kopplingen enligt planen", _evidence_rows(G, n))
        add("Beskrivning", d.get("description"))
    elif typ == "RiskFactor":
        add("Definition", extras.get(n, {}).get("definition"))
        ivs = [i for i in P.sources(G, n, "addresses") if G.nodes[i]["type"] == "Intervention"]
        add("Insatser", plural(len(ivs), "insats arbetar", "insatser arbetar") + " mot riskfaktorn")
    elif typ == "PreventionLevel":
        ivs = P.sources(G, n, "prevention_level")
        add("Insatser", plural(len(ivs), "insats", "insatser") + " på nivån")
    elif typ == "Department":
        if d.get("budget_addition") is not None:
            add("Budgettillskott (UVTS)", _sek(d["budget_addition"]))
        own = [i for i in P.sources(G, n, "responsible_department") if G.nodes[i]["type"] == "Intervention"]
        inv = [i for i in P.sources(G, n, "involves") if G.nodes[i]["type"] == "Intervention"]
        add("Ansvarig för", plural(len(own), "insats", "insatser"))
        add("Medverkar i", plural(len(inv), "annan förvaltnings insats", "andra förvaltningars insatser") if inv else None)
        add("Forum", _sorted_labels(G, P.targets(G, n, "member_of")))
    elif typ == "ExternalActor":
        add("Kategori", CATEGORY_LABELS.get(d.get("category"), d.get("category")))
        inv = [i for i in P.sources(G, n, "involves") if G.nodes[i]["type"] == "Intervention"]
        add("Medverkar i", plural(len(inv), "insats", "insatser"))
        add("Forum", _sorted_labels(G, P.targets(G, n, "member_of")))
    elif typ == "CollaborationForum":
        add("Fullständigt namn", d.get("acronym_expansion"))
        add("Syfte", d.get("purpose"))
        add("Roll i arbetet", d.get("role"))
        add("Medlemmar", _sorted_labels(G, P.sources(G, n, "member_of")))
        inv = [i for i in P.sources(G, n, "involves") if G.nodes[i]["type"] == "Intervention"]
        add("Insatser", plural(len(inv), "insats involverar", "insatser involverar") + " forumet" if inv else None)
    elif typ == "Place":
        add("Slag", PLACE_KINDS.get(d.get("place_kind"), d.get("place_kind")))
        if d.get("priority_area"):
            add("Prioriterat område", "ja")
        if d.get("focus_period"):
            add("Fokusområde", f"under perioden {d['focus_period'].replace('-', '–')}")
        add("Insatser", _sorted_labels(G, P.sources(G, n, "location")))
    elif typ == "BudgetAllocation":
        if d.get("amount") is not None:
            add("Belopp", _sek(d["amount"]))
        add("Syfte", d.get("purpose"))
        add("Finansierar", _sorted_labels(G, P.targets(G, n, "funds")))
    elif typ == "OtherLink":
        ivs = P.sources(G, n, "other_link")
        add("Insatser", plural(len(ivs), "insats", "insatser"))
    if many_plans:
        add("Plan", [_plan_label(extras, p) for p in d.get("plans") or []])
    extra = extras.get(n, {})
    if extra.get("source_lines"):
        add("Källa", f"rad {extra['source_lines']} i planens text"
            if "-" not in extra["source_lines"] and "," not in extra["source_lines"]
            else f"rader {extra['source_lines']} i planens text")
    add("Anteckning", list(extra.get("notes") or []))
    return rows


# --- the views ------------------------------------------------------------------------------------


# one line under a view's link on the index pages: what the view answers
VIEW_NOTES = {
    "network": "Hela planen på en bild: riskfaktorer, förvaltningar, insatser, nivåer, parter och forum.",
    "forums": "Vilka förvaltningar och aktörer som sitter i vilka forum.",
    "overlap": "Insatser som liknar varandra och forum med flera gemensamma medlemmar.",
    "key-actors": "Vilka aktörer som binder ihop samverkan, och vilka grupper som samverkar mest.",
}
GROUP_NOTES = {
    "Riskfaktorer": "Vem arbetar mot riskfaktorn, på vilken nivå och med vilka parter.",
    "Förvaltningar": "Förvaltningens insatser, parter, riskfaktorer, forum och budget.",
    "Externa aktörer": "Aktörens insatser och forum, och vilka förvaltningar den arbetar med.",
}


def view_names(G) -> list[tuple[str, str]]:
    """Every view of ``G`` as ``(name, Swedish title)``, in the order of the index page."""
    out = [("network", "Hela nätverket")]
    for rf in nodes_of_type(G, "RiskFactor"):
        out.append((f"risk-factor-{ns.slug_of(rf)}", f"Riskfaktor: {_label(G, rf)}"))
    for d in nodes_of_type(G, "Department"):
        out.append((f"department-{ns.slug_of(d)}", f"Förvaltning: {_label(G, d)}"))
    for a in nodes_of_type(G, "ExternalActor"):
        out.append((f"actor-{ns.slug_of(a)}", f"Extern aktör: {_label(G, a)}"))
    out.append(("forums", "Samverkansforum och deras medlemmar"))
    out.append(("overlap", "Överlapp: insatser och forum som liknar varandra"))
    out.append(("key-actors", "Nyckelaktörer: brobyggare och grupper"))
    return out


def _resolve(G, name: str) -> tuple[str, str | None]:
    """``(kind, focus node or None)`` of a view name; KeyError (Swedish) when there is no such view."""
    for kind, (prefix, typ) in VIEW_KINDS.items():
        if typ is None:
            if name == prefix:
                return kind, None
        elif name.startswith(prefix):
            slug = name[len(prefix):]
            segment = {"RiskFactor": "risk-factor", "Department": "department", "ExternalActor": "actor"}[typ]
            node = f"{ns.ID}{segment}/{slug}"
            if node in G and G.nodes[node].get("type") == typ:
                return kind, node
    raise KeyError(f"det finns ingen vy som heter '{name}'")


def _result(results, name: str, G, seed: int) -> dict:
    if results and name in results:
        return results[name]
    from uvts.graph.analyses import run

    return run(name, G, seed=seed)


def _select(G, kind: str, focus: str | None) -> set[str]:
    """The nodes of a view drawn from the typed graph (not the overlap or key-actor views)."""
    if kind == "network":
        return set(G)
    if kind == "forums":
        out = set(nodes_of_type(G, "CollaborationForum"))
        for f in list(out):
            out.update(P.sources(G, f, "member_of"))
        return out
    if kind == "risk-factor":
        cores = [c for c in P.sources(G, focus, "addresses") if G.nodes[c]["type"] in CORE_TYPES]
        out = {focus, *cores}
        for c in cores:
            out.update(P.targets(G, c, "prevention_level"))
            out.update(P.responsible(G, c))
            out.update(P.involved(G, c))
            out.update(P.sources(G, c, "base_mission"))
        return out
    if kind == "department":
        ivs = [i for i in set(P.sources(G, focus, "responsible_department")) | set(P.sources(G, focus, "involves"))
               if G.nodes[i]["type"] in CORE_TYPES]
        ivs += P.targets(G, focus, "base_mission")
        out = {focus, *ivs}
        for i in ivs:
            out.update(P.targets(G, i, "addresses"))
            out.update(P.targets(G, i, "prevention_level"))
            out.update(P.responsible(G, i))
            out.update(P.involved(G, i))
            out.update(P.targets(G, i, "location"))
        out.update(P.targets(G, focus, "member_of"))
        for b in P.targets(G, focus, "budget_allocation"):
            out.add(b)
        return out
    if kind == "actor":
        ivs = [i for i in P.sources(G, focus, "involves") if G.nodes[i]["type"] in CORE_TYPES]
        out = {focus, *ivs}
        for i in ivs:
            out.update(P.targets(G, i, "addresses"))
            out.update(P.targets(G, i, "prevention_level"))
            out.update(P.responsible(G, i))
        for f in P.targets(G, focus, "member_of"):
            out.add(f)
            out.update(P.sources(G, f, "member_of"))
        return out
    raise KeyError(kind)


def _induced_edges(G, nodes: set[str]) -> list[tuple[str, str, str]]:
    """The typed graph's edges between ``nodes``: ``(from, to, relation)``, sorted, with the
    symmetric ``same_activity_as`` once per pair."""
    out = set()
    for u in nodes:
        for v, keys in G._succ[u].items():
            if v not in nodes:
                continue
            for rel in keys:
                if rel == "same_activity_as":
                    a, b = sorted((u, v))
                    out.add((a, b, rel))
                else:
                    out.add((u, v, rel))
    return sorted(out)


def _size(value: float, top: float) -> float:
    """Node size: the area grows with ``value`` (``top`` gets the largest size)."""
    if top <= 0 or value <= 0:
        return _MIN_SIZE
    return round(_MIN_SIZE + (_MAX_SIZE - _MIN_SIZE) * math.sqrt(value / top), 2)


def _node(G, n, extras, many_plans, facets, size, colour=None, extra_rows=()) -> dict:
    from pyvis.node import Node

    typ = G.nodes[n]["type"]
    base, shape, dashed = TYPE_STYLE.get(typ, ("#cccccc", "dot", False))
    fill = colour or base
    border = _darker(base if colour else fill)
    options = {
        "color": {"background": fill, "border": border,
                  "highlight": {"background": fill, "border": "#222222"},
                  "hover": {"background": fill, "border": "#222222"}},
        "size": size,
        "borderWidth": 2 if (dashed or colour) else 1,
        "kind": typ,
        "name": G.nodes[n]["label"],
        "core": typ in CORE_TYPES,
        "facets": facets[n],
        "info": {"head": TYPE_LABELS.get(typ, typ), "name": G.nodes[n]["label"],
                 "rows": list(extra_rows) + _details(G, n, extras, many_plans)},
    }
    if dashed:
        options["shapeProperties"] = {"borderDashes": [4, 3]}
    if typ == "Intervention":  # follow-up hook: the latest status, for view_status.js (visualisations/follow_up.py)
        from .follow_up import node_status

        st = node_status(G, n)
        options.update(st)
        options["info"]["rows"].append(["Senaste uppföljning", st["status_label"]])
    return Node(n, shape, label=_short_label(G.nodes[n]["label"]), **options).options


def _darker(hex_colour: str, factor: float = 0.7) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[k:k + 2], 16) for k in (0, 2, 4))
    return "#{:02x}{:02x}{:02x}".format(int(r * factor), int(g * factor), int(b * factor))


def _edge(k: int, u: str, v: str, rel: str, **extra) -> dict:
    from pyvis.edge import Edge

    colour, dashes, width, directed = RELATION_STYLE.get(rel, ("#9aa5b1", None, 1.0, True))
    options = {"id": f"e{k}", "rel": rel,
               "color": {"color": colour, "highlight": "#111111", "hover": "#111111", "opacity": 0.85},
               "width": width, **extra}
    if dashes and "dashes" not in extra:
        options["dashes"] = dashes
    if not directed:
        options["arrows"] = {"to": {"enabled": False}}
    return Edge(u, v, directed, **options).options


def _legend_relations(edges: list[dict]) -> list[dict]:
    """The link legend: one entry per relation drawn in the view, with its colour, dashes and width."""
    counts: dict[str, int] = {}
    for e in edges:
        counts[e["rel"]] = counts.get(e["rel"], 0) + 1
    out = []
    for rel in RELATION_ORDER:
        if rel in counts:
            colour, dashes, width, directed = RELATION_STYLE[rel]
            out.append({"rel": rel, "label": RELATION_LABELS[rel], "colour": colour, "width": width,
                        "dasharray": " ".join(str(x) for x in dashes) if dashes else "", "arrow": directed,
                        "count": counts[rel]})
    return out


def _legend_types(nodes: list[dict]) -> list[dict]:
    counts: dict[str, int] = {}
    for n in nodes:
        counts[n["kind"]] = counts.get(n["kind"], 0) + 1
    return [{"type": t, "label": TYPE_LABELS.get(t, t), "colour": TYPE_STYLE[t][0], "border": _darker(TYPE_STYLE[t][0]),
             "shape": TYPE_STYLE[t][1], "dashed": TYPE_STYLE[t][2], "count": counts[t]}
            for t in TYPE_ORDER if t in counts]


def _filter_options(G, nodes: list[dict], extras: dict | None = None) -> dict[str, list[dict]]:
    seen = {"levels": set(), "departments": set(), "risk_factors": set()}
    for n in nodes:
        for key in seen:
            seen[key].update(n["facets"][key])
    out = {}
    for key, iris in seen.items():
        labels = [(iri, _label(G, iri)) for iri in iris if iri in G]
        if key == "levels":
            order = {lv: k for k, lv in enumerate(P.levels(G))}
            labels.sort(key=lambda x: (order.get(x[0], 99), x[1].casefold(), x[0]))
        else:
            labels.sort(key=lambda x: (x[1].casefold(), x[0]))
        counts: dict[str, int] = {}
        for _, lab in labels:
            counts[lab] = counts.get(lab, 0) + 1
        out[key] = [{"value": iri, "label": lab if counts[lab] == 1 else
                     f"{lab} ({_plan_label(extras or {}, P.plan_of(G, iri)) if P.plan_of(G, iri) else ns.slug_of(iri)})"}
                    for iri, lab in labels]
    return out


def view_data(name: str, G, results: dict | None = None, extras: dict | None = None, seed: int = 0,
              page_href=None) -> dict:
    """The data of one view: what :func:`render_view` draws, as plain JSON-ready data.

    ``results`` are the analyses' results (:func:`uvts.graph.analyses.run_all`); the overlap
    and key-actor views run the analysis they need when it is missing. ``extras`` come from
    :func:`read_extras`. ``seed`` fixes the layout (vis-network's ``randomSeed``) and the
    communities of the key-actor view. Raises :class:`KeyError` for an unknown view.

    ``page_href(iri, node_type)`` gives the address of a node's own page (or ``None``); the
    details panel links to it. Without it (standalone files) there is no such link.

    Returns ``{"name", "title", "description", "size_measure", "edge_note", "nodes",
    "edges", "legend", "hidden_types", "method", "filters", "options", "seed"}``.

    ``nodes`` and ``edges`` are vis-network items made by pyvis. Each node also carries
    ``kind`` (its type), ``name`` (whole label), ``core``, ``facets`` (what the filters
    test), ``rank`` and ``labelPx`` (label importance and size on screen), ``href`` (its page
    or ``None``) and ``info``; each edge ``rel`` (its relation) and, when it has more to say
    than its two ends, ``info``. ``info`` is the tooltip and details panel:
    ``{"head": type, "name": name, "rows": [[Swedish field, text or list of texts], …]}`` —
    to show something more on a node or link, add a row. ``legend`` has ``types``,
    ``relations`` (colour, dash pattern and width of each relation drawn) and ``colours``
    (groups); ``hidden_types`` are the types unchecked at first; ``method`` ``[[heading,
    text], …]`` the "how it is computed" fold; ``options`` vis-network's options.
    """
    extras = extras or {}
    kind, focus = _resolve(G, name)
    title = dict(view_names(G))[name]
    many_plans = len(_plans_in(G)) > 1
    facets = _facets(G)
    colours: list[dict] = []
    method: list[list[str]] = []
    edge_note = None
    if kind == "overlap":
        nodes, edges, description, size_measure, edge_note, method = _overlap(
            G, _result(results, "overlap", G, seed), extras, many_plans, facets)
    elif kind == "key-actors":
        nodes, edges, description, size_measure, edge_note, colours, method = _key_actors(
            G, _result(results, "actors", G, seed), extras, many_plans, facets)
    else:
        selected = _select(G, kind, focus)
        links = _induced_edges(G, selected)
        degree = dict.fromkeys(selected, 0)
        for u, v, _ in links:
            degree[u] += 1
            degree[v] += 1
        top = max(degree.values(), default=0)
        order = sorted(selected, key=lambda n: (TYPE_ORDER.index(G.nodes[n]["type"]), G.nodes[n]["label"].casefold(), n))
        nodes = [_node(G, n, extras, many_plans, facets, _size(degree[n], top),
                       extra_rows=[["Kopplingar i vyn", str(degree[n])]]) for n in order]
        edges = [_edge(k, u, v, rel, **({"info": info} if rel == "addresses" and (info := _addresses_info(G, u, v))
                                        else {}))
                 for k, (u, v, rel) in enumerate(links)]
        size_measure = "Storlek: antal kopplingar i vyn (grad); ytan växer med antalet."
        description = _description(G, kind, focus)
        if focus is not None and selected == {focus}:
            description += " Planen kopplar den inte till någon insats eller något forum."
        edge_note = "Linjer: planens kopplingar, med färg och streck efter slag (se ovan); peka på en linje för detaljer."
    _importance(nodes, edges, min_sizes=kind not in ("overlap", "key-actors"))
    for n in nodes:
        if n["id"] == focus:  # the node the view is about: a thick dark border
            n["borderWidth"] = 4
            n["color"] = {**n["color"], "border": "#1f2933"}
    for n in nodes:
        n["href"] = page_href(n["id"], n["kind"]) if page_href is not None else None
    positions = _layout_with_hidden(nodes, edges, DEFAULT_HIDDEN.get(kind, ()), seed)
    for n in nodes:
        n["x"], n["y"] = positions[n["id"]]
    from pyvis.network import Network

    net = Network(directed=True)
    # Prepared lists, not add_node/add_edge: those scan every node and edge added so far.
    net.nodes = nodes
    net.node_ids = [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    net.edges = edges
    spring = round(min(max(_median_link(positions, [(e["from"], e["to"]) for e in edges]), SPRING_LENGTH), 400))
    _physics(net, len(nodes), spring)
    nodes, edges, _heading, _height, _width, options_json = net.get_network_data()
    import json

    options = _options(json.loads(options_json), len(nodes), len(edges), seed)
    return {
        "name": name, "title": title, "kind": kind, "focus": focus, "description": description,
        "size_measure": size_measure, "edge_note": edge_note,
        "nodes": nodes, "edges": edges,
        "legend": {"types": _legend_types(nodes), "colours": colours, "relations": _legend_relations(edges)},
        "hidden_types": [t for t in DEFAULT_HIDDEN.get(kind, ()) if any(n["kind"] == t for n in nodes)],
        "method": method,
        "filters": _filter_options(G, nodes, extras),
        "relations": RELATION_LABELS, "relation_text": RELATION_TEXT,
        "options": options, "seed": seed,
    }


def _importance(nodes: list[dict], edges: list[dict], min_sizes: bool = True) -> None:
    """Give each node ``rank`` (type importance, then links in the view) and ``labelPx``
    (label size on screen): view.js shows the labels of the highest ranks first and hides a
    label that would overlap one already shown. With ``min_sizes`` (views whose size is the
    number of links, not an analysis's measure) risk factors, departments and levels are
    never smaller than :data:`TYPE_MIN_SIZE`."""
    degree: dict[str, int] = {}
    for e in edges:
        degree[e["from"]] = degree.get(e["from"], 0) + 1
        degree[e["to"]] = degree.get(e["to"], 0) + 1
    for n in nodes:
        level, px = TYPE_IMPORTANCE.get(n["kind"], (0, 12))
        n["rank"] = level * 1000 + min(degree.get(n["id"], 0), 999)
        n["labelPx"] = px
        if min_sizes and n["kind"] in TYPE_MIN_SIZE:
            n["size"] = max(n["size"], TYPE_MIN_SIZE[n["kind"]])


def _description(G, kind: str, focus: str | None) -> str:
    if kind == "network":
        return ("Hela planen: riskfaktorer, förvaltningar och insatser, med preventionsnivåer, externa aktörer och "
                "samverkansforum. Platser, budgetposter och andra kopplingar är dolda tills du kryssar i dem under Typ.")
    if kind == "forums":
        return "Samverkansforumen och de förvaltningar och externa aktörer som planen namnger som medlemmar."
    label = _label(G, focus)
    if kind == "risk-factor":
        return (f"Vem arbetar mot {label.lower()}: insatserna (och grunduppdragen) som planen kopplar till "
                f"riskfaktorn, på vilken preventionsnivå, med ansvarig förvaltning och medverkande parter.")
    if kind == "department":
        return (f"{label}: insatserna förvaltningen ansvarar för eller medverkar i, deras riskfaktorer, "
                f"preventionsnivåer, parter och platser, förvaltningens grunduppdrag, budgetposter och forum.")
    return (f"{label}: insatserna aktören medverkar i, med riskfaktorer, preventionsnivåer och ansvariga "
            f"förvaltningar, och forumen aktören är medlem i med deras övriga medlemmar.")


def _overlap(G, res: dict, extras, many_plans, facets):
    from uvts.graph.analyses import find_table

    pairs = find_table(res, "intervention_pairs")
    fpairs = find_table(res, "forum_pairs")
    # a forum pair is drawn only when the forums share at least two named members: one shared
    # member (often Grundskolan) says little, and 38 such pairs made the forum half a web of lines
    forum_rows = [p for p in fpairs["rows"] if len(p.get("shared") or ()) >= MIN_SHARED_MEMBERS]
    left_out = len(fpairs["rows"]) - len(forum_rows)
    count: dict[str, int] = {}
    for p in pairs["rows"] + forum_rows:
        for x in (p["a"], p["b"]):
            count[x] = count.get(x, 0) + 1
    members = {x for x in count if x in G}
    depts = {d for i in members if G.nodes[i]["type"] == "Intervention" for d in P.responsible(G, i)}
    top = max(count.values(), default=0)
    order = sorted(members | depts, key=lambda n: (TYPE_ORDER.index(G.nodes[n]["type"]), G.nodes[n]["label"].casefold(), n))
    nodes = [_node(G, n, extras, many_plans, facets, _size(count.get(n, 0), top),
                   extra_rows=[["Flaggade par", str(count.get(n, 0))]]) for n in order]
    edges = []
    for p in pairs["rows"]:
        if p["a"] not in G or p["b"] not in G:
            continue
        rows = [["Poäng", _number(p["score"])]] + [[pairs["reason_labels"].get(r["kind"], r["kind"]).capitalize(),
                                                     r["description"]] for r in p["reasons"]]
        edges.append(_edge(len(edges), p["a"], p["b"], "overlap", width=round(1 + 7 * p["score"], 2),
                           info={"head": "Insatser som kan överlappa",
                                 "name": f"{_label(G, p['a'])} – {_label(G, p['b'])}", "rows": rows}))
    for p in forum_rows:
        if p["a"] not in G or p["b"] not in G:
            continue
        rows = [["Andel gemensamma medlemmar", f"{round(100 * p['score'])} %"], ["Beskrivning", p["description"]],
                ["Gemensamma medlemmar", _sorted_labels(G, p["shared"])]]
        edges.append(_edge(len(edges), p["a"], p["b"], "forum_overlap", width=round(1 + 3 * p["score"], 2),
                           info={"head": "Forum med överlappande medlemmar",
                                 "name": f"{_label(G, p['a'])} – {_label(G, p['b'])}", "rows": rows}))
    for i in sorted(members):
        if G.nodes[i]["type"] == "Intervention":
            for d in P.responsible(G, i):
                edges.append(_edge(len(edges), i, d, "responsible_department"))
    description = ("Insatser i olika förvaltningar som liknar varandra och kan behöva samordnas, och forum som "
                   "har flera medlemmar gemensamt. Likheten bygger på riskfaktorer, nivåer, platser, målgrupp, "
                   "parter och ordval i titel och beskrivning.")
    if left_out:
        description += (f" {plural(left_out, 'forumpar', 'forumpar')} med bara en gemensam medlem visas inte.")
    size_measure = "Storlek: antal par som noden ingår i."
    edge_note = ("Röd heldragen linje: insatser som kan överlappa, tjockare ju mer lika. Gul heldragen linje: forum "
                 "med minst två gemensamma medlemmar, tjockare ju större andel av medlemmarna de delar. Grön linje: "
                 "ansvarig förvaltning. Peka på eller välj en linje för att se skälen.")
    method = [["Så räknas likheten mellan insatser", pairs["explanation"]],
              ["Så jämförs forum", fpairs["explanation"] + f" I kartan visas bara par med minst "
                                                           f"{MIN_SHARED_MEMBERS} gemensamma medlemmar."]]
    return nodes, edges, description, size_measure, edge_note, method


MIN_SHARED_MEMBERS = 2


def _key_actors(G, res: dict, extras, many_plans, facets):
    from uvts.graph.analyses import find_table
    from uvts.graph.project import collaboration_graph

    cent = {r["actor"]: r for r in find_table(res, "centrality")["rows"]}
    comms = find_table(res, "communities")["rows"]
    member = {a: c["community"] for c in comms for a in c["members"]}
    C = collaboration_graph(G)
    actors = [a for a in C if a in G]
    top = max((cent.get(a, {}).get("betweenness", 0.0) for a in actors), default=0.0)
    order = sorted(actors, key=lambda n: (TYPE_ORDER.index(G.nodes[n]["type"]), G.nodes[n]["label"].casefold(), n))
    nodes = []
    for a in order:
        c = cent.get(a, {})
        k = member.get(a)
        rows = [["Brobyggare (mått)", _number(c.get("betweenness", 0.0))],
                ["Andel aktörer den samverkar med", f"{round(100 * c.get('degree', 0.0))} %"],
                ["Grupp", str(k + 1) if k is not None else "–"]]
        nodes.append(_node(G, a, extras, many_plans, facets, _size(c.get("betweenness", 0.0), top),
                           colour=COMMUNITY_COLOURS[k % len(COMMUNITY_COLOURS)] if k is not None else "#cccccc",
                           extra_rows=rows))
    edges = []
    for u, v, data in sorted(C.edges(data=True), key=lambda e: (min(e[0], e[1]), max(e[0], e[1]))):
        a, b = sorted((u, v))
        w = data.get("weight", 1)
        rows = [["Gemensamma insatser och forum", str(w)], ["Gemensamma insatser", _sorted_labels(G, data.get("interventions", []))],
                ["Gemensamma forum", _sorted_labels(G, data.get("forums", []))]]
        edges.append(_edge(len(edges), a, b, "collaboration", width=round(min(1 + math.log2(w) * 1.5, 8), 2),
                           info={"head": "Samverkan", "name": f"{_label(G, a)} – {_label(G, b)}",
                                 "rows": [r for r in rows if r[1]]}))
    colours = []
    for c in comms:
        k = c["community"]
        names = _sorted_labels(G, c["members"])
        colours.append({"colour": COMMUNITY_COLOURS[k % len(COMMUNITY_COLOURS)],
                        "border": _darker(COMMUNITY_COLOURS[k % len(COMMUNITY_COLOURS)]),
                        "label": f"Grupp {k + 1} ({plural(c['size'], 'aktör', 'aktörer')})" + (f": {', '.join(names[:3])}"
                                                                          + (" …" if len(names) > 3 else "")
                                                                          if names else "")})
    description = ("Vilka förvaltningar och externa aktörer som binder ihop samverkan: två aktörer är länkade när "
                   "de arbetar i samma insats eller sitter i samma forum. De största noderna är brobyggare, som "
                   "ofta ligger på vägen mellan andra aktörer; färgen visar grupper som samverkar mest inbördes.")
    size_measure = "Storlek: hur mycket aktören är brobyggare; ytan växer med värdet. Färg: grupp."
    method = [["Så räknas det", res["explanation"] + " " + find_table(res, "centrality")["explanation"]
               + " Grupperna hittas med Louvainmetoden."],
              ["Ordlista", "Brobyggare = mellanhetscentralitet (betweenness). Andel aktörer den samverkar med = "
                           "gradcentralitet. Grupp = gemenskap (community) enligt Louvain."]]
    edge_note = ("Linjer: två aktörer deltar i samma insats eller är medlemmar i samma forum; tjockare ju fler "
                 "gemensamma insatser och forum.")
    return nodes, edges, description, size_measure, edge_note, colours, method


# --- layout, physics and options ------------------------------------------------------------------

# The start layout gives each node about NODE_SPACING² pixels of room; vis-network's springs
# then aim at the layout's median link length (at least SPRING_LENGTH), so that the physics
# only polishes the start layout.
NODE_SPACING = 60
SPRING_LENGTH = 90
LAYOUT_ITERATIONS = 50
_LAYOUT_FULL_UP_TO = 2500  # nodes that get every layout step
_LAYOUT_BLOCK_CELLS = 4_000_000  # pairs per block of the repulsion step (16 MB per float32 array)


def _layout(ids: list[str], links: list[tuple[str, str]], seed: int = 0,
            iterations: int = LAYOUT_ITERATIONS) -> dict[str, tuple[float, float]]:
    """A seeded force-directed start layout (Fruchterman–Reingold with a weak pull to the centre).

    Computed here, with numpy, rather than left to vis-network: the same ``seed`` gives the
    same picture in every browser, and the page only has to polish it for a few physics
    steps instead of settling a random start (vis-network's Barnes–Hut step costs about as
    much for a few hundred nodes as this whole layout). Returns ``{id: (x, y)}`` in pixels,
    scaled so that each node has about :data:`NODE_SPACING` pixels squared of room.
    """
    import numpy as np

    n = len(ids)
    if n == 0:
        return {}
    index = {node: k for k, node in enumerate(ids)}
    pairs = sorted({(min(index[u], index[v]), max(index[u], index[v])) for u, v in links
                    if u in index and v in index and u != v})
    I = np.array([a for a, _ in pairs], dtype=np.int64)
    J = np.array([b for _, b in pairs], dtype=np.int64)
    rng = np.random.default_rng(seed)
    pos = (rng.random((n, 2)) - 0.5).astype(np.float32)
    k = np.float32(1.0 / math.sqrt(n))
    k2 = k * k
    gravity = np.float32(0.02 * n)
    step = 0.1
    cool = step / (iterations + 1)
    # every pair repels: O(n²) per step, done in blocks of rows so memory stays O(block × n);
    # a graph far larger than a plan gets fewer steps (the page then polishes a rougher start)
    if n > _LAYOUT_FULL_UP_TO:
        iterations = max(10, int(iterations * (_LAYOUT_FULL_UP_TO / n) ** 2))
    block = max(1, _LAYOUT_BLOCK_CELLS // n)
    for _ in range(iterations if n > 1 else 0):
        x, y = pos[:, 0], pos[:, 1]
        disp = np.empty_like(pos)
        for start in range(0, n, block):
            stop = min(start + block, n)
            dx = x[start:stop, None] - x[None, :]
            dy = y[start:stop, None] - y[None, :]
            inv = dx * dx + dy * dy
            np.maximum(inv, np.float32(1e-6), out=inv)
            np.divide(k2, inv, out=inv)  # repulsion k²/d along the unit vector: delta · k²/d²
            disp[start:stop, 0] = (dx * inv).sum(1)
            disp[start:stop, 1] = (dy * inv).sum(1)
        if len(I):
            d = pos[I] - pos[J]
            f = d * (np.sqrt((d * d).sum(1)) / k)[:, None]  # attraction d²/k
            np.add.at(disp, I, -f)
            np.add.at(disp, J, f)
        disp -= pos * gravity
        length = np.sqrt((disp * disp).sum(1))
        np.maximum(length, np.float32(1e-9), out=length)
        pos += disp * (np.minimum(length, np.float32(step)) / length)[:, None]
        step -= cool
    pos = pos - pos.mean(0)
    rms = float(np.sqrt((pos * pos).sum(1).mean()))
    # about NODE_SPACING² of area per node (for a disc of radius R, the rms radius is R/√2)
    target = NODE_SPACING * math.sqrt(n / (2 * math.pi))
    pos = pos * (target / rms if rms > 0 else 1.0)
    return {node: (round(float(pos[k_][0]), 1), round(float(pos[k_][1]), 1)) for node, k_ in index.items()}


def _layout_with_hidden(nodes: list[dict], edges: list[dict], hidden_types, seed: int) -> dict:
    """The start layout of the nodes shown at first; a node of a type hidden at first is put
    beside the nodes it links to (so it does not leave a hole in the picture it is not part of)."""
    hidden = {n["id"] for n in nodes if n["kind"] in set(hidden_types)}
    shown = [n["id"] for n in nodes if n["id"] not in hidden]
    positions = _layout(shown, [(e["from"], e["to"]) for e in edges
                                if e["from"] not in hidden and e["to"] not in hidden], seed=seed)
    if not hidden:
        return positions
    near: dict[str, list] = {}
    for e in edges:
        for a, b in ((e["from"], e["to"]), (e["to"], e["from"])):
            if a in hidden and b in positions:
                near.setdefault(a, []).append(positions[b])
    for k, node in enumerate(sorted(hidden)):
        pts = near.get(node) or [(0.0, 0.0)]
        angle = 2.399963 * k  # golden angle: neighbours of one node spread around it
        x = sum(p[0] for p in pts) / len(pts) + 40 * math.cos(angle)
        y = sum(p[1] for p in pts) / len(pts) + 40 * math.sin(angle)
        positions[node] = (round(x, 1), round(y, 1))
    return positions


def _median_link(positions: dict, links) -> float:
    lengths = sorted(math.dist(positions[u], positions[v]) for u, v in links if u in positions and v in positions
                     and u != v)
    return lengths[len(lengths) // 2] if lengths else float(SPRING_LENGTH)



def _iterations(n_nodes: int) -> int:
    """Physics iterations that polish the start layout: 60 for a small view, fewer for a large
    one (each costs time in proportion to the number of nodes), at least 10."""
    return max(10, min(60, 9000 // max(n_nodes, 1)))


def _physics(net, n_nodes: int, spring_length: int) -> None:
    """Physics set through pyvis: forceAtlas2Based, springs as long as the start layout's links."""
    net.force_atlas_2based(gravity=-40, central_gravity=0.005, spring_length=spring_length, spring_strength=0.04,
                           damping=0.6, overlap=0.3 if n_nodes <= 400 else 0)
    net.toggle_stabilization(True)


def _options(options: dict, n_nodes: int, n_edges: int, seed: int) -> dict:
    physics = options.setdefault("physics", {})
    physics["enabled"] = n_nodes > 1
    physics["minVelocity"] = 1.5
    physics["maxVelocity"] = 30
    physics["timestep"] = 0.5
    physics["adaptiveTimestep"] = True
    physics["stabilization"] = {"enabled": True, "iterations": _iterations(n_nodes), "updateInterval": 25,
                                "fit": True, "onlyDynamicEdges": False}
    # every node has a start position (see _layout); the seed covers anything without one
    options["layout"] = {"randomSeed": seed, "improvedLayout": False}
    options["edges"] = {
        "smooth": False if n_edges > 400 else {"enabled": True, "type": "continuous", "roundness": 0.3},
        "color": {"color": "#9aa5b1", "highlight": "#333333", "hover": "#333333", "inherit": False},
        "arrows": {"to": {"enabled": True, "scaleFactor": 0.45}},
        "width": 1, "selectionWidth": 1.5, "hoverWidth": 1,
    }
    options["nodes"] = {"font": {"size": 13, "face": "system-ui, sans-serif", "color": "#1f2933",
                                 "strokeWidth": 3, "strokeColor": "#ffffff"},
                        # a large view shows its labels once zoomed in far enough to read them
                        "scaling": {"label": {"enabled": False, "drawThreshold": 5 if n_nodes <= 400 else 9}}}
    options["interaction"] = {"hover": True, "tooltipDelay": 120, "dragNodes": True, "navigationButtons": False,
                              "keyboard": False, "multiselect": False,
                              "hideEdgesOnDrag": n_edges > 1500, "hideEdgesOnZoom": n_edges > 1500}
    options["configure"] = {"enabled": False}
    return options


# --- pages ----------------------------------------------------------------------------------------


def render_view(name: str, G, results: dict | None = None, extras: dict | None = None, seed: int = 0,
                index_href: str | None = "index.html", page_href=None) -> str:
    """The whole HTML page of one view (a string; write it as UTF-8).

    The page needs nothing but itself: vis-network is inlined from the installed pyvis
    package, the data is a JSON block, tooltips and lists are built with ``textContent``,
    and a Content-Security-Policy allows only the page's own scripts and no connection.
    ``index_href`` is the link back to the list of views (``None``: no link); ``page_href``
    as in :func:`view_data`.
    """
    from . import _page

    return _page.render_view_page(view_data(name, G, results=results, extras=extras, seed=seed, page_href=page_href),
                                  index_href=index_href)


def render_index(G, href=lambda name: f"{name}.html", charts: list[tuple[str, str]] = (),
                 names: list[str] | None = None) -> str:
    """The index page listing every view of ``G`` (or only ``names``); ``href(name)`` gives each
    link, ``charts`` extra ``(href, title)`` links to static charts."""
    from . import _page

    groups = {"Översikt": [], "Riskfaktorer": [], "Förvaltningar": [], "Externa aktörer": []}
    for name, title in view_names(G):
        if names is not None and name not in names:
            continue
        key = ("Riskfaktorer" if name.startswith("risk-factor-") else "Förvaltningar" if name.startswith("department-")
               else "Externa aktörer" if name.startswith("actor-") else "Översikt")
        groups[key].append({"href": href(name), "title": title, "name": name, "note": VIEW_NOTES.get(name)})
    plans = sorted(_plans_in(G))
    return _page.render_index_page(groups, charts=list(charts), plans=plans, notes=GROUP_NOTES,
                                   counts={"nodes": G.number_of_nodes(), "edges": G.number_of_edges()})


def _charts_in(out_dir: Path) -> list[tuple[str, str]]:
    """Links to the static charts already in ``out_dir/charts`` (``uvts charts --out DIR/charts``),
    one per chart (SVG before PNG), titled as :mod:`uvts.visualisations.charts` titles them."""
    folder = out_dir / "charts"
    if not folder.is_dir():
        return []
    try:
        from .charts import CHART_TITLES
    except ImportError:  # pragma: no cover - the charts module is part of the package
        CHART_TITLES = {}
    preference = {".svg": 0, ".png": 1, ".html": 2, ".pdf": 3}
    best: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in preference and not p.name.startswith("."):
            if p.stem not in best or preference[p.suffix.lower()] < preference[best[p.stem].suffix.lower()]:
                best[p.stem] = p
    return [(f"charts/{p.name}", CHART_TITLES.get(stem, stem.replace("-", " ").capitalize()))
            for stem, p in sorted(best.items(), key=lambda x: (list(CHART_TITLES).index(x[0])
                                                               if x[0] in CHART_TITLES else 99, x[0]))]


def write_views(out_dir: str | Path, G, results: dict | None = None, extras: dict | None = None, seed: int = 0,
                names: list[str] | None = None) -> list[Path]:
    """Write every view (or the named ones) and ``index.html`` into ``out_dir``.

    Each file is written atomically (a reader sees the old or the whole new file) as UTF-8.
    The overlap and key-actor analyses are run once, when ``results`` lacks them. Returns the
    paths written, the index last.
    """
    from uvts.graph.analyses import run

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    all_names = [n for n, _ in view_names(G)]
    if names is not None:
        for n in names:
            _resolve(G, n)
    chosen = all_names if names is None else [n for n in all_names if n in set(names)]
    results = dict(results or {})
    for needed in ("overlap", "actors"):
        if needed not in results and (needed == "overlap" and "overlap" in chosen
                                      or needed == "actors" and "key-actors" in chosen):
            results[needed] = run(needed, G, seed=seed)
    written = []
    for name in chosen:
        path = out_dir / f"{name}.html"
        _write_text(path, render_view(name, G, results=results, extras=extras, seed=seed))
        written.append(path)
    index = out_dir / "index.html"
    _write_text(index, render_index(G, charts=_charts_in(out_dir), names=chosen))
    written.append(index)
    return written


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8, atomically: a reader sees the old file or the whole new one.
    The file is readable by all (0644), like a file the user saved, not private like the
    temporary file it starts as."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
