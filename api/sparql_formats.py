"""Media types of SPARQL answers: content negotiation and the four result formats.

* :func:`negotiate` picks a media type from an ``Accept`` header with q-values
  (RFC 9110 §12.5.1): the highest q wins; among equal q, the type named most specifically
  (``text/csv`` before ``text/*`` before ``*/*``); then the server's order. A missing or
  empty header means ``*/*``.
* :func:`results_json`, :func:`results_xml`, :func:`results_csv`, :func:`results_tsv`
  write a SELECT or ASK answer as the W3C Recommendations "SPARQL 1.1 Query Results
  JSON Format", "SPARQL Query Results XML Format (Second Edition)" and "SPARQL 1.1 Query
  Results CSV and TSV Formats" define them. They take plain data: variable names and
  rows of :class:`uvts.graph.store.Term`.
* :func:`serialize_graph` writes CONSTRUCT/DESCRIBE triples (pyoxigraph terms) as Turtle,
  N-Triples, JSON-LD or RDF/XML. JSON-LD is written without any context, so nothing
  ever refers to a remote context.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from uvts.graph import namespaces as ns
from uvts.graph.store import Term

__all__ = ["MediaRange", "parse_accept", "negotiate", "SELECT_TYPES", "ASK_TYPES", "GRAPH_TYPES",
           "content_type", "results_json", "results_xml", "results_csv", "results_tsv", "serialize_results",
           "serialize_graph", "FORMAT_IRIS", "GraphFormatError"]

# (media type answered with, format name), in the server's order of preference. The first
# is the answer to "*/*". Aliases that clients send are answered with the type they asked for.
SELECT_TYPES = (
    ("application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("application/json", "json"),
    ("application/xml", "xml"),
    ("text/xml", "xml"),
)
# The CSV and TSV formats are defined for SELECT only, so an ASK answer has no CSV/TSV form.
ASK_TYPES = tuple(t for t in SELECT_TYPES if t[1] in ("json", "xml"))
GRAPH_TYPES = (
    ("text/turtle", "turtle"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("application/x-turtle", "turtle"),
    ("application/turtle", "turtle"),
)

# The media type an answer is labelled with, whichever alias the client asked for: a client that
# accepts application/json or application/xml (a browser's Accept header does) gets the format's
# own type, as the SPARQL 1.1 Protocol wants.
CANONICAL = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
             "csv": "text/csv", "tsv": "text/tab-separated-values", "turtle": "text/turtle",
             "nt": "application/n-triples", "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml"}

# W3C's IRIs for the formats (http://www.w3.org/ns/formats/), for the service description.
FORMAT_IRIS = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "nt": "http://www.w3.org/ns/formats/N-Triples",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
}

XSD_STRING = ns.XSD + "string"
RDF_LANGSTRING = ns.RDF + "langString"


# --- content negotiation -----------------------------------------------------------------------


@dataclass(frozen=True)
class MediaRange:
    """One element of an ``Accept`` header."""

    type: str
    subtype: str
    q: float = 1.0

    def matches(self, media_type: str) -> bool:
        t, _, s = media_type.partition("/")
        return (self.type == "*" or self.type == t) and (self.subtype == "*" or self.subtype == s)

    @property
    def specificity(self) -> int:
        return 0 if self.type == "*" else 1 if self.subtype == "*" else 2


_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_QVALUE = re.compile(r"^(0(\.\d{0,3})?|1(\.0{0,3})?)$")


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed elements are left out."""
    ranges = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        t, slash, s = media.partition("/")
        if not slash or not _TOKEN.match(t) or not _TOKEN.match(s) or (t == "*" and s != "*"):
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                value = value.strip()
                q = float(value) if _QVALUE.match(value) else -1.0
        if q >= 0:
            ranges.append(MediaRange(t, s, q))
    return ranges


