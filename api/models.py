"""The response models of the REST resources: the OpenAPI schema.

Pydantic models only: :mod:`uvts.api.catalog` builds its records with them, and
:mod:`uvts.api.rest` declares them as the routes' answers.
"""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["KindName", "ErrorBody", "Link", "Addressing", "SourceExcerpt", "Resource", "LevelCount", "RiskFactorOut",
           "PreventionLevelOut", "BudgetItem", "DepartmentOut", "InterventionOut", "Category", "ActorOut",
           "ForumOut", "PlaceOut", "BaseMissionOut", "Summary", "InterventionSummary", "ResourceList",
           "InterventionList", "Via", "ActorWork", "WhoWorksOn", "PlanOut", "PlanList", "Overview", "AnalysisInfo",
           "AnalysisIndex", "AnalysisTable", "AnalysisResult", "QueryParam", "SavedQueryInfo", "SavedQueryOut",
           "SavedQueryList", "Cell", "QueryResults", "SearchHit", "SearchResults", "DETAIL_MODELS"]

# The API collections: the keys of :data:`uvts.api.catalog.KINDS`.
KindName = Literal["risk-factors", "prevention-levels", "departments", "interventions", "actors", "forums",
                   "places", "base-missions"]


# --- response models (the OpenAPI schema) ----------------------------------------------------------------


class ErrorBody(BaseModel):
    """The one error shape of the service."""

    ok: Literal[False] = False
    error: str = Field(description="Vad som gick fel, på svenska.")
    status: int


class Link(BaseModel):
    """A neighbour: its IRI, and its API path and page when it has them."""

    kind: Optional[KindName] = Field(description="API-samlingen (t.ex. interventions); null för resurser utan egen sida")
    id: str
    label: str
    iri: str
    path: Optional[str] = Field(description="REST-sökvägen, t.ex. /interventions/stod-och-omsorg-1")
    page: Optional[str] = Field(description="webbsidan, t.ex. /insatser/stod-och-omsorg-1")


class SourceExcerpt(BaseModel):
    plan: str = Field(description="planens id")
    lines: str = Field(description="radintervall i planens text, t.ex. 2137-2204")
    text: Optional[str] = Field(description="den exakta texten på de raderna (null om texten saknas)")


class Resource(BaseModel):
    kind: KindName
    id: str
    iri: str
    label: str
    label_en: Optional[str]
    alt_labels: list[str]
    definition: Optional[str]
    definition_en: Optional[str]
    notes: list[str] = Field(description="kodningsanteckningar: hur en tvetydig passage i planen lästes")
    plans: list[str]
    path: str
    page: str
    source_lines: Optional[str] = Field(description="källraderna i (första) planen")
    source_text: Optional[str] = Field(description="den exakta plantexten på källraderna")
    sources: list[SourceExcerpt] = Field(description="källrader och text, en per plan som beskriver resursen")


class LevelCount(BaseModel):
    level: Link
    interventions: int


class RiskFactorOut(Resource):
    kind: Literal["risk-factors"]
    interventions: list[Link]
    base_missions: list[Link]
    departments: list[Link] = Field(description="förvaltningar som ansvarar för insatserna och grunduppdragen")
    levels: list[LevelCount]
    actors_path: str = Field(description="REST-sökvägen till vem som arbetar med riskfaktorn")


class PreventionLevelOut(Resource):
    kind: Literal["prevention-levels"]
    interventions: list[Link]
    risk_factors: list[Link]


class BudgetItem(BaseModel):
    id: str
    iri: str
    label: str
    amount: Optional[Union[int, float]]
    purpose: Optional[str]
    department: Optional[Link]
    funds: list[Link]


class DepartmentOut(Resource):
    kind: Literal["departments"]
    budget_addition: Optional[Union[int, float]] = Field(description="extra UVTS-budget i kronor")
    base_mission: Optional[Link]
    interventions: list[Link]
    involved_in: list[Link] = Field(description="andras insatser och grunduppdrag som förvaltningen medverkar i")
    forums: list[Link]
    risk_factors: list[Link]
    budget_items: list[BudgetItem]


class Addressing(BaseModel):
    """One risk-factor link with its own evidence (``uvts:Addressing``)."""

    risk_factor: Link
    lines: Optional[str] = Field(description="raderna i planens avsnitt KOPPLING, t.ex. 2161-2163")
    evidence: Optional[str] = Field(description="planens egna ord som motiverar kopplingen")


class InterventionOut(Resource):
    kind: Literal["interventions"]
    title: Optional[str]
    number: Optional[int]
    description: Optional[str]
    goals: list[str]
    follow_ups: list[str]
    timing: Optional[str]
    target_group: Optional[str]
    min_age: Optional[int]
    max_age: Optional[int]
    department: Optional[Link]
    risk_factors: list[Link]
    levels: list[Link]
    involves: list[Link]
    places: list[Link]
    same_activity_as: list[Link]
    other_links: list[Link]
    budget_items: list[BudgetItem]
    addressing: list[Addressing] = Field(default=[], description="varje riskfaktorkoppling med rader och planens ord")


class Category(BaseModel):
    id: str
    label: str


class ActorOut(Resource):
    kind: Literal["actors"]
    category: Optional[Category]
    forums: list[Link]
    interventions: list[Link]
    base_missions: list[Link]


