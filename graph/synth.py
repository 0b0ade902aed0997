"""Synthetic crime-prevention plans in the data format, for tests and benchmarks.

Since 2023 every Swedish municipality keeps such a plan (Lag 2023:196). These plans are
made up, with the shape of Umeå's: ten departments, 20–60 interventions, the same
distributions of risk factors, prevention levels, partners, places and ages, shared
national actors (the police, the regions, the county administrative boards, state
agencies, national organisations) and local forums. The municipalities are invented
(a name such as "Björkvik kommun", a code 9001–9999 that no real municipality has).

Identifiers follow the contract's rules for many plans: what belongs to one
municipality (departments, interventions, forums, places, local actors) carries the
municipality's slug (``bjorkvik-fritid``, ``bjorkvik-fritid-3``); shared national actors,
the seven risk factors, the three levels and the other links keep their shared IRIs, and
their names, labels and definitions are copied from the repository's plan so that every
plan describes them identically.

Randomness comes only from ``seed``; municipality ``i`` depends on ``seed`` and ``i``
alone, so the first 29 plans of 290 are the 29 plans of a smaller run.

>>> plans = synthesize(2, seed=1)
>>> [p["plan.yaml"]["municipality"]["name"] for p in plans] == [p["plan.yaml"]["municipality"]["name"] for p in synthesize(3, seed=1)[:2]]
True
>>> 20 <= sum(len(d["interventions"]) for d in plans[0]["departments"].values()) <= 60
True
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml

from .namespaces import slugify

__all__ = ["synthesize", "synth_plan", "write_plans", "municipality_names", "MAX_MUNICIPALITIES",
           "DEPARTMENTS", "NATIONAL_ACTORS", "REGIONS"]

# The ten departments (Umeå's ids and names; a synthetic plan prefixes the id).
DEPARTMENTS = (
    ("arbetsmarknad-och-integration", "Arbetsmarknad och integration"),
    ("forskolan", "Förskolan"),
    ("fritid", "Fritid"),
    ("grundskolan", "Grundskolan"),
    ("gymnasiet", "Gymnasiet"),
    ("kultur", "Kultur"),
    ("sakerhet", "Säkerhet"),
    ("stod-och-omsorg", "Stöd och omsorg"),
    ("strategisk-utveckling", "Strategisk utveckling"),
    ("teknik-och-fastighet", "Teknik och fastighet"),
)
# Umeå's number of interventions per department: the weights for a synthetic plan.
_DEPT_WEIGHTS = {"arbetsmarknad-och-integration": 5, "forskolan": 4, "fritid": 2, "grundskolan": 2, "gymnasiet": 4,
                 "kultur": 6, "sakerhet": 3, "stod-och-omsorg": 12, "strategisk-utveckling": 4, "teknik-och-fastighet": 4}
# Umeå's budget additions (SEK), shuffled and scaled per municipality.
_BUDGETS = (0, 0, 1_000_000, 1_700_000, 1_000_000, 1_000_000, 2_000_000, 35_000_000, 1_000_000, 14_000_000)

# Shared national actors: ids, names and categories as in the repository's actors.yaml.
NATIONAL_ACTORS = (
    ("polisen", "Polisen", "police"),
    ("arbetsformedlingen", "Arbetsförmedlingen", "state-agency"),
    ("kriminalvarden", "Kriminalvården", "state-agency"),
    ("forsakringskassan", "Försäkringskassan", "state-agency"),
    ("bra", "Brottsförebyggande rådet (Brå)", "state-agency"),
    ("radda-barnen", "Rädda Barnen", "civil-society"),
    ("abf", "ABF", "civil-society"),
)
# The 21 regions with their county administrative boards (Umeå's: Västerbotten).
REGIONS = (
    "Stockholm", "Uppsala", "Sörmland", "Östergötland", "Jönköping", "Kronoberg", "Kalmar", "Gotland", "Blekinge",
    "Skåne", "Halland", "Västra Götaland", "Värmland", "Örebro", "Västmanland", "Dalarna", "Gävleborg",
    "Västernorrland", "Jämtland Härjedalen", "Västerbotten", "Norrbotten",
)

_NAME_FIRST = ("Björk", "Ek", "Gran", "Tall", "Lind", "Ask", "Al", "Sjö", "Berg", "Mal", "Norr", "Söder", "Väster",
               "Öster", "Stor", "Lill", "Hög", "Sand", "Sten", "Ljung", "Myr", "Älv", "Hav", "Fjäll")
_NAME_LAST = ("vik", "sund", "holm", "berga", "dal", "köping", "hamn", "fors", "näs", "torp", "stad", "ås", "ryd",
              "mo", "strand", "lid")
MAX_MUNICIPALITIES = len(_NAME_FIRST) * len(_NAME_LAST)

_AREAS = ("Backen", "Ängby", "Solhem", "Berga", "Rosendal", "Haga", "Lunden", "Skogsby", "Gärdet", "Norrmalm",
          "Söderby", "Västerhöjd", "Östermalm", "Centrum", "Hamnen", "Ekeby", "Tallbacka", "Nydal")

# Distributions read off Umeå's plan (how many interventions have n of each).
_N_RISK = {0: 4, 1: 15, 2: 13, 3: 5, 4: 5, 6: 4}
_RISK_WEIGHTS = {"skolmisslyckande": 21, "sarbara-familjeforhallanden": 19,
                 "avsaknad-av-positiva-sammanhang-och-forebilder": 19, "utanforskap": 17, "ekonomisk-utsatthet": 10,
                 "psykisk-ohalsa": 8, "synlig-narvaro-av-kriminella": 6}
_N_LEVELS = {0: 7, 1: 30, 2: 8, 3: 1}
_LEVEL_WEIGHTS = {"selektiv": 30, "indikerad": 10, "universell": 9}
_N_DEPTS = {0: 28, 1: 14, 2: 1, 3: 2, 4: 1}
_N_ACTORS = {0: 29, 1: 10, 2: 3, 3: 3, 4: 1}
_N_FORUMS = {0: 41, 1: 4, 2: 1}
_N_PLACES = {0: 30, 1: 9, 2: 4, 3: 1, 4: 2}
_AGES = ((10, 12), (16, 20), (13, 23), (6, 9), (0, 18), (12, 18), (15, 25), (13, 16))

_TITLES = {
    "arbetsmarknad-och-integration": ("Sommarjobb för unga", "Feriepraktik med handledare", "Jobbcoachning för unga vuxna",
                                      "Språkstöd och samhällsorientering", "Arbetsträning i kommunal verksamhet",
                                      "Vägledning för unga utan sysselsättning"),
    "forskolan": ("Föräldrastöd i förskolan", "Språkutveckling i tidig ålder", "Trygga övergångar till skolan",
                  "Tidiga samtal med vårdnadshavare", "Rutiner vid oro för barn"),
    "fritid": ("Kvällsöppen fritidsgård", "Fältarbete kvällstid", "Lovaktiviteter för unga", "Idrott för alla",
               "Unga ledare", "Mötesplats för unga"),
    "grundskolan": ("Läxhjälp och studiestöd", "Närvaroteam", "Trygghetsvandring på skolan", "Elevhälsa i samverkan",
                    "Mentorprogram i högstadiet", "Studiero och trygghet"),
    "gymnasiet": ("Studiecoacher", "Förebyggande samtal i gymnasiet", "Aktivitetsansvar för unga",
                  "Trygg skolmiljö", "Praktik och studiebesök"),
    "kultur": ("Kulturskola i bostadsområdet", "Öppna bibliotek", "Skapande verksamhet för unga",
               "Läsfrämjande insatser", "Kultur på lov", "Musik och dans för unga"),
    "sakerhet": ("Lägesbild över brottslighet", "Trygghetsmätning", "Samverkan vid tillsyn", "Skydd mot otillåten påverkan",
                 "Trygghetsvandringar"),
    "stod-och-omsorg": ("Föräldrastöd i grupp", "Familjebehandling", "Sociala insatsgrupper", "Avhopparverksamhet",
                        "Stöd till unga i riskmiljöer", "Öppenvård för unga", "Kontaktperson för unga",
                        "Orosanmälningar i samverkan", "Tidiga insatser för familjer", "Ungdomsmottagning i samverkan"),
    "strategisk-utveckling": ("Samordning av det brottsförebyggande arbetet", "Uppföljning av aktivitetsplanen",
                              "Kunskapsspridning om riskfaktorer", "Medborgarlöfte med polisen", "Trygghetsdialoger"),
    "teknik-och-fastighet": ("Belysning och trygga stråk", "Platssamverkan i bostadsområden", "Klotterplank och lekplatser",
                             "Trygghetsskapande åtgärder i utemiljön", "Ordning och reda i offentliga rum"),
}
_GOALS = ("Fler unga ska fullfölja sina studier.", "Minskad andel unga som upplever otrygghet.",
          "Stärkt samverkan mellan förvaltningarna.", "Fler unga ska ha en meningsfull fritid.",
          "Tidigare upptäckt av barn och unga i riskzon.", "Ökad delaktighet bland vårdnadshavare.",
          "Minskad skolfrånvaro.", "Fler unga i arbete eller studier.")
_FOLLOW_UPS = ("Antal deltagare per år.", "Enkät till deltagare.", "Närvarostatistik följs upp terminsvis.",
               "Uppföljning i den årliga lägesbilden.", "Dialog med samverkansparter en gång per år.",
               "Antal genomförda aktiviteter.")
_TIMINGS = ("Pågår under hela planperioden.", "Startar hösten 2024.", "Löpande 2024–2026.", "Varje sommarlov.", None)


def municipality_names(n: int, seed: int = 0) -> list[str]:
    """``n`` invented municipality names (without "kommun"), distinct, the same for the same ``seed``."""
    if not 0 <= n <= MAX_MUNICIPALITIES:
        raise ValueError(f"antalet kommuner ska vara mellan 0 och {MAX_MUNICIPALITIES} (fick {n})")
    names = [a + b for a in _NAME_FIRST for b in _NAME_LAST]
    random.Random(f"uvts-names:{seed}").shuffle(names)
    return names[:n]


def _count(rng: random.Random, dist: dict[int, int]) -> int:
    return rng.choices(list(dist), weights=list(dist.values()))[0]


def _sample(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    pool = dict(weights)
    out = []
    while pool and len(out) < k:
        pick = rng.choices(list(pool), weights=list(pool.values()))[0]
        out.append(pick)
        del pool[pick]
    return out


def _shared_files(source: str | Path | None = None) -> dict:
    """Risk factors, levels, other links and national actors as a plan folder names them
    (``source``; default: the repository's plan, ``data/``)."""
    from .paths import DEFAULT_DATA

    folder = Path(source) if source else DEFAULT_DATA

    def read(name):
        return yaml.safe_load((folder / name).read_text(encoding="utf-8"))

    actors = {a["id"]: a for a in read("actors.yaml")}
    return {"risk-factors.yaml": read("risk-factors.yaml"), "prevention-levels.yaml": read("prevention-levels.yaml"),
            "other-links.yaml": read("other-links.yaml"), "actors": actors}


class _Lines:
    """Hands out consecutive line ranges of an imagined plan text."""

    def __init__(self, rng: random.Random, start: int = 1):
        self.rng = rng
        self.at = start

    def take(self, low: int, high: int) -> str:
        n = self.rng.randint(low, high)
        first, self.at = self.at, self.at + n
        return f"{first}-{self.at - 1}" if n > 1 else str(first)


def synth_plan(index: int, seed: int = 0, shared: dict | None = None) -> dict:
    """Plan number ``index`` (0-based) of the synthetic nation for ``seed``, as data files.

    Returns a dict: file name (``plan.yaml``, ``actors.yaml``, …) -> data, and
    ``departments``: department id -> data.
    """
    shared = shared if shared is not None else _shared_files()
    name = municipality_names(index + 1, seed)[index]
    rng = random.Random(f"uvts-synth:{seed}:{index}")
    m = slugify(name)
    lines = _Lines(rng, start=1)
    header = lines.take(60, 140)

    def local(slug: str) -> str:
        return f"{m}-{slug}"

    # shared concepts: same ids, labels and definitions as the repository's plan
    concepts = {}
    for fname in ("risk-factors.yaml", "prevention-levels.yaml", "other-links.yaml"):
        concepts[fname] = [{k: v for k, v in item.items() if k not in ("note", "lines")} | {"lines": lines.take(2, 12)}
                           for item in shared[fname]]

    # actors: national ones, the municipality's region and county board, local ones
    region = REGIONS[rng.randrange(len(REGIONS))]
    region_slug = slugify(region)
    known = shared["actors"]

    def national(aid: str, fallback_name: str, category: str) -> dict:
        src = known.get(aid, {})
        return {"id": aid, "name": src.get("name", fallback_name), "category": src.get("category", category),
                "lines": lines.take(1, 3)}

    actors = [national(aid, nm, cat) for aid, nm, cat in NATIONAL_ACTORS]
    actors.append(national(f"region-{region_slug}", f"Region {region}", "region"))
    actors.append(national(f"lansstyrelsen-{region_slug}", f"Länsstyrelsen {region}", "state-agency"))
    locals_ = [("foreningslivet", f"Föreningslivet i {name}", "civil-society"),
               ("naringslivet", f"Näringslivet i {name}", "business"),
               ("forsamling", f"{name} församling", "civil-society"),
               ("bostader", f"{name}bostäder", "business"),
               ("if", f"{name} IF", "civil-society")]
    for slug, nm, cat in rng.sample(locals_, rng.randint(2, len(locals_))):
        actors.append({"id": local(slug), "name": nm, "category": cat, "lines": lines.take(1, 3)})
    actor_weights = {a["id"]: 1 for a in actors}
    actor_weights.update({"polisen": 6, f"region-{region_slug}": 6})
    for a in actors:
        if a["id"].startswith(m + "-"):
            actor_weights[a["id"]] = 3

    dept_ids = [local(d) for d, _ in DEPARTMENTS]

    # places
    area_names = rng.sample(_AREAS, rng.randint(3, 6))
    places = []
    for i, area in enumerate(area_names):
        places.append({"id": local(slugify(area)), "name": area, "kind": "area", "priority": i < 2 and rng.random() < 0.7,
                       "lines": lines.take(1, 2)})
    for area in rng.sample(area_names, min(len(area_names), rng.randint(2, 4))):
        places.append({"id": local(slugify(area) + "skolan"), "name": f"{area}skolan", "kind": "school",
                       "lines": lines.take(1, 2)})
    places.append({"id": local("fritidsgarden"), "name": f"Fritidsgården i {area_names[0]}", "kind": "building",
                   "lines": lines.take(1, 2)})
    places.append({"id": local("biblioteket"), "name": f"{name} bibliotek", "kind": "building", "lines": lines.take(1, 2)})
    for p in places:
        if not p.get("priority"):
            p.pop("priority", None)

    # forums: local structures with departments and national actors as members
    forum_pool = [
        ("sspf", "SSPF", "Skola, socialtjänst, polis och fritid", "Tidiga insatser för unga i riskzon.",
         ["grundskolan", "stod-och-omsorg", "fritid"], ["polisen"]),
        ("los", "LOS", "Lokal operativ samverkan", "Myndighetsgemensamma insatser vid tillsyn.", ["sakerhet"], ["polisen"]),
        ("brottsforebyggande-radet", "Brottsförebyggande rådet", None,
         "Samordnar kommunens brottsförebyggande arbete.", ["strategisk-utveckling", "sakerhet"], ["polisen"]),
        ("samverkansgrupp-barn-och-unga", "Samverkansgrupp för barn och unga", None, None,
         ["forskolan", "grundskolan", "stod-och-omsorg"], [f"region-{region_slug}"]),
        ("flerpartssamverkan", "Flerpartssamverkan", None, "Vägar till arbete och studier för unga vuxna.",
         ["arbetsmarknad-och-integration", "stod-och-omsorg"], ["arbetsformedlingen", "forsakringskassan"]),
        ("trygghetsforum", f"Trygghetsforum {area_names[0]}", None, "Dialog om trygghet i området.",
         ["teknik-och-fastighet", "fritid"], ["polisen"]),
    ]
    forums = []
    for slug, fname, expansion, purpose, depts, acts in forum_pool[:2] + rng.sample(forum_pool[2:], rng.randint(1, 4)):
        f = {"id": local(slug), "name": fname, "expansion": expansion, "purpose": purpose,
             "members": {"departments": [local(d) for d in depts], "actors": acts}, "lines": lines.take(2, 6)}
        if purpose:
            f["purpose_lines"] = f["lines"]
        forums.append(f)
    forum_ids = [f["id"] for f in forums]

    # departments and their interventions
    total = rng.randint(20, 60)
    counts = {d: 1 for d, _ in DEPARTMENTS}
    for d in rng.choices(list(_DEPT_WEIGHTS), weights=list(_DEPT_WEIGHTS.values()), k=total - len(DEPARTMENTS)):
        counts[d] += 1
    scale = rng.uniform(0.05, 1.2)
    budgets = list(_BUDGETS)
    rng.shuffle(budgets)
    departments = {}
    all_ivs: list[tuple[str, str]] = []
    for (dkey, dname), budget in zip(DEPARTMENTS, budgets):
        did = local(dkey)
        dept_lines_start = lines.at
        ivs = []
        titles = list(_TITLES[dkey])
        rng.shuffle(titles)
        for n in range(1, counts[dkey] + 1):
            title = titles[(n - 1) % len(titles)] + ("" if n <= len(titles) else f" – steg {1 + (n - 1) // len(titles)}")
            iv_lines = lines.take(20, 60)
            risk = _sample(rng, _RISK_WEIGHTS, _count(rng, _N_RISK))
            levels = _sample(rng, _LEVEL_WEIGHTS, _count(rng, _N_LEVELS))
            iv = {"number": n, "title": title, "lines": iv_lines, "levels": levels,
                  "description": f"{title} i {name} kommun: {dname.lower()} arbetar med "
                                 f"{'barn och unga' if levels else 'kommunens verksamheter'} "
                                 f"för att förebygga att unga dras in i kriminalitet.",
                  "risk_factors": risk}
            timing = rng.choice(_TIMINGS)
            if timing:
                iv["timing"] = timing
            links = []
            if rng.random() < 11 / 46:
                links.append("tidig-upptackt")
            if not risk and rng.random() < 0.5:
                links.append("indirekt-alla-faktorer")
            iv["other_links"] = links
            iv["goals"] = rng.sample(_GOALS, rng.randint(1, 3))
            iv["follow_ups"] = rng.sample(_FOLLOW_UPS, rng.randint(1, 2))
            if rng.random() < 7 / 46:
                low, high = rng.choice(_AGES)
                iv["min_age"], iv["max_age"] = low, high
                iv["target_group"] = f"Barn och unga {low}–{high} år"
            iv["places"] = rng.sample([p["id"] for p in places], min(len(places), _count(rng, _N_PLACES)))
            others = [x for x in dept_ids if x != did]
            iv["involves"] = {
                "departments": rng.sample(others, _count(rng, _N_DEPTS)),
                "actors": _sample(rng, actor_weights, _count(rng, _N_ACTORS)),
                "forums": rng.sample(forum_ids, min(len(forum_ids), _count(rng, _N_FORUMS))),
            }
            iv["same_activity_as"] = []
            ivs.append(iv)
            all_ivs.append((did, f"{did}-{n}"))
        base = {"lines": lines.take(10, 40),
                "summary": f"{dname} arbetar redan förebyggande i sitt ordinarie uppdrag i {name} kommun.",
                "risk_factors": _sample(rng, _RISK_WEIGHTS, rng.randint(0, 3)),
                "departments": rng.sample([x for x in dept_ids if x != did], rng.randint(0, 2)),
                "actors": _sample(rng, actor_weights, rng.randint(0, 2)),
                "forums": rng.sample(forum_ids, rng.randint(0, 1)), "places": []}
        amount = int(round(budget * scale, -5))
        breakdown = []
        budget_start = lines.at
        lines.take(1, 2)
        if amount:
            for k in range(rng.randint(0, min(3, len(ivs)))):
                target = rng.choice(ivs)
                breakdown.append({"amount": int(round(amount / (k + 2), -4)) if rng.random() < 0.8 else None,
                                  "purpose": f"{target['title']} (insats {target['number']}): löner och aktiviteter.",
                                  "lines": lines.take(1, 2), "interventions": [f"{did}-{target['number']}"]})
        budget_data = {"amount": amount, "lines": f"{budget_start}-{lines.at - 1}", "breakdown": breakdown}
        departments[did] = {"id": did, "name": dname, "lines": f"{dept_lines_start}-{lines.at - 1}",
                            "interventions": ivs, "base_mission": base, "budget": budget_data}
    # a few interventions that two departments describe as one activity
    for _ in range(rng.randint(0, 2)):
        (d1, a), (d2, b) = rng.sample(all_ivs, 2)
        if d1 != d2:
            number = int(a.rsplit("-", 1)[-1])
            iv = departments[d1]["interventions"][number - 1]
            if b not in iv["same_activity_as"]:
                iv["same_activity_as"].append(b)
    line_count = lines.at + rng.randint(20, 80)
    plan = {
        "id": f"{m}-2024-2026",
        "title": f"Brottsförebyggande handlingsplan 2024–2026 för {name} kommun",
        "short_title": f"Handlingsplan {name} 2024–2026",
        "municipality": {"id": f"{m}-kommun", "name": f"{name} kommun", "code": f"{9001 + index}"},
        "period": {"start": 2024, "end": 2026},
        "source": f"{m}-2024-2026.txt",
        "source_line_count": line_count,
        "lines": f"1-{line_count}",
        "note": f"Syntetisk plan skapad av uvts synth (seed {seed}, kommun {index + 1}); "
                f"inte en verklig kommuns plan. Inledningen står på raderna {header}.",
    }
    return {"plan.yaml": plan, **concepts, "actors.yaml": actors, "forums.yaml": forums, "places.yaml": places,
            "departments": departments, "uppfoljning": synth_rounds(index, seed, departments, forum_ids)}


# --- synthetic follow-up rounds (clearly marked: ``synthetic: true`` and a note) -------------

ROUND_DATES = ("2024-12-10", "2025-06-15")
_STATUS_WEIGHTS = {"ej-paborjad": 2, "enligt-plan": 6, "forsenad": 2, "avslutad": 1, "avbruten": 1}
_NEXT = {"ej-paborjad": {"ej-paborjad": 2, "enligt-plan": 5, "forsenad": 3},
         "enligt-plan": {"enligt-plan": 6, "forsenad": 1, "avslutad": 2, "avbruten": 1},
         "forsenad": {"forsenad": 2, "enligt-plan": 3, "avbruten": 1},
         "avslutad": {"avslutad": 1}, "avbruten": {"avbruten": 1}}
_WHY = {"forsenad": ("Rekryteringen av personal har dragit ut på tiden.", "Lokalen blev klar senare än planerat.",
                     "Samverkansavtalet är ännu inte undertecknat."),
        "avbruten": ("Finansieringen upphörde.", "För få deltagare anmälde sig.",
                     "Insatsen ersätts av en annan i nästa plan.")}


def synth_rounds(index: int, seed: int, departments: dict, forum_ids: list[str]) -> dict:
    """Two synthetic follow-up rounds of plan ``index``: file name -> data. Their own random
    stream, so that adding them changed nothing else of the synthetic plans."""
    rng = random.Random(f"uvts-synth-follow-up:{seed}:{index}")
    ids = [f"{did}-{iv['number']}" for did, d in departments.items() for iv in d["interventions"]]
    status: dict[str, str] = {}
    counts: dict[str, int] = {}
    out = {}
    for n, date in enumerate(ROUND_DATES):
        items = []
        for iv in ids:
            if rng.random() > 0.8:  # not followed up in this round
                continue
            before = status.get(iv)
            weights = _NEXT[before] if before else _STATUS_WEIGHTS
            now = rng.choices(list(weights), weights=list(weights.values()))[0]
            status[iv] = now
            item = {"intervention": iv, "status": now}
            if now in _WHY:
                item["comment"] = rng.choice(_WHY[now])
            if rng.random() < 0.3 or iv in counts:
                counts[iv] = counts.get(iv, rng.randint(5, 40)) + (rng.randint(0, 30) if n else 0)
                item["indicators"] = [{"name": "Antal deltagare", "value": counts[iv], "unit": "deltagare",
                                       "period": f"{date[:7]}", "source": "Syntetisk verksamhetsstatistik"}]
            items.append(item)
        term = "hösten 2024" if n == 0 else "våren 2025"
        out[f"{date}.yaml"] = {
            "round": {"date": date, "title": f"Syntetisk uppföljning {term}",
                      "reported_to": forum_ids[:1], "synthetic": True,
                      "note": "Syntetisk omgång skapad av uvts synth; inte en verklig kommuns uppföljning."},
            "items": items}
    return out


def synthesize(n: int, seed: int = 0, shared_from: str | Path | None = None) -> list[dict]:
    """The first ``n`` plans of the synthetic nation for ``seed`` (see :func:`synth_plan`).

    ``shared_from`` is the plan folder whose risk factors, levels, other links and national
    actors' names are copied (default: the repository's ``data/``).
    """
    municipality_names(n, seed)  # checks n
    shared = _shared_files(shared_from)
    return [synth_plan(i, seed, shared) for i in range(n)]


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def write_plans(out_dir: str | Path, n: int, seed: int = 0, shared_from: str | Path | None = None) -> list[Path]:
    """Write ``n`` synthetic plans, one folder each (``OUT/{municipality}/``); return the folders.

    Each folder is a plan folder as ``docs/data-format.md`` describes. A synthetic plan has
    no real text: its ``source/`` file has the stated number of lines, each saying so, so
    that every line range points at an existing line.
    """
    out = Path(out_dir)
    folders = []
    for plan in synthesize(n, seed, shared_from):
        folder = out / plan["plan.yaml"]["municipality"]["id"].removesuffix("-kommun")
        (folder / "departments").mkdir(parents=True, exist_ok=True)
        for old in (folder / "departments").glob("*.yaml"):
            old.unlink()
        header = "# Synthetic plan made by `uvts synth`: not a real municipality's plan.\n"
        (folder / "uppfoljning").mkdir(exist_ok=True)
        for old in (folder / "uppfoljning").glob("*.yaml"):
            old.unlink()
        for fname, data in plan.items():
            if fname == "uppfoljning":
                for name, rnd in data.items():
                    (folder / "uppfoljning" / name).write_text(header + _dump(rnd), encoding="utf-8")
            elif fname == "departments":
                for did, dept in data.items():
                    (folder / "departments" / f"{did}.yaml").write_text(header + _dump(dept), encoding="utf-8")
            else:
                (folder / fname).write_text(header + _dump(data), encoding="utf-8")
        meta = plan["plan.yaml"]
        (folder / "source").mkdir(exist_ok=True)
        name = meta["municipality"]["name"]
        (folder / "source" / meta["source"]).write_text(
            "".join(f"Syntetisk plan för {name}, rad {n} (ingen verklig text).\n"
                    for n in range(1, meta["source_line_count"] + 1)), encoding="utf-8")
        folders.append(folder)
    return folders
