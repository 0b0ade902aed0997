"""The report's section "Vad har ändrats sedan förra versionen" (from :mod:`uvts.graph.diff`).

The store a report is made from knows its published version (``store.version``, set by
:func:`uvts.graph.versions.open_version`); the section compares it with the version it
revises. A report made from data that is not published has no such section.
"""

from __future__ import annotations

__all__ = ["changes_section", "SECTION_ID", "SECTION_TITLE"]

SECTION_ID = "andringar"
SECTION_TITLE = "Vad har ändrats sedan förra versionen"


def changes_section(store, plan_ids: list[str] | None = None, home=None) -> dict | None:
    """The section as a report-document section (``None`` when the store is not a published version)."""
    from uvts.graph.diff import diff_versions, grouped, summary_sentence
    from uvts.graph.versions import VersionError

    version = getattr(store, "version", None)
    if version is None:
        return None
    home = home if home is not None else getattr(store, "version_home", None)
    try:
        result = diff_versions(version.revises, version.id, home=home, names=True) if version.revises else \
            {"from": None, "to": version.id, "changes": []}
    except VersionError:  # the earlier version is no longer kept
        result = {"from": None, "to": version.id, "changes": []}
    if plan_ids is not None:
        result = {**result, "changes": [c for c in result["changes"] if c.get("plan") in plan_ids]}
    when = version.created[:10]
    intro = f"Rapporten bygger på versionen som publicerades {when}" + \
        (f" med meddelandet ”{version.message}”." if version.message else ".")
    blocks = [{"type": "paragraph", "text": intro}]
    sections = []
    if result["from"] is None:
        blocks.append({"type": "paragraph", "text": "Det här är den första publicerade versionen (eller den tidigare "
                                                    "sparas inte längre), så det finns inget att jämföra med."})
    else:
        blocks.append({"type": "paragraph", "text": f"Jämfört med versionen innan: {summary_sentence(result['changes'])}"})
        for group in grouped(result):
            sections.append({"id": f"{SECTION_ID}-{group['type']}", "title": group["heading"], "level": 2,
                             "break": False, "blocks": [{"type": "list", "items": [i["text"] for i in group["items"]]}],
                             "sections": []})
    return {"id": SECTION_ID, "title": SECTION_TITLE, "level": 1, "break": False, "blocks": blocks,
            "sections": sections}
