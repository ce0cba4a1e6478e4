"""Stored XSS cannot run and the pages hold under their Content-Security-Policy: the config
block is encoded for a script context, every answer carries the security headers, /docs is
served from the package; in Chromium the map, dashboards, review and docs pages run with no
CSP violation and an organisation name made of markup stays text."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from landrelease.settings import Settings
from landrelease.web.app import create_app
from landrelease.web.pages import script_json
from tests.web_support import FAST_HASHER, PASSWORD, Live, live_server, seed

EVIL = "</script><script>window.__pwned=1</script><!-- & \u2028 >"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, secret_key="k"))
    app.state.auth.hasher = FAST_HASHER
    seed(app.state.register)
    with TestClient(app) as c:
        yield c


def _admin(client: TestClient | httpx.Client) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"name": "admin", "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_script_json_cannot_close_the_script() -> None:
    text = str(script_json({"operator": EVIL}))
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"operator": EVIL}


def test_an_organisation_name_of_markup_stays_data(client: TestClient) -> None:
    r = client.post(
        "/api/users",
        json={"name": "evilop", "role": "operator", "operator": EVIL, "password": "long enough pw"},
        headers=_admin(client),
    )
    assert r.status_code == 201, r.text
    client.post("/api/auth/login", json={"name": "evilop", "password": "long enough pw"})
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "<script>window.__pwned" not in html
    block = re.search(r'<script id="lr-config" type="application/json">(.*?)</script>', html, flags=re.S)
    assert block is not None
    assert json.loads(block.group(1))["user"]["operator"] == EVIL


def test_security_headers_on_every_answer(client: TestClient) -> None:
    h = _admin(client)
    for path in (
        "/",
        "/login",
        "/api/hazard-areas?limit=1",
        "/ogc/",
        "/docs",
        "/openapi.json",
        "/static/app.css",
        "/api/nothing-here",
    ):
        r = client.get(path, headers=h, follow_redirects=False)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "same-origin", path
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp, path
        assert "'unsafe-inline'" not in csp.split("script-src", 1)[-1].split(";")[0], path
    login = client.get("/login").headers["content-security-policy"]
    assert "script-src 'self'" in login and "style-src 'self';" in login


def test_docs_come_from_the_package(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert "cdn" not in r.text.lower() and "http" not in re.sub(r"<!--.*?-->", "", r.text)
    for asset in re.findall(r'(?:src|href)="(/docs/static/[^"]+)"', r.text):
        got = client.get(asset)
        assert got.status_code == 200 and len(got.content) > 500, asset
    assert client.get("/redoc").status_code == 404
    lic = Path(__file__).parents[1] / "landrelease/api/docs_static/swagger-ui/LICENSE"
    assert "Apache License" in lic.read_text()


# ---------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    url = f"sqlite:///{tmp_path_factory.mktemp('csp') / 'register.db'}"
    with live_server(url, n_areas=60) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


WATCH = """() => { window.__csp = [];
  document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)); }"""


@pytest.mark.browser
def test_pages_run_under_the_policy_and_markup_stays_text(live: Live, browser: object) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as http:
        r = http.post(
            "/api/users",
            json={"name": "evilop", "role": "operator", "operator": EVIL, "password": "long enough pw"},
            headers=_admin(http),
        )
        assert r.status_code == 201, r.text
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    page.add_init_script("(" + WATCH + ")()")
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(live.url + "/login")
    page.fill("#name", "evilop")
    page.fill("#password", "long enough pw")
    page.click("#signin")
    page.wait_for_url(live.url + "/")
    page.wait_for_function("() => document.body && document.body.dataset.mapReady === '1'", timeout=60_000)
    page.wait_for_function(
        "() => window.lrMap.queryRenderedFeatures({layers: ['hazard-fill', 'hazard-points']}).length > 0",
        timeout=30_000,
    )
    assert page.evaluate("window.__pwned") is None
    assert EVIL.replace("\u2028", "").split("<!--")[0] in page.locator("#who").inner_text().replace("\u2028", "")
    violations = list(page.evaluate("window.__csp"))
    for path, ready in (
        ("/dashboard", "#chart-released svg, #chart-released canvas, #chart-released *"),
        ("/review", "table"),
        ("/docs", ".swagger-ui .info"),
    ):
        page.goto(live.url + path)
        page.wait_for_selector(ready, timeout=30_000)
        page.wait_for_timeout(500)
        violations += list(page.evaluate("window.__csp"))
    assert violations == [], violations
    assert not [m for m in console if "Content Security Policy" in m], console
    assert errors == [], errors
    context.close()


@pytest.mark.browser
def test_the_public_map_runs_under_the_policy(tmp_path: Path, browser: object) -> None:
    with live_server(f"sqlite:///{tmp_path / 'public.db'}", public_map=True) as server:
        context = browser.new_context(viewport={"width": 1000, "height": 700})  # type: ignore[attr-defined]
        page = context.new_page()
        page.add_init_script("(" + WATCH + ")()")
        asked: list[str] = []
        page.on("request", lambda req: asked.append(req.url))
        page.goto(server.url + "/")
        page.wait_for_function("() => document.body && document.body.dataset.mapReady === '1'", timeout=60_000)
        page.wait_for_function(
            "() => window.lrMap.queryRenderedFeatures({layers: ['hazard-fill', 'hazard-points']}).length > 0",
            timeout=30_000,
        )
        assert page.evaluate("window.__csp") == []
        assert not [u for u in asked if "/api/" in u or "/tiles/settlements" in u], asked
        context.close()
