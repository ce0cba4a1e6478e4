"""Readiness: when each settlement can come back (its land and access roads released).

Reads the settlements, the open hazard areas and each area's release in the newest stored
forecast; the rule is the core's (:mod:`landrelease.returns.readiness`). One definition for
the command line, the API, the map and the report.
"""

from __future__ import annotations

from landrelease.returns.readiness import READY, UNKNOWN, WAITING, Readiness, settlement_readiness
from landrelease.services.forecast import area_forecasts
from landrelease.services.register import HazardFilter, Register

__all__ = ["NOTE", "READY", "UNKNOWN", "WAITING", "Readiness", "readiness"]

NOTE = (
    "A settlement is ready when no open hazard area holds it up (its land within the settlement radius and the "
    "road/rail areas on its access routes). The ready month is the latest of the blocking areas' forecast months, "
    "per quantile: a lower bound on the true quantile. Run `landrelease forecast --store` first."
)


def readiness(register: Register) -> list[Readiness]:
    """Each settlement's readiness from the stored forecast, most displaced people first."""
    areas = register.hazard_areas(HazardFilter(open_only=True))
    forecasts = area_forecasts(register, [a.code for a in areas]) if areas else {}
    return settlement_readiness(register.settlements(), areas, forecasts)
