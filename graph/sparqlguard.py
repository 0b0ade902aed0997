"""Read a user's SPARQL before anything runs it: its size, its form, its dataset, and what to refuse.

Shared by the web service's endpoint (:mod:`uvts.api.sparql_worker`) and every store of the
library (:mod:`uvts.graph.store`, :mod:`uvts.graph.remote`, and so ``uvts query --sparql``),
so both refuse the same queries with the same Swedish messages.

Nothing here ever fetches a URL, and neither may the engines: pyoxigraph sends an HTTP request
for ``SERVICE`` and for ``LOAD``; rdflib also fetches graphs named by ``FROM`` and remote
JSON-LD contexts. So a query or update is checked:

* :func:`check_limits` (lexical, microseconds, before any parser sees the text): the text's
  length, the nesting depth of ``{ ( [`` and the number of ``UNION`` branches. Beyond those
  the engines fail badly: 10,000 UNION branches make pyoxigraph segfault, 40 nested groups
  exhaust rdflib's recursion, 25 nested ``CONCAT`` doublings take 1.4 GB.
* :func:`inspect_query` / :func:`inspect_update` parse with rdflib's SPARQL parser and
  search the parse tree for ``SERVICE`` anywhere (also inside sub-queries, ``OPTIONAL``,
  ``MINUS``, updates' ``WHERE``): refused; ``LOAD``: refused; ``FROM``, ``FROM NAMED``,
  ``USING``, ``USING NAMED``: the IRIs are returned, and the caller refuses any that is not
  a graph in the store (:func:`unknown_graphs`, :func:`refuse_unknown_graphs`).
* A second, lexical check looks for the keywords ``SERVICE`` and ``LOAD`` in the text with
  comments, strings and IRIs blanked out (:func:`code_only`). It guards against a query
  that the two parsers read differently; it can refuse a harmless query (never the reverse).
* :func:`check_store_query` is the stores' guard: the limits and the lexical check always
  (cheap), the full parse only when the text has ``FROM`` (so saved queries pay nothing).

All functions are plain and raise :class:`SparqlRefusal` (status + Swedish message), a
:class:`~uvts.graph.store.QueryError`, so the command line reports it like any bad query.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from .store import QueryError

__all__ = ["SparqlRefusal", "QueryInfo", "UpdateInfo", "inspect_query", "cached_inspect_query", "inspect_update",
           "code_only", "lexical_keywords", "tree_names", "unknown_graphs", "QUERY_FORMS", "check_limits",
           "check_store_query", "refuse_unknown_graphs", "Limits", "LIMITS", "SERVICE_MESSAGE", "LOAD_MESSAGE"]

QUERY_FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT",
               "DescribeQuery": "DESCRIBE"}


class SparqlRefusal(QueryError):
    """A query that will not be run: ``status`` (400, 403, …) for the web service and a Swedish ``message``."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)

    def __reduce__(self):  # pickles (uvts.graph.guarded hands it from a child process)
        return type(self), (self.status, self.message)


