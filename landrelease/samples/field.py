"""Sample field data for the demo: a few weeks of daily reports as a KoboToolbox export of the
shipped form, accidents with victims, risk education sessions. All drawn from a seed.

The export is written with KoboToolbox's column naming ("XML values and headers", groups
separated by ``/``, a geopoint as ``NAME`` plus ``_NAME_latitude``…, ``_uuid``,
``_submission_time``, the finds repeat as its own sheet linked by ``_parent_index`` and
``_submission__uuid``), so the demo imports it through the same reader as a real export.
Names are placeholders ("Team leader 3"), not people.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point

from landrelease.domain.asset import Team
from landrelease.domain.enums import AssetType, EOType
from landrelease.domain.hazard import HazardArea
from landrelease.domain.settlement import Settlement
from landrelease.field.casualty import Accident, ActivityAtTime, AgeBand, Outcome, Sex, Victim
from landrelease.field.eore import EoreMethod, EoreSession
from landrelease.io.xlsform import REPEAT_FINDS, survey_rows

KOBO_GEO = ("latitude", "longitude", "altitude", "precision")
# m²/day per team by type (around the published priors; the calibration then learns from them).
DAILY = {
    AssetType.MANUAL: ("cleared", 35.0),
    AssetType.MDD: ("ts_searched", 700.0),
    AssetType.MECHANICAL: ("machine_processed", 4500.0),
}


def _inside(rng: np.random.Generator, area: shapely.Geometry) -> Point:
    minx, miny, maxx, maxy = area.bounds
    for _ in range(500):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.contains(p):
            return p
    return area.representative_point()


def sample_submissions(
    areas: Sequence[HazardArea], teams: Sequence[Team], *, seed: int, today: date, weeks: int = 3
) -> list[dict[str, Any]]:
    """Daily reports of the field teams over the last ``weeks`` (working days), as the phone fills the form."""
    rng = np.random.default_rng(seed)
    workers = [t for t in teams if t.type in DAILY][:12]
    open_areas = sorted((a for a in areas if a.is_open), key=lambda a: -shapely.area(a.geometry))[
        : max(len(workers), 1) * 2
    ]
    subs: list[dict[str, Any]] = []
    start = today - timedelta(days=7 * weeks)
    for k, team in enumerate(workers):
        area = open_areas[k % len(open_areas)] if open_areas else None
        if area is None:
            break
        method, rate = DAILY[team.type]
        units = team.size if team.type is AssetType.MANUAL else 1
        for d in range(7 * weeks):
            day = start + timedelta(days=d)
            if day.weekday() >= 5 or day >= today:
                continue
            m2 = float(np.round(rate * units * rng.lognormal(0.0, 0.35), 1))
            weather = float(rng.choice([0.0, 0.0, 0.0, 0.0, 1.5, 3.0]))
            finds = []
            if rng.random() < 0.12:
                p = _inside(rng, area.geometry)
                finds.append(
                    {
                        "category": str(
                            rng.choice([EOType.AP_MINE.value, EOType.UXO.value, EOType.CLUSTER_MUNITION.value])
                        ),
                        "model": "",
                        "condition": "intact",
                        "depth_cm": float(np.round(rng.uniform(2, 15), 1)),
                        "find_position": (p.y, p.x),
                        "disposal": "destroyed_in_situ",
                    }
                )
            here = area.geometry.representative_point()
            subs.append(
                {
                    "uuid": str(
                        uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | int(rng.integers(0, 2**63)), version=4)
                    ),
                    "team": team.code,
                    "hazard_area": area.code,
                    "task": "",
                    "report_date": day.isoformat(),
                    "team_leader": f"Team leader {k + 1}",
                    "position": (here.y, here.x),
                    "areas": {method: m2},
                    "hours_worked": 6.0 - weather,
                    "stoppages": {"weather": weather} if weather else {},
                    "finds": finds,
                    "notes": "",
                    "submitted": f"{day.isoformat()}T16:{k % 60:02d}:00",
                }
            )
    return subs


def _value(sub: dict[str, Any], name: str) -> Any:
    if name in ("nts_walked", "ts_searched", "cleared", "machine_processed"):
        return sub.get("areas", {}).get(name, 0)
    if name.startswith("stoppage_"):
        return sub.get("stoppages", {}).get(name.removeprefix("stoppage_"), 0)
    if name == "n_finds":
        return len(sub.get("finds", []))
    if name in ("start", "end"):
        return sub["report_date"] + "T07:00:00.000+00:00"
    return sub.get(name, "")


def _questions() -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
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


def write_kobo_export(path: Path, subs: Sequence[dict[str, Any]]) -> Path:
    """The submissions as a KoboToolbox XLSX export of the daily-report form (see the module)."""
    from openpyxl import Workbook

    main, repeat = _questions()
    header: list[str] = []
    for p, name, t in main:
        header.append(p)
        if t == "geopoint":
            prefix = p.rsplit("/", 1)[0] + "/" if "/" in p else ""
            header += [f"{prefix}_{name}_{g}" for g in KOBO_GEO]
    meta = [
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "__version__",
        "_tags",
    ]
    header += ["meta/instanceID", *meta, "_index"]
    rep_header: list[str] = []
    for name, t in repeat:
        rep_header.append(f"{REPEAT_FINDS}/{name}")
        if t == "geopoint":
            rep_header += [f"{REPEAT_FINDS}/_{name}_{g}" for g in KOBO_GEO]
    rep_header += ["_index", "_parent_table_name", "_parent_index", *[f"_submission_{c}" for c in meta]]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Daily report (land release)"
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
                row.append(_value(s, name))
        at = s.get("submitted", "2026-05-01T16:00:00").replace("Z", "")
        row += [f"uuid:{s['uuid']}", 1000 + i, s["uuid"], at, "", "", "submitted_via_web", "fieldteam", "v1", "", i]
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
            rr += [k, ws.title, i, 1000 + i, s["uuid"], at, "", "", "", "fieldteam", "v1", ""]
            rep.append(rr)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def sample_accidents(areas: Sequence[HazardArea], *, seed: int, today: date) -> tuple[list[Accident], list[Victim]]:
    rng = np.random.default_rng(seed + 1)
    open_areas = [a for a in areas if a.is_open][:40]
    accidents, victims = [], []
    for i, area in enumerate(open_areas[:: max(1, len(open_areas) // 3)][:3]):
        code = f"ACC-{i + 1:04d}"
        accidents.append(
            Accident(
                code,
                _inside(rng, area.geometry),
                today - timedelta(days=int(rng.integers(30, 300))),
                EOType.AP_MINE if i != 1 else EOType.UXO,
                False,
                [ActivityAtTime.FARMING, ActivityAtTime.HERDING, ActivityAtTime.COLLECTING][i],
                area.code,
            )
        )
        victims.append(
            Victim(
                code,
                [Sex.MALE, Sex.FEMALE, Sex.MALE][i],
                [AgeBand.ADULT, AgeBand.ADULT, AgeBand.CHILD][i],
                Outcome.INJURED if i != 0 else Outcome.KILLED,
                "" if i == 0 else "lower-limb injury",
                name=f"Victim {i + 1} (sample)",
                contact=None,
            )
        )
    return accidents, victims


def sample_eore(settlements: Sequence[Settlement], *, seed: int, today: date, n: int = 10) -> list[EoreSession]:
    rng = np.random.default_rng(seed + 2)
    out = []
    methods = list(EoreMethod)
    for i, s in enumerate(list(settlements)[:n]):
        cells = {
            (sex, band): int(rng.integers(2, 40))
            for sex in (Sex.FEMALE, Sex.MALE)
            for band in (AgeBand.CHILD, AgeBand.ADULT, AgeBand.OLDER)
        }
        out.append(
            EoreSession(
                f"EORE-{i + 1:04d}",
                s.geometry.representative_point(),
                s.name,
                today - timedelta(days=int(rng.integers(1, 60))),
                ["NGO A", "NGO B"][i % 2],
                methods[i % 2 if i < 8 else 2],
                cells,
            )
        )
    return out
