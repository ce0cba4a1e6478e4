"""Schemathesis against our own OpenAPI, on both backends: generated input never gets a 5xx, and
every answer conforms to the document — its status is declared, its content type is declared,
its body matches the declared schema (refusals are problem details).

Every operation, the sign-in and token endpoints included, is called with generated paths,
queries and bodies as a signed-in admin (so writes get past the role check and reach
validation); examples are limited so each backend runs in well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from landrelease.settings import Settings
from landrelease.storage import users
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, seed

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def fuzzed_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'register.db'}"
    else:
        from tests.conftest import _empty_postgis

        url = request.getfixturevalue("postgis_url")
        _empty_postgis(url)
    app = create_app(Settings(database_url=url, secret_key="schemathesis"))
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register, n_areas=30)
    yield app
    app.state.register.close()


def _admin_token(app: FastAPI) -> str:
    """A fresh token each case: a generated sign-out may have ended the previous one."""
    with app.state.register.reading() as conn:
        admin = users.find_user(conn, "admin")
    assert admin is not None
    return str(app.state.auth.issue(admin[0], 3600))


def test_answers_conform_to_the_document(fuzzed_app: FastAPI) -> None:
    api = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    failures: list[str] = []
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 40
    assert {"/api/auth/login", "/api/auth/token", "/api/auth/logout"} <= {op.path for op in operations}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {_admin_token(fuzzed_app)}"}, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
