"""The catalogue that the REST resources and the pages share, and the saved-query helpers.

Everything static per process is computed once, lazily, per plan scope, in a
:class:`Catalog` (the typed graph, every resource's JSON, the search index, the
analyses); :class:`Catalogs` holds an app's catalogues. Also here: the resource kinds
(:data:`KINDS`), the plain-text plans (:class:`PlanTexts`), the interventions filter, and
saved queries run with checked parameters (for the REST API and the pages).
"""

from __future__ import annotations

import asyncio
import difflib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uvts.graph import namespaces as ns
from uvts.graph.project import TYPE_LABELS

from .errors import ApiError
from .models import DETAIL_MODELS, AnalysisResult, QueryResults, WhoWorksOn

__all__ = ["KINDS", "Kind", "Catalog", "Catalogs", "PlanTexts", "catalogs", "catalog_for", "resolve_filter",
           "filter_interventions", "run_saved_query", "saved_query_results", "LEVEL_ORDER", "ROLE_LABELS",
           "PLACE_KIND_LABELS"]

# --- resource kinds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of resource: its API collection, graph node type, IRI segment and page folder."""

    name: str          # API collection, e.g. "risk-factors"
    node_type: str     # typed-graph node type, e.g. "RiskFactor"
    segment: str       # IRI type segment, e.g. "risk-factor"
    page: str          # page folder, e.g. "riskfaktorer"
    singular: str      # Swedish, lower case
    plural: str        # Swedish, capitalised (page titles, navigation)


# The keys are the API collections that :data:`uvts.api.models.KindName` lists too.
KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("risk-factors", "RiskFactor", "risk-factor", "riskfaktorer", "riskfaktor", "Riskfaktorer"),
    Kind("prevention-levels", "PreventionLevel", "level", "nivaer", "preventionsnivå", "Preventionsnivåer"),
    Kind("departments", "Department", "department", "forvaltningar", "förvaltning", "Förvaltningar"),
    Kind("interventions", "Intervention", "intervention", "insatser", "insats", "Insatser"),
    Kind("actors", "ExternalActor", "actor", "aktorer", "extern aktör", "Externa aktörer"),
    Kind("forums", "CollaborationForum", "forum", "forum", "samverkansforum", "Samverkansforum"),
    Kind("places", "Place", "place", "platser", "plats", "Platser"),
    Kind("base-missions", "BaseMission", "base-mission", "grunduppdrag", "grunduppdrag", "Grunduppdrag"),
)}
_KIND_OF_TYPE = {k.node_type: k for k in KINDS.values()}

LEVEL_ORDER = ("universell", "selektiv", "indikerad")
ROLE_LABELS = {"ansvarig": "ansvarig", "medverkande": "medverkande"}
PLACE_KIND_LABELS = {"area": "område", "school": "skola", "building": "byggnad"}

# --- the plan texts -------------------------------------------------------------------------------------


class PlanTexts:
    """The plain-text plans of the data folders, read once each, when first needed.

    ``excerpt(plan, "2137-2204")`` is the exact text of those lines (like
    :meth:`uvts.graph.load.PlanData.source_excerpt`); ``numbered`` gives the lines with
    their numbers, and ``None`` between ranges.
    """

    def __init__(self, folders):
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self._paths: dict[str, Path] = {}
        for folder in folders:
            plan_file = Path(folder) / "plan.yaml"
            try:
                from uvts.graph.limits import MAX_YAML_BYTES

                if plan_file.stat().st_size > MAX_YAML_BYTES:  # bounded as the loader bounds it
                    continue
                doc = yaml.load(plan_file.read_text(encoding="utf-8"), Loader=loader)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
            if isinstance(doc, dict) and doc.get("id") and doc.get("source"):
                from uvts.graph.limits import inside_folder

                path = inside_folder(Path(folder) / "source", str(doc["source"]))  # never a file outside the folder
                if path is not None:
                    self._paths[str(doc["id"])] = path
        self._lines: dict[str, list[str] | None] = {}
        self._lock = threading.Lock()

    def lines(self, plan: str) -> list[str] | None:
        if plan not in self._lines:
            with self._lock:
                path = self._paths.get(plan)
                try:
                    self._lines[plan] = path.read_text(encoding="utf-8").splitlines() if path else None
                except (OSError, UnicodeDecodeError):
                    self._lines[plan] = None
        return self._lines[plan]

    def numbered(self, plan: str, ranges: str) -> list[tuple[int, str]] | None:
        """``[(line number, text), …]`` of the ranges, ``None`` when the text is not available."""
        from uvts.graph.models import parse_line_ranges

        text = self.lines(plan)
        if text is None:
            return None
        out: list[tuple[int, str]] = []
        for start, end in parse_line_ranges(ranges):
            out.extend((n, text[n - 1]) for n in range(start, min(end, len(text)) + 1))
        return out

    def excerpt(self, plan: str, ranges: str) -> str | None:
        lines = self.numbered(plan, ranges)
        return None if lines is None else "\n".join(t for _, t in lines)


