"""The report's method section: how each analysis works, in plain Swedish, and a glossary.

The method is written for a strategist, not a statistician: the running text avoids the
technical terms (Jaccardindex, TF-IDF, centralitet, Louvain, …) and every such term is
explained once in the glossary (``GLOSSARY``), which the method refers to. The analyses'
own, technical explanations stay in the XLSX sheet "Metod" for whoever wants the detail.
"""

from __future__ import annotations

__all__ = ["GLOSSARY", "TECHNICAL_TERMS", "method_section", "plain_method"]

# term -> plain explanation; sorted alphabetically in the report
GLOSSARY = {
    "Bro": "En länk mellan två aktörer som är den enda förbindelsen mellan två delar av samverkansnätverket. "
           "Försvinner den samverkan delas nätverket i två.",
    "Cosinuslikhet": "Ett mått på hur lika två texter är, från 0 (inga gemensamma ord) till 1 (samma ord i samma "
                     "proportioner). Används med TF-IDF.",
    "Dataversion": "En kod på tolv tecken som räknas fram ur alla uppgifter i kunskapsgrafen (en SHA-256-summa). "
                   "Samma uppgifter ger alltid samma kod, så två rapporter med samma kod bygger på samma data.",
    "Egenvektorcentralitet": "Ett mått på hur väl en aktör är kopplad till andra väl kopplade aktörer; högt värde "
                             "betyder att aktören samverkar med dem som själva samverkar mycket.",
    "Gradcentralitet": "Andelen av de andra aktörerna som en aktör samverkar direkt med.",
    "Jaccardindex": "Ett mått på hur lika två mängder är: antalet gemensamma delar delat med antalet delar i någon "
                    "av dem. 0 betyder inget gemensamt, 1 betyder exakt samma.",
    "Ledpunkt": "En aktör som håller ihop nätverket: tas aktören bort delas nätverket i flera delar.",
    "Louvain-metoden": "Ett vanligt sätt att dela ett nätverk i grupper där aktörerna samverkar mer med varandra "
                       "än med andra. Metoden börjar från ett slumptal (slumpfrö); samma slumpfrö ger samma "
                       "grupper.",
    "Länkande aktör": "En aktör som samverkar med aktörer i andra grupper än sin egen, eller som är en ledpunkt.",
    "Mellanhetscentralitet": "Hur ofta en aktör ligger på den kortaste vägen mellan två andra aktörer i "
                             "samverkansnätverket; högt värde betyder att aktören binder ihop andra.",
    "Preventionsnivå": "Universell (alla i en grupp), selektiv (grupper med förhöjd risk) eller indikerad "
                       "(personer som redan visar tecken på problem), enligt planens indelning.",
    "Samverkansnätverk": "Förvaltningar och externa aktörer, där två aktörer hänger ihop när de arbetar i samma "
                         "insats eller sitter i samma forum.",
    "Slumpfrö": "Det tal som Louvain-metoden börjar från. Rapporten använder ett fast slumpfrö så att samma data "
                "alltid ger samma grupper.",
    "TF-IDF": "Ett sätt att jämföra texter där ord som är ovanliga i planen väger tyngre än vanliga ord; två "
              "insatser som delar ovanliga ord räknas som mer lika.",
    "Värmekarta": "En tabell där rutornas färg visar talet i rutan: ju mörkare, desto fler insatser (eller kronor).",
}

# words the running text of the method must not use (they are explained in the glossary)
TECHNICAL_TERMS = ("Jaccard", "TF-IDF", "cosinus", "centralitet", "Louvain", "egenvektor", "SHA-256", "networkx",
                   "vektor")


def _percent(w: float) -> str:
    return f"{round(w * 100)} %"


