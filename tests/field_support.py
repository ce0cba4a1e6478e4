"""Exports of the daily-report form as KoboToolbox and ODK Central write them, for the tests.

The column naming follows the tools' documented formats (see landrelease/io/kobo.py): ODK
Central's Briefcase CSV (``group-question``, geopoint ``-Latitude``…, ``KEY``/``PARENT_KEY``,
a CSV per repeat in a ZIP) and KoboToolbox's XLSX ("XML values and headers": ``group/question``,
``_NAME_latitude``…, ``_uuid``, ``_submission_time``, a sheet per repeat with ``_parent_index``
and ``_submission__uuid``), and the two servers' submission-list JSON.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from landrelease.io.xlsform import FORM_ID, REPEAT_FINDS, survey_rows

GEO = ("Latitude", "Longitude", "Altitude", "Accuracy")
KOBO_GEO = ("latitude", "longitude", "altitude", "precision")


def _questions() -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """(path, name, type) of top-level questions and (name, type) of the repeat's questions."""
    main: list[tuple[str, str, str]] = []
    repeat: list[tuple[str, str]] = []
    groups: list[str] = []
    in_repeat = False
    for r in survey_rows():
        t = r["type"]
        if t == "begin_group":
            groups.append(r["name"])
        elif t == "end_group":
            groups.pop()
        elif t == "begin_repeat":
            in_repeat = True
        elif t == "end_repeat":
            in_repeat = False
        elif in_repeat:
            repeat.append((r["name"], t))
        else:
            main.append(("/".join([*groups, r["name"]]), r["name"], t))
    return main, repeat


def sub_value(sub: dict[str, Any], name: str) -> Any:
    if name in ("nts_walked", "ts_searched", "cleared", "machine_processed"):
        return sub.get("areas", {}).get(name, 0)
    if name.startswith("stoppage_"):
        return sub.get("stoppages", {}).get(name.removeprefix("stoppage_"), 0)
    if name == "n_finds":
        return len(sub.get("finds", []))
    if name in ("start", "end"):
        return sub["report_date"] + "T07:00:00.000+04:00"
    return sub.get(name, "")


def odk_central_zip(path: Path, subs: Sequence[dict[str, Any]], *, with_finds: bool = True) -> Path:
    main, repeat = _questions()
    header = ["SubmissionDate"]
    for p, _name, t in main:
        col = p.replace("/", "-")
        header += [f"{col}-{g}" for g in GEO] if t == "geopoint" else [col]
    header += ["meta-instanceID", "meta-instanceName", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
               "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]  # fmt: skip
    rows = []
    rep_rows = []
    for s in subs:
        key = f"uuid:{s['uuid']}"
        row: list[Any] = [s.get("submitted", "2026-05-01T16:00:00.000Z")]
        for _p, name, t in main:
            if t == "geopoint":
                lat, lon = s.get(name) or ("", "")
                row += [lat, lon, "512.3" if lat != "" else "", "4.8" if lat != "" else ""]
            else:
                row.append(sub_value(s, name))
        row += [
            key,
            f"{s['team']} {s['report_date']}",
            key,
            "7",
            "tablet 3",
            "0",
            "0",
            "",
            "",
            "collect:xyz",
            "0",
            "2026120101",
        ]
        rows.append(row)
        for j, f in enumerate(s.get("finds", []), 1):
            rr: list[Any] = []
            for name, t in repeat:
                if t == "geopoint":
                    lat, lon = f[name]
                    rr += [lat, lon, "511.0", "3.9"]
                else:
                    rr.append(f.get(name, ""))
            rep_rows.append([*rr, key, f"{key}/{REPEAT_FINDS}[{j}]"])
    rep_header = []
    for name, t in repeat:
        rep_header += [f"{name}-{g}" for g in GEO] if t == "geopoint" else [name]
    rep_header += ["PARENT_KEY", "KEY"]

    def to_csv(h: list[str], rs: list[list[Any]]) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(h)
        w.writerows(rs)
        return buf.getvalue()

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{FORM_ID}.csv", to_csv(header, rows))
        if with_finds:
            zf.writestr(f"{FORM_ID}-{REPEAT_FINDS}.csv", to_csv(rep_header, rep_rows))
    return path


def kobo_xlsx(path: Path, subs: Sequence[dict[str, Any]]) -> Path:
    from openpyxl import Workbook

    main, repeat = _questions()
    header: list[str] = []
    for p, name, t in main:
        header.append(p)
        if t == "geopoint":
            prefix = p.rsplit("/", 1)[0] + "/" if "/" in p else ""
            header += [f"{prefix}_{name}_{g}" for g in KOBO_GEO]
    header += ["meta/instanceID", "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
               "_submitted_by", "__version__", "_tags", "_index"]  # fmt: skip
    rep_header: list[str] = []
    for name, t in repeat:
        rep_header.append(f"{REPEAT_FINDS}/{name}")
        if t == "geopoint":
            rep_header += [f"{REPEAT_FINDS}/_{name}_{g}" for g in KOBO_GEO]
    copied = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
              "__version__", "_tags"]  # fmt: skip
    rep_header += ["_index", "_parent_table_name", "_parent_index", *[f"_submission_{c}" for c in copied]]
    wb = Workbook()
    ws = wb.active
    ws.title = "Daily report (land release)"[:31]
    ws.append(header)
    rep = wb.create_sheet(REPEAT_FINDS)
    rep.append(rep_header)
    k = 0
    for i, s in enumerate(subs, 1):
        row: list[Any] = []
        for _p, name, t in main:
            if t == "geopoint":
                lat, lon = s.get(name) or ("", "")
                row.append(f"{lat} {lon} 512.3 4.8" if lat != "" else "")
                row += [lat, lon, 512.3 if lat != "" else "", 4.8 if lat != "" else ""]
            else:
                row.append(sub_value(s, name))
        at = s.get("submitted", "2026-05-01T16:00:00")
        row += [f"uuid:{s['uuid']}", 1000 + i, s["uuid"], at.replace("Z", ""), "", "", "submitted_via_web", "leader1",
                "vXyZ", "", i]  # fmt: skip
        ws.append(row)
        for f in s.get("finds", []):
            k += 1
            rr: list[Any] = []
            for name, t in repeat:
                if t == "geopoint":
                    lat, lon = f[name]
                    rr += [f"{lat} {lon} 511 3.9", lat, lon, 511, 3.9]
                else:
                    rr.append(f.get(name, ""))
            rr += [k, ws.title, i, 1000 + i, s["uuid"], at, "", "", "", "", "", ""]
            rep.append(rr)
    wb.save(path)
    return path


