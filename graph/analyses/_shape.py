"""The shape every analysis returns: a result holding tables, as plain JSON-ready data.

A *result*::

    {"name": "coverage", "title": "Täckning", "explanation": "…",
     "tables": [table, …], "labels": {iri: Swedish label, …}}

A *matrix* table (rows × columns, each cell a number and the interventions behind it)::

    {"name": …, "title": …, "explanation": …, "kind": "matrix", "value_label": "Antal insatser",
     "rows": [header, …], "columns": [header, …], "cells": [[cell, …], …], "row_totals": [cell, …]}

    header = {"key": str, "iri": str | None, "label": str, …}
    cell   = {"value": number, "interventions": [iri, …], …}

A *records* table (a list of objects with the same keys)::

    {"name": …, "title": …, "explanation": …, "kind": "records",
     "columns": [{"key": str, "label": str, "type": str}, …], "rows": [{…}, …]}

Column types: ``iri``, ``iris``, ``text``, ``integer``, ``number``, ``score``, ``sek``,
``boolean``, ``codes`` (a list of codes; the column has ``codes``: code -> Swedish) and
``reasons`` (a list of objects with a Swedish ``description``).
"""

from __future__ import annotations

__all__ = ["result", "matrix", "records", "header", "cell", "column", "find_table", "collect_labels"]


def header(key: str, label: str, iri: str | None = None, **extra) -> dict:
    return {"key": key, "iri": iri, "label": label, **extra}


def cell(value, interventions=(), **extra) -> dict:
    return {"value": value, "interventions": sorted(set(interventions)), **extra}


def column(key: str, label: str, type: str = "text", **extra) -> dict:
    return {"key": key, "label": label, "type": type, **extra}


def matrix(name: str, title: str, explanation: str, rows: list[dict], columns: list[dict],
           cells: list[list[dict]], value_label: str, row_totals: list[dict] | None = None, **extra) -> dict:
    assert len(cells) == len(rows) and all(len(r) == len(columns) for r in cells)
    out = {"name": name, "title": title, "explanation": explanation, "kind": "matrix", "value_label": value_label,
           "rows": rows, "columns": columns, "cells": cells}
    if row_totals is not None:
        out["row_totals"] = row_totals
    out.update(extra)
    return out


def records(name: str, title: str, explanation: str, columns: list[dict], rows: list[dict], **extra) -> dict:
    return {"name": name, "title": title, "explanation": explanation, "kind": "records", "columns": columns,
            "rows": rows, **extra}


def collect_labels(G, tables: list[dict]) -> dict[str, str]:
    """Swedish labels of every IRI that the tables mention (for renderers)."""
    seen: set[str] = set()

    def walk(x):
        if isinstance(x, str):
            if x.startswith("https://w3id.org/uvts/id/"):
                seen.add(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)

    walk(tables)
    return {iri: G.nodes[iri]["label"] if iri in G else iri.rsplit("/", 1)[-1] for iri in sorted(seen)}


def result(G, name: str, title: str, explanation: str, tables: list[dict], **extra) -> dict:
    return {"name": name, "title": title, "explanation": explanation, "tables": tables,
            "labels": collect_labels(G, tables), **extra}


def find_table(res: dict, name: str) -> dict:
    """The table called ``name`` in a result (KeyError when there is none)."""
    for t in res["tables"]:
        if t["name"] == name:
            return t
    raise KeyError(name)
