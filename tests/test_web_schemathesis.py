"""Schemathesis against our own OpenAPI: generated input never gets a 5xx.

Every operation is called with generated paths, queries and bodies as a signed-in admin
(so writes get past the role check and reach validation); kept small so it runs in well
under a minute.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from landrelease.settings import Settings
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, seed

_DIR = Path(tempfile.mkdtemp(prefix="landrelease-schemathesis-"))


def _app():  # type: ignore[no-untyped-def]
    app = create_app(Settings(database_url=f"sqlite:///{_DIR / 'register.db'}", secret_key="schemathesis"))
    app.state.auth.hasher = FAST_HASHER
    return app


WEB_APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", WEB_APP).exclude(path_regex="^/api/auth/(logout|login|token)$")


@pytest.fixture(scope="module")
def admin_token() -> str:
    from landrelease.storage import users

    seed(WEB_APP.state.register, n_areas=30)
    with WEB_APP.state.register.reading() as conn:
        admin = users.find_user(conn, "admin")
    assert admin is not None
    return str(WEB_APP.state.auth.issue(admin[0], 3600))


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case: schemathesis.Case, admin_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=[not_a_server_error])