# --- the catalogue ------------------------------------------------------------------------------------------

_Q_NAMES = f"""PREFIX rdfs: <{ns.RDFS}>
PREFIX skos: <{ns.SKOS}>
SELECT DISTINCT ?s ?p ?o WHERE {{
  VALUES ?p {{ rdfs:label skos:prefLabel skos:altLabel skos:definition skos:editorialNote }}
  ?s ?p ?o . FILTER(isIRI(?s) && isLiteral(?o))
}}"""

_Q_SOURCES = f"""PREFIX uvts: <{ns.UVTS}>
SELECT DISTINCT ?s ?g ?lines WHERE {{ GRAPH ?g {{ ?s uvts:sourceLines ?lines }} FILTER(isIRI(?s)) }}"""

_Q_STATED = f"""PREFIX uvts: <{ns.UVTS}>
SELECT DISTINCT ?plan ?budget WHERE {{ ?plan uvts:statedTotalBudget ?budget }}"""

_ANALYSIS_CACHE = 16
_BOUNDED_JSON = 256


def _sort_key(label: str, iri: str):
    return (label.casefold(), iri)


class Catalog:
    """Everything the REST resources and the pages show, for one plan scope, computed once.

    ``plan`` is a plan id or ``None`` (every plan). Built from the store with five queries
    (the three of the typed graph, names, source lines) plus one for the stated budget.
    """

    def __init__(self, store, texts: PlanTexts, plan: str | None = None, plans: list[dict] | None = None):
        from uvts.graph.plans import select_in_plan
        from uvts.graph.project import read_typed_graph

        self.store, self.texts, self.plan = store, texts, plan
        self.all_plans = list(plans or [])  # every plan in the store
        self.plans = [p for p in self.all_plans if plan is None or p["id"] == plan]  # the plans in scope

        def select(query):
            return select_in_plan(store, query, plan)

        self.select = select
        G = self.G = read_typed_graph(store, plan=plan)
        self._names: dict[str, dict[str, list[tuple[str, str | None]]]] = {}
        for row in select(_Q_NAMES).rows:
            o = row["o"]
            self._names.setdefault(row["s"].value, {}).setdefault(row["p"].value, []).append((o.value, o.lang))
        self._sources: dict[str, list[tuple[str, str]]] = {}
        for row in select(_Q_SOURCES).rows:
            self._sources.setdefault(row["s"].value, []).append((ns.slug_of(row["g"].value), row["lines"].value))
        stated = [r["budget"].to_python() for r in select(_Q_STATED).rows]
        self.stated_total_budget = sum(stated) if stated else None

        self.by_iri: dict[str, tuple[str, str]] = {}
        self.ids: dict[str, list[str]] = {k: [] for k in KINDS}
        for iri, data in G.nodes(data=True):
            kind = _KIND_OF_TYPE.get(data["type"])
            if kind is not None and iri.startswith(f"{ns.ID}{kind.segment}/"):
                self.by_iri[iri] = (kind.name, ns.slug_of(iri))
        self.records: dict[str, list[dict]] = {}
        self.index: dict[tuple[str, str], dict] = {}
        builders = {"risk-factors": self._risk_factor, "prevention-levels": self._level, "departments": self._department,
                    "interventions": self._intervention, "actors": self._actor, "forums": self._forum,
                    "places": self._place, "base-missions": self._base_mission}
        for name, kind in KINDS.items():
            iris = [i for i, (k, _) in self.by_iri.items() if k == name]
            if name == "interventions":
                iris.sort(key=self._intervention_order)
            elif name == "prevention-levels":
                iris.sort(key=lambda i: (LEVEL_ORDER.index(ns.slug_of(i)) if ns.slug_of(i) in LEVEL_ORDER else 99,
                                         _sort_key(G.nodes[i]["label"], i)))
            else:
                iris.sort(key=lambda i: _sort_key(G.nodes[i]["label"], i))
            out = []
            for iri in iris:
                record = DETAIL_MODELS[name].model_validate(builders[name](iri)).model_dump(mode="json")
                out.append(record)
                self.index[(name, record["id"])] = record
            self.records[name] = out
            self.ids[name] = [r["id"] for r in out]
        self._json: dict[Any, bytes] = {}
        self._bounded: OrderedDict = OrderedDict()
        self._search_index = None
        self._lock = threading.Lock()
        self._analyses: OrderedDict = OrderedDict()
        self._who: dict[str, dict] = {}

    # -- helpers -----------------------------------------------------------------------------------------

    def _intervention_order(self, iri: str):
        G = self.G
        dept = self._targets(iri, "responsible_department")
        dept_label = G.nodes[dept[0]]["label"] if dept else ""
        return (dept_label.casefold(), G.nodes[iri].get("sequence_number") or 0, iri)

    def _targets(self, node: str, relation: str) -> list[str]:
        return [v for v, keys in self.G.succ[node].items() if relation in keys]

    def _sources_of(self, node: str, relation: str, typ: str | None = None) -> list[str]:
        return [u for u, keys in self.G.pred[node].items()
                if relation in keys and (typ is None or self.G.nodes[u]["type"] == typ)]

    def label(self, iri: str) -> str:
        node = self.G.nodes.get(iri) if iri in self.G else None
        if node is not None:
            return node["label"]
        names = self._names.get(iri, {})
        for prop in (ns.RDFS + "label", ns.SKOS + "prefLabel"):
            sv = [v for v, lang in names.get(prop, []) if lang == "sv"] or [v for v, _ in names.get(prop, [])]
            if sv:
                return sorted(sv)[0]
        return ns.slug_of(iri)

    def link(self, iri: str) -> dict:
        """A :class:`Link` (as a dict) to ``iri``."""
        label = self.label(iri)
        if iri in self.by_iri:
            kind, slug = self.by_iri[iri]
            return {"kind": kind, "id": slug, "label": label, "iri": iri, "path": f"/{kind}/{slug}",
                    "page": f"/{KINDS[kind].page}/{slug}"}
        return {"kind": None, "id": ns.slug_of(iri), "label": label, "iri": iri, "path": None, "page": None}

    def links(self, iris, order: str = "label") -> list[dict]:
        iris = set(iris)
        if order == "intervention":
            ordered = sorted(iris, key=lambda i: self._intervention_order(i) if i in self.G else ("", 0, i))
        elif order == "level":
            ordered = sorted(iris, key=lambda i: (LEVEL_ORDER.index(ns.slug_of(i)) if ns.slug_of(i) in LEVEL_ORDER
                                                  else 99, i))
        else:
            ordered = sorted(iris, key=lambda i: _sort_key(self.label(i), i))
        return [self.link(i) for i in ordered]

    def _texts(self, iri: str, prop: str, lang: str | None = "sv") -> list[str]:
        values = self._names.get(iri, {}).get(ns.SKOS + prop if prop != "label" else ns.RDFS + "label", [])
        if lang is None:
            return sorted({v for v, lg in values if not lg or lg == "en"})
        return sorted({v for v, lg in values if lg == lang})

    def _base(self, iri: str, kind: str) -> dict:
        G = self.G
        slug = ns.slug_of(iri)
        label_en = self._texts(iri, "label", "en") or self._texts(iri, "prefLabel", "en")
        alt = [*self._texts(iri, "altLabel", "sv"), *self._texts(iri, "altLabel", "en")]
        alt += [v for v, lg in self._names.get(iri, {}).get(ns.SKOS + "altLabel", []) if lg not in ("sv", "en")]
        alt = [a for a in dict.fromkeys(alt) if a != G.nodes[iri]["label"]]
        definition = self._texts(iri, "definition", "sv")
        definition_en = self._texts(iri, "definition", "en")
        sources = []
        for plan, lines in sorted(self._sources.get(iri, [])):
            sources.append({"plan": plan, "lines": lines, "text": self.texts.excerpt(plan, lines)})
        return {
            "kind": kind, "id": slug, "iri": iri, "label": G.nodes[iri]["label"],
            "label_en": label_en[0] if label_en else None, "alt_labels": alt,
            "definition": definition[0] if definition else None,
            "definition_en": definition_en[0] if definition_en else None,
            "notes": self._texts(iri, "editorialNote", None), "plans": list(G.nodes[iri].get("plans") or []),
            "path": f"/{kind}/{slug}", "page": f"/{KINDS[kind].page}/{slug}",
            "source_lines": sources[0]["lines"] if sources else None,
            "source_text": sources[0]["text"] if sources else None,
            "sources": sources,
        }

    def _budget_item(self, iri: str) -> dict:
        node = self.G.nodes[iri]
        dept = self._sources_of(iri, "budget_allocation")
        return {"id": ns.slug_of(iri), "iri": iri, "label": node["label"], "amount": node.get("amount"),
                "purpose": node.get("purpose"), "department": self.link(dept[0]) if dept else None,
                "funds": self.links(self._targets(iri, "funds"), "intervention")}

    def _addressing(self, iri: str) -> list[dict]:
        """Each risk-factor link of an intervention or base mission with its lines and the plan's words."""
        out = []
        for link in self.links(self._targets(iri, "addresses")):
            edge = self.G.edges[iri, link["iri"], "addresses"]
            out.append({"risk_factor": link, "lines": edge.get("evidence_lines"), "evidence": edge.get("evidence")})
        return out

    def _typed(self, iris, typ: str) -> list[str]:
        return [i for i in iris if self.G.nodes[i]["type"] == typ]

    # -- one builder per kind ---------------------------------------------------------------------------------

    def _risk_factor(self, iri: str) -> dict:
        ivs = self._sources_of(iri, "addresses", "Intervention")
        missions = self._sources_of(iri, "addresses", "BaseMission")
        depts = {d for x in ivs + missions for d in self._targets(x, "responsible_department")}
        levels = self.links((n for n, t in self.G.nodes(data="type") if t == "PreventionLevel"), "level")
        counts = [{"level": lv, "interventions": sum(lv["iri"] in self._targets(i, "prevention_level") for i in ivs)}
                  for lv in levels]
        return {**self._base(iri, "risk-factors"), "interventions": self.links(ivs, "intervention"),
                "base_missions": self.links(missions), "departments": self.links(depts), "levels": counts,
                "actors_path": f"/risk-factors/{ns.slug_of(iri)}/actors"}

    def _level(self, iri: str) -> dict:
        ivs = self._sources_of(iri, "prevention_level", "Intervention")
        rfs = {r for i in ivs for r in self._targets(i, "addresses")}
        return {**self._base(iri, "prevention-levels"), "interventions": self.links(ivs, "intervention"),
                "risk_factors": self.links(rfs)}

    def _department(self, iri: str) -> dict:
        node = self.G.nodes[iri]
        ivs = self._sources_of(iri, "responsible_department", "Intervention")
        missions = self._targets(iri, "base_mission") or self._sources_of(iri, "responsible_department", "BaseMission")
        rfs = {r for x in ivs + missions for r in self._targets(x, "addresses")}
        items = sorted(self._targets(iri, "budget_allocation"), key=lambda b: _sort_key(self.label(b), b))
        return {**self._base(iri, "departments"), "budget_addition": node.get("budget_addition"),
                "base_mission": self.link(sorted(missions)[0]) if missions else None,
                "interventions": self.links(ivs, "intervention"),
                "involved_in": self.links(self._sources_of(iri, "involves"), "intervention"),
                "forums": self.links(self._targets(iri, "member_of")), "risk_factors": self.links(rfs),
                "budget_items": [self._budget_item(b) for b in items]}

    def _intervention(self, iri: str) -> dict:
        node = self.G.nodes[iri]
        dept = self._targets(iri, "responsible_department")
        same = set(self._targets(iri, "same_activity_as")) | set(self._sources_of(iri, "same_activity_as"))
        return {**self._base(iri, "interventions"), "title": node.get("title"), "number": node.get("sequence_number"),
                "description": node.get("description"), "goals": list(node.get("goals") or []),
                "follow_ups": list(node.get("follow_ups") or []), "timing": node.get("timing"),
                "target_group": node.get("target_group"), "min_age": node.get("min_age"),
                "max_age": node.get("max_age"), "department": self.link(dept[0]) if dept else None,
                "risk_factors": self.links(self._targets(iri, "addresses")),
                "levels": self.links(self._targets(iri, "prevention_level"), "level"),
                "involves": self.links(self._targets(iri, "involves")),
                "places": self.links(self._targets(iri, "location")),
                "same_activity_as": self.links(same - {iri}, "intervention"),
                "other_links": self.links(self._targets(iri, "other_link")),
                "budget_items": [self._budget_item(b) for b in sorted(self._sources_of(iri, "funds"))],
                "addressing": self._addressing(iri)}

    def _actor(self, iri: str) -> dict:
        node = self.G.nodes[iri]
        category = node.get("category")
        cat = None
        if category:
            cat = {"id": category, "label": self.label(ns.iri("category", category))}
        involved = self._sources_of(iri, "involves")
        return {**self._base(iri, "actors"), "category": cat, "forums": self.links(self._targets(iri, "member_of")),
                "interventions": self.links(self._typed(involved, "Intervention"), "intervention"),
                "base_missions": self.links(self._typed(involved, "BaseMission"))}

    def _forum(self, iri: str) -> dict:
        node = self.G.nodes[iri]
        involved = self._sources_of(iri, "involves")
        return {**self._base(iri, "forums"), "purpose": node.get("purpose"), "role": node.get("role"),
                "acronym_expansion": node.get("acronym_expansion"),
                "members": self.links(self._sources_of(iri, "member_of")),
                "interventions": self.links(self._typed(involved, "Intervention"), "intervention"),
                "base_missions": self.links(self._typed(involved, "BaseMission"))}

    def _place(self, iri: str) -> dict:
        node = self.G.nodes[iri]
        located = self._sources_of(iri, "location")
        kind = node.get("place_kind")
        return {**self._base(iri, "places"), "place_kind": kind, "place_kind_label": PLACE_KIND_LABELS.get(kind, kind),
                "priority_area": bool(node.get("priority_area")), "focus_period": node.get("focus_period"),
                "interventions": self.links(self._typed(located, "Intervention"), "intervention"),
                "base_missions": self.links(self._typed(located, "BaseMission"))}

    def _base_mission(self, iri: str) -> dict:
        node = self.G.nodes[iri]
        dept = self._targets(iri, "responsible_department") or self._sources_of(iri, "base_mission")
        return {**self._base(iri, "base-missions"), "description": node.get("description"),
                "department": self.link(sorted(dept)[0]) if dept else None,
                "risk_factors": self.links(self._targets(iri, "addresses")),
                "involves": self.links(self._targets(iri, "involves")),
                "places": self.links(self._targets(iri, "location")),
                "addressing": self._addressing(iri)}

    # -- lists, filters, search -----------------------------------------------------------------------------

    def summary(self, record: dict) -> dict:
        if record["kind"] == "interventions":
            return {"kind": "interventions", "id": record["id"], "iri": record["iri"], "label": record["label"],
                    "path": record["path"], "page": record["page"], "number": record["number"],
                    "department": record["department"]["id"] if record["department"] else None,
                    "risk_factors": [l["id"] for l in record["risk_factors"]],
                    "levels": [l["id"] for l in record["levels"]], "places": [l["id"] for l in record["places"]],
                    "min_age": record["min_age"], "max_age": record["max_age"]}
        n = len(record.get("interventions") or [])
        return {"kind": record["kind"], "id": record["id"], "iri": record["iri"], "label": record["label"],
                "path": record["path"], "page": record["page"], "interventions": n}

    def get(self, kind: str, slug: str) -> dict:
        """The record of one resource; :class:`ApiError` 404 with a near miss when there is none."""
        record = self.index.get((kind, slug))
        if record is None:
            raise ApiError(404, self.not_found_message(kind, slug))
        return record

    def not_found_message(self, kind: str, slug: str) -> str:
        k = KINDS[kind]
        near = self.suggest(kind, slug)
        hint = f' Menade du "{near}"?' if near else ""
        return f"Det finns ingen {k.singular} med id '{slug}'.{hint}"

    def suggest(self, kind: str, value: str) -> str | None:
        """The id of ``kind`` closest to ``value`` (by id, or by name), if any is close."""
        from .search import search

        ids = self.ids[kind]
        near = difflib.get_close_matches(ns.slugify(value) or value, ids, n=1, cutoff=0.6)
        if near:
            return near[0]
        hits = [h for h in search(self.search_index(), value.replace("-", " "), limit=20) if h["key"][0] == kind]
        return hits[0]["key"][1] if hits else None

    def json(self, key, build, bounded: bool = False) -> bytes:
        """Cached JSON bytes for ``key`` (``build()`` returns a validated pydantic model).

        ``bounded``: keep it among the :data:`_BOUNDED_JSON` most recently used answers only
        (for answers whose keys a client chooses freely: filter values, seeds).
        """
        if not bounded:
            body = self._json.get(key)
            if body is None:
                body = build().model_dump_json().encode("utf-8")
                self._json[key] = body
            return body
        with self._lock:
            body = self._bounded.get(key)
            if body is not None:
                self._bounded.move_to_end(key)
                return body
        body = build().model_dump_json().encode("utf-8")
        with self._lock:
            self._bounded[key] = body
            while len(self._bounded) > _BOUNDED_JSON:
                self._bounded.popitem(last=False)
        return body

    def search_index(self):
        if self._search_index is None:
            from .search import build_index

            entries = []
            for kind, records in self.records.items():
                for r in records:
                    names = [v for prop in ("label", "prefLabel", "altLabel")
                             for v, _ in self._names.get(r["iri"], {}).get(
                                 (ns.RDFS if prop == "label" else ns.SKOS) + prop, [])]
                    if kind == "interventions" and r.get("title"):
                        names.append(r["title"])
                    entries.append({"key": (kind, r["id"]), "label": r["label"], "names": names})
            self._search_index = build_index(entries)
        return self._search_index

    def search(self, q: str, limit: int = 50) -> list[dict]:
        from .search import search

        out = []
        for hit in search(self.search_index(), q, limit=limit):
            kind, slug = hit["key"]
            r = self.index[(kind, slug)]
            out.append({"kind": kind, "id": slug, "label": hit["label"], "matched": hit["matched"], "iri": r["iri"],
                        "path": r["path"], "page": r["page"], "score": hit["score"]})
        return out

    def fulltext_index(self):
        """The full-text index (:class:`uvts.api.search.FullText`) of every resource's texts, built once."""
        found = self.__dict__.get("_fulltext")
        if found is None:
            from .search import FullText

            with self._lock:
                found = self.__dict__.get("_fulltext")
                if found is None:
                    found = self._fulltext = FullText(self._fulltext_documents())
        return found

    def swedish_names(self, iri: str) -> set[str]:
        """The names of ``iri`` in Swedish (or with no language): the only ones a page shows."""
        return {v for prop in (ns.RDFS + "label", ns.SKOS + "prefLabel", ns.SKOS + "altLabel")
                for v, lang in self._names.get(iri, {}).get(prop, []) if lang in (None, "", "sv")} | {
            self.G.nodes[iri]["label"]} if iri in self.G else set()

    def _fulltext_documents(self):
        for kind, records in self.records.items():
            for r in records:
                names = [v for prop in ("label", "prefLabel", "altLabel")
                         for v, _ in self._names.get(r["iri"], {}).get(
                             (ns.RDFS if prop == "label" else ns.SKOS) + prop, [])]
                names = [n for n in dict.fromkeys(names) if n != r["label"] and n in self.swedish_names(r["iri"])]
                description = r.get("description") or r.get("definition") or r.get("purpose")
                other = [r.get("timing"), r.get("target_group"), r.get("acronym_expansion"),
                         *[b.get("purpose") for b in r.get("budget_items") or []]]
                links = []
                if kind == "interventions":
                    links = [l["label"] for l in r["risk_factors"] + r["levels"]]
                yield {"key": (kind, r["id"]), "label": r["label"], "names": names,
                       "title": r.get("title") if r.get("title") != r["label"] else None,
                       "description": description, "goals": r.get("goals"), "follow_ups": r.get("follow_ups"),
                       "other": other, "links": links}

    def fulltext(self, q: str, limit: int = 50) -> list[dict]:
        """Search names and texts: hits by name first (as :meth:`search` ranks them), then by the full
        text's BM25 rank. Each hit: ``kind``, ``id``, ``label``, ``page``, ``field`` (Swedish name of
        the field that matched) and ``parts`` (the matching text, ``[(text, highlighted), …]``)."""
        from .search import search

        by_name = {h["key"]: h for h in search(self.search_index(), q, limit=None)}
        by_text = {h["key"]: h for h in self.fulltext_index().search(q, limit=500)}
        keys = sorted(set(by_name) | set(by_text),
                      key=lambda k: (-(by_name[k]["score"] if k in by_name else 0),
                                     by_text[k]["rank"] if k in by_text else 0.0, str(k)))
        out = []
        for key in keys[:limit]:
            r = self.index[key]
            text, name = by_text.get(key), by_name.get(key)
            field, parts = (text["field"], text["parts"]) if text else (None, [])
            if name is not None and name["matched"] != r["label"] and field in (None, "namn"):
                swedish = name["matched"] in self.swedish_names(r["iri"])
                field, parts = ("andra namn", [(name["matched"], True)]) if swedish else (None, [])
            out.append({"kind": key[0], "id": key[1], "label": r["label"], "page": r["page"], "path": r["path"],
                        "field": field, "parts": parts})
        return out

    def overview(self) -> dict:
        budget = sum((r["budget_addition"] or 0) for r in self.records["departments"])
        return {"plan": self.plan, "counts": {k: len(v) for k, v in self.records.items()},
                "budget_total": budget, "stated_total_budget": self.stated_total_budget}

    # -- computed on demand: analyses, who works on ------------------------------------------------------------

    def analysis(self, name: str, seed: int = 0) -> dict:
        from uvts.graph.analyses import run

        key = (name, seed)
        with self._lock:
            if key in self._analyses:
                self._analyses.move_to_end(key)
                return self._analyses[key]
        result = run(name, self.G, seed=seed)
        out = AnalysisResult.model_validate({**result, "plan": self.plan, "seed": seed}).model_dump(mode="json")
        with self._lock:
            self._analyses[key] = out
            while len(self._analyses) > _ANALYSIS_CACHE:
                self._analyses.popitem(last=False)
        return out

    def who_works_on(self, slug: str) -> dict:
        """Who works on a risk factor: the answer of the saved query ``who-works-on``, grouped by actor."""
        cached = self._who.get(slug)
        if cached is not None:
            return cached
        rf = self.get("risk-factors", slug)
        result = run_saved_query(self.store, "who-works-on", {"riskFactor": rf["iri"]}, self.plan)
        actors: dict[str, dict] = {}
        seen = set()
        for row in result.rows:
            actor, via, role = row["actor"].value, row["via"].value, row["role"].value
            if (actor, via, role) in seen:
                continue
            seen.add((actor, via, role))
            typ = row["actorType"].value[len(ns.UVTS):]
            entry = actors.setdefault(actor, {"actor": self.link(actor), "type": typ,
                                              "type_label": TYPE_LABELS.get(typ, typ), "roles": [], "via": []})
            if role not in entry["roles"]:
                entry["roles"].append(role)
            is_mission = row["viaType"].value == ns.UVTS + "BaseMission"
            entry["via"].append({"link": self.link(via), "role": role, "base_mission": is_mission})
        type_order = {"Department": 0, "ExternalActor": 1, "CollaborationForum": 2}
        ordered = sorted(actors.values(), key=lambda e: (type_order.get(e["type"], 9), e["actor"]["label"].casefold()))
        for e in ordered:
            e["roles"].sort()
            e["via"].sort(key=lambda v: (v["base_mission"], v["role"] != "ansvarig", v["link"]["label"].casefold()))
        out = WhoWorksOn.model_validate({"risk_factor": self.link(rf["iri"]), "plan": self.plan,
                                         "query": "who-works-on", "count": len(ordered), "actors": ordered})
        data = out.model_dump(mode="json")
        self._who[slug] = data
        return data


