"""The server holds under abuse: body limits before parsing (413), a vertex limit per geometry
(422 naming the field), sign-in throttling per account and per address (429 + Retry-After),
argon2 in a bounded pool, failed sign-ins logged without secrets. On both backends."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from landrelease.api.guard import SignInThrottle
from landrelease.settings import Settings
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, PASSWORD, live_server, seed


def _client(database_url: str, **settings: Any) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, secret_key="k", **settings))
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    yield from _client(database_url)


def _token(client: TestClient, name: str, password: str) -> Any:
    return client.post("/api/auth/token", json={"name": name, "password": password})


def _polygon(n: int) -> dict[str, Any]:
    """A convex polygon of ``n`` vertices (plus the closing one) around 47.05 E, 39.95 N."""
    import math

    ring = [
        [47.05 + 0.01 * math.cos(2 * math.pi * k / n), 39.95 + 0.01 * math.sin(2 * math.pi * k / n)] for k in range(n)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_sixty_wrong_passwords_then_the_right_one_is_429(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="landrelease.access")
    codes = [_token(client, "operator", f"wrong-{i}-s3cr3t").status_code for i in range(60)]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    r = _token(client, "operator", PASSWORD)
    assert r.status_code == 429, r.text
    assert 1 <= int(r.headers["retry-after"]) <= 900
    assert r.headers["content-type"].startswith("application/problem+json")
    # the web form and HTTP Basic are the same account's sign-in
    form = client.post("/login", data={"name": "operator", "password": PASSWORD}, follow_redirects=False)
    assert form.status_code == 429 and form.headers["content-type"].startswith("text/html")
    assert "Too many failed sign-ins" in form.text and "retry-after" in form.headers
    basic = base64.b64encode(f"operator:{PASSWORD}".encode()).decode()
    assert client.get("/api/auth/me", headers={"Authorization": f"Basic {basic}"}).status_code == 429
    failed = [r for r in caplog.records if r.name == "landrelease.access" and "failed" in r.getMessage()]
    assert len(failed) == 10 and "operator" in failed[0].getMessage()
    assert "s3cr3t" not in caplog.text and PASSWORD not in caplog.text


def test_an_address_is_throttled_across_accounts_and_the_window_ends(database_url: str) -> None:
    for c in _client(database_url, signin_address_failures=5, signin_window_s=2):
        names = ["admin", "analyst", "viewer", "nobody", "operator"]
        assert [_token(c, n, "wrong").status_code for n in names] == [401] * 5
        assert _token(c, "viewer", PASSWORD).status_code == 429  # another account, same address
        time.sleep(2.2)
        assert _token(c, "viewer", PASSWORD).status_code == 200


def test_basic_auth_guessing_is_throttled(client: TestClient) -> None:
    bad = base64.b64encode(b"analyst:guess").decode()
    codes = [client.get("/api/auth/me", headers={"Authorization": f"Basic {bad}"}).status_code for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_throttle_tables_are_bounded_and_per_key() -> None:
    from landrelease.api import guard

    t = SignInThrottle(account_limit=2, address_limit=100, window_s=60)
    t.failed("a", "1.1.1.1", now=0)
    t.failed("a", "2.2.2.2", now=1)
    assert t.retry_after("a", "3.3.3.3", now=2) == 58  # the account, whatever the address
    assert t.retry_after("b", "1.1.1.1", now=2) == 0
    t.succeeded("a")
    assert t.retry_after("a", "3.3.3.3", now=2) == 0
    for i in range(guard.MAX_TRACKED + 10):
        t.failed(f"user{i}", f"addr{i}", now=3)
    assert len(t.accounts._seen) == guard.MAX_TRACKED and len(t.addresses._seen) == guard.MAX_TRACKED


def test_body_limits(client: TestClient) -> None:
    h = {"Authorization": f"Bearer {_token(client, 'analyst', PASSWORD).json()['access_token']}"}
    big = json.dumps({"name": "x" * 5000, "password": "y"})
    r = client.post("/api/auth/token", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["errors"][0]["field"] == "body"
    area = {"code": "HA-BIG-1", "geometry": _polygon(8), "name": "x" * (2 * 2**20)}
    assert client.post("/api/hazard-areas", json=area, headers=h).status_code == 413

    # a streamed body without Content-Length is cut off too
    def chunks() -> Iterator[bytes]:
        yield b'{"code": "HA-BIG-2", "name": "'
        for _ in range(3):
            yield b"x" * 2**20
        yield b'"}'

    r = client.post("/api/hazard-areas", content=chunks(), headers={**h, "content-type": "application/json"})
    assert r.status_code == 413
    ok = client.post("/api/hazard-areas", json={"code": "HA-OK-1", "geometry": _polygon(1000)}, headers=h)
    assert ok.status_code == 201, ok.text


def test_vertex_limit_names_the_field(database_url: str) -> None:
    for c in _client(database_url, max_vertices=100):
        h = {"Authorization": f"Bearer {_token(c, 'analyst', PASSWORD).json()['access_token']}"}
        r = c.post("/api/hazard-areas", json={"code": "HA-V-1", "geometry": _polygon(150)}, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "geometry", r.text
        assert "100" in r.json()["errors"][0]["message"]
        act = {
            "hazard_code": "HA-X",
            "kind": "nts",
            "start_date": "2026-06-01",
            "end_date": "2026-06-02",
            "released": [
                {"method": "cancelled", "geometry": _polygon(99)},
                {"method": "cancelled", "geometry": _polygon(101)},
            ],
        }
        r = c.post("/api/activities", json=act, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "released.1.geometry", r.text
        assert (
            c.post("/api/hazard-areas", json={"code": "HA-V-2", "geometry": _polygon(99)}, headers=h).status_code == 201
        )


def test_fifty_megabytes_to_the_token_endpoint_is_refused_unread(database_url: str) -> None:
    with live_server(database_url) as live:
        host, port = live.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            head = (
                "POST /api/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {50 * 2**20}\r\n\r\n"
            )
            started = time.monotonic()
            s.sendall(head.encode() + b'{"name": "' + b"a" * 1000)
            answer = b""
            while b"\r\n\r\n" not in answer:
                part = s.recv(65536)
                if not part:
                    break
                answer += part
            elapsed = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert elapsed < 2.0
        print(f"token_50mb_refused_s={elapsed:.4f}")


def test_argon2_runs_in_a_bounded_pool(sqlite_url: str) -> None:
    class Counting(PasswordHasher):
        def __init__(self) -> None:
            super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
            self.now = 0
            self.most = 0
            self.lock = threading.Lock()

        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            try:
                time.sleep(0.02)
                return super().verify(hash, password)
            finally:
                with self.lock:
                    self.now -= 1

    app = create_app(Settings(database_url=sqlite_url, secret_key="k", hash_workers=2))
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register)
    hasher = Counting()
    app.state.auth.hasher = hasher
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: app.state.auth.check_password("viewer", f"bad{i}"), range(32)))
    assert results == [None] * 32
    assert hasher.most == 2
