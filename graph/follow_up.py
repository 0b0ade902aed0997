"""Follow-up rounds of a plan folder (``uppfoljning/YYYY-MM-DD.yaml``): read and check them.

One file per round. Every problem names the file, the line and the field, in Swedish, with a
suggestion for a near miss (an unknown intervention or status). Called by
:func:`uvts.graph.load.load_plan` once the rest of the plan has loaded, with the ids it knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import models as m
from .errors import DataError, Problem

__all__ = ["FOLDER", "LoadedRound", "round_files", "load_rounds", "latest_round"]

FOLDER = "uppfoljning"
_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}\.yaml$")

@dataclass(frozen=True)
class LoadedRound:
    """One round as loaded: the model plus the file it came from (relative, for messages)."""

    file: str
    model: m.FollowUpRound

    @property
    def date(self):
        return self.model.round.date

    @property
    def items(self) -> list[m.FollowUpItem]:
        return self.model.items


def round_files(folder: str | Path) -> list[Path]:
    """The round files of a plan folder, oldest first (only ``YYYY-MM-DD.yaml`` names)."""
    return sorted((Path(folder) / FOLDER).glob("*.yaml"))


def latest_round(rounds: list[LoadedRound]) -> LoadedRound | None:
    return max(rounds, key=lambda r: r.date) if rounds else None


def load_rounds(folder: Path, rel: Callable[[Path], str], ids: dict[str, dict], max_line: int) -> list[LoadedRound]:
    """Read every round file of ``folder``; ``ids`` maps a kind (``intervention``, ``forum``, …)
    to the ids the plan defines. Raises :class:`DataError` listing every problem."""
    from .load import _line_for, _suggest, _validate, read_yaml  # the plan loader's helpers

    problems: list[Problem] = []
    rounds: list[LoadedRound] = []
    interventions = ids.get("intervention", {})
    recipients = {**ids.get("forum", {}), **ids.get("actor", {}), **ids.get("department", {})}
    for path in round_files(folder):
        fname = rel(path)
        if not _NAME.match(path.name):
            problems.append(Problem(fname, None, "", "filnamnet ska vara omgångens datum, som 2024-12-10.yaml"))
            continue
        try:
            data, pos = read_yaml(path, fname)
            model: m.FollowUpRound = _validate(m.FollowUpRound, data, pos, fname)
        except DataError as exc:
            problems.extend(exc.problems)
            continue

        def problem(loc: tuple, message: str):
            problems.append(Problem(fname, _line_for(pos, loc), ".".join(map(str, loc)), message))

        def check_lines(value, loc):
            if value is None:
                return
            for start, end in m.parse_line_ranges(value):
                if end > max_line:
                    problem(loc, f"radintervallet {start}-{end} går utanför planens {max_line} rader")

        info = model.round
        if path.stem != info.date.isoformat():
            problem(("round", "date"), f"förväntade datumet {path.stem} (samma som filnamnet), fick {info.date.isoformat()}")
        check_lines(info.lines, ("round", "lines"))
        for j, who in enumerate(info.reported_to):
            if who not in recipients:
                problem(("round", "reported_to", j),
                        f"okänd mottagare '{who}' (ett forum, en extern aktör eller en förvaltning){_suggest(who, recipients)}")
        seen: dict[str, int] = {}
        for i, item in enumerate(model.items):
            base = ("items", i)
            if item.intervention not in interventions:
                problem(base + ("intervention",), f"okänd insats '{item.intervention}'{_suggest(item.intervention, interventions)}")
            elif item.intervention in seen:
                problem(base + ("intervention",), f"insatsen '{item.intervention}' följs redan upp i denna omgång "
                                                  f"(rad {seen[item.intervention]}); en post per insats och omgång")
            else:
                seen[item.intervention] = _line_for(pos, base + ("intervention",))
            if item.status is not None and item.status not in m.FOLLOW_UP_STATUSES:
                problem(base + ("status",), f"okänd status '{item.status}'{_suggest(item.status, m.FOLLOW_UP_STATUSES)}; "
                                            f"tillåtna: {', '.join(m.FOLLOW_UP_STATUSES)}")
            if item.status is None and not item.indicators and not item.comment:
                problem(base, "posten säger ingenting; ange status, kommentar eller indikatorer")
            check_lines(item.lines, base + ("lines",))
            for k, ind in enumerate(item.indicators):
                check_lines(ind.lines, base + ("indicators", k, "lines"))
                if not ind.value.is_finite():
                    problem(base + ("indicators", k, "value"), f"förväntade ett tal (fick {ind.value})")
        rounds.append(LoadedRound(fname, model))
    if problems:
        raise DataError(problems)
    return rounds