class Catalogs:
    """The catalogues of one app, one per plan scope, built when first asked for.

    The all-plans catalogue is kept; of the single-plan ones the ``keep`` most recently
    used are kept.
    """

    def __init__(self, store, texts: PlanTexts, keep: int = 8):
        self.store, self.texts, self.keep = store, texts, keep
        self._plans: list[dict] | None = None
        self._all: Catalog | None = None
        self._by_plan: OrderedDict[str, Catalog] = OrderedDict()
        self._lock = threading.Lock()

    def plans(self) -> list[dict]:
        if self._plans is None:
            from uvts.graph.plans import list_plans

            self._plans = list_plans(self.store)
        return self._plans

    def resolve(self, plan: str | None) -> str | None:
        """The id of the plan ``plan`` names (``None``: every plan); 422 when there is none."""
        from uvts.graph.plans import ALL_PLANS, PlanError, resolve_plan

        if plan is None or plan.strip().lower() in ALL_PLANS:
            return None
        plans = self.plans()
        for p in plans:
            if plan == p["id"]:
                return p["id"]
        try:
            return resolve_plan(self.store, plan, plans=plans)["id"]
        except PlanError as exc:
            raise ApiError(422, f"Parametern 'plan': {exc}.") from None

    def cached(self, plan_id: str | None) -> Catalog | None:
        if plan_id is None:
            return self._all
        return self._by_plan.get(plan_id)

    def get(self, plan_id: str | None) -> Catalog:
        """The catalogue of a plan id (``None``: every plan), built under a lock if needed."""
        with self._lock:
            found = self.cached(plan_id)
            if found is not None:
                if plan_id is not None:
                    self._by_plan.move_to_end(plan_id)
                return found
            catalog = Catalog(self.store, self.texts, plan_id, self.plans())
            if plan_id is None:
                self._all = catalog
            else:
                self._by_plan[plan_id] = catalog
                while len(self._by_plan) > self.keep:
                    self._by_plan.popitem(last=False)
            return catalog