def geo_text(latlon: tuple[float, float]) -> str:
    return f"{latlon[0]} {latlon[1]} 511 3.9"


def kobo_json(subs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    main, repeat = _questions()
    results = []
    for i, s in enumerate(subs, 1):
        obj: dict[str, Any] = {"_id": 1000 + i, "_uuid": s["uuid"], "meta/instanceID": f"uuid:{s['uuid']}",
                               "_submission_time": s.get("submitted", "2026-05-01T16:00:00").replace("Z", ""),
                               "formhub/uuid": "abc", "__version__": "vXyZ", "_attachments": [], "_tags": [],
                               "_notes": [], "_validation_status": {}, "_geolocation": [None, None]}  # fmt: skip
        for p, name, t in main:
            v = sub_value(s, name)
            if t == "geopoint":
                if s.get(name):
                    lat, lon = s[name]
                    obj[p] = f"{lat} {lon} 512.3 4.8"
            elif v != "":
                obj[p] = str(v)
        if s.get("finds"):
            obj[REPEAT_FINDS] = [
                {f"{REPEAT_FINDS}/{name}": (geo_text(f[name]) if t == "geopoint" else str(f.get(name, "")))
                 for name, t in repeat if t == "geopoint" or f.get(name, "") != ""}
                for f in s["finds"]
            ]  # fmt: skip
        results.append(obj)
    return {"count": len(results), "next": None, "previous": None, "results": results}


def geojson(latlon: tuple[float, float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [latlon[1], latlon[0], 511], "properties": {"accuracy": 3.9}}


def odata_json(subs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    main, repeat = _questions()
    value = []
    for s in subs:
        obj: dict[str, Any] = {"__id": f"uuid:{s['uuid']}", "__system": {
            "submissionDate": s.get("submitted", "2026-05-01T16:00:00.000Z"), "submitterId": "7",
            "submitterName": "tablet 3", "reviewState": None, "formVersion": "2026120101"}}  # fmt: skip
        for p, name, t in main:
            node = obj
            for g in p.split("/")[:-1]:
                node = node.setdefault(g, {})
            v = sub_value(s, name)
            if t == "geopoint":
                if s.get(name):
                    lat, lon = s[name]
                    node[name] = {"type": "Point", "coordinates": [lon, lat, 512.3], "properties": {"accuracy": 4.8}}
                else:
                    node[name] = None
            elif t in ("decimal", "int", "calculate") and v != "":
                node[name] = float(v) if t == "decimal" else v
            else:
                node[name] = v if v != "" else None
        obj.setdefault("meta", {})["instanceID"] = f"uuid:{s['uuid']}"
        obj[REPEAT_FINDS] = [
            {name: (geojson(f[name]) if t == "geopoint" else f.get(name)) for name, t in repeat}
            for f in s.get("finds", [])
        ]  # fmt: skip
        value.append(obj)
    return {"@odata.context": "…/$metadata#Submissions", "value": value}
