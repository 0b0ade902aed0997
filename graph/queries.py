"""Saved queries (``ontology/queries/*.rq``): read their headers, bind parameters, run them.

A saved query is a plain SPARQL file whose comment header documents it::

    #+ summary: Vem arbetar med en riskfaktor?
    #+ tags: riskfaktorer, aktörer
    #+ param: riskFactor risk-factor psykisk-ohalsa
    #+ column: actor Aktör

``param`` names a variable, the kind of value (a resource type such as ``risk-factor``,
or ``integer`` / ``string``) and an optional default. Values are bound as RDF terms by
the store (never pasted into the query text). ``column`` gives an answer column (a variable of
the SELECT) its Swedish heading, for pages and reports.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import namespaces as ns
from .paths import QUERIES_DIR
from .store import SelectResult, Term

__all__ = ["SavedQuery", "Param", "list_queries", "get_query", "bind_params", "run_saved", "format_result",
           "ParamError", "OUTPUT_FORMATS", "escape_controls"]

OUTPUT_FORMATS = ("table", "csv", "tsv", "json")
RESOURCE_KINDS = {"iri", "risk-factor", "level", "department", "intervention", "actor", "forum", "place", "plan", "link"}
_HEADER = re.compile(r"^#\+\s*(\w+)\s*:\s*(.*)$")


class ParamError(ValueError):
    """A parameter is missing, unknown or of the wrong kind."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    default: str | None = None


@dataclass(frozen=True)
class SavedQuery:
    name: str
    path: Path
    text: str
    summary: str
    tags: tuple[str, ...] = ()
    params: tuple[Param, ...] = field(default_factory=tuple)
    columns: tuple[tuple[str, str], ...] = ()  # (variable, Swedish heading), from '#+ column:'

    @property
    def headings(self) -> dict[str, str]:
        """Answer column (variable name) -> its Swedish heading."""
        return dict(self.columns)

    @property
    def is_violation_check(self) -> bool:
        return self.name.endswith("-violation")


def _parse(path: Path) -> SavedQuery:
    text = path.read_text(encoding="utf-8")
    summary, tags, params, columns = "", (), [], []
    for line in text.splitlines():
        m = _HEADER.match(line.strip())
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if key == "summary":
            summary = value
        elif key == "tags":
            tags = tuple(t.strip() for t in value.split(",") if t.strip())
        elif key == "param":
            parts = value.split()
            if len(parts) < 2:
                raise ValueError(f"{path.name}: '#+ param:' behöver namn och typ")
            params.append(Param(parts[0], parts[1], parts[2] if len(parts) > 2 else None))
        elif key == "column":
            name, _, heading = value.partition(" ")
            if not heading.strip():
                raise ValueError(f"{path.name}: '#+ column:' behöver variabel och rubrik")
            columns.append((name.lstrip("?"), heading.strip()))
    return SavedQuery(path.stem, path, text, summary, tags, tuple(params), tuple(columns))


def list_queries(folder: Path = QUERIES_DIR) -> list[SavedQuery]:
    """Every saved query, sorted by name."""
    return [_parse(p) for p in sorted(Path(folder).glob("*.rq"))]


def get_query(name: str, folder: Path = QUERIES_DIR) -> SavedQuery:
    path = Path(folder) / f"{name}.rq"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) or not path.exists():
        import difflib

        names = [q.name for q in list_queries(folder)]
        near = difflib.get_close_matches(name, names, n=1)
        hint = f'; menade du "{near[0]}"?' if near else f"; finns: {', '.join(names)}"
        raise ParamError(f"okänd sparad fråga '{name}'{hint}")
    return _parse(path)


