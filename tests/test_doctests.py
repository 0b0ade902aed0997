"""Every docstring example in the package runs (numpydoc-style examples are documentation that
must stay true): each module of uvts is imported and its doctests run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

# The subpackages are mapped onto the top-level folders (graph/, api/, …), so walk each one.
PACKAGES = ["uvts", "uvts.graph", "uvts.graph.analyses", "uvts.api", "uvts.visualisations"]


def _modules() -> list[str]:
    names = set(PACKAGES)
    for pkg in PACKAGES:
        path = importlib.import_module(pkg).__path__
        for info in pkgutil.iter_modules(path, pkg + "."):
            if not info.name.endswith("__main__") and not info.ispkg:
                names.add(info.name)
    return sorted(names)


def test_the_package_has_doctests():
    found = 0
    for name in _modules():
        module = importlib.import_module(name)
        found += sum(len(t.examples) for t in doctest.DocTestFinder().find(module))
    assert found >= 10, f"only {found} doctest examples found; did the module walk break?"


@pytest.mark.parametrize("name", _modules())
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} doctest examples failed"
