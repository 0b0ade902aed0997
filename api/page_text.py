"""Swedish wording for the pages: numbers with the right form of the noun, and SPARQL parse
errors explained with their position.

>>> plural(1, "träff", "träffar")
'1 träff'
>>> plural(3, "rad", "rader")
'3 rader'
>>> plural(0, "insats", "insatser")
'0 insatser'
"""

from __future__ import annotations

import re

__all__ = ["plural", "explain_sparql_error", "SparqlProblem"]


def plural(n: int, one: str, many: str) -> str:
    """``n`` (thousands separated by a non-breaking space) and the noun: singular for exactly 1."""
    number = f"{n:,}".replace(",", "\u00a0") if isinstance(n, int) else str(n)
    return f"{number} {one if n == 1 else many}"


# pyparsing (rdflib's parser): "Expected SelectQuery, found '?'  (at char 17), (line:1, col:18)"
_PYPARSING = re.compile(r"Expected (?P<expected>.+?), found (?P<found>'.*?'|end of text)\s*"
                        r"\(at char \d+\), \(line:(?P<line>\d+), col:(?P<col>\d+)\)", re.S)
# Oxigraph: "error at 2:26: expected OPTIONAL"
_OXIGRAPH = re.compile(r"error at (?P<line>\d+):(?P<col>\d+): (?P<what>.*)", re.S)
_PREFIX = "Frågan kunde inte tolkas: "


class SparqlProblem(dict):
    """A parse error as plain data: ``message`` (Swedish), ``line``, ``column``, ``source_line``."""


def explain_sparql_error(message: str, query: str) -> SparqlProblem | None:
    """A SPARQL parse error in Swedish with its line and column, or ``None`` when ``message`` is
    not a parse error with a position.

    >>> p = explain_sparql_error("Frågan kunde inte tolkas: Expected SelectQuery, found '?'  (at char 17), "
    ...                          "(line:1, col:18)", "SELECT * WHERE { ?s ?p }")
    >>> p["message"]
    'Frågan kunde inte tolkas: rad 1, kolumn 18: oväntat ”?” här.'
    >>> explain_sparql_error("Frågan kunde inte tolkas: error at 1:25: expected one of LATERAL, SERVICE", "x")["column"]
    25
    """
    if not message.startswith(_PREFIX):
        return None
    detail = message[len(_PREFIX):]
    m = _PYPARSING.search(detail)
    if m:
        found = m.group("found")
        what = "frågan tar slut för tidigt" if found == "end of text" else f"oväntat ”{found.strip(chr(39))}” här"
    else:
        m = _OXIGRAPH.search(detail)
        if not m:
            return None
        raw = m.group("what").strip().rstrip(".")
        expected = re.match(r"expected (one of )?(?P<tokens>.*)", raw)
        if expected:
            what = f"här förväntades {'något av ' if expected.group(1) else ''}{expected.group('tokens')}"
        else:
            what = "frågan följer inte SPARQL:s grammatik här"
    line, column = int(m.group("line")), int(m.group("col"))
    lines = query.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    return SparqlProblem(message=f"{_PREFIX}rad {line}, kolumn {column}: {what}.", line=line, column=column,
                         source_line=source, marker=" " * max(column - 1, 0) + "^")
