"""``uvts versions`` and ``uvts diff``: the published versions and what changed between two.

Thin over :mod:`uvts.graph.versions` and :mod:`uvts.graph.diff`; both only read.
"""

from __future__ import annotations

import json

__all__ = ["add_commands", "cmd_versions", "cmd_diff", "format_versions"]


def _source_text(source: dict) -> str:
    if source.get("kind") == "workbook":
        return f"arbetsbok {source.get('name', '')}"
    paths = source.get("paths") or []
    return "mappar: " + ", ".join(paths) if paths else "mappar"


def format_versions(versions, current: str | None) -> str:
    """The versions as a Swedish table, newest first; the published one marked with *."""
    if not versions:
        return "Ingen version är publicerad ännu; kör uvts build för att publicera planen."
    rows = [("", "version", "skapad", "planer", "tripler", "meddelande", "källa")]
    for v in versions:
        rows.append(("*" if v.id == current else "", v.id, v.created, str(len(v.plans)), str(v.triples),
                     v.message or "", _source_text(v.source)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.append(f"({len(versions)} versioner; * är den publicerade)")
    return "\n".join(lines)


def cmd_versions(args) -> int:
    from uvts.graph.versions import latest, list_versions

    versions = list_versions()
    current = latest()
    if args.format == "json":
        print(json.dumps([v.to_dict() for v in versions], ensure_ascii=False, indent=2))
    else:
        print(format_versions(versions, current.id if current else None))
    return 0


def cmd_diff(args) -> int:
    from uvts.graph.diff import diff_versions, format_diff

    result = diff_versions(args.from_version, args.to_version, names=args.format == "text")
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_diff(result))
    return 0


def add_commands(sub, add_common) -> None:
    p = sub.add_parser("versions", help="lista de publicerade versionerna, den senaste först")
    add_common(p)  # (--data and --store as everywhere; the versions are those of the home)
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser("diff", help="visa vad som ändrats mellan två versioner")
    add_common(p)
    p.add_argument("--from", dest="from_version", metavar="VERSION",
                   help="den tidigare versionen (standard: versionen före den senaste)")
    p.add_argument("--to", dest="to_version", metavar="VERSION", help="den senare versionen (standard: den senaste)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_diff)
