"""Exports: GDAL's own ogrinfo reads the GeoPackage cleanly, and export -> import gives the same records."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import shapely
from typer.testing import CliRunner

from landrelease.cli import io as _io_commands  # noqa: F401 - registers import/export
from landrelease.cli.base import app
from landrelease.domain.enums import HazardStatus
from landrelease.domain.errors import ValidationError
from landrelease.io.importer import import_file
from landrelease.io.writers import export
from landrelease.samples import generate
from landrelease.services.importing import store_scenario
from landrelease.storage.repository import HazardFilter, Register

KINDS = ("hazard-areas", "evidence", "settlements", "teams")


def _filled(register: Register) -> None:
    scenario = generate(40, seed=5)
    store_scenario(register, scenario)
    # history to carry over: a superseded record and its child, and something in `extra`
    with register.unit_of_work() as uow:
        from sqlalchemy import update

        from landrelease.storage import schema

        h = schema.hazard_area
        ids = uow.hazard_ids([scenario.hazard_areas[0].code, scenario.hazard_areas[1].code])
        uow.conn.execute(
            update(h)
            .where(h.c.id == ids[scenario.hazard_areas[0].code])
            .values(status="superseded", extra={"note": "split"})
        )
        uow.conn.execute(
            update(h)
            .where(h.c.id == ids[scenario.hazard_areas[1].code])
            .values(parent_id=ids[scenario.hazard_areas[0].code])
        )


def _same_geometry(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    return bool(shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=1e-9))


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".csv"])
def test_export_then_import_into_a_fresh_register_gives_the_same_records(
    register: Register, tmp_path: Path, suffix: str
) -> None:
    _filled(register)
    fresh = Register.open(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        for kind in KINDS:
            out = tmp_path / f"{kind}{suffix}"
            export(register, out, kind)
            layer = None if suffix != ".gpkg" else kind.replace("-", "_")
            import_file(fresh, out, kind=kind, layer=layer)
        before = {a.code: a for a in register.hazard_areas(HazardFilter(include_superseded=True))}
        after = {a.code: a for a in fresh.hazard_areas(HazardFilter(include_superseded=True))}
        assert before.keys() == after.keys()
        code_of = {a.id: a.code for a in before.values()}
        code_after = {a.id: a.code for a in after.values()}
        fields = (
            "name",
            "kind",
            "land_use",
            "eo_types",
            "machine_accessible",
            "slope_deg",
            "vegetation",
            "clutter",
            "density",
            "status",
            "operator",
            "region",
            "priority_score",
            "beneficiaries",
            "version",
            "extra",
        )
        for code, a in before.items():
            b = after[code]
            assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields], code
            assert code_of.get(a.parent_id) == code_after.get(b.parent_id)
            assert _same_geometry(a.geometry, b.geometry)
        assert after[next(iter(before))].status is HazardStatus.SUPERSEDED

        def strip(items: list, *drop: str) -> list:  # type: ignore[type-arg]
            return sorted(
                ({k: getattr(x, k) for k in x.__slots__ if k not in ("id", *drop)} for x in items),
                key=lambda d: str(d.get("code")),
            )

        for old, new, geom in (
            (register.evidence(), fresh.evidence(), "geometry"),
            (register.settlements(), fresh.settlements(), "geometry"),
            (register.teams(), fresh.teams(), "base"),
        ):
            assert strip(old, geom, "access_routes") == strip(new, geom, "access_routes")
            by_code = {x.code: x for x in new}
            for x in old:
                assert _same_geometry(getattr(x, geom), getattr(by_code[x.code], geom))
                if getattr(x, "access_routes", None) is not None:
                    assert _same_geometry(x.access_routes, by_code[x.code].access_routes)
    finally:
        fresh.close()


def test_geopackage_passes_ogrinfo(register: Register, tmp_path: Path, ogrinfo: str) -> None:
    _filled(register)
    out = tmp_path / "register.gpkg"
    written = export(register, out)
    assert set(written) == {"hazard_areas", "evidence", "settlements", "teams"}
    for layer in written:
        done = subprocess.run([ogrinfo, "-so", str(out), layer], capture_output=True, text=True)
        text = done.stdout + done.stderr
        assert done.returncode == 0 and "ERROR" not in text, text
        assert f"Feature Count: {written[layer]}" in text


def test_export_refuses_what_it_cannot_do(register: Register, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="nothing to export"):
        export(register, tmp_path / "empty.gpkg")
    with pytest.raises(ValidationError, match="unsupported output format"):
        export(register, tmp_path / "x.kml")
    (tmp_path / "exists.csv").write_text("x")
    with pytest.raises(ValidationError, match="exists"):
        export(register, tmp_path / "exists.csv")


def test_cli_export_right_after_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--areas", "30"]).exit_code == 0
    result = runner.invoke(app, ["export", "out.gpkg"])
    assert result.exit_code == 0, result.output
    reg = Register.open(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        stored = reg.count_hazard_areas(HazardFilter(include_superseded=True))  # history of partial releases too
    finally:
        reg.close()
    assert stored >= 30 and f"layer hazard_areas, {stored} records" in result.output
    assert (tmp_path / "out.gpkg").exists()
    again = runner.invoke(app, ["export", "out.gpkg"])
    assert again.exit_code != 0 and "--overwrite" in again.output and "Traceback" not in again.output
