"""Closed vocabularies of mine action (IMAS terms).

Enum values are the lower-case strings used in files, the database and the API, so that a
value read from any of them can be checked with ``Enum(value)`` and refused by name.
"""

from __future__ import annotations

from enum import StrEnum


class _Vocabulary(StrEnum):
    """A string enum whose values double as the exchange spelling."""

    @classmethod
    def allowed(cls) -> list[str]:
        return [m.value for m in cls]


class HazardKind(_Vocabulary):
    """SHA: indirect evidence only; CHA: direct evidence of EO."""

    SHA = "SHA"
    CHA = "CHA"


class LandUse(_Vocabulary):
    ROAD = "road"
    RAIL = "rail"
    SETTLEMENT = "settlement"
    CEMETERY = "cemetery"
    RELIGIOUS_SITE = "religious_site"
    FARMLAND = "farmland"
    FOREST = "forest"
    INFRASTRUCTURE = "infrastructure"
    OTHER = "other"


class HazardStatus(_Vocabulary):
    """Life cycle of a hazard area record.

    ``superseded`` marks a record that a partial release split into parts: it is kept for
    history, and its open remainder lives on in child records.
    """

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CANCELLED = "cancelled"
    REDUCED = "reduced"
    CLEARED = "cleared"
    RELEASED = "released"
    SUPERSEDED = "superseded"

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_STATUSES

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES: tuple[HazardStatus, ...] = (HazardStatus.OPEN, HazardStatus.IN_PROGRESS)
"""Land still suspected: the one list every reader (register, forecast, map, report) counts as open."""

OPEN_STATUS_VALUES: tuple[str, ...] = tuple(s.value for s in OPEN_STATUSES)

CLOSED_STATUSES = frozenset(
    {
        HazardStatus.CANCELLED,
        HazardStatus.REDUCED,
        HazardStatus.CLEARED,
        HazardStatus.RELEASED,
        HazardStatus.SUPERSEDED,
    }
)


class Level(_Vocabulary):
    """Three-step scale used for metal clutter, vegetation and mine density."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class EOType(_Vocabulary):
    AP_MINE = "ap_mine"
    AT_MINE = "at_mine"
    CLUSTER_MUNITION = "cluster_munition"
    UXO = "uxo"
    AXO = "axo"
    IED = "ied"


class EvidenceKind(_Vocabulary):
    MINEFIELD_RECORD = "minefield_record"
    ACCIDENT = "accident"
    INTERVIEW = "interview"
    DRONE_DETECTION = "drone_detection"
    EO_FIND = "eo_find"


class ActivityKind(_Vocabulary):
    """Operational methods of land release and EOD (IMAS 08.10, 08.20, 09.10, 09.30)."""

    NTS = "nts"
    TS = "ts"
    CLEARANCE = "clearance"
    EOD = "eod"


class ReleaseMethod(_Vocabulary):
    """How a piece of land was released: by NTS, by TS, or by clearance."""

    CANCELLED = "cancelled"
    REDUCED = "reduced"
    CLEARED = "cleared"


# The release method each activity can produce (IMAS 07.11).
METHOD_OF_ACTIVITY: dict[ActivityKind, ReleaseMethod] = {
    ActivityKind.NTS: ReleaseMethod.CANCELLED,
    ActivityKind.TS: ReleaseMethod.REDUCED,
    ActivityKind.CLEARANCE: ReleaseMethod.CLEARED,
}


class AssetType(_Vocabulary):
    MANUAL = "manual"
    MDD = "mdd"
    MECHANICAL = "mechanical"
    DRONE_SURVEY = "drone_survey"
    EOD = "eod"


class WorkMethod(_Vocabulary):
    """How a team processed ground on a day (the area columns of a daily report).

    NTS walks land (IMAS 08.10), TS searches it (08.20), clearance clears it to depth (09.10),
    machines process it (ground preparation that needs manual or dog follow-up, 09.50).
    """

    NTS_WALKED = "nts_walked"
    TS_SEARCHED = "ts_searched"
    CLEARED = "cleared"
    MACHINE_PROCESSED = "machine_processed"


class StoppageReason(_Vocabulary):
    """Why a team stopped work during a day."""

    WEATHER = "weather"
    SECURITY = "security"
    EQUIPMENT = "equipment"
    MEDICAL = "medical"


class ItemCondition(_Vocabulary):
    """State of a device when found (GICHD minimum data: condition)."""

    INTACT = "intact"
    DAMAGED = "damaged"
    DETERIORATED = "deteriorated"
    UNKNOWN = "unknown"


class Disposal(_Vocabulary):
    """What was done with a device (IMAS 09.30): destroyed where it lay, moved and destroyed,
    rendered safe, handed over (to an EOD team or the police), or not yet disposed of."""

    DESTROYED_IN_SITU = "destroyed_in_situ"
    MOVED_AND_DESTROYED = "moved_and_destroyed"
    RENDERED_SAFE = "rendered_safe"
    HANDED_OVER = "handed_over"
    PENDING = "pending"
