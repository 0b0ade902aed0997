"""The follow-up rounds of a plan as RDF (the living-plan contract's names), aligned with PROV and SOSA.

Called by :func:`uvts.graph.build.build_plan_graph`; the triples go into the plan's own graph.
IRIs: ``id/follow-up-round/{plan}-{date}``, ``id/follow-up-record/{plan}-{date}-{intervention}``,
``id/indicator-value/{plan}-{date}-{intervention}-{n}``; statuses are the concepts of
``id/scheme/follow-up-status`` defined in the ontology.
"""

from __future__ import annotations

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from . import namespaces as ns
from .load import PlanData

__all__ = ["add_follow_up", "round_iri", "record_iri", "status_iri", "SOSA"]

UVTS = Namespace(ns.UVTS)
SOSA = Namespace("http://www.w3.org/ns/sosa/")


def round_iri(plan_id: str, date) -> URIRef:
    return URIRef(f"{ns.ID}follow-up-round/{plan_id}-{date.isoformat()}")


def record_iri(plan_id: str, date, intervention: str) -> URIRef:
    return URIRef(f"{ns.ID}follow-up-record/{plan_id}-{date.isoformat()}-{intervention}")


def status_iri(status: str) -> URIRef:
    return URIRef(f"{ns.ID}follow-up-status/{status}")


def _decimal(value) -> Literal:
    text = f"{value:f}"
    return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)


def _lines_and_note(g: Graph, s: URIRef, fact, doc: URIRef) -> None:
    """A record's or value's source lines (derived from the plan's text ``doc``) and note."""
    if fact.lines:
        g.add((s, UVTS.sourceLines, Literal(fact.lines)))
        g.add((s, PROV.wasDerivedFrom, doc))
    if fact.note:
        g.add((s, SKOS.editorialNote, Literal(fact.note, lang="sv")))


def add_follow_up(g: Graph, plan: PlanData, doc: URIRef) -> None:
    """Add every follow-up round of ``plan`` to ``g`` (``doc`` is the plan's IRI)."""
    g.bind("sosa", SOSA)
    pid = plan.plan.id
    for loaded in plan.follow_up:
        info, date = loaded.model.round, loaded.date
        r = round_iri(pid, date)
        g.add((r, RDF.type, UVTS.FollowUpRound))
        g.add((r, RDF.type, PROV.Activity))
        g.add((r, RDFS.label, Literal(info.title, lang="sv")))
        g.add((r, DCTERMS.date, Literal(date.isoformat(), datatype=XSD.date)))
        g.add((r, PROV.endedAtTime, Literal(f"{date.isoformat()}T00:00:00", datatype=XSD.dateTime)))
        g.add((r, PROV.used, doc))
        g.add((r, UVTS.inPlan, doc))
        if info.lines:
            g.add((r, UVTS.sourceLines, Literal(info.lines)))
        if info.note:
            g.add((r, SKOS.editorialNote, Literal(info.note, lang="sv")))
        if info.synthetic:
            g.add((r, UVTS.synthetic, Literal(True)))
        for who in info.reported_to:
            kind = next(k for k, pool in (("forum", plan.forums), ("actor", plan.actors), ("department", plan.departments))
                        if any(x.id == who for x in pool))
            g.add((r, UVTS.reportedTo, URIRef(ns.iri(kind, who))))
        for item in loaded.items:
            rec = record_iri(pid, date, item.intervention)
            iv = URIRef(ns.iri("intervention", item.intervention))
            g.add((rec, RDF.type, UVTS.FollowUpRecord))
            g.add((rec, RDF.type, PROV.Entity))
            g.add((rec, RDFS.label, Literal(f"{info.title} – {item.intervention}", lang="sv")))
            g.add((rec, UVTS.inRound, r))
            g.add((rec, PROV.wasGeneratedBy, r))
            g.add((rec, UVTS.ofIntervention, iv))
            g.add((rec, UVTS.inPlan, doc))
            if item.status:
                g.add((rec, UVTS.status, status_iri(item.status)))
            if item.comment:
                g.add((rec, RDFS.comment, Literal(item.comment, lang="sv")))
            _lines_and_note(g, rec, item, doc)
            if info.synthetic:
                g.add((rec, UVTS.synthetic, Literal(True)))
            for n, ind in enumerate(item.indicators, start=1):
                o = URIRef(f"{ns.ID}indicator-value/{pid}-{date.isoformat()}-{item.intervention}-{n}")
                g.add((o, RDF.type, UVTS.IndicatorValue))
                g.add((o, RDF.type, SOSA.Observation))
                g.add((o, RDFS.label, Literal(f"{ind.name}: {ind.value}" + (f" {ind.unit}" if ind.unit else ""), lang="sv")))
                g.add((o, UVTS.ofRecord, rec))
                g.add((o, UVTS.indicatorName, Literal(ind.name, lang="sv")))
                g.add((o, UVTS.value, _decimal(ind.value)))
                g.add((o, SOSA.hasSimpleResult, _decimal(ind.value)))
                g.add((o, SOSA.hasFeatureOfInterest, iv))
                g.add((o, SOSA.resultTime, Literal(f"{date.isoformat()}T00:00:00", datatype=XSD.dateTime)))
                g.add((o, PROV.wasGeneratedBy, r))
                g.add((o, UVTS.inPlan, doc))
                if ind.unit:
                    g.add((o, UVTS.unit, Literal(ind.unit, lang="sv")))
                if ind.period:
                    g.add((o, UVTS.period, Literal(ind.period)))
                if ind.source:
                    g.add((o, DCTERMS.source, Literal(ind.source, lang="sv")))
                _lines_and_note(g, o, ind, doc)
