"""Returns commands: readiness (when each settlement can come back)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from landrelease.cli.app import app, console, open_register, settings

if TYPE_CHECKING:
    from landrelease.services.readiness import Readiness
    from landrelease.services.register import Register


def readiness_table(items: list[Readiness], rows: int | None = None) -> Table:
    from landrelease.services.readiness import READY

    t = Table(title="When settlements can come back (most displaced first)", title_justify="left")
    for col, justify in (
        ("settlement", "left"),
        ("displaced", "right"),
        ("status", "left"),
        ("blocking areas", "right"),
        ("ready by P10", "right"),
        ("P50", "right"),
        ("P90", "right"),
    ):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in items[:rows] if rows else items:
        t.add_row(
            f"{r.name} ({r.code})",
            f"{r.displaced:,}",
            r.status,
            str(len(r.blocking)),
            *[r.ready_by.get(q) or ("now" if r.status == READY else "–") for q in ("p10", "p50", "p90")],
        )
    return t


@app.command()
def readiness(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    rows: Annotated[int, typer.Option(min=1, help="settlements to show")] = 30,
) -> None:
    """When each settlement can come back: its land and access roads released (from the stored forecast)."""
    from landrelease.services.readiness import NOTE
    from landrelease.services.readiness import readiness as readiness_of

    with open_register(settings()) as register:
        items = readiness_of(register)
    if as_json:
        typer.echo(json.dumps({"settlements": [r.as_dict() for r in items], "note": NOTE}))
        return
    console.print(readiness_table(items, rows))
    console.print(f"[dim]{NOTE}[/]", highlight=False)


def demo_step(register: Register, console: Console) -> dict[str, Any]:
    """For ``landrelease demo``: the settlements' readiness after the forecast is stored."""
    from landrelease.services.readiness import READY
    from landrelease.services.readiness import readiness as readiness_of

    items = readiness_of(register)
    console.print(readiness_table(items, rows=8))
    ready = sum(r.status == READY for r in items)
    people = sum(r.displaced for r in items if r.status == READY)
    console.print(f"{ready} of {len(items)} settlements ready now ({people:,} displaced people can return).")
    return {"settlements": [r.as_dict() for r in items]}
