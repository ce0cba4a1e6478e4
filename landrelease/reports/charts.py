"""The report's charts, drawn with Matplotlib (Agg, no pyplot state) as inline SVG data URIs.

Each function takes plain figures and returns a :class:`Chart`; an empty series gives a
chart that says so in words, never a blank frame.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from landrelease.services.report_data import METHODS, ForecastView, MonthlyReport, PlanProgress

METHOD_COLOURS = {"cancelled": "#c7e9c0", "reduced": "#74c476", "cleared": "#238b45"}
METHOD_LABELS = {"cancelled": "cancelled (NTS)", "reduced": "reduced (TS)", "cleared": "cleared"}
INK = "#222222"
MUTED = "#777777"
PLAN = "#bdbdbd"
DONE = "#2171b5"

_STYLE: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "landrelease",  # stable ids: the same data gives the same file
}


@dataclass(frozen=True, slots=True)
class Chart:
    """A rendered chart: its title, an ``<img>``-ready data URI and a text alternative."""

    key: str
    title: str
    data_uri: str
    alt: str


def _unit(max_m2: float) -> tuple[str, float]:
    """km² for land-scale figures, m² when everything is below 0.05 km²."""
    return ("km²", 1e6) if max_m2 >= 5e4 else ("m²", 1.0)


def _axis(unit: str) -> FuncFormatter:
    return FuncFormatter(lambda v, _: f"{v:,.0f}" if unit == "m²" or v >= 100 else f"{v:,.2f}".rstrip("0").rstrip("."))


def _fmt(value: float, unit: str) -> str:
    if unit == "km²":
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,.0f}"


def _svg(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _empty(ax: Axes, message: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.text(0.5, 0.5, message, ha="center", va="center", color=MUTED, transform=ax.transAxes, wrap=True)


def _figure(width_cm: float = 17.0, height_cm: float = 7.0) -> Figure:
    """A figure on its own Agg canvas (no pyplot, no global backend state)."""
    fig = Figure(figsize=(width_cm / 2.54, height_cm / 2.54), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def released_by_month(months: Sequence[tuple[str, dict[str, float]]], title: str) -> Chart:
    """Stacked bars: released land per month, split by method (cancelled / reduced / cleared)."""
    with rc_context(_STYLE):
        fig = _figure()
        ax = fig.add_subplot()
        totals = [sum(v.values()) for _, v in months]
        if not months or max(totals, default=0.0) <= 0:
            _empty(ax, "No land was released in these months.")
        else:
            unit, scale = _unit(max(totals))
            labels = [k for k, _ in months]
            bottom = [0.0] * len(months)
            for m in METHODS:
                values = [v.get(m, 0.0) / scale for _, v in months]
                ax.bar(
                    labels,
                    values,
                    bottom=bottom,
                    color=METHOD_COLOURS[m],
                    label=METHOD_LABELS[m],
                    edgecolor="white",
                    linewidth=0.5,
                )
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
            for x, total in enumerate(bottom):
                if total > 0:
                    ax.annotate(
                        _fmt(total, unit),
                        (x, total),
                        xytext=(0, 2),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=7,
                        color=INK,
                    )
            ax.set_ylabel(f"released, {unit}")
            ax.yaxis.set_major_formatter(_axis(unit))
            ax.set_ylim(0, max(bottom) * 1.3)  # room for the legend above the bars
            ax.tick_params(axis="x", labelrotation=45)
            for lab in ax.get_xticklabels():
                lab.set_horizontalalignment("right")
            ax.legend(loc="upper left", ncols=3, fontsize=7.5)
        ax.set_title(title)
        uri = _svg(fig)
    alt = "; ".join(f"{k}: {sum(v.values()) / 1e6:.3f} km²" for k, v in months)
    return Chart("released_by_month", title, uri, f"Released land by month and method. {alt}")


def released_by_operator(rows: Sequence[tuple[str, float, float]], title: str) -> Chart:
    """Horizontal bars per operator: released in the period and to date (rows in km²)."""
    with rc_context(_STYLE):
        fig = _figure(height_cm=max(4.5, 1.2 + 0.9 * len(rows)))
        ax = fig.add_subplot()
        if not rows or max(r[2] for r in rows) <= 0:
            _empty(ax, "No land has been released yet.")
        else:
            unit, scale = _unit(max(r[2] for r in rows) * 1e6)
            names = [r[0] for r in rows][::-1]
            to_date = [r[2] * 1e6 / scale for r in rows][::-1]
            period = [r[1] * 1e6 / scale for r in rows][::-1]
            y = list(range(len(rows)))
            ax.barh([v + 0.2 for v in y], to_date, height=0.4, color=METHOD_COLOURS["reduced"], label="to date")
            ax.barh([v - 0.2 for v in y], period, height=0.4, color=METHOD_COLOURS["cleared"], label="this month")
            for yy, v in zip(y, to_date, strict=True):
                ax.annotate(
                    _fmt(v, unit), (v, yy + 0.2), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7
                )
            for yy, v in zip(y, period, strict=True):
                ax.annotate(
                    _fmt(v, unit), (v, yy - 0.2), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7
                )
            ax.set_yticks(y, names)
            ax.set_xlabel(f"released, {unit}")
            ax.xaxis.set_major_formatter(_axis(unit))
            ax.set_xlim(0, max(to_date) * 1.18)
            ax.legend(loc="lower right", fontsize=7.5)
        ax.set_title(title)
        uri = _svg(fig)
    alt = "; ".join(f"{r[0]}: {r[1]:.3f} km² this month, {r[2]:.3f} km² to date" for r in rows)
    return Chart("released_by_operator", title, uri, f"Released land by operator. {alt}")


def finds_by_type(period: dict[str, int], to_date: dict[str, int], title: str) -> Chart:
    """Bars per EO type: items found in the period and to date."""
    with rc_context(_STYLE):
        fig = _figure(width_cm=8.2, height_cm=6.5)
        ax = fig.add_subplot()
        kinds = list(to_date) or list(period)
        if not kinds:
            _empty(ax, "No explosive ordnance\nhas been recorded as found.")
        else:
            x = list(range(len(kinds)))
            a = [to_date.get(k, 0) for k in kinds]
            b = [period.get(k, 0) for k in kinds]
            ax.bar([v - 0.2 for v in x], a, width=0.4, color="#fdae6b", label="to date")
            ax.bar([v + 0.2 for v in x], b, width=0.4, color="#d94801", label="this month")
            for xx, v in zip(x, a, strict=True):
                ax.annotate(f"{v:,}", (xx - 0.2, v), xytext=(0, 2), textcoords="offset points", ha="center", fontsize=7)
            for xx, v in zip(x, b, strict=True):
                ax.annotate(f"{v:,}", (xx + 0.2, v), xytext=(0, 2), textcoords="offset points", ha="center", fontsize=7)
            ax.set_xticks(x, [k.replace("_", " ") for k in kinds])
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel("items")
            ax.set_ylim(0, max(a + b) * 1.2 + 1)
            ax.legend(loc="upper right", fontsize=7.5)
        ax.set_title(title)
        uri = _svg(fig)
    alt = "; ".join(f"{k}: {period.get(k, 0)} this month, {to_date.get(k, 0)} to date" for k in kinds)
    return Chart("finds_by_type", title, uri, f"Items found by type. {alt}")


def progress_against_plan(plan: PlanProgress | None, title: str) -> Chart:
    """Planned m² (tasks pro-rated over their planned days) against m² processed in daily reports."""
    with rc_context(_STYLE):
        fig = _figure(width_cm=8.6, height_cm=6.5)
        ax = fig.add_subplot()
        shown = ([*plan.months[-6:], plan.next_month] if plan.next_month else plan.months[-6:]) if plan else []
        if plan is None or not any(m.planned_m2 or m.processed_m2 for m in shown):
            if plan is not None and plan.tasks_total and plan.plan_start is not None:
                message = (
                    f"The stored plan ({plan.tasks_total:,} tasks)\nruns from {plan.plan_start:%d %b %Y}"
                    f" to {plan.plan_end:%d %b %Y};\nno daily reports in these months."
                )
            else:
                message = "No plan and no daily reports\nfor these months."
            _empty(ax, message)
            alt = message.replace("\n", " ")
        else:
            months = shown
            ahead = plan.next_month.period if plan.next_month else None
            top = max(max(m.planned_m2, m.processed_m2) for m in months)
            unit, scale = _unit(top)
            x = list(range(len(months)))
            ax.bar(
                [v - 0.2 for v in x],
                [m.planned_m2 / scale for m in months],
                width=0.4,
                color=PLAN,
                label="planned",
                hatch="///",
                edgecolor="white",
                linewidth=0,
            )
            ax.bar(
                [v + 0.2 for v in x],
                [m.processed_m2 / scale for m in months],
                width=0.4,
                color=DONE,
                label="processed (daily reports)",
            )
            for xx, m in zip(x, months, strict=True):
                if m.planned_m2 > 0 and m.period != ahead:
                    ax.annotate(
                        f"{m.processed_m2 / m.planned_m2:.0%}",
                        (xx, max(m.planned_m2, m.processed_m2) / scale),
                        xytext=(0, 3),
                        textcoords="offset points",
                        ha="center",
                        fontsize=7,
                        color=INK,
                    )
            ax.set_xticks(
                x, [m.period.start.strftime("%b\n%Y") + ("\n(plan)" if m.period == ahead else "") for m in months]
            )
            ax.set_ylabel(f"area, {unit}")
            ax.yaxis.set_major_formatter(_axis(unit))
            ax.set_ylim(0, top / scale * 1.3)
            ax.legend(loc="upper left", fontsize=7, ncols=2)
            alt = "; ".join(
                f"{m.period.key}: planned {m.planned_m2:,.0f} m², processed {m.processed_m2:,.0f} m²" for m in months
            )
        ax.set_title(title)
        uri = _svg(fig)
    return Chart("progress_against_plan", title, uri, f"Progress against plan. {alt}")


def burn_down(view: ForecastView, title: str) -> Chart:
    """Open land over time as the forecast sees it: the P50 line inside its P10–P90 band."""
    with rc_context(_STYLE):
        fig = _figure(height_cm=7.0)
        ax = fig.add_subplot()
        days = np.asarray(view.dates, dtype="datetime64[D]")
        ax.fill_between(days, view.p10_km2, view.p90_km2, color=DONE, alpha=0.22, linewidth=0, label="P10–P90")
        ax.plot(days, view.p90_km2, color=DONE, linewidth=0.6, alpha=0.7)
        ax.plot(days, view.p10_km2, color=DONE, linewidth=0.6, alpha=0.7)
        ax.plot(days, view.p50_km2, color=DONE, linewidth=1.8, label="P50 (median)")
        for key, style in (("P50", "--"),):
            when = view.finish.get(key)
            if when is not None and view.dates and view.dates[0] <= when <= view.dates[-1]:
                ax.axvline(float(date2num(when)), color=INK, linestyle=style, linewidth=0.8)
                ax.annotate(
                    f"all released ({key}) {when:%b %Y}",
                    (np.datetime64(when, "D"), 0),
                    xytext=(3, 4),
                    textcoords="offset points",
                    fontsize=7,
                    color=INK,
                    rotation=90,
                    va="bottom",
                )
        ax.set_ylabel("open land, km²")
        ax.set_ylim(bottom=0)
        ax.set_xlim(days[0], days[-1])
        digits = 0 if max(view.p90_km2, default=0.0) >= 10 else 1
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.{digits}f}"))
        ax.legend(loc="upper right", fontsize=7.5)
        ax.set_title(title)
        uri = _svg(fig)
    finish = ", ".join(f"{k} {v:%B %Y}" if v else f"{k} beyond the horizon" for k, v in view.finish.items())
    return Chart("burn_down", title, uri, f"Forecast burn-down of open land. All released: {finish}.")


def all_charts(report: MonthlyReport) -> dict[str, Chart]:
    """Every chart of the report, by key."""
    series = report.monthly_by_method()
    while len(series) > 6 and sum(series[0][1].values()) == 0:  # no empty year before the first release
        series = series[1:]
    months = [(p.start.strftime("%b %Y"), v) for p, v in series]
    charts = [
        released_by_month(months, "Released land by month and method"),
        released_by_operator(report.operator_table(), "Released land by operator"),
        finds_by_type(
            report.finds_by_type(report.finds_in_period), report.finds_by_type(report.finds), "Items found by type"
        ),
        progress_against_plan(report.plan, "Progress against plan"),
    ]
    if report.forecast is not None:
        charts.append(burn_down(report.forecast, "Forecast: open land remaining"))
    return {c.key: c for c in charts}
