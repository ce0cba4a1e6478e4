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
