"""The web application: one FastAPI app per Settings, the register on ``app.state``.

``create_app(settings)`` holds no global state, so tests can run many apps side by side and
``landrelease serve`` can run it in several uvicorn workers (``create_app_from_env`` is the
factory they import).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from landrelease.api import accounts, collections, features, field, problems, rest, stats, tiles
from landrelease.api.auth import Authenticator
from landrelease.settings import Settings
from landrelease.storage.repository import Register


def create_app(settings: Settings, register: Register | None = None) -> FastAPI:
    """The whole web application over the register named by ``settings.database_url``."""
    owned = register is None
    reg = register or Register.open(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            reg.close()

    app = FastAPI(
        title="landrelease",
        version="0.1.0",
        description="Register, model, plan and forecast land release in humanitarian mine action. "
        "Sign in with POST /api/auth/login (session cookie + CSRF token) or get a bearer token from "
        "POST /api/auth/token. The OGC API – Features is under /ogc, vector tiles under /tiles.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.register = reg
    app.state.auth = Authenticator(reg, settings.secret_key)
    app.state.tile_cache = tiles.TileCache()
    app.state.page_index = collections.PageIndex()
    problems.install(app)
    app.include_router(accounts.router)
    app.include_router(rest.router)
    app.include_router(field.router)
    app.include_router(stats.router)
    app.include_router(features.router)
    app.include_router(tiles.router)
    from landrelease.web import pages

    pages.install(app)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn workers: settings from LANDRELEASE_* environment variables."""
    return create_app(Settings())
