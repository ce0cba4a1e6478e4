"""Export → import gives back the same register: codes, geometry to 1e-9°, every field — for
generated registers, in GeoPackage, GeoJSON and CSV (hypothesis)."""

from __future__ import annotations

import shutil
import string
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landrelease.domain.asset import Team
from landrelease.domain.enums import AssetType, EOType, EvidenceKind, HazardKind, HazardStatus, LandUse, Level
from landrelease.domain.evidence import Evidence
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement
from landrelease.io.importer import import_file
from landrelease.io.writers import LAYER_OF_KIND, export
from landrelease.storage.repository import HazardFilter, Register

KINDS = ("hazard-areas", "evidence", "settlements", "teams")
TOLERANCE_DEG = 1e-9

# Text as registers hold it: any letters, digits, punctuation (quotes, commas, semicolons), spaces
# inside; nothing at either end that an import would trim.
_chars = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff")
text = st.text(_chars, min_size=1, max_size=30).map(str.strip).filter(bool)
maybe_text = st.none() | text
code = st.text(string.ascii_letters + string.digits + "-_/.é", min_size=1, max_size=20).map(str.strip).filter(bool)
share = st.floats(0.0, 1.0, allow_nan=False)
amount = st.floats(0.0, 1e7, allow_nan=False, allow_subnormal=False)


@st.composite
def region(draw: st.DrawFn) -> tuple[float, float]:
    """Where the register lies (a country a few degrees across, sometimes over a UTM zone boundary)."""
    lon = draw(st.floats(-170.0, 165.0))
    lat = draw(st.floats(-60.0, 60.0))
    return lon, lat


def polygon(lon: float, lat: float, i: int, draw: st.DrawFn) -> shapely.Geometry:
    """A valid polygon (sometimes with a hole, sometimes two parts) in its own cell of a grid."""
    x0 = lon + (i % 7) * 0.7 + draw(st.floats(0.0, 0.1))
    y0 = lat + (i // 7) * 0.7 + draw(st.floats(0.0, 0.1))
    w, h = draw(st.floats(1e-4, 0.2)), draw(st.floats(1e-4, 0.2))
    shell = shapely.box(x0, y0, x0 + w, y0 + h)
    shape = draw(st.sampled_from(["box", "hole", "multi"]))
    if shape == "hole":
        return shell.difference(shapely.box(x0 + w / 4, y0 + h / 4, x0 + w / 2, y0 + h / 2))
    if shape == "multi":
        return shapely.MultiPolygon([shell, shapely.box(x0 + w * 1.5, y0, x0 + w * 2, y0 + h / 2)])
    return shell


@st.composite
def registers(draw: st.DrawFn) -> dict[str, list[Any]]:
    lon, lat = draw(region())
    codes = draw(st.lists(code, min_size=1, max_size=6, unique=True))
    areas = []
    for i, c in enumerate(codes):
        areas.append(
            HazardArea(
                code=c,
                geometry=polygon(lon, lat, i, draw),
                name=draw(st.just("") | text),
                kind=draw(st.sampled_from(list(HazardKind))),
                eo_types=tuple(draw(st.lists(st.sampled_from(list(EOType)), unique=True, max_size=3))),
                land_use=draw(st.sampled_from(list(LandUse))),
                machine_accessible=draw(st.booleans()),
                slope_deg=draw(st.floats(0.0, 60.0)),
                vegetation=draw(st.sampled_from(list(Level))),
                clutter=draw(st.sampled_from(list(Level))),
                density=draw(st.sampled_from(list(Level))),
                status=draw(st.sampled_from(list(HazardStatus))),
                operator=draw(maybe_text),
                region=draw(maybe_text),
                priority_score=draw(st.none() | amount),
                beneficiaries=draw(st.none() | st.integers(0, 2_000_000_000)),
                version=draw(st.integers(1, 1000)),
                extra=draw(
                    st.dictionaries(
                        text.filter(lambda k: k not in ("date", "declared_area_m2")),
                        st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text | amount,
                        max_size=3,
                    )
                ),
            )
        )
    parents = {c: draw(st.sampled_from(codes[:i])) for i, c in enumerate(codes) if i and draw(st.booleans())}
    evidence = []
    for i, c in enumerate(draw(st.lists(code, max_size=4, unique=True))):
        where = draw(st.sampled_from(["point", "line", "polygon"]))
        x, y = lon + 6.0 + 0.3 * i, lat + draw(st.floats(0.0, 1.0))
        geom = {
            "point": shapely.Point(x, y),
            "line": shapely.LineString([(x, y), (x + 0.01, y + draw(st.floats(0.001, 0.01)))]),
            "polygon": shapely.box(x, y, x + 0.01, y + 0.02),
        }[where]
        evidence.append(
            Evidence(
                kind=draw(st.sampled_from(list(EvidenceKind))),
                geometry=geom,
                hazard_code=draw(st.none() | st.sampled_from(codes)),
                code=f"E{i}-{c}",
                date=draw(st.none() | st.dates(date(1990, 1, 1), date(2025, 12, 31))),
                source=draw(st.just("") | text),
                reliability=draw(st.none() | share),
                confidence=draw(st.none() | share),
                eo_type=draw(st.none() | st.sampled_from(list(EOType))),
                count=draw(st.none() | st.integers(0, 10_000)),
                positive=draw(st.booleans()),
            )
        )
    settlements = []
    for i, c in enumerate(draw(st.lists(code, max_size=3, unique=True))):
        x, y = lon + 8.0 + 0.5 * i, lat + 0.5
        routes = draw(st.booleans())
        settlements.append(
            Settlement(
                code=f"S{i}-{c}",
                name=draw(text),
                geometry=draw(st.sampled_from([shapely.Point(x, y), shapely.box(x, y, x + 0.02, y + 0.01)])),
                population=draw(st.integers(0, 10_000_000)),
                displaced=draw(st.integers(0, 10_000_000)),
                access_routes=shapely.MultiLineString([[(x, y), (x - 0.1, y - draw(st.floats(0.01, 0.1)))]])
                if routes
                else None,
                region=draw(maybe_text),
            )
        )
    teams = []
    for i, c in enumerate(draw(st.lists(code, max_size=3, unique=True))):
        teams.append(
            Team(
                code=f"T{i}-{c}",
                type=draw(st.sampled_from(list(AssetType))),
                base=shapely.Point(lon + 9.0 + draw(st.floats(0.0, 1.0)), lat + draw(st.floats(0.0, 1.0))),
                size=draw(st.integers(1, 500)),
                operator=draw(maybe_text),
                cost_per_day=draw(st.none() | amount),
                rate_m2_per_day=draw(st.none() | amount),
                rate_sigma=draw(st.none() | st.floats(0.0, 3.0)),
            )
        )
    return {
        "areas": areas,
        "parents": list(parents.items()),
        "evidence": evidence,
        "settlements": settlements,
        "teams": teams,
    }


@pytest.fixture(scope="module")
def template() -> Path:
    """An empty, migrated SQLite register, copied for each example (migrations run once)."""
    folder = Path(tempfile.mkdtemp(prefix="landrelease-roundtrip-"))
    path = folder / "template.db"
    Register.open(f"sqlite:///{path}").close()
    yield path
    shutil.rmtree(folder, ignore_errors=True)


def _same_geometry(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    return bool(shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=TOLERANCE_DEG))


def _fields(x: Any, *drop: str) -> dict[str, Any]:
    return {k: getattr(x, k) for k in x.__slots__ if k not in ("id", *drop)}


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".csv"])
def test_export_then_import_gives_back_the_same_register(template: Path, suffix: str) -> None:
    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=True,
    )
    @given(data=registers())
    def check(data: dict[str, list[Any]]) -> None:
        work = Path(tempfile.mkdtemp(prefix="landrelease-rt-"))
        try:
            shutil.copy(template, work / "a.db")
            shutil.copy(template, work / "b.db")
            before, after = Register.open(f"sqlite:///{work / 'a.db'}"), Register.open(f"sqlite:///{work / 'b.db'}")
            try:
                with before.unit_of_work() as uow:
                    uow.add_hazard_areas(data["areas"])
                    assert uow.link_parents(data["parents"]) == []
                    uow.add_evidence(data["evidence"])
                    uow.add_settlements(data["settlements"])
                    uow.add_teams(data["teams"])
                present = {
                    "hazard-areas": "areas",
                    "evidence": "evidence",
                    "settlements": "settlements",
                    "teams": "teams",
                }
                for kind in KINDS:
                    if not data[present[kind]]:
                        continue  # export refuses a kind with no records
                    out = work / f"{kind}{suffix}"
                    export(before, out, kind)
                    layer = LAYER_OF_KIND[kind] if suffix == ".gpkg" else None
                    import_file(after, out, kind=kind, layer=layer)
                _compare(before, after)
            finally:
                before.close()
                after.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    check()


