"""Returns commands: readiness (when each settlement can come back, joint over the forecast's
runs) and housing (import households and house stock, allocate houses)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from landrelease.cli.base import app, console, fail, open_register, settings
from landrelease.cli.lazy import LightGroup
from landrelease.domain.errors import ValidationError
from landrelease.returns.equipment import DEFAULT_DAYS_PER_SEASON

if TYPE_CHECKING:
    from landrelease.services.readiness import Readiness
    from landrelease.services.register import Register


def readiness_table(items: list[Readiness], rows: int | None = None) -> Table:
    from landrelease.services.readiness import READY

    t = Table(title="When settlements can come back (joint P10/P50/P90 over runs)", title_justify="left")
    for col, justify in (
        ("settlement", "left"),
        ("displaced", "right"),
        ("status", "left"),
        ("blocking", "right"),
        ("P10", "right"),
        ("P50", "right"),
        ("P90", "right"),
        ("critical (share of runs last)", "left"),
    ):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in items[:rows] if rows else items:
        t.add_row(
            f"{r.name} ({r.code})",
            f"{r.displaced:,}",
            r.status,
            str(len(r.blocking)),
            *[r.ready_by.get(q) or ("now" if r.status == READY else "–") for q in ("p10", "p50", "p90")],
            ", ".join(f"{c} {s:.0%}" if s >= 0.005 else f"{c} <1%" for c, s in r.critical),
        )
    return t


@app.command()
def readiness(
    settlement: Annotated[str | None, typer.Option(help="one settlement, by name or code")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    rows: Annotated[int, typer.Option(min=1, help="settlements to show")] = 30,
    bring_forward: Annotated[
        bool,
        typer.Option(
            "--bring-forward",
            help="with --settlement: re-forecast with its areas first; its new P50 and the delay to others",
        ),
    ] = False,
    runs: Annotated[int, typer.Option(min=10, help="runs of each re-forecast (with --bring-forward)")] = 200,
    goal: Annotated[
        str | None, typer.Option(help="with --settlement: return by this date (YYYY-MM-DD)? At P50 and P80")
    ] = None,
) -> None:
    """When each settlement can come back, by date: joint P10/P50/P90 over the stored forecast's runs."""
    from landrelease.services.readiness import JOINT, NOTE, find_settlement
    from landrelease.services.readiness import bring_forward as bring_forward_of
    from landrelease.services.readiness import readiness as readiness_of

    if (bring_forward or goal) and settlement is None:
        raise fail("--bring-forward and --goal need --settlement")
    try:
        by = date.fromisoformat(goal) if goal else None
    except ValueError:
        raise fail(f"--goal: not a date (YYYY-MM-DD): {goal!r}") from None
    forward = None
    with open_register(settings()) as register:
        items = readiness_of(register)
        try:
            if settlement is not None:
                items = find_settlement(items, settlement)
            if (bring_forward or by) and settlement is not None:
                forward = bring_forward_of(register, settlement, runs=runs, goal=by)
        except ValidationError as exc:
            raise fail(exc) from None
    if as_json:
        data: dict[str, Any] = {"quantiles": JOINT, "settlements": [r.as_dict() for r in items], "note": NOTE}
        if forward is not None:
            data["bring_forward"] = forward.as_dict()
        typer.echo(json.dumps(data))
        return
    console.print(readiness_table(items, rows))
    console.print(f"[dim]{NOTE}[/]", highlight=False)
    if forward is not None:
        console.print(
            f"With its areas first: P50 {forward.p50_before} → {forward.p50_after} "
            f"({forward.months_gained:+d} months gained); {len(forward.delayed)} other settlement(s) later; "
            f"{forward.km2_days_elsewhere:,.1f} km²·days of delay elsewhere ({forward.runs} runs each)."
        )
        g = forward.goal
        if g is not None:

            def yes(ok: bool) -> str:
                return "met" if ok else "not met"

            console.print(
                f"Goal: back by {g.by.isoformat()} — in the plan's order {yes(g.p50_before)} at P50, "
                f"{yes(g.p80_before)} at P80 ({g.share_before:.0%} of runs); with its areas first "
                f"{yes(g.p50_after)} at P50, {yes(g.p80_after)} at P80 ({g.share_after:.0%} of runs)."
            )


