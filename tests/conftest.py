"""Shared fixtures: a register on each backend, real data paths, the outside tools.

PostGIS tests run against the PostgreSQL server on 127.0.0.1:5432; each test session makes
its own database and drops it.

One rule for every outside service (PostGIS, Chromium, GDAL's ogrinfo, poppler's pdftoppm,
the real data): outside CI a missing one skips the test with the reason; in CI (CI=true, read
only here as ``IN_CI``) it fails the test, so a broken CI machine cannot pass by skipping.

With LANDRELEASE_TEST_SUMMARY=FILE the session writes one line to FILE saying how many
tests ran and were skipped on each backend (``.ci/run`` prints it).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from landrelease.storage.repository import Register

PG_ADMIN_URL = os.environ.get("LANDRELEASE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# ../shared beside the checkout (or beside the folder of worktrees it sits in)
SHARED = next(
    (p / "shared" for p in Path(__file__).resolve().parents[1:4] if (p / "shared" / "data" / "bih").is_dir()),
    Path(__file__).resolve().parents[1].parent / "shared",
)
BIH = SHARED / "data" / "bih" / "cleared_areas.geojson"
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
CHROMIUM = "/usr/bin/chromium"


def service_missing(service: str, reason: str) -> NoReturn:
    """The one rule: skip with the reason outside CI, fail in CI."""
    if IN_CI:
        pytest.fail(f"{service} is required in CI (CI=true): {reason}", pytrace=False)
    pytest.skip(f"{service} not available: {reason}")


def _pg_unavailable(reason: str) -> NoReturn:
    service_missing("PostGIS", reason)


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        service_missing(name, f"{name} is not on PATH (Debian package {package})")
    return path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, which Playwright drives through executable_path."""
    if not Path(CHROMIUM).exists():
        service_missing("Chromium", f"{CHROMIUM} is not installed (Debian package chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def ogrinfo() -> str:
    """GDAL's ogrinfo, the independent reader of our GeoPackages."""
    return _tool("ogrinfo", "gdal-bin")


@pytest.fixture(scope="session")
def pdftoppm() -> str:
    """Poppler's pdftoppm, which renders report PDFs to images."""
    return _tool("pdftoppm", "poppler-utils")


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
        service_missing("The real data set", f"not found at {BIH}")
    return BIH


# ---- the one-line summary of what ran where -------------------------------------------------

_COUNTS: Counter[str] = Counter()


def _backends(keywords: object) -> list[str]:
    names = ["all"]
    for marker in ("postgis", "browser"):
        if marker in keywords:  # type: ignore[operator]
            names.append(marker)
    return names


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count each test once: run (its body ran), skipped, or failed (in any phase)."""
    if report.when == "call":
        outcome = "run"
    elif report.when == "setup" and report.outcome == "skipped":
        outcome = "skipped"
    else:
        outcome = ""
    for name in _backends(report.keywords):
        if outcome:
            _COUNTS[f"{name}:{outcome}"] += 1
        if report.outcome == "failed":
            _COUNTS[f"{name}:failed"] += 1


def summary_line(counts: Counter[str]) -> str:
    """``postgis tests: 55 run, 0 skipped; browser tests: 9 run, 0 skipped; all tests: …``."""
    parts = []
    for name in ("postgis", "browser", "all"):
        part = f"{name} tests: {counts[name + ':run']} run, {counts[name + ':skipped']} skipped"
        if counts[name + ":failed"]:
            part += f", {counts[name + ':failed']} failed"
        parts.append(part)
    return "; ".join(parts)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("LANDRELEASE_TEST_SUMMARY")
    if target:
        Path(target).write_text(summary_line(_COUNTS) + "\n", encoding="utf-8")
