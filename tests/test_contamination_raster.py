"""GeoTIFF and cell polygons of the contamination grid, read back with independent readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio

from landrelease.io.raster import mosaic, write_cells, write_geotiff
from landrelease.model.contamination import assess
from landrelease.samples import generate


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    scenario = generate(30, seed=4)
    return assess(scenario.hazard_areas, scenario.evidence)


def test_the_geotiff_holds_every_cell_where_it_belongs(results, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_geotiff(results, tmp_path / "out" / "contamination.tif")
    with rasterio.open(path) as ds:
        assert ds.count == 3 and ds.crs.to_epsg() == results[0].crs.to_epsg()
        assert ds.descriptions == ("p", "expected_items", "coverage")
        assert ds.res == (25.0, 25.0)
        data = ds.read()
        # each area's cells are found at their own coordinates in the mosaic
        for r in results[:10]:
            rows, cols = np.nonzero(r.coverage)
            xs = r.transform.c + (cols + 0.5) * 25.0
            ys = r.transform.f - (rows + 0.5) * 25.0
            rr, cc = rasterio.transform.rowcol(ds.transform, xs, ys)
            got = data[0, np.asarray(rr), np.asarray(cc)]
            assert np.all(got >= r.p[rows, cols].astype(np.float32))  # max where areas overlap
    assert np.nansum(data[2]) * 625.0 <= sum(r.area_m2 for r in results) * 1.0001
    assert np.isnan(data[0]).any()  # outside the areas is nodata, not zero


def test_overlapping_areas_keep_the_larger_value_not_a_sum(results) -> None:  # type: ignore[no-untyped-def]
    a = results[0]
    data, _ = mosaic([a, a])
    assert np.nansum(data[1]) == pytest.approx(a.lam.sum(), rel=1e-5)


def test_cells_are_written_as_wgs84_polygons(results, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_cells(results, tmp_path / "cells.gpkg")
    info = pyogrio.read_info(path, layer="cells")
    assert info["crs"] == "EPSG:4326"
    assert info["features"] == sum(r.n_cells for r in results)
    frame = pyogrio.read_dataframe(path, layer="cells", columns=["hazard_code", "p"])
    assert set(frame["hazard_code"]) == {r.code for r in results}
    assert frame["p"].between(0, 1).all()


def test_nothing_to_write_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing to write"):
        write_geotiff([], tmp_path / "x.tif")
