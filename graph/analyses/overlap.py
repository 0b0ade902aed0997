"""Overlap: interventions in different departments that may duplicate each other, and forums
whose memberships overlap.

The intervention score is a weighted mean of six similarities, each in [0, 1] (see
:data:`WEIGHTS`): sets are compared by Jaccard index, texts by cosine similarity of
TF-IDF vectors, age ranges by the Jaccard index of the two intervals. The pairwise work is
done with numpy in blocks of rows, so a graph with thousands of interventions stays fast.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict

from ..project import ACTOR_TYPES, nodes_of_type
from . import _plan as P
from ._shape import column, records, result

__all__ = ["overlap", "intervention_pairs", "forum_pairs", "IDENTICAL_MIN_MEMBERS", "tokens", "WEIGHTS", "REASON_LABELS", "MIN_SCORE"]

WEIGHTS = {
    "risk_factors": 0.30,
    "levels": 0.10,
    "places": 0.15,
    "target_group": 0.15,
    "partners": 0.15,
    "text": 0.15,
}
REASON_LABELS = {
    "risk_factors": "riskfaktorer",
    "levels": "preventionsnivåer",
    "places": "platser",
    "target_group": "målgrupp",
    "partners": "parter",
    "text": "text",
    "same_activity": "samma aktivitet enligt planen",
}
MIN_SCORE = 0.35
# forums are "identical" only when they name the same members and at least this many of them
IDENTICAL_MIN_MEMBERS = 2
_BLOCK = 512

_STOPWORDS = frozenset("""
alla allt andra annan annat att av bara bland blir bli bör där deras dem den denna dessa det detta dig din dina
ditt du efter eller ett en er era ert från för genom ha hade har hela hon honom hos hur här i icke ingen inom inte
jag just kan kunna kunde man med mellan men mer mest mig min mina mitt mot mycket många ni nu när och också om oss
på samma samt se ser sig sin sina sitt ska skall skulle som så sådan sådana till under upp ut utan vad var vara
varit varje vars vem vi vid vilka vilken vilket våra vårt än är även åt över andra både bli blir blivit därför
dock enligt få får fler flera förra främst ge ger göra gör görs hos ifrån kommer inom annat sätt vilket detta
""".split())
_SUFFIXES = ("arnas", "ernas", "ornas", "heten", "arna", "erna", "orna", "ande", "ende", "het", "ens", "ets",
             "ar", "er", "or", "en", "et", "na", "a", "e", "t", "s")
_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """Lower-cased, stop words removed, lightly stemmed Swedish words of three letters or more.

    >>> tokens("Utveckling av Operativa teamet")
    ['utveckling', 'operativ', 'team']
    """
    out = []
    for w in _WORD.findall(text.casefold()):
        if len(w) < 3 or w.isdigit() or w in _STOPWORDS:
            continue
        out.append(_stem(w))
    return out


# Below this many multiplications a matrix product is done by numpy's einsum rather than by
# BLAS: a multithreaded BLAS can spend far longer starting its threads than multiplying two
# small matrices (measured: 36 ms against 0.1 ms for a plan's 46 × 688 text matrix).
_BLAS_MIN = 20_000_000


def _matmul(a, b):
    import numpy as np

    if a.shape[0] * a.shape[1] * b.shape[1] < _BLAS_MIN:
        return np.einsum("ij,jk->ik", a, b)
    return a @ b


def _tfidf(docs: list[list[str]]):
    """Dense L2-normalised TF-IDF rows (numpy) and the vocabulary."""
    import numpy as np

    vocab: dict[str, int] = {}
    df = Counter()
    for d in docs:
        for t in set(d):
            df[t] += 1
    for t in sorted(df):
        vocab[t] = len(vocab)
    n = len(docs)
    M = np.zeros((n, len(vocab)), dtype=np.float64)
    for row, d in enumerate(docs):
        for t, c in Counter(d).items():
            M[row, vocab[t]] = c * (math.log((1 + n) / (1 + df[t])) + 1.0)
    norms = np.linalg.norm(M, axis=1)
    norms[norms == 0] = 1.0
    return M / norms[:, None], vocab


def _binary(sets: list[set], universe: list[str]):
    import numpy as np

    index = {x: k for k, x in enumerate(universe)}
    M = np.zeros((len(sets), len(universe)), dtype=np.float64)
    for row, s in enumerate(sets):
        for x in s:
            M[row, index[x]] = 1.0
    return M


def _sparse_jaccard(sets: list[set]):
    """Jaccard index of every pair ``i < j`` sharing an element, as sorted arrays ``(I, J, value)``.

    Uses an inverted index, so the cost follows the number of pairs that share something
    (right for places and partners, which are many and each rare)."""
    import numpy as np

    postings = defaultdict(list)
    for i, s in enumerate(sets):
        for x in s:
            postings[x].append(i)
    counts: Counter = Counter()
    for members in postings.values():
        for a in range(len(members)):
            ma = members[a]
            for b in range(a + 1, len(members)):
                counts[(ma, members[b])] += 1
    if not counts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    pairs = sorted(counts)
    I = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
    J = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
    C = np.fromiter((counts[p] for p in pairs), dtype=np.float64, count=len(pairs))
    sizes = np.array([len(s) for s in sets], dtype=np.float64)
    return I, J, C / (sizes[I] + sizes[J] - C)


def _features(G):
    ivs = P.interventions(G)
    areas = P.areas_of_places(G)
    feats = []
    for i in ivs:
        data = G.nodes[i]
        places = set()
        for p in P.targets(G, i, "location"):
            places.add(p)
            places.update(areas.get(p, ()))
        feats.append({
            "iri": i,
            "plan": P.plan_of(G, i),
            "department": (P.responsible(G, i) or [None])[0],
            "risk_factors": set(P.targets(G, i, "addresses")),
            "levels": set(P.targets(G, i, "prevention_level")),
            "places": places,
            "partners": set(P.responsible(G, i)) | set(P.involved(G, i)),
            "age": P.age_range(G, i),
            "target_tokens": tokens(data.get("target_group") or ""),
            "text_tokens": tokens(" ".join(x for x in (data.get("title"), data.get("description")) if x)),
            "same_activity": set(P.targets(G, i, "same_activity_as")),
        })
    return feats


def _ages(feats):
    import numpy as np

    lo = np.array([f["age"][0] if f["age"] else 0 for f in feats], dtype=np.float64)
    hi = np.array([f["age"][1] if f["age"] else -1 for f in feats], dtype=np.float64)
    known = np.array([f["age"] is not None for f in feats])
    return lo, hi, known


def _age_similarity(a, b) -> float:
    if a is None or b is None:
        return 0.0
    inter = min(a[1], b[1]) - max(a[0], b[0]) + 1
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]) + 1)


def _jac(a: set, b: set) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _label_list(G, iris) -> str:
    names = [P.label(G, x) for x in sorted(iris, key=lambda x: P.label(G, x).casefold())]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " och " + names[-1]


def _age_text(rng) -> str:
    lo, hi = rng
    return f"{lo}–{hi} år" if hi < 200 else f"från {lo} år"


def _reasons(G, fa, fb, text_sim, target_text_sim, terms) -> list[dict]:
    out = []

    def add(kind, sim, description, shared):
        w = WEIGHTS.get(kind, 0.0)
        out.append({"kind": kind, "similarity": round(sim, 4), "weight": w, "contribution": round(w * sim, 4),
                    "description": description, "shared": shared})

    rf = fa["risk_factors"] & fb["risk_factors"]
    if rf:
        union = len(fa["risk_factors"] | fb["risk_factors"])
        add("risk_factors", _jac(fa["risk_factors"], fb["risk_factors"]),
            (f"Samma riskfaktor: {_label_list(G, rf).lower()}." if union == 1 else
             f"Delar {len(rf)} av {union} riskfaktorer: {_label_list(G, rf).lower()}."), sorted(rf))
    lv = fa["levels"] & fb["levels"]
    if lv:
        add("levels", _jac(fa["levels"], fb["levels"]), f"Samma preventionsnivå: {_label_list(G, lv).lower()}.",
            sorted(lv))
    pl = fa["places"] & fb["places"]
    if pl:
        add("places", _jac(fa["places"], fb["places"]), f"Samma plats eller område: {_label_list(G, pl)}.", sorted(pl))
    age_sim = _age_similarity(fa["age"], fb["age"])
    if age_sim > 0 or target_text_sim > 0:
        if age_sim >= target_text_sim:
            desc = f"Överlappande åldrar: {_age_text(fa['age'])} och {_age_text(fb['age'])}."
        else:
            shared_t = sorted(set(fa["target_tokens"]) & set(fb["target_tokens"]))
            desc = f"Liknande målgrupp (gemensamma ord: {', '.join(shared_t[:6])})."
        add("target_group", max(age_sim, target_text_sim), desc, [])
    pt = fa["partners"] & fb["partners"]
    if pt:
        add("partners", _jac(fa["partners"], fb["partners"]), f"Samma parter: {_label_list(G, pt)}.", sorted(pt))
    if text_sim > 0:
        add("text", text_sim, f"Liknande titel och beskrivning (gemensamma ord: {', '.join(terms)}).", list(terms))
    if fb["iri"] in fa["same_activity"] or fa["iri"] in fb["same_activity"]:
        add("same_activity", 1.0, "Planen anger att insatserna är samma aktivitet (ingår inte i poängen).",
            [fa["iri"], fb["iri"]])
    out.sort(key=lambda r: (-r["contribution"], list(REASON_LABELS).index(r["kind"])))
    return out


def intervention_pairs(G, min_score: float = MIN_SCORE) -> list[dict]:
    """Pairs of interventions with different responsible departments, by descending score.

    Returns ``[{"a", "b", "score", "reasons", "departments"}, …]`` for every pair scoring
    at least ``min_score``, plus every pair the plan itself calls the same activity
    (``uvts:sameActivityAs``), whatever its score. ``a`` comes before ``b`` in plan order;
    no pair appears twice and no intervention is paired with itself. When the graph holds
    several plans, only interventions of the same plan are compared, and each plan is
    scored on its own (its own TF-IDF weights), so a plan's pairs do not depend on the
    other plans in the store.
    """
    feats = _features(G)
    order = {f["iri"]: k for k, f in enumerate(feats)}
    groups: dict = defaultdict(list)
    for f in feats:
        groups[f["plan"]].append(f)
    out = []
    universes = (P.risk_factors(G), P.levels(G))
    for plan in sorted(groups, key=lambda p: p or ""):
        out += _pairs_within(G, groups[plan], min_score, universes)
    out.sort(key=lambda p: (-p["score"], order[p["a"]], order[p["b"]]))
    return out


def _pairs_within(G, feats: list[dict], min_score: float, universes) -> list[dict]:
    """The pairs among ``feats`` (one plan's interventions), in blocks of rows."""
    import numpy as np

    n = len(feats)
    if n < 2:
        return []
    index = {f["iri"]: k for k, f in enumerate(feats)}
    RF = _binary([f["risk_factors"] for f in feats], universes[0])
    LV = _binary([f["levels"] for f in feats], universes[1])
    rf_size, lv_size = RF.sum(1), LV.sum(1)
    T, vocab = _tfidf([f["text_tokens"] for f in feats])
    TG, _ = _tfidf([f["target_tokens"] for f in feats])
    lo, hi, known = _ages(feats)
    sparse = {kind: _sparse_jaccard([f[kind] for f in feats]) for kind in ("places", "partners")}
    dept_ids = {}
    dept = np.array([dept_ids.setdefault(f["department"], len(dept_ids)) if f["department"] else -1 - k
                     for k, f in enumerate(feats)])
    same = {(min(index[f["iri"]], index[o]), max(index[f["iri"]], index[o]))
            for f in feats for o in f["same_activity"] if o in index}

    found: dict[tuple[int, int], tuple[float, float, float]] = {}
    cols = np.arange(n)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        rows = np.arange(start, stop)

        def jaccard_dense(M, size):
            inter = _matmul(M[start:stop], M.T)
            union = size[start:stop, None] + size[None, :] - inter
            return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)

        text = _matmul(T[start:stop], T.T)
        target_text = _matmul(TG[start:stop], TG.T)
        inter = np.minimum(hi[start:stop, None], hi[None, :]) - np.maximum(lo[start:stop, None], lo[None, :]) + 1
        span = np.maximum(hi[start:stop, None], hi[None, :]) - np.minimum(lo[start:stop, None], lo[None, :]) + 1
        both = known[start:stop, None] & known[None, :] & (inter > 0)
        age = np.divide(inter, span, out=np.zeros_like(inter), where=both)
        target = np.maximum(age, target_text)
        score = (WEIGHTS["risk_factors"] * jaccard_dense(RF, rf_size) + WEIGHTS["levels"] * jaccard_dense(LV, lv_size)
                 + WEIGHTS["target_group"] * target + WEIGHTS["text"] * text)
        for kind in ("places", "partners"):
            I, J, V = sparse[kind]
            a, b = np.searchsorted(I, start), np.searchsorted(I, stop)
            np.add.at(score, (I[a:b] - start, J[a:b]), WEIGHTS[kind] * V[a:b])
        valid = (cols[None, :] > rows[:, None]) & (dept[rows][:, None] != dept[None, :])
        hits = np.argwhere(valid & (score >= min_score - 1e-9))
        for r, c in hits:
            found[(start + int(r), int(c))] = (float(score[r, c]), float(text[r, c]), float(target_text[r, c]))
        for i, j in same:
            if start <= i < stop and (i, j) not in found and dept[i] != dept[j]:
                found[(i, j)] = (float(score[i - start, j]), float(text[i - start, j]),
                                 float(target_text[i - start, j]))

    inv_vocab = {k: t for t, k in vocab.items()}
    out = []
    for (i, j), (score, text_sim, target_sim) in found.items():
        fa, fb = feats[i], feats[j]
        shared_terms = np.nonzero((T[i] > 0) & (T[j] > 0))[0]
        top = sorted(shared_terms, key=lambda k: (-(T[i, k] * T[j, k]), inv_vocab[k]))[:6]
        out.append({
            "a": fa["iri"], "b": fb["iri"], "score": round(min(max(score, 0.0), 1.0), 4),
            "reasons": _reasons(G, fa, fb, text_sim, target_sim, [inv_vocab[k] for k in top]),
            "departments": [fa["department"], fb["department"]],
        })
    return out


