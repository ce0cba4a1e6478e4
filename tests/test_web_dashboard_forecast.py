"""The dashboards show the forecast the engine stored: the burn-down band and the scenario comparison."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from landrelease.services.forecast import builtin_scenarios, forecast_register, store_comparison, store_forecast
from landrelease.settings import Settings
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, PASSWORD, seed


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", secret_key="k"))
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register)
    with TestClient(app) as c:
        yield c


def _viewer(client: TestClient) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"name": "viewer", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_burn_down_band_and_scenarios_come_from_the_stored_forecast(client: TestClient) -> None:
    h = _viewer(client)
    before = client.get("/api/stats/burndown", headers=h).json()
    assert before["band"] is None
    cov = before["band_coverage"]  # the stored backtest over the shipped programmes, beside the band
    assert cov["available"] and 0.0 <= cov["coverage"] <= 1.0 and cov["years_scored"] >= 1 and cov["sharpness"] >= 1
    register = client.app.state.register  # type: ignore[attr-defined]
    result = forecast_register(register, runs=40, seed=5)
    store_forecast(register, result)
    burn = client.get("/api/stats/burndown", headers=h).json()
    band = burn["band"]
    assert band and band[0]["p50"] == pytest.approx(result.total_m2 / 1e6, rel=1e-6)
    assert all(b["p10"] <= b["p50"] <= b["p90"] for b in band)  # less open land is the optimistic edge
    assert band[-1]["p50"] <= band[0]["p50"]

    specs = builtin_scenarios()
    results = [forecast_register(register, runs=40, seed=5, scenario=s) for s in specs]
    store_comparison(register, results)
    comp = client.get("/api/stats/scenarios", headers=h).json()
    assert comp["available"] and comp["unit"] == "km² released after 5 years"
    assert [s["name"] for s in comp["scenarios"]] == [s.name for s in specs]
    assert comp["scenarios"][1]["p50"] >= comp["scenarios"][0]["p50"]
    assert comp["scenarios"][0]["p50"] == pytest.approx(results[0].as_dict()["released_km2_at_years"]["5"]["p50"])


def test_readiness_follows_the_stored_forecast(client: TestClient) -> None:
    h = _viewer(client)
    before = client.get("/api/stats/readiness", headers=h).json()
    assert before["available"] and before["quantiles"] == "joint" and "joint" in before["note"]
    statuses = {s["status"] for s in before["settlements"]}
    assert "waiting" not in statuses  # no forecast stored yet: blocked settlements are "unknown"
    register = client.app.state.register  # type: ignore[attr-defined]
    store_forecast(register, forecast_register(register, runs=30, seed=3))
    after = client.get("/api/stats/readiness", headers=h).json()["settlements"]
    assert {s["status"] for s in after} <= {"ready", "waiting"}
    for s in after:
        if s["status"] == "waiting":
            assert s["blocking"] and s["ready_by_p10"] <= s["ready_by_p50"]
            assert s["p50"] == s["ready_by_p50"] and s["critical"] and s["quantiles"] == "joint"
    overview = client.get("/api/stats/returns", headers=h).json()
    assert overview["available"] and overview["quantiles"] == "joint"
    assert [s["code"] for s in overview["settlements"]] == [s["code"] for s in after]  # the same account
    assert overview["households"] == 0 and overview["consolidations"] == []


def test_the_housing_allocation_names_households_only_for_those_who_may_see_them(client: TestClient) -> None:
    from datetime import date

    from landrelease.returns.housing import House, Household
    from landrelease.services import housing

    register = client.app.state.register  # type: ignore[attr-defined]
    town = register.settlements()[0].code
    housing.store(
        register,
        [
            Household("HH-1", 3, town, date(2027, 1, 2), name="Ana Example"),
            Household("HH-2", 5, town, date(2027, 1, 1)),
        ],
        [House("X-1", town, "T4", 2, 4)],
    )
    housing.allocate_houses(register)
    seen = client.get("/api/stats/housing", headers=_viewer(client)).json()["households"]
    assert [r["household"] for r in seen] == ["HH-2", "HH-1"] and all("name" not in r for r in seen)
    assert seen[1]["house"] == "X-1" and seen[0]["status"] == "waiting"  # first registered, but too large
    r = client.post("/api/auth/token", json={"name": "analyst", "password": PASSWORD})
    analyst = {"Authorization": f"Bearer {r.json()['access_token']}"}
    named = client.get("/api/stats/housing", headers=analyst).json()["households"]
    assert {x["household"]: x["name"] for x in named} == {"HH-1": "Ana Example", "HH-2": None}
    overview = client.get("/api/stats/returns", headers=_viewer(client)).json()
    assert (overview["households"], overview["housed"], overview["waiting"]) == (2, 1, 1)
    assert "Ana" not in str(overview)