_CATALOGS_LOCK = threading.Lock()


def catalogs(app) -> Catalogs:
    """The app's :class:`Catalogs` over ``app.state.store`` (created on first use).

    A new one is made whenever the store changed (the app's lifespan ran again, e.g. a second
    test client on the same app), so a catalogue never reads a closed store.
    """
    store = app.state.store
    found = getattr(app.state, "catalogs", None)
    if found is None or found.store is not store:
        with _CATALOGS_LOCK:
            found = getattr(app.state, "catalogs", None)
            if found is None or found.store is not store:
                found = Catalogs(store, PlanTexts(getattr(app.state, "data_dirs", None) or app.state.settings.data_dirs()))
                app.state.catalogs = found
    return found


async def catalog_for(request, plan: str | None = None) -> Catalog:
    """The catalogue for the request's plan scope (built in a thread the first time)."""
    cats = catalogs(request.app)
    if request.query_params.get("at"):  # an earlier published version (uvts.api.live)
        from .live import catalogs_at

        cats = await catalogs_at(request.app, request.query_params["at"])
    plan_id = cats.resolve(plan) if plan is not None else None
    found = cats.cached(plan_id)
    if found is not None:
        return found
    return await asyncio.to_thread(cats.get, plan_id)


def resolve_filter(catalog: Catalog, kind: str, value: str, param: str) -> str:
    """The id of a ``kind`` resource that a filter value names (an id or a name); 422 if none."""
    slug = ns.slugify(value)
    if (kind, slug) in catalog.index:
        return slug
    hits = [h for h in catalog.search(value, limit=20) if h["kind"] == kind and h["score"] >= 100]
    if len(hits) == 1:
        return hits[0]["id"]
    near = catalog.suggest(kind, value)
    hint = f' Menade du "{near}"?' if near else ""
    raise ApiError(422, f"Parametern '{param}': det finns ingen {KINDS[kind].singular} '{value}'.{hint}")


