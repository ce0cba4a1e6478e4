"""`landrelease demo`: the main job, end to end, on the embedded default database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import make_url

from landrelease.cli.app import app, console, settings
from landrelease.samples import Scenario, generate
from landrelease.storage.repository import Register


def store_scenario(register: Register, scenario: Scenario) -> None:
    """Write a generated scenario in one unit of work (all or nothing)."""
    with register.unit_of_work(actor="demo") as uow:
        uow.add_hazard_areas(scenario.hazard_areas, source=f"sample scenario seed={scenario.seed}")
        uow.add_evidence(scenario.evidence, source="sample scenario")
        uow.add_settlements(scenario.settlements, source="sample scenario")
        uow.add_teams(scenario.teams, source="sample scenario")


def inventory_tables(inv: dict[str, Any]) -> list[Table]:
    """Rich tables of what the register holds."""
    tables = []
    for key, title in (("kind", "Hazard areas by kind"), ("status", "by status"), ("land_use", "by land use")):
        t = Table(title=title, title_justify="left")
        t.add_column(key.replace("_", " "))
        t.add_column("areas", justify="right")
        t.add_column("km²", justify="right")
        for name, (n, km2) in sorted(inv[f"hazard_areas_by_{key}"].items(), key=lambda kv: -kv[1][1]):
            t.add_row(name, f"{n:,}", f"{km2:,.2f}")
        t.add_row("[bold]total[/]", f"[bold]{inv['hazard_areas']:,}[/]", f"[bold]{inv['total_km2']:,.2f}[/]")
        tables.append(t)
    for key, title, col in (("evidence_by_kind", "Evidence", "kind"), ("teams_by_type", "Teams", "type")):
        t = Table(title=title, title_justify="left")
        t.add_column(col)
        t.add_column("count", justify="right")
        for name, n in sorted(inv[key].items(), key=lambda kv: -kv[1]):
            t.add_row(name, f"{n:,}")
        tables.append(t)
    return tables


def _reset(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
    else:
        from alembic import command

        from landrelease.storage.database import alembic_config, make_engine

        engine = make_engine(url)
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        engine.dispose()


@app.command()
def demo(
    areas: Annotated[int, typer.Option(min=1, help="number of hazard areas in the sample region")] = 300,
    seed: Annotated[int | None, typer.Option(help="seed of the sample scenario")] = None,
    reset: Annotated[bool, typer.Option(help="empty the database first")] = False,
) -> None:
    """Generate a sample region, store it, and show what the register holds."""
    cfg = settings()
    seed = cfg.seed if seed is None else seed
    if reset:
        _reset(cfg.database_url)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
        step = progress.add_task("opening the register", total=None)
        register = Register.open(cfg.database_url)
        try:
            if register.count_hazard_areas() == 0:
                progress.update(step, description=f"generating a sample region ({areas} hazard areas, seed {seed})")
                scenario = generate(areas, seed=seed)
                progress.update(step, description="storing it")
                store_scenario(register, scenario)
            else:
                console.print("The register already holds data: showing it (use --reset to start over).")
            inv = register.inventory()
        finally:
            register.close()
        progress.update(step, description="done")
    console.print(
        f"[bold]Register[/] {cfg.database_url}: {inv['hazard_areas']:,} hazard areas, "
        f"{inv['total_km2']:,.2f} km², {inv['settlements']} settlements"
    )
    for t in inventory_tables(inv):
        console.print(t)
