"""Read planning scenario and priority-weight files (YAML or JSON), refusing what they may not hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError as PydanticError

from landrelease.domain.errors import Problem, ValidationError
from landrelease.planning.priority import PriorityWeights, pydantic_problems, weights_from_mapping
from landrelease.planning.workplan import PlanScenario


def _load(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError([Problem("file not found", source=str(path))], "file refused") from None
    try:
        return yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        raise ValidationError([Problem(f"not valid YAML or JSON: {exc}", source=str(path))], "file refused") from None


def load_plan_scenario(path: Path) -> PlanScenario:
    """A scenario file: ``name``, ``weights``, ``planning``, ``extra_teams`` and ``goals`` sections, nothing else."""
    data = _load(path) or {}
    if not isinstance(data, dict):
        raise ValidationError(
            [Problem("a scenario must be a mapping", source=str(path), found=type(data).__name__)], "scenario refused"
        )
    try:
        scenario = PlanScenario.model_validate(data)
    except PydanticError as exc:
        raise ValidationError(pydantic_problems(exc, "scenario", str(path)), "scenario refused") from None
    problems = scenario.weights.problems(str(path))
    if problems:
        raise ValidationError(problems, "scenario refused")
    return scenario


def load_weights(path: Path) -> PriorityWeights:
    """A weights file: criterion → weight; a scenario file's ``weights`` section is accepted too."""
    data = _load(path)
    if isinstance(data, dict) and "weights" in data and set(data) <= set(PlanScenario.model_fields):
        return load_plan_scenario(path).weights
    return weights_from_mapping(data, source=str(path))
