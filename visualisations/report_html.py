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
    env.globals["data_uri"] = _data_uri
    return env


def _data_uri(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64," + base64.b64encode(data).decode("ascii")


def _css(name: str) -> str:
    from markupsafe import Markup

    text = (TEMPLATES / name).read_text(encoding="utf-8")
    if "</" in text:  # our own file; never let it close the <style> element
        raise ValueError(f"{name} får inte innehålla '</'")
    return Markup(text)


def render_html(doc: dict, pdf: bool = False) -> str:
    """The document as an HTML page; with ``pdf`` the page for WeasyPrint, with the Paged
    Media rules (running footer, page numbers) that only WeasyPrint reads."""
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
