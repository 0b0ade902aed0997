"""Search resources by name and by Swedish synonyms, ignoring case and diacritics.

An index is a list of entries, one per resource, each with every name the graph gives
it (``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel``, in any language). A query
matches a name when, after folding both (lower case, å/ä/ö → a/a/o, punctuation → space),
the name equals it, starts with it, has words that start with each query word, or
contains it. The best match of each resource decides its rank.

>>> index = build_index([
...     {"key": ("actors", "polisen"), "label": "Polisen", "names": ["Polisen", "polis", "Polismyndigheten"]},
...     {"key": ("actors", "polisens-noa"), "label": "Polisens NOA", "names": ["Polisens NOA", "NOA"]},
...     {"key": ("risk-factors", "sarbara-familjeforhallanden"), "label": "Sårbara familjeförhållanden",
...      "names": ["Sårbara familjeförhållanden", "Bristande familjeförhållanden"]},
... ])
>>> [hit["key"][1] for hit in search(index, "polis")]
['polisen', 'polisens-noa']
>>> search(index, "BRISTANDE familjeforhallanden")[0]["matched"]
'Bristande familjeförhållanden'
>>> search(index, "  ")
[]
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

__all__ = ["fold", "build_index", "search", "SCORES"]

# How well a name matches (higher is better); the resource's own label gets a small bonus.
SCORES = {"exact": 100, "prefix": 80, "words": 60, "substring": 40, "all_words": 20}
_LABEL_BONUS = 5
_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """``text`` in lower case without diacritics, words separated by one space.

    >>> fold("  Stöd och OMSORG – Socialtjänsten! ")
    'stod och omsorg socialtjansten'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NON_WORD.sub(" ", plain).strip()


def build_index(entries: Iterable[dict]) -> list[dict]:
    """An index over ``entries``: dicts with ``key`` (any hashable), ``label`` and ``names``.

    The label counts as a name too. Returns plain dicts, each with the folded names.
    """
    index = []
    for entry in entries:
        names = [entry["label"], *entry.get("names", ())]
        seen: dict[str, str] = {}
        for name in names:
            if name and fold(name) and fold(name) not in seen:
                seen[fold(name)] = name
        index.append({"key": entry["key"], "label": entry["label"], "names": list(seen.items()),
                      "label_folded": fold(entry["label"])})
    return index


def _score(q: str, q_words: list[str], name: str) -> int:
    if name == q:
        return SCORES["exact"]
    if name.startswith(q):
        return SCORES["prefix"]
    words = name.split()
    if all(any(w.startswith(qw) for w in words) for qw in q_words):
        return SCORES["words"]
    if q in name:
        return SCORES["substring"]
    if all(qw in name for qw in q_words):
        return SCORES["all_words"]
    return 0


def search(index: list[dict], query: str, limit: int | None = 50) -> list[dict]:
    """The entries whose names match ``query``, best first.

    Each hit: ``key``, ``label``, ``matched`` (the name that matched best, as written)
    and ``score`` (see :data:`SCORES`). Ties go to the shorter, then alphabetically first,
    label. An empty query finds nothing.
    """
    q = fold(query)
    if not q:
        return []
    q_words = q.split()
    hits = []
    for entry in index:
        best, matched = 0, None
        for folded, original in entry["names"]:
            score = _score(q, q_words, folded)
            if score and folded == entry["label_folded"]:
                score += _LABEL_BONUS
            if score > best:
                best, matched = score, original
        if best:
            hits.append({"key": entry["key"], "label": entry["label"], "matched": matched, "score": best})
    hits.sort(key=lambda h: (-h["score"], len(h["label"]), fold(h["label"]), str(h["key"])))
    return hits if limit is None else hits[:limit]
