"""The strategists' questions as computations: coverage, gaps, overlap and key actors.

Each analysis is a plain function of the typed graph (:mod:`uvts.graph.project`) that
returns plain, JSON-ready data of one shape (see :mod:`uvts.graph.analyses._shape` and
docs/analyses.md)::

    >>> from uvts.graph.store import open_store
    >>> from uvts.graph.paths import DEFAULT_DATA
    >>> store, _ = open_store([DEFAULT_DATA], kind="memory")
    >>> results = run_all(store, seed=0)
    >>> sorted(results)
    ['actors', 'chain', 'coverage', 'gaps', 'overlap']
    >>> results["coverage"]["title"]
    'Täckning'

Importing this package does not import networkx or numpy; the analyses do, when run.
"""

from __future__ import annotations

from . import actors, chain, coverage, gaps, overlap  # the modules; each has a function of its own name
from ._shape import find_table

__all__ = ["ANALYSES", "NAMES", "run", "run_all", "find_table"]

# name -> function(G, **options); only "actors" takes ``seed``
ANALYSES = {"coverage": coverage.coverage, "gaps": gaps.gaps, "overlap": overlap.overlap, "actors": actors.actors,
            "chain": chain.chain}
NAMES = tuple(ANALYSES)
_SEEDED = {"actors"}


def run(name: str, G, seed: int = 0) -> dict:
    """Run one analysis by name on the typed graph ``G``."""
    if name not in ANALYSES:
        raise KeyError(f"okänd analys '{name}'; välj en av {', '.join(NAMES)}")
    fn = ANALYSES[name]
    return fn(G, seed=seed) if name in _SEEDED else fn(G)


def run_all(store, seed: int = 0, names=NAMES, plan: str | None = None) -> dict:
    """Project ``store`` (anything with ``select``) once and run the named analyses on it.

    ``plan`` limits the analyses to one plan of a store holding several (``None``: all).
    Returns ``{name: result}`` in the order of ``names``.
    """
    from ..project import read_typed_graph

    G = read_typed_graph(store, plan=plan)
    return {name: run(name, G, seed=seed) for name in names}
