"""Published programmes: what a national mine action programme held, had and released, year by year.

A programme file (``landrelease/samples/programmes/*.yaml``, format in the README beside them)
records, each figure with its source (publication, section or page, year):

- the contaminated area at the start (km²; SHA/CHA split where published, else a total),
- per year, the capacity as published (deminers, MDD teams, machines, survey teams, or a
  headcount when no split is published; national or one operator's),
- per year, the land released by method (cancelled, reduced, cleared; or the combinations a
  report gives when it does not split them),
- optionally the contamination published at the end of the year.

Nothing is interpolated: a figure that is not published is left out and the file says so
under ``missing``. The checks refuse unknown keys, negative or non-finite areas, a year or a
start figure without a source, a method counted twice, and years out of order, naming the
file, the key, what was found and what is allowed.

Parsing (text → checked model) lives here because it is pure; reading the file is the
caller's business (:func:`parse_programme` takes the text and the file name).
"""

from __future__ import annotations

import itertools
import math
import typing
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from landrelease.domain.enums import AssetType, ReleaseMethod
from landrelease.domain.errors import Problem, ValidationError

CHECK = "programme"

Km2 = typing.Annotated[float, Field(ge=0, allow_inf_nan=False, description="km², ≥ 0")]
Count = typing.Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where a figure was published: the publication, the section or page, its year."""

    publication: str = Field(min_length=3)
    section: str = Field(min_length=1, description="page, section, table or quoted sentence")
    year: int = Field(ge=1990, le=2100, description="year of publication")
    url: str | None = None


class Area(_Strict):
    """Contaminated area at one moment: SHA and CHA where published, else a total."""

    as_of: str = Field("", description="the moment the figure describes, as the source states it")
    sha_km2: Km2 | None = None
    cha_km2: Km2 | None = None
    total_km2: Km2 | None = None
    source: Source
    note: str = ""

    @model_validator(mode="after")
    def _some_area(self) -> Area:
        if self.sha_km2 is None and self.cha_km2 is None and self.total_km2 is None:
            raise ValueError("give sha_km2, cha_km2 or total_km2 (at least one is published)")
        if self.total_km2 is not None and self.sha_km2 is not None and self.cha_km2 is not None:
            parts = self.sha_km2 + self.cha_km2
            if not math.isclose(parts, self.total_km2, rel_tol=0.005, abs_tol=0.01):
                raise ValueError(f"sha_km2 + cha_km2 = {parts:g} disagrees with total_km2 = {self.total_km2:g}")
        if self.total_km2 is not None and self.cha_km2 is not None and self.cha_km2 > self.total_km2 + 0.01:
            raise ValueError(f"cha_km2 = {self.cha_km2:g} is larger than total_km2 = {self.total_km2:g}")
        if self.total_km2 is not None and self.sha_km2 is not None and self.sha_km2 > self.total_km2 + 0.01:
            raise ValueError(f"sha_km2 = {self.sha_km2:g} is larger than total_km2 = {self.total_km2:g}")
        return self

    @property
    def km2(self) -> float:
        """The whole area: the total when published, else the sum of the published parts."""
        if self.total_km2 is not None:
            return self.total_km2
        return (self.sha_km2 or 0.0) + (self.cha_km2 or 0.0)

    def split_km2(self) -> tuple[float, float, str]:
        """(SHA, CHA, how the split was obtained). Where only a total and one part are
        published, the other part is the difference; where only a total is published, all of
        it counts as SHA (indirect evidence only) and the third value says so."""
        if self.sha_km2 is not None and self.cha_km2 is not None:
            return self.sha_km2, self.cha_km2, "published"
        if self.total_km2 is not None and self.cha_km2 is not None:
            return max(self.total_km2 - self.cha_km2, 0.0), self.cha_km2, "SHA = total − CHA"
        if self.total_km2 is not None and self.sha_km2 is not None:
            return self.sha_km2, max(self.total_km2 - self.sha_km2, 0.0), "CHA = total − SHA"
        if self.total_km2 is not None:
            return self.total_km2, 0.0, "no split published: all counted as SHA"
        if self.cha_km2 is not None:
            return 0.0, self.cha_km2, "only CHA published"
        return self.sha_km2 or 0.0, 0.0, "only SHA published"


# Which release methods each published key covers (a report may not split them).
RELEASE_KEYS: dict[str, frozenset[ReleaseMethod]] = {
    "cancelled_km2": frozenset({ReleaseMethod.CANCELLED}),
    "reduced_km2": frozenset({ReleaseMethod.REDUCED}),
    "cleared_km2": frozenset({ReleaseMethod.CLEARED}),
    "survey_km2": frozenset({ReleaseMethod.CANCELLED, ReleaseMethod.REDUCED}),
    "reduced_and_cleared_km2": frozenset({ReleaseMethod.REDUCED, ReleaseMethod.CLEARED}),
}
ALL_METHODS = frozenset(ReleaseMethod)


class Release(_Strict):
    """Land released in one year, by method as published."""

    cancelled_km2: Km2 | None = None
    reduced_km2: Km2 | None = None
    cleared_km2: Km2 | None = None
    survey_km2: Km2 | None = Field(None, description="cancelled + reduced, when the report does not split them")
    reduced_and_cleared_km2: Km2 | None = Field(None, description="reduced + cleared, when not split")
    total_km2: Km2 | None = None
    source: Source
    note: str = ""

    @model_validator(mode="after")
    def _methods_once(self) -> Release:
        seen: dict[ReleaseMethod, str] = {}
        for key, methods in RELEASE_KEYS.items():
            if getattr(self, key) is None:
                continue
            for m in methods:
                if m in seen:
                    raise ValueError(f"{m.value} land is counted twice: in {seen[m]} and in {key}")
                seen[m] = key
        if not seen and self.total_km2 is None:
            raise ValueError("give at least one released area (" + ", ".join([*RELEASE_KEYS, "total_km2"]) + ")")
        parts = self.parts_total()
        if (
            parts is not None
            and self.total_km2 is not None
            and not math.isclose(parts, self.total_km2, rel_tol=0.005, abs_tol=0.01)
        ):
            raise ValueError(f"the methods add up to {parts:g} km² but total_km2 is {self.total_km2:g}")
        return self

    def covered(self) -> frozenset[ReleaseMethod]:
        out: set[ReleaseMethod] = set()
        for key, methods in RELEASE_KEYS.items():
            if getattr(self, key) is not None:
                out |= methods
        return frozenset(out)

    def parts_total(self) -> float | None:
        """Sum of the published parts when they cover all three methods, else None."""
        if self.covered() != ALL_METHODS:
            return None
        return sum(float(getattr(self, k)) for k in RELEASE_KEYS if getattr(self, k) is not None)

    @property
    def km2(self) -> float | None:
        """The year's whole release, or None when the published figures do not cover every method."""
        if self.total_km2 is not None:
            return self.total_km2
        return self.parts_total()


