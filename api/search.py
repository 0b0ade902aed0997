"""Search resources by name and by Swedish synonyms, ignoring case and diacritics; and full-text
search over their texts (:class:`FullText`, SQLite FTS5 with Swedish stems, see below).

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

__all__ = ["fold", "build_index", "search", "SCORES", "FullText", "FIELDS", "query_terms", "split_marked"]

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


# --- full text ------------------------------------------------------------------------------------------------
#
# Full-text search runs in SQLite's FTS5 (the standard library's sqlite3, an in-memory
# database per catalogue). Text is indexed as written, with FTS5's ``unicode61`` tokenizer
# folding case and diacritics; each query word is cut to its Swedish stem (Snowball's
# Swedish stemmer, ``snowballstemmer``) and searched as a prefix, so "föräldrar" (stem
# "föräldr") finds "Föräldrasupporten" and "Föräldrastöd", and "psykisk" finds "psykiska".
# Ranking is FTS5's BM25 with a weight per field: a word in the name counts most.

#: The fields of a full-text document, in the order their matches are shown, with a Swedish
#: name and the BM25 weight.
FIELDS = (("label", "namn", 10.0), ("names", "andra namn", 6.0), ("title", "titel", 6.0),
          ("description", "beskrivning", 2.0), ("goals", "mål", 1.5), ("follow_ups", "uppföljning", 1.5),
          ("other", "övrigt", 1.0), ("links", "kopplingar", 0.75))
_FIELD_NAMES = [f for f, _, _ in FIELDS]
_OPEN, _CLOSE = "\x02", "\x03"
_QUERY_WORD = re.compile(r"\w+", re.UNICODE)
_MIN_STEM = 3


def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("swedish")


def query_terms(query: str) -> list[str]:
    """The FTS5 prefix terms of a query: each word lower-cased and cut to its Swedish stem.

    >>> query_terms("Föräldrar psykiska")
    ['föräldr', 'psykisk']
    >>> query_terms('"; DROP')
    ['drop']
    """
    words = [w.casefold() for w in _QUERY_WORD.findall(query) if w.strip("_")]
    stemmer = _stemmer()
    out = []
    for word in words[:12]:
        stem = stemmer.stemWord(word)
        out.append(stem if len(stem) >= _MIN_STEM else word)
    return list(dict.fromkeys(out))


class FullText:
    """An in-memory FTS5 index over documents: dicts with ``key`` and a text per :data:`FIELDS` name
    (a string, or a list of strings joined as sentences). Thread-safe (one lock)."""

    def __init__(self, documents: Iterable[dict]):
        import sqlite3
        import threading

        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        columns = ", ".join(_FIELD_NAMES)
        self._db.execute(f"CREATE VIRTUAL TABLE docs USING fts5({columns}, "
                         f"tokenize = 'unicode61 remove_diacritics 2')")
        self._keys: list = []
        rows = []
        for doc in documents:
            self._keys.append(doc["key"])
            rows.append([_as_text(doc.get(f)) for f in _FIELD_NAMES])
        marks = ", ".join("?" for _ in _FIELD_NAMES)
        self._db.executemany(f"INSERT INTO docs (rowid, {columns}) VALUES (?, {marks})",
                             [[i, *r] for i, r in enumerate(rows)])
        self._db.commit()

    def search(self, query: str, limit: int = 50) -> list[dict]:
        """Documents matching every query word (as a stem prefix), best first.

        Each hit: ``key``, ``rank`` (BM25, lower is better), ``field`` (the Swedish name of the
        first field that matched, in :data:`FIELDS` order) and ``parts``: the matching text
        as ``[(text, highlighted), …]``, for the page to escape and mark.
        """
        terms = query_terms(query)
        if not terms:
            return []
        match = " AND ".join(f'"{t}"*' for t in terms)
        weights = ", ".join(str(w) for _, _, w in FIELDS)
        # the name whole (highlight), the other fields as a snippet of at most 16 words around the match
        snippets = ", ".join(f"highlight(docs, 0, '{_OPEN}', '{_CLOSE}')" if i == 0 else
                             f"snippet(docs, {i}, '{_OPEN}', '{_CLOSE}', '…', 16)" for i in range(len(FIELDS)))
        sql = (f"SELECT rowid, bm25(docs, {weights}) AS rank, {snippets} FROM docs WHERE docs MATCH ? "
               f"ORDER BY rank LIMIT ?")
        with self._lock:
            rows = self._db.execute(sql, (match, int(limit))).fetchall()
        hits = []
        for rowid, rank, *texts in rows:
            field, parts = None, []
            for (_, swedish, _), text in zip(FIELDS, texts):
                if _OPEN in (text or ""):
                    field, parts = swedish, split_marked(text)
                    break
            hits.append({"key": self._keys[rowid], "rank": rank, "field": field, "parts": parts})
        return hits


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " · ".join(str(v) for v in value if v)
    return str(value)


def split_marked(text: str) -> list[tuple[str, bool]]:
    """``"a \\x02b\\x03 c"`` -> ``[("a ", False), ("b", True), (" c", False)]``.

    >>> split_marked("Stöd till \\x02föräldrar\\x03.")
    [('Stöd till ', False), ('föräldrar', True), ('.', False)]
    """
    parts: list[tuple[str, bool]] = []
    for i, chunk in enumerate(re.split(f"[{_OPEN}{_CLOSE}]", text)):
        if chunk:
            parts.append((chunk, i % 2 == 1))
    return parts
