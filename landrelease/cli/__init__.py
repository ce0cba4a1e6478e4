"""Command-line interface: one module a group of commands, all on one typer app.

``main`` (the ``landrelease`` script) imports no command module up front: the root group
(landrelease/cli/lazy.py) imports a command's module when that command runs or shows its help.
``from landrelease.cli import app`` gives the typer app with every command registered.
"""

from __future__ import annotations

from typing import Any

from landrelease.cli.base import app as _app
from landrelease.cli.base import err_console
from landrelease.domain.errors import ConfigurationError

__all__ = ["app", "err_console", "main"]


def __getattr__(name: str) -> Any:
    """``app``: the typer app with every command module imported (tests, ``typer.main.get_command``)."""
    if name == "app":
        from landrelease.cli.lazy import load_all

        load_all()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Run the command line; a configuration error is one line on stderr and exit 2."""
    from landrelease.cli.lazy import import_rich_help

    import_rich_help()
    try:
        _app()
    except ConfigurationError as exc:
        err_console.print(f"[bold red]configuration error[/]: {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
