"""``uvts analyse``: the formats a person uses, and clean errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from uvts.api.cli import main
from uvts.graph.analyses.render import format_csv, format_table


def run(capsysbinary, *args):
    code = main(["analyse", *args, "--store", "memory"])
    out, err = capsysbinary.readouterr()
    return code, out, err.decode("utf-8")


def test_json_gaps(capsysbinary):
    code, out, _ = run(capsysbinary, "gaps", "--format", "json")
    assert code == 0
    res = json.loads(out.decode("utf-8"))
    assert res["name"] == "gaps" and res["tables"][0]["name"] == "gaps"
    rows = res["tables"][0]["rows"]
    assert any(g["kind"] == "goal_not_set" and g["subjects"] == ["https://w3id.org/uvts/id/intervention/stod-och-omsorg-8"]
               for g in rows)


def test_json_one_table_of_all(capsysbinary):
    code, out, _ = run(capsysbinary, "all", "--format", "json", "--table", "intervention_pairs")
    assert code == 0
    table = json.loads(out.decode("utf-8"))
    assert table["name"] == "intervention_pairs"
    assert [p["score"] for p in table["rows"]] == sorted((p["score"] for p in table["rows"]), reverse=True)
    assert set(table["rows"][0]) == {"a", "b", "score", "reasons", "departments"}


def test_table_is_swedish(capsysbinary):
    code, out, _ = run(capsysbinary, "coverage", "--table", "risk_factor_by_level")
    text = out.decode("utf-8")
    assert code == 0
    assert "Riskfaktor × preventionsnivå" in text and "Universell" in text and "Ingen nivå" in text
    assert "Synlig närvaro av kriminella" in text


def test_csv_for_excel(capsysbinary, tmp_path):
    target = tmp_path / "overlap.csv"
    code, out, _ = run(capsysbinary, "overlap", "--format", "csv", "-o", str(target))
    assert code == 0 and "Skrev" in out.decode("utf-8")
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Insatser som kan överlappa"]
    assert rows[2][:3] == ["Insats A", "Insats B", "Poäng"]
    assert rows[3][:3] == ["grundskolan-1", "stod-och-omsorg-7", rows[3][2]]
    assert "," in rows[3][2] and "." not in rows[3][2]  # decimal comma
    assert ["Forum med överlappande medlemmar"] in rows


def test_csv_matrix_lists_interventions():
    G_results = [{"name": "x", "title": "X", "explanation": "E.", "labels": {}, "tables": [{
        "name": "m", "title": "Matris", "explanation": "Förklaring.", "kind": "matrix", "value_label": "Antal insatser",
        "rows": [{"key": "r", "iri": None, "label": "Rad"}], "columns": [{"key": "c", "iri": None, "label": "Kolumn"}],
        "cells": [[{"value": 2, "interventions": ["https://w3id.org/uvts/id/intervention/a-1",
                                                 "https://w3id.org/uvts/id/intervention/b-2"]}]],
        "row_totals": [{"value": 2, "interventions": []}]}]}]
    rows = list(csv.reader(io.StringIO(format_csv(G_results)), delimiter=";"))
    assert rows == [["Matris"], ["Förklaring."], ["Antal insatser", "Kolumn", "Totalt"], ["Rad", "2", "2"], [],
                    ["Matris – insatser"], ["Insatser", "Kolumn"], ["Rad", "a-1, b-2"]]
    assert "Rad" in format_table(G_results) and "Totalt" in format_table(G_results)


def test_errors(capsysbinary):
    code, _, err = run(capsysbinary, "coverage", "--table", "nothing")
    assert code == 2 and "okänd tabell 'nothing'" in err and "risk_factor_by_level" in err
    code, _, err = run(capsysbinary, "gaps", "--plan", "gotham")
    assert code == 1 and "okänd plan" in err


def test_unknown_name_is_refused():
    with pytest.raises(SystemExit) as exc:
        main(["analyse", "everything"])
    assert exc.value.code == 2


def test_the_command_module_imports_nothing_heavy():
    code = ("import sys, uvts.api.cli as c; c.build_parser(); "
            "print(sorted(m for m in ('networkx', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
