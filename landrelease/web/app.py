"""The web application: the API with the browser pages on top (what ``landrelease serve`` runs).

``create_app(settings)`` holds no global state, so tests can run many apps side by side and
``landrelease serve`` can run it in several uvicorn workers (``create_app_from_env`` is the
factory they import).
"""

from __future__ import annotations

from fastapi import FastAPI

from landrelease.api.app import create_api
from landrelease.services.register import Register
from landrelease.settings import Settings
from landrelease.web import pages


def create_app(settings: Settings, register: Register | None = None) -> FastAPI:
    """The whole web application over the register named by ``settings.database_url``."""
    app = create_api(settings, register)
    pages.install(app)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn workers: settings from LANDRELEASE_* environment variables."""
    return create_app(Settings())
