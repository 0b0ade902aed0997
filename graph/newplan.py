"""A new municipality's plan folder (``uvts new``): empty, valid, with the national risk factors.

The folder holds ``plan.yaml``, the seven national risk factors and the three prevention
levels (copied from the repository's plan, so that national questions count the new plan's
interventions with everyone else's), empty lists of actors, forums, places and other links,
no departments, and a short start text under ``source/`` that the plan's facts point into
until the adopted plan text replaces it. Fill it through the workbook (``uvts excel export``).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .errors import DataError, Problem
from .namespaces import slugify
from .paths import DEFAULT_DATA

__all__ = ["new_plan", "parse_period"]


def parse_period(text: str) -> tuple[int, int]:
    """``"2025-2027"`` -> ``(2025, 2027)``; raises ValueError with a Swedish message.

    >>> parse_period("2025–2027")
    (2025, 2027)
    """
    m = re.fullmatch(r"\s*(\d{4})\s*[-–/]\s*(\d{4})\s*", text or "")
    if not m or int(m.group(1)) > int(m.group(2)):
        raise ValueError(f"perioden skrivs som START-SLUT, till exempel 2025-2027 (fick '{text}')")
    return int(m.group(1)), int(m.group(2))


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def new_plan(out_dir: str | Path, kommun: str, kommunkod: str, period: str) -> Path:
    """Write an empty plan folder for municipality ``kommun`` to ``out_dir`` (which must not
    hold files yet); return the folder. Raises :class:`DataError` for bad arguments."""
    out = Path(out_dir)
    problems = []
    try:
        start, end = parse_period(period)
    except ValueError as exc:
        problems.append(Problem("--period", None, "", str(exc)))
        start = end = 0
    name = " ".join((kommun or "").split())
    if not name:
        problems.append(Problem("--kommun", None, "", "ange kommunens namn, till exempel --kommun \"Nordmalings kommun\""))
    if not re.fullmatch(r"\d{4}", kommunkod or ""):
        problems.append(Problem("--kommunkod", None, "", f"kommunkoden är fyra siffror, till exempel 2401 (fick '{kommunkod}')"))
    if out.exists() and any(out.iterdir()):
        problems.append(Problem(str(out), None, "", "mappen finns redan och är inte tom; ange en ny mapp med -o"))
    if problems:
        raise DataError(problems)
    full = name if name.casefold().endswith("kommun") else f"{name} kommun"
    short = re.sub(r"(?i)\s*kommun$", "", full)
    muni_id = slugify(full)
    plan_id = f"{slugify(short)}-{start}-{end}"
    source = f"{plan_id}.txt"

    risk_factors = yaml.safe_load((DEFAULT_DATA / "risk-factors.yaml").read_text(encoding="utf-8"))
    levels = yaml.safe_load((DEFAULT_DATA / "prevention-levels.yaml").read_text(encoding="utf-8"))
    text = [f"{full}: brottsförebyggande plan {start}–{end}",
            "Starttext skriven av uvts new. Ersätt den med planens antagna text när den finns.",
            "De sju nationella riskfaktorerna:"]
    for rf in risk_factors:
        text.append(rf["label"]["sv"])
        rf["lines"] = str(len(text))
        rf["note"] = "Nationell riskfaktor, densamma som i de andra planerna (definitionen kommer därifrån)."
    text.append("Preventionsnivåer:")
    for lv in levels:
        text.append(f"{lv['label']['sv']}: {lv['definition']['sv']}")
        lv["lines"] = str(len(text))
        lv.pop("note", None)
    plan = {
        "id": plan_id,
        "title": f"Brottsförebyggande plan {start}–{end} – {full}",
        "municipality": {"id": muni_id, "name": full, "code": kommunkod},
        "period": {"start": start, "end": end},
        "source": source,
        "source_line_count": len(text),
        "lines": f"1-{len(text)}",
        "note": "Skapad med uvts new. Planens uppgifter fylls i genom arbetsboken (uvts excel export).",
    }
    files = {
        "plan.yaml": plan, "risk-factors.yaml": risk_factors, "prevention-levels.yaml": levels,
        "other-links.yaml": [], "actors.yaml": [], "forums.yaml": [], "places.yaml": [],
    }
    (out / "departments").mkdir(parents=True, exist_ok=True)
    (out / "source").mkdir(parents=True, exist_ok=True)
    (out / "source" / source).write_text("\n".join(text) + "\n", encoding="utf-8")
    for fname, data in files.items():
        (out / fname).write_text(_dump(data), encoding="utf-8")
    return out
