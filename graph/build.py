"""Turn loaded plans (and the ontology) into an RDF graph, deterministically.

The graph has no blank nodes, so two builds of the same data give the same sorted
N-Triples byte for byte.
"""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Iterable

from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from . import namespaces as ns
from .load import PlanData
from .models import NATIONAL_RISK_FACTORS
from .paths import ONTOLOGY_FILE

__all__ = ["build_plan_graph", "build_graph", "build_dataset", "ontology_graph", "plan_graph_iri",
           "sorted_ntriples", "serialize", "write_atomic", "FORMATS", "workbook_iri", "workbook_provenance"]

UVTS = Namespace(ns.UVTS)
ORG = Namespace(ns.ORG)
CV = Namespace(ns.CV)
CPSV = Namespace(ns.CPSV)
SCHEMA = Namespace(ns.SCHEMA)

PUBLIC_CATEGORIES = {"police", "region", "state-agency"}
ONTOLOGY_GRAPH = URIRef("https://w3id.org/uvts/ontology")

FORMATS = {
    "turtle": ("turtle", ".ttl", "text/turtle"),
    "nt": ("nt", ".nt", "application/n-triples"),
    "jsonld": ("json-ld", ".jsonld", "application/ld+json"),
    "xml": ("xml", ".rdf", "application/rdf+xml"),
}


def _r(kind: str, slug: str) -> URIRef:
    return URIRef(ns.iri(kind, slug))


def plan_graph_iri(plan: PlanData) -> URIRef:
    """The named graph that holds one plan's data."""
    return _r("plan", plan.plan.id)


def ontology_graph() -> Graph:
    """The ontology (``ontology/uvts.ttl``) as a graph."""
    g = Graph()
    g.parse(ONTOLOGY_FILE, format="turtle")
    return g


def _decimal(amount: int) -> Literal:
    """An xsd:decimal in the lexical form Turtle writes back (``1700000.0``), so exports round-trip."""
    return Literal(f"{Decimal(amount):f}" + ("" if "." in f"{Decimal(amount):f}" else ".0"), datatype=XSD.decimal)


def _sv(text: str) -> Literal:
    return Literal(text, lang="sv")


