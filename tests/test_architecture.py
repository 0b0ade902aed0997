"""Imports follow the data flow: data -> graph -> visualisations -> api."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from uvts.graph.paths import ROOT

FORBIDDEN = {
    "graph": ("uvts.api", "uvts.visualisations", "fastapi", "starlette", "uvicorn", "pyvis", "matplotlib"),
    "visualisations": ("uvts.api", "fastapi", "starlette", "uvicorn"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:  # relative import inside a package
                pkg = path.parent.relative_to(ROOT).parts[0]
                out.add(f"uvts.{pkg}.{node.module}")
            else:
                out.add(node.module)
    return out


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_import_direction(layer):
    offenders = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


# Inside the API: response models <- catalogue <- REST router / pages <- app.
API_FORBIDDEN = {
    "models.py": ("uvts.api.catalog", "uvts.api.rest", "uvts.api.pages", "uvts.api.app"),
    "catalog.py": ("uvts.api.rest", "uvts.api.pages", "uvts.api.app"),
    "rest.py": ("uvts.api.pages", "uvts.api.app"),
}


@pytest.mark.parametrize("module", sorted(API_FORBIDDEN))
def test_api_modules_import_one_way(module):
    names = _imports(ROOT / "api" / module)
    assert not [n for n in names if any(n == f or n.startswith(f + ".") for f in API_FORBIDDEN[module])]


def test_query_does_not_load_heavy_libraries():
    """A saved query must not pay for FastAPI, pyvis, matplotlib, NetworkX or pySHACL."""
    code = ("import sys, uvts.api.cli as c; c.build_parser(); "
            "import uvts.graph.queries, uvts.graph.store; "
            "print(sorted(m for m in ('fastapi','pyvis','matplotlib','networkx','pyshacl','rdflib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_no_app_is_built_at_import_time():
    code = "import uvts.api.cli, uvts.api.app as a, sys; print('uvicorn' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
