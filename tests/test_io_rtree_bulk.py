"""The packed R*Tree is one SQLite itself accepts: rtreecheck() passes and queries match brute force."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import shapely
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from landrelease.io.importer import import_file
from landrelease.storage.repository import HazardFilter, Register
from landrelease.storage.rtree_bulk import bulk_load


def _query(conn: sa.Connection, box: tuple[float, float, float, float]) -> list[int]:
    minx, miny, maxx, maxy = box
    rows = conn.exec_driver_sql(
        "SELECT id FROM t_rtree WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?", (minx, maxx, miny, maxy)
    )
    return sorted(r[0] for r in rows)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 700), seed=st.integers(0, 2**32 - 1))
def test_bulk_loaded_tree_is_valid_and_answers_like_brute_force(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-180, 179, n), rng.uniform(-90, 89, n)
    w, h = rng.exponential(0.5, n), rng.exponential(0.5, n)
    bounds = np.column_stack([x, y, x + w, y + h])
    ids = rng.permutation(np.arange(1, 10 * n + 1))[:n]
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE VIRTUAL TABLE t_rtree USING rtree(id, minx, maxx, miny, maxy)")
        bulk_load(conn, "t_rtree", ids, bounds)
        assert conn.exec_driver_sql("SELECT rtreecheck('t_rtree')").scalar() == "ok"
        assert conn.exec_driver_sql("SELECT count(*) FROM t_rtree").scalar() == n
        for _ in range(5):
            qx, qy = rng.uniform(-180, 170), rng.uniform(-90, 80)
            box = (qx, qy, qx + rng.uniform(0, 40), qy + rng.uniform(0, 40))
            # float32 rounding widens boxes outwards (as SQLite does): never a miss, at most a near-edge extra
            exact = ids[
                (bounds[:, 2] >= box[0])
                & (bounds[:, 0] <= box[2])
                & (bounds[:, 3] >= box[1])
                & (bounds[:, 1] <= box[3])
            ]
            found = _query(conn, box)
            assert set(exact.tolist()) <= set(found)
            assert len(found) - len(exact) <= 2
        # the ordinary R*Tree code carries on from the packed tree
        conn.exec_driver_sql("DELETE FROM t_rtree WHERE id % 3 = 0")
        conn.exec_driver_sql("INSERT INTO t_rtree VALUES (?, 1, 2, 3, 4)", (10 * n + 7,))
        assert conn.exec_driver_sql("SELECT rtreecheck('t_rtree')").scalar() == "ok"


def test_imports_into_empty_and_non_empty_registers_keep_the_index(sqlite_url: str, tmp_path: Path) -> None:
    reg = Register.open(sqlite_url)
    try:
        for name, dx in (("first", 0.0), ("second", 5.0)):
            geoms = [shapely.box(17 + dx + 0.01 * i, 45, 17.005 + dx + 0.01 * i, 45.005) for i in range(300)]
            frame = {"code": [f"{name}-{i}" for i in range(300)]}
            import geopandas as gpd

            path = tmp_path / f"{name}.gpkg"
            pyogrio.write_dataframe(gpd.GeoDataFrame(frame, geometry=geoms, crs=4326), path)
            import_file(reg, path, batch_size=128)
        with reg.reading() as conn:
            assert conn.exec_driver_sql("SELECT rtreecheck('hazard_area_rtree')").scalar() == "ok"
            assert conn.exec_driver_sql("SELECT count(*) FROM hazard_area_rtree").scalar() == 600
            triggers = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all()
            assert "hazard_area_rtree_ins" in triggers
        found = reg.hazard_areas(HazardFilter(bbox=(22.051, 45.001, 22.052, 45.002)))
        assert [a.code for a in found] == ["second-5"]
    finally:
        reg.close()


def test_add_hazard_columns_on_its_own_packs_and_keeps_the_trigger(sqlite_url: str) -> None:
    reg = Register.open(sqlite_url)
    try:
        geoms = np.array([shapely.box(17 + 0.01 * i, 45, 17.005 + 0.01 * i, 45.005) for i in range(120)])
        with reg.unit_of_work() as uow:
            uow.add_hazard_columns(
                {
                    "code": [f"C-{i}" for i in range(120)],
                    "name": "",
                    "kind": "SHA",
                    "land_use": "other",
                    "eo_types": "[]",
                    "machine_accessible": True,
                    "slope_deg": 0.0,
                    "vegetation": "low",
                    "clutter": "low",
                    "density": "low",
                    "status": "open",
                    "version": 1,
                    "extra": "{}",
                },
                geoms,
            )
        with reg.unit_of_work() as uow:  # the trigger feeds the packed tree afterwards
            from landrelease.samples import generate

            uow.add_hazard_areas(generate(5, seed=2).hazard_areas)
        with reg.reading() as conn:
            assert conn.exec_driver_sql("SELECT rtreecheck('hazard_area_rtree')").scalar() == "ok"
            assert conn.exec_driver_sql("SELECT count(*) FROM hazard_area_rtree").scalar() == 125
        found = reg.hazard_areas(HazardFilter(bbox=(17.501, 45.001, 17.502, 45.002)))
        assert [a.code for a in found] == ["C-50"]
    finally:
        reg.close()
