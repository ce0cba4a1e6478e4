"""Readiness on the map page, in Debian's Chromium: a real click on a waiting settlement shows
its joint P10/P50/P90 dates and its critical areas (from the stored forecast's runs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from landrelease.services.forecast import forecast_register, store_forecast
from landrelease.services.readiness import WAITING, readiness
from tests.test_web_browser import browser  # noqa: F401  (the Chromium fixture)
from tests.web_support import PASSWORD, Live, live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    url = f"sqlite:///{tmp_path_factory.mktemp('returns-browser') / 'register.db'}"
    with live_server(url, n_areas=150) as server:
        store_forecast(server.register, forecast_register(server.register, runs=60, seed=3, horizon_years=6))
        yield server


FIND_SPOT = """(code) => {
  // a pixel inside the settlement with no hazard area drawn near it: a click there picks the settlement
  const m = window.lrMap;
  const towns = m.queryRenderedFeatures({layers: ['settlement-fill']}).filter((f) => f.properties.code === code);
  if (!towns.length) return null;
  const ring = towns[0].geometry.type === 'Polygon' ? towns[0].geometry.coordinates[0]
    : towns[0].geometry.coordinates[0][0];
  const pts = ring.map((c) => m.project(c));
  const xs = pts.map((p) => p.x), ys = pts.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  for (let i = 1; i < 12; i++) for (let j = 1; j < 12; j++) {
    const x = x0 + (x1 - x0) * i / 12, y = y0 + (y1 - y0) * j / 12;
    const box = [[x - 6, y - 6], [x + 6, y + 6]];
    if (m.queryRenderedFeatures(box, {layers: ['hazard-fill', 'hazard-points']}).length) continue;
    const hit = m.queryRenderedFeatures([[x, y], [x, y]], {layers: ['settlement-fill']});
    if (hit.length && hit[0].properties.code === code) return [x, y];
  }
  return null;
}"""


def test_clicking_a_settlement_shows_its_joint_dates_and_critical_areas(live: Live, browser: Any) -> None:  # noqa: F811
    items = [r for r in readiness(live.register) if r.status == WAITING and r.critical]
    assert items, "the sample needs a settlement waiting on land"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live.url + "/login")
    page.fill("#name", "viewer")
    page.fill("#password", PASSWORD)
    page.click("#signin")
    page.wait_for_url(live.url + "/")
    page.wait_for_function("() => document.body && document.body.dataset.mapReady === '1'", timeout=60_000)
    page.wait_for_function("() => Array.isArray(window.lrReadiness) && window.lrReadiness.length > 0", timeout=30_000)
    spot = None
    for r in items:  # the first waiting settlement with a free spot to click
        st = next(s for s in live.register.settlements() if s.code == r.code)
        c = st.geometry.centroid
        page.evaluate("([x, y]) => window.lrMap.jumpTo({center: [x, y], zoom: 15})", [c.x, c.y])
        page.wait_for_function("() => window.lrMap.loaded() && !window.lrMap.isMoving()", timeout=30_000)
        page.wait_for_timeout(500)
        spot = page.evaluate(FIND_SPOT, r.code)
        if spot:
            target = r
            break
    assert spot, "no clickable spot on any waiting settlement"
    canvas = page.locator("#map canvas").bounding_box()
    page.mouse.click(canvas["x"] + spot[0], canvas["y"] + spot[1])
    page.wait_for_selector("#panel-title")
    assert target.code in page.locator("#panel-title").inner_text()
    text = page.locator("#panel-body").inner_text()
    assert "joint quantiles over runs" in text and WAITING in text
    for q in ("p10", "p50", "p90"):
        when = target.ready_by[q]
        assert when and when in text, (q, when, text)
    critical = page.locator("#settlement-critical li").all_inner_texts()
    assert [t.split(" · ")[0] for t in critical] == [c for c, _ in target.critical]
    assert all(t.endswith("%") for t in critical)
    assert not errors, errors
    context.close()
