"""Sample households and house stock for the demo, from a seed: a few households per
settlement (sizes 1–7, one in ten with special needs), and houses of three types — fewer
than the households, so that the allocation has waiting lists to show.

The households' names are invented sample data (``Household 0001``), not people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import numpy as np

from landrelease.domain.settlement import Settlement
from landrelease.returns.housing import House, Household, HouseType, expand_stock

HOUSE_TYPES = (HouseType("T2", 1, 2), HouseType("T4", 2, 4), HouseType("T6", 3, 6))


def sample_housing(
    settlements: Sequence[Settlement],
    successor: Mapping[str, str],
    *,
    seed: int = 0,
    per_settlement: int = 8,
    registered_from: date = date(2026, 1, 5),
) -> tuple[list[Household], list[House]]:
    """Households of each former settlement, and houses where they will live: in the
    settlement itself, or in its consolidated successor."""
    rng = np.random.default_rng(seed)
    households: list[Household] = []
    need: dict[str, int] = {}
    new = set(successor.values())
    k = 0
    for s in settlements:
        if s.code in new:
            continue  # a new settlement's people are the former ones'
        n = int(min(per_settlement, max(2, s.displaced // 150)))
        for _ in range(n):
            k += 1
            households.append(
                Household(
                    f"HH-{k:04d}",
                    int(rng.integers(1, 8)),
                    s.code,
                    registered_from + timedelta(days=int(rng.integers(0, 300))),
                    bool(rng.random() < 0.1),
                    name=f"Household {k:04d}",
                )
            )
        home = successor.get(s.code, s.code)
        need[home] = need.get(home, 0) + n
    rows: list[tuple[str, HouseType, int]] = []
    for home, n in sorted(need.items()):
        built = max(1, int(n * 0.75))
        split = rng.multinomial(built, [0.3, 0.45, 0.25])
        rows.extend((home, t, int(c)) for t, c in zip(HOUSE_TYPES, split, strict=True) if c)
    return households, expand_stock(rows)
