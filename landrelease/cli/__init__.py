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
from landrelease.cli.app import app


def main() -> None:
    app()
