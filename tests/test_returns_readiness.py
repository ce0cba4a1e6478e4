"""When can a village come back: when its land and its access road are released."""

from __future__ import annotations

from datetime import date

import shapely
from shapely.geometry import LineString, MultiLineString, Point
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.domain.enums import HazardStatus, LandUse
from landrelease.domain.hazard import HazardArea
from landrelease.domain.results import AreaForecast
from landrelease.domain.settlement import Settlement
from landrelease.returns.readiness import READY, UNKNOWN, WAITING, settlement_readiness

# Two villages 5 km apart at 47° E, 40° N (0.01° ≈ 850 m east, 1.1 km north).
A = Settlement(
    "S-A",
    "Alpha",
    Point(47.0, 40.0).buffer(0.003),
    population=900,
    displaced=800,
    access_routes=MultiLineString([LineString([(47.0, 40.0), (47.06, 40.0)])]),
)
B = Settlement("S-B", "Beta", Point(47.06, 40.0).buffer(0.003), population=300, displaced=100)


def area(
    code: str,
    x: float,
    y: float,
    use: LandUse = LandUse.FARMLAND,
    p50: str | None = "2028-06",
    status: HazardStatus = HazardStatus.OPEN,
) -> tuple[HazardArea, AreaForecast | None]:
    geom = shapely.box(x - 0.001, y - 0.001, x + 0.001, y + 0.001)
    hazard = HazardArea(code=code, geometry=geom, land_use=use, status=status)
    if p50 is None:
        return hazard, None

    def end(month: str | None) -> date | None:
        return None if month is None else date(int(month[:4]), int(month[5:7]), 28)

    p90 = None if p50 > "2030" else "2031-01"  # None: beyond the 10-year horizon
    labels = (end("2027-01"), end(p50), end(p90))
    forecast = AreaForecast(code, 0, 1e4, (1, 2, 3), labels, 1.0, 10, 100, 1, date(2026, 12, 1))
    return hazard, forecast


def readiness(settlements: list[Settlement], pairs: list[tuple[HazardArea, AreaForecast | None]]) -> list:
    forecasts = {f.hazard_code: f for _, f in pairs if f is not None}
    return settlement_readiness(settlements, [a for a, _ in pairs], forecasts)


def test_a_village_waits_for_its_land_and_its_road() -> None:
    areas = [
        area("FIELD-A", 47.002, 40.004, p50="2027-09"),  # ~450 m from Alpha
        area("ROAD-1", 47.03, 40.0, use=LandUse.ROAD, p50="2029-02"),  # on Alpha's access road, far from both
        area("FAR", 47.03, 40.05),  # 5 km away: blocks nobody
    ]
    out = {r.code: r for r in readiness([A, B], areas)}
    assert out["S-A"].status == WAITING
    assert set(out["S-A"].blocking) == {"FIELD-A", "ROAD-1"}
    assert out["S-A"].ready_by["p50"] == "2029-02"  # the road is the later of the two
    assert out["S-A"].ready_by["p10"] == "2027-01"
    assert out["S-B"].status == READY and out["S-B"].blocking == ()
    # most displaced first
    assert [r.code for r in readiness([B, A], areas)] == ["S-A", "S-B"]


def test_released_land_no_longer_blocks_and_missing_forecasts_are_said() -> None:
    released = area("FIELD-A", 47.002, 40.004, status=HazardStatus.CLEARED)
    (r,) = [x for x in readiness([A], [released]) if x.code == "S-A"]
    assert r.status == READY
    no_forecast = area("FIELD-A", 47.002, 40.004, p50=None)
    (r,) = readiness([A], [no_forecast])
    assert r.status == UNKNOWN and r.ready_by["p50"] is None
    late = area("FIELD-A", 47.002, 40.004, p50="2036-01")
    (r,) = readiness([A], [late, area("F2", 47.001, 40.003, p50="2027-01")])
    assert r.ready_by["p90"] == "beyond 10 years"  # not within the horizon is later than any month


def test_readiness_command_after_the_demo(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("LANDRELEASE_OUTPUT_DIR", str(tmp_path / "out"))
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--areas", "60"]).exit_code == 0
    import json

    res = runner.invoke(app, ["readiness", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)["settlements"]
    assert data and {d["status"] for d in data} <= {READY, WAITING, UNKNOWN}
    assert UNKNOWN not in {d["status"] for d in data}  # the demo stored the forecast
    displaced = [d["displaced"] for d in data]
    assert displaced == sorted(displaced, reverse=True)
