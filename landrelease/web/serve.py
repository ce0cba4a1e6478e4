"""Running the web application: ``landrelease serve`` and the demo's ``--serve``.

The first start on an empty register creates an ``admin`` user (password from
LANDRELEASE_ADMIN_PASSWORD, else generated and printed once) so a new user can sign in.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable

import uvicorn

from landrelease.api.auth import Authenticator, ensure_admin
from landrelease.services.register import Register
from landrelease.settings import Settings

ADMIN_PASSWORD_ENV = "LANDRELEASE_ADMIN_PASSWORD"


def prepare(settings: Settings, say: Callable[[str], None] = print) -> Settings:
    """Migrate the database, make the first admin if needed, fix a signing key for all workers."""
    register = Register.open(settings.database_url, audit_key=settings.audit_key)
    try:
        auth = Authenticator(register, settings.secret_key)
        generated = ensure_admin(register, auth, os.environ.get(ADMIN_PASSWORD_ENV) or None)
    finally:
        register.close()
    if generated is not None:
        name, password = generated
        if password:
            say(
                f"No active admin: created the user {name!r}, password '{password}' (shown once; change it "
                f"or set {ADMIN_PASSWORD_ENV} before the first start)."
            )
        else:
            say(f"No active admin: created the user {name!r} with the password of {ADMIN_PASSWORD_ENV}.")
    if not settings.secret_key:
        # One key for every worker of this run; sessions end when the server restarts.
        settings = settings.model_copy(update={"secret_key": secrets.token_urlsafe(32)})
    return settings


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, say: Callable[[str], None] = print
) -> None:
    """Serve the map, dashboards, REST, OGC API and tiles until interrupted."""
    settings = prepare(settings, say)
    say(
        f"landrelease serving {settings.database_url} at http://{host}:{port}/ (OGC API: "
        f"http://{host}:{port}/ogc/, API docs: http://{host}:{port}/docs) — Ctrl+C to stop"
    )
    if workers > 1:
        os.environ["LANDRELEASE_DATABASE_URL"] = settings.database_url
        os.environ["LANDRELEASE_SECRET_KEY"] = settings.secret_key or ""
        if settings.basemap_url:
            os.environ["LANDRELEASE_BASEMAP_URL"] = settings.basemap_url
        uvicorn.run(
            "landrelease.web.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
        return
    from landrelease.web.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def serve_demo(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """What ``landrelease demo --serve`` ends with: the demo scenario's map at a printed address."""
    serve(settings, host=host, port=port)
