"""The ontology covers the contract: classes, properties, labels, alignments, concept schemes."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from uvts.graph.build import ontology_graph

UVTS = "https://w3id.org/uvts/ontology#"
ORG = "http://www.w3.org/ns/org#"

CONTRACT_CLASSES = {
    "RiskFactor": SKOS.Concept, "PreventionLevel": SKOS.Concept,
    "Intervention": URIRef("http://www.w3.org/ns/prov#Activity"),
    "BaseMission": URIRef("http://www.w3.org/ns/prov#Activity"),
    "Department": URIRef(ORG + "OrganizationalUnit"), "ExternalActor": URIRef(ORG + "Organization"),
    "CollaborationForum": URIRef(ORG + "OrganizationalCollaboration"), "Place": URIRef("https://schema.org/Place"),
}
CONTRACT_PROPERTIES = {
    "addresses": "http://data.europa.eu/m8g/thematicArea", "preventionLevel": "http://data.europa.eu/m8g/isClassifiedBy",
    "responsibleDepartment": "http://data.europa.eu/m8g/hasCompetentAuthority", "involves": None, "location": None,
    "sameActivityAs": None, "sequenceNumber": None, "timing": None, "goal": None, "followUp": None,
    "minAge": None, "maxAge": None, "budgetAddition": None, "actorCategory": None, "sourceLines": None,
}


@pytest.fixture(scope="module")
def ont() -> Graph:
    return ontology_graph()


def _labels(g, s, prop=RDFS.label):
    return {o.language for o in g.objects(s, prop)}


@pytest.mark.parametrize("name,parent", CONTRACT_CLASSES.items())
def test_contract_class(ont, name, parent):
    cls = URIRef(UVTS + name)
    assert (cls, RDF.type, OWL.Class) in ont
    assert (cls, RDFS.subClassOf, parent) in ont
    assert _labels(ont, cls) == {"sv", "en"}
    assert _labels(ont, cls, RDFS.comment) == {"sv", "en"}


@pytest.mark.parametrize("name,parent", CONTRACT_PROPERTIES.items())
def test_contract_property(ont, name, parent):
    prop = URIRef(UVTS + name)
    assert set(ont.objects(prop, RDF.type)) & {OWL.ObjectProperty, OWL.DatatypeProperty}
    assert _labels(ont, prop) == {"sv", "en"}
    assert _labels(ont, prop, RDFS.comment) == {"sv", "en"}
    assert ont.value(prop, RDFS.range) is not None
    if name != "sourceLines":  # used on every resource of the plan
        assert ont.value(prop, RDFS.domain) is not None
    if parent:
        assert (prop, RDFS.subPropertyOf, URIRef(parent)) in ont


def test_every_class_is_an_owl_class_with_labels(ont):
    classes = {s for s in ont.subjects(RDF.type, OWL.Class) if str(s).startswith(UVTS)}
    assert len(classes) >= 8
    used = {o for o in ont.objects(None, RDFS.subClassOf) if str(o).startswith(UVTS)}
    assert used <= classes
    for cls in classes:
        assert _labels(ont, cls) == {"sv", "en"} and _labels(ont, cls, RDFS.comment) == {"sv", "en"}


def test_every_property_has_labels_comments_and_range(ont):
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for prop in ont.subjects(RDF.type, kind):
            assert _labels(ont, prop) == {"sv", "en"}, prop
            assert _labels(ont, prop, RDFS.comment) == {"sv", "en"}, prop
            assert ont.value(prop, RDFS.range) is not None, prop


def test_same_activity_is_symmetric(ont):
    assert (URIRef(UVTS + "sameActivityAs"), RDF.type, OWL.SymmetricProperty) in ont


def test_concept_schemes(store):
    rows = store.select("""
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX uvts: <https://w3id.org/uvts/ontology#>
        SELECT ?c ?scheme (COUNT(DISTINCT ?sv) AS ?sv_) (COUNT(DISTINCT ?en) AS ?en_) (COUNT(DISTINCT ?d) AS ?defs) WHERE {
          ?c skos:inScheme ?scheme .
          OPTIONAL { ?c skos:prefLabel ?sv FILTER(lang(?sv) = "sv") }
          OPTIONAL { ?c skos:prefLabel ?en FILTER(lang(?en) = "en") }
          OPTIONAL { ?c skos:definition ?d }
        } GROUP BY ?c ?scheme""").values()
    by_scheme = {}
    for r in rows:
        by_scheme.setdefault(r["scheme"].rsplit("/", 1)[-1], []).append(r)
        assert r["sv_"] == 1 and r["en_"] == 1 and r["defs"] >= 1, r
    assert len(by_scheme["risk-factors"]) == 7
    assert len(by_scheme["prevention-levels"]) == 3


def test_variant_names_are_alt_labels(store):
    rows = store.select("""
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?c ?alt WHERE { ?c skos:altLabel ?alt FILTER(lang(?alt) = "sv") }""").values()
    alts = {(r["c"].rsplit("/", 1)[-1], r["alt"]) for r in rows}
    assert ("sarbara-familjeforhallanden", "Bristande familjeförhållanden") in alts
    assert ("utanforskap", "Motverka utanförskap") in alts
    assert ("synlig-narvaro-av-kriminella", "Synlig närvaro av kriminella i den urbana miljön") in alts


def test_departments_are_units_of_the_municipality(store):
    rows = store.select("""
        PREFIX org: <http://www.w3.org/ns/org#>
        PREFIX uvts: <https://w3id.org/uvts/ontology#>
        SELECT ?d WHERE { ?d a uvts:Department ; org:unitOf <https://w3id.org/uvts/id/actor/umea-kommun> }""")
    assert {r["d"].rsplit("/", 1)[-1] for r in rows.values()} == {
        "arbetsmarknad-och-integration", "fritid", "forskolan", "grundskolan", "gymnasiet", "kultur",
        "strategisk-utveckling", "stod-och-omsorg", "sakerhet", "teknik-och-fastighet"}


def test_public_actors_are_cpov_public_organisations(store):
    rows = store.select("""
        PREFIX uvts: <https://w3id.org/uvts/ontology#>
        PREFIX cv: <http://data.europa.eu/m8g/>
        ASK { <https://w3id.org/uvts/id/actor/polisen> a cv:PublicOrganisation .
              <https://w3id.org/uvts/id/actor/region-vasterbotten> a cv:PublicOrganisation .
              FILTER NOT EXISTS { <https://w3id.org/uvts/id/actor/selam> a cv:PublicOrganisation } }""")
    assert rows.boolean is True
