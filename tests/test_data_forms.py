"""Every command that reads plans takes ``--data`` in all its forms: one plan folder, several
folders (``--data A --data B``), and a folder of plan folders (as ``uvts synth -o`` writes).
Each run must succeed and see exactly the plans meant."""

from __future__ import annotations

import json

import pytest

from uvts.api.cli import main


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    root = tmp_path_factory.mktemp("forms")
    out = root / "plans"
    assert main(["synth", "--municipalities", "2", "--seed", "3", "-o", str(out)]) == 0
    folders = sorted(p for p in out.iterdir() if (p / "plan.yaml").is_file())
    assert len(folders) == 2
    return {"root": root, "folder": out, "plans": folders}


FORMS = {
    "en planmapp": lambda p: (["--data", str(p["plans"][0])], 1),
    "flera mappar": lambda p: (["--data", str(p["plans"][0]), "--data", str(p["plans"][1])], 2),
    "mapp med planmappar": lambda p: (["--data", str(p["folder"])], 2),
}


def _commands(out):
    return {
        "build": ["build"],
        "validate": ["validate"],
        "export": ["export", "--format", "nt", "-o", str(out / "g.nt")],
        "query": ["query", "budget-by-municipality", "--format", "json"],
        "plans": ["plans"],
        "analyse": ["analyse", "coverage", "--format", "json"],
        "report": ["report", "--format", "md", "-o", str(out / "r.md")],
        "charts": ["charts", "--out", str(out / "charts")],
        "views": ["views", "--out", str(out / "views")],
    }


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("command", sorted(_commands(__import__("pathlib").Path("."))))
def test_every_command_with_every_data_form(plans, form, command, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UVTS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("UVTS_DATA", raising=False)
    data_args, n_plans = FORMS[form](plans)
    argv = _commands(tmp_path)[command]
    code = main(argv[:1] + data_args + argv[1:])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "filen saknas" not in captured.err
    if command == "query":
        assert len(json.loads(captured.out)["rows"]) == n_plans, captured.out
    if command == "plans":
        assert captured.out.rstrip().endswith(f"({n_plans} {'plan' if n_plans == 1 else 'planer'})"), captured.out