def filter_interventions(catalog: Catalog, filters: dict) -> list[dict]:
    """The interventions (as summaries) that pass every filter (ids already resolved)."""
    out = []
    for r in catalog.records["interventions"]:
        if "risk_factor" in filters and filters["risk_factor"] not in {l["id"] for l in r["risk_factors"]}:
            continue
        if "level" in filters and filters["level"] not in {l["id"] for l in r["levels"]}:
            continue
        if "department" in filters and (r["department"] or {}).get("id") != filters["department"]:
            continue
        if "place" in filters and filters["place"] not in {l["id"] for l in r["places"]}:
            continue
        if "age" in filters:
            lo, hi = r["min_age"], r["max_age"]
            if lo is None and hi is None:
                continue
            if not (lo if lo is not None else 0) <= filters["age"] <= (hi if hi is not None else 200):
                continue
        out.append(catalog.summary(r))
    return out


# --- saved queries ---------------------------------------------------------------------------------------------

_PARAM_KIND_TO_COLLECTION = {"risk-factor": "risk-factors", "level": "prevention-levels", "department": "departments",
                             "intervention": "interventions", "actor": "actors", "forum": "forums",
                             "place": "places"}


def run_saved_query(store, name: str, params: dict[str, str], plan: str | None = None, limit: int | None = None):
    """Run a saved query with bound parameters on one plan or all (raises ``ParamError``)."""
    from uvts.graph.plans import select_in_plan
    from uvts.graph.queries import bind_params, get_query

    query = get_query(name)
    return select_in_plan(store, query.text, plan, bind_params(query, params), limit=limit)


