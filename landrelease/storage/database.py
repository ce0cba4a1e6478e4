"""Engines and migrations for both backends, chosen by the database URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from landrelease.domain.errors import ConfigurationError

READ_ONLY = "landrelease_read_only"
"""Execution option that marks a connection as a reader (a deferred transaction in SQLite)."""

MIGRATIONS = str(Path(__file__).with_name("migrations"))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


URL_FORMS = "sqlite:///FILE or postgresql+psycopg://USER@HOST:5432/DB"


def _parse(url: str) -> URL:
    """The URL, or a ConfigurationError naming what is wrong with it."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigurationError(f"LANDRELEASE_DATABASE_URL {url!r} is not a database URL: use {URL_FORMS}") from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigurationError(f"LANDRELEASE_DATABASE_URL {url!r}: unsupported database {backend!r}; use {URL_FORMS}")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver landrelease ships with
    if (
        backend == "sqlite"
        and parsed.database not in (None, "", ":memory:")
        and not parsed.database.startswith("file:")
    ):
        folder = Path(parsed.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise ConfigurationError(
                f"LANDRELEASE_DATABASE_URL {url!r}: the folder {folder} does not exist; create it (mkdir -p {folder})"
                " or point the URL at an existing folder"
            )
    return parsed


def make_engine(url: str) -> Engine:
    """An engine for a SQLite file (WAL, foreign keys on) or a PostGIS database."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)

        # Let SQLAlchemy own transactions so BEGIN … COMMIT wraps every unit of work.
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        # One writer at a time in this process: SQLite admits one writer anyway, and threads
        # that queue on a lock are served in turn, where threads that each retry SQLite's busy
        # handler (sleeping up to 100 ms between tries) starve under load.
        writer = threading.Lock()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # Writers take the write lock up front (no upgrade deadlocks); readers take a
            # deferred snapshot, so under WAL they never wait for a writer or each other.
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            if not read_only:
                writer.acquire()
                conn.info["landrelease_writer"] = True
            try:
                conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
            except BaseException:
                if conn.info.pop("landrelease_writer", False):
                    writer.release()
                raise

        def _end(conn: Connection) -> None:
            if conn.info.pop("landrelease_writer", False):
                writer.release()

        event.listen(engine, "commit", _end)
        event.listen(engine, "rollback", _end)

        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigurationError(
            f"LANDRELEASE_DATABASE_URL {url!r}: driver {parsed.drivername!r} is not available; use {URL_FORMS}"
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_database(engine: Engine) -> None:
    """Connect once and make sure the database can hold the register, so that a wrong setting
    ends in one line saying what to do rather than a traceback from deep inside a migration.

    On PostgreSQL the PostGIS extension is created when missing and the role may create it."""
    url = engine.url
    where = url.render_as_string(hide_password=True)
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        if url.get_backend_name() == "sqlite":
            raise ConfigurationError(f"cannot open the SQLite database {url.database}: {_first_line(exc)}") from exc
        detail, full = _first_line(exc), str(getattr(exc, "orig", None) or exc)
        host = f"{url.host or 'localhost'}:{url.port or 5432}"
        if "does not exist" in full and "database" in full:
            raise ConfigurationError(
                f"database {url.database!r} does not exist on the PostgreSQL server at {host}: create it with "
                f"`createdb -h {url.host or 'localhost'} -p {url.port or 5432}"
                f"{' -U ' + url.username if url.username else ''} {url.database}` (then PostGIS is added on first use)"
            ) from exc
        if "authentication failed" in full or "password" in full:
            raise ConfigurationError(f"PostgreSQL at {host} refused user {url.username!r}: {detail}") from exc
        raise ConfigurationError(
            f"cannot reach the PostgreSQL server at {host} ({detail}): is it running, and is "
            f"LANDRELEASE_DATABASE_URL ({where}) right?"
        ) from exc
    try:
        if url.get_backend_name() == "postgresql":
            _ensure_postgis(conn, url)
    finally:
        conn.close()


def _ensure_postgis(conn: Connection, url: URL) -> None:
    if conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").first():
        return
    available = conn.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").first()
    conn.rollback()
    if not available:
        raise ConfigurationError(
            f"the PostgreSQL server at {url.host or 'localhost'}:{url.port or 5432} has no PostGIS: install it "
            "(Debian: apt-get install postgresql-N-postgis-3, N the server's major version)"
        )
    try:
        with conn.begin():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    except DBAPIError as exc:
        raise ConfigurationError(
            f"database {url.database!r} has no PostGIS and user {url.username!r} may not add it ({_first_line(exc)}): "
            f"run `psql -d {url.database} -c 'CREATE EXTENSION postgis'` as a superuser or the database owner"
        ) from exc


def alembic_config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        yield conn


def is_migrated(engine: Engine) -> bool:
    return "hazard_area" in inspect(engine).get_table_names()


def reset_database(url: str) -> None:
    """Empty the register at ``url``: delete a SQLite file (and its WAL), or downgrade a PostGIS
    database to no tables. Used by ``landrelease demo --reset``."""
    from alembic import command

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
    finally:
        engine.dispose()
