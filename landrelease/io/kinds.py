"""What each kind of record looks like in a file: its columns, their aliases, how values parse.

Column names are matched case-insensitively after turning camelCase, spaces and hyphens
into snake_case (so ``typeArea``, ``Type Area`` and ``type-area`` all read as
``type_area``); the names of each field are data (``vocabularies/columns.yaml``).
Vocabulary values are matched through the built-in vocabularies
(:mod:`landrelease.io.vocabulary`), so ``Cleared Areas`` reads as status ``cleared``,
``Suspected Minefield`` as kind ``SHA`` and ``Religious Site`` as land use
``religious_site``. Columns that belong to no field are kept in a hazard area's ``extra``
(never silently dropped). Which column feeds which field, and what its values mean, can be
said in a crosswalk (:mod:`landrelease.io.crosswalk`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

from landrelease.domain.enums import AssetType, EOType, EvidenceKind, HazardKind, HazardStatus, LandUse, Level
from landrelease.io.vocabulary import names, snake, term_key, vocabulary

BLANK = object()  # a missing value
BAD = object()  # a value that does not parse


def vocabulary_parser(vocab: type[Enum]) -> Callable[[Any], Any]:
    """A parser of one closed set of values, knowing every term of its vocabulary file."""
    table = vocabulary(vocab).table

    def parse(value: Any) -> Any:
        return table.get(term_key(value), BAD)

    return parse


def _eo_list(value: str) -> Any:
    one = vocabulary_parser(EOType)
    parts = [p for p in re.split(r"[;,|/]+", value) if p.strip()]
    out = tuple(one(p) for p in parts)
    return BAD if any(o is BAD for o in out) else out


def _float(value: Any) -> Any:
    try:
        f = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return BAD
    return f if math.isfinite(f) else BAD


def _int(value: Any) -> Any:
    f = _float(value)
    return int(f) if f is not BAD and float(f).is_integer() else BAD


def _bool(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    key = str(value).strip().lower()
    if key in ("true", "t", "yes", "y", "1", "1.0"):
        return True
    if key in ("false", "f", "no", "n", "0", "0.0"):
        return False
    return BAD


def _date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return BAD
    return BAD if pd.isna(ts) else ts.date()


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return value
    try:
        out = json.loads(value)
    except (TypeError, ValueError):
        return BAD
    return out if isinstance(out, dict) else BAD


def _text(value: Any) -> Any:
    return str(value).strip()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a kind: its aliases in files and how its values parse."""

    name: str
    aliases: tuple[str, ...]
    parse: Callable[[Any], Any]
    expected: str  # what a good value looks like, for messages
    required: bool = False
    vocabulary: type[Enum] | None = None  # the closed set its values come from, if any


def _vocab_field(name: str, aliases: tuple[str, ...], vocab: type[Any], required: bool = False) -> FieldSpec:
    return FieldSpec(name, aliases, vocabulary_parser(vocab), "one of " + ", ".join(vocab.allowed()), required, vocab)


def _field(name: str, aliases: tuple[str, ...], kind: str, required: bool = False) -> FieldSpec:
    parse, expected = {
        "text": (_text, "text"),
        "float": (_float, "a number"),
        "int": (_int, "a whole number"),
        "bool": (_bool, "true/false, yes/no or 1/0"),
        "date": (_date, "a date such as 2021-06-30"),
        "json": (_json, "a JSON object"),
    }[kind]
    return FieldSpec(name, aliases, parse, expected, required)


@dataclass(frozen=True, slots=True)
class KindSpec:
    """A kind of record a file can hold, with the geometry types it allows."""

    name: str
    fields: tuple[FieldSpec, ...]
    geometry_types: tuple[str, ...]
    code_aliases: tuple[str, ...]
    date_fields: tuple[str, ...] = ()
    keeps_extra: bool = False
    unique_geometry: bool = False  # two records with one geometry count the same land twice

    def help(self) -> str:
        lines = [f"code: {', '.join(self.code_aliases)}"]
        lines += [f"{f.name}: {', '.join(f.aliases)} ({f.expected})" for f in self.fields]
        return "; ".join(lines)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


