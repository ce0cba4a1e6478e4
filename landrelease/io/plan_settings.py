"""Read planning scenario and priority-weight files (YAML or JSON), refusing what they may not hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from landrelease.domain.errors import Problem, ValidationError
from landrelease.planning.priority import PriorityWeights, weights_from_mapping
from landrelease.planning.scenario import ScenarioSpec, parse_scenario


def _load(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError([Problem("file not found", source=str(path))], "file refused") from None
    try:
        return yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        raise ValidationError([Problem(f"not valid YAML or JSON: {exc}", source=str(path))], "file refused") from None


def load_plan_scenario(path: Path) -> ScenarioSpec:
    """A scenario file (``name``, ``capacity``, ``plan`` with its ``goals``, ``forecast``), checked: every problem
    is named with the file and the key."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError([Problem("file not found", source=str(path))], "file refused") from None
    scenario = parse_scenario(text, str(path))
    problems = scenario.plan.weights.problems(str(path))
    if problems:
        raise ValidationError(problems, "scenario refused")
    return scenario


def load_weights(path: Path) -> PriorityWeights:
    """A weights file: criterion → weight; a scenario file's ``weights`` section is accepted too."""
    data = _load(path)
    if isinstance(data, dict) and "plan" in data and set(data) <= set(ScenarioSpec.model_fields) | {"assumptions"}:
        return load_plan_scenario(path).plan.weights
    return weights_from_mapping(data, source=str(path))
