"""Where the repository's own files are."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_files", "SHARED_FILES", "ROOT", "DEFAULT_DATA", "ONTOLOGY_DIR", "QUERIES_DIR", "ONTOLOGY_FILE", "SHAPES_FILE", "state_dir",
           "plan_folders", "data_dirs"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "data"
ONTOLOGY_DIR = ROOT / "ontology"
QUERIES_DIR = ONTOLOGY_DIR / "queries"
ONTOLOGY_FILE = ONTOLOGY_DIR / "uvts.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"


def state_dir() -> Path:
    """The folder for the embedded store and other built state.

    ``UVTS_HOME`` when set; in a source checkout ``.uvts/`` beside ``data/``; for an installed
    package (a wheel, where the code folder may not be writable) the user's own state folder:
    ``%LOCALAPPDATA%\\uvts`` on Windows, else ``$XDG_STATE_HOME/uvts`` (``~/.local/state/uvts``).
    """
    if os.environ.get("UVTS_HOME"):
        return Path(os.environ["UVTS_HOME"])
    if (ROOT / "pyproject.toml").is_file():
        return ROOT / ".uvts"
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "uvts"
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "uvts"


# The shared files of a plan folder, by the key :mod:`uvts.graph.load` gives them.
SHARED_FILES = {
    "risk_factors": "risk-factors.yaml",
    "levels": "prevention-levels.yaml",
    "other_links": "other-links.yaml",
    "actors": "actors.yaml",
    "forums": "forums.yaml",
    "places": "places.yaml",
}


def plan_folders(folders) -> list[Path]:
    """The plan folders meant by ``--data``: each folder with a ``plan.yaml`` as it is, and a
    folder of plan folders (such as ``uvts synth`` writes) as its subfolders that have one,
    sorted. Anything else is kept, so that loading it reports what is missing."""
    out: list[Path] = []
    for folder in map(Path, folders):
        if not (folder / "plan.yaml").exists() and folder.is_dir():
            subs = sorted(p for p in folder.iterdir() if (p / "plan.yaml").is_file())
            if subs:
                out.extend(subs)
                continue
        out.append(folder)
    return out


def data_dirs(given=None) -> list[Path]:
    """The plan folders a command works on: ``given`` (``--data``), else ``UVTS_DATA``
    (separated by ``os.pathsep``), else the repository's data/; see :func:`plan_folders`."""
    env = os.environ.get("UVTS_DATA")
    chosen = list(given) if given else ([Path(p) for p in env.split(os.pathsep)] if env else [DEFAULT_DATA])
    return plan_folders(chosen)


def data_files(folder: str | Path) -> list[Path]:
    """Every file of a plan folder that the graph is built from, in a fixed order."""
    folder = Path(folder)
    files = [folder / "plan.yaml"] + [folder / name for name in SHARED_FILES.values()]
    files += sorted((folder / "departments").glob("*.yaml"))
    return files
