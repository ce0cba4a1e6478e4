"""Shared fixtures: a register on each backend, real data paths.

PostGIS tests run against the PostgreSQL server on 127.0.0.1:5432; each test session makes
its own database and drops it. With CI=true a PostGIS test that cannot run fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from landrelease.storage.repository import Register

PG_ADMIN_URL = os.environ.get("LANDRELEASE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# ../shared beside the checkout (or beside the folder of worktrees it sits in)
SHARED = next(
    (p / "shared" for p in Path(__file__).resolve().parents[1:4] if (p / "shared" / "data" / "bih").is_dir()),
    Path(__file__).resolve().parents[1].parent / "shared",
)
BIH = SHARED / "data" / "bih" / "cleared_areas.geojson"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"PostGIS is required in CI: {reason}")
    pytest.skip(f"PostGIS not available: {reason}")


@pytest.fixture(scope="session")
def postgis_url() -> Iterator[str]:
    """A fresh PostGIS database for this test session, dropped at the end."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except Exception as exc:  # the server is down or unreachable
        _pg_unavailable(str(exc))
    name = f"landrelease_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as db:
            try:
                db.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            except Exception as exc:
                _pg_unavailable(f"CREATE EXTENSION postgis failed: {exc}")
        base = PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _empty_postgis(url: str) -> None:
    """Drop everything the previous test made so each test starts from an empty schema."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION IF NOT EXISTS postgis")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL on each backend; the database is empty."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'register.db'}"
    url = request.getfixturevalue("postgis_url")
    _empty_postgis(url)
    return url


@pytest.fixture
def register(database_url: str) -> Iterator[Register]:
    reg = Register.open(database_url)
    yield reg
    reg.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'register.db'}"


@pytest.fixture
def bih_path() -> Path:
    if not BIH.exists():
        if IN_CI:
            pytest.fail(f"the real data set is missing: {BIH}")
        pytest.skip(f"real data not found at {BIH}")
    return BIH
