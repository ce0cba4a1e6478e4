"""The register every use case works on, opened once per command, server or test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from landrelease.settings import Settings
from landrelease.storage.database import reset_database
from landrelease.storage.repository import HazardFilter, Register

__all__ = ["HazardFilter", "Register", "open_register", "reset"]


@contextmanager
def open_register(settings: Settings) -> Iterator[Register]:
    """Open (and migrate) the configured database for the length of one command."""
    register = Register.open(settings.database_url, audit_key=settings.audit_key)
    try:
        yield register
    finally:
        register.close()


def reset(settings: Settings) -> None:
    """Empty the configured register (the demo's ``--reset``): every table, all history."""
    reset_database(settings.database_url)
