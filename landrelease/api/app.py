"""The API: one FastAPI app per Settings (REST, OGC API, tiles, auth), the register on ``app.state``.

``create_api(settings)`` holds no global state, so tests can run many apps side by side.
The browser pages are added on top of it by :func:`landrelease.web.app.create_app` (the
web application ``landrelease serve`` runs); the API never imports the pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from landrelease.api import accounts, features, field, headers, imports, problems, rest, returns, stats, tiles
from landrelease.api.auth import Authenticator
from landrelease.api.guard import Guard
from landrelease.services.features import PageIndex
from landrelease.services.register import Register
from landrelease.settings import Settings


def create_api(settings: Settings, register: Register | None = None) -> FastAPI:
    """The API over the register named by ``settings.database_url`` (no pages)."""
    owned = register is None
    reg = register or Register.open(settings.database_url, audit_key=settings.audit_key)

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
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.register = reg
    app.state.auth = Authenticator(reg, settings.secret_key, hash_workers=settings.hash_workers)
    if settings.caches:
        app.state.tile_cache = tiles.TileCache()
        app.state.page_index = PageIndex()
    else:  # nothing kept: every page and tile is read from the database
        app.state.tile_cache = tiles.TileCache(max_bytes=0)
        app.state.page_index = PageIndex(max_entries=0, max_features=0)
    problems.install(app)
    app.add_middleware(Guard, settings=settings)
    headers.install(app, settings.basemap_url)
    app.include_router(accounts.router)
    app.include_router(rest.router)
    app.include_router(field.router)
    app.include_router(stats.router)
    app.include_router(returns.router)
    app.include_router(features.router)
    app.include_router(tiles.router)
    app.include_router(imports.router)
    return app
