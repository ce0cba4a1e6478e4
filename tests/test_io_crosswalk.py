"""Real data as it comes: crosswalks, the built-in vocabularies, reading columns by their values,
dry runs, the history of imports, and layers that span several UTM zones."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
import sqlalchemy as sa
from pyproj import Geod
from typer.testing import CliRunner

from landrelease.cli import app
from landrelease.domain.enums import (
    AssetType,
    EOType,
    EvidenceKind,
    HazardKind,
    HazardStatus,
    LandUse,
    Level,
)
from landrelease.domain.errors import Problem, Severity, ValidationError
from landrelease.io.crosswalk import parse_crosswalk
from landrelease.io.importer import import_file, starting_crosswalk
from landrelease.io.vocabulary import FILE_OF, column_names, term_key, vocabulary
from landrelease.storage import schema
from landrelease.storage.audit import verify_chain
from landrelease.storage.repository import Register

runner = CliRunner()


@pytest.fixture
def reg(sqlite_url: str) -> Iterator[Register]:
    r = Register.open(sqlite_url)
    yield r
    r.close()


def geojson(path: Path, features: list[tuple[dict[str, Any], Any]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": p, "geometry": None if g is None else shapely.geometry.mapping(g)}
                    for p, g in features
                ],
            }
        )
    )
    return path


def boxes(n: int, lon: float = 17.0, lat: float = 45.0) -> list[shapely.Polygon]:
    return [shapely.box(lon + 0.01 * i, lat, lon + 0.01 * i + 0.005, lat + 0.004) for i in range(n)]


def errors(info: pytest.ExceptionInfo[ValidationError], check: str | None = None) -> list[Problem]:
    return [p for p in info.value.problems if p.severity is Severity.ERROR and (check is None or p.check == check)]


# ---------------------------------------------------------------- vocabularies


def test_every_vocabulary_file_loads_with_sources_and_knows_its_register_values() -> None:
    for enum in FILE_OF:
        vocab = vocabulary(enum)  # loading refuses a term listed under two values
        assert vocab.sources, f"{vocab.name}.yaml names no source"
        for member in enum:
            assert vocab.lookup(member.value) is member
    assert vocabulary(HazardKind).lookup("Suspected Minefield") is HazardKind.SHA
    assert vocabulary(HazardKind).lookup("Confirmed hazardous area") is HazardKind.CHA
    assert vocabulary(HazardKind).lookup("Minefield") is HazardKind.CHA
    assert vocabulary(HazardStatus).lookup("Cleared Areas") is HazardStatus.CLEARED
    assert vocabulary(HazardStatus).lookup("Handed over") is HazardStatus.RELEASED
    assert vocabulary(EOType).lookup("Anti-personnel mine") is EOType.AP_MINE
    assert vocabulary(EOType).lookup("MUSE") is EOType.UXO
    assert vocabulary(EvidenceKind).lookup("Incautación") is EvidenceKind.EO_FIND
    assert vocabulary(EvidenceKind).lookup("Incautacion") is EvidenceKind.EO_FIND  # accents ignored
    ev = vocabulary(EvidenceKind)
    assert ev.lookup("AP mine accident") is EvidenceKind.ACCIDENT
    assert ev.eo_of[term_key("Accidente por MUSE")] is EOType.UXO
    assert vocabulary(LandUse).lookup("Religious Site") is LandUse.RELIGIOUS_SITE
    assert vocabulary(Level).lookup("moderate") is Level.MEDIUM
    assert vocabulary(AssetType).lookup("dog") is AssetType.MDD
    names = column_names()
    assert "hazard_localid" in names["hazard-areas"]["code"] and "tipo_evento" in names["evidence"]["kind"]


# ---------------------------------------------------------------- reading by values


def test_suspected_minefield_layer_loads_as_sha_with_no_mapping(reg: Register, bih_path: Path, tmp_path: Path) -> None:
    """The real national suspect-area case: typeArea = "Suspected Minefield" on every record is kind SHA."""
    doc = json.loads(bih_path.read_text())
    for f in doc["features"]:
        f["properties"]["typeArea"] = "Suspected Minefield"
    path = tmp_path / "suspected_areas.geojson"
    path.write_text(json.dumps(doc))
    report = import_file(reg, path, fix=True)
    assert report.stored > 7900
    assert ("typeArea", "kind", "values") in report.columns
    (note,) = report.notes
    assert note.field == "typeArea" and "not status" in note.message
    stored = reg.hazard_areas(limit=300)
    assert {a.kind for a in stored} == {HazardKind.SHA} and {a.status for a in stored} == {HazardStatus.OPEN}
    assert report.values["kind"] == {"SHA": report.stored}
    assert all("typeArea" not in a.extra and "fileId" in a.extra for a in stored)


def test_a_column_whose_name_says_status_but_whose_values_fit_several_fields_is_refused(
    reg: Register, tmp_path: Path
) -> None:
    path = geojson(
        tmp_path / "levels.geojson",
        [
            ({"code": f"A{i}", "state": v}, g)
            for i, (v, g) in enumerate(zip(["low", "high", "medium"], boxes(3), strict=True))
        ],
    )
    with pytest.raises(ValidationError) as info:
        import_file(reg, path)
    (p,) = errors(info, "ambiguous_column")
    assert p.field == "state" and "vegetation, clutter, density" in p.message and "--mapping" in str(p.expected)
    assert reg.count_hazard_areas() == 0
    # a crosswalk settles it
    (tmp_path / "m.yaml").write_text("fields:\n  clutter: state\n")
    import_file(reg, path, mapping=tmp_path / "m.yaml")
    a = reg.hazard_area("A1")
    assert a is not None and a.clutter is Level.HIGH and a.status is HazardStatus.OPEN


def test_two_unnamed_columns_of_one_vocabulary_are_refused_with_both_named(reg: Register, tmp_path: Path) -> None:
    path = geojson(
        tmp_path / "two.geojson",
        [({"code": "A", "classA": "SHA", "classB": "Minefield"}, boxes(1)[0])],
    )
    with pytest.raises(ValidationError) as info:
        import_file(reg, path)
    found = errors(info, "ambiguous_column")
    assert {p.field for p in found} == {"classA", "classB"}
    assert all("classA, classB" in p.message for p in found)


def test_a_column_of_known_terms_is_read_whatever_its_name(reg: Register, tmp_path: Path) -> None:
    path = geojson(
        tmp_path / "named_oddly.geojson",
        [
            ({"ref": "A", "TIPO": "Confirmed Hazardous Area", "ESTADO": "Cancelled", "DISP": "AP; AT mine"}, g)
            for g in boxes(1)
        ],
    )
    report = import_file(reg, path)
    assert {(c, f) for c, f, _ in report.columns} >= {("TIPO", "kind"), ("ESTADO", "status"), ("DISP", "eo_types")}
    a = reg.hazard_area("A")
    assert a is not None and a.kind is HazardKind.CHA and a.status is HazardStatus.CANCELLED
    assert a.eo_types == (EOType.AP_MINE, EOType.AT_MINE) and a.extra == {}


# ---------------------------------------------------------------- crosswalks


def test_crosswalk_columns_joins_constants_value_maps_and_extra(reg: Register, tmp_path: Path) -> None:
    path = geojson(
        tmp_path / "dialect.geojson",
        [
            ({"ID": "X-1", "NOM": "Route", "SUB": "Nord", "CAT": "A", "USE": "R", "note": "Open"}, boxes(2)[0]),
            ({"ID": "X-2", "NOM": "Champ", "SUB": None, "CAT": "B", "USE": "??", "note": "Open"}, boxes(2)[1]),
        ],
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        """
kind: hazard-areas
code: ID
fields:
  name: [NOM, SUB]
  kind:
    column: CAT
    values: {A: CHA, B: Suspected hazardous area}
  land_use:
    column: USE
    values: {R: road, "??": ~}
  operator: {value: National Mine Action Centre}
