"""Households, house stock and reconstruction programmes from CSV or XLSX: all or nothing.

Every row is checked and every problem is reported at once (row number as the spreadsheet
shows it, field, what was found, what was expected); if any row is wrong nothing is stored.
Row 1 is the header. Column names are matched without regard to case or surrounding spaces.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Collection, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from landrelease.domain.errors import Problem, ValidationError
from landrelease.returns.housing import House, Household, HouseType, expand_stock
from landrelease.returns.reconstruction import Item

HOUSEHOLD_COLUMNS = ("ref", "size", "origin", "registered")
HOUSEHOLD_OPTIONAL = ("special_needs", "choice", "name", "contact")
HOUSE_COLUMNS = ("settlement", "house_type", "rooms", "capacity")
HOUSE_OPTIONAL = ("count",)
TRUE = {"1", "true", "yes", "y", "x"}
FALSE = {"", "0", "false", "no", "n"}


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: text}) of a CSV or XLSX file's first sheet; refused when unreadable."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as f:
                table = [list(r) for r in csv.reader(f)]
        elif suffix in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            ws = wb.worksheets[0]
            table = [["" if v is None else _cell_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
            wb.close()
        else:
            raise _refused(path, "not a CSV or XLSX file", field="file", found=suffix, expected=".csv or .xlsx")
    except (OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise _refused(path, f"cannot read the file: {exc}", field="file") from None
    if not table:
        raise _refused(path, "the file is empty", field="header")
    header = [h.strip().lower() for h in table[0]]
    rows = []
    for i, r in enumerate(table[1:], start=2):
        if not any(str(v).strip() for v in r):
            continue  # blank lines are not records
        rows.append((i, {h: (str(r[k]).strip() if k < len(r) else "") for k, h in enumerate(header) if h}))
    return rows


def _cell_text(v: Any) -> str:
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _refused(path: Path, message: str, **kw: Any) -> ValidationError:
    return ValidationError([Problem(message, source=path.name, **kw)], f"{path.name} refused, nothing stored")


def _missing_columns(path: Path, rows: list[tuple[int, dict[str, str]]], required: Iterable[str]) -> None:
    have = set(rows[0][1]) if rows else set()
    missing = [c for c in required if c not in have]
    if missing or not rows:
        problems = [Problem("required column missing", record="1", field=c, source=path.name) for c in missing]
        if not rows:
            problems.append(Problem("the file holds no rows", record="2", source=path.name))
        raise ValidationError(problems, f"{path.name} refused, nothing stored")


class _Row:
    """Field parsers that note a problem instead of raising, so every row is checked."""

    def __init__(self, path: Path, number: int, values: dict[str, str], problems: list[Problem]) -> None:
        self.path, self.number, self.values, self.problems = path, number, values, problems

    def problem(self, field: str, message: str, found: str, expected: str) -> None:
        self.problems.append(
            Problem(
                message, record=str(self.number), field=field, found=found, expected=expected, source=self.path.name
            )
        )

    def text(self, field: str, required: bool = True) -> str | None:
        v = self.values.get(field, "")
        if not v:
            if required:
                self.problem(field, "a value is required", "", "text")
            return None
        return v

    def positive_int(self, field: str, default: int | None = None) -> int | None:
        v = self.values.get(field, "")
        if v == "" and default is not None:
            return default
        try:
            n = int(v)
        except ValueError:
            self.problem(field, "not a whole number", v, "a whole number of at least 1")
            return None
        if n < 1:
            self.problem(field, "must be at least 1", v, "a whole number of at least 1")
            return None
        return n

    def day(self, field: str) -> date | None:
        v = self.values.get(field, "")
        try:
            return date.fromisoformat(v[:10])
        except ValueError:
            self.problem(field, "not a date", v, "YYYY-MM-DD")
            return None

    def flag(self, field: str) -> bool:
        v = self.values.get(field, "").lower()
        if v in TRUE:
            return True
        if v not in FALSE:
            self.problem(field, "not yes or no", v, "yes/no, true/false, 1/0 or empty")
        return False

    def settlement(self, field: str, known: Collection[str], required: bool = True) -> str | None:
        v = self.text(field, required)
        if v is not None and v not in known:
            self.problem(field, "unknown settlement", v, "the code of a settlement in the register")
            return None
        return v


def _parse(path: Path, required: tuple[str, ...], build: Callable[[_Row], Any]) -> list[Any]:
    rows = read_rows(path)
    _missing_columns(path, rows, required)
    problems: list[Problem] = []
    out = []
    for number, values in rows:
        before = len(problems)
        item = build(_Row(path, number, values, problems))
        if len(problems) == before:
            out.append(item)
    if problems:
        raise ValidationError(problems, f"{path.name} refused, nothing stored ({len(problems)} problem(s))")
    return out


def read_households(path: Path, settlements: Collection[str]) -> list[Household]:
    """Households from a CSV/XLSX file; refused as a whole (naming row and field) if any row is
    wrong: a size below 1, an unknown settlement, a date that is not one, a repeated reference."""
    seen: dict[str, int] = {}

    def build(r: _Row) -> Household | None:
        ref = r.text("ref")
        if ref is not None:
            if ref in seen:
                r.problem("ref", f"reference repeated (first in row {seen[ref]})", ref, "a unique reference")
            seen.setdefault(ref, r.number)
        size = r.positive_int("size")
        origin = r.settlement("origin", settlements)
        registered = r.day("registered")
        choice = r.settlement("choice", settlements, required=False)
        needs = r.flag("special_needs")
        if ref is None or size is None or origin is None or registered is None:
            return None
        return Household(ref, size, origin, registered, needs, choice, r.text("name", False), r.text("contact", False))

    return _parse(path, HOUSEHOLD_COLUMNS, build)


def read_house_stock(path: Path, settlements: Collection[str]) -> list[House]:
    """House stock from a CSV/XLSX file (settlement, house_type, rooms, capacity, count);
    refused as a whole if any row is wrong (capacity or rooms below 1, unknown settlement,
    the same house type given two sizes)."""
    types: dict[str, tuple[int, int, int]] = {}

    def build(r: _Row) -> tuple[str, HouseType, int] | None:
        settlement = r.settlement("settlement", settlements)
        code = r.text("house_type")
        rooms = r.positive_int("rooms")
        capacity = r.positive_int("capacity")
        count = r.positive_int("count", default=1)
        if settlement is None or code is None or rooms is None or capacity is None or count is None:
            return None
        first = types.setdefault(code, (rooms, capacity, r.number))
        if first[:2] != (rooms, capacity):
            r.problem(
                "house_type",
                f"house type given another size than in row {first[2]}",
                f"{code}: {rooms} rooms, for {capacity}",
                f"{first[0]} rooms, for {first[1]}",
            )
            return None
        return (settlement, HouseType(code, rooms, capacity), count)

    return expand_stock(_parse(path, HOUSE_COLUMNS, build))


PROGRAMME_COLUMNS = ("settlement", "code", "kind", "duration_months")


def read_programmes(path: Path, settlements: Collection[str]) -> dict[str, list[Item]]:
    """Reconstruction items from CSV/XLSX (settlement, code, kind, duration_months[, plots,
    after] — lists separated by ';'), by settlement; refused as a whole, naming row and field."""

    def build(r: _Row) -> tuple[str, Item] | None:
        settlement = r.settlement("settlement", settlements)
        code = r.text("code")
        kind = r.text("kind")
        v = r.values.get("duration_months", "")
        try:
            months = int(v)
            if months < 0:
                raise ValueError
        except ValueError:
            r.problem("duration_months", "not a whole number of months", v, "0 or more")
            return None
        split = lambda f: tuple(x.strip() for x in r.values.get(f, "").split(";") if x.strip())  # noqa: E731
        if settlement is None or code is None or kind is None:
            return None
        return settlement, Item(code, kind, months, split("plots"), split("after"))

    out: dict[str, list[Item]] = {}
    for settlement, item in _parse(path, PROGRAMME_COLUMNS, build):
        out.setdefault(settlement, []).append(item)
    return out