def demo_step(register: Register, console: Console, *, seed: int = 0) -> dict[str, Any]:
    """For ``landrelease demo``: the settlements' joint readiness after the forecast is stored,
    one consolidation proposal accepted, and houses allocated to the sample households."""
    from landrelease.samples.returns import sample_housing
    from landrelease.services import consolidation as consolidation_service
    from landrelease.services import housing as housing_service
    from landrelease.services.readiness import JOINT, READY
    from landrelease.services.readiness import readiness as readiness_of

    items = readiness_of(register)
    console.print(readiness_table(items, rows=12))
    ready = sum(r.status == READY for r in items)
    people = sum(r.displaced for r in items if r.status == READY)
    console.print(f"{ready} of {len(items)} settlements ready now ({people:,} displaced people can return).")
    accepted = None
    props = consolidation_service.proposals(register)
    if props and not consolidation_service.accepted(register):  # once per register
        console.print(proposals_table(props[:3]))
        p = props[0]
        names = {s.code: s.name for s in register.settlements()}
        site = p.sites[0].settlement
        new = consolidation_service.accept(register, p.code, name=f"New {names.get(site, site)}")
        accepted = {"proposal": p.code, "settlement": new.code, "name": new.name, "former": list(p.members)}
        console.print(
            f"Accepted {p.code}: {new.name} ({new.code}) at the site of {site}, "
            f"for {new.population:,} people of {', '.join(p.members)}."
        )
    households, houses = sample_housing(register.settlements(), housing_service.successors(register), seed=seed)
    housing_service.store(register, households, houses)
    housing_service.allocate_houses(register)
    rows = housing_service.current_allocation(register)
    console.print(allocation_table(rows, limit=8))
    housed = sum(r["status"] == "allocated" for r in rows)
    console.print(f"{housed} of {len(rows)} sample households housed; {len(rows) - housed} on waiting lists.")
    return {"quantiles": JOINT, "settlements": [r.as_dict() for r in items], "consolidation": accepted}


def final_table(register: Register, console: Console) -> None:
    """The demo's last word: when each village can come back (joint P10/P50/P90)."""
    from landrelease.services.readiness import NOTE
    from landrelease.services.readiness import readiness as readiness_of

    items = readiness_of(register)
    console.print(readiness_table(items))
    console.print(f"[dim]{NOTE}[/]", highlight=False)


housing_app = typer.Typer(
    cls=LightGroup, help="Houses for returning households: import, allocate.", no_args_is_help=True
)
app.add_typer(housing_app, name="housing")


@housing_app.command("import")
def housing_import(
    path: Annotated[Path, typer.Argument(help="CSV or XLSX of households or of house stock")],
    kind: Annotated[str | None, typer.Option(help="households or houses (default: told by the columns)")] = None,
) -> None:
    """Store households (ref, size, origin, registered[, special_needs, choice, name, contact]) or house
    stock (settlement, house_type, rooms, capacity[, count]); all or nothing."""
    from landrelease.services import housing as housing_service

    if kind not in (None, housing_service.HOUSEHOLDS, housing_service.HOUSES):
        raise fail(f"--kind must be households or houses, not {kind!r}")
    with open_register(settings()) as register:
        try:
            what, n = housing_service.import_file(register, path, kind)
        except ValidationError as exc:
            raise fail(exc) from None
    console.print(f"{n:,} {what} stored from {path.name}; the previous allocation was cleared.")


