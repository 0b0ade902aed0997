"""The collaboration mapping report (samverkanskartläggning): build it once, render it in four formats.

The document a strategist takes to the UVTS working group and the steering group: a
summary, who works on each risk factor at which level, the coverage heatmaps, the gaps,
the overlapping interventions with their reasons, the collaboration forums, the key
actors, a page per department, the method (the analyses' own explanations) and an
appendix with every intervention and its source lines. The date and the data version
are on every page.

* :func:`build_document` (from :mod:`.report_document`) reads the store and returns the
  content as plain data;
* :func:`render_document` turns a document into ``html``, ``pdf``, ``xlsx`` or ``md`` bytes;
* :func:`render_report` does both: ``render_report("pdf", store)``;
* :func:`report_file` also gives the media type and a file name, for a download.

>>> from uvts.graph.store import open_store
>>> from uvts.graph.paths import DEFAULT_DATA
>>> store, _ = open_store([DEFAULT_DATA], kind="memory")
>>> md = render_report("md", store, date="2026-11-25").decode("utf-8")
>>> md.splitlines()[0]
'# Samverkanskartläggning'
>>> "Dataversion" in md and "2026-11-25" in md
True
>>> report_file("xlsx", store, date="2026-11-25").filename
'samverkanskartlaggning-umea-uvts-2024-2026-2026-11-25.xlsx'
"""

from __future__ import annotations

from typing import NamedTuple

from .report_document import DEFAULT_EDITION, EDITIONS, build_document, check_edition
from .report_meta import data_version, report_date

__all__ = ["FORMATS", "EDITIONS", "DEFAULT_EDITION", "ReportFile", "build_document", "render_document", "render_report", "report_file",
           "media_type", "report_filename", "data_version", "report_date"]

# format -> (media type, file extension)
FORMATS = {
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "md": ("text/markdown; charset=utf-8", "md"),
}


class ReportFile(NamedTuple):
    """A rendered report, ready to be sent or saved."""

    content: bytes
    media_type: str
    filename: str


def _check(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"okänt rapportformat '{fmt}'; välj ett av {', '.join(FORMATS)}")
    return fmt


def media_type(fmt: str) -> str:
    """The HTTP media type of a format (``text/html; charset=utf-8`` …)."""
    return FORMATS[_check(fmt)][0]


def report_filename(fmt: str, date, plan_id: str | None = None, edition: str | None = None) -> str:
    """``samverkanskartlaggning[-PLAN]-YYYY-MM-DD[-mote].EXT`` (ASCII, safe in a Content-Disposition
    header); the meeting edition ends in ``-mote``."""
    from uvts.graph.namespaces import slugify

    day = report_date(date).isoformat()
    middle = f"-{slugify(plan_id)}" if plan_id else ""
    suffix = f"-{check_edition(edition)}" if edition and check_edition(edition) != DEFAULT_EDITION else ""
    return f"samverkanskartlaggning{middle}-{day}{suffix}.{FORMATS[_check(fmt)][1]}"


def render_document(doc: dict, fmt: str) -> bytes:
    """A built document as the bytes of one format (HTML and Markdown are UTF-8)."""
    fmt = _check(fmt)
    if fmt == "html":
        from .report_html import render_html

        return render_html(doc).encode("utf-8")
    if fmt == "pdf":
        from .report_html import render_pdf

        return render_pdf(doc)
    if fmt == "xlsx":
        from .report_xlsx import render_xlsx

        return render_xlsx(doc)
    from .report_markdown import render_markdown

    return render_markdown(doc).encode("utf-8")


def render_report(fmt: str, store, plan: str | None = None, date=None, seed: int = 0,
                  edition: str | None = None) -> bytes:
    """Build the report from ``store`` (one plan, or every plan when ``plan`` is None) and render it.

    ``fmt``: ``html``, ``pdf``, ``xlsx`` or ``md``. ``date``: a date or ``YYYY-MM-DD``
    (default ``SOURCE_DATE_EPOCH``, else today). Raises ValueError for an unknown format
    or date and :class:`uvts.graph.plans.PlanError` for an unknown plan (Swedish messages).
    ``edition``: ``fullstandig`` (default) or ``mote``, the short meeting edition.
    """
    fmt = _check(fmt)
    doc = build_document(store, plan=plan, seed=seed, date=date, edition=edition)
    return render_document(doc, fmt)


def report_file(fmt: str, store, plan: str | None = None, date=None, seed: int = 0,
                edition: str | None = None) -> ReportFile:
    """:func:`render_report` with the media type and a file name, for a download."""
    fmt = _check(fmt)
    doc = build_document(store, plan=plan, seed=seed, date=date, edition=edition)
    plan_id = doc["plans"][0]["id"] if len(doc["plans"]) == 1 else None
    return ReportFile(render_document(doc, fmt), media_type(fmt),
                      report_filename(fmt, doc["date"], plan_id, doc["edition"]))
