"""The browser pages: sign-in, the map, the dashboards; static files served from the package.

Everything the page loads (MapLibre GL JS included) comes from ``web/static`` in this
package, so the page works offline. Forms are CSRF-safe: sign-in checks the Origin (the
session cookie is SameSite=Lax), sign-out carries the double-submit token.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from landrelease.api.accounts import clear_session, set_session, user_json
from landrelease.api.auth import CSRF_COOKIE, SESSION_COOKIE, Authenticator, Principal, check_csrf, same_origin
from landrelease.api.problems import ApiProblem
from landrelease.domain.user import Role
from landrelease.services import features, summary

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))


def _principal(request: Request) -> Principal | None:
    auth: Authenticator = request.app.state.auth
    return auth.principal(request)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(value: Any) -> Markup:
    """JSON that is safe inside a ``<script>`` element: no ``</script>``, ``<!--`` or line separators
    can appear in it, whatever the data (an organisation's name included)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return Markup(re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_ESCAPES[m.group()], text))


def _page(request: Request, template: str, principal: Principal, **extra: Any) -> Response:
    settings = request.app.state.settings
    register = request.app.state.register
    extent = features.hazard_extent(register)
    low, high = summary.priority_range(register)
    config = {
        "user": user_json(principal.user),
        "extent": extent,
        "basemapUrl": settings.basemap_url,
        # the priority scale is whatever the planner wrote: colour from its lowest to its highest score
        "priorityRange": [low, high] if low is not None and high is not None and high > low else [0.0, 1.0],
        "csrfCookie": CSRF_COOKIE,
    }
    return templates.TemplateResponse(
        request,
        template,
        {"user": principal.user, "config": script_json(config), "csrf": request.cookies.get(CSRF_COOKIE, ""), **extra},
    )


def _public_page(request: Request) -> Response:
    """The public safety map: open hazard areas only, no user, nothing else from the register."""
    settings = request.app.state.settings
    config = {
        "public": True,
        "extent": features.hazard_extent(request.app.state.register),
        "basemapUrl": settings.basemap_url,
    }
    return templates.TemplateResponse(request, "public_map.html", {"user": None, "config": script_json(config)})


def install(app: FastAPI) -> None:
    """Mount the static files and add the page routes."""
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/", include_in_schema=False)
    def map_page(request: Request) -> Response:
        principal = _principal(request)
        if principal is None:
            if request.app.state.settings.public_map:
                return _public_page(request)
            return RedirectResponse("/login?next=/", status_code=303)
        return _page(request, "map.html", principal, active="map")

    @app.get("/dashboard", include_in_schema=False)
    def dashboard_page(request: Request) -> Response:
        principal = _principal(request)
        if principal is None:
            return RedirectResponse("/login?next=/dashboard", status_code=303)
        return _page(request, "dashboard.html", principal, active="dashboard")

    @app.get("/import", include_in_schema=False)
    def import_page(request: Request) -> Response:
        """The upload page for analysts: pick a file, see the preview and its problems, adjust the crosswalk."""
        principal = _principal(request)
        if principal is None:
            return RedirectResponse("/login?next=/import", status_code=303)
        may = principal.user.role in (Role.ADMIN, Role.ANALYST)
        return _page(request, "import.html", principal, active="import", may_import=may)

    @app.get("/review", include_in_schema=False)
    def review_page(request: Request) -> Response:
        principal = _principal(request)
        if principal is None:
            return RedirectResponse("/login?next=/review", status_code=303)
        if principal.user.role.value == "viewer":
            return HTMLResponse(
                "<p>The review queue is for the authority's analysts and the operators.</p>", status_code=403
            )
        return _page(request, "review.html", principal, active="review")

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str | None = None) -> Response:
        if _principal(request) is not None:
            return RedirectResponse(_safe_next(next), status_code=303)
        return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "error": None})

    @app.post("/login", include_in_schema=False)
    def login_form(
        request: Request,
        name: str = Form("", max_length=120),
        password: str = Form("", max_length=200),
        next: str = Form("/", max_length=400),
    ) -> Response:
        target = _safe_next(next)
        if not same_origin(request):
            return templates.TemplateResponse(
                request,
                "login.html",
                {"next": target, "error": "Sign-in from another site was refused."},
                status_code=403,
            )
        auth: Authenticator = request.app.state.auth
        user = auth.check_password(name, password) if name and password else None
        if user is None:
            return templates.TemplateResponse(
                request, "login.html", {"next": target, "error": "Wrong name or password."}, status_code=401
            )
        response = RedirectResponse(target, status_code=303)
        set_session(response, request, auth, user)
        return response

    @app.post("/logout", include_in_schema=False)
    def logout_form(request: Request, csrf_token: str = Form("", max_length=200)) -> Response:
        principal = _principal(request)
        response = RedirectResponse("/login", status_code=303)
        if principal is not None:
            try:
                check_csrf(request, principal, form_token=csrf_token)
            except ApiProblem as exc:
                return HTMLResponse(f"<p>Sign-out refused: {exc.detail}</p>", status_code=403)
            auth = request.app.state.auth
            # this browser's session only; the API's logout?everywhere=true ends them all
            if not auth.end_session(request.cookies.get(SESSION_COOKIE, "")):
                auth.end_sessions(principal.user)
        clear_session(response)
        return response

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)