def allocation_table(rows: list[dict[str, Any]], limit: int | None = None) -> Table:
    from landrelease.services import housing as housing_service

    t = Table(title="Houses allocated (order: " + housing_service.ORDER_RULE + ")", title_justify="left")
    for col in ("#", "household", "status", "settlement", "house", "waiting", "why"):
        t.add_column(col)
    for r in rows[:limit] if limit else rows:
        t.add_row(
            str(r["rank"]),
            r["household"],
            r["status"],
            r["settlement"],
            r["house"] or "–",
            str(r["waiting_position"] or ""),
            r["explanation"],
        )
    return t


@housing_app.command("allocate")
def housing_allocate(
    as_csv: Annotated[bool, typer.Option("--csv", help="write the allocation as CSV to standard output")] = False,
    rows: Annotated[int, typer.Option(min=1, help="households to show")] = 50,
) -> None:
    """Allocate houses to households: special needs first, then by date registered; the
    smallest vacant house that fits, in the settlement of choice or its consolidated successor."""
    from landrelease.services import housing as housing_service

    with open_register(settings()) as register:
        try:
            housing_service.allocate_houses(register)
        except ValidationError as exc:
            raise fail(exc) from None
        out = housing_service.current_allocation(register)
    if as_csv:
        typer.echo(housing_service.allocation_csv(out), nl=False)
        return
    console.print(allocation_table(out, rows))
    housed = sum(r["status"] == "allocated" for r in out)
    console.print(f"{housed:,} of {len(out):,} households housed; {len(out) - housed:,} on waiting lists.")


consolidation_app = typer.Typer(cls=LightGroup, help="Consolidated settlements: propose, accept.", no_args_is_help=True)
app.add_typer(consolidation_app, name="consolidation")
MaxKm = Annotated[
    float | None,
    typer.Option(min=0.1, help="largest distance between neighbouring settlements, km (default: the rule's, 5)"),
]
MaxPop = Annotated[
    int | None, typer.Option(min=1, help="largest combined pre-war population (default: the rule's, 5000)")
]


def _limits(max_km: float | None, max_population: int | None) -> tuple[float, int]:
    """The clustering limits given, or the consolidation rule's defaults."""
    from landrelease.services import consolidation as consolidation_service

    return (
        consolidation_service.DEFAULT_MAX_KM if max_km is None else max_km,
        consolidation_service.DEFAULT_MAX_POPULATION if max_population is None else max_population,
    )


def proposals_table(props: list[Any]) -> Table:
    t = Table(title="Consolidation proposals (sites: earliest joint P50, access, released land)", title_justify="left")
    for col in ("proposal", "settlements", "population", "span km", "best site", "ready P50", "released km²"):
        t.add_column(col)
    for p in props:
        best = p.sites[0]
        t.add_row(
            p.code,
            ", ".join(p.members),
            f"{p.population:,}",
            f"{p.span_km:.1f}",
            best.settlement,
            best.ready_p50 or "unknown",
            f"{best.released_km2:.2f}",
        )
    return t


