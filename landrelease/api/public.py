"""Who may read without signing in: nobody, unless the public safety map is switched on.

With ``LANDRELEASE_PUBLIC_MAP=true`` the OGC landing page and conformance, the hazard-areas
collection's items (open areas, public fields, generalised: :mod:`landrelease.services.public`)
and its tiles answer anonymous requests; every other route still needs sign-in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from landrelease.api.auth import Principal, check_csrf, current_principal
from landrelease.api.problems import ApiProblem

PUBLIC_COLLECTION = "hazard-areas"


def visitor(request: Request) -> Principal | None:
    """The signed-in principal; None for an anonymous visitor of the public map; else a 401."""
    principal = request.app.state.auth.principal(request)
    if principal is not None:
        check_csrf(request, principal)
        return principal
    if request.app.state.settings.public_map:
        return None
    return current_principal(request)  # raises the usual 401


def public_only(collection: str) -> None:
    """An anonymous visitor reads the public hazard areas only."""
    if collection != PUBLIC_COLLECTION:
        raise ApiProblem(
            401,
            "sign in first (only open hazard areas are public)",
            field="authorization",
            headers={"WWW-Authenticate": 'Bearer realm="landrelease"'},
        )


Visitor = Annotated[Principal | None, Depends(visitor)]