extra: [note]
"""
    )
    report = import_file(reg, path, mapping=mapping)
    assert report.stored == 2
    one, two = reg.hazard_area("X-1"), reg.hazard_area("X-2")
    assert one is not None and two is not None
    assert (one.name, one.kind, one.land_use, one.operator) == (
        "Route Nord",
        HazardKind.CHA,
        LandUse.ROAD,
        "National Mine Action Centre",
    )
    assert (two.name, two.kind, two.land_use) == ("Champ", HazardKind.SHA, LandUse.OTHER)  # ~: the default
    # "note" holds a status term, but the crosswalk keeps it as it is
    assert one.status is HazardStatus.OPEN and one.extra == {"note": "Open"}
    assert report.crosswalk["fields"]["kind"]["values"] == {"a": "CHA", "b": "Suspected hazardous area"}


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("fields:\n  colour: X\n", "fields.colour", "no such field"),
        ("fields:\n  kind: {column: CAT, values: {A: dangerous}}\n", "fields.kind.values['A']", "not a value"),
        ("fields:\n  status: {value: lost}\n", "fields.status.value", "not a value"),
        ("fields:\n  kind: {column: CAT, value: SHA}\n", "fields.kind", "one of column, columns or value"),
        (
            "fields:\n  machine_accessible: {column: CAT, values: {yes: true}}\n",
            "fields.machine_accessible.values",
            "quote this value",
        ),
        ("kind: minefields\n", "kind", "unknown kind"),
        ("colour: blue\n", "colour", "unknown entry"),
        ("fields: [1, 2]\n", "fields", "mapping"),
        ("fields:\n  kind: {column: [", None, "not readable as YAML"),
    ],
)
def test_a_bad_crosswalk_is_refused_naming_its_entry(
    reg: Register, tmp_path: Path, text: str, where: str | None, words: str
) -> None:
    path = geojson(tmp_path / "a.geojson", [({"CAT": "A"}, boxes(1)[0])])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(text)
    with pytest.raises(ValidationError) as info:
        import_file(reg, path, mapping=mapping)
    (p,) = info.value.problems
    assert p.source == "mapping.yaml" and words in str(p) and p.field == where
    assert reg.count_hazard_areas() == 0


def test_a_crosswalk_naming_a_column_the_file_lacks_lists_the_columns(reg: Register, tmp_path: Path) -> None:
    path = geojson(tmp_path / "a.geojson", [({"CAT": "A", "NAME": "x"}, boxes(1)[0])])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("fields:\n  kind: CATEGORY\n")
    with pytest.raises(ValidationError) as info:
        import_file(reg, path, mapping=mapping)
    (p,) = info.value.problems
    assert p.field == "CATEGORY" and p.expected == "one of CAT, NAME"


def test_crosswalk_for_another_kind_is_refused(reg: Register, tmp_path: Path) -> None:
    path = geojson(tmp_path / "a.geojson", [({"CAT": "A"}, boxes(1)[0])])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("kind: evidence\n")
    with pytest.raises(ValidationError, match="another kind"):
        import_file(reg, path, kind="hazard-areas", mapping=mapping)


# ---------------------------------------------------------------- write-mapping, one edit, re-run


def events_csv(path: Path) -> Path:
    """Country-wide events with numeric event codes, as a public event register gives them: three UTM zones."""
    rows = ["OBJECTID,TIPO_EVENTO,FECHA,MUNICIPIO,LATITUD,LONGITUD"]
    places = [(-80.6, 1.8), (-75.6, 6.2), (-70.1, 7.1), (-72.5, 4.0)]  # zones 17, 18, 19 and 18
    codes = ["1", "2", "5", "8", "1", "5", "1", "8"]
    for i, code in enumerate(codes):
        lon, lat = places[i % len(places)]
        rows.append(f"{100 + i},{code},2019-0{1 + i % 9}-15,Municipio {i},{lat + 0.01 * i},{lon + 0.01 * i}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_write_mapping_then_one_edit_then_import(
    reg: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A layer in another programme's dialect: --write-mapping, fill in the ?s, re-run."""
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    events = events_csv(tmp_path / "eventos.csv")
    refused = runner.invoke(app, ["import", "eventos.csv", "--kind", "evidence"])
    text = " ".join(refused.output.split())
    assert refused.exit_code != 0 and "unknown value" in text and "'1'" in text
    assert "--write-mapping mapping.yaml" in text  # the way forward, named
    wrote = runner.invoke(app, ["import", "eventos.csv", "--kind", "evidence", "--write-mapping", "mapping.yaml"])
    assert wrote.exit_code == 0, wrote.output
    mapping = (tmp_path / "mapping.yaml").read_text()
    assert "column: TIPO_EVENTO" in mapping and '"1": "?"' in mapping and '"8": "?"' in mapping
    assert "date: FECHA" in mapping and "code: ~" in mapping
    assert "extra: [OBJECTID, MUNICIPIO]" in mapping
    again = runner.invoke(app, ["import", "eventos.csv", "--mapping", "mapping.yaml"])
    text = " ".join(again.output.split())
    assert again.exit_code != 0 and "undecided (?)" in text and "record row 1" in text
    # the one edit: say what each code means (any term of the built-in vocabularies will do)
    edited = (
        mapping.replace("code: ~", "code: OBJECTID")
        .replace('"1": "?"', '"1": AP mine accident')
        .replace('"2": "?"', '"2": UXO accident')
        .replace('"5": "?"', '"5": seizure')
        .replace('"8": "?"', '"8": suspected minefield')
    )
    (tmp_path / "mapping.yaml").write_text(edited)
    dry = runner.invoke(app, ["import", "eventos.csv", "--mapping", "mapping.yaml", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    shown = " ".join(dry.output.split())
    assert "would store 8 evidence" in shown and "kind: accident 4, eo_find 2, interview 2" in shown
    assert "eo_type: (none) 4, ap_mine 3, uxo 1" in shown and "TIPO_EVENTO → eo_type" in shown
    done = runner.invoke(app, ["import", "eventos.csv", "--mapping", "mapping.yaml"])
    assert done.exit_code == 0, done.output
    stored = Register.open(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        items = {e.code: e for e in stored.evidence()}
        assert (items["100"].kind, items["100"].eo_type) == (EvidenceKind.ACCIDENT, EOType.AP_MINE)
        assert (items["101"].kind, items["101"].eo_type) == (EvidenceKind.ACCIDENT, EOType.UXO)
        assert (items["102"].kind, items["102"].eo_type) == (EvidenceKind.EO_FIND, None)
        assert (items["103"].kind, items["103"].eo_type) == (EvidenceKind.INTERVIEW, None)
        # points across three UTM zones, stored exactly as given
        assert (items["100"].geometry.x, items["100"].geometry.y) == (-80.6, 1.8)
        assert items["102"].geometry.x == pytest.approx(-70.08, abs=1e-12)
        (run,) = stored.import_runs()
        assert run.crosswalk_file == "mapping.yaml" and run.kind == "evidence" and run.stored == 8
        assert run.source_sha256 == hashlib.sha256(events.read_bytes()).hexdigest()
        assert run.crosswalk["fields"]["kind"]["values"]["1"] == "AP mine accident"
        assert run.crosswalk["fields"]["eo_type"]["how"] == "implied"
    finally:
        stored.close()
    history = runner.invoke(app, ["imports"])
    assert "eventos.csv" in history.output and "mapping.yaml" in history.output


def test_known_event_terms_need_no_mapping(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "eventos.csv"
    path.write_text(
        "id,tipo_evento,lat,lon\n1,Accidente por MAP,6.2,-75.6\n2,Incautación,4.0,-72.5\n"
        "3,Sospecha de campo minado,7.1,-70.1\n4,Incidente por MUSE,1.8,-80.6\n"
    )
    report = import_file(reg, path, kind="evidence")
    assert report.stored == 4
    got = {e.code: (e.kind, e.eo_type) for e in reg.evidence()}
    assert got == {
        "1": (EvidenceKind.ACCIDENT, EOType.AP_MINE),
        "2": (EvidenceKind.EO_FIND, None),
        "3": (EvidenceKind.INTERVIEW, None),
        "4": (EvidenceKind.ACCIDENT, EOType.UXO),
    }


def test_starting_crosswalk_lists_every_distinct_value_with_its_meaning(tmp_path: Path) -> None:
    path = geojson(
        tmp_path / "mixed.geojson",
        [
            ({"hazard_type": v, "status": s}, g)
            for v, s, g in zip(["SHA", "Minefield", "Zona X"], ["Open", "Cleared", "Open"], boxes(3), strict=True)
        ],
    )
    text, _ = starting_crosswalk(path)
    assert '"Zona X": "?"' in text and "SHA: SHA" in text and "Minefield: CHA" in text
    assert "Open: open" in text and "Cleared: cleared" in text
    doc = __import__("yaml").safe_load(text)  # what it writes is a crosswalk that loads
    cw = parse_crosswalk(doc, origin="written.yaml")
    assert cw.fields["kind"].values["zona x"] == "?"


# ---------------------------------------------------------------- dry run and history


def test_dry_run_writes_nothing_and_counts_what_would_be_stored(reg: Register, tmp_path: Path) -> None:
    path = geojson(
        tmp_path / "areas.geojson",
        [
            ({"code": "A", "kind": "SHA", "status": "open"}, shapely.box(17.0, 45.0, 17.01, 45.01)),
            ({"code": "B", "kind": "CHA", "status": "open"}, shapely.box(17.1, 45.0, 17.11, 45.01)),
            ({"code": "C", "kind": "CHA", "status": "cleared"}, shapely.box(17.2, 45.0, 17.21, 45.01)),
            ({"code": "D", "kind": "CHA"}, None),
        ],
    )
    with reg.reading() as conn:
        events_before = conn.execute(sa.select(sa.func.count()).select_from(schema.audit_event)).scalar_one()
    report = import_file(reg, path, dry_run=True, fix=True)
    assert report.dry_run and report.read == 4 and report.stored == 3
    assert report.count("skipped") == {"null_geometry": 1}
    assert report.values["kind"] == {"SHA": 1, "CHA": 2}
    cell = shapely.box(17.0, 45.0, 17.01, 45.01)
    geod = Geod(ellps="WGS84")
    one = abs(geod.geometry_area_perimeter(cell)[0])
    assert report.by_kind_status[("CHA", "open")][0] == 1
    assert report.area_km2 == pytest.approx(3 * one / 1e6, rel=3e-3)
    assert reg.count_hazard_areas() == 0 and reg.import_runs() == []
    with reg.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.audit_event)).scalar_one() == events_before
    # and the real import stores what the dry run said, and records it
    real = import_file(reg, path, fix=True, actor="analyst")
    assert real.stored == 3 and real.values == report.values and real.by_kind_status == report.by_kind_status
    (run,) = reg.import_runs()
    assert run.actor == "analyst" and run.source == "areas.geojson" and run.options["fix"] is True
    assert run.crosswalk["fields"]["kind"] == {"column": "kind", "how": "name"}
    with reg.reading() as conn:
        assert verify_chain(conn) == []


def test_dry_run_checks_codes_against_the_register(reg: Register, tmp_path: Path) -> None:
    path = geojson(tmp_path / "a.geojson", [({"code": "A"}, boxes(1)[0])])
    import_file(reg, path)
    again = geojson(tmp_path / "b.geojson", [({"code": "A"}, boxes(2)[1])])
    with pytest.raises(ValidationError) as info:
        import_file(reg, again, dry_run=True)
    assert {(p.check, p.record) for p in errors(info)} == {("duplicate_code", "feature 0")}
    orphan = geojson(tmp_path / "c.geojson", [({"code": "B", "parent": "Z"}, boxes(3)[2])])
    with pytest.raises(ValidationError) as info:
        import_file(reg, orphan, dry_run=True)
    assert {(p.check, p.record) for p in errors(info)} == {("unknown_parent", "B")}
    child = geojson(tmp_path / "d.geojson", [({"code": "B", "parent": "A"}, boxes(3)[2])])
    assert import_file(reg, child, dry_run=True).stored == 1  # a parent stored already is known


# ---------------------------------------------------------------- several UTM zones


def test_polygons_across_utm_zones_are_each_stored_with_their_own_zone_area(reg: Register, tmp_path: Path) -> None:
    """A country-wide layer (zones 17 to 19): the stored area of each polygon matches the geodesic area."""
    squares = [shapely.box(lon, 4.0, lon + 0.02, 4.02) for lon in (-80.9, -77.0, -74.0, -69.5)]
    path = geojson(tmp_path / "country.geojson", [({"code": f"Z{i}"}, g) for i, g in enumerate(squares)])
    import_file(reg, path)
    geod = Geod(ellps="WGS84")
    with reg.reading() as conn:
        stored = dict(conn.execute(sa.select(schema.hazard_area.c.code, schema.hazard_area.c.area_m2)).all())
    for i, g in enumerate(squares):
        assert stored[f"Z{i}"] == pytest.approx(abs(geod.geometry_area_perimeter(g)[0]), rel=1.5e-3)


def test_the_readme_example_on_the_shipped_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's walk-through: known terms need nothing; numeric codes need --write-mapping and one edit."""
    samples = Path(__file__).resolve().parents[1] / "landrelease" / "samples" / "data" / "dialect"
    url = f"sqlite:///{tmp_path / 'readme.db'}"
    monkeypatch.setenv("LANDRELEASE_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    areas, events = samples / "suspect_areas.geojson", samples / "events.csv"
    assert runner.invoke(app, ["import", str(areas), "--dry-run"]).exit_code == 0
    assert runner.invoke(app, ["import", str(areas)]).exit_code == 0
    assert runner.invoke(app, ["import", str(events), "--kind", "evidence"]).exit_code != 0
    wrote = runner.invoke(app, ["import", str(events), "--kind", "evidence", "--write-mapping", "mapping.yaml"])
    assert wrote.exit_code == 0, wrote.output
    readme = (samples.parents[2].parent / "README.md").read_text()
    written = (tmp_path / "mapping.yaml").read_text()
    for line in written.splitlines():
        if line.startswith(("kind:", "code:", "  kind:", "    column:", '      "', "  date:", "extra:")):
            assert line in readme, f"the README's crosswalk no longer matches what is written: {line}"
    edited = (
        written.replace("code: ~", "code: OBJECTID")
        .replace('"1": "?"', '"1": AP mine accident')
        .replace('"2": "?"', '"2": UXO accident')
        .replace('"5": "?"', '"5": seizure')
        .replace('"8": "?"', '"8": suspected minefield')
    )
    (tmp_path / "mapping.yaml").write_text(edited)
    done = runner.invoke(app, ["import", str(events), "--mapping", "mapping.yaml"])
    assert done.exit_code == 0, done.output
    reg = Register.open(url)
    try:
        areas_by_code = {a.code: a for a in reg.hazard_areas()}
        assert areas_by_code["HA-0103"].kind is HazardKind.CHA  # "Minefield"
        assert areas_by_code["HA-0103"].status is HazardStatus.IN_PROGRESS  # "Ongoing"
        assert areas_by_code["HA-0102"].eo_types == (EOType.AP_MINE, EOType.AT_MINE)
        assert areas_by_code["HA-0101"].region == "North" and areas_by_code["HA-0101"].extra == {
            "remarks": "survey sheet 17"
        }
        kinds = {e.code: (e.kind, e.eo_type) for e in reg.evidence()}
        assert kinds["501"] == (EvidenceKind.ACCIDENT, EOType.AP_MINE) and len(kinds) == 12
        # the finished crosswalk shipped beside the sample says the same, with a constant source
        fresh = Register.open(f"sqlite:///{tmp_path / 'fresh.db'}")
        try:
            finished = import_file(fresh, events, mapping=samples / "events.mapping.yaml")
            assert finished.values["kind"] == {"accident": 6, "interview": 4, "eo_find": 2}
            assert {e.source for e in fresh.evidence()} == {"national event register"}
        finally:
            fresh.close()
        assert [r.source for r in reg.import_runs()] == ["events.csv", "suspect_areas.geojson"]
    finally:
        reg.close()


def test_one_column_holding_kinds_and_statuses_feeds_both(reg: Register, bih_path: Path, tmp_path: Path) -> None:
    """typeArea = "Suspected Minefield" on some records and "Cleared Areas" on others (two map layers merged)."""
    doc = json.loads(bih_path.read_text())
    doc["features"] = doc["features"][:400]
    for i, f in enumerate(doc["features"]):
        f["properties"]["typeArea"] = "Suspected Minefield" if i % 2 else "Cleared Areas"
    path = tmp_path / "merged.geojson"
    path.write_text(json.dumps(doc))
    report = import_file(reg, path, fix=True)
    assert {(c, f) for c, f, _ in report.columns} >= {("typeArea", "kind"), ("typeArea", "status")}
    assert "mix" in report.notes[0].message
    assert set(report.by_kind_status) == {("SHA", "open"), ("SHA", "cleared")}
    codes = {a.code: a for a in reg.hazard_areas(limit=1000)}
    assert codes["merged-1"].status is HazardStatus.OPEN and codes["merged-1"].kind is HazardKind.SHA
    assert codes["merged-0"].status is HazardStatus.CLEARED


def test_a_shared_column_keeps_its_split_past_the_first_batch(reg: Register, tmp_path: Path) -> None:
    """The split is decided on the first batch; a later batch's terms of either field still go where they belong."""
    values = ["Suspected Minefield", "Cleared"] * 3 + ["Minefield", "Released", "Confirmed Hazardous Area"]
    path = geojson(
        tmp_path / "split.geojson",
        [({"code": f"A{i}", "TYPE": v}, g) for i, (v, g) in enumerate(zip(values, boxes(9), strict=True))],
    )
    import_file(reg, path, batch_size=4)
    got = {a.code: (a.kind, a.status) for a in reg.hazard_areas()}
    assert got["A6"] == (HazardKind.CHA, HazardStatus.OPEN) and got["A7"] == (HazardKind.SHA, HazardStatus.RELEASED)
    assert got["A1"] == (HazardKind.SHA, HazardStatus.CLEARED)
