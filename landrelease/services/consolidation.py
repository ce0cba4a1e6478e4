"""Consolidation and reconstruction: propose clusters of former settlements whose people could
return to one new settlement, accept one (a new settlement linked to the former ones), and
store reconstruction programmes (which readiness includes).

The rules are the core's (:mod:`landrelease.returns.consolidation`,
:mod:`landrelease.returns.reconstruction`); readiness dates are the joint ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.settlement import Settlement
from landrelease.io.housing import read_programmes
from landrelease.returns.consolidation import (
    DEFAULT_MAX_KM,
    DEFAULT_MAX_POPULATION,
    NOT_READY,
    Proposal,
    propose,
)
from landrelease.returns.reconstruction import Item, check
from landrelease.services.readiness import READY, WAITING, readiness
from landrelease.services.register import HazardFilter, Register
from landrelease.storage import returns as stored

__all__ = [
    "DEFAULT_MAX_KM",
    "DEFAULT_MAX_POPULATION",
    "accept",
    "accepted",
    "import_programmes",
    "programme",
    "proposals",
    "set_programme",
]


def proposals(
    register: Register, *, max_km: float = DEFAULT_MAX_KM, max_population: int = DEFAULT_MAX_POPULATION
) -> list[Proposal]:
    """Consolidation proposals among settlements not yet consolidated (nor new ones), with
    candidate sites ranked by joint readiness, access and released land around them."""
    ready: dict[str, tuple[int, str | None]] = {}
    for r in readiness(register):
        if r.status == READY:
            ready[r.code] = (0, "now")
        elif r.status == WAITING and r.months is not None:
            ready[r.code] = (r.months[1], r.ready_by.get("p50"))
        else:
            ready[r.code] = (NOT_READY, None)
    with register.reading() as conn:
        done = stored.consolidations(conn)
    exclude = frozenset({c for d in done for c in d["former"]} | {d["settlement"] for d in done})
    return propose(
        register.settlements(),
        register.hazard_areas(HazardFilter(open_only=True)),
        ready,
        max_km=max_km,
        max_population=max_population,
        exclude=exclude,
    )


def accept(
    register: Register,
    proposal: str,
    *,
    name: str,
    code: str | None = None,
    site: str | None = None,
    max_km: float = DEFAULT_MAX_KM,
    max_population: int = DEFAULT_MAX_POPULATION,
    actor: str = "consolidation",
) -> Settlement:
    """Accept a proposal: a new settlement at the chosen site (default: the best ranked),
    holding the former settlements' people, linked to them; one unit of work."""
    props = {p.code: p for p in proposals(register, max_km=max_km, max_population=max_population)}
    p = props.get(proposal)
    if p is None:
        raise ValidationError(
            [Problem("no such proposal", field="proposal", found=proposal, expected=", ".join(props) or "none")],
            "consolidation refused",
        )
    site_code = site or p.sites[0].settlement
    if site_code not in p.members:
        raise ValidationError(
            [Problem("the site must be one of the proposal's settlements", field="site", found=site_code)],
            "consolidation refused",
        )
    by = {s.code: s for s in register.settlements()}
    new_code = code or "N-" + site_code
    if new_code in by:
        raise ValidationError(
            [Problem("a settlement with this code exists", field="code", found=new_code)], "consolidation refused"
        )
    at = by[site_code]
    new = Settlement(
        new_code,
        name,
        at.geometry,
        population=sum(by[m].population for m in p.members),
        displaced=sum(by[m].displaced for m in p.members),
        access_routes=at.access_routes,
        region=at.region,
        farmland_ring_m=at.farmland_ring_m,
    )
    details: dict[str, Any] = {"proposal": p.code, "site": site_code, "sites": [s.as_dict() for s in p.sites]}
    with register.unit_of_work(actor=actor) as uow:
        uow.add_settlements([new], source=f"consolidation {p.code}")
        stored.save_consolidation(uow, new_code, p.members, details)
    return new


def accepted(register: Register) -> list[dict[str, Any]]:
    with register.reading() as conn:
        return stored.consolidations(conn)


def set_programme(register: Register, settlement: str, items: Sequence[Item], *, actor: str = "reconstruction") -> int:
    """Replace a settlement's reconstruction programme (checked: kinds, order, plots exist)."""
    known = {s.code for s in register.settlements()}
    if settlement not in known:
        raise ValidationError(
            [Problem("unknown settlement", field="settlement", found=settlement)], "reconstruction programme refused"
        )
    check(settlement, items)
    plots = {p for i in items for p in i.plots}
    with register.unit_of_work(actor=actor) as uow:
        ids = uow.hazard_ids(plots)
        missing = sorted(plots - set(ids))
        if missing:
            raise ValidationError(
                [Problem("no hazard area with this code", record=settlement, field="plots", found=c) for c in missing],
                "reconstruction programme refused",
            )
        return stored.replace_programme(uow, settlement, items)


def import_programmes(register: Register, path: Path) -> int:
    """Reconstruction programmes from CSV/XLSX (settlement, code, kind, duration_months,
    plots, after; lists separated by ';'); all or nothing."""
    known = {s.code for s in register.settlements()}
    progs = read_programmes(path, known)
    for settlement, items in progs.items():
        check(settlement, items)
    plots = {p for items in progs.values() for i in items for p in i.plots}
    with register.unit_of_work(actor="reconstruction") as uow:
        ids = uow.hazard_ids(plots)
        missing = sorted(plots - set(ids))
        if missing:
            raise ValidationError(
                [Problem("no hazard area with this code", field="plots", found=c, source=path.name) for c in missing],
                f"{path.name} refused, nothing stored",
            )
        return sum(stored.replace_programme(uow, s, items) for s, items in progs.items())


def programme(register: Register, settlement: str) -> list[Item]:
    """A settlement's stored reconstruction programme (empty: none); unknown settlement refused."""
    known = {s.code for s in register.settlements()}
    if settlement not in known:
        raise ValidationError(
            [Problem("unknown settlement", field="settlement", found=settlement)], "no such settlement"
        )
    with register.reading() as conn:
        return list(stored.programmes(conn).get(settlement, []))
