"""One test per kind of bad input: each names the file, the line and the field, in Swedish."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli
from uvts.graph.load import DataError, load_plan

AMI = Path("departments") / "arbetsmarknad-och-integration.yaml"


def edit(data: Path, rel: Path | str, old: str, new: str, count: int = 1) -> int:
    """Replace text in a data file; return the 1-based line of the first replacement."""
    path = data / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def problems(data: Path) -> list:
    with pytest.raises(DataError) as info:
        load_plan(data)
    return info.value.problems


def test_malformed_yaml(data_copy):
    line = edit(data_copy, AMI, "    levels: [indikerad]\n", "    levels: [indikerad\n")
    (p,) = problems(data_copy)
    assert p.file.endswith(str(AMI)) and "felaktig YAML" in p.message
    assert p.line is not None and abs(p.line - line) <= 2


def test_missing_field(data_copy):
    line = edit(data_copy, AMI, "    title: Utveckling av inslussmodell\n", "")
    (p,) = problems(data_copy)
    assert p.field == "interventions.1.title"
    assert p.message == "fältet saknas men krävs"
    assert p.line == line - 1  # the line of the intervention item that lacks it


def test_unknown_key(data_copy):
    line = edit(data_copy, AMI, "    timing: Start april 2024.\n", "    timing: Start april 2024.\n    timming: x\n")
    (p,) = problems(data_copy)
    assert p.field == "interventions.4.timming"
    assert p.line == line + 1
    assert "okänd nyckel" in p.message


def test_wrong_type(data_copy):
    line = edit(data_copy, AMI, "    min_age: 16\n", "    min_age: sexton\n")
    (p,) = problems(data_copy)
    assert (p.field, p.line) == ("interventions.4.min_age", line)
    assert "förväntade ett heltal" in p.message and "sexton" in p.message


def test_duplicate_id(data_copy):
    text = (data_copy / "actors.yaml").read_text(encoding="utf-8")
    (data_copy / "actors.yaml").write_text(text + "- id: polisen\n  name: Polisen igen\n  category: police\n  lines: \"5\"\n",
                                           encoding="utf-8")
    (p,) = problems(data_copy)
    assert p.file.endswith("actors.yaml") and p.field.endswith(".id")
    assert p.line == text.count("\n") + 1
    assert "'polisen' finns redan" in p.message and "actors.yaml:" in p.message


def test_duplicate_key(data_copy):
    line = edit(data_copy, AMI, "    timing: Start april 2024.\n", "    timing: Start april 2024.\n    timing: igen\n")
    (p,) = problems(data_copy)
    assert p.line == line + 1 and "två gånger" in p.message


def test_unknown_reference_suggests_a_near_miss(data_copy):
    line = edit(data_copy, AMI, "risk_factors: [utanforskap, skolmisslyckande]",
                "risk_factors: [utanforskap, psykisk-ohälsa]")
    (p,) = problems(data_copy)
    assert p.field == "interventions.4.risk_factors.1" and p.line == line
    assert p.message == 'okänd riskfaktor \'psykisk-ohälsa\'; menade du "psykisk-ohalsa"?'


def test_unknown_reference_without_near_miss(data_copy):
    edit(data_copy, AMI, "places: [hera]", "places: [zzzz-qqqq]")
    (p,) = problems(data_copy)
    assert p.message == "okänd plats 'zzzz-qqqq'"


def test_non_utf8_file(data_copy):
    path = data_copy / AMI
    raw = path.read_bytes()
    idx = raw.index("öppenvårdsbehandling".encode())
    path.write_bytes(raw[:idx] + "öppenvårdsbehandling".encode("latin-1") + raw[idx + len("öppenvårdsbehandling".encode()):])
    (p,) = problems(data_copy)
    assert "inte UTF-8" in p.message and p.line == raw[:idx].count(b"\n") + 1


def test_empty_file(data_copy):
    (data_copy / "places.yaml").write_text("# nothing here\n\n", encoding="utf-8")
    (p,) = problems(data_copy)
    assert p.file.endswith("places.yaml") and p.message.startswith("filen är tom")


def test_line_range_outside_the_plan(data_copy):
    line = edit(data_copy, AMI, 'lines: "168-209"', 'lines: "168-9999"')
    (p,) = problems(data_copy)
    assert p.line == line and "utanför planens 3339 rader" in p.message


def test_bad_line_range_format(data_copy):
    edit(data_copy, AMI, 'lines: "168-209"', 'lines: "rad 168"')
    (p,) = problems(data_copy)
    assert p.field == "interventions.0.lines" and "radintervall" in p.message


def test_every_problem_is_reported_at_once(data_copy):
    edit(data_copy, AMI, "    min_age: 16\n", "    min_age: sexton\n")
    edit(data_copy, Path("departments") / "fritid.yaml", "id: fritid\n", "id: fritid\nokand: 1\n")
    assert len(problems(data_copy)) == 2


def test_cli_reports_problems_and_writes_nothing(data_copy, tmp_path):
    out = tmp_path / "graph.nt"
    env = {"UVTS_HOME": str(tmp_path / "home")}
    ok = run_cli("build", "--data", str(data_copy), "-o", str(out), env=env)
    assert ok.returncode == 0, ok.stderr
    before = out.read_bytes()
    store_meta = (tmp_path / "home" / "current.json").read_text()  # the published version (uvts.graph.versions)
    published = sorted(p.name for p in (tmp_path / "home" / "versions").iterdir())
    edit(data_copy, AMI, "    min_age: 16\n", "    min_age: sexton\n")
    bad = run_cli("build", "--data", str(data_copy), "-o", str(out), env=env)
    assert bad.returncode == 1
    assert "arbetsmarknad-och-integration.yaml:" in bad.stderr and "min_age" in bad.stderr
    assert out.read_bytes() == before  # the previous output is intact
    assert (tmp_path / "home" / "current.json").read_text() == store_meta
    assert sorted(p.name for p in (tmp_path / "home" / "versions").iterdir()) == published
    assert not list(tmp_path.glob(".graph.nt.*"))  # no half-written temporary file left
