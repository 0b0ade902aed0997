"""The command line: every command documented, every command takes --data, clean errors."""

from __future__ import annotations

import argparse

import pytest

from conftest import run_cli
from uvts.api.cli import build_parser, main
from uvts.graph.paths import ROOT


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in _commands():
        assert f"`uvts {name}" in readme, f"uvts {name} is not documented in README.md"


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_takes_data(name):
    options = {o for a in _commands()[name]._actions for o in a.option_strings}
    assert "--data" in options


def test_query_reads_another_plan_folder(data_copy, tmp_path):
    extra = (data_copy / "departments" / "sakerhet.yaml").read_text(encoding="utf-8")
    (data_copy / "departments" / "extra.yaml").write_text(
        extra.replace("id: sakerhet", "id: extra", 1).replace("same_activity_as", "x_unused_key", 0), encoding="utf-8")
    r = run_cli("query", "--data", str(data_copy), "--format", "csv", "--sparql",
                "PREFIX uvts: <https://w3id.org/uvts/ontology#> SELECT (COUNT(*) AS ?n) WHERE { ?i a uvts:Intervention }",
                env={"UVTS_HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1] == "49"  # 46 and a copy of Säkerhet's 3


def test_unknown_saved_query_suggests(capsys):
    assert main(["query", "who-works-onn"]) == 1
    assert 'menade du "who-works-on"' in capsys.readouterr().err


def test_bad_parameter_is_a_clear_error(capsys):
    assert main(["query", "interventions-for-children-under", "--param", "age=tretton", "--store", "memory"]) == 1
    assert "förväntade ett heltal" in capsys.readouterr().err


def test_malformed_sparql_is_a_clear_error(capsys):
    assert main(["query", "--sparql", "SELEKT * WHERE {}", "--store", "memory"]) == 1
    assert capsys.readouterr().err.startswith("fel: ")


@pytest.mark.parametrize("fmt,check", [
    ("csv", lambda out: out.startswith("\ufeffriskFactor;actor;actorLabel")),
    ("tsv", lambda out: out.startswith("?riskFactor\t?actor")),
    ("json", lambda out: '"vars": [' in out and '"Förskolan"' in out),
    ("table", lambda out: "(31 rader)" in out),  # the golden who-works-on rows (SIP: l.1485)
])
def test_query_output_formats(capsys, fmt, check):
    assert main(["query", "who-works-on", "--store", "memory", "--format", fmt]) == 0
    assert check(capsys.readouterr().out)


def test_query_list(capsys):
    assert main(["query", "--list"]) == 0
    out = capsys.readouterr().out
    assert "who-works-on" in out and "riskFactor=psykisk-ohalsa" in out


def test_query_one_plan_or_all(capsys):
    assert main(["query", "who-works-on", "--store", "memory", "--plan", "Umeå kommun", "--format", "csv"]) == 0
    one = capsys.readouterr().out
    assert main(["query", "who-works-on", "--store", "memory", "--format", "csv"]) == 0
    assert capsys.readouterr().out == one  # Umeå is the only plan here
    assert main(["query", "who-works-on", "--store", "memory", "--plan", "skelleftea"]) == 1
    assert "okänd plan" in capsys.readouterr().err
