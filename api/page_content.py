"""What the risk-factor and department pages show beyond their facts, as plain data.

* :func:`actor_levels`: who works on a risk factor, one row per department, external actor or
  forum, with its interventions in a column per prevention level (universell, selektiv,
  indikerad) and the partners it works with in them: the answer to "who works on psykisk
  ohälsa, at which level, with whom?".
* :func:`department_partners`: who a department works with, through which interventions.
"""

from __future__ import annotations

from .catalog import LEVEL_ORDER, Catalog

__all__ = ["actor_levels", "department_partners", "LEVEL_TITLES"]

LEVEL_TITLES = {"universell": "Universell", "selektiv": "Selektiv", "indikerad": "Indikerad"}


def _intervention(catalog: Catalog, link: dict) -> dict | None:
    if link.get("kind") != "interventions":
        return None
    return catalog.index.get(("interventions", link["id"]))


def _partners_of(catalog: Catalog, record: dict) -> list[dict]:
    """The responsible department and the involved actors of an intervention or base mission."""
    out = []
    if record.get("department"):
        out.append(record["department"])
    out.extend(record.get("involves") or [])
    return out


def actor_levels(catalog: Catalog, who: dict) -> dict:
    """Rows of the actor × level table for a risk factor's ``who`` (:meth:`Catalog.who_works_on`).

    Returns ``{"levels": [{"id", "title"}], "rows": [...], "other": bool}``; each row has
    ``actor`` (a link), ``type_label``, ``cells`` (one list per level of
    ``{"link", "role"}``), ``other`` (interventions without a level and base missions, each
    ``{"link", "role", "base_mission"}``) and ``partners`` (links, by name). ``other`` is true
    when any row has something in that column.
    """
    levels = [lv for lv in LEVEL_ORDER if ("prevention-levels", lv) in catalog.index]
    rows, any_other = [], False
    for a in who["actors"]:
        cells: dict[str, list[dict]] = {lv: [] for lv in levels}
        other: list[dict] = []
        partners: dict[str, dict] = {}
        for v in a["via"]:
            link = v["link"]
            record = _intervention(catalog, link)
            if record is None and link.get("kind") == "base-missions":
                record = catalog.index.get(("base-missions", link["id"]))
            item = {"link": link, "role": v["role"], "base_mission": v["base_mission"]}
            placed = False
            if record is not None and not v["base_mission"]:
                for lv in record.get("levels") or []:
                    if lv["id"] in cells and all(x["link"]["iri"] != link["iri"] for x in cells[lv["id"]]):
                        cells[lv["id"]].append(item)
                        placed = True
            if not placed and all(x["link"]["iri"] != link["iri"] for x in other):
                other.append(item)
            for p in _partners_of(catalog, record or {}):
                if p["iri"] != a["actor"]["iri"]:
                    partners[p["iri"]] = p
        any_other = any_other or bool(other)
        rows.append({"actor": a["actor"], "type_label": a["type_label"],
                     "cells": [cells[lv] for lv in levels], "other": other,
                     "partners": sorted(partners.values(), key=lambda p: p["label"].casefold())})
    return {"levels": [{"id": lv, "title": LEVEL_TITLES.get(lv, catalog.index[("prevention-levels", lv)]["label"])}
                       for lv in levels], "rows": rows, "other": any_other}


def department_partners(catalog: Catalog, department: dict) -> list[dict]:
    """Who a department works with: the actors and departments in the interventions it is
    responsible for, and the departments responsible for the interventions it takes part in.

    Each: ``{"partner": link, "interventions": [links]}``, most shared interventions first.
    """
    me = department["iri"]
    shared: dict[str, dict] = {}

    def add(partner: dict, intervention: dict) -> None:
        if partner["iri"] == me:
            return
        entry = shared.setdefault(partner["iri"], {"partner": partner, "interventions": []})
        if all(i["iri"] != intervention["iri"] for i in entry["interventions"]):
            entry["interventions"].append(intervention)

    for link in department["interventions"]:
        record = catalog.index.get(("interventions", link["id"]))
        for p in (record or {}).get("involves") or []:
            add(p, link)
    for link in department["involved_in"]:
        record = catalog.index.get(("interventions", link["id"]))
        if record and record.get("department"):
            add(record["department"], link)
    return sorted(shared.values(), key=lambda e: (-len(e["interventions"]), e["partner"]["label"].casefold()))
