"""Charts of the engine's results (matplotlib, Agg backend): burn-down, comparison, calibration.

The format follows the file name: ``.png`` or ``.svg`` (or ``.pdf``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from landrelease.domain.enums import AssetType
from landrelease.domain.errors import Problem, ValidationError
from landrelease.model.productivity import LEVELS, Calibration
from landrelease.planning.forecast import METHODS, ForecastResult

FORMATS = (".png", ".svg", ".pdf")
METHOD_COLOURS = {"cancelled": "#4daf4a", "reduced": "#377eb8", "cleared": "#e41a1c"}


def check_chart_path(path: Path) -> None:
    """Refuse a chart file name whose format we cannot write, before any work is done."""
    if path.suffix.lower() not in FORMATS:
        raise ValidationError(
            [Problem("unknown chart format", field="--chart", found=path.name, expected=" or ".join(FORMATS))],
            "chart refused",
        )


def _save(fig: Figure, path: Path) -> Path:
    check_chart_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def _month_axis(result: ForecastResult) -> np.ndarray:
    return np.arange(result.months + 1) / 12.0 + result.start.year + (result.start.timetuple().tm_yday - 1) / 365.25


def burn_down_chart(result: ForecastResult, path: Path) -> Path:
    """Remaining suspected km² with its P10–P90 band, and km² released per month by method."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    x = _month_axis(result)
    burn = result.burn_down_km2()
    top.fill_between(x, burn[0], burn[2], alpha=0.3, color="#444", label="P10–P90")
    top.plot(x, burn[1], color="black", label="P50")
    top.set_ylabel("suspected area remaining (km²)")
    top.set_title(f"Land-release forecast: {result.name} ({result.runs} runs, seed {result.seed})")
    top.set_ylim(bottom=0)
    top.grid(alpha=0.3)
    top.legend(loc="upper right")
    monthly = result.monthly_by_method.mean(axis=0) / 1e6  # means add up; monthly medians do not
    bottom_acc = np.zeros(result.months)
    for j, m in enumerate(METHODS):
        bottom.bar(
            x[1:],
            monthly[:, j],
            width=1 / 12,
            bottom=bottom_acc,
            color=METHOD_COLOURS[m.value],
            label=m.value,
            align="edge",
        )
        bottom_acc += monthly[:, j]
    bottom.set_ylabel("released per month (km², mean)")
    bottom.set_xlabel("year")
    bottom.grid(alpha=0.3)
    bottom.legend(loc="upper right")
    return _save(fig, path)


def comparison_chart(results: Sequence[ForecastResult], path: Path) -> Path:
    """Burn-down of several scenarios on one chart, each with its P10–P90 band."""
    fig, ax = plt.subplots(figsize=(9, 5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, r in enumerate(results):
        x = _month_axis(r)
        burn = r.burn_down_km2()
        c = colours[i % len(colours)]
        ax.fill_between(x, burn[0], burn[2], alpha=0.2, color=c)
        ax.plot(x, burn[1], color=c, label=f"{r.name} (P50, band P10–P90)")
    ax.set_ylabel("suspected area remaining (km²)")
    ax.set_xlabel("year")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Scenarios compared")
    return _save(fig, path)


def calibration_chart(calibration: Calibration, path: Path) -> Path:
    """Prior and posterior median rate per asset type × clutter class, with P10–P90 of the median."""
    assets = [a for a in AssetType]
    fig, axes = plt.subplots(1, len(assets), figsize=(3.4 * len(assets), 4.2), sharey=False, layout="constrained")
    z = 1.2816  # P10/P90 of a normal
    for ax, asset in zip(np.atleast_1d(axes), assets, strict=True):
        for i, lv in enumerate(LEVELS):
            e = calibration.estimate(asset, lv)
            for dx, med, sig, colour, label in (
                (-0.12, e.prior_median, e.prior_sigma, "#999", "prior"),
                (0.12, e.posterior_median, e.posterior_sigma, "#d95f02", "posterior"),
            ):
                lo, hi = med * np.exp(-z * sig), med * np.exp(z * sig)
                ax.errorbar(
                    [i + dx],
                    [med],
                    yerr=[[med - lo], [hi - med]],
                    fmt="o",
                    color=colour,
                    capsize=3,
                    label=label if i == 0 else None,
                )
            if e.observed_median is not None:
                ax.plot([i], [e.observed_median], "x", color="black", label="observed" if i == 0 else None)
            ax.annotate(
                f"n={e.n_reports}", (i, e.posterior_median), textcoords="offset points", xytext=(8, 0), fontsize=7
            )
        ax.set_xticks(range(3), [lv.value for lv in LEVELS])
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(-0.5, 2.6)
        ax.set_title(asset.value)
        ax.set_xlabel("metal clutter")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("m² per unit per day")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.suptitle("Productivity: prior and posterior (P10–P90 of the median)")
    return _save(fig, path)