def forum_pairs(G, min_jaccard: float = 0.0) -> list[dict]:
    """Pairs of forums whose named members overlap, by descending Jaccard index.

    ``identical`` is true only when both forums name the same members and they are at
    least :data:`IDENTICAL_MIN_MEMBERS` (two forums naming one and the same member are not
    called identical: the plan says too little about them).

    Members are the departments and external actors linked by ``org:hasMember`` /
    ``org:memberOf``. Pairs sharing no member (or below ``min_jaccard``) are left out, and
    so are forums of different plans (two municipalities' forums both having the police).
    """
    forums = nodes_of_type(G, "CollaborationForum")
    members = {f: {m for m in P.sources(G, f, "member_of") if G.nodes[m]["type"] in ACTOR_TYPES} for f in forums}
    by_member = defaultdict(list)
    for f in forums:
        for m in members[f]:
            by_member[m].append(f)
    order = {f: k for k, f in enumerate(forums)}
    plan = {f: P.plan_of(G, f) for f in forums}
    candidates = set()
    for fs in by_member.values():
        for x in range(len(fs)):
            for y in range(x + 1, len(fs)):
                a, b = sorted((fs[x], fs[y]), key=order.get)
                if plan[a] == plan[b]:
                    candidates.add((a, b))
    out = []
    for a, b in candidates:
        shared = members[a] & members[b]
        score = len(shared) / len(members[a] | members[b])
        if score <= 0 or score < min_jaccard:
            continue
        only_a, only_b = members[a] - members[b], members[b] - members[a]
        # "identical" needs at least two named members in common: two forums that each name only
        # Grundskolan share a member, but the plan says too little to call them the same forum
        identical = not only_a and not only_b and len(shared) >= IDENTICAL_MIN_MEMBERS
        if identical:
            desc = f"{P.label(G, a)} och {P.label(G, b)} har samma namngivna medlemmar: {_label_list(G, shared)}."
        elif not only_a and not only_b:
            desc = (f"{P.label(G, a)} och {P.label(G, b)} har var sin enda namngivna medlem, och det är samma: "
                    f"{_label_list(G, shared)}; planen säger för lite om medlemmarna för att kalla forumen lika.")
        else:
            desc = (f"{P.label(G, a)} och {P.label(G, b)} delar {len(shared)} av "
                    f"{len(members[a] | members[b])} medlemmar: {_label_list(G, shared)}.")
        out.append({"a": a, "b": b, "score": round(score, 4), "shared": sorted(shared), "only_a": sorted(only_a),
                    "only_b": sorted(only_b), "identical": identical, "description": desc})
    out.sort(key=lambda p: (-p["score"], order[p["a"]], order[p["b"]]))
    return out


