"""What approved daily reports tell the rest of the system: progress, evidence and searches.

- *Progress*: a task is as far along as the m² its approved reports processed, over its m².
- *Evidence*: every device found is an EO find where it was found (the contamination
  model raises its cell and the neighbours along the area's pattern).
- *Searches*: ground processed on days that found nothing lowers the probabilities
  (Bayesian search theory, ``model.contamination.search``). A report gives m², not a
  polygon, so the search is spread over the whole area: a search of a share f of the area
  with detection probability d, at an unknown place, is in expectation a search of the
  whole area with d·f. Several days combine as ``1 - Π(1 - d·f)``.

Detection probability by method (this project's assumptions, to be replaced by a
programme's own QA results):

- cleared 0.99: clearance removes all EO to the specified depth (IMAS 09.10); the 1 %
  allows for what post-clearance inspection still finds;
- TS searched 0.90: technical survey searches to the standard but not every square metre;
- machine processed 0.80: "machines will not destroy all mines" (HALO Trust);
- NTS walked 0: walking land and asking people is no search for buried items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from landrelease.domain.enums import EvidenceKind, WorkMethod
from landrelease.domain.evidence import Evidence
from landrelease.domain.task import DailyReport

DETECTION: Mapping[WorkMethod, float] = {
    WorkMethod.CLEARED: 0.99,
    WorkMethod.TS_SEARCHED: 0.90,
    WorkMethod.MACHINE_PROCESSED: 0.80,
    WorkMethod.NTS_WALKED: 0.0,
}


def finds_as_evidence(reports: Iterable[DailyReport]) -> list[Evidence]:
    """Each device of each (approved) report as an EO find where it was found."""
    out = []
    for r in reports:
        for k, f in enumerate(r.items):
            out.append(
                Evidence(
                    kind=EvidenceKind.EO_FIND,
                    geometry=f.position,
                    hazard_code=None,  # a find counts for the open area it lies in
                    code=f"DR:{r.uuid}/{k + 1}",
                    date=r.date,
                    source=f"daily report {r.uuid}",
                    eo_type=f.eo_type,
                    count=1,
                )
            )
    return out


def search_detection(reports: Iterable[DailyReport], area_m2: Mapping[str, float]) -> dict[str, float]:
    """Effective detection probability over each area from its approved reports that found nothing.

    >>> from datetime import date
    >>> r = DailyReport.detailed("u", "T", date(2026, 1, 1), area_by_method={WorkMethod.CLEARED: 500.0},
    ...                          hazard_code="HA-1")
    >>> round(search_detection([r, r], {"HA-1": 1000.0})["HA-1"], 4)   # two half-area days
    0.745
    """
    miss: dict[str, float] = defaultdict(lambda: 1.0)
    for r in reports:
        if r.finds or r.items or not r.hazard_code:
            continue
        total = area_m2.get(r.hazard_code)
        if not total or total <= 0:
            continue
        for method, m2 in r.area_by_method.items():
            d = DETECTION.get(WorkMethod(method), 0.0)
            if d > 0 and m2 > 0:
                miss[r.hazard_code] *= 1.0 - d * min(1.0, m2 / total)
    return {code: 1.0 - m for code, m in miss.items() if m < 1.0}


def processed_m2(reports: Iterable[DailyReport]) -> dict[str, float]:
    """m² processed per task code (the task's progress is this over its planned m²)."""
    out: dict[str, float] = defaultdict(float)
    for r in reports:
        if r.task:
            out[r.task] += r.m2_processed
    return dict(out)
