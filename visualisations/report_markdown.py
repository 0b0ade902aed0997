"""The report as Markdown (CommonMark with GitHub-style pipe tables).

Every text from the data goes through :func:`md_escape` (or :func:`md_cell` inside a
table): HTML's ``<``, ``>`` and ``&`` become entities and Markdown's punctuation gets a
backslash, so a title such as ``<script>…`` or ``**fet**`` is shown as written, never run
or formatted. Charts are not embedded (many Markdown viewers refuse ``data:`` images);
each is named where it stands, and the table with the same numbers follows it.
"""

from __future__ import annotations

import re

__all__ = ["render_markdown", "md_escape", "md_cell"]

_PUNCT = re.compile(r"([\\`*_\[\]{}|~!#])")
_LINE_START = re.compile(r"^(\s*)([+\-=]|\d+[.)])")


def md_escape(text: str) -> str:
    """Plain text made safe for Markdown: shown as written, on one line.

    >>> md_escape("<b>fet</b> **inte** [länk](x) & 1 < 2")
    '&lt;b&gt;fet&lt;/b&gt; \\\\*\\\\*inte\\\\*\\\\* \\\\[länk\\\\](x) &amp; 1 &lt; 2'
    >>> md_escape("# inte en rubrik")
    '\\\\# inte en rubrik'
    """
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _PUNCT.sub(r"\\\1", text)
    m = _LINE_START.match(text)
    if m:  # "- x", "+ x", "1. x" at the start would make a list; "=" a heading underline
        text = text[: m.end(1)] + "\\" + text[m.end(1):] if not m.group(2)[0].isdigit() else \
            text[: m.end(2) - 1] + "\\" + text[m.end(2) - 1:]
    return text


def md_cell(value, typ: str) -> str:
    """A table value as the text of a pipe-table cell."""
    from .report_document import format_value

    shown = format_value(value, typ)
    if isinstance(shown, list):
        shown = "; ".join(shown)
    return md_escape(shown) if shown != "" else " "


def _table(t: dict) -> list[str]:
    out = [f"**{md_escape(t['title'])}**", ""]
    if t.get("explanation"):
        out += [f"_{md_escape(t['explanation'])}_", ""]
    head = [md_escape(c["label"]) for c in t["columns"]]
    align = ["---:" if c["type"] in ("integer", "number", "score", "sek") else "---" for c in t["columns"]]
    out.append("| " + " | ".join(head) + " |")
    out.append("| " + " | ".join(align) + " |")
    for row in t["rows"]:
        cells = [md_cell(v, c["type"]) for v, c in zip(row, t["columns"])]
        if t.get("row_header") and cells and cells[0].strip():
            cells[0] = f"**{cells[0]}**"
        out.append("| " + " | ".join(cells) + " |")
    if not t["rows"]:
        out.append("| " + " | ".join(" " for _ in t["columns"]) + " |")
    out.append("")
    return out


def _block(b: dict) -> list[str]:
    typ = b["type"]
    if typ == "paragraph":
        return [md_escape(b["text"]), ""]
    if typ == "heading":
        return [f"#### {md_escape(b['text'])}", ""]
    if typ == "list":
        return [f"- {md_escape(item)}" for item in b["items"]] + [""]
    if typ == "definitions":
        return [f"- **{md_escape(term)}:** {md_escape(text)}" for term, text in b["items"]] + [""]
    if typ == "table":
        return _table(b["table"])
    if typ == "figure":
        return [f"_Diagram: {md_escape(b['title'])}. {md_escape(b['caption'])} (Diagrammet finns i HTML- och "
                f"PDF-versionerna.)_", ""]
    raise ValueError(f"okänd blocktyp {typ!r}")


def _stamp(doc: dict) -> str:
    return f"_{md_escape(doc['title'])} · Datum {doc['date']} · Dataversion {doc['data_version']}_"


def _section(s: dict, doc: dict) -> list[str]:
    out = ["#" * (s["level"] + 1) + " " + md_escape(s["title"]), ""]
    for b in s["blocks"]:
        out += _block(b)
    for sub in s["sections"]:
        out += _section(sub, doc)
    if s["level"] == 1:  # the date and data version close every major section (the Markdown "page")
        out += [_stamp(doc), ""]
    return out


def render_markdown(doc: dict) -> str:
    """The document as Markdown text (UTF-8 when written; ends with a newline)."""
    out = [f"# {md_escape(doc['title'])}", "", f"**{md_escape(doc['subtitle'])}**", ""]
    out += ["| Uppgift | Värde |", "| --- | --- |"]
    out += [f"| {md_escape(label)} | {md_escape(value)} |" for label, value in doc["cover"]["rows"]]
    out += ["", "## Innehåll", ""]
    for s in doc["sections"]:
        out.append(f"- {md_escape(s['title'])}")
        out += [f"  - {md_escape(sub['title'])}" for sub in s["sections"]]
    out.append("- Om rapporten")
    out.append("")
    for s in doc["sections"]:
        out += _section(s, doc)
    out += ["## Om rapporten", ""] + _block({"type": "definitions", "items": doc["colophon"]})
    return "\n".join(out).rstrip() + "\n"