def _weights_text() -> str:
    names = {"risk_factors": "riskfaktorer", "levels": "preventionsnivåer", "places": "platser",
             "target_group": "målgrupp enligt ålder eller målgruppstext", "partners": "parter",
             "text": "titel och beskrivning"}
    parts = [f"{names[k]} ({round(w * 100)} %)" for k, w in WEIGHTS.items()]
    return ", ".join(parts[:-1]) + " och " + parts[-1]


def overlap(G, min_score: float = MIN_SCORE) -> dict:
    """Both overlap tables of the typed graph ``G``."""
    pairs = intervention_pairs(G, min_score=min_score)
    fpairs = forum_pairs(G)
    threshold = f"{min_score:.2f}".replace(".", ",")
    t1 = records(
        "intervention_pairs", "Insatser som kan överlappa",
        f"Poängen är ett viktat medelvärde av likheten i {_weights_text()}, där mängder jämförs med Jaccardindex, "
        f"åldrar som intervall och texter med cosinuslikhet mellan TF-IDF-vektorer; par från olika förvaltningar med "
        f"poäng minst {threshold} visas, liksom par som planen själv kallar samma aktivitet.",
        [column("a", "Insats A", "iri"), column("b", "Insats B", "iri"), column("score", "Poäng", "score"),
         column("departments", "Förvaltningar", "iris"), column("reasons", "Skäl", "reasons")],
        pairs, weights=dict(WEIGHTS), min_score=min_score, reason_labels=dict(REASON_LABELS))
    t2 = records(
        "forum_pairs", "Forum med överlappande medlemmar",
        "Två forum jämförs med Jaccardindex för sina namngivna medlemmar (antal gemensamma medlemmar delat med antal "
        "medlemmar i något av dem), och par utan gemensamma medlemmar visas inte.",
        [column("a", "Forum A", "iri"), column("b", "Forum B", "iri"), column("score", "Jaccard", "score"),
         column("shared", "Gemensamma medlemmar", "iris"), column("only_a", "Bara i A", "iris"),
         column("only_b", "Bara i B", "iris"), column("identical", "Samma medlemmar", "boolean"),
         column("description", "Beskrivning", "text")],
        fpairs)
    return result(G, "overlap", "Överlapp",
                  "Överlappet pekar ut insatser i olika förvaltningar som liknar varandra och kan behöva samordnas, "
                  "och forum vars medlemmar till stor del är desamma.", [t1, t2])