def _kind(
    kind: str,
    geometry_types: tuple[str, ...],
    fields: list[tuple[str, Any]],
    required: tuple[str, ...] = (),
    **options: Any,
) -> KindSpec:
    """A kind whose fields are read from the column names listed for it in ``columns.yaml``."""
    specs = []
    for name, how in fields:
        aliases = names(kind, name)
        if isinstance(how, str):
            specs.append(_field(name, aliases, how, required=name in required))
        elif isinstance(how, type) and issubclass(how, Enum):
            specs.append(_vocab_field(name, aliases, how, required=name in required))
        else:
            specs.append(FieldSpec(name, aliases, how[0], how[1], name in required, how[2]))
    return KindSpec(kind, tuple(specs), geometry_types, names(kind, "code"), **options)


HAZARD_AREAS = _kind(
    "hazard-areas",
    ("Polygon", "MultiPolygon"),
    [
        ("name", "text"),
        ("kind", HazardKind),
        ("land_use", LandUse),
        ("eo_types", (_eo_list, "a list of " + ", ".join(EOType.allowed()) + " separated by ';'", EOType)),
        ("machine_accessible", "bool"),
        ("slope_deg", "float"),
        ("vegetation", Level),
        ("clutter", Level),
        ("density", Level),
        ("status", HazardStatus),
        ("operator", "text"),
        ("region", "text"),
        ("priority_score", "float"),
        ("beneficiaries", "int"),
        ("parent_code", "text"),
        ("version", "int"),
        ("date", "date"),
        ("extra", "json"),
    ],
    keeps_extra=True,
    unique_geometry=True,
    date_fields=("date",),
)
AREA_ALIASES = names("hazard-areas", "area")
AREA_UNIT_ALIASES = names("hazard-areas", "area_unit")

EVIDENCE = _kind(
    "evidence",
    ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"),
    [
        ("kind", EvidenceKind),
        ("hazard_code", "text"),
        ("date", "date"),
        ("source", "text"),
        ("reliability", "float"),
        ("confidence", "float"),
        ("eo_type", EOType),
        ("count", "int"),
        ("positive", "bool"),
    ],
    required=("kind",),
    date_fields=("date",),
)

SETTLEMENTS = _kind(
    "settlements",
    ("Point", "MultiPoint", "Polygon", "MultiPolygon"),
    [
        ("name", "text"),
        ("population", "int"),
        ("displaced", "int"),
        ("region", "text"),
        ("access_routes", "text"),
    ],
    required=("name",),
)

TEAMS = _kind(
    "teams",
    ("Point",),
    [
        ("type", AssetType),
        ("size", "int"),
        ("operator", "text"),
        ("cost_per_day", "float"),
        ("rate_m2_per_day", "float"),
        ("rate_sigma", "float"),
    ],
    required=("type",),
)

KINDS: dict[str, KindSpec] = {k.name: k for k in (HAZARD_AREAS, EVIDENCE, SETTLEMENTS, TEAMS)}


def match_columns(columns: tuple[str, ...], spec: KindSpec) -> tuple[str | None, dict[str, str], list[str]]:
    """Which file column feeds the code and each field; the columns left over."""
    by_key: dict[str, str] = {}
    for c in columns:
        by_key.setdefault(snake(c), c)
    used: set[str] = set()

    def take(aliases: tuple[str, ...]) -> str | None:
        # a Shapefile keeps 10 characters of a column name: "machine_accessible" arrives as "machine_ac"
        for key in (*aliases, *(a[:10] for a in aliases if len(a) > 10)):
            col = by_key.get(key)
            if col is not None and col not in used:
                used.add(col)
                return col
        return None

    mapping: dict[str, str] = {}
    for f in spec.fields:  # fields first, so that e.g. "type" goes to a team's type before anything else
        col = take(f.aliases)
        if col is not None:
            mapping[f.name] = col
    code = take(spec.code_aliases)
    if spec is HAZARD_AREAS:
        for extra_field in (AREA_ALIASES, AREA_UNIT_ALIASES):
            col = take(extra_field)
            if col is not None:
                mapping["area" if extra_field is AREA_ALIASES else "area_unit"] = col
    rest = [c for c in columns if c not in used]
    return code, mapping, rest


