"""Schemathesis against our own OpenAPI, on each backend: every response to generated input is
a documented one (status code, content type, headers and body against the schema), never a 5xx.

Every operation — the auth endpoints included — is called with generated paths, queries and
bodies as a signed-in admin (so writes get past the role check and reach validation); kept
small so it runs in about a minute a backend.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from landrelease.settings import Settings
from landrelease.web.app import create_app
from tests.conftest import _empty_postgis
from tests.web_support import FAST_HASHER, seed

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def web_app(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The web application over a seeded register on the backend, with its admin's id."""
    from landrelease.storage import users

    if request.param == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='landrelease-schemathesis-')) / 'register.db'}"
    else:
        url = request.getfixturevalue("postgis_url")
        _empty_postgis(url)
    app = create_app(Settings(database_url=url, secret_key="schemathesis"))
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register, n_areas=30)
    with app.state.register.reading() as conn:
        admin = users.find_user(conn, "admin")
    assert admin is not None
    app.state.test_admin = admin[0]
    try:
        yield app
    finally:
        app.state.register.close()


def _document_app() -> Any:
    """An application whose only use is to serve the OpenAPI document (the same on both backends)."""
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='landrelease-schemathesis-')) / 'openapi.db'}"
    return create_app(Settings(database_url=url, secret_key="schemathesis"))


schema = schemathesis.openapi.from_asgi("/openapi.json", _document_app())


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_responses_match_the_schema(case: schemathesis.Case, web_app: Any) -> None:
    """A fresh admin token per example, so that a generated logout cannot sign the rest out."""
    token = web_app.state.auth.issue(web_app.state.test_admin, 3600)
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, app=web_app)
