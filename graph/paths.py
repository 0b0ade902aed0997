"""Where the repository's own files are."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ROOT", "DEFAULT_DATA", "ONTOLOGY_DIR", "QUERIES_DIR", "ONTOLOGY_FILE", "SHAPES_FILE", "state_dir"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "data"
ONTOLOGY_DIR = ROOT / "ontology"
QUERIES_DIR = ONTOLOGY_DIR / "queries"
ONTOLOGY_FILE = ONTOLOGY_DIR / "uvts.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"


def state_dir() -> Path:
    """The folder for the embedded store and other built state (``UVTS_HOME`` or ``.uvts/``)."""
    return Path(os.environ.get("UVTS_HOME") or ROOT / ".uvts")