@dataclass(slots=True)
class Parsed:
    """A parsed column: domain values (BLANK / BAD where missing / unreadable) and driver values."""

    values: np.ndarray
    plain: np.ndarray  # what the database stores: enum values as text, None where blank or bad
    blank: np.ndarray
    bad: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Parsed:
        return cls(
            np.full(n, BLANK, dtype=object),
            np.full(n, None, dtype=object),
            np.ones(n, dtype=bool),
            np.zeros(n, dtype=bool),
        )

    def take(self, idx: np.ndarray) -> Parsed:
        return Parsed(self.values[idx], self.plain[idx], self.blank[idx], self.bad[idx])

    def fill_blanks(self, value: Any) -> None:
        self.values[self.blank] = value
        self.plain[self.blank] = getattr(value, "value", value)
        self.blank = np.zeros(len(self.blank), dtype=bool)

    def driver_values(self, default: Any) -> Any:
        """One value for every row when the column says nothing, else a list with ``default`` for blanks."""
        if self.blank.all():
            return default
        out = self.plain.copy()
        out[self.blank | self.bad] = default
        return out.tolist()


def _is_blank_value(v: Any) -> bool:
    return (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


def parse_values(values: np.ndarray, parse: Callable[[Any], Any]) -> Parsed:
    """Parse a column once per distinct value (a million rows hold a handful of land uses)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    m = len(uniques)
    parsed_u = np.empty(m + 1, dtype=object)
    plain_u = np.full(m + 1, None, dtype=object)
    blank_u = np.zeros(m + 1, dtype=bool)
    bad_u = np.zeros(m + 1, dtype=bool)
    for j, u in enumerate(uniques):
        if _is_blank_value(u):
            parsed_u[j], blank_u[j] = BLANK, True
            continue
        v = parse(u)
        parsed_u[j] = v
        if v is BLANK:  # a crosswalk may say a value means "nothing given"
            blank_u[j] = True
            continue
        bad_u[j] = v is BAD
        if v is not BAD:
            plain_u[j] = getattr(v, "value", v)
    parsed_u[m], blank_u[m] = BLANK, True  # the NA sentinel (-1) picks this one
    return Parsed(parsed_u[codes], plain_u[codes], blank_u[codes], bad_u[codes])


AREA_UNITS = {
    "m2": 1.0,
    "m²": 1.0,
    "sqm": 1.0,
    "sq_m": 1.0,
    "m^2": 1.0,
    "square_metres": 1.0,
    "square_meters": 1.0,
    "ha": 1e4,
    "hectares": 1e4,
    "hectare": 1e4,
    "km2": 1e6,
    "km²": 1e6,
    "sq_km": 1e6,
    "square_kilometres": 1e6,
    "square_kilometers": 1e6,
}
_AREA_RE = re.compile(r"^\s*([-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\d\s].*?)?\s*$")


def split_area(value: Any) -> tuple[float, str | None] | None:
    """``"12.5 ha"`` -> (12.5, "ha"); ``300`` -> (300.0, None); None when it is not an area."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return (float(value), None) if math.isfinite(float(value)) else None
    m = _AREA_RE.match(str(value))
    if not m:
        return None
    number = float(m.group(1).replace(",", ""))
    unit = m.group(2)
    if unit is None:
        return number, None
    key = snake(unit).replace("_", "") if unit not in AREA_UNITS else unit
    key = next((k for k in AREA_UNITS if k.replace("_", "") == key), None)
    return (number, key) if key else None


def unit_of_column(column: str) -> str | None:
    key = snake(column)
    return {"area_m2": "m2", "size_m2": "m2", "area_sqm": "m2", "area_ha": "ha", "area_km2": "km2"}.get(key)


def parse_text_list(values: np.ndarray) -> list[str | None]:
    return [None if v is BLANK else str(v) for v in values]


def json_safe(value: Any) -> Any:
    """A value as it can go into JSON (``extra``): numpy scalars become Python, dates ISO text."""
    if value is None or isinstance(value, str | bool | int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    return str(value)
