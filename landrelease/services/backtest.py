"""Backtest: forecast a published programme from its start with its published capacity, and
compare each year's published release with the forecast's band (no register involved)."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Literal

from landrelease.domain.errors import Problem, ValidationError
from landrelease.planning.backtest import (
    DEFAULT_RUNS,
    PUBLISHED,
    BacktestResult,
    BacktestSummary,
    backtest,
    others_prior,
)
from landrelease.planning.programme import Programme, parse_programme

__all__ = [
    "DEFAULT_RUNS",
    "BacktestResult",
    "BacktestSummary",
    "backtest_programme",
    "backtest_programmes",
    "read_programme",
    "shipped_programmes",
]


def read_programme(path: Path) -> Programme:
    """A programme file, checked (refused naming the file when it is missing or wrong)."""
    if not path.is_file():
        raise ValidationError(
            [Problem("no such file", source=str(path), expected="a programme file (.yaml)")], "programme refused"
        )
    return parse_programme(path.read_text(encoding="utf-8"), str(path))


PriorName = Literal["others", "published"]


def shipped_programmes() -> list[Programme]:
    """The programme files shipped in ``landrelease/samples/programmes`` (sorted by file name)."""
    folder = resources.files("landrelease") / "samples" / "programmes"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    return [parse_programme(f.read_text(encoding="utf-8"), f.name) for f in files]


def backtest_programme(
    programme: Programme,
    *,
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
    prior: PriorName = "others",
    others: Sequence[Programme] | None = None,
) -> BacktestResult:
    """The programme's years: published km² against the forecast's P10/P50/P90. ``prior``
    "others" (leave-one-out): the prior comes from ``others`` (default the shipped programmes),
    the held-out programme excluded; "published": the published per-unit priors."""
    if prior == "published":
        return backtest(programme, runs=runs, seed=seed, prior=PUBLISHED)
    pool = shipped_programmes() if others is None else list(others)
    return backtest(programme, runs=runs, seed=seed, prior=others_prior(pool, programme.programme))


def backtest_programmes(
    programmes: Sequence[Programme],
    *,
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
    prior: PriorName = "others",
    others: Sequence[Programme] | None = None,
) -> BacktestSummary:
    """Every programme backtested; coverage and sharpness pooled over all their scored years.
    Leave-one-out priors come from ``others`` (default: the shipped programmes)."""
    pool = shipped_programmes() if others is None else list(others)
    return BacktestSummary([backtest_programme(p, runs=runs, seed=seed, prior=prior, others=pool) for p in programmes])
