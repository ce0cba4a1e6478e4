"""When can a village come back? When its land and its access road are released.

A settlement is *ready* when no open hazard area holds it up (the land within the planner's
settlement radius, and the road/rail areas that cross its access routes). Otherwise its
ready date is taken, per quantile, as the latest of its blocking areas' forecast release
months. That is the latest *marginal* P10/P50/P90 — a lower bound on the true quantile of
the latest date (areas released late together are likelier than the marginals show), so it
is stated as such wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from landrelease.domain.hazard import HazardArea
from landrelease.domain.results import AreaForecast, latest_label
from landrelease.domain.settlement import Settlement
from landrelease.planning.settlement_links import SettlementLinks, link_settlements

READY = "ready"
WAITING = "waiting"  # blocked, and every blocking area has a forecast
UNKNOWN = "unknown"  # blocked, and some blocking area has no forecast yet
QUANTILES = ("p10", "p50", "p90")


@dataclass(frozen=True, slots=True)
class Readiness:
    code: str
    name: str
    displaced: int
    status: str
    blocking: tuple[str, ...]  # open hazard codes that hold the settlement up
    ready_by: Mapping[str, str | None]  # "p10"/"p50"/"p90" -> "YYYY-MM", "beyond N years" or None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "displaced": self.displaced,
            "status": self.status,
            "blocking": list(self.blocking),
            **{f"ready_by_{q}": self.ready_by.get(q) for q in QUANTILES},
        }


def settlement_readiness(
    settlements: Sequence[Settlement],
    open_areas: Sequence[HazardArea],
    forecasts: Mapping[str, AreaForecast],
    *,
    links: SettlementLinks | None = None,
    radius_km: float = 1.0,
) -> list[Readiness]:
    """Readiness of each settlement, most displaced people first.

    ``open_areas`` are the areas not yet released; ``forecasts`` each one's release in the
    stored forecast, by code (an area without one leaves its settlements ``unknown``).
    """
    live = [a for a in open_areas if a.is_open]
    links = links if links is not None else link_settlements(live, settlements, radius_km)
    out = []
    for s in settlements:
        blocking = tuple(dict.fromkeys([*links.roads.get(s.code, []), *links.areas.get(s.code, [])]))
        if not blocking:
            out.append(Readiness(s.code, s.name, s.displaced, READY, (), dict.fromkeys(QUANTILES)))
            continue
        known = [forecasts[c] for c in blocking if c in forecasts]
        if len(known) < len(blocking):
            out.append(Readiness(s.code, s.name, s.displaced, UNKNOWN, blocking, dict.fromkeys(QUANTILES)))
            continue
        ready_by: dict[str, str | None] = {q: latest_label([f.label(q) for f in known]) for q in QUANTILES}
        out.append(Readiness(s.code, s.name, s.displaced, WAITING, blocking, ready_by))
    return sorted(out, key=lambda r: (-r.displaced, r.code))