@dataclass(frozen=True)
class QueryInfo:
    """What a parsed query is: its form and the graphs its ``FROM`` clauses name."""

    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()

    @property
    def has_dataset(self) -> bool:
        return bool(self.from_graphs or self.from_named)

    @property
    def is_graph_form(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


@dataclass(frozen=True)
class UpdateInfo:
    """What a parsed update does: the operation names and the graphs of its ``USING`` clauses."""

    operations: tuple[str, ...]
    using_graphs: tuple[str, ...] = ()


# --- the lexical view -----------------------------------------------------------------------

# One token of what is not code: a comment, a long or short string (unterminated: to the end of
# its line or of the text), an IRI, or an escaped character outside them (ex:a\#b keeps its name).
_LEX = re.compile(
    r"#[^\n]*"  # a comment
    r"|'''(?:[^'\\]|\\.|\\\Z|'(?!''))*(?:'''|\Z)"  # long strings
    r'|"""(?:[^"\\]|\\.|\\\Z|"(?!""))*(?:"""|\Z)'
    r"|'(?:[^'\\\n]|\\.|\\\Z)*(?:'|\Z|(?=\n))"  # short strings
    r'|"(?:[^"\\\n]|\\.|\\\Z)*(?:"|\Z|(?=\n))'
    r'|<[^<>"{}|^`\\\x00-\x20]*>'  # an IRI
    r"|\\.?",  # an escaped character in a prefixed name
    re.S)
_NOT_NEWLINE = re.compile(r"[^\n]")


def _blank(match) -> str:
    token = match.group()
    return token if token[0] == "\\" else _NOT_NEWLINE.sub(" ", token)


def code_only(text: str) -> str:
    """``text`` with comments, string literals and IRIs replaced by spaces (same length).

    What is left is the SPARQL "code": keywords, variables, prefixed names, punctuation.
    (One regular expression; it gives the same result as a character-by-character scanner on
    every saved query and 50,000 random texts of quotes, backslashes, brackets and newlines.)
    """
    return _LEX.sub(_blank, text)


_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _expand_codepoints(text: str) -> str:
    # SPARQL 1.1 Query §19.2: \uXXXX escapes are read before parsing (rdflib does so).
    return _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def lexical_keywords(text: str, keywords=("SERVICE", "LOAD")) -> set[str]:
    """The ``keywords`` that occur as keywords (not in names, strings, IRIs or comments)."""
    code = code_only(_expand_codepoints(text))
    found = set()
    for word in keywords:
        if re.search(rf"(?<![\w:?$\-.]){word}(?![\w:\-])", code, flags=re.IGNORECASE):
            found.add(word.upper())
    return found


# --- the parse tree ---------------------------------------------------------------------------


def tree_names(tree) -> set[str]:
    """The names of every construct in an rdflib parse tree (``ServiceGraphPattern``, ``Load``, …)."""
    return {node.name for node in _nodes(tree)}


def _nodes(tree):
    """Every CompValue in an rdflib SPARQL parse tree (depth first)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack, seen = [tree], set()
    while stack:
        node = stack.pop()
        if node is None or isinstance(node, (str, bytes, int, float, bool)):
            continue  # rdflib terms are str subclasses: leaves
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, CompValue):
            yield node
            stack.extend(dict.values(node))
        elif isinstance(node, ParseResults):
            stack.extend(list(node))
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)


def _parse_message(exc: Exception) -> str:
    text = str(exc).strip()
    return text if len(text) <= 500 else text[:497] + "…"


SERVICE_MESSAGE = ("SERVICE (federerade frågor mot andra tjänster) stöds inte: den här tjänsten "
                   "hämtar aldrig data från andra adresser.")
LOAD_MESSAGE = "LOAD stöds inte: den här tjänsten hämtar aldrig data från andra adresser."


def _refuse_service() -> SparqlRefusal:
    return SparqlRefusal(400, SERVICE_MESSAGE)


# --- limits ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How big a query may be before any parser or engine sees it."""

    max_chars: int = 50_000  # rdflib parses about 50 KB a second
    max_depth: int = 20  # nested { ( [ together; rdflib's parser recurses past about 28
    max_union: int = 200  # UNION branches; 10,000 make pyoxigraph crash, 1,000 take rdflib 1.4 s to parse


LIMITS = Limits()
_UNION = re.compile(r"(?<![\w:?$\-.])UNION(?![\w:\-])", re.IGNORECASE)


def check_limits(text: str, limits: Limits = LIMITS, what: str = "Frågan", code: str | None = None) -> None:
    """Refuse (400) a text that is too long, nested too deep or has too many UNION branches.

    ``code``: the text's :func:`code_only` form, when the caller has it already.
    """
    if len(text) > limits.max_chars:
        raise SparqlRefusal(400, f"{what} är för lång: {len(text)} tecken, men gränsen är {limits.max_chars}. "
                                 f"Dela upp den i flera mindre frågor.")
    code = code_only(text) if code is None else code
    depth = deepest = 0
    for match in _BRACKETS.finditer(code):
        if match.group() in "{([":
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    if deepest > limits.max_depth:
        raise SparqlRefusal(400, f"{what} är för djupt nästlad: {deepest} nivåer av klamrar och parenteser, men "
                                 f"gränsen är {limits.max_depth}. Skriv den plattare (till exempel med BIND i "
                                 f"flera steg).")
    branches = len(_UNION.findall(code)) + 1
    if branches > limits.max_union:
        raise SparqlRefusal(400, f"{what} har för många UNION-grenar: {branches}, men gränsen är "
                                 f"{limits.max_union}. Använd VALUES för många alternativ, eller dela upp frågan.")


_BRACKETS = re.compile(r"[{(\[\])}]")


def inspect_query(text: str) -> QueryInfo:
    """Parse a query and say what it is; refuse it if it could fetch a URL or cannot be parsed."""
    from rdflib.plugins.sparql.parser import parseQuery

    if not text.strip():
        raise SparqlRefusal(400, "Frågan är tom.")
    check_limits(text)
    try:
        tree = parseQuery(text)
    except Exception as exc:  # pyparsing's ParseException, and rdflib's errors for bad terms
        if _is_update(text):
            raise SparqlRefusal(400, "Detta är en uppdatering (SPARQL Update), inte en fråga: skicka den med POST "
                                     "som 'update' eller med Content-Type application/sparql-update.") from None
        raise SparqlRefusal(400, f"Frågan kunde inte tolkas: {_parse_message(exc)}") from None
    query = tree[1]
    form = QUERY_FORMS.get(getattr(query, "name", ""))
    if form is None:
        raise SparqlRefusal(400, "Frågan kunde inte tolkas: okänd frågeform.")
    default, named = [], []
    for node in _nodes(tree):
        if node.name == "ServiceGraphPattern":
            raise _refuse_service()
        if node.name == "DatasetClause":
            if dict.get(node, "default") is not None:  # (CompValue.get returns the key when it is missing)
                default.append(str(dict.get(node, "default")))
            if dict.get(node, "named") is not None:
                named.append(str(dict.get(node, "named")))
    if "SERVICE" in lexical_keywords(text, ("SERVICE",)):
        raise _refuse_service()
    return QueryInfo(form, tuple(default), tuple(named))


_CACHE: OrderedDict[str, QueryInfo] = OrderedDict()
CACHE_SIZE = 256
CACHE_MAX_TEXT = 16_384


def cached_inspect_query(text: str) -> QueryInfo:
    """:func:`inspect_query`, remembering the last ``CACHE_SIZE`` accepted queries (up to 16 KB each).

    Parsing with rdflib costs tens of milliseconds, several times the cost of running a typical
    query here; an application that sends the same queries again pays it once per worker.
    Refusals are not remembered.
    """
    info = _CACHE.get(text)
    if info is not None:
        _CACHE.move_to_end(text)
        return info
    info = inspect_query(text)
    if len(text) <= CACHE_MAX_TEXT:
        _CACHE[text] = info
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return info


def _is_update(text: str) -> bool:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        return bool(dict.get(parseUpdate(text), "request"))
    except Exception:
        return False


def inspect_update(text: str) -> UpdateInfo:
    """Parse an update; refuse ``LOAD`` and ``SERVICE`` and anything that does not parse."""
    from rdflib.plugins.sparql.parser import parseUpdate

    if not text.strip():
        raise SparqlRefusal(400, "Uppdateringen är tom.")
    check_limits(text, what="Uppdateringen")
    try:
        tree = parseUpdate(text)
    except Exception as exc:
        raise SparqlRefusal(400, f"Uppdateringen kunde inte tolkas: {_parse_message(exc)}") from None
    operations = tuple(op.name for op in (dict.get(tree, "request") or []))
    if not operations:
        raise SparqlRefusal(400, "Uppdateringen innehåller ingen operation.")
    using = []
    for node in _nodes(tree):
        if node.name == "Load":
            raise SparqlRefusal(400, LOAD_MESSAGE)
        if node.name == "ServiceGraphPattern":
            raise _refuse_service()
        if node.name == "UsingClause":
            for key in ("default", "named"):
                if dict.get(node, key) is not None:
                    using.append(str(dict.get(node, key)))
    words = lexical_keywords(text)
    if "LOAD" in words:
        raise SparqlRefusal(400, LOAD_MESSAGE)
    if "SERVICE" in words:
        raise _refuse_service()
    return UpdateInfo(operations, tuple(using))


def unknown_graphs(iris, store_graphs) -> list[str]:
    """The IRIs in ``iris`` that are not graphs of the store (in order, without repeats)."""
    known = set(store_graphs)
    out = []
    for iri in iris:
        if iri not in known and iri not in out:
            out.append(iri)
    return out


def refuse_unknown_graphs(iris, store_graphs) -> None:
    """Refuse (400) when ``iris`` (from FROM, USING or the dataset parameters) name a graph not in ``store_graphs``."""
    graphs = list(store_graphs)
    unknown = unknown_graphs(iris, graphs)
    if unknown:
        names = ", ".join(f"<{g}>" for g in unknown)
        known = ", ".join(f"<{g}>" for g in graphs)
        raise SparqlRefusal(400, f"Grafen {names} finns inte i den här tjänsten. FROM, USING och "
                                 f"default-graph-uri/named-graph-uri kan bara välja bland tjänstens egna grafer "
                                 f"(tjänsten hämtar aldrig data från andra adresser): {known}.")


_LEXICAL_OK: OrderedDict[str, bool] = OrderedDict()  # texts that passed the lexical checks -> has FROM


def check_store_query(text: str, graphs) -> QueryInfo | None:
    """The library's guard before a store runs ``text`` (any store: embedded, rdflib, remote).

    Always: :func:`check_limits` and the lexical check for ``SERVICE`` and ``LOAD`` (cheap, and
    remembered for the last 256 texts that passed, so saved queries pay once). When the text
    has ``FROM``: a full parse (cached), and every graph it names must be one of ``graphs()``
    (a callable, so a remote store is asked only then). Returns the parsed :class:`QueryInfo`
    when it parsed, else ``None``.
    """
    has_from = _LEXICAL_OK.get(text)
    if has_from is None:
        code = code_only(_expand_codepoints(text))
        check_limits(text, code=code)
        if _keyword(code, "SERVICE"):
            raise _refuse_service()
        if _keyword(code, "LOAD"):
            raise SparqlRefusal(400, LOAD_MESSAGE)
        has_from = _keyword(code, "FROM")
        if len(text) <= CACHE_MAX_TEXT:
            _LEXICAL_OK[text] = has_from
            while len(_LEXICAL_OK) > CACHE_SIZE:
                _LEXICAL_OK.popitem(last=False)
    else:
        _LEXICAL_OK.move_to_end(text)
    if not has_from:
        return None
    info = cached_inspect_query(text)
    refuse_unknown_graphs([*info.from_graphs, *info.from_named], graphs())
    return info


def _keyword(code: str, word: str) -> bool:
    return re.search(rf"(?<![\w:?$\-.]){word}(?![\w:\-])", code, flags=re.IGNORECASE) is not None
