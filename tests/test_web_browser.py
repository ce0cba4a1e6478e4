"""The page in Debian's Chromium (Playwright, no browser download): sign in, see the map draw
hazard areas, click one and read its panel, switch the colouring, open the dashboards, sign out."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web_support import PASSWORD, Live, live_server

pytestmark = pytest.mark.browser

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(os.environ.get("LANDRELEASE_SCREENSHOTS", "")) if os.environ.get("LANDRELEASE_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'register.db'}"
    with live_server(url, n_areas=150) as server:
        yield server


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        yield b
        b.close()


def _shot(page: object, name: str) -> None:
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def _rendered(page: object, layers: list[str]) -> int:
    return int(
        page.evaluate(  # type: ignore[attr-defined]
            "(layers) => window.lrMap.queryRenderedFeatures({layers}).length", layers
        )
    )


def test_sign_in_map_panel_colouring_dashboard_sign_out(live: Live, browser: object) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    outside: list[str] = []
    page.on(
        "request", lambda req: outside.append(req.url) if not req.url.startswith((live.url, "data:", "blob:")) else None
    )

    # Not signed in: the map sends you to the sign-in page; a wrong password is refused.
    page.goto(live.url + "/")
    assert "/login" in page.url
    page.fill("#name", "analyst")
    page.fill("#password", "wrong password")
    page.click("#signin")
    assert page.locator(".error").inner_text() == "Wrong name or password."
    page.fill("#name", "analyst")
    page.fill("#password", PASSWORD)
    page.click("#signin")
    page.wait_for_url(live.url + "/")
    assert "analyst" in page.locator("#who").inner_text()

    # The map draws hazard areas from our own vector tiles.
    page.wait_for_function("() => document.body && document.body.dataset.mapReady === '1'", timeout=60_000)
    page.wait_for_function(
        "() => window.lrMap.queryRenderedFeatures({layers: ['hazard-fill', 'hazard-points']}).length > 0",
        timeout=30_000,
    )
    assert _rendered(page, ["hazard-fill", "hazard-points"]) > 0
    assert _rendered(page, ["settlement-fill", "settlement-points"]) > 0
    # After the first draw, settlements are coloured by readiness, and the legend says so.
    page.wait_for_function("() => Array.isArray(window.lrReadiness) && window.lrReadiness.length > 0", timeout=30_000)
    fill = page.evaluate("JSON.stringify(window.lrMap.getPaintProperty('settlement-fill', 'fill-color'))")
    assert fill.startswith('["match"'), fill
    assert "settlement" in page.inner_text("#legend")
    _shot(page, "map")
    # A settlement's panel gives its dates (joint quantiles over the forecast's runs).
    first = page.evaluate("window.lrReadiness[0]")
    page.evaluate("(c) => window.lrShowSettlement(c)", first["code"])
    page.wait_for_selector("#panel-title")
    assert first["code"] in page.locator("#panel-title").inner_text()
    text = page.locator("#panel-body").inner_text()
    assert "joint quantiles over runs" in text and "P50" in text and first["status"] in text

    # Zoom onto a polygon and click it: the panel shows its record, evidence, activities, forecast.
    code = page.evaluate(
        """() => {
          const f = window.lrMap.queryRenderedFeatures({layers: ['hazard-fill', 'hazard-points']})[0];
          return f.properties.code;
        }"""
    )
    page.evaluate("(code) => window.lrShowArea(code)", code)
    page.wait_for_selector("#panel-title")
    assert code in page.locator("#panel-title").inner_text()
    panel = page.locator("#panel-body").inner_text()
    assert "Evidence (" in panel and "Activities (" in panel and "Forecast" in panel
    assert "land use" in panel
    # a real click on the map picks an area too
    page.evaluate("document.getElementById('panel-close').click()")
    point = page.evaluate(
        """() => {
          const m = window.lrMap;
          const fs = m.queryRenderedFeatures({layers: ['hazard-fill', 'hazard-points']});
          for (const f of fs) {
            const g = f.geometry;
            const c = g.type === 'Point' ? g.coordinates : (g.type === 'Polygon' ? g.coordinates[0][0] : null);
            if (!c) continue;
            const p = m.project(c);
            const hit = m.queryRenderedFeatures([p.x, p.y], {layers: ['hazard-fill', 'hazard-points']});
            if (hit.length && p.x > 300 && p.y > 10) return {x: p.x, y: p.y, code: hit[0].properties.code};
          }
          return null;
        }"""
    )
    assert point is not None
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_function("() => document.getElementById('panel-body').dataset.code !== undefined", timeout=10_000)
    assert page.locator("#panel").is_visible()
    _shot(page, "panel")

    # Switch the colouring: the paint property and the legend change.
    before = page.evaluate("JSON.stringify(window.lrMap.getPaintProperty('hazard-fill', 'fill-color'))")
    page.check("input[value=priority]")
    after = page.evaluate("JSON.stringify(window.lrMap.getPaintProperty('hazard-fill', 'fill-color'))")
    assert before != after and "priority" in after
    assert "high" in page.locator("#legend").inner_text()
    page.check("input[value=p_any]")
    assert "not yet computed" in page.locator("#legend").inner_text()
    page.check("input[value=phase]")
    assert "phase" in page.evaluate("JSON.stringify(window.lrMap.getPaintProperty('hazard-fill', 'fill-color'))")
    _shot(page, "phase")

    # Dashboards are drawn (SVG), and say "not yet computed" where there is nothing yet.
    page.click("text=Dashboards")
    page.wait_for_url(live.url + "/dashboard")
    page.wait_for_selector("#chart-released svg rect")
    page.wait_for_selector("#chart-utilisation svg rect")
    page.wait_for_selector("#chart-burndown svg circle")
    page.wait_for_selector("#band-coverage")  # how often the band held in the backtest, beside the band
    assert "inside P10–P90" in page.locator("#band-coverage").inner_text()
    page.wait_for_selector("#chart-returns table tr td")  # when settlements can come back
    page.wait_for_function("() => document.querySelector('#chart-scenarios').innerText.includes('not yet computed')")
    assert page.locator("#chart-released svg rect").count() >= 1
    _shot(page, "dashboard")

    # A tablet: the panel becomes a bottom sheet and the map still draws.
    tablet = context.new_page()
    tablet.set_viewport_size({"width": 768, "height": 1024})
    tablet.goto(live.url + "/")
    tablet.wait_for_function("() => document.body && document.body.dataset.mapReady === '1'", timeout=60_000)
    tablet.evaluate("(code) => window.lrShowArea(code)", code)
    tablet.wait_for_selector("#panel-title")
    sheet = tablet.locator("#panel").bounding_box()
    assert sheet["width"] >= 760 and sheet["y"] > 400
    _shot(tablet, "tablet")
    tablet.close()

    # Sign out: back to the sign-in page, and the map is closed again.
    page.click("#logout")
    page.wait_for_url(lambda url: "/login" in url)
    page.goto(live.url + "/")
    assert "/login" in page.url
    assert not errors, errors
    assert not outside, f"the page loaded something from outside: {outside[:3]}"
    context.close()


def test_upload_page_preview_crosswalk_import(live: Live, browser: object) -> None:
    """An analyst picks a coded events file: sees the refusal, writes a crosswalk, edits it, previews, imports."""
    events = Path(__file__).resolve().parents[1] / "landrelease" / "samples" / "data" / "dialect" / "events.csv"
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live.url + "/login?next=/import")
    page.fill("#name", "analyst")
    page.fill("#password", PASSWORD)
    page.click("#signin")
    page.wait_for_url(live.url + "/import")
    page.set_input_files("#file", str(events))
    page.select_option("#kind", "evidence")
    page.click("#preview")
    page.wait_for_selector("#problems")
    assert "row 1" in page.locator("#problems").inner_text() and page.locator("#import").is_disabled()
    page.click("#suggest")
    page.wait_for_function("() => document.getElementById('mapping').value.includes('TIPO_EVENTO')")
    page.evaluate(
        """() => {
          const m = document.getElementById('mapping');
          m.value = m.value.replace('"1": "?"', '"1": AP mine accident').replace('"2": "?"', '"2": UXO accident')
            .replace('"5": "?"', '"5": seizure').replace('"8": "?"', '"8": suspected minefield');
          m.dispatchEvent(new Event('input', {bubbles: true}));
        }"""
    )
    page.click("#preview")
    page.wait_for_selector("#by-kind-status, #values")
    assert "12 of 12 records would be stored" in page.locator("#summary").inner_text()
    assert "accident 6" in page.locator("#values").inner_text()
    _shot(page, "import-preview")
    page.click("#import")
    page.wait_for_function("() => document.getElementById('summary').textContent.startsWith('Stored 12')")
    assert live.register.import_runs()[0].actor == "analyst"
    assert errors == []
    context.close()
