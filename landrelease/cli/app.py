"""The typer application and what every command shares: settings, the register, the console."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from landrelease.domain.errors import LandreleaseError
from landrelease.services import register as registers
from landrelease.services.register import Register
from landrelease.settings import Settings

app = typer.Typer(
    name="landrelease",
    help="Register, model, plan and forecast land release in humanitarian mine action.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return Settings()


@contextmanager
def open_register(cfg: Settings | None = None) -> Iterator[Register]:
    """Open (and migrate) the configured database for the length of one command."""
    with registers.open_register(cfg or settings()) as register:
        yield register


def fail(error: LandreleaseError | str, code: int = 2) -> typer.Exit:
    """Print a refusal the user can act on and return the exit to raise."""
    err_console.print(f"[bold red]refused[/]: {error}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code)


@app.callback()
def _root() -> None:
    """Register, model, plan and forecast land release in humanitarian mine action.

    The database is read from LANDRELEASE_DATABASE_URL (default: sqlite:///landrelease.db).
    """