def _compare(before: Register, after: Register) -> None:
    every = HazardFilter(include_superseded=True)
    old = {a.code: a for a in before.hazard_areas(every)}
    new = {a.code: a for a in after.hazard_areas(every)}
    assert old.keys() == new.keys()
    code_of = {a.id: a.code for a in old.values()}
    code_of_new = {a.id: a.code for a in new.values()}
    for c, a in old.items():
        b = new[c]
        derived = ("geometry", "parent_id", "created_at", "updated_at", "area_m2")
        assert _fields(a, *derived) == _fields(b, *derived), c
        # the stored area is computed from the geometry, which comes back to within 1e-9°
        assert getattr(b, "area_m2", None) == pytest.approx(getattr(a, "area_m2", None), rel=1e-9), c
        assert code_of.get(a.parent_id) == code_of_new.get(b.parent_id), c
        assert _same_geometry(a.geometry, b.geometry), c
    for items_old, items_new, geom in (
        (before.evidence(), after.evidence(), "geometry"),
        (before.settlements(), after.settlements(), "geometry"),
        (before.teams(), after.teams(), "base"),
    ):
        by_code = {x.code: x for x in items_new}
        assert sorted(by_code) == sorted(x.code for x in items_old)
        for x in items_old:
            y = by_code[x.code]
            assert _fields(x, geom, "access_routes") == _fields(y, geom, "access_routes"), x.code
            assert _same_geometry(getattr(x, geom), getattr(y, geom)), x.code
            routes = getattr(x, "access_routes", None)
            if routes is not None:
                assert _same_geometry(routes, y.access_routes), x.code
            else:
                assert getattr(y, "access_routes", None) is None
