"""Scenarios: one document says what capacity to plan and forecast with, and how (YAML or TOML).

    name: +200 deminers, +20 dogs
    capacity:                 # shared by the plan and the forecast
      base: register          # start from the register's fleet ("none": only the teams below)
      add: {manual: 200, mdd: 20}     # units: deminers for manual, teams otherwise
      teams: {mechanical: {count: 6, rate: 6000, sigma: 0.6, availability: 0.8}}
    plan:                     # the planner: priority weights, planning parameters, goals
      weights: {...}
      planning: {horizon_days: 3650, time_limit_s: 20}
      goals: [{settlement: S-0007, by: 2029-06-30}]   # bring these back first, say if met
    forecast:                 # the Monte-Carlo forecast
      horizon_years: 10
      runs: 1000

Capacity is said once, in units; the planner turns units into teams in one place
(:func:`landrelease.planning.workplan.plan_teams`). ``assumptions`` is accepted as the older
name of ``forecast``. Bad files are refused with every problem named: the file, the key,
what was found and what is allowed.

Parsing (text → checked model) lives here because it is pure; reading the file is the
caller's business (:func:`parse_scenario` takes the text and the file name).
"""

from __future__ import annotations

import tomllib
import typing
from datetime import date
from typing import Annotated, Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from landrelease.domain.enums import AssetType, ReleaseMethod
from landrelease.domain.errors import Problem, ValidationError
from landrelease.planning.forecast import AssetCapacity, Capacity
from landrelease.planning.priority import PriorityWeights
from landrelease.planning.release_model import GLOBAL_2022_SPLIT
from landrelease.planning.workplan import PlanningParameters


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TeamSpec(_Strict):
    """One asset type's pool: ``count`` units, per-unit median ``rate`` m²/day (default: the
    published prior), the lognormal ``sigma`` of the programme's rate, and ``availability``
    (share of working days the pool actually works)."""

    count: float = Field(ge=0, description="units: deminers for manual, teams otherwise")
    rate: float | None = Field(None, gt=0, description="median m²/day per unit on low-clutter ground")
    sigma: float | None = Field(None, ge=0, le=3, description="lognormal spread of the programme's rate")
    availability: float = Field(1.0, ge=0, le=1, description="share of working days worked")


class CapacitySpec(_Strict):
    base: Literal["register", "none"] = Field("register", description="start from the register's fleet, or from none")
    teams: dict[AssetType, TeamSpec] = Field(default_factory=dict)
    add: dict[AssetType, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)


class MixSpec(_Strict):
    """Target split of released land by method; defaults to the 2022 global split."""

    cancelled: float = Field(GLOBAL_2022_SPLIT[ReleaseMethod.CANCELLED], ge=0, le=1)
    reduced: float = Field(GLOBAL_2022_SPLIT[ReleaseMethod.REDUCED], ge=0, le=1)
    cleared: float = Field(GLOBAL_2022_SPLIT[ReleaseMethod.CLEARED], ge=0, le=1)

    @model_validator(mode="after")
    def _sums_to_one(self) -> MixSpec:
        total = self.cancelled + self.reduced + self.cleared
        if abs(total - 1.0) > 1e-3:
            raise ValueError(f"release_mix shares must add up to 1 (found {total:.3f})")
        return self

    def target(self) -> dict[ReleaseMethod, float]:
        return {
            ReleaseMethod.CANCELLED: self.cancelled,
            ReleaseMethod.REDUCED: self.reduced,
            ReleaseMethod.CLEARED: self.cleared,
        }


class Assumptions(_Strict):
    horizon_years: int = Field(10, ge=1, le=100)
    runs: int = Field(1000, ge=1, le=100_000)
    seed: int | None = Field(None, ge=0)
    release_by_survey: bool = True
    release_mix: MixSpec | None = None
    record_reliability: float | None = Field(None, ge=0, le=1, description="overrides every minefield record's")
    working_days_per_year: int = Field(220, ge=1, le=366)
    start: date | None = None


class PlanGoal(_Strict):
    """ "Return to settlement X by date D" (X: its code or name): the settlement's blocking
    areas go first, so the plan tries to meet it; the plan says whether it does (P50/P80)."""

    settlement: str = Field(min_length=1, max_length=200, description="settlement code or name")
    by: date = Field(description="the day its people should be able to come back")


class PlanSpec(_Strict):
    """The planner's section: priority weights, planning parameters and goals."""

    weights: PriorityWeights = Field(default_factory=PriorityWeights)
    planning: PlanningParameters = Field(default_factory=PlanningParameters)
    goals: tuple[PlanGoal, ...] = Field(default=(), description="settlements to bring back by a date")