def build_plan_graph(plan: PlanData) -> Graph:
    """The RDF graph of one plan's data (no ontology)."""
    g = Graph()
    for prefix, value in ns.PREFIXES.items():
        g.bind(prefix, value)
    doc = plan_graph_iri(plan)
    p = plan.plan
    muni = _r("actor", p.municipality.id)

    def provenance(s: URIRef, lines: str | None, note: str | None = None, workbook=None):
        if lines is not None:
            g.add((s, UVTS.sourceLines, Literal(lines)))
        if workbook is not None:  # added or edited in a workbook
            workbook_provenance(g, s, workbook)
        g.add((s, PROV.wasDerivedFrom, doc))
        g.add((s, UVTS.inPlan, doc))
        if note:
            g.add((s, SKOS.editorialNote, Literal(note, lang="sv")))

    g.add((doc, RDF.type, UVTS.ActionPlan))
    g.add((doc, RDF.type, PROV.Entity))
    g.add((doc, RDFS.label, _sv(p.title)))
    g.add((doc, DCTERMS.title, _sv(p.title)))
    if p.short_title:
        g.add((doc, SKOS.altLabel, _sv(p.short_title)))
    g.add((doc, DCTERMS.source, Literal(p.source)))
    g.add((doc, DCTERMS.temporal, Literal(f"{p.period.start}/{p.period.end}")))
    g.add((doc, UVTS.municipality, muni))
    g.add((doc, UVTS.sourceLines, Literal(p.lines)))
    if p.stated_total_budget is not None:
        g.add((doc, UVTS.statedTotalBudget, _decimal(p.stated_total_budget)))
    if p.note:
        g.add((doc, SKOS.editorialNote, Literal(p.note, lang="sv")))
    for target in p.reported_to:
        g.add((doc, UVTS.reportedTo, _r("forum", target)))
    if p.workbook:
        workbook_provenance(g, doc, p.workbook)

    g.add((muni, RDF.type, UVTS.Municipality))
    g.add((muni, RDF.type, ORG.FormalOrganization))
    g.add((muni, RDF.type, CV.PublicOrganisation))
    g.add((muni, RDFS.label, _sv(p.municipality.name)))
    if p.municipality.code:
        g.add((muni, UVTS.municipalityCode, Literal(p.municipality.code)))

    def named(kind: str, item, classes: tuple, name: str) -> URIRef:
        """A resource with its types, Swedish name, alt names and provenance."""
        s = _r(kind, item.id)
        for cls in classes:
            g.add((s, RDF.type, cls))
        g.add((s, RDFS.label, _sv(name)))
        for alt in item.alt_names:
            g.add((s, SKOS.altLabel, _sv(alt)))
        provenance(s, item.lines, item.note, getattr(item, "workbook", None))
        return s

    def concept(kind: str, cls: URIRef, scheme: str, item):
        s = _r(kind, item.id)
        g.add((s, RDF.type, cls))
        g.add((s, RDF.type, SKOS.Concept))
        sch = _r("scheme", scheme)
        if kind == "risk-factor" and item.id not in NATIONAL_RISK_FACTORS:  # the plan's own problem area
            sch = _own_scheme(g, plan)
            if item.exact_match:
                g.add((s, SKOS.exactMatch, _r("risk-factor", item.exact_match)))
        g.add((s, SKOS.inScheme, sch))
        g.add((s, SKOS.topConceptOf, sch))
        g.add((sch, SKOS.hasTopConcept, s))
        for lang in ("sv", "en"):
            text = getattr(item.label, lang)
            if text:
                g.add((s, SKOS.prefLabel, Literal(text, lang=lang)))
                g.add((s, RDFS.label, Literal(text, lang=lang)))
            definition = getattr(item.definition, lang)
            if definition:
                g.add((s, SKOS.definition, Literal(definition, lang=lang)))
        alt = getattr(item, "alt_labels", None)
        if alt:
            for lang in ("sv", "en"):
                for text in getattr(alt, lang):
                    g.add((s, SKOS.altLabel, Literal(text, lang=lang)))
        provenance(s, item.lines, item.note, getattr(item, "workbook", None))

    def qualified(activity: URIRef, items) -> None:
        """``uvts:qualifiedAddressing``: each risk-factor link with its own lines and the plan's words.
        The Addressing nodes get IRIs (``{activity}/addressing/{risk-factor}``), not blank nodes,
        so that builds stay deterministic."""
        for a in items:
            q = URIRef(f"{activity}/addressing/{a.risk_factor}")
            g.add((activity, UVTS.qualifiedAddressing, q))
            g.add((q, RDF.type, UVTS.Addressing))
            g.add((q, UVTS.riskFactor, _r("risk-factor", a.risk_factor)))
            g.add((q, UVTS.evidence, _sv(a.evidence)))
            provenance(q, a.lines, a.note)

    same_as = {rf.id: rf.exact_match for rf in plan.risk_factors if rf.exact_match}
    for rf in plan.risk_factors:
        concept("risk-factor", UVTS.RiskFactor, "risk-factors", rf)
    for lv in plan.levels:
        concept("level", UVTS.PreventionLevel, "prevention-levels", lv)
    for ol in plan.other_links:
        concept("link", UVTS.OtherLink, "other-links", ol)

    for a in plan.actors:
        public = (CV.PublicOrganisation,) if a.category in PUBLIC_CATEGORIES else ()
        s = named("actor", a, (UVTS.ExternalActor, ORG.Organization) + public, a.name)
        g.add((s, UVTS.actorCategory, _r("category", a.category)))

    for f in plan.forums:
        s = named("forum", f, (UVTS.CollaborationForum, ORG.OrganizationalCollaboration), f.name)
        if f.expansion:
            g.add((s, UVTS.acronymExpansion, _sv(f.expansion)))
        if f.purpose:
            g.add((s, UVTS.purpose, _sv(f.purpose)))
        if f.role:
            g.add((s, UVTS.role, _sv(f.role)))
        for kind, ids in (("department", f.members.departments), ("actor", f.members.actors)):
            for member in ids:
                g.add((s, ORG.hasMember, _r(kind, member)))
                g.add((_r(kind, member), ORG.memberOf, s))

    for pl in plan.places:
        s = named("place", pl, (UVTS.Place, SCHEMA.Place), pl.name)
        g.add((s, UVTS.placeKind, Literal(pl.kind)))
        if pl.priority:
            g.add((s, UVTS.priorityArea, Literal(True)))
        if pl.focus_period:
            g.add((s, UVTS.focusAreaOfPeriod, Literal(pl.focus_period)))

    for d in plan.departments:
        s = named("department", d, (UVTS.Department, ORG.OrganizationalUnit), d.name)
        g.add((s, ORG.unitOf, muni))
        g.add((muni, ORG.hasUnit, s))
        g.add((s, UVTS.budgetAddition, _decimal(d.budget.amount)))

        if d.base_mission is not None:  # a department added in a workbook has none yet
            bm = _r("base-mission", d.id)
            g.add((s, UVTS.baseMission, bm))
            g.add((bm, RDF.type, UVTS.BaseMission))
            g.add((bm, RDF.type, PROV.Activity))
            g.add((bm, RDFS.label, _sv(f"Grunduppdrag – {d.name}")))
            g.add((bm, DCTERMS.description, _sv(d.base_mission.summary)))
            g.add((bm, UVTS.responsibleDepartment, s))
            for rf in d.base_mission.risk_factors:
                g.add((bm, UVTS.addresses, _r("risk-factor", rf)))
            qualified(bm, d.base_mission.addressing)
            for kind, ids in (("department", d.base_mission.departments), ("actor", d.base_mission.actors),
                              ("forum", d.base_mission.forums)):
                for other in ids:
                    g.add((bm, UVTS.involves, _r(kind, other)))
            for place in d.base_mission.places:
                g.add((bm, UVTS.location, _r("place", place)))
            provenance(bm, d.base_mission.lines, d.base_mission.note)

        for n, item in enumerate(d.budget.breakdown, start=1):
            b = _r("budget-item", f"{d.id}-{n}")
            g.add((s, UVTS.budgetAllocation, b))
            g.add((b, RDF.type, UVTS.BudgetAllocation))
            g.add((b, RDFS.label, _sv(f"Budgetpost {n} – {d.name}")))
            g.add((b, UVTS.purpose, _sv(item.purpose)))
            if item.amount is not None:
                g.add((b, UVTS.amount, _decimal(item.amount)))
            for iv in item.interventions:
                g.add((b, UVTS.funds, _r("intervention", iv)))
            provenance(b, item.lines, item.note, item.workbook)

        for iv in d.interventions:
            i = _r("intervention", f"{d.id}-{iv.number}")
            g.add((i, RDF.type, UVTS.Intervention))
            g.add((i, RDF.type, PROV.Activity))
            if iv.levels:  # aimed at children and young people: a service to citizens
                g.add((i, RDF.type, CPSV.PublicService))
            g.add((i, RDFS.label, _sv(iv.title)))
            g.add((i, DCTERMS.title, _sv(iv.title)))
            g.add((i, DCTERMS.description, _sv(iv.description)))
            g.add((i, UVTS.sequenceNumber, Literal(iv.number)))
            g.add((i, UVTS.responsibleDepartment, s))
            if iv.timing:
                g.add((i, UVTS.timing, _sv(iv.timing)))
            for lv in iv.levels:
                g.add((i, UVTS.preventionLevel, _r("level", lv)))
            for rf in iv.risk_factors:
                g.add((i, UVTS.addresses, _r("risk-factor", rf)))
                if rf in same_as:  # a problem area that is a national risk factor counts as it
                    g.add((i, UVTS.addresses, _r("risk-factor", same_as[rf])))
            qualified(i, iv.addressing)
            for ol in iv.other_links:
                g.add((i, UVTS.otherLink, _r("link", ol)))
            for goal in iv.goals:
                g.add((i, UVTS.goal, _sv(goal)))
            for fu in iv.follow_ups:
                g.add((i, UVTS.followUp, _sv(fu)))
            if iv.min_age is not None:
                g.add((i, UVTS.minAge, Literal(iv.min_age)))
            if iv.max_age is not None:
                g.add((i, UVTS.maxAge, Literal(iv.max_age)))
            if iv.target_group:
                g.add((i, UVTS.targetGroup, _sv(iv.target_group)))
            for place in iv.places:
                g.add((i, UVTS.location, _r("place", place)))
            for kind, ids in (("department", iv.involves.departments), ("actor", iv.involves.actors),
                              ("forum", iv.involves.forums)):
                for other in ids:
                    g.add((i, UVTS.involves, _r(kind, other)))
            for other in iv.same_activity_as:
                g.add((i, UVTS.sameActivityAs, _r("intervention", other)))
                g.add((_r("intervention", other), UVTS.sameActivityAs, i))
            provenance(i, iv.lines, iv.note, iv.workbook)
    from .build_follow_up import add_follow_up

    add_follow_up(g, plan, doc)
    return g


