"""Errors of the data layer, kept light so that every command can catch them cheaply."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "DataError"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data: where it is and what was expected."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        fld = f" fält '{self.field}':" if self.field else ""
        return f"{where}:{fld} {self.message}"


class DataError(Exception):
    """The data could not be loaded; :attr:`problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
