"""The command line starts light: importing it (what ``landrelease --help`` does) loads none of
the heavy libraries, which the commands import when they run; and the start-up benchmark runs."""

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
        "import landrelease.cli.app\n"
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