def query_info(q) -> dict:
    return {"name": q.name, "summary": q.summary, "tags": list(q.tags),
            "params": [{"name": p.name, "kind": p.kind, "default": p.default,
                        "options": _PARAM_KIND_TO_COLLECTION.get(p.kind)} for p in q.params],
            "path": f"/queries/{q.name}", "results_path": f"/queries/{q.name}/results"}


def _check_param_values(catalog: Catalog, query, values: dict[str, str]) -> dict[str, str]:
    """Check parameter values against the catalogue: resource ids must exist, IRIs must be IRIs."""
    import re

    from uvts.graph.queries import ParamError

    declared = {p.name: p for p in query.params}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        allowed = ", ".join(declared) or "inga"
        raise ApiError(422, f"Okänd parameter {', '.join(unknown)} för den sparade frågan '{query.name}'; "
                            f"tillåtna: {allowed}.")
    out = {}
    for p in query.params:
        raw = values.get(p.name, p.default)
        if raw is None or raw == "":
            raise ApiError(422, f"Parametern '{p.name}' saknas för den sparade frågan '{query.name}'.")
        collection = _PARAM_KIND_TO_COLLECTION.get(p.kind)
        if collection is not None:
            if raw.startswith(("http://", "https://")) and raw in catalog.by_iri:
                raw = catalog.by_iri[raw][1]
            raw = resolve_filter(catalog, collection, raw, p.name)
        elif p.kind == "iri":
            if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", raw):
                raise ApiError(422, f"Parametern '{p.name}': förväntade en IRI som börjar med https://, fick {raw!r}.")
        elif p.kind == "integer":
            try:
                number = int(raw)
            except ValueError:
                raise ApiError(422, f"Parametern '{p.name}': förväntade ett heltal, fick {raw!r}.") from None
            if not -(10 ** 9) <= number <= 10 ** 9:
                raise ApiError(422, f"Parametern '{p.name}': talet {number} är orimligt stort.")
            raw = str(number)
        out[p.name] = raw
    try:
        from uvts.graph.queries import bind_params

        bind_params(query, out)
    except ParamError as exc:
        raise ApiError(422, f"{exc}.") from None
    return out


