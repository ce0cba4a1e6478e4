"""Reading the daily-report form's data as KoboToolbox and ODK Central give it out.

Four shapes of the same submissions (of the form in :mod:`landrelease.io.xlsform`):

**ODK Central CSV export** (the Briefcase CSV format; a ZIP, or its CSV files side by side).
The main file ``FORM.csv`` has ``SubmissionDate`` (ISO 8601), one column per question named
by its group path joined with ``-`` (``assignment-team``), a geopoint as four columns
``NAME-Latitude``, ``-Longitude``, ``-Altitude``, ``-Accuracy``, ``meta-instanceID``, ``KEY``
(the instance ID, ``uuid:…``) and Central's own columns (``SubmitterID``, ``SubmitterName``,
``Status``, ``ReviewState``, ``DeviceID``, ``Edits``, ``FormVersion``…). Each repeat group is
its own file ``FORM-REPEAT.csv`` (``landrelease_daily_report-finds.csv``) whose rows carry
``PARENT_KEY`` (the submission's ``KEY``) and ``KEY`` (``uuid:…/finds[1]``); columns inside
the repeat are named without the repeat's own name.

**KoboToolbox XLS(X) export** ("XML values and headers", groups included, separator ``/``):
the first sheet holds the submissions, columns ``assignment/team``…, a geopoint as
``NAME`` (``"lat lon alt precision"``) plus ``_NAME_latitude``, ``_NAME_longitude``,
``_NAME_altitude``, ``_NAME_precision``, and the metadata ``_id``, ``_uuid``,
``_submission_time``, ``_index``…; each repeat group is a sheet named after it whose rows
carry ``_index``, ``_parent_table_name``, ``_parent_index`` (the main row's ``_index``) and
``_submission__uuid``. A **KoboToolbox CSV** export has the main sheet only (``;`` or ``,``
separated); a repeat sheet saved as CSV beside it (``STEM-finds.csv``) is read too.

**KoboToolbox API v2 JSON** (``/api/v2/assets/UID/data/?format=json``): ``results`` of flat
objects keyed by full paths (``assignment/team``), ``_uuid``, ``_submission_time``, a
geopoint as ``"lat lon alt precision"``, and each repeat as a list of objects keyed by
full paths (``finds/category``).

**ODK Central OData JSON** (``/v1/projects/P/forms/F.svc/Submissions?$expand=*``):
``value`` of nested objects by group (``{"assignment": {"team": …}}``), ``__id`` and
``meta.instanceID`` (``uuid:…``), ``__system.submissionDate``, a geopoint as GeoJSON
(``{"type": "Point", "coordinates": [lon, lat, alt], "properties": {"accuracy": …}}``),
repeats inline as lists.

Every shape becomes :class:`RawSubmission` then a :class:`~landrelease.domain.task.DailyReport`.
A file is read all or nothing: every problem is listed, naming the file, the record (row
and instance ID) and the column; a submission whose count of finds (``n_finds``) does not
match the devices found in the repeat data is refused, so an export without its repeat
sheet cannot lose devices silently. Values may be the choice names (``ap_mine``) or their
English labels (``AP mine``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from shapely.geometry import Point

from landrelease.domain.activity import Find
from landrelease.domain.enums import Disposal, EOType, ItemCondition, WorkMethod
from landrelease.domain.errors import Problem, ValidationError
from landrelease.domain.task import DailyReport, Stoppage
from landrelease.io.xlsform import AREA_QUESTIONS, FORM_ID, LABELS, REPEAT_FINDS, STOPPAGE_QUESTIONS

GEO_PARTS = {"latitude": "lat", "longitude": "lon", "altitude": "alt", "accuracy": "acc", "precision": "acc"}
_KOBO_GEO = re.compile(r"^_(?P<name>\w+?)_(?P<part>latitude|longitude|altitude|precision)$")


@dataclass(slots=True)
class RawSubmission:
    """One submission, whatever shape it came in: question name -> value; geopoints as (lon, lat)."""

    where: str  # "file.csv row 3" / "KoboToolbox submission 17"
    instance_id: str | None
    submitted_at: datetime | None
    values: dict[str, Any] = field(default_factory=dict)
    finds: list[dict[str, Any]] = field(default_factory=list)
    finds_where: list[str] = field(default_factory=list)
    source: str = ""


# ------------------------------------------------------------------------------ columns


def question_of(header: str) -> tuple[str, str | None]:
    """The question name and geopoint part a column holds, in either tool's naming.

    >>> question_of("assignment-position-Latitude")
    ('position', 'lat')
    >>> question_of("assignment/_position_longitude")
    ('position', 'lon')
    >>> question_of("finds/depth_cm")
    ('depth_cm', None)
    >>> question_of("meta-instanceID")
    ('instanceID', None)
    """
    parts = [p for p in re.split(r"[/-]", header.strip()) if p]
    if not parts:
        return "", None
    last = parts[-1]
    if len(parts) >= 2 and last.lower() in GEO_PARTS and last[0].isupper():
        return parts[-2], GEO_PARTS[last.lower()]
    m = _KOBO_GEO.match(last)
    if m:
        return m.group("name"), GEO_PARTS[m.group("part")]
    return last, None


def _row_values(row: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Plain question values and geopoint parts of one row keyed by question name."""
    values: dict[str, Any] = {}
    geo: dict[str, dict[str, Any]] = {}
    for header, value in row.items():
        if header is None:
            continue
        name, part = question_of(str(header))
        if part:
            geo.setdefault(name, {})[part] = value
        elif name not in values or values[name] in (None, ""):
            values[name] = value
    return values, geo


