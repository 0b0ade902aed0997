"""Samverkanskartan (uvts): a knowledge graph for municipal crime prevention.

The code lives in the repository's top-level folders, installed as sub-packages:
``graph/`` is ``uvts.graph``, ``visualisations/`` is ``uvts.visualisations`` and
``api/`` is ``uvts.api``.
"""

__version__ = "0.1.0"
