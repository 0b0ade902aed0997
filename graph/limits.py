"""Bounds on what a plan folder may hold, so that bad data fails fast and stays in its folder.

* Every file a plan names (``source`` in ``plan.yaml``) must resolve inside the plan folder
  (:func:`inside_folder`); ``../../etc/passwd`` or a symbolic link out of it is refused.
* A YAML file may be at most :data:`MAX_YAML_BYTES`, and its aliases (``&a`` / ``*a``) may
  not expand it beyond :data:`MAX_YAML_NODES` values or :data:`MAX_YAML_DEPTH` levels
  (:func:`expanded_size`), so an alias bomb of a few hundred bytes is refused at once
  instead of filling the memory.
* The plan text may be at most :data:`MAX_SOURCE_BYTES`, must be UTF-8 and have the
  number of lines ``plan.yaml`` states, counted up to its last line with text
  (:func:`read_source`).

Each bound can be raised with an environment variable of the same name (``UVTS_MAX_YAML_BYTES``, …).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["MAX_YAML_BYTES", "MAX_YAML_NODES", "MAX_YAML_DEPTH", "MAX_SOURCE_BYTES", "inside_folder",
           "expanded_size", "read_source", "SourceProblem", "megabytes"]


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "")))
    except ValueError:
        return default


MAX_YAML_BYTES = _env_int("UVTS_MAX_YAML_BYTES", 5 * 1024 * 1024)
MAX_YAML_NODES = _env_int("UVTS_MAX_YAML_NODES", 500_000)
MAX_YAML_DEPTH = _env_int("UVTS_MAX_YAML_DEPTH", 60)
MAX_SOURCE_BYTES = _env_int("UVTS_MAX_SOURCE_BYTES", 20 * 1024 * 1024)


def megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}".replace(".", ",") + " MB"


def inside_folder(folder: Path, *parts: str) -> Path | None:
    """``folder/parts…`` when it resolves (symbolic links followed) inside ``folder``, else ``None``."""
    base = Path(folder).resolve()
    target = base.joinpath(*parts).resolve()
    if target == base or base not in target.parents:
        return None
    return target


def expanded_size(node, limit: int = MAX_YAML_NODES, max_depth: int = MAX_YAML_DEPTH) -> tuple[int, int]:
    """``(values, depth)`` of a composed YAML node as it would be built, aliases expanded.

    Linear in the number of distinct nodes (shared nodes are counted once and their size
    remembered), so a file of nested aliases is measured without being expanded. Stops
    counting once ``limit`` is passed.
    """
    import yaml

    sizes: dict[int, tuple[int, int]] = {}
    # iterative post-order walk: deep nesting cannot exhaust Python's stack
    stack: list[tuple[object, bool]] = [(node, False)]
    while stack:
        n, done = stack.pop()
        key = id(n)
        if key in sizes and not done:
            continue
        if isinstance(n, yaml.MappingNode):
            children = [c for pair in n.value for c in pair]
        elif isinstance(n, yaml.SequenceNode):
            children = list(n.value)
        else:
            children = []
        if not done:
            stack.append((n, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total, depth = 1, 0
        for c in children:
            cs, cd = sizes.get(id(c), (1, 0))
            total += cs
            depth = max(depth, cd + 1)
        sizes[key] = (min(total, limit + 1), depth)
        if depth > max_depth:
            return sizes[key]
    return sizes[id(node)]


class SourceProblem(Exception):
    """The plan text cannot be used: ``field`` of plan.yaml it concerns and a Swedish message."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(message)


def read_source(folder: Path, name: str, line_count: int) -> list[str]:
    """The plan text's lines: inside the folder's ``source/``, present, bounded, UTF-8, with
    the stated number of lines; else :class:`SourceProblem`."""
    path = inside_folder(folder, "source", name)
    if path is None or Path(folder).resolve() / "source" not in path.parents:
        raise SourceProblem("source", f"filen '{name}' ligger utanför planmappens mapp source/; "
                                      "ange bara filnamnet på planens text i mappen source/")
    if not path.is_file():
        raise SourceProblem("source", f"planens text saknas: source/{name} finns inte i planmappen")
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise SourceProblem("source", f"planens text source/{name} är {megabytes(size)}; högst "
                                      f"{megabytes(MAX_SOURCE_BYTES)} tillåts")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceProblem("source", f"planens text source/{name} är inte UTF-8 (byte 0x{raw[exc.start]:02x} på "
                                      f"position {exc.start}, rad {line}); spara den som UTF-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()
    counted = len(text.rstrip().splitlines())  # up to the last line with text: trailing blank lines don't count
    if counted != line_count:
        raise SourceProblem("source_line_count", f"planens text source/{name} har {counted} rader, men "
                                                 f"source_line_count anger {line_count}; rätta antalet eller texten")
    return lines
