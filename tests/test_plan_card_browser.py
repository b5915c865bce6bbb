"""The plan card in a real browser (Debian's chromium driven by Playwright), against a harness page.

This tests the card's rendering with a plan made by the real planner
(tests/fixtures/plan_response.json, scripts/plan_response_fixture.py), not Home Assistant: the
page (tests/plan_card/harness.html) gives the card a hass-like object whose callWS answers with
the fixture. Skipped only when no chromium binary is found (`apt-get install chromium`; or set
OPEN_HEM_CHROMIUM). Screenshots go to a temporary folder, or to OPEN_HEM_SCREENSHOTS when set:

    OPEN_HEM_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/test_plan_card_browser.py
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
import json
from pathlib import Path
from typing import Any

from playwright.async_api import Locator, Page, Route, async_playwright
import pytest

from .browser import CHROMIUM_ARGS, chromium_or_skip, screenshot_path

REPO = Path(__file__).resolve().parents[1]
CARD = REPO / "custom_components" / "open_hem" / "frontend" / "open-hem-plan-card.js"
HARNESS = REPO / "tests" / "plan_card" / "harness.html"
FIXTURES = REPO / "tests" / "fixtures"
ORIGIN = "http://open-hem.test"
# 20:30 on the first evening of the plan (2025-06-10 12:00 .. 06-12 12:00, Europe/Amsterdam).
NOW = datetime.fromisoformat("2025-06-10T20:30:00+02:00")
EXACT_REQUEST = {
    "type": "call_service",
    "domain": "open_hem",
    "service": "get_plan",
    "service_data": {},
    "return_response": True,
}


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


async def _serve(route: Route) -> None:
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    files = {
        "/harness.html": (HARNESS, "text/html"),
        "/open-hem-plan-card.js": (CARD, "text/javascript"),
    }
    if path not in files:
        await route.fulfill(status=404, body="not found")
        return
    file, content_type = files[path]
    await route.fulfill(status=200, body=file.read_bytes(), content_type=content_type)


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    """The harness page in chromium at 20:30 on the plan's first day (a fake clock: timers run
    when the test says); skipped when there is no chromium."""
    chromium = chromium_or_skip()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            viewport={"width": 800, "height": 700}, device_scale_factor=1
        )
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.route(f"{ORIGIN}/**", _serve)
        await page.clock.install(time=NOW)
        await page.goto(f"{ORIGIN}/harness.html")
        await page.wait_for_function("window.harnessReady === true")
        yield page
        await browser.close()
    assert errors == []


async def _mount(page: Page, **options: Any) -> None:
    await page.evaluate("options => window.mountCard(options)", options)


def _card(page: Page, selector: str) -> Locator:
    return page.locator("open-hem-plan-card").locator(selector)


async def _shot(page: Page, name: str, tmp_path: Path) -> None:
    await page.locator("#stage").screenshot(path=screenshot_path(name, tmp_path))


async def _text(page: Page, selector: str) -> str:
    return await _card(page, selector).first.text_content() or ""


async def _count(page: Page, selector: str) -> int:
    return await _card(page, selector).count()


async def test_the_plan_is_drawn(page: Page, tmp_path: Path) -> None:
    """English, light: prices, a series per device, base load, grid, limit, SOC, indoor
    temperature, the now-marker inside the horizon, a legend; asked for with get_plan."""
    plan = _fixture("plan_response.json")
    await _mount(page, response=plan, config={"grid_limit_w": 17250})
    await _card(page, "svg").wait_for()
    assert await page.evaluate("window.wsCalls") == [EXACT_REQUEST]
    assert await _text(page, ".title") == "Energy plan"
    devices = set(plan["slots"][0]["devices"])
    assert devices == {"battery", "ev", "heat_pump", "pv"}
    for name in devices:
        path = _card(page, f'[data-series="device:{name}"]')
        assert await path.count() == 1
        assert len(await path.get_attribute("d") or "") > 100, name
    for series in ("import_price", "export_price", "base_load", "grid", "grid_limit"):
        assert await _count(page, f'[data-series="{series}"]') >= 1, series
    assert await _count(page, '[data-series="soc:battery"]') == 1
    assert await _count(page, '[data-series="indoor:heat_pump"]') == 1
    assert await _count(page, '[data-series="pv_forecast"]') == 1  # PV is a device here
    assert await _count(page, '[data-series="baseline"]') == 0  # no baseline in the format
    now = _card(page, '[data-series="now"]')
    assert await now.count() == 1
    assert await now.locator("text").text_content() == "now"
    x = float(await now.locator("line").get_attribute("x1") or 0)
    left, right = 52, 720 - 52
    assert x == pytest.approx(left + (right - left) * 8.5 / 48, abs=0.2)  # 20:30: 8.5 h in
    legend = await _text(page, ".legend")
    for label in ("Import price", "Export price", "Base load", "Grid", "battery", "heat_pump"):
        assert label in legend
    assert "€" in await _text(page, ".summary")
    assert await _text(page, ".chip") == "optimal"
    await _shot(page, "plan-card-light-en", tmp_path)


async def test_dutch_and_dark(page: Page, tmp_path: Path) -> None:
    """With language nl the labels are Dutch; the dark theme's variables colour the card."""
    await _mount(page, response=_fixture("plan_response.json"), language="nl", dark=True)
    await _card(page, "svg").wait_for()
    assert await _text(page, ".title") == "Energieplan"
    legend = await _text(page, ".legend")
    for label in ("Afnameprijs", "Terugleverprijs", "Basisverbruik", "Net", "Zonverwachting"):
        assert label in legend
    assert await _text(page, '[data-series="now"] text') == "nu"
    assert "optimaal" in await _text(page, ".summary")
    style = await _card(page, "ha-card").evaluate(
        "card => { const s = getComputedStyle(card); return [s.backgroundColor, s.color]; }"
    )
    assert style == ["rgb(28, 28, 28)", "rgb(225, 225, 225)"]
    assert (await _text(page, "svg .day")).startswith("wo")  # woensdag 11 juni
    await _shot(page, "plan-card-dark-nl", tmp_path)


