"""Who may change which land: the one rule that keeps an operator in its own lane.

An operator (an organisation doing the work) records activities, daily reports and
proposed changes only on hazard areas assigned to it (``HazardArea.operator``). The
authority's administrators and analysts may act on every area; viewers change nothing.
Services call :func:`require_own_land` for every hazard area a submission touches, so the
rule holds whichever adapter (API, web form, CLI, import) the submission came through.
"""

from __future__ import annotations

from landrelease.domain.errors import LandreleaseError, Problem
from landrelease.domain.user import Role, User

__all__ = ["Forbidden", "require_own_land"]


class Forbidden(LandreleaseError):
    """The user may not change this record (HTTP 403); nothing was written."""


def require_own_land(user: User, hazard_code: str, hazard_operator: str | None, *, field: str = "hazard_code") -> None:
    """Refuse (:class:`Forbidden`) unless ``user`` may change the hazard area ``hazard_code``.

    Admins and analysts may change every area. An operator only the areas whose operator is
    its own organisation; an unassigned area belongs to the authority, not to an operator.
    """
    if user.role in (Role.ADMIN, Role.ANALYST):
        return
    if user.role is Role.OPERATOR and user.operator is not None and hazard_operator == user.operator:
        return
    if user.role is Role.OPERATOR:
        owner = repr(hazard_operator) if hazard_operator is not None else "no operator (the authority)"
        message = (
            f"hazard area {hazard_code} is assigned to {owner}, not to {user.operator!r}: "
            "an operator records work only on its own organisation's land"
        )
    else:
        message = f"role '{user.role.value}' may not change hazard area {hazard_code}"
    raise Forbidden(
        [Problem(message, record=hazard_code, field=field, found=hazard_operator, expected=user.operator)],
        summary=message,
    )
