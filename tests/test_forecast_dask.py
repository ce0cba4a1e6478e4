"""The forecast on a Dask cluster gives the same numbers as in-process, for the same seed."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from landrelease.planning.execution import dask, dask_workers
from landrelease.planning.forecast import forecast, threaded
from tests.test_forecast_engine import fleet, portfolio


@pytest.mark.slow
def test_dask_equals_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import Client, LocalCluster

    import landrelease.planning.forecast as fc

    pf, cap = portfolio(3000, seed=9), fleet()
    monkeypatch.setattr(fc, "BLOCK_ELEMENTS", 3000 * 20)  # small blocks: 6 of them, each with its own seed
    assert len(fc.block_sizes(120, 3000)) == 6
    kw = {"runs": 120, "seed": 31, "start": date(2027, 1, 1), "horizon_years": 5}
    here = forecast(pf, cap, mapper=threaded(1), **kw)
    with (
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        assert dask_workers(client) == 2
        there = forecast(pf, cap, mapper=dask(client), groups=4, **kw)
    np.testing.assert_array_equal(here.cumulative_m2, there.cumulative_m2)
    np.testing.assert_array_equal(here.monthly_by_method, there.monthly_by_method)
    np.testing.assert_array_equal(here.area_month_q, there.area_month_q)
    np.testing.assert_array_equal(here.region_days_q, there.region_days_q)
    assert here.as_dict() == there.as_dict()


@pytest.mark.slow
def test_cli_forecast_on_a_scheduler_equals_in_process(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from distributed import LocalCluster
    from typer.testing import CliRunner

    from landrelease.cli import app
    from landrelease.samples import generate
    from landrelease.services.importing import store_scenario
    from landrelease.storage.repository import Register

    reg = Register.open(sqlite_url)
    store_scenario(reg, generate(40, seed=2))
    reg.close()
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", sqlite_url)
    args = ["forecast", "--json", "--runs", "50", "--seed", "5"]
    here = CliRunner().invoke(app, args)
    assert here.exit_code == 0, here.output
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        there = CliRunner().invoke(app, [*args, "--scheduler", cluster.scheduler_address])
    assert there.exit_code == 0, there.output
    a, b = json.loads(here.stdout), json.loads(there.stdout)
    assert a["start"] == b["start"]
    assert a == b
