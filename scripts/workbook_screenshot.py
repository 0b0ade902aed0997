"""Render a sheet of an exported workbook as a picture for the README (docs/img/).

LibreOffice is not needed: the sheet is read back with openpyxl (values, column widths,
header fill, wrapping, the frozen panes) and drawn as an HTML table in Excel's look, which
headless Chromium (Playwright) screenshots.

    python scripts/workbook_screenshot.py [--sheet Insatser] [--rows 7] [-o docs/img/arbetsbok-insatser.png]
"""

from __future__ import annotations

import argparse
import html
import io
import shutil
import sys
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parent.parent


def sheet_html(xlsx: bytes, sheet: str, rows: int, columns: int) -> str:
    ws = load_workbook(io.BytesIO(xlsx))[sheet]
    freeze = ws.freeze_panes or "A1"
    frozen_cols = ws[freeze].column - 1
    widths = [int((ws.column_dimensions[get_column_letter(c)].width or 10) * 7) for c in range(1, columns + 1)]
    out = ["<table><colgroup><col style='width:36px'>"]
    out += [f"<col style='width:{w}px'>" for w in widths]
    out.append("</colgroup><tr><th class='corner'></th>")
    out += [f"<th class='col{' frozen' if c == frozen_cols else ''}'>{get_column_letter(c)}</th>" for c in range(1, columns + 1)]
    out.append("</tr>")
    for r in range(1, rows + 1):
        height = ws.row_dimensions[r].height
        style = f" style='height:{int(height * 4 / 3)}px'" if height else ""
        out.append(f"<tr{style}><th class='row'>{r}</th>")
        for c in range(1, columns + 1):
            cell = ws.cell(r, c)
            value = "" if cell.value is None else str(cell.value)
            cls = ["head"] if r == 1 else []
            if c == frozen_cols:
                cls.append("frozen")
            if r == 1:
                cls.append("bottom")
            if value == "x":
                cls.append("mark")
            out.append(f"<td class='{' '.join(cls)}'><div>{html.escape(value).replace(chr(10), '<br>')}</div></td>")
        out.append("</tr>")
    out.append("</table>")
    tabs = "".join(f"<span class='tab{' on' if n == sheet else ''}'>{html.escape(n)}</span>"
                   for n in load_workbook(io.BytesIO(xlsx)).sheetnames if not n.startswith("_"))
    style = """
    body { margin: 0; font: 13px Calibri, Carlito, 'Liberation Sans', Arial, sans-serif; background: #fff; }
    table { border-collapse: collapse; table-layout: fixed; }
    th { background: #f3f3f3; color: #444; font-weight: normal; border: 1px solid #d4d4d4; height: 20px; }
    td { border: 1px solid #e1e1e1; vertical-align: top; padding: 2px 4px; }
    td div { max-height: 96px; overflow: hidden; white-space: normal; line-height: 1.25; }
    td.head { background: #dde7f0; font-weight: bold; }
    td.mark { text-align: center; }
    .frozen { border-right: 2px solid #9a9a9a; } .bottom { border-bottom: 2px solid #9a9a9a; }
    .tabs { border-top: 1px solid #ccc; background: #f3f3f3; padding: 4px 8px; }
    .tab { display: inline-block; padding: 3px 10px; margin-right: 2px; color: #333; }
    .tab.on { background: #fff; border-bottom: 2px solid #217346; font-weight: bold; color: #217346; }
    """
    return f"<!doctype html><html lang='sv'><meta charset='utf-8'><style>{style}</style><body>{''.join(out)}<div class='tabs'>{tabs}</div></body></html>"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sheet", default="Insatser")
    parser.add_argument("--rows", type=int, default=7)
    parser.add_argument("--columns", type=int, default=14)
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "img" / "arbetsbok-insatser.png")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from uvts.graph.load import load_plan
    from uvts.graph.paths import DEFAULT_DATA
    from uvts.graph.workbook import workbook_bytes

    page_html = sheet_html(workbook_bytes(load_plan(DEFAULT_DATA), version=None), args.sheet, args.rows, args.columns)
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": 400}, device_scale_factor=1)
        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(("data:", "about:"))
                   else route.continue_())
        page.set_content(page_html)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.output), full_page=True)
        browser.close()
    print(f"Skrev {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
