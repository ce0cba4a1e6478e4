"""Backtest: forecast a published programme from its start with its published capacity, and
compare each year's published release with the forecast's band (no register involved)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from landrelease.domain.errors import Problem, ValidationError
from landrelease.planning.backtest import DEFAULT_RUNS, BacktestResult, BacktestSummary, backtest
from landrelease.planning.programme import Programme, parse_programme

__all__ = [
    "DEFAULT_RUNS",
    "BacktestResult",
    "BacktestSummary",
    "backtest_programme",
    "backtest_programmes",
    "read_programme",
]


def read_programme(path: Path) -> Programme:
    """A programme file, checked (refused naming the file when it is missing or wrong)."""
    if not path.is_file():
        raise ValidationError(
            [Problem("no such file", source=str(path), expected="a programme file (.yaml)")], "programme refused"
        )
    return parse_programme(path.read_text(encoding="utf-8"), str(path))


def backtest_programme(programme: Programme, *, runs: int = DEFAULT_RUNS, seed: int = 0) -> BacktestResult:
    """The programme's years: published km² against the forecast's P10/P50/P90."""
    return backtest(programme, runs=runs, seed=seed)


def backtest_programmes(programmes: Sequence[Programme], *, runs: int = DEFAULT_RUNS, seed: int = 0) -> BacktestSummary:
    """Every programme backtested; coverage and sharpness pooled over all their scored years."""
    return BacktestSummary([backtest_programme(p, runs=runs, seed=seed) for p in programmes])
