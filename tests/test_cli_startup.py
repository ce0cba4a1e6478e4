"""The command line starts light: importing it loads none of the heavy libraries, which the
commands import when they run; ``landrelease --help`` imports no command module and ``landrelease
summary --help`` only its own, neither imports pydantic nor rich.markdown; the help the lazy root
group shows is the help of the commands themselves; and the start-up benchmark runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEAVY = (
    "matplotlib",
    "scipy",
    "ortools",
    "pandas",
    "alembic",
    "geopandas",
    "pyogrio",
    "dask",
    "distributed",
    "sqlalchemy",
    "geoalchemy2",
    "psycopg",
    "fastapi",
    "starlette",
    "uvicorn",
    "weasyprint",
    "shapely",
    "pyproj",
    "numpy",
    "jinja2",
    "PIL",
)


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    code = (
        "import json, sys\n"
        "import landrelease.cli.base\n"
        "import landrelease.cli\n"
        "from landrelease.cli import app\n"
        "import typer.main\n"
        "typer.main.get_command(app)\n"  # every command and its options built, as for --help
        f"print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_help_lists_every_command_and_the_import_columns() -> None:
    env = {**os.environ, "COLUMNS": "200"}
    run = [sys.executable, "-m", "landrelease"]
    top = subprocess.run([*run, "--help"], capture_output=True, text=True, check=True, env=env).stdout
    for command in ("summary", "import", "forecast", "plan", "report", "demo", "serve", "user"):
        assert command in top, command
    imp = subprocess.run([*run, "import", "--help"], capture_output=True, text=True, check=True, env=env).stdout
    assert "hazard-areas" in imp and "Columns are matched by name or alias" in imp


def test_cli_bench_smoke() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "cli_bench.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    ).stdout
    figures = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    for key in ("cli_help_seconds", "summary_help_seconds", "cli_help_cpu_seconds"):
        assert float(figures[key]) > 0, out


# What a help screen must not import: typer's pydantic adapters (built only to coerce option
# values), the Markdown and traceback renderers typer's help module would load, and every command
# module but the one whose help is shown.
HELP_NEVER = ("pydantic", "pydantic_core", "rich.markdown", "markdown_it", "rich.traceback", "pygments")
COMMAND_MODULES = tuple(
    f"landrelease.cli.{p.stem}"
    for p in (ROOT / "landrelease" / "cli").glob("*.py")
    if p.stem not in {"__init__", "__main__", "base", "lazy"}
)


def _modules_after(args: list[str]) -> tuple[str, list[str]]:
    """Help text and the watched modules loaded by ``landrelease *args`` in a fresh process."""
    code = (
        "import atexit, json, sys\n"
        f"watched = {list(HELP_NEVER + HEAVY + COMMAND_MODULES)!r}\n"
        "loaded = lambda: sorted(m for m in watched if m in sys.modules)\n"
        "atexit.register(lambda: sys.stderr.write('MODULES=' + json.dumps(loaded())))\n"
        f"sys.argv = ['landrelease', *{args!r}]\n"
        "from landrelease.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(done.stderr.rsplit("MODULES=", 1)[1])


def test_top_help_imports_no_command_module_nor_pydantic_nor_markdown() -> None:
    out, loaded = _modules_after(["--help"])
    assert "summary" in out and "Usage" in out
    assert loaded == [], loaded


def test_summary_help_imports_only_its_module_and_no_pydantic_nor_markdown() -> None:
    out, loaded = _modules_after(["summary", "--help"])
    assert "--json" in out and "Released km² by method" in out
    assert loaded == ["landrelease.cli.register"], loaded


def test_subgroup_help_checks_no_option_with_pydantic() -> None:
    # Each enclosing group's --help flag is processed (value None) before the command's help.
    out, loaded = _modules_after(["reports", "import", "--help"])
    assert "Usage" in out
    assert loaded == ["landrelease.cli.field"], loaded


def test_the_lazy_listing_is_the_help_of_the_registered_commands() -> None:
    """COMMANDS (what ``--help`` lists without importing) names every command, in the order typer
    lists them, with its module and the first paragraph of its own help; no other command exists."""
    import inspect

    import typer.main

    from landrelease.cli import app
    from landrelease.cli.lazy import COMMANDS

    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    listed = {}
    for name, command in group.commands.items():
        text = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0].strip()
        listed[name] = text
        assert not command.hidden and not command.deprecated, name
        if not isinstance(command, typer.core.TyperGroup):
            assert command.callback is not None
            assert command.callback.__module__ == f"landrelease.cli.{COMMANDS[name][0]}", name
    assert listed == {name: text for name, (_, text) in COMMANDS.items()}  # (other tests may import in any order)
    # In a fresh process, loading the modules in order registers the commands in the listed order.
    code = (
        "import typer.main\n"
        "from landrelease.cli import app\n"
        "from landrelease.cli.lazy import COMMANDS\n"
        "assert list(typer.main.get_command(app).commands) == list(COMMANDS)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_help_through_the_lazy_group_is_the_help_of_the_full_app() -> None:
    """The fast entry point prints the same help as the app with every command loaded."""
    from typer.testing import CliRunner

    from landrelease.cli import app

    runner = CliRunner()
    for args in (
        ["--help"],
        ["summary", "--help"],
        ["reports", "--help"],
        ["import", "--help"],
        ["equipment", "book", "--help"],
    ):
        full = runner.invoke(app, args, env={"COLUMNS": "200"}, terminal_width=200)
        assert full.exit_code == 0, full.output
        fast, _ = _modules_after(args)
        assert fast == full.output, args


def test_a_mistyped_command_is_refused_with_a_suggestion() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "landrelease", "summry"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 2 and "No such command 'summry'" in done.stderr and "'summary'" in done.stderr


def test_typer_help_renderer_keeps_markdown_and_tracebacks_working() -> None:
    """The stand-ins used while typer.rich_utils loads give the real rich classes when used."""
    code = (
        "import sys\n"
        "from landrelease.cli.lazy import import_rich_help\n"
        "import_rich_help()\n"
        "import typer.rich_utils as r\n"
        "assert 'rich.markdown' not in sys.modules and 'rich.traceback' not in sys.modules\n"
        "import rich.markdown, rich.traceback\n"
        "assert type(r._make_rich_text(text='**x**', style='', markup_mode='markdown')) is rich.markdown.Markdown\n"
        "assert type(r.Traceback.from_exception(ValueError, ValueError('x'), None)) is rich.traceback.Traceback\n"
        "assert rich.markdown.Markdown.__module__ == 'rich.markdown'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
