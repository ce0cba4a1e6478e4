"""`landrelease demo`: the main job, end to end, on the embedded default database."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from landrelease.cli.base import app, console, settings

__all__ = ["demo", "inventory_tables"]


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


@app.command()
def demo(
    areas: Annotated[int, typer.Option(min=1, help="number of hazard areas in the sample region")] = 300,
    seed: Annotated[int | None, typer.Option(help="seed of the sample scenario")] = None,
    reset: Annotated[bool, typer.Option(help="empty the database first")] = False,
    serve: Annotated[bool, typer.Option("--serve", help="end by serving the map of the demo scenario")] = False,
    host: Annotated[str, typer.Option(help="address to serve on (with --serve)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to serve on (with --serve)")] = 8000,
) -> None:
    """The main job: generate a sample region, store it, record activities, model, plan,
    forecast and write the report (into LANDRELEASE_OUTPUT_DIR, default ./landrelease-output)."""
    from landrelease.cli import engine, field, model, plan, register, report, returns
    from landrelease.samples import generate
    from landrelease.services import register as registers
    from landrelease.services import summary
    from landrelease.services.importing import store_scenario
    from landrelease.services.plan import planned_dispatch_order

    cfg = settings()
    seed = cfg.seed if seed is None else seed
    out = cfg.output_dir
    if reset:
        registers.reset(cfg)
    with registers.open_register(cfg) as reg:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as bar:
            step = bar.add_task("opening the register", total=None)
            if summary.inventory(reg)["hazard_areas"] == 0:
                bar.update(step, description=f"generating a sample region ({areas} hazard areas, seed {seed})")
                scenario = generate(areas, seed=seed)
                bar.update(step, description="storing it")
                store_scenario(reg, scenario)
                fresh = True
            else:
                fresh = False
            bar.update(step, description="register ready")
        if not fresh:
            console.print("The register already holds data: working on it as it is (use --reset to start over).")
        inv = summary.inventory(reg)
        console.rule("[bold]1. The register")
        console.print(
            f"[bold]Register[/] {cfg.database_url}: {inv['hazard_areas']:,} hazard areas, "
            f"{inv['total_km2']:,.2f} km², {inv['settlements']} settlements"
        )
        for t in inventory_tables(inv):
            console.print(t)
        console.rule("[bold]2. Land release recorded")
        register.demo_step(reg, console, seed=seed)
        console.rule("[bold]2b. Field reports, review, accidents, risk education, QA and handover")
        from datetime import UTC, datetime

        field.demo_step(reg, out, seed=seed, today=datetime.now(UTC).date())
        console.rule("[bold]3. Where the mines probably are")
        model.demo_step(reg, console, out)
        console.rule("[bold]4. The plan")
        plan.demo_step(reg, console, out)
        console.rule("[bold]5. The forecast")
        order = planned_dispatch_order(reg)
        engine.demo_step(reg, console, out, dispatch_order=order)
        console.rule("[bold]6. When settlements can come back, consolidation and houses")
        returns.demo_step(reg, console, seed=seed)
        console.rule("[bold]7. What more capacity would change")
        engine.compare_demo_step(reg, console, out, dispatch_order=order)
        console.rule("[bold]8. The report")
        report.demo_step(reg, console, out)  # the forecast stored in step 5
        console.print(f"Charts, maps and the report are in [bold]{out.resolve()}[/].")
        console.rule("[bold]9. When each village can come back")
        returns.final_table(reg, console)
    if serve:
        from landrelease.web.serve import serve_demo

        serve_demo(cfg, host=host, port=port)
