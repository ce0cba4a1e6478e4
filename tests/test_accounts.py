"""Accounts (issue 9, finding 8), on both backends: the first admin whenever none is active;
deactivate, role change, password reset by an admin; a user's own password change; sign-out
of one session or everywhere; a deactivated user's sessions stop at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from landrelease.api.auth import Authenticator, ensure_admin
from landrelease.domain.user import Role
from landrelease.storage import users
from landrelease.storage.repository import Register
from tests.test_web_api import _client
from tests.web_support import FAST_HASHER, OPERATOR, PASSWORD

NEW = "a brand new long password"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    yield from _client(database_url)


def _token(client: TestClient, name: str, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"name": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _me(client: TestClient, h: dict[str, str]) -> int:
    return client.get("/api/auth/me", headers=h).status_code


def test_first_admin_whenever_no_active_admin_exists(database_url: str) -> None:
    reg = Register.open(database_url)
    auth = Authenticator(reg, "k", hasher=FAST_HASHER)
    with reg.unit_of_work(actor="test") as uow:  # an operator added before the first serve
        users.add_user(uow.conn, "test", "field-op", Role.OPERATOR, auth.hash_password(PASSWORD), OPERATOR)
    made = ensure_admin(reg, auth)
    assert made is not None and made[0] == "admin" and made[1]
    assert ensure_admin(reg, auth) is None  # one is active now
    # the only admin cannot be deactivated …
    with reg.unit_of_work(actor="test") as uow, pytest.raises(Exception, match="only active admin"):
        users.change_user(uow.conn, "test", "admin", active=False)
    # … but if it is deactivated behind the service's back, the next start makes another one
    with reg.unit_of_work(actor="test") as uow:
        uow.conn.execute(users.u.update().values(active=False))
    made = ensure_admin(reg, auth, "given password 123")
    assert made == ("admin-2", None)
    assert auth.check_password("admin-2", "given password 123") is not None
    reg.close()


def test_admin_deactivates_changes_role_and_resets_password(client: TestClient) -> None:
    admin = _token(client, "admin")
    op = _token(client, "operator")
    assert _me(client, op) == 200
    # not for anyone but an admin
    assert client.patch("/api/users/viewer", json={"active": False}, headers=op).status_code == 403
    # deactivated: the token stops at once, and signing in is refused
    r = client.patch("/api/users/operator", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    assert _me(client, op) == 401
    assert client.post("/api/auth/token", json={"name": "operator", "password": PASSWORD}).status_code == 401
    assert client.patch("/api/users/operator", json={"active": True}, headers=admin).status_code == 200
    # role change: operator -> viewer; the old token ends, a new one carries the new role
    op = _token(client, "operator")
    r = client.patch("/api/users/operator", json={"role": "viewer"}, headers=admin)
    assert r.status_code == 200 and r.json()["role"] == "viewer" and r.json()["operator"] is None, r.text
    assert _me(client, op) == 401
    viewer = _token(client, "operator")
    assert client.get("/api/auth/me", headers=viewer).json()["user"]["role"] == "viewer"
    # an operator role needs an organisation
    r = client.patch("/api/users/operator", json={"role": "operator"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "operator", r.text
    # the last active admin stays
    r = client.patch("/api/users/admin", json={"active": False}, headers=admin)
    assert r.status_code == 409, r.text
    assert client.patch("/api/users/nobody", json={"active": False}, headers=admin).status_code == 404
    # password reset by the admin: the old one fails, the new one works, sessions end
    r = client.post("/api/users/operator/password", json={"password": NEW}, headers=admin)
    assert r.status_code == 200, r.text
    assert _me(client, viewer) == 401
    assert client.post("/api/auth/token", json={"name": "operator", "password": PASSWORD}).status_code == 401
    _token(client, "operator", NEW)


def test_own_password_change_needs_the_current_one(client: TestClient) -> None:
    h = _token(client, "analyst")
    r = client.post("/api/auth/password", json={"current": "wrong password!", "new": NEW}, headers=h)
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "current", r.text
    assert _me(client, h) == 200
    r = client.post("/api/auth/password", json={"current": PASSWORD, "new": NEW}, headers=h)
    assert r.status_code == 200, r.text
    assert _me(client, h) == 401
    _token(client, "analyst", NEW)


def test_sign_out_one_session_or_everywhere(client: TestClient) -> None:
    phone, laptop, tablet = (_token(client, "viewer") for _ in range(3))
    r = client.post("/api/auth/logout", headers=phone)
    assert r.status_code == 200 and r.json()["ended"] == "this session", r.text
    assert _me(client, phone) == 401
    assert _me(client, laptop) == 200 and _me(client, tablet) == 200
    r = client.post("/api/auth/logout?everywhere=true", headers=laptop)
    assert r.status_code == 200 and r.json()["ended"] == "every session"
    assert _me(client, laptop) == 401 and _me(client, tablet) == 401
    assert _me(client, _token(client, "viewer")) == 200
