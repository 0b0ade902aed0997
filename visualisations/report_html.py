"""The report as one self-contained HTML file, and as PDF rendered from that HTML by WeasyPrint.

The HTML comes from a Jinja2 template with autoescape on, so every text from the data is
escaped; the only unescaped insert is our own stylesheet. Charts are embedded as
``data:`` URIs, so the file references nothing outside itself.

The PDF is made from the same template with ``pdf=True`` (page margins with the running
footer: date, data version and "Sida N av M"; page numbers in the table of contents by
``target-counter``). WeasyPrint gets a URL fetcher, :class:`DataOnlyFetcher`, that serves
``data:`` URIs and refuses everything else without opening a connection, and
:func:`html_to_pdf` fails when anything was refused. So the PDF can never fetch from the
network, whatever the HTML says.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from pathlib import Path

__all__ = ["render_html", "render_pdf", "html_to_pdf", "DataOnlyFetcher", "ExternalReferenceError", "TEMPLATES"]

TEMPLATES = Path(__file__).resolve().parent / "report_templates"


class ExternalReferenceError(ValueError):
    """The HTML given to the PDF renderer referred to something that is not a ``data:`` URI."""


@functools.lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from .report_document import format_value

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True)
    env.globals["fmt"] = format_value
    env.globals["heat"] = _heat_class
    env.globals["bar"] = _bar_step
    env.globals["data_uri"] = _data_uri
    return env


HEAT_STEPS = 6  # heat-1 … heat-6 in report.css, light to dark


def _heat_class(value, column: dict, table: dict) -> str:
    """`` heat-N`` for a cell of a heatmap table (N from 1 to HEAT_STEPS by the value's share of
    the largest cell), else ``""``; 0 and totals are not shaded."""
    top = table.get("heat_max")
    if not top or column.get("total") or column["type"] not in ("integer", "sek") or not isinstance(value, (int, float)):
        return ""
    if value <= 0:
        return ""
    return f" heat-{max(1, min(HEAT_STEPS, round(value / top * HEAT_STEPS)))}"


def _bar_step(value, table: dict) -> int:
    """The bar's length in steps of 5 % of the column's largest value (``bar-0`` … ``bar-20``)."""
    k = table["bar"]
    top = max((r[k] for r in table["rows"] if isinstance(r[k], (int, float))), default=0)
    return round(value / top * 20) if top and isinstance(value, (int, float)) and value > 0 else 0


def _data_uri(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64," + base64.b64encode(data).decode("ascii")


def _css(name: str) -> str:
    from markupsafe import Markup

    text = (TEMPLATES / name).read_text(encoding="utf-8")
    if "</" in text:  # our own file; never let it close the <style> element
        raise ValueError(f"{name} får inte innehålla '</'")
    return Markup(text)


# PDF rows are kept below this many estimated lines: WeasyPrint cannot break a page inside
# a table row, and a row taller than a page stops it (``assert not page_is_empty``)
MAX_ROW_LINES = 24
_LINE_MM, _CHAR_MM = 182.0, 1.9  # A4 text width; a 9 pt DejaVu Sans character, generously


def _cell_lines(value, chars: int) -> int:
    items = value if isinstance(value, list) else [value]
    return sum(max(1, -(-len(str(v)) // chars)) for v in items if v not in (None, "")) or 1


def _split_text(text: str, chars: int, budget: int) -> list[str]:
    """``text`` in pieces of at most ``budget`` lines of ``chars`` characters, split between words."""
    pieces, cur = [], ""
    for word in str(text).split(" "):
        while len(word) > chars * budget:  # a word longer than a piece: cut it
            pieces.append((cur + " " + word[:chars * budget]).strip() if cur else word[:chars * budget])
            cur, word = "", word[chars * budget:]
        if cur and len(cur) + 1 + len(word) > chars * budget:
            pieces.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    return pieces + ([cur] if cur else [])


def split_tall_rows(table: dict, max_lines: int = MAX_ROW_LINES) -> dict:
    """A copy of ``table`` whose rows are estimated to be at most ``max_lines`` lines high:
    a taller row is continued on more rows (the row header marked "(forts.)"), its list
    cells split between items and long texts between words. Estimates assume each column
    gets an equal share of the page width, which the auto table layout exceeds for the
    columns with much text."""
    n = max(1, len(table["columns"]))
    chars = max(6, int(_LINE_MM / n / _CHAR_MM))
    rows = []
    for row in table["rows"]:
        if max((_cell_lines(v, chars) for v in row), default=1) <= max_lines:
            rows.append(row)
            continue
        queues = []
        for v in row:
            if isinstance(v, list):
                items = []
                for item in v:
                    items += _split_text(item, chars, max_lines) if _cell_lines(item, chars) > max_lines else [item]
                queues.append(items)
            elif isinstance(v, str) and _cell_lines(v, chars) > max_lines:
                queues.append(_split_text(v, chars, max_lines))
            else:
                queues.append(None)
        first = True
        while first or any(q for q in queues if q):
            out = []
            for k, (v, q) in enumerate(zip(row, queues)):
                if q is None:
                    out.append(v if first or k == 0 else ("" if not isinstance(v, list) else []))
                    continue
                taken, used = [], 0
                while q and (not taken or used + _cell_lines(q[0], chars) <= max_lines):
                    used += _cell_lines(q[0], chars)
                    taken.append(q.pop(0))
                out.append(taken if isinstance(v, list) else " ".join(taken))
            if not first and table.get("row_header") and isinstance(out[0], str):
                out[0] = f"{row[0]} (forts.)" if isinstance(row[0], str) else out[0]
            rows.append(out)
            first = False
    return dict(table, rows=rows)


def column_widths(table: dict) -> list[int]:
    """Each column's share of the table width in percent, from its content. Every column gets
    at least the width of its longest word (header or cells, up to 16 characters), and the
    rest of the page width is shared by the average length of the filled cells (a list by
    its longest item, at most 45 characters). The PDF lays tables out with these fixed
    widths (``table-layout: fixed``), so that WeasyPrint does not measure every cell's
    smallest and largest width first, which was a fifth of the report's layout time."""
    from .report_document import format_value

    minimum, weights = [], []
    for k, col in enumerate(table["columns"]):
        lengths, longest_word = [], 0
        for row in table["rows"]:
            shown = format_value(row[k], col["type"])
            texts = shown if isinstance(shown, list) else [shown]
            lengths.append(max((len(x) for x in texts), default=0))
            longest_word = max([longest_word] + [len(w) for x in texts for w in x.split()])
        header = max((len(w) for w in str(col["label"]).split()), default=1)
        filled = [n for n in lengths if n] or [0]  # empty cells do not make a column narrow
        minimum.append(min(max(header, longest_word, 3), 16) * _CHAR_MM * 0.9 + 2.5)
        weights.append(min(sum(filled) / len(filled), 45.0))
    spare = _LINE_MM - sum(minimum)
    if spare < 0:  # more columns than the page holds at their smallest: shrink all alike
        mm = [m * _LINE_MM / sum(minimum) for m in minimum]
    else:
        total = sum(weights) or 1.0
        mm = [m + spare * w / total for m, w in zip(minimum, weights)]
    shares = [max(1, round(x / _LINE_MM * 100)) for x in mm]
    shares[shares.index(max(shares))] -= sum(shares) - 100  # sum to exactly 100
    return shares


