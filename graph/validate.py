"""Check the built graph: SHACL shapes (pySHACL) and OWL-RL consistency (owlrl).

Each violation is reported in Swedish with the resource, the property, what was expected
and the resource's source lines in the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from . import namespaces as ns
from .build import build_graph, build_plan_graph, ontology_graph
from .load import PlanData
from .paths import SHAPES_FILE

__all__ = ["Violation", "validate_graph", "validate_plans", "format_violations", "check_consistency",
           "consistency_problems"]

SH = Namespace(ns.SH)
UVTS = Namespace(ns.UVTS)


@dataclass(frozen=True)
class Violation:
    """One SHACL result, in words a strategist can act on."""

    resource: str
    label: str
    property: str
    expected: str
    value: str | None
    source_lines: str | None
    severity: str

    def __str__(self) -> str:
        where = f" (planens rader {self.source_lines})" if self.source_lines else ""
        got = f"; värdet var {self.value}" if self.value else ""
        return (f"{self.label} <{self.resource}>{where}\n"
                f"    egenskap: {self.property}\n"
                f"    förväntat: {self.expected}{got}")


def _short(g: Graph, term) -> str:
    if isinstance(term, URIRef):
        try:
            prefix, _, local = g.compute_qname(term, generate=False)
            return f"{prefix}:{local}"
        except (KeyError, ValueError):
            return f"<{term}>"
    if isinstance(term, Literal):
        return f'"{term}"' + (f"@{term.language}" if term.language else "")
    return str(term)


def _expected(shapes: Graph, shape, component, results: Graph, result) -> str:
    """A Swedish sentence for what a constraint component expects."""
    c = str(component).rsplit("#", 1)[-1]

    def param(p):
        return shapes.value(shape, p)

    if c == "MinCountConstraintComponent":
        n = int(param(SH.minCount))
        return "värdet saknas men krävs" if n == 1 else f"minst {n} värden"
    if c == "MaxCountConstraintComponent":
        n = int(param(SH.maxCount))
        return f"högst {n} värde" + ("" if n == 1 else "n")
    if c == "ClassConstraintComponent":
        return f"en resurs av klassen {_short(shapes, param(SH['class']))}"
    if c == "DatatypeConstraintComponent":
        dt = param(SH.datatype)
        return "text med språktagg" if dt == RDF.langString else f"ett värde av datatypen {_short(shapes, dt)}"
    if c == "LanguageInConstraintComponent":
        langs = [str(x) for x in shapes.items(param(SH.languageIn))]
        return "språktagg " + " eller ".join(f"@{x}" for x in langs)
    if c == "UniqueLangConstraintComponent":
        return "högst ett värde per språk"
    if c == "QualifiedMinCountConstraintComponent":
        return "ett värde på svenska (@sv)"
    if c == "PatternConstraintComponent":
        return f"text som följer mönstret {param(SH.pattern)} (till exempel \"168-209\")"
    if c == "InConstraintComponent":
        return "ett av " + ", ".join(f'"{x}"' for x in shapes.items(param(SH["in"])))
    if c == "HasValueConstraintComponent":
        return f"värdet {_short(shapes, param(SH.hasValue))}"
    if c == "MinInclusiveConstraintComponent":
        return f"ett tal ≥ {param(SH.minInclusive)}"
    if c == "MaxInclusiveConstraintComponent":
        return f"ett tal ≤ {param(SH.maxInclusive)}"
    if c == "LessThanOrEqualsConstraintComponent":
        return f"ett värde ≤ {_short(shapes, param(SH.lessThanOrEquals))}"
    if c == "OrConstraintComponent":
        options = []
        for alt in shapes.items(param(SH["or"])):
            cls = shapes.value(alt, SH["class"])
            options.append(_short(shapes, cls) if cls else "?")
        return "en resurs av klassen " + " eller ".join(options)
    if c == "NodeKindConstraintComponent":
        return "en IRI"
    msg = results.value(result, SH.resultMessage)
    return str(msg) if msg else c


def validate_graph(data: Graph, ontology: Graph | None = None) -> list[Violation]:
    """Validate a data graph against ``ontology/shapes.ttl``; return the violations, sorted."""
    from pyshacl import validate

    shapes = Graph().parse(SHAPES_FILE, format="turtle")
    ont = ontology if ontology is not None else ontology_graph()
    combined = Graph()
    combined += data
    combined += ont  # the concept schemes and actor categories live in the ontology
    conforms, results, _ = validate(combined, shacl_graph=shapes, inference="none",
                                    allow_warnings=True, meta_shacl=False)
    for prefix, value in ns.PREFIXES.items():
        shapes.bind(prefix, value)
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        shape = results.value(result, SH.sourceShape)
        component = results.value(result, SH.sourceConstraintComponent)
        value = results.value(result, SH.value)
        severity = results.value(result, SH.resultSeverity)
        name = shapes.value(shape, SH.name) if shape is not None else None
        label = combined.value(focus, RDFS.label) or combined.value(focus, RDF.type) or ""
        lines = combined.value(focus, UVTS.sourceLines)
        out.append(Violation(
            resource=str(focus),
            label=str(label),
            property=str(name) if name else _short(shapes, path) if path is not None else "",
            expected=_expected(shapes, shape, component, results, result),
            value=_short(shapes, value) if value is not None and value != focus else None,
            source_lines=str(lines) if lines else None,
            severity={"Violation": "fel", "Warning": "varning", "Info": "info"}.get(
                str(severity).rsplit("#", 1)[-1], str(severity)),
        ))
    return sorted(out, key=lambda v: (v.resource, v.property, v.expected))


def validate_plans(plans: Iterable[PlanData]) -> list[Violation]:
    """Validate each plan's graph on its own (a plan is a unit of publication)."""
    ont = ontology_graph()
    out = []
    for plan in plans:
        out.extend(validate_graph(build_plan_graph(plan), ont))
    return out


def format_violations(violations: list[Violation]) -> str:
    lines = [f"{len(violations)} avvikelse(r) från formerna (SHACL):", ""]
    for v in violations:
        lines.append(f"[{v.severity}] {v}")
    return "\n".join(lines)


def consistency_problems(graph: Graph) -> list[str]:
    """OWL-RL closure of ``graph`` (copied); the inconsistencies it finds, in Swedish."""
    import owlrl

    g = Graph()
    g += graph
    closure = owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, rdfs_closure=False, axiomatic_triples=False,
                                     datatype_axioms=False)
    closure.expand(g)
    problems = []
    for s in sorted(set(g.subjects(RDF.type, OWL.Nothing))):
        problems.append(f"<{s}> hör till owl:Nothing (den tillhör klasser som inte får överlappa)")
    # owlrl records each inconsistency as an err:ErrorMessage node with an err:error text
    err = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")
    for node in g.subjects(RDF.type, err.ErrorMessage):
        for text in g.objects(node, err.error):
            problems.append(f"OWL RL: {text}")
    for s, o in g.subject_objects(OWL.sameAs):
        if s != o and isinstance(s, URIRef) and isinstance(o, URIRef) and str(s).startswith(ns.ID) and str(o).startswith(ns.ID):
            problems.append(f"<{s}> och <{o}> härleds vara samma resurs (owl:sameAs)")
    return sorted(set(problems))


def check_consistency(plans: Iterable[PlanData]) -> list[str]:
    """OWL-RL consistency of the ontology together with the plans' data."""
    return consistency_problems(build_graph(plans, with_ontology=True))
