"""The examples in the core's docstrings run: areas in metres, outcome probabilities, the
release model, the site factor, the eligibility matrix, the plan's teams (as Shapely does)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import landrelease

CORE = ("domain", "model", "planning", "returns", "field")


def _modules() -> list[str]:
    out = []
    for pkg in CORE:
        mod = importlib.import_module(f"landrelease.{pkg}")
        out += [m.name for m in pkgutil.iter_modules(mod.__path__, f"landrelease.{pkg}.")]
    return sorted(out)


@pytest.mark.parametrize("name", _modules())
def test_doctests_of_the_core(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"


@pytest.mark.parametrize(
    "qualname",
    [
        "landrelease.domain.geometry.areas_m2",
        "landrelease.planning.release_model.outcome_probabilities",
        "landrelease.planning.release_model.expected_stages",
        "landrelease.planning.release_model.unassessed_p_any",
        "landrelease.planning.release_model.shrink_split",
        "landrelease.planning.release_model.learn_split",
        "landrelease.model.productivity.site_factor",
        "landrelease.model.productivity.unit_rates",
        "landrelease.planning.eligibility.eligible",
        "landrelease.planning.workplan.plan_teams",
        "landrelease.planning.forecast.work_sequence",
        "landrelease.planning.coherence.compare",
    ],
)
def test_the_core_public_functions_have_examples(qualname: str) -> None:
    module, name = qualname.rsplit(".", 1)
    doc = getattr(importlib.import_module(module), name).__doc__ or ""
    assert ">>>" in doc, f"{qualname} has no example"


def test_the_package_is_the_one_tested() -> None:
    assert landrelease.__name__ == "landrelease"
