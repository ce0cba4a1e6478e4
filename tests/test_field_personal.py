"""Personal data (a team leader's name, a victim's name and contact) on every read path as a viewer:
REST, OGC items, vector tiles, exports, the monthly report, logs and the audit trail."""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy import select

from landrelease.domain.enums import EOType, WorkMethod
from landrelease.domain.task import DailyReport
from landrelease.field.casualty import Accident, ActivityAtTime, AgeBand, Outcome, Sex, Victim
from landrelease.field.review import ReviewAction, ReviewKind
from landrelease.services import casualties
from landrelease.services import field_reports as svc
from landrelease.settings import Settings
from landrelease.storage import schema
from landrelease.web.app import create_app
from tests.web_support import FAST_HASHER, PASSWORD, seed

LEADER = "Zora Quillfeather"
VICTIM = "Ilsa Marrowmint"
CONTACT = "+000 5550199"
SECRETS = (LEADER, VICTIM, CONTACT)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    url = f"sqlite:///{tmp_path_factory.mktemp('personal') / 'r.db'}"
    app = create_app(Settings(database_url=url, secret_key="k"))
    app.state.auth.hasher = FAST_HASHER
    reg = app.state.register
    seed(reg)
    with reg.reading() as conn:
        h = schema.hazard_area
        area = conn.execute(
            select(h.c.code, h.c.geometry).where(h.c.status == "open").order_by(h.c.id).limit(1)
        ).first()
        team = conn.execute(select(schema.team.c.code)).scalars().first()
    c = area.geometry.representative_point()
    r = DailyReport.detailed(
        str(uuid.uuid4()),
        team,
        date(2026, 5, 2),
        area_by_method={WorkMethod.CLEARED: 50.0},
        hazard_code=area.code,
        team_leader=LEADER,
        notes="dry ground",
    )
    svc.submit_reports(reg, [r], actor="op")
    for action in (ReviewAction.REVIEW, ReviewAction.APPROVE):
        svc.review(reg, ReviewKind.DAILY_REPORT, r.uuid, action, actor="ana", reviewer=True)
    acc = Accident("ACC-9", Point(c.x, c.y), date(2026, 4, 1), EOType.AP_MINE, False, ActivityAtTime.HERDING, area.code)
    vic = Victim("ACC-9", Sex.FEMALE, AgeBand.ADULT, Outcome.KILLED, name=VICTIM, contact=CONTACT)
    casualties.record_accidents(reg, [acc], [vic], actor="ana")
    with TestClient(app) as tc:
        yield tc


def token(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"name": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_analysts_see_personal_data(client: TestClient) -> None:
    h = token(client, "analyst")
    assert LEADER in client.get("/api/daily-reports", headers=h).text
    assert VICTIM in client.get("/api/victims", headers=h).text


def test_every_get_route_as_a_viewer_and_an_operator_shows_no_personal_data(client: TestClient) -> None:
    collections = [
        c["id"] for c in client.get("/ogc/collections?f=json", headers=token(client, "viewer")).json()["collections"]
    ]
    spec = client.get("/openapi.json").json()
    routes = sorted(
        {path for path, ops in spec["paths"].items() if "get" in ops}
        | {r.path for r in client.app.routes if "GET" in (getattr(r, "methods", None) or set())}  # type: ignore[attr-defined]
    )
    assert "/api/victims" in routes and "/api/daily-reports" in routes
    for role in ("viewer", "operator"):
        h = token(client, role)
        visited = 0
        for path in routes:
            if path.startswith("/static") or "{path" in path:
                continue
            filled = [path]
            if "{collection" in path or "{collectionId" in path:
                filled = [re.sub(r"\{collection[^}]*\}", cid, path) for cid in collections]
            urls = []
            for p in filled:
                p = re.sub(r"\{z\}", "8", p)
                p = re.sub(r"\{x\}", "160", p)
                p = re.sub(r"\{y\}", "96", p)
                p = re.sub(r"\{[^}]+\}", "1", p)
                urls.append(p)
            for u in urls:
                for q in ("", "?f=json", "?limit=1000"):
                    r = client.get(u + q, headers=h)
                    visited += 1
                    body = r.content.decode("utf-8", "replace")
                    assert not leaks(body), (role, u + q, leaks(body))
        assert visited > 50


def test_ogc_items_and_tiles_as_a_viewer(client: TestClient) -> None:
    h = token(client, "viewer")
    for c in client.get("/ogc/collections?f=json", headers=h).json()["collections"]:
        r = client.get(f"/ogc/collections/{c['id']}/items?limit=10000&f=json", headers=h)
        assert not leaks(r.text), c["id"]
        for z, x, y in ((0, 0, 0), (6, 40, 24), (9, 320, 193)):
            t = client.get(f"/tiles/{c['id']}/{z}/{x}/{y}.mvt", headers=h)
            assert not leaks(t.content.decode("latin-1")), (c["id"], z, x, y)


def test_exports_the_monthly_report_logs_and_audit(
    client: TestClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from landrelease.reports.render import render_html
    from landrelease.services.importing import export as export_register
    from landrelease.services.report_data import gather, parse_period

    reg = client.app.state.register  # type: ignore[attr-defined]
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "all.gpkg"
    export_register(reg, out, None)
    assert not leaks(out.read_bytes().decode("latin-1"))
    for kind in ("hazard-areas", "evidence", "settlements", "teams"):
        f = tmp_path / f"{kind}.geojson"
        export_register(reg, f, kind)
        assert not leaks(f.read_text()), kind
    html = render_html(gather(reg, parse_period("2026-05"))).html
    assert not leaks(html)
    h = token(client, "viewer")
    client.get("/api/daily-reports", headers=h)
    client.get("/api/victims", headers=h)
    assert not leaks(caplog.text)
    with reg.reading() as conn:
        payloads = json.dumps([r.payload for r in conn.execute(select(schema.audit_event))])
    assert not leaks(payloads)
