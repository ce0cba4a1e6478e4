"""Returns commands: readiness (when each settlement can come back, joint over the forecast's runs)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from landrelease.cli.app import app, console, fail, open_register, settings
from landrelease.domain.errors import ValidationError
from landrelease.services.readiness import JOINT, NOTE, READY, Readiness, find_settlement
from landrelease.services.readiness import readiness as readiness_of
from landrelease.services.register import Register


def readiness_table(items: list[Readiness], rows: int | None = None) -> Table:
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
            ", ".join(f"{c} {s:.0%}" for c, s in r.critical),
        )
    return t


@app.command()
def readiness(
    settlement: Annotated[str | None, typer.Option(help="one settlement, by name or code")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    rows: Annotated[int, typer.Option(min=1, help="settlements to show")] = 30,
) -> None:
    """When each settlement can come back, by date: joint P10/P50/P90 over the stored forecast's runs."""
    with open_register(settings()) as register:
        items = readiness_of(register)
    if settlement is not None:
        try:
            items = find_settlement(items, settlement)
        except ValidationError as exc:
            raise fail(exc) from None
    if as_json:
        typer.echo(json.dumps({"quantiles": JOINT, "settlements": [r.as_dict() for r in items], "note": NOTE}))
        return
    console.print(readiness_table(items, rows))
    console.print(f"[dim]{NOTE}[/]", highlight=False)


def demo_step(register: Register, console: Console) -> dict[str, Any]:
    """For ``landrelease demo``: the settlements' readiness after the forecast is stored."""
    items = readiness_of(register)
    console.print(readiness_table(items, rows=12))
    ready = sum(r.status == READY for r in items)
    people = sum(r.displaced for r in items if r.status == READY)
    console.print(f"{ready} of {len(items)} settlements ready now ({people:,} displaced people can return).")
    return {"quantiles": JOINT, "settlements": [r.as_dict() for r in items]}
