"""Our page shell around pyvis's network data: offline, escaped, with a strict Content-Security-Policy.

Why not pyvis's own template: it links Bootstrap from a CDN, and as soon as one tooltip
contains "href" it puts every tooltip's text into ``innerHTML``. Here:

* vis-network's JavaScript and CSS are read from the installed pyvis package and inlined;
  our own script and style (``templates/view.js``, ``templates/view.css``) likewise. The
  page has no ``src``/``href`` to anything but itself and the index page.
* The view's data is one ``<script type="application/json">`` block, written with
  :func:`json_for_html` (every ``<``, ``>`` and ``&`` escaped as ``\\u003c`` …), so no string
  of the data can end the block. The page's script reads it with ``JSON.parse`` and builds
  every tooltip, list and panel with ``textContent``, never ``innerHTML``.
* Everything else from the data (titles, legend, filter options) goes through Jinja2 with
  autoescaping on.
* A ``Content-Security-Policy`` (``<meta http-equiv>``) allows exactly the page's own inline
  scripts, by their SHA-256 hashes, and no connection, frame, font or remote image: even a
  bug that let markup through could neither run it nor load anything.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from pathlib import Path

__all__ = ["json_for_html", "vis_assets", "own_assets", "csp", "render_view_page", "render_index_page",
           "TEMPLATES"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
_VIS_VERSION = "vis-9.1.2"


def json_for_html(data) -> str:
    """JSON that is safe inside ``<script type="application/json">``: ``<``, ``>``, ``&`` and the
    line separators are ``\\u`` escapes, so the text can never close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _safe_inline(text: str, tag: str) -> str:
    """Inline library text; refuse text that would close its element early."""
    if f"</{tag}" in text.lower():
        raise ValueError(f"inlined text contains </{tag}>")
    return text


@functools.lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str]:
    """vis-network's ``(javascript, css)`` from the installed pyvis package."""
    import pyvis

    lib = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / _VIS_VERSION
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    return _safe_inline(js, "script"), _safe_inline(css, "style")


@functools.lru_cache(maxsize=1)
def own_assets() -> tuple[str, str, str]:
    """Our ``(view script, view style, index style)``."""
    return (_safe_inline((TEMPLATES / "view.js").read_text(encoding="utf-8"), "script"),
            _safe_inline((TEMPLATES / "view.css").read_text(encoding="utf-8"), "style"),
            _safe_inline((TEMPLATES / "index.css").read_text(encoding="utf-8"), "style"))


@functools.lru_cache(maxsize=64)
def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def csp(scripts: tuple[str, ...] = (), styles: tuple[str, ...] = ()) -> str:
    """The Content-Security-Policy of a page whose only inline scripts and styles are these texts.

    Styles also allow ``'unsafe-inline'`` for the ``style`` attributes vis-network sets on
    its canvas and tooltip; no script runs unless its hash is listed.
    """
    script_src = " ".join(_sha256(s) for s in scripts) or "'none'"
    return ("default-src 'none'; "
            f"script-src {script_src}; "
            "style-src 'unsafe-inline'; "
            "img-src data:; "
            "connect-src 'none'; font-src 'none'; object-src 'none'; frame-src 'none'; "
            "base-uri 'none'; form-action 'none'")


@functools.lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env


def render_view_page(data: dict, index_href: str | None = "index.html") -> str:
    """The HTML page of one view from :func:`uvts.visualisations.views.view_data`."""
    from markupsafe import Markup

    vis_js, vis_css = vis_assets()
    view_js, view_css, _ = own_assets()
    status_js = _safe_inline((TEMPLATES / "view_status.js").read_text(encoding="utf-8"), "script")  # follow-up hook
    page_data = {k: data[k] for k in ("name", "title", "kind", "nodes", "edges", "relations", "relation_text",
                                      "options", "seed", "legend", "hidden_types", "focus")}
    return _env().get_template("view.html").render(
        view=data,
        index_href=index_href,
        csp=csp(scripts=(vis_js, view_js, status_js)),
        vis_js=Markup(vis_js), vis_css=Markup(vis_css), view_js=Markup(view_js), view_css=Markup(view_css),
        status_js=Markup(status_js),
        data_json=Markup(json_for_html(page_data)),
    )


def render_index_page(groups: dict[str, list[dict]], charts: list[tuple[str, str]], plans: list[str],
                      counts: dict, notes: dict | None = None) -> str:
    from markupsafe import Markup

    _, _, index_css = own_assets()
    return _env().get_template("index.html").render(
        groups=groups, charts=charts, plans=plans, counts=counts, notes=notes or {},
        csp=csp(), index_css=Markup(index_css))
