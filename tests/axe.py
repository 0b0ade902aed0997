"""axe-core (bundled for the tests only, tests/vendor/axe.min.js, MPL-2.0) run in a Playwright page.

``serious_violations(page)`` injects axe into the loaded page (no network: the script is
read from disk) and returns the WCAG 2.1 A/AA violations of impact "serious" or
"critical" as plain dicts, so a test can assert the list is empty and print what broke.
"""

from __future__ import annotations

from pathlib import Path

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page, impacts=("serious", "critical")) -> list[dict]:
    """The axe violations of the page's current DOM with one of ``impacts``."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluate (a DevTools call), not a <script> tag: the pages' CSP forbids inline scripts
        page.evaluate("(src) => { (0, eval)(src); }", AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS)
    out = []
    for v in result["violations"]:
        if v.get("impact") in impacts:
            out.append({"id": v["id"], "impact": v["impact"], "help": v["help"],
                        "nodes": [n["target"] for n in v["nodes"]][:5]})
    return out


serious_violations = violations