class CapacityFigure(_Strict):
    """One published statement of capacity: counts by asset type, what they count, whose."""

    deminers: Count | None = Field(None, description="manual deminers (people)")
    mdd_teams: Count | None = Field(None, description="mine detection dog teams (or dogs, see basis)")
    machines: Count | None = Field(None, description="demining machines")
    survey_teams: Count | None = Field(None, description="non-technical survey teams")
    personnel: Count | None = Field(None, description="all staff, when no split by asset is published")
    basis: str = Field(min_length=3, description="what the figure counts, as the source says it")
    scope: Literal["national", "operator"]
    operator: str | None = None
    source: Source

    @model_validator(mode="after")
    def _some_count(self) -> CapacityFigure:
        if all(v is None for v in (self.deminers, self.mdd_teams, self.machines, self.survey_teams, self.personnel)):
            raise ValueError("give at least one count: deminers, mdd_teams, machines, survey_teams or personnel")
        if self.scope == "operator" and not self.operator:
            raise ValueError("scope 'operator' needs the operator's name in 'operator'")
        return self

    def units(self) -> dict[AssetType, float]:
        """Units by asset type (deminers for manual, teams or machines otherwise). A headcount
        without a split counts as manual deminers: the assumption a backtest states."""
        out: dict[AssetType, float] = {}
        if self.deminers is not None:
            out[AssetType.MANUAL] = float(self.deminers)
        elif self.personnel is not None:
            out[AssetType.MANUAL] = float(self.personnel)
        if self.mdd_teams is not None:
            out[AssetType.MDD] = float(self.mdd_teams)
        if self.machines is not None:
            out[AssetType.MECHANICAL] = float(self.machines)
        if self.survey_teams is not None:
            out[AssetType.DRONE_SURVEY] = float(self.survey_teams)
        return out