def negotiate(accept: str | None, available) -> tuple[str, str] | None:
    """The ``(media type, format)`` of ``available`` to answer with, or ``None`` (406).

    ``available`` is a sequence of ``(media type, format name)`` in the server's order.
    """
    available = list(available)
    if accept is None or not accept.strip():
        return available[0]
    ranges = parse_accept(accept)
    if not ranges:
        return available[0]  # nothing readable in the header: as if it were absent
    best, best_key = None, None
    for index, (media_type, name) in enumerate(available):
        matching = [r for r in ranges if r.matches(media_type)]
        if not matching:
            continue
        top = max(r.specificity for r in matching)
        rng = max((r for r in matching if r.specificity == top), key=lambda r: r.q)
        if rng.q <= 0:
            continue
        key = (rng.q, rng.specificity, -index)
        if best_key is None or key > best_key:
            best, best_key = (CANONICAL.get(name, media_type), name), key
    return best


def content_type(media_type: str) -> str:
    """The ``Content-Type`` header value for an answer of ``media_type`` (UTF-8 for text)."""
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


# --- SELECT and ASK results ----------------------------------------------------------------------


def _json_term(t: Term) -> dict:
    if t.kind == "uri":
        return {"type": "uri", "value": t.value}
    if t.kind == "bnode":
        return {"type": "bnode", "value": t.value}
    out = {"type": "literal", "value": t.value}
    if t.lang:
        out["xml:lang"] = t.lang
    elif t.datatype and t.datatype not in (XSD_STRING, RDF_LANGSTRING):
        out["datatype"] = t.datatype
    return out


def results_json(vars: list[str], rows: list[dict[str, Term]], boolean: bool | None = None) -> bytes:
    """SPARQL 1.1 Query Results JSON Format."""
    if boolean is not None:
        doc = {"head": {}, "boolean": bool(boolean)}
    else:
        doc = {"head": {"vars": list(vars)},
               "results": {"bindings": [{v: _json_term(r[v]) for v in vars if v in r} for r in rows]}}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    # Characters that XML 1.0 cannot carry at all become U+FFFD.
    return escape(_XML_INVALID.sub("\ufffd", text))


def _xml_attr(text: str) -> str:
    return quoteattr(_XML_INVALID.sub("\ufffd", text))


def _xml_term(t: Term) -> str:
    if t.kind == "uri":
        return f"<uri>{_xml_text(t.value)}</uri>"
    if t.kind == "bnode":
        return f"<bnode>{_xml_text(t.value)}</bnode>"
    if t.lang:
        return f"<literal xml:lang={_xml_attr(t.lang)}>{_xml_text(t.value)}</literal>"
    if t.datatype and t.datatype not in (XSD_STRING, RDF_LANGSTRING):
        return f"<literal datatype={_xml_attr(t.datatype)}>{_xml_text(t.value)}</literal>"
    return f"<literal>{_xml_text(t.value)}</literal>"


def results_xml(vars: list[str], rows: list[dict[str, Term]], boolean: bool | None = None) -> bytes:
    """SPARQL Query Results XML Format."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n']
    if boolean is not None:
        out.append(f"  <head/>\n  <boolean>{'true' if boolean else 'false'}</boolean>\n</sparql>\n")
        return "".join(out).encode("utf-8")
    out.append("  <head>\n")
    out.extend(f"    <variable name={_xml_attr(v)}/>\n" for v in vars)
    out.append("  </head>\n  <results>\n")
    for r in rows:
        out.append("    <result>\n")
        out.extend(f"      <binding name={_xml_attr(v)}>{_xml_term(r[v])}</binding>\n" for v in vars if v in r)
        out.append("    </result>\n")
    out.append("  </results>\n</sparql>\n")
    return "".join(out).encode("utf-8")


def _csv_value(t: Term | None) -> str:
    if t is None:
        return ""
    return "_:" + t.value if t.kind == "bnode" else t.value


def results_csv(vars: list[str], rows: list[dict[str, Term]]) -> bytes:
    """SPARQL 1.1 Query Results CSV Format: lexical forms, RFC 4180 quoting, CRLF line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(vars)
    for r in rows:
        writer.writerow([_csv_value(r.get(v)) for v in vars])
    return buf.getvalue().encode("utf-8")


