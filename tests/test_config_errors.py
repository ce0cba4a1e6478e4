"""A wrong LANDRELEASE_DATABASE_URL, as a new user would write it, ends in one line on stderr
and exit 2 — never a traceback; a PostgreSQL database without PostGIS gets the extension when
the role may create it. Each case runs the real command line in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL


def run(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANDRELEASE_DATABASE_URL": url, "COLUMNS": "400"}
    return subprocess.run(
        [sys.executable, "-m", "landrelease", *(args or ("summary",))],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def refused(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2, one line on stderr naming the problem, no traceback."""
    err = done.stderr.strip()
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert len(err.splitlines()) == 1, err
    assert err.startswith("configuration error:"), err
    for word in words:
        assert word in err, (word, err)
    return err


def test_sqlite_file_in_a_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    refused(run(f"sqlite:///{missing / 'register.db'}", tmp_path), str(missing), "does not exist", "mkdir")
    assert not missing.exists()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://user@localhost/register", ("unsupported database 'mysql'", "sqlite:///FILE")),
        ("oracle+cx_oracle://u@h/db", ("unsupported database 'oracle'",)),
        ("register.db", ("is not a database URL", "sqlite:///FILE")),
        ("", ("is not a database URL",)),
    ],
)
def test_unsupported_or_malformed_url(url: str, words: tuple[str, ...], tmp_path: Path) -> None:
    refused(run(url, tmp_path), *words)


def test_unreachable_server(tmp_path: Path) -> None:
    # port 1 on this machine: nothing listens there, so the connection is refused at once
    refused(run("postgresql+psycopg://postgres@127.0.0.1:1/register", tmp_path), "cannot reach", "127.0.0.1:1")


# ---- against the real PostgreSQL server -----------------------------------------------------


def _admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


def _url(database: str, user: str = "postgres") -> str:
    host = PG_ADMIN_URL.split("@", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+psycopg://{user}@{host}/{database}"


@pytest.fixture
def plain_database(postgis_url: str) -> Iterator[str]:
    """A new PostgreSQL database without the PostGIS extension (as `createdb` makes it)."""
    name = f"landrelease_plain_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgis
def test_database_that_does_not_exist(postgis_url: str, tmp_path: Path) -> None:
    name = f"landrelease_missing_{uuid.uuid4().hex[:8]}"
    refused(run(_url(name), tmp_path), f"'{name}' does not exist", "createdb -h")


@pytest.mark.postgis
def test_postgis_is_created_when_the_role_may(plain_database: str, tmp_path: Path) -> None:
    done = run(_url(plain_database), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{plain_database}", connect_timeout=5) as db:
        assert db.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone() is not None
        assert db.execute("SELECT to_regclass('public.hazard_area')").fetchone() != (None,)


@pytest.mark.postgis
def test_postgis_missing_and_the_role_may_not_create_it(plain_database: str, tmp_path: Path) -> None:
    role = f"landrelease_user_{uuid.uuid4().hex[:8]}"
    with _admin() as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER')
    try:
        err = refused(run(_url(plain_database, role), tmp_path), "has no PostGIS", "CREATE EXTENSION postgis", role)
        assert plain_database in err
    finally:
        with _admin() as admin:
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