@consolidation_app.command("propose")
def consolidation_propose(
    max_km: MaxKm = None,
    max_population: MaxPop = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Clusters of nearby former settlements (contiguous along roads) whose people could return to one."""
    from landrelease.services import consolidation as consolidation_service

    with open_register(settings()) as register:
        km, population = _limits(max_km, max_population)
        props = consolidation_service.proposals(register, max_km=km, max_population=population)
    if as_json:
        typer.echo(json.dumps({"proposals": [p.as_dict() for p in props]}))
        return
    console.print(proposals_table(props))


@consolidation_app.command("accept")
def consolidation_accept(
    proposal: Annotated[str, typer.Argument(help="the proposal's code (see `consolidation propose`)")],
    name: Annotated[str, typer.Option(help="the new settlement's name")],
    code: Annotated[str | None, typer.Option(help="the new settlement's code (default N-<site>)")] = None,
    site: Annotated[str | None, typer.Option(help="the site (a member's code; default: the best ranked)")] = None,
    max_km: MaxKm = None,
    max_population: MaxPop = None,
) -> None:
    """Accept a proposal: a new settlement for the former ones' people, linked to them."""
    from landrelease.services import consolidation as consolidation_service

    km, population = _limits(max_km, max_population)
    with open_register(settings()) as register:
        try:
            new = consolidation_service.accept(
                register, proposal, name=name, code=code, site=site, max_km=km, max_population=population
            )
        except ValidationError as exc:
            raise fail(exc) from None
    console.print(f"{new.name} ({new.code}) stored for {new.population:,} people of {proposal}.")


reconstruction_app = typer.Typer(
    cls=LightGroup, help="Reconstruction programmes (included in readiness).", no_args_is_help=True
)
app.add_typer(reconstruction_app, name="reconstruction")


@reconstruction_app.command("import")
def reconstruction_import(
    path: Annotated[Path, typer.Argument(help="CSV/XLSX: settlement, code, kind, duration_months, plots, after")],
) -> None:
    """Store reconstruction programmes (each settlement's replaced); all or nothing."""
    from landrelease.services import consolidation as consolidation_service

    with open_register(settings()) as register:
        try:
            n = consolidation_service.import_programmes(register, path)
        except ValidationError as exc:
            raise fail(exc) from None
    console.print(f"{n} reconstruction items stored from {path.name}.")


equipment_app = typer.Typer(cls=LightGroup, help="Shared village machinery: register, book, use.", no_args_is_help=True)
app.add_typer(equipment_app, name="equipment")


@equipment_app.command("add")
def equipment_add(
    code: Annotated[str, typer.Argument(help="the machine's code")],
    settlement: Annotated[str, typer.Option(help="the settlement that owns it (code)")],
    kind: Annotated[str, typer.Option(help="tractor, harvester, seeder, plough, trailer, sprayer, other")],
    name: Annotated[str, typer.Option(help="a description")] = "",
) -> None:
    """Register a machine owned by a whole settlement."""
    from landrelease.services import equipment as equipment_service

    with open_register(settings()) as register:
        try:
            equipment_service.add_machine(register, code, settlement, kind, name)
        except ValidationError as exc:
            raise fail(exc) from None
    console.print(f"{kind} {code} registered for {settlement}.")


@equipment_app.command("book")
def equipment_book(
    machine: Annotated[str, typer.Argument(help="the machine's code")],
    household: Annotated[str, typer.Option(help="the household's reference")],
    start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD")],
    end: Annotated[str | None, typer.Option(help="last day, YYYY-MM-DD (default: the first)")] = None,
    limit: Annotated[int, typer.Option(min=1, help="fair use: machine-days per household per season")] = (
        DEFAULT_DAYS_PER_SEASON
    ),
) -> None:
    """Book a machine for a household; no day is booked twice, fair use per season."""
    from landrelease.services import equipment as equipment_service

    try:
        first = date.fromisoformat(start)
        last = date.fromisoformat(end) if end else None
    except ValueError as exc:
        raise fail(f"--start/--end: {exc}") from None
    with open_register(settings()) as register:
        try:
            ref = equipment_service.book(register, machine, household, first, last, limit=limit)
        except ValidationError as exc:
            raise fail(exc) from None
    console.print(f"booked: {machine} for {household}, {start}..{end or start} (booking {ref}).")


@equipment_app.command("use")
def equipment_use() -> None:
    """Days booked per machine and season."""
    from landrelease.services import equipment as equipment_service

    with open_register(settings()) as register:
        data = equipment_service.use(register)
    t = Table(title="Use of shared machinery", title_justify="left")
    for col in ("machine", "settlement", "kind", "households", "days by season"):
        t.add_column(col)
    for m in data["machines"]:
        t.add_row(
            m["code"], m["settlement"], m["kind"], str(m["households"]),
            ", ".join(f"{s}: {n}" for s, n in sorted(m["days_by_season"].items())) or "–",
        )  # fmt: skip
    console.print(t)