class ForumOut(Resource):
    kind: Literal["forums"]
    purpose: Optional[str]
    acronym_expansion: Optional[str]
    role: Optional[str] = Field(default=None, description="forumets roll i arbetet enligt planen, t.ex. att arbetet rapporteras dit")
    members: list[Link]
    interventions: list[Link]
    base_missions: list[Link]


class PlaceOut(Resource):
    kind: Literal["places"]
    place_kind: Optional[str]
    place_kind_label: Optional[str]
    priority_area: bool
    focus_period: Optional[str] = Field(default=None, description="perioden då området var fokusområde, t.ex. 2018-2022")
    interventions: list[Link]
    base_missions: list[Link]


class BaseMissionOut(Resource):
    kind: Literal["base-missions"]
    description: Optional[str]
    department: Optional[Link]
    risk_factors: list[Link]
    involves: list[Link]
    places: list[Link]
    addressing: list[Addressing] = Field(default=[], description="varje riskfaktorkoppling med rader och planens ord")


DETAIL_MODELS: dict[str, type[Resource]] = {
    "risk-factors": RiskFactorOut, "prevention-levels": PreventionLevelOut, "departments": DepartmentOut,
    "interventions": InterventionOut, "actors": ActorOut, "forums": ForumOut, "places": PlaceOut,
    "base-missions": BaseMissionOut,
}


class Summary(BaseModel):
    kind: KindName
    id: str
    iri: str
    label: str
    path: str
    page: str
    interventions: int = Field(description="antal insatser som resursen är kopplad till")


class InterventionSummary(BaseModel):
    kind: Literal["interventions"]
    id: str
    iri: str
    label: str
    path: str
    page: str
    number: Optional[int]
    department: Optional[str] = Field(description="ansvarig förvaltnings id")
    risk_factors: list[str]
    levels: list[str]
    places: list[str]
    min_age: Optional[int]
    max_age: Optional[int]


class ResourceList(BaseModel):
    kind: KindName
    plan: Optional[str] = Field(description="planens id, eller null för alla planer")
    count: int
    items: list[Summary]


class InterventionList(BaseModel):
    kind: Literal["interventions"]
    plan: Optional[str]
    filters: dict[str, Union[str, int]]
    count: int
    items: list[InterventionSummary]


class Via(BaseModel):
    link: Link = Field(description="insatsen eller grunduppdraget")
    role: Literal["ansvarig", "medverkande"]
    base_mission: bool = Field(description="sant när det är ett grunduppdrag, inte en UVTS-insats")


class ActorWork(BaseModel):
    actor: Link
    type: Literal["Department", "ExternalActor", "CollaborationForum"]
    type_label: str
    roles: list[str]
    via: list[Via]


class WhoWorksOn(BaseModel):
    risk_factor: Link
    plan: Optional[str]
    query: str = Field(description="den sparade fråga som ger svaret")
    count: int
    actors: list[ActorWork]


class PlanOut(BaseModel):
    id: str
    plan: str = Field(description="planens IRI (också dess namngivna graf)")
    label: str
    municipality: str
    municipality_id: str
    municipality_label: str
    code: Optional[str]
    period: Optional[str]


class PlanList(BaseModel):
    count: int
    plans: list[PlanOut]


class Overview(BaseModel):
    plan: Optional[str]
    counts: dict[str, int] = Field(description="antal resurser per samling")
    budget_total: Union[int, float] = Field(description="summan av förvaltningarnas budgettillskott i kronor")
    stated_total_budget: Optional[Union[int, float]] = Field(description="planens angivna totala budget (cirka)")


class AnalysisInfo(BaseModel):
    name: str
    title: str
    path: str


class AnalysisIndex(BaseModel):
    plan: Optional[str]
    analyses: list[AnalysisInfo]


class AnalysisTable(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    title: str
    explanation: str
    kind: Literal["matrix", "records"]


class AnalysisResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    title: str
    explanation: str
    tables: list[AnalysisTable]
    labels: dict[str, str]
    plan: Optional[str]
    seed: int


class QueryParam(BaseModel):
    name: str
    kind: str = Field(description="resurstyp (t.ex. risk-factor), integer, string eller iri")
    default: Optional[str]
    options: Optional[KindName] = Field(description="API-samlingen vars id:n parametern tar, när den tar ett id")


class SavedQueryInfo(BaseModel):
    name: str
    summary: str
    tags: list[str]
    params: list[QueryParam]
    path: str
    results_path: str


class SavedQueryOut(SavedQueryInfo):
    text: str


class SavedQueryList(BaseModel):
    count: int
    queries: list[SavedQueryInfo]


class Cell(BaseModel):
    type: Literal["uri", "literal", "bnode"]
    value: str
    datatype: Optional[str] = None
    lang: Optional[str] = None
    label: Optional[str] = Field(default=None, description="svenskt namn när värdet är en känd resurs")
    path: Optional[str] = None
    page: Optional[str] = None


class QueryResults(BaseModel):
    query: str
    params: dict[str, str] = Field(description="parametrarna som användes (med standardvärden)")
    plan: Optional[str]
    vars: list[str]
    count: int
    rows: list[dict[str, Optional[Cell]]]


class SearchHit(BaseModel):
    kind: KindName
    id: str
    label: str
    matched: str = Field(description="namnet eller synonymen som matchade")
    iri: str
    path: str
    page: str
    score: int


class SearchResults(BaseModel):
    query: str
    plan: Optional[str]
    count: int
    hits: list[SearchHit]