def _own_scheme(g: Graph, plan: PlanData) -> URIRef:
    """The concept scheme of a plan's own problem areas (``id/scheme/{plan}-problem-areas``)."""
    sch = _r("scheme", f"{plan.plan.id}-problem-areas")
    g.add((sch, RDF.type, SKOS.ConceptScheme))
    g.add((sch, RDF.type, UVTS.ProblemAreaScheme))
    g.add((sch, RDFS.label, _sv(f"Problemområden – {plan.plan.municipality.name}")))
    g.add((sch, SKOS.prefLabel, _sv(f"Problemområden – {plan.plan.municipality.name}")))
    return sch


def workbook_iri(sha256: str) -> URIRef:
    """The IRI of a workbook, by its checksum (``id/workbook/{sha256}``)."""
    return _r("workbook", sha256)


def workbook_provenance(g: Graph, s: URIRef, origin) -> None:
    """A fact added or edited in a workbook: ``prov:wasDerivedFrom`` the workbook (with its file
    name and checksum) and, per field, a ``prov:qualifiedDerivation`` naming the cell."""
    wb = workbook_iri(origin.sha256)
    g.add((wb, RDF.type, UVTS.Workbook))
    g.add((wb, RDF.type, PROV.Entity))
    g.add((wb, RDFS.label, Literal(origin.file)))
    g.add((wb, UVTS.sha256, Literal(origin.sha256)))
    g.add((s, PROV.wasDerivedFrom, wb))
    for fld, cell in sorted(origin.cells.items()):
        d = _r("derivation", f"{ns.slug_of(str(s))}-{fld.replace('_', '-')}-{origin.sha256[:12]}")
        g.add((s, PROV.qualifiedDerivation, d))
        g.add((d, RDF.type, PROV.Derivation))
        g.add((d, PROV.entity, wb))
        g.add((d, UVTS.field, Literal(fld)))
        g.add((d, UVTS.cell, Literal(cell)))


