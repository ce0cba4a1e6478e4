"""A :class:`MonthlyReport` as a self-contained HTML page (Jinja2) or an A4 PDF (WeasyPrint).

The HTML carries its charts (SVG) and map (PNG) inline as data URIs, so one file can be
mailed or opened offline; the PDF is printed from the same HTML with the print stylesheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from landrelease.domain.errors import Problem, ValidationError
from landrelease.reports.charts import METHOD_LABELS, all_charts
from landrelease.reports.mapimage import render_map
from landrelease.services.report_data import METHODS, MonthlyReport

FORMATS = (".html", ".pdf")


def km2(m2: float, digits: int = 3) -> str:
    return f"{m2 / 1e6:,.{digits}f}"


def m2fmt(m2: float) -> str:
    return f"{m2:,.0f}"


def pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole > 0 else "–"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("landrelease.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(km2=km2, m2=m2fmt, pct=pct)
    return env


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    images: int


def context(report: MonthlyReport) -> dict[str, Any]:
    """What the template needs, with every figure computed once here."""
    period_rows = report.released_in_period
    by_method_period = report.by_method(period_rows)
    by_method_total = report.by_method(report.released)
    plan = report.plan
    return {
        "r": report,
        "period_rows": sorted(period_rows, key=lambda r: (r.released_on, r.hazard_code)),
        "methods": [(m, METHOD_LABELS[m], by_method_period.get(m, 0.0), by_method_total.get(m, 0.0)) for m in METHODS],
        "released_period_m2": report.released_period_m2,
        "released_total_m2": report.released_cumulative_m2,
        "operators": report.operator_table(),
        "regions": report.region_table(),
        "land_uses": report.land_use_table(),
        "finds_period": report.finds_by_type(report.finds_in_period),
        "finds_total": report.finds_by_type(report.finds),
        "n_finds_period": len(report.finds_in_period),
        "n_finds_total": len(report.finds),
        "plan": plan,
        "plan_ratio": plan.ratio if plan else None,
        "charts": all_charts(report),
        "map": render_map(report),
        "scale_lo": (report.areal_scale[0] - 1) * 100,
        "scale_hi": (report.areal_scale[1] - 1) * 100,
    }


def render_html(report: MonthlyReport) -> Rendered:
    ctx = context(report)
    html = _environment().get_template("report.html.j2").render(**ctx)
    return Rendered(html, html.count("<img "))


def write_pdf(html: str, out: Path) -> None:
    from weasyprint import HTML  # imported late: it loads Pango, which only the PDF needs

    HTML(string=html, base_url=str(out.parent)).write_pdf(str(out))


def check_output(out: Path) -> Path:
    """Refuse an output path whose suffix is neither .html nor .pdf, or whose folder is missing."""
    problems = []
    if out.suffix.lower() not in FORMATS:
        problems.append(
            Problem(
                "unknown report format", field="out", found=out.name, expected="a file name ending in .html or .pdf"
            )
        )
    if not out.parent.exists():
        problems.append(Problem("folder does not exist", field="out", found=str(out.parent)))
    if problems:
        raise ValidationError(problems, "report output refused")
    return out


def write_report(report: MonthlyReport, out: Path, *, rendered: Rendered | None = None) -> Path:
    """Write the report as HTML or PDF, chosen by the file's suffix."""
    check_output(out)
    rendered = rendered or render_html(report)
    if out.suffix.lower() == ".pdf":
        write_pdf(rendered.html, out)
    else:
        out.write_text(rendered.html, encoding="utf-8")
    return out
