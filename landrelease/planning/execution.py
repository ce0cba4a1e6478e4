"""Where the forecast's blocks of runs execute: threads in this process (``threaded``), or Dask.

The blocks and their seeds are fixed by the problem (see ``forecast.block_sizes``), so every
executor returns the same numbers; only the wall-clock time changes. NumPy releases the GIL
in the heavy loops, so threads use both cores of a small machine without copying data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from landrelease.planning.forecast import BlockResult, Mapper, Prepared, simulate_group, threaded

Groups = list[tuple[list[int], list[np.random.SeedSequence]]]


def dask(client: Any) -> Mapper:
    """Run the groups as tasks on a ``distributed.Client`` (the problem is scattered once).

    The workers must be able to import ``landrelease`` (install it, or start them from the
    source tree).
    """

    def run(prep: Prepared, groups: Groups) -> list[BlockResult]:
        [prep_future] = client.scatter([prep], broadcast=True)
        futures = [client.submit(simulate_group, prep_future, s, q, pure=False) for s, q in groups]
        results: list[BlockResult] = client.gather(futures)
        return results

    return run


__all__ = ["dask", "dask_workers", "threaded"]


def dask_workers(client: Any) -> int:
    """Number of workers the client's cluster has now (at least 1)."""
    return max(1, len(client.scheduler_info().get("workers", {})))