async def test_baseline_departures_and_the_plans_own_limit(page: Page, tmp_path: Path) -> None:
    """With per-slot baseline data the card shows the baseline and where the plan departs;
    a grid limit in the response is drawn without the card's."""
    await _mount(page, response=_fixture("plan_response_with_baseline.json"))
    await _card(page, "svg").wait_for()
    assert await _count(page, '[data-series="baseline"]') == 1
    assert len(await _card(page, '[data-series="departs"]').get_attribute("d") or "") > 20
    assert "Grid limit 17.3 kW" in await _text(page, "svg")
    assert "Plan departs from the baseline" in await _text(page, ".legend")
    await _shot(page, "plan-card-baseline", tmp_path)


async def test_errors_are_readable(page: Page, tmp_path: Path) -> None:
    """A failed call shows what went wrong; a missing action says the planner is not running."""
    await _mount(page, error={"code": "home_assistant_error", "message": "The solver gave up"})
    await _card(page, '[role="alert"]').wait_for()
    alert = await _text(page, '[role="alert"]')
    assert "The plan could not be loaded." in alert
    assert "The solver gave up" in alert
    assert await _count(page, "svg") == 0
    await _shot(page, "plan-card-error", tmp_path)
    missing = {"code": "service_not_found", "message": "Action open_hem.get_plan not found."}
    await _mount(page, error=missing, language="nl")
    await _card(page, '[role="alert"]').wait_for()
    assert "draait niet" in await _text(page, '[role="alert"]')


async def test_no_plan_yet(page: Page, tmp_path: Path) -> None:
    """No plan (nothing, or no slots) is a message, not a broken card."""
    await _mount(page, response=None)
    await _card(page, ".message.empty").wait_for()
    assert "No plan yet" in await _text(page, ".message")
    await _mount(page, response={"status": "optimal", "slots": []}, language="nl")
    await _card(page, ".message.empty").wait_for()
    assert "Nog geen plan" in await _text(page, ".message")
    await _shot(page, "plan-card-no-plan", tmp_path)


async def test_it_refreshes_every_minute_and_when_the_plan_status_changes(page: Page) -> None:
    """Once at start, again after a minute, and again when the plan status entity changes;
    not when another entity changes, and no more once it is off the page."""
    await _mount(page, response=_fixture("plan_response.json"))
    await _card(page, "svg").wait_for()
    assert len(await page.evaluate("window.wsCalls")) == 1
    await page.clock.run_for(60_500)
    await page.wait_for_function("window.wsCalls.length === 2")
    await page.evaluate("window.changeOther()")
    await page.evaluate("window.changeStatus('time_limit')")
    await page.wait_for_function("window.wsCalls.length === 3")
    await page.evaluate("window.changeOther()")
    await page.clock.run_for(1_000)
    assert len(await page.evaluate("window.wsCalls")) == 3
    await page.evaluate("document.getElementById('stage').replaceChildren()")
    await page.clock.run_for(120_000)
    assert len(await page.evaluate("window.wsCalls")) == 3