_TSV_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NUMERIC = {
    ns.XSD + "integer": re.compile(r"^[+-]?[0-9]+$"),
    ns.XSD + "decimal": re.compile(r"^[+-]?[0-9]*\.[0-9]+$"),
    ns.XSD + "double": re.compile(r"^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+$"),
}


def _tsv_term(t: Term | None) -> str:
    if t is None:
        return ""
    if t.kind == "uri":
        return f"<{t.value}>"
    if t.kind == "bnode":
        return f"_:{t.value}"
    pattern = _NUMERIC.get(t.datatype or "")
    if pattern is not None and not t.lang and pattern.match(t.value):
        return t.value  # the abbreviated Turtle form of a number
    body = '"' + "".join(_TSV_ESCAPES.get(c, c) for c in t.value) + '"'
    if t.lang:
        return f"{body}@{t.lang}"
    if t.datatype and t.datatype not in (XSD_STRING, RDF_LANGSTRING):
        return f"{body}^^<{t.datatype}>"
    return body


def results_tsv(vars: list[str], rows: list[dict[str, Term]]) -> bytes:
    """SPARQL 1.1 Query Results TSV Format: terms in SPARQL/Turtle syntax, ``?name`` headers."""
    lines = ["\t".join("?" + v for v in vars)]
    lines.extend("\t".join(_tsv_term(r.get(v)) for v in vars) for r in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def serialize_results(fmt: str, vars: list[str], rows: list[dict[str, Term]], boolean: bool | None = None) -> bytes:
    """A SELECT/ASK answer in format ``fmt`` (``json``, ``xml``, ``csv`` or ``tsv``)."""
    if fmt == "json":
        return results_json(vars, rows, boolean)
    if fmt == "xml":
        return results_xml(vars, rows, boolean)
    if boolean is not None:
        raise ValueError(f"format {fmt!r} has no form for ASK answers")
    if fmt == "csv":
        return results_csv(vars, rows)
    if fmt == "tsv":
        return results_tsv(vars, rows)
    raise ValueError(f"unknown results format {fmt!r}")


# --- CONSTRUCT and DESCRIBE ----------------------------------------------------------------------


class GraphFormatError(ValueError):
    """The triples cannot be written in the asked format (e.g. RDF/XML and some predicates)."""


# RDF/XML writes a predicate as an XML element name: its IRI must end in a valid local name.
_XML_LOCAL_NAME = re.compile(r"[^\W\d][\w.\-]*$")


def _used_prefixes(triples, prefixes: dict[str, str]) -> dict[str, str]:
    """The prefixes whose namespace some IRI of ``triples`` starts with."""
    import pyoxigraph as ox

    iris = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    return {p: base for p, base in prefixes.items() if any(i.startswith(base) for i in iris)}


def serialize_graph(fmt: str, triples, prefixes: dict[str, str] | None = None) -> bytes:
    """pyoxigraph ``Triple`` objects as ``turtle``, ``nt``, ``jsonld`` or ``rdfxml``.

    Turtle and RDF/XML declare those of the project's prefixes (and of ``prefixes``) that
    the triples use.
    """
    import pyoxigraph as ox

    formats = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
               "rdfxml": ox.RdfFormat.RDF_XML}
    if fmt not in formats:
        raise ValueError(f"unknown graph format {fmt!r}")
    triples = list(triples)
    if fmt == "rdfxml":
        for t in triples:
            if not _XML_LOCAL_NAME.search(t.predicate.value):
                raise GraphFormatError(f"predikatet <{t.predicate.value}> kan inte skrivas i RDF/XML")
    names = _used_prefixes(triples, {**ns.PREFIXES, **(prefixes or {})}) if fmt in ("turtle", "rdfxml") else None
    try:
        return ox.serialize(triples, format=formats[fmt], prefixes=names) or b""
    except (ValueError, TypeError, SyntaxError) as exc:
        raise GraphFormatError(str(exc)) from None
