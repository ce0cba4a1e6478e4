"""Personal data: which fields name or reach a person, and who may see them.

The team leader's name on a daily report and a victim's name and contact are personal
data. Only administrators and analysts see them (``domain.user.ROLES_SEEING_PERSONAL_DATA``,
the one rule); every other reader (viewers, donors, operators), every export for them,
every OGC item, tile, log line and report goes without. The adapters ask :func:`may_see`
and remove the fields with :func:`redact`; the storage layer never writes them to logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from landrelease.domain.user import ROLES_SEEING_PERSONAL_DATA, Role

PERSONAL_FIELDS: Mapping[str, tuple[str, ...]] = {
    "daily_report": ("team_leader",),
    "victim": ("name", "contact"),
    "household": ("name", "contact"),
}


def may_see(role: Role | str | None) -> bool:
    """Whether a role sees personal fields.

    >>> may_see("analyst"), may_see("viewer"), may_see(None)
    (True, False, False)
    """
    return role is not None and str(role) in {r.value for r in ROLES_SEEING_PERSONAL_DATA}


def redact(kind: str, record: Mapping[str, Any], role: Role | str | None) -> dict[str, Any]:
    """The record without its personal fields, unless the role may see them.

    >>> redact("victim", {"sex": "female", "name": "A. B."}, "viewer")
    {'sex': 'female'}
    """
    if may_see(role):
        return dict(record)
    hidden = PERSONAL_FIELDS.get(kind, ())
    return {k: v for k, v in record.items() if k not in hidden}
