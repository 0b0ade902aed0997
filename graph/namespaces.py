"""IRIs of the ontology contract, as plain strings (no rdflib import: queries start fast)."""

from __future__ import annotations

__all__ = ["UVTS", "ID", "ORG", "SKOS", "PROV", "DCTERMS", "SCHEMA", "CV", "CPSV", "TIME", "PREFIXES", "iri", "slug_of"]

UVTS = "https://w3id.org/uvts/ontology#"
ID = "https://w3id.org/uvts/id/"
ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
CV = "http://data.europa.eu/m8g/"
CPSV = "http://purl.org/vocab/cpsv#"
TIME = "http://www.w3.org/2006/time#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"

PREFIXES = {
    "uvts": UVTS, "org": ORG, "skos": SKOS, "prov": PROV, "dcterms": DCTERMS,
    "schema": SCHEMA, "cv": CV, "cpsv": CPSV, "time": TIME, "rdf": RDF, "rdfs": RDFS,
    "owl": OWL, "xsd": XSD,
}

# resource type -> IRI path segment
TYPE_SEGMENTS = {
    "risk-factor": "risk-factor", "level": "level", "department": "department",
    "intervention": "intervention", "actor": "actor", "forum": "forum", "place": "place",
    "scheme": "scheme", "base-mission": "base-mission", "budget-item": "budget-item",
    "link": "link", "plan": "plan", "category": "actor-category", "document": "document",
    "workbook": "workbook", "derivation": "derivation",
}


def iri(kind: str, slug: str) -> str:
    """The IRI of a resource of the data: ``https://w3id.org/uvts/id/{type}/{slug}``."""
    return f"{ID}{TYPE_SEGMENTS[kind]}/{slug}"


def slug_of(value: str) -> str:
    """The last path segment of a resource IRI (its slug)."""
    return value.rstrip("/").rsplit("/", 1)[-1]


_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", "Å": "a", "Ä": "a", "Ö": "o", "É": "e"})


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by ``-``, Swedish letters folded (the contract's slug rule)."""
    import re

    folded = text.translate(_FOLD).lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
