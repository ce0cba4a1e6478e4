"""The shipped XLSForm (pyxform turns it into a valid XForm) and the reader of its exports and submissions."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest

from landrelease.domain.enums import EOType, StoppageReason, WorkMethod
from landrelease.domain.errors import ValidationError
from landrelease.io import kobo
from landrelease.io.xlsform import FORM_ID, FORM_PATH, read_form, sheets, write_form
from tests.field_support import kobo_json, kobo_xlsx, odata_json, odk_central_zip

XF = "{http://www.w3.org/2002/xforms}"


def phone(uuid: str, **kw: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "uuid": uuid,
        "team": "MAN-01",
        "hazard_area": "HA-000001",
        "task": "T-0001",
        "report_date": "2026-05-01",
        "team_leader": "Team Leader One",
        "position": (40.0011, 47.0012),
        "areas": {"cleared": 412.5, "ts_searched": 80},
        "hours_worked": 6.5,
        "stoppages": {"weather": 1.5},
        "finds": [
            {
                "category": "ap_mine",
                "model": "PMN-2",
                "condition": "intact",
                "depth_cm": 8,
                "find_position": (40.0012, 47.0013),
                "disposal": "destroyed_in_situ",
            },
            {
                "category": "uxo",
                "model": "",
                "condition": "deteriorated",
                "depth_cm": 0,
                "find_position": (40.0014, 47.0011),
                "disposal": "moved_and_destroyed",
            },
        ],
        "notes": "Rain after 14:00",
        "submitted": "2026-05-01T16:05:11.000Z",
    }
    s.update(kw)
    return s


SUBS = [
    phone("0f8fad5b-d9cb-469f-a165-70867728950e"),
    phone("7c9e6679-7425-40de-944b-e07fc1f90ae7", team="MDD-02", finds=[], areas={"ts_searched": 1500}, position=None),
]


def test_the_shipped_form_is_the_built_form(tmp_path: Path) -> None:
    assert read_form(FORM_PATH) == sheets()
    fresh = write_form(tmp_path / "f.xlsx")
    assert read_form(fresh) == read_form(FORM_PATH)


def test_pyxform_converts_the_form_into_a_valid_xform(tmp_path: Path) -> None:
    from pyxform.xls2xform import convert

    result = convert(xlsform=str(FORM_PATH), validate=False)
    assert not result.warnings, result.warnings
    root = ET.fromstring(result.xform)
    data = root.find(f".//{XF}instance/{XF}data")
    assert data is not None and data.get("id") == FORM_ID
    assert data.find(f"{XF}assignment/{XF}team") is not None
    assert data.find(f"{XF}meta/{XF}instanceID") is not None
    assert data.find(f"{XF}finds/{XF}find_position") is not None
    binds = {b.get("nodeset"): b for b in root.iter(f"{XF}bind")}
    assert binds["/data/assignment/position"].get("type") == "geopoint"
    assert binds["/data/finds/find_position"].get("type") == "geopoint"
    assert binds["/data/assignment/report_date"].get("constraint") == ". <= today()"
    external = {i.get("id"): i.get("src") for i in root.iter(f"{XF}instance") if i.get("src")}
    assert external == {
        "teams": "jr://file-csv/teams.csv",
        "hazard_areas": "jr://file-csv/hazard_areas.csv",
        "tasks": "jr://file-csv/tasks.csv",
    }
    # Choice lists are the register's vocabularies.
    cats = {n.text for n in root.findall(f".//{XF}instance[@id='device_category']//{XF}name")}
    assert cats == set(EOType.allowed())
    assert root.find(f".//{XF}repeat[@nodeset='/data/finds']") is not None


def check_reports(reports: list) -> None:
    assert [r.uuid for r in reports] == [s["uuid"] for s in SUBS]
    a, b = reports
    assert a.team == "MAN-01" and a.hazard_code == "HA-000001" and a.task == "T-0001"
    assert a.area_by_method == {WorkMethod.CLEARED: 412.5, WorkMethod.TS_SEARCHED: 80.0}
    assert a.m2_processed == 492.5 and a.hours == 6.5
    assert [(s.reason, s.hours) for s in a.stoppages] == [(StoppageReason.WEATHER, 1.5)]
    assert a.team_leader == "Team Leader One" and a.notes == "Rain after 14:00"
    assert (round(a.position.x, 4), round(a.position.y, 4)) == (47.0012, 40.0011)
    assert [(f.eo_type, f.model, f.condition, f.depth_cm, f.disposal) for f in a.items] == [
        (EOType.AP_MINE, "PMN-2", "intact", 8.0, "destroyed_in_situ"),
        (EOType.UXO, None, "deteriorated", 0.0, "moved_and_destroyed"),
    ]
    assert (a.items[0].position.x, a.items[0].position.y) == (47.0013, 40.0012)
    assert a.submitted_at is not None and a.submitted_at.year == 2026
    assert b.team == "MDD-02" and b.items == [] and b.finds == 0 and b.position is None
    assert b.area_by_method == {WorkMethod.TS_SEARCHED: 1500.0}


def test_reads_an_odk_central_zip_export(tmp_path: Path) -> None:
    check_reports(kobo.read_reports(odk_central_zip(tmp_path / f"{FORM_ID}.zip", SUBS)))


def test_reads_odk_central_csv_files_side_by_side(tmp_path: Path) -> None:
    z = odk_central_zip(tmp_path / "export.zip", SUBS)
    with zipfile.ZipFile(z) as zf:
        zf.extractall(tmp_path)
    check_reports(kobo.read_reports(tmp_path / f"{FORM_ID}.csv"))


def test_reads_a_kobotoolbox_xlsx_export(tmp_path: Path) -> None:
    check_reports(kobo.read_reports(kobo_xlsx(tmp_path / "kobo.xlsx", SUBS)))


def test_reads_both_servers_submission_json() -> None:
    check_reports(kobo.to_reports(kobo.load_json(json.dumps(kobo_json(SUBS)), "KoboToolbox")))
    check_reports(kobo.to_reports(kobo.load_json(json.dumps(odata_json(SUBS)), "ODK Central")))


def test_an_export_without_its_repeat_data_is_refused_not_silently_short(tmp_path: Path) -> None:
    z = odk_central_zip(tmp_path / "e.zip", SUBS, with_finds=False)
    with pytest.raises(ValidationError) as err:
        kobo.read_reports(z)
    (p,) = err.value.problems
    assert p.field == "finds" and SUBS[0]["uuid"] in (p.record or "") and "row 2" in (p.record or "")


def test_malformed_values_are_refused_naming_row_and_column(tmp_path: Path) -> None:
    bad = [
        phone("0f8fad5b-d9cb-469f-a165-70867728950e", areas={"cleared": "lots"}),
        phone("7c9e6679-7425-40de-944b-e07fc1f90ae7", report_date="01/05/2026",
              finds=[{"category": "grenade", "condition": "intact", "find_position": (40.0, 47.0), "disposal": "x"}]),
    ]  # fmt: skip
    with pytest.raises(ValidationError) as err:
        kobo.read_reports(kobo_xlsx(tmp_path / "kobo.xlsx", bad))
    got = {(re.search(r"row (\d+)", p.record or "").group(1), p.field) for p in err.value.problems}
    assert ("2", "area/cleared") in got
    assert ("3", "assignment/report_date") in got
    assert ("3", "finds[1]/category") in got and ("3", "finds[1]/disposal") in got


def test_a_find_row_without_its_submission_is_refused(tmp_path: Path) -> None:
    z = odk_central_zip(tmp_path / "e.zip", SUBS)
    with zipfile.ZipFile(z) as zf:
        main = zf.read(f"{FORM_ID}.csv").decode()
        rep = zf.read(f"{FORM_ID}-finds.csv").decode().replace(f"uuid:{SUBS[0]['uuid']},", "uuid:nobody,", 1)
    z2 = tmp_path / "e2.zip"
    with zipfile.ZipFile(z2, "w") as zf:
        zf.writestr(f"{FORM_ID}.csv", main)
        zf.writestr(f"{FORM_ID}-finds.csv", rep)
    with pytest.raises(ValidationError) as err:
        kobo.read_reports(z2)
    assert err.value.problems[0].record == "row 2"


def test_labels_are_read_as_values() -> None:
    doc = kobo_json([phone("0f8fad5b-d9cb-469f-a165-70867728950e")])
    doc["results"][0]["finds"][0]["finds/category"] = "AP mine"
    doc["results"][0]["finds"][0]["finds/disposal"] = "Destroyed in situ"
    (r,) = kobo.to_reports(kobo.parse_json(doc, "KoboToolbox"))
    assert r.items[0].eo_type is EOType.AP_MINE and r.items[0].disposal == "destroyed_in_situ"
