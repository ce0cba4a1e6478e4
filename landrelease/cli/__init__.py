"""Command-line interface: one module a group of commands, all on one typer app."""

from __future__ import annotations

from landrelease.cli import (  # noqa: F401
    audit,
    backtest,
    demo,
    engine,
    field,
    io,
    model,
    plan,
    register,
    report,
    returns,
    web,
)
from landrelease.cli.app import app, err_console
from landrelease.domain.errors import ConfigurationError


def main() -> None:
    """Run the command line; a configuration error is one line on stderr and exit 2."""
    try:
        app()
    except ConfigurationError as exc:
        err_console.print(f"[bold red]configuration error[/]: {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