def build_graph(plans: Iterable[PlanData], with_ontology: bool = True) -> Graph:
    """One graph with the ontology and every plan's data (for export and validation)."""
    g = ontology_graph() if with_ontology else Graph()
    for prefix, value in ns.PREFIXES.items():
        g.bind(prefix, value)
    for plan in plans:
        g += build_plan_graph(plan)
    return g


def build_dataset(plans: Iterable[PlanData]) -> Dataset:
    """A dataset: the ontology in its own named graph, each plan in its own named graph."""
    ds = Dataset()
    ont = ds.graph(ONTOLOGY_GRAPH)
    ont += ontology_graph()
    for plan in plans:
        pg = ds.graph(plan_graph_iri(plan))
        pg += build_plan_graph(plan)
    return ds


def sorted_ntriples(g: Graph) -> bytes:
    """N-Triples, one triple a line, sorted: byte-identical for the same graph."""
    text = g.serialize(format="nt", encoding="utf-8")
    lines = sorted(set(ln for ln in text.decode("utf-8").splitlines() if ln.strip()))
    return ("\n".join(lines) + "\n").encode("utf-8")


def serialize(g: Graph, fmt: str) -> bytes:
    """The graph in one of :data:`FORMATS` (``turtle``, ``nt``, ``jsonld``, ``xml``)."""
    if fmt == "nt":
        return sorted_ntriples(g)
    rdflib_format = FORMATS[fmt][0]
    if fmt == "jsonld":
        return g.serialize(format=rdflib_format, encoding="utf-8", context=dict(ns.PREFIXES), auto_compact=True)
    return g.serialize(format=rdflib_format, encoding="utf-8")


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write a file so that a reader sees either the old content or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