class ProgrammeYear(_Strict):
    year: int = Field(ge=1990, le=2100)
    release: Release | None = None
    capacity: list[CapacityFigure] = Field(default_factory=list)
    contamination_end: Area | None = None
    note: str = ""

    @model_validator(mode="after")
    def _something(self) -> ProgrammeYear:
        if self.release is None and not self.capacity and self.contamination_end is None:
            raise ValueError("a year needs at least one of release, capacity, contamination_end")
        return self


class Programme(_Strict):
    """A programme's published record, from the contamination at the start onwards."""

    programme: str = Field(min_length=1)
    description: str = ""
    start_year: int = Field(ge=1990, le=2100, description="first year forecast; start is the area before it")
    start: Area
    years: list[ProgrammeYear] = Field(min_length=1)
    missing: list[str] = Field(default_factory=list, description="what is not published, said plainly")

    @field_validator("years")
    @classmethod
    def _ordered(cls, years: list[ProgrammeYear]) -> list[ProgrammeYear]:
        for a, b in itertools.pairwise(years):
            if b.year <= a.year:
                raise ValueError(f"years must be in increasing order without repeats ({a.year} then {b.year})")
        return years

    @model_validator(mode="after")
    def _within(self) -> Programme:
        if self.years[0].year < self.start_year:
            raise ValueError(f"year {self.years[0].year} is before start_year {self.start_year}")
        return self

    def year(self, y: int) -> ProgrammeYear | None:
        return next((py for py in self.years if py.year == y), None)


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str] | None:
    """The keys allowed at ``loc`` (for 'unknown key' messages), walking the models."""
    model: Any = Programme
    for part in loc:
        if isinstance(part, int):
            continue  # a list index
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        f = model.model_fields.get(str(part))
        if f is None:
            return None
        model = _inner_model(f.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return None


def _inner_model(annotation: Any) -> Any:
    """The model inside ``X | None`` or ``list[X]``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is list and args:
        return args[0]
    if args and typing.get_origin(annotation) is not None:
        return _inner_model(args[0]) if typing.get_origin(args[0]) is list else args[0]
    return annotation


def _record(loc: tuple[int | str, ...], data: Any) -> str | None:
    """'year 2016' for a location inside ``years[i]`` (so the message names the year)."""
    if len(loc) >= 2 and loc[0] == "years" and isinstance(loc[1], int) and isinstance(data, dict):
        years = data.get("years")
        if isinstance(years, list) and loc[1] < len(years) and isinstance(years[loc[1]], dict):
            y = years[loc[1]].get("year")
            return f"year {y}" if y is not None else f"years[{loc[1]}]"
    return None


def _problems(exc: PydanticValidationError, source: str, data: Any) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = [str(p) for p in loc]
        etype = err["type"]
        found = err.get("input")
        expected: str | None = None
        message = str(err["msg"])
        if etype == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            message = "unknown key"
            found = path[-1]
            expected = "one of " + ", ".join(allowed) if allowed else None
        elif etype == "missing":
            message = "missing field"
            found = None
            expected = "a source (publication, section, year)" if path and path[-1] == "source" else "a value"
        elif etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            bounds = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}
            limit = next(iter(err.get("ctx", {}).values()), "")
            message = "negative area" if path[-1].endswith("_km2") and etype == "greater_than_equal" else "out of range"
            expected = f"a number {bounds[etype]} {limit}"
        elif etype == "finite_number":
            message = "not a finite number"
            expected = "a finite number ≥ 0"
        elif etype == "literal_error":
            message = "unknown value"
            expected = "one of " + str(err.get("ctx", {}).get("expected", ""))
        elif etype == "value_error":
            message = message.removeprefix("Value error, ")
        out.append(
            Problem(
                message=message,
                source=source,
                record=_record(loc, data),
                field=".".join(path) if path else None,
                found=None if found is None or isinstance(found, (dict, list)) else str(found),
                expected=expected,
                check=CHECK,
            )
        )
    return out


def parse_programme(text: str, source: str) -> Programme:
    """Parse and check a programme file (YAML). Refuses with every problem named."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(
            [Problem(f"not valid YAML: {exc}", source=source, check=CHECK)], "programme refused"
        ) from None
    if not isinstance(data, dict):
        raise ValidationError(
            [
                Problem(
                    "a programme file must be a mapping of keys",
                    source=source,
                    found=type(data).__name__,
                    expected="keys " + ", ".join(Programme.model_fields),
                    check=CHECK,
                )
            ],
            "programme refused",
        )
    try:
        return Programme.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError(_problems(exc, source, data), "programme refused") from None
