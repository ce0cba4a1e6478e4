"""The monthly report: its figures agree with the register, it refuses bad input, and a person
looking at the PDF sees a map and charts."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import box
from sqlalchemy import select, update
from typer.testing import CliRunner

from landrelease.domain.enums import ActivityKind, EOType, HazardStatus, ReleaseMethod
from landrelease.domain.errors import ValidationError
from landrelease.domain.geometry import areas_m2
from landrelease.domain.task import DailyReport
from landrelease.reports import Period, gather, latest_period, parse_period
from landrelease.reports.render import render_html, write_report
from landrelease.samples import generate
from landrelease.storage import schema
from landrelease.storage.repository import Register, hazard_from_row

MONTHS = [Period(2026, 8), Period(2026, 9), Period(2026, 10)]
KINDS = [ActivityKind.NTS, ActivityKind.TS, ActivityKind.CLEARANCE]
METHOD = {
    ActivityKind.NTS: ReleaseMethod.CANCELLED,
    ActivityKind.TS: ReleaseMethod.REDUCED,
    ActivityKind.CLEARANCE: ReleaseMethod.CLEARED,
}
STATUS = {
    ReleaseMethod.CANCELLED: HazardStatus.CANCELLED,
    ReleaseMethod.REDUCED: HazardStatus.REDUCED,
    ReleaseMethod.CLEARED: HazardStatus.CLEARED,
}


def _split(geom: shapely.Geometry, frac: float) -> tuple[shapely.Geometry, shapely.Geometry]:
    """The western ``frac`` of a polygon and the rest."""
    minx, miny, maxx, maxy = geom.bounds
    cut = minx + (maxx - minx) * frac
    west = shapely.intersection(geom, box(minx - 1, miny - 1, cut, maxy + 1))
    east = shapely.intersection(geom, box(cut, miny - 1, maxx + 1, maxy + 1))
    return west, east


def record_sample_activities(register: Register, n_areas: int = 60, seed: int = 5) -> None:
    """A register with three months of land release, written straight into the storage tables:
    whole areas cancelled or cleared, others partly reduced (the parent superseded, its remainder
    a new open record), finds in cleared land, tasks and daily reports."""
    sc = generate(n_areas, seed=seed)
    rng = np.random.default_rng(seed)
    with register.unit_of_work(actor="test") as uow:
        uow.add_hazard_areas(sc.hazard_areas)
        uow.add_settlements(sc.settlements)
        uow.add_teams(sc.teams)
    ops = ["National Agency", "Operator A", "Operator B"]
    h, a, rp, fd = schema.hazard_area, schema.activity, schema.released_part, schema.find
    now = datetime.now(UTC)
    with register.unit_of_work(actor="test") as uow:
        rows = uow.conn.execute(select(h.c.id, h.c.code, h.c.geometry).order_by(h.c.id)).all()
        k = 0
        for month in MONTHS:
            for _ in range(6):
                hid, code, geom = rows[k]
                k += 1
                kind = KINDS[k % 3]
                method = METHOD[kind]
                day = month.start + timedelta(days=int(rng.integers(0, month.days)))
                op = ops[k % 3]
                aid = uow.conn.execute(
                    a.insert().values(
                        code=f"ACT-{k:04d}",
                        hazard_id=hid,
                        kind=kind.value,
                        team_code=None,
                        operator=op,
                        start_date=day - timedelta(days=3),
                        end_date=day,
                        area_processed_m2=0.0,
                        status="completed",
                        created_at=now,
                    )
                ).inserted_primary_key[0]
                partial = k % 2 == 0
                if partial:
                    part, rest = _split(geom, 0.5)
                else:
                    part, rest = geom, None
                b = part.bounds
                uow.conn.execute(
                    rp.insert().values(
                        activity_id=aid,
                        hazard_id=hid,
                        method=method.value,
                        geometry=part,
                        minx=b[0],
                        miny=b[1],
                        maxx=b[2],
                        maxy=b[3],
                        area_m2=float(areas_m2([part])[0]),
                        released_on=day,
                    )
                )
                if kind is ActivityKind.CLEARANCE:
                    for j in range(1 + k % 3):
                        p = part.representative_point() if j == 0 else part.centroid
                        uow.conn.execute(
                            fd.insert().values(
                                activity_id=aid,
                                eo_type=(EOType.AP_MINE if j < 2 else EOType.UXO).value,
                                geometry=p,
                                depth_cm=10.0,
                            )
                        )
                if partial and rest is not None and not rest.is_empty:
                    uow.conn.execute(update(h).where(h.c.id == hid).values(status=HazardStatus.SUPERSEDED.value))
                    child = hazard_from_row(uow.conn.execute(select(h).where(h.c.id == hid)).one())
                    child.code, child.geometry, child.parent_id = f"{code}-R", rest, hid
                    child.status, child.id = HazardStatus.OPEN, None
                    uow.add_hazard_areas([child])
                else:
                    uow.conn.execute(update(h).where(h.c.id == hid).values(status=STATUS[method].value))
        # a plan: one task per month, and daily reports
        for i, month in enumerate([*MONTHS, MONTHS[-1].shift(1)]):  # the plan reaches a month ahead
            hid = rows[k + i][0]
            uow.conn.execute(
                schema.task.insert().values(
                    code=f"T-{i}",
                    hazard_id=hid,
                    method="clearance",
                    area_m2=30_000.0,
                    team_code="MAN-0001",
                    planned_start=month.start,
                    planned_end=month.end - timedelta(days=1),
                )
            )
        uow.add_daily_reports(
            [
                DailyReport(
                    uuid=f"00000000-0000-0000-0000-{i:012d}",
                    team="MAN-0001",
                    date=date(2026, 10, 1 + i),
                    m2_processed=1000.0,
                    finds=0,
                )
                for i in range(20)
            ]
        )


@pytest.fixture
def sample_register(register: Register) -> Register:
    record_sample_activities(register)
    return register


def _independent_released_m2(register: Register, period: Period, *, measured: bool = False) -> float:
    """The released parts of a month straight from the table: their stored areas, or (``measured``)
    their polygons measured again in one UTM zone."""
    rp = schema.released_part
    with register.reading() as conn:
        rows = conn.execute(
            select(rp.c.geometry, rp.c.area_m2).where(rp.c.released_on >= period.start, rp.c.released_on < period.end)
        ).all()
    if measured:
        return float(areas_m2([r.geometry for r in rows]).sum())
    return float(sum(r.area_m2 for r in rows))


# ---------------------------------------------------------------- the period


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026/10", "Oct 2026", "2026-1", "", "26-10", "0999-05"])
def test_bad_period_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_period(text)
    assert "field 'period'" in str(err.value)


def test_period_arithmetic() -> None:
    p = parse_period(" 2026-12 ")
    assert (p.start, p.end, p.days) == (date(2026, 12, 1), date(2027, 1, 1), 31)
    assert p.shift(1) == Period(2027, 1) and p.shift(-12) == Period(2025, 12)
    assert [q.key for q in Period(2026, 2).trailing(3)] == ["2025-12", "2026-01", "2026-02"]
    assert Period(2028, 2).days == 29


# ---------------------------------------------------------------- the figures


def test_report_figures_agree_with_the_register(sample_register: Register) -> None:
    period = Period(2026, 10)
    assert latest_period(sample_register) == period
    report = gather(sample_register, period, with_forecast=False)
    expected = _independent_released_m2(sample_register, period)
    assert expected > 0
    assert report.released_period_m2 == pytest.approx(expected, rel=1e-12)  # the stored areas, as the summary
    assert report.released_period_m2 == pytest.approx(
        _independent_released_m2(sample_register, period, measured=True), rel=1e-3
    )
    assert len(report.released_in_period) == 6
    to_date = sum(_independent_released_m2(sample_register, p) for p in MONTHS)
    assert report.released_cumulative_m2 == pytest.approx(to_date, rel=1e-9)
    by_method = report.by_method(report.released_in_period)
    assert sum(by_method.values()) == pytest.approx(expected, rel=1e-12)
    assert set(by_method) == {"cancelled", "reduced", "cleared"} and all(v > 0 for v in by_method.values())
    # open land: open records only (superseded parents and released areas are not counted)
    h = schema.hazard_area
    with sample_register.reading() as conn:
        open_rows = conn.execute(select(h.c.geometry, h.c.area_m2).where(h.c.status.in_(["open"]))).all()
    assert report.open_m2 == pytest.approx(sum(r.area_m2 for r in open_rows), rel=1e-12)
    assert report.open_m2 == pytest.approx(float(areas_m2([r.geometry for r in open_rows]).sum()), rel=1e-3)
    # finds in October: clearance activities only
    assert sum(report.finds_by_type(report.finds_in_period).values()) == len(report.finds_in_period) > 0
    assert report.plan is not None
    oct_plan = report.plan.current
    assert oct_plan.planned_m2 == pytest.approx(30_000.0)  # the October task lies wholly in October
    assert oct_plan.processed_m2 == pytest.approx(20_000.0)
    assert oct_plan.team_days == 20
    assert report.plan.ratio == pytest.approx(2 / 3)
    assert report.plan.next_month is not None and report.plan.tasks_next_month == 1
    assert report.plan.next_month.planned_m2 == pytest.approx(30_000.0)
    assert [n for n in report.quality if n.source == "report"] == []  # the fixture's releases are clean

    html = render_html(report).html
    stated = re.search(r'id="released-period-km2" data-m2="([0-9.]+)">([0-9.,]+)<', html)
    assert stated is not None
    assert float(stated.group(1)) == pytest.approx(expected, abs=1e-3)
    assert stated.group(2) == f"{expected / 1e6:,.3f}"
    assert f"{expected:,.0f}" in html  # the table of released areas sums to the same m²
    assert "Not yet computed" in html  # no forecast was asked for


def test_report_on_an_empty_month_says_so(sample_register: Register) -> None:
    report = gather(sample_register, Period(2025, 1), with_forecast=False)
    assert report.released_period_m2 == 0 and report.released_cumulative_m2 == 0
    html = render_html(report).html
    assert "No activity and no released land are recorded" in html
    # the month chart is drawn (its message is in the picture) and its text alternative says
    # that every month shown released nothing
    chart = re.search(r'id="chart-released_by_month" src="data:image/svg\+xml;base64,[^"]+" alt="([^"]*)"', html)
    assert chart is not None, "the released-by-month chart is missing"
    months = re.findall(r"(\w{3} \d{4}): ([0-9.]+) km²", chart.group(1))
    assert len(months) == 6 and months[-1][0] == "Jan 2025" and {v for _, v in months} == {"0.000"}, chart.group(1)
    stated = re.search(r'id="released-period-km2" data-m2="([0-9.]+)"', html)
    assert stated is not None and float(stated.group(1)) == 0.0


def test_quality_notes_flag_overlaps_and_bad_stored_areas(sqlite_url: str) -> None:
    register = Register.open(sqlite_url)
    try:
        record_sample_activities(register, n_areas=40, seed=9)
        rp = schema.released_part
        with register.unit_of_work() as uow:
            first = uow.conn.execute(select(rp).order_by(rp.c.id).limit(1)).one()
            values = {c: getattr(first, c) for c in first._fields if c != "id"}
            values["area_m2"] = first.area_m2 * 2  # a duplicate part, with a wrong stored area
            uow.conn.execute(rp.insert().values(**values))
        report = gather(register, Period.of(first.released_on), with_forecast=False)
        messages = " ".join(n.message for n in report.quality)
        assert "overlap" in messages and "stored area" in messages
        html = render_html(report).html
        assert "overlap" in html
    finally:
        register.close()


# ---------------------------------------------------------------- HTML, PDF and what a person sees


def test_cli_writes_html_and_refuses_bad_input(tmp_path: Path, sqlite_url: str, monkeypatch) -> None:
    from landrelease.cli import app
    from landrelease.cli import report as _report  # noqa: F401 - registers the command

    register = Register.open(sqlite_url)
    record_sample_activities(register, n_areas=40, seed=3)
    register.close()
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    out = tmp_path / "report.html"
    ok = runner.invoke(app, ["report", "--period", "2026-10", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    html = out.read_text()
    assert html.count("<img ") >= 5 and 'id="map-image"' in html
    pdf = tmp_path / "latest.html"
    latest = runner.invoke(app, ["report", "--out", str(pdf)])  # no period: the latest month with activity
    assert latest.exit_code == 0, latest.output
    assert "October 2026" in latest.output and "<title>Land release report · October 2026</title>" in pdf.read_text()
    bad = runner.invoke(app, ["report", "--period", "2026-13", "--out", str(out)])
    assert bad.exit_code != 0 and "period" in bad.output and "Traceback" not in bad.output
    bad = runner.invoke(app, ["report", "--period", "2026-10", "--out", str(tmp_path / "report.docx")])
    assert bad.exit_code != 0 and "'out'" in bad.output
    bad = runner.invoke(app, ["report", "--period", "2026-10", "--out", str(tmp_path / "missing" / "r.pdf")])
    assert bad.exit_code != 0 and "folder does not exist" in bad.output and "Traceback" not in bad.output


def test_pdf_shows_the_map_and_the_charts(tmp_path: Path, sqlite_url: str, pdftoppm: str) -> None:
    from PIL import Image

    register = Register.open(sqlite_url)
    try:
        record_sample_activities(register)
        report = gather(register, Period(2026, 10))
    finally:
        register.close()
    rendered = render_html(report)
    assert rendered.images >= 5  # map + four charts
    pdf = write_report(report, tmp_path / "report.pdf", rendered=rendered)
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run([pdftoppm, "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3

    def ink(path: Path, top: float, bottom: float) -> dict[str, float]:
        """Shares of non-white, red (open hazard areas) and green (released land) pixels in a band of a page."""
        img = np.asarray(Image.open(path).convert("RGB"), dtype=int)
        band = img[int(top * img.shape[0]) : int(bottom * img.shape[0])]
        r, g, b = band[..., 0], band[..., 1], band[..., 2]
        return {
            "non_white": float((band.min(axis=2) < 235).mean()),
            "red": float(((r > 180) & (g < 120) & (b < 100)).mean()),
            "green": float(((g > r + 30) & (g > b + 20)).mean()),
        }

    # page 2 is the map page: its upper part shows open areas in red and released land in green
    seen = ink(pages[1], 0.12, 0.70)
    assert seen["non_white"] > 0.06 and seen["red"] > 0.015 and seen["green"] > 0.003, seen
    # page 3 holds the charts: the stacked bars and the operator bars are green
    seen = ink(pages[2], 0.08, 0.95)
    assert seen["non_white"] > 0.05 and seen["green"] > 0.01, seen
    # a page of tables (the last) has no map colours: the measure tells a map from text
    seen = ink(pages[-1], 0.08, 0.95)
    assert seen["red"] < 0.002, seen


def test_demo_step_writes_both_files_for_the_latest_month(tmp_path: Path, sqlite_url: str) -> None:
    import io

    from rich.console import Console

    from landrelease.cli.report import demo_step

    register = Register.open(sqlite_url)
    try:
        record_sample_activities(register, n_areas=40, seed=4)
        buf = io.StringIO()
        out = demo_step(register, Console(file=buf, width=200), tmp_path / "demo-output")
    finally:
        register.close()
    assert out["period"] == "2026-10"
    assert out["html"].read_text().count("<img ") >= 5
    assert out["pdf"].read_bytes().startswith(b"%PDF")
    assert str(out["pdf"]) in buf.getvalue() and str(out["html"]) in buf.getvalue()
    assert out["released_km2"] > 0


def test_latest_period_ignores_future_dates(register: Register) -> None:
    assert latest_period(register) is None
    record_sample_activities(register, n_areas=30, seed=2)
    assert latest_period(register, today=date(2026, 9, 15)) == Period(2026, 9)
    assert latest_period(register, today=date(2027, 3, 1)) == Period(2026, 10)


def test_report_agrees_with_activities_recorded_through_the_register(register: Register) -> None:
    """The path the demo takes: sample activities recorded by ``UnitOfWork.record_activity``."""
    from landrelease.samples.activities import sample_activities

    sc = generate(80, seed=21)
    with register.unit_of_work() as uow:
        uow.add_hazard_areas(sc.hazard_areas)
        uow.add_settlements(sc.settlements)
        uow.add_teams(sc.teams)
    today = date(2026, 11, 20)
    plan = sample_activities(register.hazard_areas(), register.teams(), seed=21, today=today)
    with register.unit_of_work() as uow:
        for activity in plan:
            uow.record_activity(activity, today=today)
    rp = schema.released_part
    with register.reading() as conn:
        months = sorted({Period.of(d) for (d,) in conn.execute(select(rp.c.released_on))})
    assert months
    summary = register.release_summary()
    for period in months:
        report = gather(register, period, with_forecast=False)
        expected = _independent_released_m2(register, period)
        assert report.released_period_m2 == pytest.approx(expected, rel=1e-12)
        assert report.released_period_m2 / 1e6 == pytest.approx(sum(summary.by_month[period.key].values()), rel=1e-12)
        assert report.summary_agreement.startswith("The report's released areas agree"), report.summary_agreement
        assert not [n for n in report.quality if n.source == "report"], report.quality
    last = gather(register, months[-1], with_forecast=False)
    assert last.released_cumulative_m2 / 1e6 == pytest.approx(summary.released_km2, rel=1e-12)
    assert last.open_m2 / 1e6 == pytest.approx(summary.open_km2, rel=1e-12)
    assert len(last.finds) == sum(summary.finds_by_type.values())


def test_the_report_shows_the_stored_forecast(sqlite_url: str) -> None:
    """The report reads the newest stored forecast (it never runs one): the same numbers as the
    forecast the command line stored, starting from the open land the report states."""
    from landrelease.services.forecast import forecast_register, store_forecast

    register = Register.open(sqlite_url)
    try:
        record_sample_activities(register, n_areas=40, seed=6)
        none_yet = gather(register, Period(2026, 10))
        result = forecast_register(register, runs=60, seed=1)
        store_forecast(register, result)
        report = gather(register, Period(2026, 10))
        again = gather(register, Period(2026, 10))
        skipped = gather(register, Period(2026, 10), with_forecast=False)
    finally:
        register.close()
    assert none_yet.forecast is None and "No forecast is stored" in none_yet.forecast_status
    view = report.forecast
    assert view is not None, report.forecast_status
    burn = result.burn_down_km2()
    assert view.p50_km2 == pytest.approx(burn[1, : len(view.p50_km2)].tolist(), rel=1e-12)
    assert view.runs == 60 and view.seed == 1 and view.headline == result.headline()
    assert view.p50_km2[0] == pytest.approx(report.open_m2 / 1e6, rel=1e-6)  # starts from the open land stated
    assert all(a <= b + 1e-9 <= c + 2e-9 for a, b, c in zip(view.p10_km2, view.p50_km2, view.p90_km2, strict=True))
    assert all(x >= y - 1e-9 for x, y in zip(view.p50_km2, view.p50_km2[1:], strict=False))  # never grows
    assert again.forecast is not None and again.forecast.p50_km2 == view.p50_km2  # same seed, same forecast
    html = render_html(report).html
    assert 'id="chart-burn_down"' in html and "Not yet computed" not in html
    assert skipped.forecast is None and "Not yet computed" in render_html(skipped).html


@pytest.mark.parametrize("raster_above", [20_000, 10])
def test_map_draws_areas_as_vectors_or_burnt_in(sqlite_url: str, monkeypatch, raster_above: int) -> None:
    """Both ways of drawing hazard areas (vectors; an image for national registers) show them."""
    import io

    from PIL import Image

    from landrelease.reports import mapimage

    monkeypatch.setattr(mapimage, "RASTER_ABOVE", raster_above)
    register = Register.open(sqlite_url)
    try:
        record_sample_activities(register, n_areas=40, seed=8)
        report = gather(register, Period(2026, 10), with_forecast=False)
    finally:
        register.close()
    img = mapimage.render_map(report, dpi=60)
    rgb = np.asarray(Image.open(io.BytesIO(img.png)).convert("RGB"), dtype=int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    open_red = ((r > 180) & (g < 120) & (b < 100)).mean()
    assert open_red > 0.01, open_red
    assert img.scale_bar_m in {1000.0, 2000.0, 5000.0}
    # 2° east of zone 38's central meridian (45° E) at 40° N, true north lies ~1.3° west of grid north
    assert img.true_north_deg == pytest.approx(-1.28, abs=0.05)


def test_scale_bar_lengths_are_round() -> None:
    from landrelease.reports.mapimage import nice_length

    assert [nice_length(x) for x in (900, 10_400, 133_000, 420_000)] == [100.0, 2000.0, 20_000.0, 50_000.0]


def test_report_on_an_empty_register(register: Register) -> None:
    report = gather(register, Period(2026, 10))
    assert (report.released_period_m2, report.open_m2, report.live_count) == (0.0, 0.0, 0)
    assert report.forecast is None and report.forecast_status  # says why there is no forecast
    rendered = render_html(report)
    assert rendered.images >= 5 and "No activity and no released land are recorded" in rendered.html


def test_a_broken_stored_forecast_fails_the_report(sqlite_url: str, tmp_path: Path, monkeypatch) -> None:
    """A stored forecast whose burn-down is damaged (P50 missing, P90 cut short) must stop the
    report with an error, not turn into a sentence in the PDF; so must a failing quality check."""
    from landrelease.cli import app
    from landrelease.services import report_data
    from landrelease.services.forecast import forecast_register, store_forecast

    register = Register.open(sqlite_url)
    try:
        record_sample_activities(register, n_areas=40, seed=6)
        store_forecast(register, forecast_register(register, runs=20, seed=1))
        with register.unit_of_work() as uow:
            fr = schema.forecast_run
            row = uow.conn.execute(select(fr.c.id, fr.c.result).order_by(fr.c.id.desc()).limit(1)).one()
            damaged = dict(row.result)
            burn = dict(damaged["burn_down"])
            del burn["remaining_km2_p50"]
            damaged["burn_down"] = burn
            uow.conn.execute(update(fr).where(fr.c.id == row.id).values(result=damaged))
        with pytest.raises(KeyError, match="remaining_km2_p50"):
            gather(register, Period(2026, 10))
        # the command line fails too and writes no report
        monkeypatch.setenv("LANDRELEASE_DATABASE_URL", sqlite_url)
        out = tmp_path / "report.pdf"
        done = CliRunner().invoke(app, ["report", "--period", "2026-10", "--out", str(out)])
        assert done.exit_code != 0 and isinstance(done.exception, KeyError) and not out.exists()
        # a quality check that breaks stops the report as well
        assert gather(register, Period(2026, 10), with_forecast=False).forecast is None

        def broken(_register: Register) -> list:
            raise RuntimeError("the geocheck failed")

        monkeypatch.setattr(report_data, "check", broken)
        with pytest.raises(RuntimeError, match="the geocheck failed"):
            gather(register, Period(2026, 10), with_forecast=False)
    finally:
        register.close()
