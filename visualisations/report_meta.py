"""The two things every page of the report carries: its date and the version of the data.

* :func:`data_version`: the first 12 hex digits of a SHA-256 over every triple of the
  plans' named graphs (the ontology graph left out), each written as one line with its
  literal in a canonical form (``500000`` and ``500000.0`` are the same decimal), sorted. It is computed from the graph, not from the files, so the embedded store, rdflib
  and a remote SPARQL store holding the same data give the same version (the remote store
  returns terms in the embedded store's forms), and a report for one plan of a national
  store gets that plan's version. Any change of the data that changes the graph (a title,
  a link, a source line) changes the version; an edit of a YAML comment does not.
* :func:`report_date`: the date printed in the report. An explicit date wins, else
  ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention, seconds since 1970, read as
  UTC), else today.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os

__all__ = ["data_version", "report_date", "VERSION_LENGTH"]

VERSION_LENGTH = 12
_ALL_TRIPLES = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"


def data_version(store, plan: str | None = None) -> str:
    """A short hash of the data the report is about (one plan, or all plans when ``plan`` is None)."""
    from uvts.graph.plans import ONTOLOGY_GRAPH, plan_scope

    scope = plan_scope(store, plan)
    graphs = [g for g in (scope if scope is not None else store.graphs()) if g != ONTOLOGY_GRAPH]
    h = hashlib.sha256()
    if graphs:
        rows = store.select(_ALL_TRIPLES, graphs=graphs).rows
        lines = sorted({f"{_canonical(r['s'])} {_canonical(r['p'])} {_canonical(r['o'])} ." for r in rows})
        for line in lines:
            h.update(line.encode("utf-8"))
            h.update(b"\n")
    return h.hexdigest()[:VERSION_LENGTH]


_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {_XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                                "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong")}


def _canonical(term) -> str:
    """A term in one canonical N-Triples form, whatever engine returned it: engines write the
    same decimal as ``500000`` or ``500000.0``, a plain string with or without ``xsd:string``,
    a language tag in either case."""
    from decimal import Decimal, InvalidOperation

    if term.kind == "uri":
        return f"<{term.value}>"
    if term.kind == "bnode":
        return f"_:{term.value}"
    value, datatype = term.value, term.datatype or _XSD + "string"
    if term.lang:
        return f"{json.dumps(value, ensure_ascii=False)}@{term.lang.lower()}"
    try:
        if datatype in _INTEGERS:
            value, datatype = str(int(value)), _XSD + "integer"
        elif datatype == _XSD + "decimal":
            d = Decimal(value)
            value = str(d.quantize(Decimal(1))) if d == d.to_integral_value() else format(d.normalize(), "f")
        elif datatype in (_XSD + "double", _XSD + "float"):
            value = repr(float(value))
        elif datatype == _XSD + "boolean":
            value = {"1": "true", "0": "false"}.get(value, value)
    except (ValueError, InvalidOperation):
        pass
    return f"{json.dumps(value, ensure_ascii=False)}^^<{datatype}>"


def report_date(date=None) -> _dt.date:
    """The report's date: ``date`` (a date, datetime or ISO ``YYYY-MM-DD`` text), else
    ``SOURCE_DATE_EPOCH``, else today. Raises ValueError (Swedish) for a malformed date."""
    if isinstance(date, _dt.datetime):
        return date.date()
    if isinstance(date, _dt.date):
        return date
    if isinstance(date, str) and date.strip():
        try:
            return _dt.date.fromisoformat(date.strip())
        except ValueError:
            raise ValueError(f"ogiltigt datum '{date}'; skriv det som ÅÅÅÅ-MM-DD, till exempel 2026-11-25") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc).date()
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"SOURCE_DATE_EPOCH ska vara ett heltal (sekunder sedan 1970), inte '{epoch}'") from None
    return _dt.date.today()
