"""The data format as pydantic models: every key is known, every value typed.

These models say what a file in ``data/`` may contain; :mod:`uvts.graph.load` reads the
files, validates them against these models and resolves references between them.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "LineRanges", "Label", "RiskFactor", "PreventionLevel", "OtherLink", "Actor", "Forum",
    "Place", "Intervention", "BaseMission", "Budget", "BudgetItem", "Department", "Plan",
    "Members", "Involves", "parse_line_ranges", "ACTOR_CATEGORIES", "PLACE_KINDS", "Addressing",
    "FOLLOW_UP_STATUSES", "IndicatorValue", "FollowUpItem", "RoundInfo", "FollowUpRound",
    "Members", "Involves", "parse_line_ranges", "ACTOR_CATEGORIES", "PLACE_KINDS", "Origin",
    "NATIONAL_RISK_FACTORS",
]

_RANGES = re.compile(r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# The seven national risk factors (the ontology contract's ids, the scheme id/scheme/risk-factors).
# Any other risk factor of a plan is the plan's own problem area.
NATIONAL_RISK_FACTORS = ("ekonomisk-utsatthet", "skolmisslyckande", "psykisk-ohalsa", "sarbara-familjeforhallanden",
                         "utanforskap", "avsaknad-av-positiva-sammanhang-och-forebilder", "synlig-narvaro-av-kriminella")

ACTOR_CATEGORIES = ("police", "region", "state-agency", "civil-society", "business", "academia", "other")
PLACE_KINDS = ("area", "school", "building")


def parse_line_ranges(text: str) -> list[tuple[int, int]]:
    """``"1598-1621, 1639-1661"`` -> ``[(1598, 1621), (1639, 1661)]``."""
    out = []
    for part in text.split(","):
        a, _, b = part.strip().partition("-")
        start, end = int(a), int(b or a)
        out.append((start, end))
    return out


def _check_ranges(value: str) -> str:
    if not _RANGES.match(value):
        raise ValueError("radintervall som \"168-209\" eller \"1598-1621, 1639-1661\"")
    for start, end in parse_line_ranges(value):
        if start < 1 or end < start:
            raise ValueError(f"radintervall där början ≤ slut och början ≥ 1 (fick {start}-{end})")
    return re.sub(r"\s*-\s*", "-", re.sub(r"\s*,\s*", ", ", value.strip()))


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("ett id med gemena a–z, 0–9 och bindestreck (å, ä → a; ö → o)")
    return value


LineRanges = Annotated[str, AfterValidator(_check_ranges)]
Slug = Annotated[str, AfterValidator(_check_slug)]
# References are checked against the ids that exist (with a near-miss suggestion), not by form.
Ref = NonEmptyRef = Annotated[str, Field(min_length=1)]
NonEmpty = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Origin(_Model):
    """A fact added or edited in a workbook: the workbook's file name and SHA-256 checksum, and
    for each field that came from the workbook its cell (``{"title": "Insatser!D12"}``)."""

    file: NonEmpty
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    cells: dict[str, NonEmpty] = {}


class _Sourced(_Model):
    """A fact with a source: plan lines (``lines``), a workbook cell (``workbook``), or both."""

    @model_validator(mode="after")
    def _lines_or_workbook(self):
        if getattr(self, "lines", None) is None and getattr(self, "workbook", None) is None:
            raise ValueError("radintervall (lines) eller en arbetsbok (workbook) som källa")
        return self


class Label(_Model):
    sv: NonEmpty
    en: Optional[NonEmpty] = None


class AltLabels(_Model):
    sv: list[NonEmpty] = []
    en: list[NonEmpty] = []


class Definition(_Model):
    sv: NonEmpty
    en: Optional[NonEmpty] = None


class RiskFactor(_Sourced):
    id: Slug
    label: Label
    alt_labels: AltLabels = AltLabels()
    definition: Definition
    lines: Optional[LineRanges] = None
    note: Optional[str] = None
    workbook: Optional[Origin] = None
    exact_match: Optional[Ref] = None   # a national risk factor this problem area is the same as


class PreventionLevel(_Model):
    id: Slug
    label: Label
    definition: Definition
    lines: LineRanges
    note: Optional[str] = None


class OtherLink(_Model):
    id: Slug
    label: Label
    definition: Definition
    lines: LineRanges
    note: Optional[str] = None


class Actor(_Sourced):
    id: Slug
    name: NonEmpty
    alt_names: list[NonEmpty] = []
    category: Literal["police", "region", "state-agency", "civil-society", "business", "academia", "other"]
    lines: Optional[LineRanges] = None
    note: Optional[str] = None
    workbook: Optional[Origin] = None


class Members(_Model):
    departments: list[Ref] = []
    actors: list[Ref] = []


class Forum(_Sourced):
    id: Slug
    name: NonEmpty
    alt_names: list[NonEmpty] = []
    expansion: Optional[str] = None
    purpose: Optional[str] = None
    purpose_lines: Optional[LineRanges] = None
    # the part it plays in the plan's work, when the plan states that rather than a purpose
    role: Optional[NonEmpty] = None
    role_lines: Optional[LineRanges] = None
    members: Members = Members()
    lines: Optional[LineRanges] = None
    note: Optional[str] = None
    workbook: Optional[Origin] = None


class Place(_Sourced):
    id: Slug
    name: NonEmpty
    alt_names: list[NonEmpty] = []
    kind: Literal["area", "school", "building"]
    priority: bool = False
    # a focus area of an earlier period of the work (e.g. "2018-2022"), not a priority of this plan
    focus_period: Optional[NonEmpty] = None
    lines: Optional[LineRanges] = None
    note: Optional[str] = None
    workbook: Optional[Origin] = None


class Involves(_Model):
    departments: list[Ref] = []
    actors: list[Ref] = []
    forums: list[Ref] = []


class Addressing(_Model):
    """One risk-factor link with its own evidence: the lines of the KOPPLING paragraph
    and the plan's own words that justify it (``uvts:Addressing`` in RDF)."""

    risk_factor: Ref
    lines: LineRanges
    evidence: NonEmpty
    note: Optional[str] = None


