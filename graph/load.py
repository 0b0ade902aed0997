"""Read a plan folder (``data/``) into validated models, with errors a person can act on.

Every problem names the file, the line and the field, and says in Swedish what was
expected; a reference that does not resolve gets a suggestion for a near miss.

>>> from uvts.graph.paths import DEFAULT_DATA
>>> plan = load_plan(DEFAULT_DATA)
>>> plan.plan.municipality.name
'Umeå kommun'
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import BaseModel, ValidationError

from . import evidence, limits
from . import models as m
from .errors import DataError, Problem
from .namespaces import slugify
from .paths import SHARED_FILES, data_files

__all__ = ["Problem", "DataError", "PlanData", "load_plan", "load_plans", "read_yaml", "data_files"]


@dataclass
class PlanData:
    """One plan, loaded and validated: plain models plus where each value came from."""

    folder: Path
    plan: m.Plan
    risk_factors: list[m.RiskFactor]
    levels: list[m.PreventionLevel]
    other_links: list[m.OtherLink]
    actors: list[m.Actor]
    forums: list[m.Forum]
    places: list[m.Place]
    departments: list[m.Department]
    source_text: list[str] | None = None
    files: list[Path] = field(default_factory=list)
    follow_up: list = field(default_factory=list)  # follow_up.LoadedRound, oldest first

    def intervention_id(self, dept: m.Department, iv: m.Intervention) -> str:
        return f"{dept.id}-{iv.number}"

    def interventions(self) -> Iterable[tuple[m.Department, m.Intervention]]:
        for dept in self.departments:
            for iv in dept.interventions:
                yield dept, iv

    def source_excerpt(self, ranges: str) -> str:
        """The exact plan text of a line range (``""`` when the source text is not bundled)."""
        if not self.source_text:
            return ""
        out = []
        for start, end in m.parse_line_ranges(ranges):
            out.extend(self.source_text[start - 1 : end])
        return "\n".join(out)


# --- YAML with line numbers ------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    pass


# libyaml's composer is ~10x faster; both give nodes with line marks.
_Composer = getattr(yaml, "CSafeLoader", _Loader)


def _to_python(node: yaml.Node, path: tuple, positions: dict, problems: list, fname: str, loader=None) -> Any:
    loader = loader or _Loader("")
    positions[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in out:
                problems.append(Problem(fname, key_node.start_mark.line + 1, ".".join(map(str, path + (key,))),
                                        f"nyckeln '{key}' förekommer två gånger; varje nyckel får bara finnas en gång"))
            positions[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _to_python(value_node, path + (key,), positions, problems, fname, loader)
            positions[path + (key,)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(v, path + (i,), positions, problems, fname, loader) for i, v in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def read_yaml(path: Path, display: str | None = None) -> tuple[Any, dict[tuple, int]]:
    """Parse one YAML file; return its data and a map from field path to line number.

    Raises :class:`DataError` for an unreadable, non-UTF-8, empty or malformed file.
    """
    fname = display or str(path)
    try:
        size = path.stat().st_size
        if size > limits.MAX_YAML_BYTES:
            raise DataError([Problem(fname, None, "", f"filen är {limits.megabytes(size)}; en YAML-fil i en planmapp får "
                                                      f"vara högst {limits.megabytes(limits.MAX_YAML_BYTES)}")])
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError([Problem(fname, None, "", f"filen kan inte läsas ({exc.strerror})")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError([Problem(fname, line, "", f"filen är inte UTF-8 (byte 0x{raw[exc.start]:02x} på position {exc.start}); "
                                                  "spara den som UTF-8")]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise DataError([Problem(fname, 1, "", "filen är tom; förväntade YAML-data")])
    try:
        node = yaml.compose(text, Loader=_Composer)
    except RecursionError:
        raise DataError([Problem(fname, None, "", f"YAML-datan är nästlad för djupt; högst {limits.MAX_YAML_DEPTH} nivåer")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "okänt fel"
        raise DataError([Problem(fname, line, "", f"felaktig YAML ({what}); kontrollera indrag, kolon och citattecken")]) from None
    if node is not None:
        values, depth = limits.expanded_size(node)
        if values > limits.MAX_YAML_NODES:
            raise DataError([Problem(fname, None, "", f"filen skulle ge fler än {limits.MAX_YAML_NODES:,} värden".replace(",", " ")
                                                      + " (YAML-alias, & och *, som upprepar varandra?); dela upp "
                                                        "datan eller skriv ut värdena utan alias")])
        if depth > limits.MAX_YAML_DEPTH:
            raise DataError([Problem(fname, None, "", f"YAML-datan är nästlad för djupt; högst {limits.MAX_YAML_DEPTH} nivåer")])
    positions: dict[tuple, int] = {}
    problems: list[Problem] = []
    try:
        data = _to_python(node, (), positions, problems, fname)
    except yaml.YAMLError as exc:  # pragma: no cover - constructor errors are rare in safe YAML
        raise DataError([Problem(fname, None, "", f"felaktig YAML ({exc})")]) from None
    if problems:
        raise DataError(problems)
    return data, positions


# --- validation against the models -----------------------------------------------------

_MESSAGES = {
    "missing": "fältet saknas men krävs",
    "extra_forbidden": "okänd nyckel; kontrollera stavningen (se docs/data-format.md för tillåtna nycklar)",
    "int_type": "förväntade ett heltal",
    "int_parsing": "förväntade ett heltal",
    "int_from_float": "förväntade ett heltal",
    "string_type": "förväntade text",
    "list_type": "förväntade en lista",
    "dict_type": "förväntade en mappning (nyckel: värde)",
    "model_type": "förväntade en mappning (nyckel: värde)",
    "bool_type": "förväntade true eller false",
    "bool_parsing": "förväntade true eller false",
    "string_too_short": "får inte vara tom",
    "greater_than_equal": "värdet är för litet",
    "less_than_equal": "värdet är för stort",
    "decimal_parsing": "förväntade ett tal",
    "decimal_type": "förväntade ett tal",
    "finite_number": "förväntade ett tal",
    "date_parsing": "förväntade ett datum som 2024-12-10",
    "date_from_datetime_parsing": "förväntade ett datum som 2024-12-10",
    "date_type": "förväntade ett datum som 2024-12-10",
}


def _swedish(err: dict) -> str:
    kind = err["type"]
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"förväntade ett av {expected} (fick {err.get('input')!r})"
    if kind in ("greater_than_equal", "less_than_equal"):
        ctx = err.get("ctx", {})
        bound = ctx.get("ge", ctx.get("le"))
        op = "≥" if kind == "greater_than_equal" else "≤"
        return f"förväntade ett tal {op} {bound} (fick {err.get('input')!r})"
    if kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        return f"förväntade {msg} (fick {err.get('input')!r})"
    base = _MESSAGES.get(kind, err["msg"])
    if kind not in ("missing", "extra_forbidden") and "input" in err:
        return f"{base} (fick {err['input']!r})"
    return base


def _line_for(positions: dict[tuple, int], loc: tuple) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in positions:
            return positions[loc[:n]]
    return None


def _validate(model: type[BaseModel], data: Any, positions: dict, fname: str, prefix: tuple = ()) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = prefix + tuple(err["loc"])
            problems.append(Problem(fname, _line_for(positions, loc), ".".join(map(str, loc)), _swedish(err)))
        raise DataError(problems) from None


def _validate_list(model: type[BaseModel], data: Any, positions: dict, fname: str) -> list:
    if not isinstance(data, list):
        raise DataError([Problem(fname, 1, "", "förväntade en lista av poster (rader som börjar med '- ')")])
    out, problems = [], []
    for i, item in enumerate(data):
        try:
            out.append(_validate(model, item, positions, fname, (i,)))
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    return out


# --- the plan folder -------------------------------------------------------------------

_MODELS = {"risk_factors": m.RiskFactor, "levels": m.PreventionLevel, "other_links": m.OtherLink,
           "actors": m.Actor, "forums": m.Forum, "places": m.Place}
_SHARED = {key: (SHARED_FILES[key], model) for key, model in _MODELS.items()}


def _suggest(value: str, candidates: Iterable[str]) -> str:
    pool = sorted(set(candidates))
    folded = slugify(value)
    if folded in pool and folded != value:
        return f'; menade du "{folded}"?'
    near = difflib.get_close_matches(folded or value, pool, n=1, cutoff=0.6)
    return f'; menade du "{near[0]}"?' if near else ""


def load_plan(folder: str | Path) -> PlanData:
    """Load and validate one plan folder. Raises :class:`DataError` listing every problem."""
    folder = Path(folder)
    problems: list[Problem] = []
    if not folder.is_dir():
        raise DataError([Problem(str(folder), None, "", "mappen finns inte; ange en mapp med plan.yaml (--data MAPP)")])

    def rel(p: Path) -> str:
        try:
            return str(p.relative_to(folder.parent))
        except ValueError:
            return str(p)

    loaded: dict[str, Any] = {}
    positions_of: dict[str, tuple[str, dict]] = {}

    def outside(path: Path) -> bool:
        """A data file that is a symbolic link out of the plan folder is refused, not read."""
        if limits.inside_folder(folder, str(path.relative_to(folder))) is None:
            problems.append(Problem(rel(path), None, "", "filen är en länk som pekar utanför planmappen; "
                                                         "lägg filen själv i planmappen"))
            return True
        return False

    def load_file(key: str, path: Path, model, many: bool):
        if not path.exists():
            problems.append(Problem(rel(path), None, "", "filen saknas men krävs i en planmapp"))
            return
        if outside(path):
            return
        try:
            data, pos = read_yaml(path, rel(path))
            loaded[key] = (_validate_list if many else _validate)(model, data, pos, rel(path))
            positions_of[key] = (rel(path), pos)
        except DataError as exc:
            problems.extend(exc.problems)

    load_file("plan", folder / "plan.yaml", m.Plan, False)
    for key, (name, model) in _SHARED.items():
        load_file(key, folder / name, model, True)
    dept_files = sorted((folder / "departments").glob("*.yaml"))
    departments: list[m.Department] = []
    dept_pos: dict[str, tuple[str, dict]] = {}
    for path in dept_files:
        if outside(path):
            continue
        try:
            data, pos = read_yaml(path, rel(path))
            dept = _validate(m.Department, data, pos, rel(path))
            if dept.id != path.stem:
                problems.append(Problem(rel(path), pos.get(("id",)), "id",
                                        f"förväntade id '{path.stem}' (samma som filnamnet), fick '{dept.id}'"))
            departments.append(dept)
            dept_pos[dept.id] = (rel(path), pos)
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)

    plan: m.Plan = loaded["plan"]
    ids: dict[str, dict[str, tuple[str, int | None]]] = {}

    def register(kind: str, key: str, items, label: str):
        fname, pos = positions_of[key]
        seen = ids.setdefault(kind, {})
        for i, item in enumerate(items):
            line = pos.get((i, "id"))
            if item.id in seen:
                first = seen[item.id]
                problems.append(Problem(fname, line, f"{i}.id",
                                        f"{label} '{item.id}' finns redan ({first[0]}:{first[1]}); varje id måste vara unikt"))
            else:
                seen[item.id] = (fname, line)

    register("risk_factor", "risk_factors", loaded["risk_factors"], "riskfaktorn")
    register("level", "levels", loaded["levels"], "preventionsnivån")
    register("other_link", "other_links", loaded["other_links"], "kopplingen")
    register("actor", "actors", loaded["actors"], "aktören")
    register("forum", "forums", loaded["forums"], "forumet")
    register("place", "places", loaded["places"], "platsen")
    ids["department"] = {d.id: (dept_pos[d.id][0], dept_pos[d.id][1].get(("id",))) for d in departments}
    interventions = {}
    for dept in departments:
        fname, pos = dept_pos[dept.id]
        for i, iv in enumerate(dept.interventions):
            key = f"{dept.id}-{iv.number}"
            if key in interventions:
                problems.append(Problem(fname, pos.get(("interventions", i, "number")), f"interventions.{i}.number",
                                        f"insats nummer {iv.number} finns redan i {dept.name}; varje nummer måste vara unikt"))
            interventions[key] = (fname, pos.get(("interventions", i)))
    ids["intervention"] = interventions
    if plan.municipality.id in ids["actor"]:
        problems.append(Problem(positions_of["plan"][0], positions_of["plan"][1].get(("municipality", "id")),
                                "municipality.id", "kommunens id får inte också vara en extern aktör"))

    kind_names = {
        "risk_factor": "riskfaktor", "level": "preventionsnivå", "other_link": "koppling",
        "actor": "extern aktör", "forum": "samverkansforum", "place": "plats",
        "department": "förvaltning", "intervention": "insats",
    }

    def check_ref(kind: str, value: str, fname: str, pos: dict, loc: tuple):
        if value not in ids.get(kind, {}):
            problems.append(Problem(fname, _line_for(pos, loc), ".".join(map(str, loc)),
                                    f"okänd {kind_names[kind]} '{value}'{_suggest(value, ids.get(kind, {}))}"))

    max_line = plan.source_line_count

    def check_lines(value: str | None, fname: str, pos: dict, loc: tuple):
        if value is None:
            return
        for start, end in m.parse_line_ranges(value):
            if end > max_line:
                problems.append(Problem(fname, _line_for(pos, loc), ".".join(map(str, loc)),
                                        f"radintervallet {start}-{end} går utanför planens {max_line} rader"))

    def check_addressing(items, risk_factors, activity_lines: str | None, fname: str, pos: dict, base: tuple):
        """Each risk-factor link's evidence: a listed risk factor, once, on lines inside the activity
        (an activity added in a workbook has no lines of the plan, and so nothing to be inside)."""
        seen: set[str] = set()
        inside = m.parse_line_ranges(activity_lines) if activity_lines is not None else None
        for j, a in enumerate(items):
            loc = base + ("addressing", j)
            check_ref("risk_factor", a.risk_factor, fname, pos, loc + ("risk_factor",))
            listed_ok = all(r in ids.get("risk_factor", {}) for r in risk_factors)  # else that typo is the problem
            if listed_ok and a.risk_factor in ids.get("risk_factor", {}) and a.risk_factor not in risk_factors:
                problems.append(Problem(fname, _line_for(pos, loc + ("risk_factor",)), ".".join(map(str, loc + ("risk_factor",))),
                                        f"riskfaktorn '{a.risk_factor}' står inte bland risk_factors; "
                                        "lägg till den där eller ta bort kopplingens belägg"))
            if a.risk_factor in seen:
                problems.append(Problem(fname, _line_for(pos, loc + ("risk_factor",)), ".".join(map(str, loc + ("risk_factor",))),
                                        f"riskfaktorn '{a.risk_factor}' har redan ett belägg; ange varje koppling en gång"))
            seen.add(a.risk_factor)
            check_lines(a.lines, fname, pos, loc + ("lines",))
            for start, end in m.parse_line_ranges(a.lines) if inside is not None else ():
                if not any(lo <= start and end <= hi for lo, hi in inside):
                    problems.append(Problem(fname, _line_for(pos, loc + ("lines",)), ".".join(map(str, loc + ("lines",))),
                                            f"raderna {start}-{end} ligger utanför insatsens eller grunduppdragets "
                                            f"rader {activity_lines}"))

    for key in ("risk_factors", "levels", "other_links", "actors", "forums", "places"):
        fname, pos = positions_of[key]
        for i, item in enumerate(loaded[key]):
            check_lines(item.lines, fname, pos, (i, "lines"))
    fname, pos = positions_of["plan"]
    check_lines(plan.reported_to_lines, fname, pos, ("reported_to_lines",))
    for j, v in enumerate(plan.reported_to):
        check_ref("forum", v, fname, pos, ("reported_to", j))
    fname, pos = positions_of["risk_factors"]
    for i, rf in enumerate(loaded["risk_factors"]):
        if rf.exact_match is not None:
            check_ref("risk_factor", rf.exact_match, fname, pos, (i, "exact_match"))
    fname, pos = positions_of["forums"]
    for i, forum in enumerate(loaded["forums"]):
        check_lines(forum.purpose_lines, fname, pos, (i, "purpose_lines"))
        check_lines(forum.role_lines, fname, pos, (i, "role_lines"))
        for j, d in enumerate(forum.members.departments):
            check_ref("department", d, fname, pos, (i, "members", "departments", j))
        for j, a in enumerate(forum.members.actors):
            check_ref("actor", a, fname, pos, (i, "members", "actors", j))

    for dept in departments:
        fname, pos = dept_pos[dept.id]
        check_lines(dept.lines, fname, pos, ("lines",))
        for i, iv in enumerate(dept.interventions):
            base = ("interventions", i)
            check_lines(iv.lines, fname, pos, base + ("lines",))
            for j, v in enumerate(iv.levels):
                check_ref("level", v, fname, pos, base + ("levels", j))
            for j, v in enumerate(iv.risk_factors):
                check_ref("risk_factor", v, fname, pos, base + ("risk_factors", j))
            check_addressing(iv.addressing, iv.risk_factors, iv.lines, fname, pos, base)
            for j, v in enumerate(iv.other_links):
                check_ref("other_link", v, fname, pos, base + ("other_links", j))
            for j, v in enumerate(iv.places):
                check_ref("place", v, fname, pos, base + ("places", j))
            for j, v in enumerate(iv.involves.departments):
                check_ref("department", v, fname, pos, base + ("involves", "departments", j))
                if v == dept.id:
                    problems.append(Problem(fname, _line_for(pos, base + ("involves", "departments", j)),
                                            f"interventions.{i}.involves.departments.{j}",
                                            "den ansvariga förvaltningen ska inte stå bland de medverkande"))
            for j, v in enumerate(iv.involves.actors):
                check_ref("actor", v, fname, pos, base + ("involves", "actors", j))
            for j, v in enumerate(iv.involves.forums):
                check_ref("forum", v, fname, pos, base + ("involves", "forums", j))
            for j, v in enumerate(iv.same_activity_as):
                check_ref("intervention", v, fname, pos, base + ("same_activity_as", j))
            if iv.min_age is not None and iv.max_age is not None and iv.min_age > iv.max_age:
                problems.append(Problem(fname, _line_for(pos, base + ("min_age",)), f"interventions.{i}.min_age",
                                        f"förväntade min_age ≤ max_age (fick {iv.min_age} > {iv.max_age})"))
        bm = dept.base_mission or m.BaseMission(lines="1", summary="-")  # a department added in a workbook has none
        check_lines(bm.lines if dept.base_mission else None, fname, pos, ("base_mission", "lines"))
        if dept.base_mission is not None:
            check_addressing(bm.addressing, bm.risk_factors, bm.lines, fname, pos, ("base_mission",))
        for kind, values, name in (("risk_factor", bm.risk_factors, "risk_factors"), ("department", bm.departments, "departments"),
                                   ("actor", bm.actors, "actors"), ("forum", bm.forums, "forums"), ("place", bm.places, "places")):
            for j, v in enumerate(values):
                check_ref(kind, v, fname, pos, ("base_mission", name, j))
        check_lines(dept.budget.lines, fname, pos, ("budget", "lines"))
        for i, item in enumerate(dept.budget.breakdown):
            check_lines(item.lines, fname, pos, ("budget", "breakdown", i, "lines"))
            for j, v in enumerate(item.interventions):
                check_ref("intervention", v, fname, pos, ("budget", "breakdown", i, "interventions", j))
    if problems:
        raise DataError(problems)

    plan_file, plan_pos = positions_of["plan"]
    try:
        source_text = limits.read_source(folder, plan.source, plan.source_line_count)
    except limits.SourceProblem as exc:
        raise DataError([Problem(plan_file, plan_pos.get((exc.field,)), exc.field, exc.message)]) from None
    quotes = []
    for dept in departments:
        fname, pos = dept_pos[dept.id]
        acts = [(("interventions", i), iv) for i, iv in enumerate(dept.interventions)]
        if dept.base_mission is not None:  # a department added in a workbook has none yet
            acts.append((("base_mission",), dept.base_mission))
        for base, act in acts:
            for j, a in enumerate(act.addressing):
                excerpt = "\n".join(ln for s, e in m.parse_line_ranges(a.lines) for ln in source_text[s - 1 : e])
                if evidence.fold(a.evidence) not in evidence.fold(excerpt):
                    loc = base + ("addressing", j, "evidence")
                    quotes.append(Problem(fname, _line_for(pos, loc), ".".join(map(str, loc)),
                                          f"belägget står inte ordagrant på raderna {a.lines} i planens text; "
                                          "citera planens egna ord (radbrytningar och avstavning spelar ingen roll)"))
    if quotes:
        raise DataError(quotes)
    from .follow_up import load_rounds

    follow_up = load_rounds(folder, rel, ids, max_line)
    return PlanData(
        folder=folder, plan=plan, risk_factors=loaded["risk_factors"], levels=loaded["levels"],
        other_links=loaded["other_links"], actors=loaded["actors"], forums=loaded["forums"],
        places=loaded["places"], departments=sorted(departments, key=lambda d: d.id),
        source_text=source_text, files=data_files(folder), follow_up=follow_up,
    )


def load_plans(folders: Iterable[str | Path]) -> list[PlanData]:
    """Load several plan folders; problems of all folders are reported together."""
    plans, problems = [], []
    for folder in folders:
        try:
            plans.append(load_plan(folder))
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    seen: dict[str, Path] = {}
    for p in plans:
        if p.plan.id in seen:
            raise DataError([Problem(str(p.folder / "plan.yaml"), None, "id",
                                     f"planen '{p.plan.id}' finns redan i {seen[p.plan.id]}; varje plan måste ha ett unikt id")])
        seen[p.plan.id] = p.folder
    return plans
