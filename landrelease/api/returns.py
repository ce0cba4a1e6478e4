"""People coming home, over HTTP: consolidation proposals (list, accept), reconstruction
programmes per settlement (list, import), shared village equipment (machines, bookings).

Roles as in the rest of the API: every signed-in user reads; analysts and administrators
write. Household names are personal data (as victims' are): shown to the roles that may see
personal data, never to viewers. A double booking answers 409 naming the machine and the
day; a booking past the household's fair share answers 422 naming the household and limit.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from landrelease.api.auth import DATA_EDITORS, Principal, current_principal, require
from landrelease.api.params import CODE_PATTERN
from landrelease.domain.user import User
from landrelease.returns.reconstruction import Item
from landrelease.services import consolidation as cons
from landrelease.services import equipment as kit
from landrelease.services.register import Register

router = APIRouter(prefix="/api", tags=["returns"])
Reader = Annotated[Principal, Depends(current_principal)]
Editor = Annotated[User, Depends(require(*DATA_EDITORS))]
Code = Annotated[str, Path(pattern=CODE_PATTERN)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
CodeText = Annotated[str, Field(pattern=CODE_PATTERN)]


def _register(request: Request) -> Register:
    register: Register = request.app.state.register
    return register


class AcceptIn(BaseModel):
    """Accept a proposal: the new settlement's name (and optionally its code and site)."""

    model_config = ConfigDict(extra="forbid")
    name: ShortText
    code: CodeText | None = None
    site: CodeText | None = None
    max_km: float = Field(default=cons.DEFAULT_MAX_KM, gt=0, le=100)
    max_population: int = Field(default=cons.DEFAULT_MAX_POPULATION, gt=0)


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: CodeText
    kind: Annotated[str, Field(min_length=1, max_length=40)]
    duration_months: int = Field(ge=0, le=240)
    plots: list[CodeText] = Field(default_factory=list, max_length=1000)
    after: list[CodeText] = Field(default_factory=list, max_length=1000)


class ProgrammeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ItemIn] = Field(max_length=1000)


class MachineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: CodeText
    settlement: CodeText
    kind: Annotated[str, Field(min_length=1, max_length=40)]
    name: str = Field(default="", max_length=200)


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    machine: CodeText
    household: CodeText
    start: date
    end: date | None = None


@router.get("/consolidation/proposals", summary="Consolidation proposals (sites ranked by joint readiness)")
def list_proposals(
    request: Request,
    _: Reader,
    max_km: Annotated[float, Query(gt=0, le=100)] = cons.DEFAULT_MAX_KM,
    max_population: Annotated[int, Query(gt=0)] = cons.DEFAULT_MAX_POPULATION,
) -> dict[str, Any]:
    items = [p.as_dict() for p in cons.proposals(_register(request), max_km=max_km, max_population=max_population)]
    return {"total": len(items), "items": items, "accepted": cons.accepted(_register(request))}


@router.post(
    "/consolidation/proposals/{proposal}/accept", status_code=201, summary="Accept a proposal: a new linked settlement"
)
def accept_proposal(request: Request, proposal: Code, body: AcceptIn, user: Editor) -> dict[str, Any]:
    new = cons.accept(
        _register(request),
        proposal,
        name=body.name,
        code=body.code,
        site=body.site,
        max_km=body.max_km,
        max_population=body.max_population,
        actor=user.name,
    )
    (done,) = [d for d in cons.accepted(_register(request)) if d["settlement"] == new.code]
    return {"settlement": new.code, "name": new.name, "population": new.population, "former": done["former"]}


def _item(i: Item) -> dict[str, Any]:
    d = asdict(i)
    return {**d, "plots": list(i.plots), "after": list(i.after)}


@router.get("/reconstruction/{settlement}", summary="A settlement's reconstruction programme")
def get_programme(request: Request, settlement: Code, _: Reader) -> dict[str, Any]:
    items = cons.programme(_register(request), settlement)
    return {"settlement": settlement, "total": len(items), "items": [_item(i) for i in items]}


@router.put("/reconstruction/{settlement}", summary="Import (replace) a settlement's reconstruction programme")
def put_programme(request: Request, settlement: Code, body: ProgrammeIn, user: Editor) -> dict[str, Any]:
    items = [Item(i.code, i.kind, i.duration_months, tuple(i.plots), tuple(i.after)) for i in body.items]
    n = cons.set_programme(_register(request), settlement, items, actor=user.name)
    return {"settlement": settlement, "stored": n}


@router.get("/equipment/machines", summary="Community-owned machines and their use")
def list_machines(request: Request, _: Reader) -> dict[str, Any]:
    items = kit.use(_register(request))["machines"]
    return {"total": len(items), "items": items}


@router.post("/equipment/machines", status_code=201, summary="Register a community-owned machine")
def add_machine(request: Request, body: MachineIn, user: Editor) -> dict[str, Any]:
    kit.add_machine(_register(request), body.code, body.settlement, body.kind, body.name)
    return {"code": body.code, "settlement": body.settlement, "kind": body.kind}


@router.get("/equipment/bookings", summary="Booked days (household names for administrators and analysts only)")
def list_bookings(
    request: Request, principal: Reader, machine: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None
) -> dict[str, Any]:
    items = kit.bookings(_register(request), machine, personal=principal.user.sees_personal_data)
    return {"total": len(items), "items": items}


@router.post("/equipment/bookings", status_code=201, summary="Book a machine for a household")
def book(request: Request, body: BookingIn, user: Editor) -> dict[str, Any]:
    ref = kit.book(_register(request), body.machine, body.household, body.start, body.end, actor=user.name)
    return {"booking": ref, "machine": body.machine, "start": body.start, "end": body.end or body.start}
