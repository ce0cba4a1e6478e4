"""The daily-report form that field teams load into KoboToolbox or ODK Collect (an XLSForm).

``python -m landrelease.io.xlsform [OUT.xlsx]`` writes ``landrelease/forms/daily_report.xlsx``
from the definitions below, so the shipped file is reproducible; the test suite rebuilds
it, compares it with the shipped one and converts it with ``pyxform`` (ODK's converter).

Choice lists of fixed vocabularies (device category, condition, disposal, work method,
stoppage) come from the register's enums, so the values a phone sends are the values the
register stores. Lists that are the register's *data* (teams, hazard areas, tasks) are CSV
attachments (``select_one_from_file``) that ``landrelease reports form-lists DIR`` writes
from the register; tasks are filtered by the chosen hazard area.

The question names here are the contract with :mod:`landrelease.io.kobo`, which reads the
exports and submissions of this form: change both together.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from landrelease.domain.enums import Disposal, EOType, ItemCondition, StoppageReason, WorkMethod

FORM_ID = "landrelease_daily_report"
FORM_VERSION = "2026120101"
FORM_PATH = Path(__file__).resolve().parents[1] / "forms" / "daily_report.xlsx"

# Form question names per register field (the reader uses these).
AREA_QUESTIONS: dict[WorkMethod, str] = {m: m.value for m in WorkMethod}
STOPPAGE_QUESTIONS: dict[StoppageReason, str] = {s: f"stoppage_{s.value}" for s in StoppageReason}
REPEAT_FINDS = "finds"

LABELS: dict[str, str] = {
    EOType.AP_MINE: "AP mine",
    EOType.AT_MINE: "AT mine",
    EOType.UXO: "UXO (unexploded ordnance)",
    EOType.AXO: "AXO (abandoned ordnance)",
    EOType.CLUSTER_MUNITION: "Cluster submunition",
    EOType.IED: "IED",
    ItemCondition.INTACT: "Intact",
    ItemCondition.DAMAGED: "Damaged",
    ItemCondition.DETERIORATED: "Deteriorated (corroded)",
    ItemCondition.UNKNOWN: "Unknown",
    Disposal.DESTROYED_IN_SITU: "Destroyed in situ",
    Disposal.MOVED_AND_DESTROYED: "Moved and destroyed",
    Disposal.RENDERED_SAFE: "Rendered safe",
    Disposal.HANDED_OVER: "Handed over (EOD team, police)",
    Disposal.PENDING: "Not yet disposed of",
    WorkMethod.NTS_WALKED: "NTS: area walked (m²)",
    WorkMethod.TS_SEARCHED: "TS: area searched (m²)",
    WorkMethod.CLEARED: "Clearance: area cleared (m²)",
    WorkMethod.MACHINE_PROCESSED: "Machine: area processed (m²)",
    StoppageReason.WEATHER: "Stopped for weather (hours)",
    StoppageReason.SECURITY: "Stopped for security (hours)",
    StoppageReason.EQUIPMENT: "Stopped for equipment (hours)",
    StoppageReason.MEDICAL: "Stopped for a medical reason (hours)",
}

SURVEY_COLUMNS = [
    "type", "name", "label", "hint", "required", "constraint", "constraint_message",
    "relevant", "calculation", "default", "appearance", "choice_filter",
]  # fmt: skip

AREA_OK = ". >= 0 and . <= 10000000"
HOURS_OK = ". >= 0 and . <= 24"


def survey_rows() -> list[dict[str, str]]:
    """The ``survey`` sheet, one dict per row."""
    rows: list[dict[str, str]] = [
        {"type": "start", "name": "start"},
        {"type": "end", "name": "end"},
        {"type": "begin_group", "name": "assignment", "label": "Team and site"},
        {"type": "select_one_from_file teams.csv", "name": "team", "label": "Team", "required": "yes",
         "appearance": "search"},
        {"type": "select_one_from_file hazard_areas.csv", "name": "hazard_area", "label": "Hazard area",
         "required": "yes", "appearance": "search"},
        {"type": "select_one_from_file tasks.csv", "name": "task", "label": "Task (if planned)",
         "choice_filter": "hazard_area=${hazard_area}"},
        {"type": "date", "name": "report_date", "label": "Date of the work", "required": "yes",
         "default": "today()", "constraint": ". <= today()", "constraint_message": "The date cannot be in the future."},
        {"type": "text", "name": "team_leader", "label": "Team leader's name", "required": "yes",
         "hint": "Personal data: seen only by the authority's analysts."},
        {"type": "geopoint", "name": "position", "label": "Where you are (GPS)", "appearance": "maps"},
        {"type": "end_group", "name": ""},
        {"type": "begin_group", "name": "area", "label": "Area processed today, by method"},
    ]  # fmt: skip
    for method, name in AREA_QUESTIONS.items():
        rows.append(
            {"type": "decimal", "name": name, "label": LABELS[method], "default": "0", "required": "yes",
             "constraint": AREA_OK, "constraint_message": "An area is 0 m² or more."}
        )  # fmt: skip
    rows += [
        {"type": "end_group", "name": ""},
        {"type": "begin_group", "name": "time", "label": "Hours"},
        {"type": "decimal", "name": "hours_worked", "label": "Hours worked", "required": "yes",
         "constraint": HOURS_OK, "constraint_message": "0 to 24 hours."},
    ]  # fmt: skip
    for reason, name in STOPPAGE_QUESTIONS.items():
        rows.append(
            {"type": "decimal", "name": name, "label": LABELS[reason], "default": "0",
             "constraint": HOURS_OK, "constraint_message": "0 to 24 hours."}
        )  # fmt: skip
    rows += [
        {"type": "end_group", "name": ""},
        {"type": "begin_repeat", "name": REPEAT_FINDS, "label": "Device found"},
        {"type": "select_one device_category", "name": "category", "label": "Category", "required": "yes"},
        {"type": "text", "name": "model", "label": "Model (if known)", "hint": "e.g. PMN-2, TM-62M"},
        {"type": "select_one item_condition", "name": "condition", "label": "Condition", "required": "yes"},
        {"type": "decimal", "name": "depth_cm", "label": "Depth (cm)", "constraint": ". >= 0 and . <= 1000",
         "constraint_message": "0 to 1000 cm."},
        {"type": "geopoint", "name": "find_position", "label": "Position of the device", "required": "yes",
         "appearance": "maps"},
        {"type": "select_one disposal", "name": "disposal", "label": "How it was destroyed or made safe",
         "required": "yes"},
        {"type": "end_repeat", "name": ""},
        {"type": "calculate", "name": "n_finds", "calculation": f"count(${{{REPEAT_FINDS}}})"},
        {"type": "text", "name": "notes", "label": "Notes", "appearance": "multiline"},
    ]  # fmt: skip
    return rows


def choice_rows() -> list[dict[str, str]]:
    lists: Sequence[tuple[str, type[StrEnum]]] = (
        ("device_category", EOType),
        ("item_condition", ItemCondition),
        ("disposal", Disposal),
    )
    return [{"list_name": name, "name": m.value, "label": LABELS[m]} for name, enum in lists for m in enum]


def settings_row() -> dict[str, str]:
    return {
        "form_title": "Daily report (land release)",
        "form_id": FORM_ID,
        "version": FORM_VERSION,
        "instance_name": "concat(${team}, ' ', ${report_date})",
        "default_language": "English (en)",
    }


def sheets() -> dict[str, list[list[str]]]:
    """The workbook as plain rows per sheet (what the tests compare)."""
    choice_cols = ["list_name", "name", "label"]
    settings = settings_row()
    return {
        "survey": [SURVEY_COLUMNS] + [[r.get(c, "") for c in SURVEY_COLUMNS] for r in survey_rows()],
        "choices": [choice_cols] + [[r[c] for c in choice_cols] for r in choice_rows()],
        "settings": [list(settings), list(settings.values())],
    }


def write_form(path: Path = FORM_PATH) -> Path:
    """Write the XLSForm workbook (openpyxl; deterministic content)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets().items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def read_form(path: Path = FORM_PATH) -> dict[str, list[list[str]]]:
    """The sheets of a form workbook as plain rows (empty cells as "")."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    return {
        ws.title: [["" if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)]
        for ws in wb.worksheets
    }


def write_form_lists(
    folder: Path,
    teams: Sequence[tuple[str, str]],
    hazard_areas: Sequence[tuple[str, str]],
    tasks: Sequence[tuple[str, str, str]],
) -> list[Path]:
    """The form's CSV attachments: ``teams.csv`` and ``hazard_areas.csv`` (name, label) and
    ``tasks.csv`` (name, label, hazard_area: the filter of the task question)."""
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, header, rows in (
        ("teams.csv", ["name", "label"], teams),
        ("hazard_areas.csv", ["name", "label"], hazard_areas),
        ("tasks.csv", ["name", "label", "hazard_area"], tasks),
    ):
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        out.append(path)
    return out


if __name__ == "__main__":  # pragma: no cover - the build script
    print(write_form(Path(sys.argv[1]) if len(sys.argv) > 1 else FORM_PATH))
