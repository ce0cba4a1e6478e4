"""The review queue page in Debian's Chromium: an analyst approves one report and returns another
with a reason; the dashboard shows the risk-education panel."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from shapely.geometry import Point
from sqlalchemy import select

from landrelease.domain.enums import WorkMethod
from landrelease.domain.task import DailyReport
from landrelease.field.casualty import AgeBand, Sex
from landrelease.field.eore import EoreMethod, EoreSession
from landrelease.field.review import ReviewKind
from landrelease.services import eore
from landrelease.services import field_reports as svc
from landrelease.storage import schema
from tests.test_web_browser import browser  # noqa: F401 - the shared Chromium fixture
from tests.web_support import PASSWORD, Live, live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    url = f"sqlite:///{tmp_path_factory.mktemp('review') / 'register.db'}"
    with live_server(url, n_areas=40) as server:
        reg = server.register
        with reg.reading() as conn:
            h = schema.hazard_area
            area = conn.execute(select(h.c.code).where(h.c.status == "open").order_by(h.c.id).limit(1)).scalar_one()
            team = conn.execute(select(schema.team.c.code)).scalars().first()
        reports = [
            DailyReport.detailed(
                str(uuid.UUID(int=i)),
                team,
                date(2026, 5, i),
                area_by_method={WorkMethod.CLEARED: 40.0},
                hazard_code=area,
            )
            for i in (1, 2)
        ]
        svc.submit_reports(reg, reports, actor="operator-phone")
        eore.record_eore_sessions(
            reg,
            [
                EoreSession(
                    "E-1",
                    Point(47, 40),
                    "School",
                    date(2026, 5, 2),
                    "NGO A",
                    EoreMethod.INTERPERSONAL,
                    {(Sex.FEMALE, AgeBand.CHILD): 30},
                )
            ],
            actor="a",
        )
        yield server


def test_an_analyst_approves_and_returns_from_the_queue(live: Live, browser: object) -> None:  # noqa: F811
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(live.url + "/login?next=/review")
    page.fill("#name", "analyst")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#queue tbody tr[data-record]")
    first, second = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))
    page.click(f"tr[data-record='{first}'] button:has-text('Approve')")
    page.wait_for_function(f"() => !document.querySelector(\"tr[data-record='{first}']\")")
    page.once("dialog", lambda d: d.accept("the lanes do not add up"))
    page.click(f"tr[data-record='{second}'] button:has-text('Return')")
    page.wait_for_function("() => document.querySelector('#queue tbody').textContent.includes('nothing waits')")
    steps = svc.review_history(live.register, ReviewKind.DAILY_REPORT, second)
    assert [s["action"] for s in steps] == ["review", "return"] and steps[1]["reason"] == "the lanes do not add up"
    assert [r.uuid for r in live.register.daily_reports()] == [first]
    page.goto(live.url + "/dashboard")
    page.wait_for_function("() => document.querySelector('#chart-eore svg') !== null", timeout=30_000)
    assert "30 people" in page.inner_text("#card-eore")
    page.close()