class ScenarioSpec(_Strict):
    """One scenario for both the plan and the forecast."""

    name: str = Field("the register as it is", min_length=1)
    description: str = ""
    capacity: CapacitySpec = Field(default_factory=CapacitySpec)
    plan: PlanSpec = Field(default_factory=PlanSpec)
    forecast: Assumptions = Field(default_factory=Assumptions, validation_alias=AliasChoices("forecast", "assumptions"))

    def build_capacity(self, register_fleet: Capacity | None) -> Capacity:
        """The fleet this scenario forecasts with. A pool named under ``teams`` without a
        ``rate`` keeps the register's (calibrated) rates for that type when it has the type,
        else takes the published prior."""
        base = register_fleet if (self.capacity.base == "register" and register_fleet is not None) else Capacity({})
        assets = dict(base.assets)
        for asset, t in self.capacity.teams.items():
            known = register_fleet.get(asset) if register_fleet is not None else None
            if t.rate is None and known is not None:
                sigma = known.sigma if t.sigma is None else (t.sigma, t.sigma, t.sigma)
                assets[asset] = AssetCapacity(asset, t.count, known.median, sigma, t.availability)
            else:
                assets[asset] = AssetCapacity.from_rate(asset, t.count, t.rate, t.sigma, t.availability)
        fleet = Capacity(assets)
        for asset, extra in self.capacity.add.items():
            fleet = fleet.with_units(asset, fleet.units(asset) + extra)
        return fleet


class ScenarioFile(ScenarioSpec):
    """A scenario as a file states it: its name and its capacity are required."""

    name: str = Field(min_length=1)
    capacity: CapacitySpec


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str] | None:
    """The keys allowed at ``loc`` (for 'unknown key' messages), walking the models."""
    model: Any = ScenarioSpec
    parts = list(loc)
    while parts:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        key = str(parts.pop(0))
        f = model.model_fields.get("forecast" if model is ScenarioSpec and key == "assumptions" else key)
        if f is None:
            return None
        model, keyed = _inner_model(f.annotation)
        if keyed and parts:
            parts.pop(0)  # the dict key (an asset type)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return None


def _inner_model(annotation: Any) -> tuple[Any, bool]:
    """The model inside ``X | None`` or ``dict[K, X]`` (and whether it was a dict's value)."""
    origin = typing.get_origin(annotation)
    if origin is dict:
        return typing.get_args(annotation)[1], True
    if origin in (list, tuple):
        return typing.get_args(annotation)[0], True  # the item's model (its index is skipped)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args and origin is not None:
        return args[0], False
    return annotation, False


def _problems(exc: PydanticValidationError, source: str) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key_error = bool(loc) and loc[-1] == "[key]"
        path = [str(p) for p in (loc[:-1] if key_error else loc)]
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in (loc[:-1] if key_error else loc))
        etype = err["type"]
        found = err.get("input")
        expected: str | None = None
        message = err["msg"]
        if etype == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            message = "unknown key"
            found = path[-1]
            expected = "one of " + ", ".join(allowed) if allowed else None
        elif etype == "missing":
            message = "missing field"
            found = None
            expected = "a value"
        elif etype == "enum" or key_error:
            message = "unknown asset type" if key_error or "AssetType" in str(err.get("ctx", "")) else "unknown value"
            found = path[-1] if key_error else found
            expected = (
                "one of " + ", ".join(AssetType.allowed()) if key_error else str(err.get("ctx", {}).get("expected"))
            )
        elif "ctx" in err and etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            bounds = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}
            limit = next(iter(err["ctx"].values()))
            expected = f"a number {bounds[etype]} {limit}"
            if "reliability" in path[-1] or "availability" in path[-1]:
                expected = "a number in [0, 1]"
        elif etype == "literal_error":
            expected = "one of " + str(err.get("ctx", {}).get("expected", ""))
        elif etype == "value_error":
            message = str(err["msg"]).removeprefix("Value error, ")
        out.append(
            Problem(
                message=message,
                source=source,
                field=field.removeprefix(".") or None,
                found=None if found is None or isinstance(found, dict) else str(found),
                expected=expected,
                check="scenario",
            )
        )
    return out


def parse_scenario(text: str, source: str) -> ScenarioSpec:
    """Parse and check a scenario (YAML, or TOML when ``source`` ends in .toml)."""
    try:
        if source.lower().endswith(".toml"):
            data: Any = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(
            [
                Problem(
                    f"not valid {'TOML' if source.endswith('.toml') else 'YAML'}: {exc}",
                    source=source,
                    check="scenario",
                )
            ],
            "scenario refused",
        ) from None
    if not isinstance(data, dict):
        raise ValidationError(
            [
                Problem(
                    "a scenario must be a mapping of keys",
                    source=source,
                    found=type(data).__name__,
                    expected="keys name, capacity, assumptions",
                    check="scenario",
                )
            ],
            "scenario refused",
        )
    try:
        return ScenarioFile.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError(_problems(exc, source), "scenario refused") from None
