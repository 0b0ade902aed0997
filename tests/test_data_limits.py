"""Data that can't reach outside its folder, and fails fast (issue 13, point 5).

Every file a plan names resolves inside its plan folder; the plan text exists, is UTF-8
and has the stated number of lines; YAML aliases and file size are bounded. Each case is
a Swedish data error naming file, line and field, and ``uvts build`` exits 1 (never 2).
The "under 2 s" of the issue is measured by ``benchmarks/bench_data_limits.py``, not here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import run_cli
from uvts.graph import limits
from uvts.graph.load import DataError, load_plan

SOURCE = "source: aktivitetsplan-uvts-2024-2026.txt"


def edit(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def problem(data: Path):
    with pytest.raises(DataError) as info:
        load_plan(data)
    (p,) = info.value.problems
    return p


def build(data: Path, tmp_path: Path):
    return run_cli("build", "--data", str(data), "--store", "memory", env={"UVTS_HOME": str(tmp_path / "home")})


@pytest.mark.parametrize("name", ["../../../../../../etc/passwd", "../plan.yaml", "/etc/passwd"])
def test_a_source_outside_the_folder_is_refused(data_copy, tmp_path, name):
    line = edit(data_copy / "plan.yaml", SOURCE, f"source: {name}")
    p = problem(data_copy)
    assert (p.file, p.line, p.field) == ("data/plan.yaml", line, "source")
    assert "utanför planmappens mapp source/" in p.message
    out = build(data_copy, tmp_path)
    assert out.returncode == 1, out.stderr
    assert "utanför planmappens mapp source/" in out.stderr and "root:" not in out.stdout + out.stderr


def test_a_symbolic_link_out_of_the_folder_is_refused(data_copy):
    link = data_copy / "source" / "lank.txt"
    os.symlink("/etc/passwd", link)
    edit(data_copy / "plan.yaml", SOURCE, "source: lank.txt")
    assert "utanför planmappens mapp source/" in problem(data_copy).message


def test_the_pages_never_read_a_source_outside_the_folder(data_copy):
    from uvts.api.catalog import PlanTexts

    edit(data_copy / "plan.yaml", SOURCE, "source: ../../../../../../etc/passwd")
    texts = PlanTexts([data_copy])
    assert texts.lines("umea-uvts-2024-2026") is None


def test_a_missing_plan_text(data_copy, tmp_path):
    (data_copy / "source" / "aktivitetsplan-uvts-2024-2026.txt").unlink()
    p = problem(data_copy)
    assert (p.file, p.field) == ("data/plan.yaml", "source") and p.line is not None
    assert p.message == "planens text saknas: source/aktivitetsplan-uvts-2024-2026.txt finns inte i planmappen"
    assert build(data_copy, tmp_path).returncode == 1


def test_a_plan_text_that_is_not_utf8(data_copy, tmp_path):
    path = data_copy / "source" / "aktivitetsplan-uvts-2024-2026.txt"
    raw = path.read_bytes()
    at = raw.index("Ålidhem".encode("utf-8"))
    path.write_bytes(raw[:at] + "Ålidhem".encode("latin-1") + raw[at + len("Ålidhem".encode("utf-8")):])
    p = problem(data_copy)
    assert p.field == "source"
    assert f"byte 0xc5 på position {at}, rad 13" in p.message and "inte UTF-8" in p.message
    out = build(data_copy, tmp_path)
    assert out.returncode == 1 and "UnicodeDecodeError" not in out.stderr and "inte UTF-8" in out.stderr


def test_a_wrong_line_count(data_copy):
    line = edit(data_copy / "plan.yaml", "source_line_count: 3339", "source_line_count: 3400")
    p = problem(data_copy)
    assert (p.line, p.field) == (line, "source_line_count")
    assert "har 3339 rader, men source_line_count anger 3400" in p.message


ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_an_alias_bomb_is_refused(data_copy, tmp_path):
    assert len(ALIAS_BOMB.encode()) < 500
    (data_copy / "forums.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    p = problem(data_copy)
    assert p.file == "data/forums.yaml" and "YAML-alias" in p.message
    out = build(data_copy, tmp_path)
    assert out.returncode == 1 and "YAML-alias" in out.stderr


def test_a_few_aliases_are_fine(data_copy):
    text = (data_copy / "places.yaml").read_text(encoding="utf-8")
    text = text.replace('  lines: "498"\n', '  lines: &teg "498"\n', 1).replace('  lines: "498"\n', "  lines: *teg\n", 1)
    (data_copy / "places.yaml").write_text(text, encoding="utf-8")
    assert load_plan(data_copy).places


def test_deep_nesting_is_refused(data_copy):
    (data_copy / "forums.yaml").write_text("x: " + "[" * 200 + "]" * 200 + "\n", encoding="utf-8")
    assert "nästlad för djupt" in problem(data_copy).message


def test_a_large_file_is_refused_before_it_is_parsed(data_copy, tmp_path):
    path = data_copy / "departments" / "kultur.yaml"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("# " + "x" * (limits.MAX_YAML_BYTES + 10) + "\n")
    p = problem(data_copy)
    assert p.file == "data/departments/kultur.yaml" and "högst 5,0 MB" in p.message
    out = build(data_copy, tmp_path)
    assert out.returncode == 1 and "högst 5,0 MB" in out.stderr


def test_expanded_size_counts_aliases_without_expanding_them():
    import yaml

    node = yaml.compose(ALIAS_BOMB, Loader=yaml.SafeLoader)
    values, depth = limits.expanded_size(node, limit=10**12)
    assert values > 9**9 and depth == 10
    assert limits.expanded_size(yaml.compose("a: [1, 2]", Loader=yaml.SafeLoader)) == (5, 2)


def test_a_data_file_linking_out_of_the_folder_is_refused(data_copy, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text((data_copy / "departments" / "kultur.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (data_copy / "departments" / "kultur.yaml").unlink()
    os.symlink(outside, data_copy / "departments" / "kultur.yaml")
    p = problem(data_copy)
    assert p.file == "data/departments/kultur.yaml" and "pekar utanför planmappen" in p.message