def _geopoint(values: dict[str, Any], geo: dict[str, dict[str, Any]], name: str) -> tuple[Any, Any] | None:
    """(lon, lat) of a geopoint from its parts or its "lat lon alt acc" string; None when empty."""
    parts = geo.get(name, {})
    lat, lon = parts.get("lat"), parts.get("lon")
    raw = values.get(name)
    if (lat in (None, "") or lon in (None, "")) and isinstance(raw, str) and raw.strip():
        bits = raw.split()
        lat, lon = (bits[0], bits[1]) if len(bits) >= 2 else (raw, None)
    if isinstance(raw, dict) and raw.get("type") == "Point":  # GeoJSON (ODK Central OData)
        coords = raw.get("coordinates") or []
        lon, lat = (coords[0], coords[1]) if len(coords) >= 2 else (None, None)
    if lat in (None, "") and lon in (None, ""):
        return None
    return (lon, lat)


def _clean_id(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    return s[5:] if s.lower().startswith("uuid:") else (s or None)


def _parse_time(v: Any) -> datetime | None:
    if v in (None, ""):
        return None
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    s = str(v).strip().replace("Z", "+00:00")
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _submission_of(row: Mapping[str, Any], where: str, source: str) -> RawSubmission:
    values, geo = _row_values(row)
    iid = _clean_id(row.get("_uuid")) or _clean_id(values.get("instanceID")) or _clean_id(row.get("KEY"))
    at = _parse_time(row.get("_submission_time") or row.get("SubmissionDate"))
    sub = RawSubmission(where, iid, at, values, source=source)
    sub.values["position"] = _geopoint(values, geo, "position")
    return sub


def _find_of(row: Mapping[str, Any]) -> dict[str, Any]:
    values, geo = _row_values(row)
    values["find_position"] = _geopoint(values, geo, "find_position")
    return values


# ------------------------------------------------------------------------------ files


def _read_csv(data: bytes, name: str) -> list[dict[str, Any]]:
    text = data.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def _read_xlsx(path: Path) -> dict[str, list[dict[str, Any]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    out: dict[str, list[dict[str, Any]]] = {}
    for ws in wb.worksheets:
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            out[ws.title] = []
            continue
        names = ["" if h is None else str(h) for h in header]
        out[ws.title] = [
            {n: v for n, v in zip(names, r, strict=False) if n} for r in rows if any(c not in (None, "") for c in r)
        ]
    wb.close()
    return out


def read_export(path: Path | str, finds_path: Path | str | None = None) -> list[RawSubmission]:
    """Submissions from an export file: ODK Central ZIP or CSV, KoboToolbox XLSX or CSV.

    For a CSV main file, the finds come from ``finds_path`` or, when not given, from a file
    beside it named ``STEM-finds.csv`` (ODK Central) when it exists.
    """
    path = Path(path)
    if not path.exists():
        raise ValidationError([Problem("no such file", source=str(path))], summary="export refused")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _from_zip(path)
    if suffix in (".xlsx", ".xlsm"):
        return _from_kobo_sheets(_read_xlsx(path), path.name)
    if suffix == ".csv":
        main = _read_csv(path.read_bytes(), path.name)
        fp = Path(finds_path) if finds_path else path.with_name(f"{path.stem}-{REPEAT_FINDS}.csv")
        finds = _read_csv(fp.read_bytes(), fp.name) if fp.exists() else None
        return _from_tables(main, finds, path.name, fp.name if finds is not None else None)
    raise ValidationError(
        [Problem("not an export this reader knows", source=path.name, found=suffix, expected=".zip, .csv, .xlsx")],
        summary="export refused",
    )


def _from_zip(path: Path) -> list[RawSubmission]:
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.lower().endswith(".csv")]
        repeat = [n for n in names if Path(n).stem.endswith(f"-{REPEAT_FINDS}")]
        mains = [n for n in names if n not in repeat and "-" not in Path(n).stem.removeprefix(FORM_ID)]
        if len(mains) != 1:
            raise ValidationError(
                [Problem("expected one main CSV in the ZIP", source=path.name, found=", ".join(names) or "none")],
                summary="export refused",
            )
        main = _read_csv(zf.read(mains[0]), mains[0])
        finds = _read_csv(zf.read(repeat[0]), repeat[0]) if repeat else None
    return _from_tables(main, finds, f"{path.name}:{mains[0]}", f"{path.name}:{repeat[0]}" if repeat else None)


def _from_kobo_sheets(sheets: dict[str, list[dict[str, Any]]], name: str) -> list[RawSubmission]:
    if not sheets:
        raise ValidationError([Problem("the workbook has no sheet", source=name)], summary="export refused")
    titles = list(sheets)
    main_title = titles[0]
    finds_title = next((t for t in titles[1:] if t.lower() == REPEAT_FINDS), None)
    return _from_tables(
        sheets[main_title],
        sheets[finds_title] if finds_title else None,
        f"{name}:{main_title}",
        f"{name}:{finds_title}" if finds_title else None,
    )


def _from_tables(
    main: Sequence[Mapping[str, Any]],
    finds: Sequence[Mapping[str, Any]] | None,
    main_name: str,
    finds_name: str | None,
) -> list[RawSubmission]:
    subs = [_submission_of(row, f"{main_name} row {i + 2}", main_name) for i, row in enumerate(main)]
    for sub, row in zip(subs, main, strict=True):
        sub.values["_has_repeat_data"] = finds is not None
        sub.values["_index"] = row.get("_index")
    if finds is None:
        return subs
    by_key: dict[str, RawSubmission] = {}
    for sub, row in zip(subs, main, strict=True):
        for key in (row.get("KEY"), row.get("_uuid"), sub.instance_id, row.get("_index")):
            if key not in (None, ""):
                by_key[str(key).strip()] = sub
                cleaned = _clean_id(key)
                if cleaned:
                    by_key[cleaned] = sub
    problems: list[Problem] = []
    for i, row in enumerate(finds):
        where = f"row {i + 2}"
        parent = None
        for key in (row.get("PARENT_KEY"), row.get("_submission__uuid"), row.get("_parent_index")):
            if key in (None, ""):
                continue
            k = str(key).strip()
            parent = by_key.get(k) or by_key.get(_clean_id(k) or "")
            if parent is not None:
                break
        if parent is None:
            problems.append(
                Problem(
                    "device row belongs to no submission of the main file",
                    record=where,
                    field="PARENT_KEY / _submission__uuid / _parent_index",
                    source=finds_name,
                )
            )
            continue
        parent.finds.append(_find_of(row))
        parent.finds_where.append(f"{finds_name} {where}")
    if problems:
        raise ValidationError(problems, summary="export refused")
    return subs


# ------------------------------------------------------------------------------ JSON (pull)


def _flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested OData groups to flat ``group/question`` keys (repeats and GeoJSON kept whole)."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        key = f"{prefix}/{k}" if prefix else k
        if isinstance(v, dict) and v.get("type") != "Point" and not k.startswith("__"):
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def from_kobo_json(results: Iterable[Mapping[str, Any]], source: str = "KoboToolbox") -> list[RawSubmission]:
    """Submissions from KoboToolbox API v2 ``results`` (flat keys; repeats as lists)."""
    subs = []
    for i, obj in enumerate(results):
        flat = {k: v for k, v in obj.items() if not isinstance(v, list)}
        sub = _submission_of(flat, f"{source} submission {obj.get('_id', i + 1)}", source)
        sub.values["_has_repeat_data"] = True
        for k, v in obj.items():
            if isinstance(v, list) and k.split("/")[-1] == REPEAT_FINDS:
                for j, item in enumerate(v):
                    if isinstance(item, Mapping):
                        sub.finds.append(_find_of(item))
                        sub.finds_where.append(f"{sub.where} {REPEAT_FINDS}[{j + 1}]")
        subs.append(sub)
    return subs


def from_odata_json(value: Iterable[Mapping[str, Any]], source: str = "ODK Central") -> list[RawSubmission]:
    """Submissions from ODK Central OData ``value`` (nested groups; GeoJSON points; repeats inline)."""
    subs = []
    for i, obj in enumerate(value):
        system = obj.get("__system") or {}
        finds = None
        groups = {}
        for k, v in obj.items():
            if k == REPEAT_FINDS and isinstance(v, list):
                finds = v
            else:
                groups[k] = v
        flat = _flatten(groups)
        flat["KEY"] = obj.get("__id")
        flat["SubmissionDate"] = system.get("submissionDate") if isinstance(system, Mapping) else None
        sub = _submission_of(flat, f"{source} submission {obj.get('__id', i + 1)}", source)
        sub.values["_has_repeat_data"] = True
        for j, item in enumerate(finds or []):
            if isinstance(item, Mapping):
                sub.finds.append(_find_of(_flatten(item)))
                sub.finds_where.append(f"{sub.where} {REPEAT_FINDS}[{j + 1}]")
        subs.append(sub)
    return subs


def parse_json(doc: Any, source: str) -> list[RawSubmission]:
    """A submission-list page from either server (``results`` or ``value``)."""
    if isinstance(doc, Mapping) and isinstance(doc.get("value"), list):
        return from_odata_json(doc["value"], source)
    if isinstance(doc, Mapping) and isinstance(doc.get("results"), list):
        return from_kobo_json(doc["results"], source)
    if isinstance(doc, list):
        return from_kobo_json(doc, source)
    raise ValidationError([Problem("not a submission list", source=source, expected="'results' or 'value'")])


def load_json(data: bytes | str, source: str) -> list[RawSubmission]:
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise ValidationError([Problem(f"not JSON: {exc}", source=source)], summary="submissions refused") from exc
    return parse_json(doc, source)


# ------------------------------------------------------------------------------ to reports


_ENUM_LOOKUP: dict[type, dict[str, Any]] = {}


def _choice(enum: type, value: Any) -> Any:
    table = _ENUM_LOOKUP.get(enum)
    if table is None:
        table = {}
        for m in enum:  # type: ignore[attr-defined]
            table[m.value.lower()] = m
            if m in LABELS:
                table[LABELS[m].lower()] = m
        _ENUM_LOOKUP[enum] = table
    return table.get(str(value).strip().lower())


def _number(v: Any) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        raise ValueError("not a number")
    if isinstance(v, int | float):
        return float(v)
    return float(str(v).strip().replace(",", ".") if str(v).count(",") == 1 and "." not in str(v) else str(v).strip())


def _date(v: Any) -> date | None:
    if v in (None, ""):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = str(v).strip()
    for fmt in ("%Y-%m-%d", "%b %d, %Y"):
        try:
            return datetime.strptime(s[:10] if fmt == "%Y-%m-%d" else s, fmt).date()
        except ValueError:
            continue
    raise ValueError(s)


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def to_reports(subs: Sequence[RawSubmission]) -> list[DailyReport]:
    """Daily reports from submissions; refuses the lot (every problem named) if any is malformed."""
    problems: list[Problem] = []
    out: list[DailyReport] = []
    for sub in subs:
        n_before = len(problems)

        def bad(
            message: str, fld: str, found: Any = None, expected: str | None = None, *, s: RawSubmission = sub
        ) -> None:
            rec = f"{s.where} ({s.instance_id})" if s.instance_id else s.where
            problems.append(
                Problem(
                    message,
                    record=rec,
                    field=fld,
                    found=None if found is None else str(found),
                    expected=expected,
                    source=s.source,
                )
            )

        v = sub.values
        if not sub.instance_id:
            bad("no instance ID", "meta/instanceID (_uuid, KEY)", expected="the UUID the phone gave the submission")
        team = _text(v.get("team"))
        if team is None:
            bad("no team", "assignment/team")
        hazard = _text(v.get("hazard_area"))
        if hazard is None:
            bad("no hazard area", "assignment/hazard_area")
        try:
            day = _date(v.get("report_date"))
            if day is None:
                bad("no date", "assignment/report_date", expected="YYYY-MM-DD")
        except ValueError as exc:
            bad("not a date", "assignment/report_date", exc, "YYYY-MM-DD")
            day = None
        areas: dict[WorkMethod, float] = {}
        for method, q in AREA_QUESTIONS.items():
            try:
                x = _number(v.get(q))
            except ValueError:
                bad("not a number", f"area/{q}", v.get(q), "m²")
                continue
            if x is not None and not math.isfinite(x):
                bad("not a number", f"area/{q}", v.get(q), "m²")
            elif x:
                areas[method] = x
        try:
            hours = _number(v.get("hours_worked"))
        except ValueError:
            bad("not a number", "time/hours_worked", v.get("hours_worked"), "hours")
            hours = None
        stoppages = []
        for reason, q in STOPPAGE_QUESTIONS.items():
            try:
                h = _number(v.get(q))
            except ValueError:
                bad("not a number", f"time/{q}", v.get(q), "hours")
                continue
            if h:
                stoppages.append(Stoppage(reason, h))
        position = None
        if v.get("position") is not None:
            position = _point(v["position"], "assignment/position", bad)
        items: list[Find] = []
        for j, f in enumerate(sub.finds):
            where = f"{REPEAT_FINDS}[{j + 1}]"
            cat = _choice(EOType, f.get("category"))
            if cat is None:
                bad("unknown device category", f"{where}/category", f.get("category"), ", ".join(EOType.allowed()))
            cond = _choice(ItemCondition, f.get("condition")) if _text(f.get("condition")) else None
            if _text(f.get("condition")) and cond is None:
                bad("unknown condition", f"{where}/condition", f.get("condition"), ", ".join(ItemCondition.allowed()))
            disp = _choice(Disposal, f.get("disposal")) if _text(f.get("disposal")) else None
            if _text(f.get("disposal")) and disp is None:
                bad("unknown disposal", f"{where}/disposal", f.get("disposal"), ", ".join(Disposal.allowed()))
            try:
                depth = _number(f.get("depth_cm"))
            except ValueError:
                bad("not a number", f"{where}/depth_cm", f.get("depth_cm"), "cm")
                depth = None
            if f.get("find_position") is None:
                bad("a device needs its position", f"{where}/find_position")
                continue
            p = _point(f["find_position"], f"{where}/find_position", bad)
            if cat is not None and p is not None:
                items.append(
                    Find(
                        cat, p, depth, _text(f.get("model")), cond.value if cond else None, disp.value if disp else None
                    )
                )
        declared = v.get("n_finds")
        try:
            n_declared = _number(declared)
        except ValueError:
            n_declared = None
        if n_declared is not None and int(n_declared) != len(sub.finds):
            if not v.get("_has_repeat_data"):
                bad(
                    f"the submission lists {int(n_declared)} device(s) but the export has no '{REPEAT_FINDS}' data",
                    REPEAT_FINDS,
                    expected=f"the repeat sheet or CSV ({FORM_ID}-{REPEAT_FINDS}.csv) with the export",
                )
            else:
                bad(
                    f"the submission counts {int(n_declared)} device(s) but {len(sub.finds)} are in the export",
                    REPEAT_FINDS,
                )
        if len(problems) > n_before or team is None or day is None or not sub.instance_id:
            continue
        out.append(
            DailyReport.detailed(
                sub.instance_id,
                team,
                day,
                area_by_method=areas,
                items=items,
                stoppages=stoppages,
                task=_text(v.get("task")),
                hazard_code=hazard,
                hours=hours,
                team_leader=_text(v.get("team_leader")),
                position=position,
                notes=_text(v.get("notes")) or "",
                submitted_at=sub.submitted_at,
                source=sub.source,
            )
        )
    if problems:
        raise ValidationError(problems, summary=f"{len({p.record for p in problems})} submission(s) refused")
    return out


def _point(lonlat: tuple[Any, Any], fld: str, bad: Any) -> Point | None:
    lon, lat = lonlat
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        bad("not a GPS position", fld, f"lat {lat}, lon {lon}", "latitude and longitude in degrees")
        return None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        bad("not a GPS position", fld, f"lat {lat}, lon {lon}", "latitude -90..90, longitude -180..180")
        return None
    return Point(x, y)


def read_reports(path: Path | str, finds_path: Path | str | None = None) -> list[DailyReport]:
    """Daily reports from an export file (see :func:`read_export`)."""
    return to_reports(read_export(path, finds_path))