def _pdf_safe(doc: dict) -> dict:
    """The document with every table's rows short enough for a PDF page (see :func:`split_tall_rows`)."""
    def section(s):
        blocks = [dict(b, table=dict(split_tall_rows(b["table"]), widths=column_widths(b["table"])))
                  if b["type"] == "table" else b for b in s["blocks"]]
        return dict(s, blocks=blocks, sections=[section(x) for x in s["sections"]])
    return dict(doc, sections=[section(s) for s in doc["sections"]])


def render_html(doc: dict, pdf: bool = False) -> str:
    """The document as an HTML page; with ``pdf`` the page for WeasyPrint, with the Paged
    Media rules (running footer, page numbers) that only WeasyPrint reads, and table rows
    split so that none is taller than a page."""
    if pdf:
        doc = _pdf_safe(doc)
    return _environment().get_template("report.html.j2").render(
        doc=doc, pdf=pdf, css=_css("report.css"), pdf_css=_css("report-pdf.css") if pdf else "")


def DataOnlyFetcher():
    """A WeasyPrint URL fetcher that serves ``data:`` URIs and refuses every other URL.

    The returned object has ``refused``, the URLs it was asked for and did not fetch.
    It is a subclass of :class:`weasyprint.urls.URLFetcher` (made on first use, so that
    importing this module does not import WeasyPrint).
    """
    return _fetcher_class()()


@functools.lru_cache(maxsize=1)
def _fetcher_class():
    from urllib.parse import unquote_to_bytes

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class _DataOnlyFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                self.refused.append(url)
                raise ExternalReferenceError(f"bara data:-adresser tillåts i rapporten, inte {url[:80]}")
            head, sep, payload = url[5:].partition(",")
            if not sep:
                raise ValueError("ogiltig data:-adress")
            params = head.split(";")
            media_type = params[0] or "text/plain"
            body = base64.b64decode(payload) if "base64" in [p.lower() for p in params[1:]] else \
                unquote_to_bytes(payload)
            return URLFetcherResponse(url[:64], body, {"Content-Type": media_type})

    return _DataOnlyFetcher


def html_to_pdf(html: str, identifier: str | None = None, strict: bool = True) -> bytes:
    """Render HTML to PDF with WeasyPrint, fetching nothing but ``data:`` URIs.

    ``identifier`` becomes the PDF's file identifier (default: a hash of the HTML), so the
    same HTML gives the same bytes. With ``strict`` (default) any refused reference
    raises :class:`ExternalReferenceError` after rendering.
    """
    import weasyprint

    fetcher = DataOnlyFetcher()
    ident = (identifier or hashlib.sha256(html.encode("utf-8")).hexdigest()[:32]).encode("ascii")
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).render()
    pdf = document.write_pdf(pdf_identifier=ident)
    if strict and fetcher.refused:
        raise ExternalReferenceError("rapporten hänvisar till externa resurser som inte hämtades: "
                                     + ", ".join(sorted(set(fetcher.refused))[:5]))
    return pdf


def render_pdf(doc: dict) -> bytes:
    """The document as PDF: A4, a table of contents with page numbers, the date, data version
    and page number on every page."""
    ident = hashlib.sha256(f"{doc['data_version']}|{doc['date']}".encode()).hexdigest()[:32]
    return html_to_pdf(render_html(doc, pdf=True), identifier=ident)
