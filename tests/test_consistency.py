"""One account of every hazard area: the command line (``--json``), the REST API, the map's data
(OGC items and vector tiles), the dashboards' endpoints and the monthly report show the same
numbers for the same area and the same month — P(any EO), the forecast's P50 release month,
released and open km² — on SQLite and PostGIS."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from landrelease.api.tiles import tile_bounds
from landrelease.cli import app as cli
from landrelease.domain.results import latest_label
from landrelease.samples import generate
from landrelease.services.activity import record_sample_activities
from landrelease.services.importing import store_scenario
from landrelease.services.report_data import gather, latest_period
from landrelease.settings import Settings
from landrelease.storage import users
from landrelease.storage.repository import Register
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, PASSWORD

TODAY = date(2026, 11, 20)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


@pytest.fixture
def world(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A sample region with recorded land release, modelled, planned and forecast (stored) by the
    command line, and a web application over the same register."""
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", database_url)
    register = Register.open(database_url)
    store_scenario(register, generate(40, seed=17))
    record_sample_activities(register, seed=17, today=TODAY)
    with register.unit_of_work(actor="test") as uow:
        from landrelease.api.auth import Authenticator
        from landrelease.domain.user import Role

        auth = Authenticator(register, "test", hasher=FAST_HASHER)
        users.add_user(uow.conn, "test", "viewer", Role.VIEWER, auth.hash_password(PASSWORD), None)
    runner = CliRunner()
    out: dict[str, Any] = {"register": register}
    for name, args in (
        ("model", ["model", "--json"]),
        ("plan", ["plan", "--time-limit", "2", "--json"]),
        ("forecast", ["forecast", "--json", "--store", "--runs", "80", "--seed", "3"]),
        ("summary", ["summary", "--json"]),
        ("readiness", ["readiness", "--json"]),
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, f"{name}: {result.output}"
        out[name] = json.loads(result.stdout)
    web = create_app(Settings(database_url=database_url, secret_key="k"), register)
    web.state.auth.hasher = FAST_HASHER
    with TestClient(web) as client:
        token = client.post("/api/auth/token", json={"name": "viewer", "password": PASSWORD}).json()["access_token"]
        out["client"], out["headers"] = client, {"Authorization": f"Bearer {token}"}
        yield out
    register.close()


def test_the_same_area_shows_the_same_numbers_everywhere(world: dict[str, Any]) -> None:
    client, h = world["client"], world["headers"]
    modelled = {r["code"]: r["p_any"] for r in world["model"]["results"]}
    forecast = {a["code"]: a for a in world["forecast"]["areas"]}
    waiting = [s for s in world["readiness"]["settlements"] if s["status"] == "waiting"]
    assert waiting, "the sample region has a settlement waiting for its land"
    settlement = waiting[0]
    code = settlement["blocking"][0]  # an open area a settlement waits for
    assert code in modelled and code in forecast

    # P(any EO): the model's run, the forecast's input, the REST API, the OGC item, the map's tile
    p_any = modelled[code]
    assert forecast[code]["p_any"] == p_any
    rest = client.get(f"/api/hazard-areas/{code}", headers=h).json()
    ogc = client.get(f"/ogc/collections/hazard-areas/items/{code}", headers=h).json()
    assert rest["properties"]["p_any"] == p_any and ogc["properties"]["p_any"] == p_any
    minx, miny, maxx, maxy = _bounds(rest["geometry"])
    page = client.get(
        "/ogc/collections/hazard-areas/items", params={"bbox": f"{minx},{miny},{maxx},{maxy}", "limit": 100}, headers=h
    ).json()
    (in_page,) = [f for f in page["features"] if f["id"] == code]
    assert in_page["properties"]["p_any"] == p_any
    z = 14
    x, y = _tile_of((minx + maxx) / 2, (miny + maxy) / 2, z)
    w, s, e, n = tile_bounds(z, x, y)
    assert w <= (minx + maxx) / 2 <= e and s <= (miny + maxy) / 2 <= n
    tile = client.get(f"/tiles/hazard-areas/{z}/{x}/{y}.mvt", headers=h)
    assert tile.status_code == 200
    features = mapbox_vector_tile.decode(tile.content)["hazard-areas"]["features"]
    (in_tile,) = [f for f in features if f["properties"].get("code") == code]
    assert in_tile["properties"]["p_any"] == pytest.approx(p_any, rel=1e-6)  # MVT keeps the double

    # The forecast's P50 release month: the stored run the command line printed, the REST API,
    # the OGC item (the map's side panel), and readiness on the command line and the dashboard
    p50 = forecast[code]["p50"]  # the month's end date, or None beyond the horizon
    rest_forecast = client.get(f"/api/hazard-areas/{code}/forecast", headers=h).json()
    assert rest_forecast["available"]
    label = rest_forecast["forecast"]["released_by_p50"]
    assert label == (p50[:7] if p50 else f"beyond {world['forecast']['horizon_years']} years")
    assert ogc["properties"]["forecast"] == rest_forecast["forecast"]
    assert in_page["properties"]["forecast"] == rest_forecast["forecast"]
    labels = [
        client.get(f"/api/hazard-areas/{c}/forecast", headers=h).json()["forecast"]["released_by_p50"]
        for c in settlement["blocking"]
    ]
    # readiness is the joint P50 over the stored runs (the storage's own account of it), never
    # earlier than the latest of the areas' own P50s
    from landrelease.services.forecast import joint_release

    joint = joint_release(client.app.state.register, settlement["blocking"])  # type: ignore[attr-defined]
    assert joint is not None and settlement["p50"] == settlement["ready_by_p50"] == joint.label("p50")
    marginal = latest_label(labels)
    assert marginal.startswith("beyond") <= settlement["p50"].startswith("beyond")
    if not settlement["p50"].startswith("beyond"):
        assert settlement["p50"] >= marginal
    dashboard = client.get("/api/stats/readiness", headers=h).json()["settlements"]
    assert dashboard == world["readiness"]["settlements"]


def _bounds(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    import shapely.geometry

    return shapely.geometry.shape(geometry).bounds  # type: ignore[no-any-return]


def test_the_same_month_shows_the_same_km2_everywhere(world: dict[str, Any]) -> None:
    client, h, register = world["client"], world["headers"], world["register"]
    period = latest_period(register, today=TODAY)
    assert period is not None
    summary = world["summary"]
    released_cli = sum(summary["by_month"][period.key].values())
    assert released_cli > 0

    # released km² in the month: summary, the dashboard's chart, its burn-down record, the report
    released = client.get("/api/stats/released", headers=h).json()
    i = released["months"].index(period.key)
    released_dashboard = sum(series[i] for series in released["series"].values())
    assert released_dashboard == pytest.approx(released_cli, abs=1e-6)  # the dashboard rounds to 1 m²
    burn = client.get("/api/stats/burndown", headers=h).json()
    months = [a["month"] for a in burn["actual"]]
    k = months.index(period.key)
    assert k > 0  # the record starts the month before the first release
    drop = burn["actual"][k - 1]["km2"] - burn["actual"][k]["km2"]
    assert drop == pytest.approx(released_cli, abs=2e-6)
    report = gather(register, period)
    assert report.released_period_m2 / 1e6 == pytest.approx(released_cli, rel=1e-12)
    assert report.released_cumulative_m2 / 1e6 == pytest.approx(summary["released_km2"], rel=1e-12)

    # open km² now: summary, the dashboard, the report, and the stored forecast's starting point
    assert burn["open_km2"] == pytest.approx(summary["open_km2"], abs=1e-6)
    assert report.open_m2 / 1e6 == pytest.approx(summary["open_km2"], rel=1e-12)
    assert world["forecast"]["total_km2"] == pytest.approx(summary["open_km2"], rel=1e-12)

    # the forecast's P50 open km² month by month: the command line, the dashboard's band, the report
    p50_cli = world["forecast"]["burn_down"]["remaining_km2_p50"]
    band = burn["band"]
    assert [b["p50"] for b in band] == pytest.approx(p50_cli[: len(band)], rel=1e-12)
    assert [b["month"] for b in band[1:4]] == [d[:7] for d in world["forecast"]["burn_down"]["month_end"][1:4]]
    view = report.forecast
    assert view is not None, report.forecast_status
    assert view.p50_km2 == pytest.approx(p50_cli[: len(view.p50_km2)], rel=1e-12)
    assert view.headline == world["forecast"]["headline"]
