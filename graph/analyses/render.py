"""Analysis results as text for people: a Swedish terminal table, CSV for Excel, or JSON.

CSV is meant for Excel with Swedish settings: fields separated by semicolons, decimal
comma, UTF-8 with a byte-order mark (added by :func:`csv_bytes`). Each table starts with a
line holding its title and a line holding its explanation; tables are separated by an
empty line. A matrix is written twice: the numbers, then the interventions behind each
cell (as ids such as ``stod-och-omsorg-7``).
"""

from __future__ import annotations

import json
import textwrap

__all__ = ["format_json", "format_table", "format_csv", "csv_bytes", "select_tables", "FORMATS"]

FORMATS = ("table", "json", "csv")
_MAX_CELL = 60
_MAX_HEADER = 14


def _short(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _name(iri, labels: dict) -> str:
    """How an IRI is shown: interventions by id (their titles are long), others by label."""
    if iri is None:
        return ""
    if "/id/intervention/" in iri:
        return _short(iri)
    return labels.get(iri, _short(iri))


def _number(value, decimal: str) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1):
        return str(int(value))
    text = f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return text.replace(".", decimal)


def _sek(value, decimal: str, grouped: bool) -> str:
    if value is None:
        return ""
    whole = round(float(value))
    if grouped:
        return f"{whole:,}".replace(",", " ")
    return str(whole)


def _value(v, col: dict, labels: dict, decimal: str = ",", grouped: bool = True) -> str:
    typ = col.get("type", "text")
    if v is None:
        return ""
    if typ == "iri":
        return _name(v, labels)
    if typ == "iris":
        return ", ".join(_name(x, labels) for x in v)
    if typ == "codes":
        codes = col.get("codes", {})
        items = v if isinstance(v, list) else [v]
        return ", ".join(codes.get(x, x) for x in items)
    if typ == "reasons":
        return " ".join(r["description"] for r in v)
    if typ == "sek":
        return _sek(v, decimal, grouped)
    if typ == "boolean":
        return "ja" if v else "nej"
    if typ in ("integer", "number", "score"):
        return _number(v, decimal)
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return str(v)


def select_tables(results: list[dict], table: str | None) -> list[tuple[dict, dict]]:
    """``(result, table)`` pairs, all or only those named ``table`` (KeyError when none)."""
    pairs = [(r, t) for r in results for t in r["tables"] if table is None or t["name"] == table]
    if table is not None and not pairs:
        names = sorted({t["name"] for r in results for t in r["tables"]})
        raise KeyError(f"okänd tabell '{table}'; finns: {', '.join(names)}")
    return pairs


def format_json(results: dict | list, indent: int = 2) -> str:
    return json.dumps(results, ensure_ascii=False, indent=indent)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _grid(head: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max([len(h)] + [len(r[k]) for r in rows]) for k, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.rjust(widths[k]) if k in right else c.ljust(widths[k]) for k, c in enumerate(cells)).rstrip()

    return [line(head), line(["-" * w for w in widths])] + [line(r) for r in rows]


def _table_text(t: dict, labels: dict) -> list[str]:
    out = [t["title"], "=" * len(t["title"])]
    out += textwrap.wrap(t["explanation"], width=100)
    out.append("")
    if t["kind"] == "matrix":
        sek = t.get("value_label") == "Kronor"

        def show(c):
            return _sek(c["value"], ",", True) if sek else _number(c["value"], ",")

        head = [""] + [_clip(c["label"], _MAX_HEADER) for c in t["columns"]]
        if "row_totals" in t:
            head.append("Totalt")
        rows = []
        for k, (r, cells) in enumerate(zip(t["rows"], t["cells"])):
            row = [_clip(r["label"], 40)] + [show(c) for c in cells]
            if "row_totals" in t:
                row.append(show(t["row_totals"][k]))
            rows.append(row)
        out += _grid(head, rows, set(range(1, len(head))))
        out.append(f"({t['value_label']})")
    else:
        cols = [c for c in t["columns"]]
        head = [c["label"] for c in cols]
        last = len(cols) - 1  # the last column is not cut: it is usually the description
        rows = [[_value(row.get(c["key"]), c, labels) if k == last else _clip(_value(row.get(c["key"]), c, labels),
                                                                                _MAX_CELL)
                 for k, c in enumerate(cols)] for row in t["rows"]]
        numeric = {k for k, c in enumerate(cols) if c.get("type") in ("integer", "number", "score", "sek")}
        out += _grid(head, rows, numeric) if rows else ["(inga rader)"]
        if rows:
            out.append(f"({len(rows)} {'rad' if len(rows) == 1 else 'rader'})")
    return out


def format_table(results: list[dict], table: str | None = None) -> str:
    """The results as Swedish text tables for the terminal (long cells are cut with …)."""
    lines: list[str] = []
    current = None
    for res, t in select_tables(results, table):
        if res is not current:
            if lines:
                lines.append("")
            lines += [res["title"].upper(), *textwrap.wrap(res["explanation"], width=100), ""]
            current = res
        lines += _table_text(t, res.get("labels", {}))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def format_csv(results: list[dict], table: str | None = None, delimiter: str = ";") -> str:
    """The results as CSV (every table, or the one named ``table``)."""
    decimal = "," if delimiter == ";" else "."
    w = _Rows()  # written at the end by the tool's one CSV writer (uvts.graph.csvfile)
    first = True
    for res, t in select_tables(results, table):
        labels = res.get("labels", {})
        if not first:
            w.writerow([])
        first = False
        w.writerow([t["title"]])
        w.writerow([t["explanation"]])
        if t["kind"] == "matrix":
            sek = t.get("value_label") == "Kronor"
            total = "row_totals" in t
            head = [t["value_label"]] + [c["label"] for c in t["columns"]] + (["Totalt"] if total else [])
            w.writerow(head)
            for k, (r, cells) in enumerate(zip(t["rows"], t["cells"])):
                values = [_sek(c["value"], decimal, False) if sek else _number(c["value"], decimal) for c in cells]
                if total:
                    tv = t["row_totals"][k]["value"]
                    values.append(_sek(tv, decimal, False) if sek else _number(tv, decimal))
                w.writerow([r["label"]] + values)
            w.writerow([])
            w.writerow([f"{t['title']} – insatser"])
            w.writerow(["Insatser"] + [c["label"] for c in t["columns"]])
            for r, cells in zip(t["rows"], t["cells"]):
                w.writerow([r["label"]] + [", ".join(_short(i) for i in c["interventions"]) for c in cells])
        else:
            w.writerow([c["label"] for c in t["columns"]])
            for row in t["rows"]:
                w.writerow([_value(row.get(c["key"]), c, labels, decimal, grouped=False) for c in t["columns"]])
    from uvts.graph.csvfile import csv_text

    if delimiter != ";":
        raise ValueError("CSV skrivs alltid med semikolon (Excel med svenska inställningar)")
    return csv_text(w.rows, bom=False)


def csv_bytes(text: str) -> bytes:
    """CSV text as UTF-8 with a byte-order mark, which Excel needs to read å, ä and ö."""
    from uvts.graph.csvfile import BOM

    return (text if text.startswith(BOM) else BOM + text).encode("utf-8")


class _Rows:
    """Collects rows for :func:`uvts.graph.csvfile.csv_text`."""

    def __init__(self):
        self.rows: list[list] = []

    def writerow(self, row):
        self.rows.append(list(row))