def cell(catalog: Catalog, term) -> dict:
    out = {"type": term.kind, "value": term.value, "datatype": term.datatype, "lang": term.lang}
    if term.kind == "uri" and term.value.startswith(ns.ID):
        link = catalog.link(term.value)
        out.update(label=link["label"], path=link["path"], page=link["page"])
    return out


def saved_query_results(catalog: Catalog, name: str, values: dict[str, str], limit: int | None) -> dict:
    """Run a saved query for the REST API and the pages: a :class:`QueryResults` as a dict."""
    from uvts.graph.store import QueryError

    query = get_saved_query(name)
    params = _check_param_values(catalog, query, values)
    try:
        result = run_saved_query(catalog.store, name, params, catalog.plan, limit=limit)
    except (QueryError, ValueError) as exc:
        raise ApiError(400, f"Den sparade frågan '{name}' kunde inte köras: {exc}") from None
    rows = [{v: (cell(catalog, r[v]) if v in r else None) for v in result.vars} for r in result.rows]
    return QueryResults.model_validate({"query": name, "params": params, "plan": catalog.plan, "vars": result.vars,
                                        "count": len(rows), "rows": rows}).model_dump(mode="json")


def get_saved_query(name: str):
    """The saved query ``name``, or a 404 in Swedish that suggests a near name."""
    from uvts.graph.queries import ParamError, get_query

    try:
        return get_query(name)
    except ParamError as exc:
        text, marker = str(exc), f"'{name}'"
        hint = text.split(marker, 1)[1] if marker in text else ""
        raise ApiError(404, f"Det finns ingen sparad fråga '{name}'{hint}.") from None