class Intervention(_Sourced):
    number: int = Field(ge=1)
    title: NonEmpty
    lines: Optional[LineRanges] = None
    levels: list[Ref]
    description: NonEmpty
    timing: Optional[str] = None
    risk_factors: list[Ref] = []
    addressing: list[Addressing] = []
    other_links: list[Ref] = []
    goals: list[NonEmpty] = []
    follow_ups: list[NonEmpty] = []
    min_age: Optional[int] = Field(default=None, ge=0, le=120)
    max_age: Optional[int] = Field(default=None, ge=0, le=120)
    target_group: Optional[str] = None
    places: list[Ref] = []
    involves: Involves = Involves()
    same_activity_as: list[Ref] = []
    note: Optional[str] = None
    workbook: Optional[Origin] = None


class BaseMission(_Model):
    lines: LineRanges
    summary: NonEmpty
    risk_factors: list[Ref] = []
    addressing: list[Addressing] = []
    departments: list[Ref] = []
    actors: list[Ref] = []
    forums: list[Ref] = []
    places: list[Ref] = []
    note: Optional[str] = None


class BudgetItem(_Sourced):
    amount: Optional[int] = Field(default=None, ge=0)
    purpose: NonEmpty
    lines: Optional[LineRanges] = None
    interventions: list[Ref] = []
    note: Optional[str] = None
    workbook: Optional[Origin] = None


class Budget(_Model):
    amount: int = Field(ge=0)
    lines: Optional[LineRanges] = None   # None for a budget added in a workbook
    breakdown: list[BudgetItem] = []
    note: Optional[str] = None


class Department(_Sourced):
    id: Slug
    name: NonEmpty
    alt_names: list[NonEmpty] = []
    lines: Optional[LineRanges] = None
    interventions: list[Intervention]
    base_mission: Optional[BaseMission] = None   # None for a department added in a workbook
    budget: Budget
    note: Optional[str] = None
    workbook: Optional[Origin] = None


class Municipality(_Model):
    id: Slug
    name: NonEmpty
    code: Optional[str] = None


class Period(_Model):
    start: int
    end: int


class Plan(_Model):
    id: Slug
    title: NonEmpty
    short_title: Optional[str] = None
    municipality: Municipality
    period: Period
    source: NonEmpty
    source_line_count: int = Field(ge=1)
    lines: LineRanges
    stated_total_budget: Optional[int] = None
    stated_total_budget_lines: Optional[LineRanges] = None
    # forums (or committees kept among them) the work is reported to
    reported_to: list[Ref] = []
    reported_to_lines: Optional[LineRanges] = None
    note: Optional[str] = None
    workbook: Optional[Origin] = None   # title, municipality or period edited in a workbook


# --- follow-up rounds (uppfoljning/YYYY-MM-DD.yaml; see docs/follow-up.md) ---------------

FOLLOW_UP_STATUSES = ("ej-paborjad", "enligt-plan", "forsenad", "avslutad", "avbruten")


# A period such as 2024 (a year) is written by YAML as a number; it is the same period as "2024".
PeriodText = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)]


class IndicatorValue(_Model):
    name: NonEmpty
    value: Decimal
    unit: Optional[str] = None
    period: Optional[PeriodText] = None
    source: Optional[str] = None
    lines: Optional[LineRanges] = None
    note: Optional[str] = None


class FollowUpItem(_Model):
    intervention: Ref
    # Checked against FOLLOW_UP_STATUSES when loading (with a near-miss suggestion); empty
    # when the source states a result but no status (see docs/follow-up.md).
    status: Optional[str] = None
    comment: Optional[str] = None
    indicators: list[IndicatorValue] = []
    lines: Optional[LineRanges] = None
    note: Optional[str] = None


class RoundInfo(_Model):
    date: datetime.date
    title: NonEmpty
    reported_to: list[Ref] = []
    lines: Optional[LineRanges] = None
    note: Optional[str] = None
    synthetic: bool = False


class FollowUpRound(_Model):
    round: RoundInfo
    items: list[FollowUpItem] = []
