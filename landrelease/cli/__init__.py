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
        from landrelease.cli.lazy import MODULES

        for module in MODULES:
            load_commands(module)
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_commands(module: str) -> None:
    """Import one command module (which registers its commands on the app); plain imports, so the
    architecture test sees every edge."""
    if module == "audit":
        from landrelease.cli import audit  # noqa: F401
    elif module == "backtest":
        from landrelease.cli import backtest  # noqa: F401
    elif module == "demo":
        from landrelease.cli import demo  # noqa: F401
    elif module == "engine":
        from landrelease.cli import engine  # noqa: F401
    elif module == "field":
        from landrelease.cli import field  # noqa: F401
    elif module == "io":
        from landrelease.cli import io  # noqa: F401
    elif module == "model":
        from landrelease.cli import model  # noqa: F401
    elif module == "plan":
        from landrelease.cli import plan  # noqa: F401
    elif module == "register":
        from landrelease.cli import register  # noqa: F401
    elif module == "report":
        from landrelease.cli import report  # noqa: F401
    elif module == "returns":
        from landrelease.cli import returns  # noqa: F401
    elif module == "web":
        from landrelease.cli import web  # noqa: F401
    else:
        raise LookupError(f"no command module landrelease.cli.{module}")


def main() -> None:
    """Run the command line; a configuration error is one line on stderr and exit 2."""
    from landrelease.cli.lazy import import_rich_help

    import_rich_help()
    try:
        _app()
    except ConfigurationError as exc:
        err_console.print(f"[bold red]configuration error[/]: {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
