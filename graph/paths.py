"""Where the repository's own files are."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_files", "SHARED_FILES", "ROOT", "DEFAULT_DATA", "ONTOLOGY_DIR", "QUERIES_DIR", "ONTOLOGY_FILE", "SHAPES_FILE", "state_dir"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "data"
ONTOLOGY_DIR = ROOT / "ontology"
QUERIES_DIR = ONTOLOGY_DIR / "queries"
ONTOLOGY_FILE = ONTOLOGY_DIR / "uvts.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"


def state_dir() -> Path:
    """The folder for the embedded store and other built state (``UVTS_HOME`` or ``.uvts/``)."""
    return Path(os.environ.get("UVTS_HOME") or ROOT / ".uvts")


# The shared files of a plan folder, by the key :mod:`uvts.graph.load` gives them.
SHARED_FILES = {
    "risk_factors": "risk-factors.yaml",
    "levels": "prevention-levels.yaml",
    "other_links": "other-links.yaml",
    "actors": "actors.yaml",
    "forums": "forums.yaml",
    "places": "places.yaml",
}


def data_files(folder: str | Path) -> list[Path]:
    """Every file of a plan folder that the graph is built from, in a fixed order."""
    folder = Path(folder)
    files = [folder / "plan.yaml"] + [folder / name for name in SHARED_FILES.values()]
    files += sorted((folder / "departments").glob("*.yaml"))
    return files
