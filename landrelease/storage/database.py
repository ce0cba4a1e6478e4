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
from sqlalchemy.engine import make_url

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


def make_engine(url: str) -> Engine:
    """An engine for a SQLite file (WAL, foreign keys on) or a PostGIS database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url)
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
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql+psycopg://…")


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
