"""Backtest: forecast a published programme from its start with its published capacity, and
compare each year's published release with the forecast's band (no register involved)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

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
    "stored_coverage",
    "summary_record",
    "write_summary",
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


SUMMARY_FILE = "backtest-summary.json"
"""The backtest over the shipped programmes, stored beside them: the dashboard reads it instead
of running a backtest per request. ``landrelease backtest --save`` writes it; a test checks
that it still equals what the backtest measures."""


def summary_record(summary: BacktestSummary, *, runs: int, seed: int, prior: str) -> dict[str, Any]:
    """What is stored: pooled coverage and sharpness, and each programme's, with how it was run."""
    data = summary.as_dict()
    return {
        "coverage": data["coverage"],
        "sharpness": data["sharpness"],
        "years_scored": data["years_scored"],
        "programmes_scored": data["programmes_scored"],
        "runs": runs,
        "seed": seed,
        "prior": prior,
        "programmes": [
            {k: p[k] for k in ("programme", "coverage", "sharpness", "years_scored")} for p in data["programmes"]
        ],
    }


def write_summary(path: Path, record: dict[str, Any]) -> Path:
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def stored_coverage() -> dict[str, Any]:
    """The stored backtest of the shipped programmes (coverage and sharpness of the forecast's
    P10–P90 band against published release), or ``available: false`` when none is stored."""
    f = resources.files("landrelease") / "samples" / "programmes" / SUMMARY_FILE
    if not f.is_file():
        return {"available": False, "message": "not yet computed (landrelease backtest --save)"}
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except ValueError:
        return {"available": False, "message": f"the stored backtest ({SUMMARY_FILE}) is not valid JSON"}
    return {"available": data.get("coverage") is not None, **data}
