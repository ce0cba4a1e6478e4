"""People who use the register through the web application, and their roles."""

from __future__ import annotations

from dataclasses import dataclass

from landrelease.domain.enums import _Vocabulary


class Role(_Vocabulary):
    """What a user may see and change.

    admin: everything, including users; analyst (the authority's): all data;
    operator: reads all, edits only its own organisation's tasks, activities and reports;
    viewer (e.g. a donor): reads, never writes.
    Personal data (names, contacts, sources) is seen by administrators and analysts only.
    """

    ADMIN = "admin"
    ANALYST = "analyst"
    OPERATOR = "operator"
    VIEWER = "viewer"


ROLES_SEEING_PERSONAL_DATA = frozenset({Role.ADMIN, Role.ANALYST})
"""The one rule of who sees personal data (a team leader's name, a victim's name and contact,
the source of a piece of evidence)."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    operator: str | None = None
    id: int | None = None
    active: bool = True
    session_epoch: int = 0

    @property
    def sees_personal_data(self) -> bool:
        return self.role in ROLES_SEEING_PERSONAL_DATA
