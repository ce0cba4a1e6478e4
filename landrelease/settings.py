"""One typed settings object for the whole application (no global state)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///landrelease.db"


class Settings(BaseSettings):
    """Read from ``LANDRELEASE_*`` environment variables; pass explicitly everywhere."""

    model_config = SettingsConfigDict(env_prefix="LANDRELEASE_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: a SQLite file (default) or postgresql+psycopg://…",
    )
    dask_scheduler: str | None = Field(None, description="tcp://HOST:PORT of a Dask scheduler")
    output_dir: Path = Field(Path("landrelease-output"), description="where reports and charts go")
    seed: int = Field(20201110, description="default seed for sample data and forecasts")
    basemap_url: str | None = Field(None, description="optional raster/vector base-map style URL")
    secret_key: str | None = Field(None, description="key for signing session tokens")
    caches: bool = Field(
        True,
        description="keep feature pages and vector tiles in memory per data version; off makes every "
        "request read the database (for measuring, or when memory is short)",
    )
    audit_key: str | None = Field(
        None,
        description="key (kept outside the database) for signing the audit trail with HMAC-SHA256; "
        "without it a rewritten or truncated chain cannot be detected",
        repr=False,
    )
    max_vertices: int = Field(50_000, ge=4, description="most positions one geometry in a request may have")
    max_body_bytes: int = Field(2 * 2**20, ge=1024, description="largest request body of a data route (413 beyond)")
    auth_max_body_bytes: int = Field(4096, ge=256, description="largest body of a sign-in or token request")
    import_max_bytes: int = Field(512 * 2**20, ge=1024, description="largest file /api/imports accepts")
    signin_account_failures: int = Field(10, ge=1, description="failed sign-ins per account per window, then 429")
    signin_address_failures: int = Field(30, ge=1, description="failed sign-ins per client address per window")
    signin_window_s: int = Field(900, ge=1, description="the sign-in throttle's window in seconds")
    public_map: bool = Field(False, description="anonymous read-only map of open hazard areas (public fields)")
    public_map_precision: int = Field(4, ge=1, le=7, description="decimal places of public geometries (4 ≈ 11 m)")
    hash_workers: int = Field(2, ge=1, le=64, description="password hashes (argon2) computed at once")
