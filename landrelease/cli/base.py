"""The typer application and what every command shares: settings, the register, the console."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from landrelease.cli.lazy import lazy_typer
from landrelease.domain.errors import LandreleaseError

if TYPE_CHECKING:
    from landrelease.services.register import Register
    from landrelease.settings import Settings

# Start-up stays light (``landrelease --help`` in well under half a second): the root group loads a
# command's module only when that command runs or shows its help (landrelease/cli/lazy.py), and
# the command modules import the heavy libraries (NumPy, SQLAlchemy, Shapely, pandas, matplotlib,
# OR-Tools, …) inside the commands that use them; tests/test_cli_startup.py keeps it so.

app = lazy_typer(
    name="landrelease",
    help="Register, model, plan and forecast land release in humanitarian mine action.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    from landrelease.settings import Settings

    return Settings()


@contextmanager
def open_register(cfg: Settings | None = None) -> Iterator[Register]:
    """Open (and migrate) the configured database for the length of one command."""
    from landrelease.services import register as registers

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