def bind_params(query: SavedQuery, values: dict[str, str]) -> dict[str, Term]:
    """Turn ``key=value`` strings into RDF terms, by each parameter's declared kind."""
    declared = {p.name: p for p in query.params}
    unknown = set(values) - set(declared)
    if unknown:
        raise ParamError(f"okänd parameter {', '.join(sorted(unknown))} för '{query.name}'; "
                         f"tillåtna: {', '.join(declared) or 'inga'}")
    out: dict[str, Term] = {}
    for p in query.params:
        raw = values.get(p.name, p.default)
        if raw is None or raw == "":
            raise ParamError(f"parametern '{p.name}' ({p.kind}) saknas för '{query.name}'")
        if p.kind in RESOURCE_KINDS:
            if raw.startswith(("http://", "https://")):
                out[p.name] = Term.uri(raw)
            elif re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", ns.slugify(raw)):
                out[p.name] = Term.uri(ns.iri(p.kind, ns.slugify(raw)))
            else:
                raise ParamError(f"parametern '{p.name}': förväntade ett id som 'psykisk-ohalsa', fick {raw!r}")
        elif p.kind == "integer":
            try:
                out[p.name] = Term.literal(int(raw))
            except ValueError:
                raise ParamError(f"parametern '{p.name}': förväntade ett heltal, fick {raw!r}") from None
        elif p.kind == "string":
            out[p.name] = Term.literal(raw)
        else:
            raise ParamError(f"parametern '{p.name}' har okänd typ '{p.kind}'")
    return out


def run_saved(store, name: str, params: dict[str, str] | None = None, limit: int | None = None) -> SelectResult:
    query = get_query(name)
    return store.select(query.text, bind_params(query, params or {}), limit=limit)


def _cell(t: Term | None) -> str:
    if t is None:
        return ""
    return t.value


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_KEEP_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str, keep_lines: bool = False) -> str:
    """``text`` with control characters (C0, DEL, C1) written as visible escapes (``\\x1b``), so that
    data cannot move the cursor, recolour or retitle a terminal. ``keep_lines`` keeps tab, CR and LF."""
    pattern = _CONTROL_KEEP_LINES if keep_lines else _CONTROL
    return pattern.sub(lambda m: _NAMED_ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def format_result(result: SelectResult, fmt: str = "table") -> str:
    """A result as text: an aligned table, CSV, TSV (SPARQL TSV terms) or JSON (plain values)."""
    if result.boolean is not None:
        if fmt == "json":
            return json.dumps({"boolean": result.boolean})
        return "ja" if result.boolean else "nej"
    # Control characters from the data never reach the terminal raw: JSON escapes C0 itself (and C1
    # here, as \u0080…); the text formats show them as \x1b and the like.
    if fmt == "json":
        text = json.dumps({"vars": result.vars, "rows": result.values()}, ensure_ascii=False, indent=2)
        return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)
    if fmt == "csv":  # the tool's one CSV dialect, for Excel (see uvts.graph.csvfile)
        from .csvfile import csv_text

        return csv_text([result.vars] + [[escape_controls(_excel_cell(r.get(v)), keep_lines=True) for v in result.vars]
                                         for r in result.rows])
    if fmt == "tsv":
        lines = ["\t".join("?" + v for v in result.vars)]
        for r in result.rows:
            lines.append("\t".join(escape_controls(r[v].n3()) if v in r else "" for v in result.vars))
        return "\n".join(lines) + "\n"
    if fmt != "table":
        raise ParamError(f"okänt format '{fmt}'; välj en av {', '.join(OUTPUT_FORMATS)}")
    cells = [[escape_controls(_short(_cell(r.get(v)))) for v in result.vars] for r in result.rows]
    widths = [max([len(v)] + [len(row[i]) for row in cells]) for i, v in enumerate(result.vars)]
    out = ["  ".join(v.ljust(w) for v, w in zip(result.vars, widths)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    out.append(f"({len(result.rows)} rader{', avkortat' if result.truncated else ''})")
    return "\n".join(out)


_NUMERIC_TYPES = {ns.XSD + t for t in ("decimal", "double", "float")}


def _excel_cell(t: Term | None) -> str:
    """A value for Swedish Excel: decimals with a decimal comma."""
    if t is not None and getattr(t, "datatype", None) in _NUMERIC_TYPES:
        return t.value.replace(".", ",")
    return _cell(t)


def _short(text: str) -> str:
    if text.startswith(ns.ID):
        return text[len(ns.ID):]
    return text if len(text) <= 80 else text[:77] + "…"