def plain_method(results: dict) -> list[tuple[str, str, list[str]]]:
    """The method in plain Swedish: ``(id, title, paragraphs)`` per analysis that ran."""
    from uvts.graph.analyses.overlap import IDENTICAL_MIN_MEMBERS, MIN_SCORE, WEIGHTS

    names = {"risk_factors": "riskfaktorer", "levels": "preventionsnivåer", "places": "platser",
             "target_group": "målgrupp (ålder eller beskrivning)", "partners": "parter", "text": "titel och text"}
    weights = [f"{names[k]} {_percent(w)}" for k, w in sorted(WEIGHTS.items(), key=lambda kv: -kv[1])]
    threshold = f"{MIN_SCORE:.2f}".replace(".", ",")
    texts = {
        "coverage": ("metod-tackning", "Täckning", [
            "Vi räknar hur många insatser som tar upp varje riskfaktor på varje preventionsnivå och i varje "
            "förvaltning, så som planen själv kopplar ihop dem. En insats som gäller flera nivåer räknas på "
            "varje nivå. Tabellerna visas som värmekartor: ju mörkare ruta, desto fler insatser.",
            "Budgeten anges i planen per förvaltning. För att se pengarna per riskfaktor delas varje förvaltnings "
            "tillskott på tre sätt som jämförs: lika mellan förvaltningens riskfaktorer, efter de budgetposter "
            "planen knyter till enskilda insatser, och hela tillskottet på varje riskfaktor."]),
        "gaps": ("metod-luckor", "Luckor", [
            "En lucka är en ruta i täckningen som är tom (ingen insats) eller tunn (bara en insats), ett område "
            "eller en åldersgrupp som ingen insats når, eller en uppgift som planen ännu inte har bestämt: mål, "
            "uppföljning, syfte eller medlemmar i ett forum. Luckorna är frågor att ta upp, inte slutsatser."]),
        "overlap": ("metod-overlapp", "Överlapp", [
            "Två insatser i olika förvaltningar jämförs på sex punkter. För varje punkt räknas hur stor del som är "
            "gemensam, från 0 (inget) till 1 (allt), och texterna jämförs ord för ord där ovanliga ord väger mer "
            "(se ordlistan). Poängen är ett vägt medel: " + ", ".join(weights) + ". "
            f"Par med minst {threshold} i poäng visas, och alltid de par som planen själv kallar samma aktivitet.",
            "Två forum jämförs genom att räkna de namngivna medlemmar de har gemensamt, delat med alla som sitter i "
            "något av dem. Forum kallas lika bara när de har exakt samma medlemmar och minst "
            f"{IDENTICAL_MIN_MEMBERS} av dem: två forum där planen bara nämner Grundskolan är inte lika, planen "
            "säger för lite om dem."]),
        "actors": ("metod-nyckelaktorer", "Nyckelaktörer", [
            "Förvaltningar och externa aktörer hänger ihop när de arbetar i samma insats eller sitter i samma "
            "forum; ju fler gemensamma insatser och forum, desto starkare band. Ur det nätverket räknas vem som "
            "samverkar med flest, vem som oftast binder ihop andra, vilka grupper som samverkar mest inbördes, och "
            "vilka band och aktörer som håller ihop nätverket (se ordlistan för måtten)."]),
    }
    return [texts[name] for name in results if name in texts]


def method_section(ctx) -> dict:
    """The section "Metod": plain Swedish per analysis, then the glossary (sub-section "Ordlista").
    Adds the sheet "Metod" (the analyses' own explanations) and "Ordlista" to ``ctx["sheets"]``."""
    from .report_document import _find, _para, _section, _table

    results = ctx["results"]
    subs = [_section(id, title, [_para(p) for p in paras], level=2) for id, title, paras in plain_method(results)]
    terms = sorted(GLOSSARY.items(), key=lambda kv: kv[0].casefold())
    subs.append(_section("ordlista", "Ordlista", [
        _para("Facktermer som analyserna bygger på, förklarade i vardagliga ord."),
        {"type": "definitions", "items": [[t, text] for t, text in terms]}], level=2))
    rows = []
    for res in results.values():
        rows += [[res["title"], t["title"], t["explanation"]] for t in res["tables"]]
        if res["name"] == "gaps":
            rows += [[res["title"], k["title"], k["explanation"]] for k in _find(res, "gaps")["kinds"]]
    ctx["sheets"].append(_table("metod", "Metod", [("Analys", "text"), ("Tabell eller begrepp", "text"),
                                                   ("Hur det räknas", "text")], rows,
                                "Analysernas egna, tekniska förklaringar.", sheet="Metod"))
    ctx["sheets"].append(_table("ordlista", "Ordlista", [("Begrepp", "text"), ("Förklaring", "text")],
                                [list(kv) for kv in terms], "Facktermerna i rapporten.", sheet="Ordlista"))
    intro = ("Rapporten räknas fram ur kunskapsgrafen, som bygger på planens egen text: varje insats med sina "
             "riskfaktorer, nivåer, ansvariga förvaltningar, parter och forum. Ingenting bedöms för hand; varje "
             "tabell och mening kommer ur de kopplingar planen själv anger. Så här räknas delarna.")
    return _section("metod", "Metod", [_para(intro)], subs, brk=True)
