"""Benchmark: all analyses on the plan, and on a synthetic graph 100 times larger.

Run it with ``.venv/bin/python benchmarks/bench_analyses.py [--copies 100] [--repeat 5]``.

It prints, for each graph, the time to build its store (load the N-Triples into an
in-memory Oxigraph store), the time of the projection to NetworkX and of each analysis,
and every time as a ratio to the build time measured in the same run. For the plan it
also gives the full build from YAML (load, validate, build RDF, load the store).

The target is checked here, not in the tests: all analyses of the plan together
(projection included) must take under 1 s; the script exits with status 1 when they do not.

The synthetic graph is made from the plan by relabelling: copy ``k`` of every
department, intervention, base mission, budget item, forum, place, local actor and the
plan itself gets the suffix ``-ck``, and each copy is its own named graph, as a plan of
its own. The seven risk factors, the levels, the other links and the national actors
(police, region, state agencies) are shared, as the ontology contract says they are
between plans. So that the copies are not identical, a seeded random generator redraws
each intervention's risk factors (as many as it had) and replaces about half the words of
its title and description with words drawn from the plan's own text.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TARGET_SECONDS = 1.0
SHARED_TYPES = {"risk-factor", "level", "link", "actor-category", "scheme", "document"}
NATIONAL_CATEGORIES = {"police", "region", "state-agency"}


def _timed(fn, repeat: int):
    """(median seconds, last result) over ``repeat`` runs."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def synthetic_ntriples(plan, copies: int, seed: int = 0) -> list[tuple[str, bytes]]:
    """``copies`` relabelled, perturbed copies of the plan: ``[(named graph IRI, N-Triples), …]``."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import DCTERMS, RDF, RDFS

    from uvts.graph import namespaces as ns
    from uvts.graph.build import build_plan_graph, plan_graph_iri

    UVTS_ADDRESSES = URIRef(ns.UVTS + "addresses")
    INTERVENTION = URIRef(ns.UVTS + "Intervention")
    national = {ns.iri("actor", a.id) for a in plan.actors if a.category in NATIONAL_CATEGORIES}
    risk_factors = sorted(URIRef(ns.iri("risk-factor", r.id)) for r in plan.risk_factors)
    g = build_plan_graph(plan)
    triples = sorted(g, key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
    interventions = {s for s, p, o in triples if p == RDF.type and o == INTERVENTION}
    vocabulary = sorted({w for s, p, o in triples if s in interventions and p in (DCTERMS.description, DCTERMS.title)
                         for w in str(o).split()})
    rng = random.Random(seed)

    def relabel(term, k):
        if not isinstance(term, URIRef):
            return term
        text = str(term)
        if not text.startswith(ns.ID) or text in national:
            return term
        kind = text[len(ns.ID):].split("/", 1)[0]
        return term if kind in SHARED_TYPES else URIRef(f"{text}-c{k}")

    out = []
    base_graph = str(plan_graph_iri(plan))
    for k in range(copies):
        texts: dict = {}
        addresses: dict = {}
        lines = []
        for s, p, o in triples:
            if s in interventions and p == UVTS_ADDRESSES:
                addresses.setdefault(s, 0)
                addresses[s] += 1
                continue
            if s in interventions and p in (DCTERMS.description, DCTERMS.title, RDFS.label) and isinstance(o, Literal):
                key = (s, "title" if p in (DCTERMS.title, RDFS.label) else "description")
                if key not in texts:
                    words = [w if rng.random() < 0.5 else rng.choice(vocabulary) for w in str(o).split()]
                    texts[key] = Literal(" ".join(words), lang=o.language)
                o = texts[key]
            lines.append(f"{relabel(s, k).n3()} {p.n3()} {relabel(o, k).n3()} .")
        for s, count in sorted(addresses.items()):
            for r in rng.sample(risk_factors, count):
                lines.append(f"{relabel(s, k).n3()} {UVTS_ADDRESSES.n3()} {r.n3()} .")
        out.append((f"{base_graph}-c{k}", ("\n".join(lines) + "\n").encode("utf-8")))
    return out


def load_store(graphs: list[tuple[str, bytes]]):
    from uvts.graph.store import OxigraphStore

    store = OxigraphStore()
    for graph, data in graphs:
        store.load_ntriples(data, graph)
    return store


def measure(label: str, graphs: list[tuple[str, bytes]], repeat: int, seed: int) -> dict:
    from uvts.graph.analyses import NAMES, run
    from uvts.graph.project import project

    build, store = _timed(lambda: load_store(graphs), max(1, min(repeat, 3)))
    proj, P = _timed(lambda: project(store), repeat)
    G = P.typed
    each = {}
    for name in NAMES:
        each[name], _ = _timed(lambda: run(name, G, seed=seed), repeat)
    counts = {t: sum(1 for _, x in G.nodes(data="type") if x == t)
              for t in ("Intervention", "Department", "ExternalActor", "CollaborationForum")}
    return {"label": label, "triples": len(store), "counts": counts, "build": build, "projection": proj,
            "analyses": each, "total": proj + sum(each.values())}


def report(rows: list[dict], full_build: float) -> None:
    print()
    print(f"{'graf':<24} {'tripler':>9} {'insatser':>9} {'aktörer':>8}   {'bygga':>9}")
    for r in rows:
        actors = r["counts"]["Department"] + r["counts"]["ExternalActor"]
        print(f"{r['label']:<24} {r['triples']:>9} {r['counts']['Intervention']:>9} {actors:>8}   "
              f"{r['build'] * 1000:>7.1f} ms")
    print(f"(planen byggd från YAML, validering och RDF inräknade: {full_build * 1000:.1f} ms)")
    print()
    steps = ["projection", *rows[0]["analyses"], "total"]
    names = {"projection": "projektion", "coverage": "täckning", "gaps": "luckor", "overlap": "överlapp",
             "actors": "aktörer", "total": "alla tillsammans"}
    head = f"{'steg':<18}" + "".join(f"{r['label']:>26}" for r in rows)
    print(head)
    print(f"{'':<18}" + "".join(f"{'ms':>12} {'× bygga':>13}" for _ in rows))
    for step in steps:
        line = f"{names.get(step, step):<18}"
        for r in rows:
            t = r[step] if step in ("projection", "total") else r["analyses"][step]
            line += f"{t * 1000:>12.1f} {t / r['build']:>12.2f}×"
        print(line)
    if len(rows) > 1:
        print()
        grow = rows[-1]["total"] / rows[0]["total"]
        size = rows[-1]["triples"] / rows[0]["triples"]
        print(f"Den syntetiska grafen har {size:.0f} gånger så många tripler; analyserna tar {grow:.0f} gånger så lång tid.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Mät analyserna på planen och på en syntetisk graf.")
    parser.add_argument("--copies", type=int, default=100, help="storleken på den syntetiska grafen (standard 100)")
    parser.add_argument("--repeat", type=int, default=5, help="antal körningar per mätning (medianen visas)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    import networkx  # noqa: F401  (imports are not part of the measurement)
    import numpy  # noqa: F401

    from uvts.graph.build import ONTOLOGY_GRAPH, build_plan_graph, ontology_graph, plan_graph_iri, sorted_ntriples
    from uvts.graph.load import load_plan
    from uvts.graph.paths import DEFAULT_DATA
    from uvts.graph.store import open_store

    full_build, _ = _timed(lambda: open_store([DEFAULT_DATA], kind="memory"), 3)
    plan = load_plan(DEFAULT_DATA)
    ontology = (str(ONTOLOGY_GRAPH), sorted_ntriples(ontology_graph()))
    plan_graphs = [ontology, (str(plan_graph_iri(plan)), sorted_ntriples(build_plan_graph(plan)))]
    rows = [measure("planen", plan_graphs, args.repeat, args.seed)]
    if args.copies > 0:
        start = time.perf_counter()
        synth = [ontology] + synthetic_ntriples(plan, args.copies, seed=args.seed)
        print(f"Syntetisk graf ({args.copies} kopior) genererad på {time.perf_counter() - start:.1f} s.")
        rows.append(measure(f"syntetisk {args.copies}×", synth, max(1, min(args.repeat, 2)), args.seed))
    report(rows, full_build)
    total = rows[0]["total"]
    print()
    if total > TARGET_SECONDS:
        print(f"MÅL MISSAT: alla analyser av planen tog {total:.3f} s (mål under {TARGET_SECONDS:.0f} s).")
        return 1
    print(f"Mål nått: alla analyser av planen tog {total:.3f} s (mål under {TARGET_SECONDS:.0f} s), "
          f"{total / rows[0]['build']:.1f} gånger tiden att bygga lagringen.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
