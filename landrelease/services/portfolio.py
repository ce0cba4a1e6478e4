"""The register's hazard areas as the core's portfolio, its fleet, and the release model they share.

The plan and the forecast both start here, so they read the same areas (stored ``area_m2``),
the same ``p_any`` (the stored assessment, or the model's prior by kind where an area has
not been assessed), the same rates (priors, the register's stated rates, calibration from
daily reports) and the same release model (calibrated on the same portfolio).
"""

from __future__ import annotations

import numpy as np

from landrelease.domain.enums import ReleaseMethod
from landrelease.domain.errors import Problem, ValidationError
from landrelease.model.productivity import Calibration, calibrate
from landrelease.planning.forecast import Capacity, Portfolio
from landrelease.planning.release_model import (
    CLEARANCE_ALONE,
    LearnedSplit,
    RecordedRelease,
    ReleaseModel,
    calibrate_mix,
    expected_items,
    learn_split,
    level_index,
    unassessed_p_any,
)
from landrelease.planning.scenario import Assumptions
from landrelease.services.register import HazardFilter, Register


def register_calibration(register: Register) -> Calibration:
    """Posterior rates from the register's daily reports (priors: its teams' stated rates)."""
    clutter = {a.code: a.clutter for a in register.hazard_areas(HazardFilter(include_superseded=True))}
    return calibrate(register.daily_reports(), register.teams(), clutter)


def register_portfolio(register: Register, record_reliability: float | None = None) -> tuple[Portfolio, str]:
    """The register's open hazard areas (stored areas, one query) with their probability of
    holding any EO, and where that probability came from.

    ``p_any`` and the expected items come from the stored assessment where ``landrelease
    model`` has made one; an area it has not assessed takes the model's prior for its kind
    (:func:`~landrelease.planning.release_model.unassessed_p_any`, said in the notes). A
    scenario's ``record_reliability`` re-runs the contamination model with every minefield
    record at that reliability (in memory: the stored assessments are not changed).
    """
    pf = register.portfolio(HazardFilter(open_only=True))
    if not len(pf):
        raise ValidationError(
            [Problem("the register holds no open hazard area", check="forecast")], "nothing to forecast"
        )
    areas = pf.areas
    area = np.asarray(pf.area_m2(), dtype=float)
    p_any = unassessed_p_any([a.kind for a in areas])
    items = expected_items(area, level_index(a.density for a in areas))
    modelled = np.zeros(len(areas), bool)
    if record_reliability is None:
        assessed = [(s.p_any, s.expected_items) if s is not None else None for s in pf.assessments]
    else:
        from landrelease.services.assess import run_model

        by_code = {
            r.code: (r.p_any, r.expected_items)
            for r in run_model(register, record_reliability=record_reliability).results
        }
        assessed = [by_code.get(a.code) for a in areas]
    for i, s in enumerate(assessed):
        if s is not None:
            modelled[i] = True
            p_any[i] = s[0]
            if s[0] > 0:
                items[i] = s[1] / s[0]
    n = int(modelled.sum())
    if n == len(areas):
        source = "probability of contamination from the contamination model"
    elif n:
        source = (
            f"probability of contamination from the contamination model for {n} of {len(areas)} areas, "
            "the model's prior by kind for the rest (not yet assessed)"
        )
    else:
        source = (
            "probability of contamination: the model's prior by kind (no area assessed yet; "
            "run `landrelease model` to use the evidence)"
        )
    portfolio = Portfolio.from_hazard_areas(areas, area, p_any=p_any, items_if_contaminated=items)
    return portfolio, source


def register_capacity(register: Register, calibration: Calibration | None = None) -> Capacity:
    """The register's fleet, with rates calibrated from its daily reports when it has any."""
    teams = register.teams()
    if calibration is None:
        calibration = register_calibration(register)
    return Capacity.from_teams(teams, calibration if calibration.used else None)


def register_learned_split(register: Register) -> LearnedSplit:
    """The release split learned from the register's recorded land release (every released part,
    summed per hazard area record, with the record's region and kind), shrunk to the 2022 global
    split (:func:`~landrelease.planning.release_model.learn_split`)."""
    areas = {a.code: a for a in register.hazard_areas(HazardFilter(include_superseded=True))}
    by_code: dict[str, dict[ReleaseMethod, float]] = {}
    for row in register.release_history():
        m2 = by_code.setdefault(str(row["hazard_code"]), {})
        method = ReleaseMethod(row["method"])
        m2[method] = m2.get(method, 0.0) + float(row["area_m2"] or 0.0)
    records = [
        RecordedRelease(areas[code].region or "(no region)", areas[code].kind, m2)
        for code, m2 in by_code.items()
        if code in areas
    ]
    return learn_split(records)


def release_model_for(
    portfolio: Portfolio, assumptions: Assumptions | None = None, learned: LearnedSplit | None = None
) -> ReleaseModel:
    """The release model of this portfolio: calibrated to the scenario's target split where it
    sets one, else to the split ``learned`` from the register's recorded release over these open
    areas (by region and kind), else the 2022 global split; clearance alone when the scenario
    says so."""
    if assumptions is not None and not assumptions.release_by_survey:
        return CLEARANCE_ALONE
    target = assumptions.release_mix.target() if assumptions is not None and assumptions.release_mix else None
    if target is None and learned is not None:
        target = learned.target(portfolio.area_m2, [str(r) for r in portfolio.region], portfolio.sha)
    return calibrate_mix(portfolio.area_m2, portfolio.p_any, portfolio.sha, portfolio.dense_site, target)
