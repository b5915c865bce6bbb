"""Open HEM end to end: Home Assistant as `scripts/develop` runs it, driven in a real browser.

Home Assistant runs as a subprocess on a free port with a temporary configuration from
dev/configuration.yaml, onboarded by scripts/dev_onboard.py (without the demo home). Debian's
chromium, driven by Playwright, logs in as dev / dev and adds Open HEM through the UI with the
demo home; scripts/dev_onboard.py then adds the dashboard and the Energy preferences, as it does
in `scripts/develop`. The test checks what a user sees: the plan card with a plan, the plan's
calendar events, the devices with their wishes, a plan that follows a changed wish, and an
Energy dashboard without errors. Skipped only when no chromium binary is found (`apt-get install
chromium`, or set OPEN_HEM_CHROMIUM); in CI (CI set) a missing browser fails. Screenshots go to a
temporary folder, or to OPEN_HEM_SCREENSHOTS when set:

    OPEN_HEM_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/test_e2e_browser.py
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
import json
import os
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import time
from typing import Any
from urllib import request
from zoneinfo import ZoneInfo

from playwright.async_api import Page, async_playwright, expect
import pytest

from .browser import CHROMIUM_ARGS, chromium_or_skip, screenshot_path
from .dev_scripts import load_script

REPO = Path(__file__).resolve().parents[1]
ONBOARD = REPO / "scripts" / "dev_onboard.py"
STARTUP_S = 90.0
# Home Assistant's first page load and the entry's setup take a while on a busy machine.
expect.set_options(timeout=30_000)
EV_READY_BY = "time.ev_charger_ready_by"
EV_PLUGGED = "binary_sensor.demo_ev_charger_car_plugged_in"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # dev/configuration.yaml's time zone
EV_SUBENTRY_TITLE = "EV charger"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Instance:
    """The running Home Assistant: its URL, configuration, log and how to run dev_onboard."""

    url: str
    config: Path
    log: Path
    env: dict[str, str]

    def onboard(self, *args: str) -> str:
        """Run scripts/dev_onboard.py against this instance; its output."""
        command = [sys.executable, str(ONBOARD), "--config", str(self.config), "--url", self.url]
        done = subprocess.run(
            [*command, "--timeout", str(STARTUP_S), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=STARTUP_S + 30,
            check=False,
        )
        assert done.returncode == 0, f"dev_onboard failed: {done.stderr}\n{self.log_tail()}"
        return done.stdout

    def log_lines(self) -> list[str]:
        """Home Assistant's log so far."""
        return self.log.read_text(errors="replace").splitlines() if self.log.exists() else []

    def log_tail(self, lines: int = 40) -> str:
        """The end of Home Assistant's log, for failure messages."""
        return "\n".join(["--- Home Assistant log ---", *self.log_lines()[-lines:]])

    def token(self) -> str:
        """An access token for dev / dev (the login page's flow)."""
        onboard = load_script("dev_onboard")
        token = onboard.login(onboard.Instance(self.url))
        assert token is not None
        return str(token)

    def state(self, token: str, entity_id: str) -> str | None:
        """An entity's state over the REST API."""
        req = request.Request(
            f"{self.url}/api/states/{entity_id}", headers={"Authorization": f"Bearer {token}"}
        )
        with request.urlopen(req, timeout=30) as answer:
            state: str | None = json.loads(answer.read())["state"]
            return state

    def get_plan(self, token: str) -> dict[str, Any]:
        """open_hem.get_plan's response over the REST API."""
        req = request.Request(
            f"{self.url}/api/services/open_hem/get_plan?return_response",
            data=b"{}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with request.urlopen(req, timeout=30) as answer:
            plan: dict[str, Any] = json.loads(answer.read())["service_response"]
            return plan


@pytest.fixture
def chromium() -> str:
    """Debian's chromium; skipped without it (failed in CI, where .ci/run installs it)."""
    return chromium_or_skip()


@pytest.fixture
def home_assistant(tmp_path: Path, socket_enabled: None) -> Iterator[Instance]:
    """Home Assistant with dev/configuration.yaml on a free port, onboarded, no Open HEM entry."""
    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(REPO / "dev" / "configuration.yaml", config / "configuration.yaml")
    (config / "custom_components").symlink_to(REPO / "custom_components")
    port = _free_port()
    # SETUP_PORT: Home Assistant's default port (an http: block in YAML would be migrated to
    # its store and shown as a change to confirm). No coverage in the subprocess.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV_")}
    env |= {"SETUP_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    instance = Instance(f"http://127.0.0.1:{port}", config, tmp_path / "home-assistant.log", env)
    subprocess.run(
        [sys.executable, str(ONBOARD), "--config", str(config), "--prepare"], check=True, env=env
    )
    with instance.log.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "homeassistant", "--config", str(config), "--skip-pip"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        instance.onboard("--no-demo")
        yield instance
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
async def page(chromium: str, home_assistant: Instance) -> AsyncIterator[Page]:
    """A logged-in browser page on Home Assistant's overview."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900}, device_scale_factor=1, locale="en-GB"
        )
        context.set_default_timeout(30_000)
        page = await context.new_page()
        errors: list[str] = []
        # "disconnected": the frontend rejects its pending WebSocket calls when a page is left
        # (page.goto) before they are answered; that happens on a busy machine, not a fault.
        page.on(
            "pageerror",
            lambda error: None if str(error) == "disconnected" else errors.append(str(error)),
        )
        await page.goto(home_assistant.url + "/")
        await page.get_by_role("textbox", name="Username").fill("dev")
        await page.get_by_role("textbox", name="Password").fill("dev")
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url("**/home/**")
        yield page
        await browser.close()
    assert errors == [], errors


async def _add_demo_home(page: Page, url: str, tmp_path: Path) -> None:
    """Settings → Devices & services → Add integration → Open HEM → the demo home → Submit."""
    await page.goto(url + "/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("Open HEM")
    await page.get_by_text("Open HEM", exact=True).click()
    demo = page.get_by_text("Demo home — no hardware")
    await demo.click()
    dialog = page.locator("dialog-data-entry-flow")
    await expect(dialog.get_by_text("Sets up a simulated Dutch home")).to_be_visible()
    await page.screenshot(path=screenshot_path("add-demo-home", tmp_path))
    await dialog.get_by_role("button", name="Submit").click()
    # Home Assistant offers to name the new devices and give them areas.
    skip = dialog.get_by_role("button", name="Skip and finish")
    await skip.click()
    await expect(skip).to_be_hidden()


async def test_the_demo_home_end_to_end(
    page: Page, home_assistant: Instance, tmp_path: Path
) -> None:
    """Add the demo home in the UI, see its plan, change a wish, see the Energy dashboard."""
    url = home_assistant.url
    await _add_demo_home(page, url, tmp_path)
    output = home_assistant.onboard()
    assert 'created the "Open HEM" dashboard, the Energy dashboard' in output, output
    assert "the demo home" not in output  # the UI made it

    # The plan: the card draws the devices' planned power; the calendar lists its events.
    await page.goto(url + "/open-hem/plan")
    card = page.locator("open-hem-plan-card")
    await expect(card.locator('[data-series^="device:"]').first).to_be_attached(timeout=60_000)
    assert await card.locator('[data-series^="device:"]').count() >= 3
    status = await card.locator(".chip").first.text_content() or ""
    assert status.strip() in ("optimal", "relaxed", "best found in time"), status
    await expect(page.locator(".fc-list-event").first).to_be_visible()
    await expect(page.get_by_text("Plan status")).to_be_visible()
    await page.screenshot(path=screenshot_path("dashboard-plan", tmp_path), full_page=True)

    # The devices with their modes and wishes.
    await page.goto(url + "/open-hem/devices")
    for title in ("Home battery", EV_SUBENTRY_TITLE, "Heat pump", "Dishwasher", "Demo battery"):
        await expect(page.get_by_text(title, exact=True).first).to_be_visible()
    for wish in ("Target charge", "Ready by", "Comfort temperature low", "Finished by"):
        await expect(page.get_by_text(wish).first).to_be_visible()
    await page.screenshot(path=screenshot_path("dashboard-devices", tmp_path), full_page=True)

    # A wish changed in the UI reaches the planning loop: a new plan, which moves the car's
    # charging when it is home and still charging (a deadline an hour from now).
    token = home_assistant.token()
    before = home_assistant.get_plan(token)
    assert before["slots"], before
    charging = any(power > 0 for power in _ev_series(before))
    plugged = home_assistant.state(token, EV_PLUGGED) == "on"
    wanted = _soon() if plugged and charging else _other(home_assistant.state(token, EV_READY_BY))
    await _set_ready_by(page, wanted)
    await _wait_for(lambda: home_assistant.state(token, EV_READY_BY) == f"{wanted}:00", "the wish")
    await _wait_for(
        lambda: home_assistant.get_plan(token)["created"] != before["created"], "a plan"
    )
    # (Not asserted: that the car's series differs. An optimal plan that already finishes
    # before the new deadline rightly stays the same, which depends on the time of day.)
    after = home_assistant.get_plan(token)
    assert after["slots"], after

    # The Energy dashboard, set up by dev_onboard, shows no error.
    await page.goto(url + "/energy")
    await expect(page.locator("hui-energy-sources-table-card").first).to_be_visible()
    assert await page.locator("ha-alert[alert-type=error]").count() == 0
    await page.screenshot(path=screenshot_path("energy-dashboard", tmp_path), full_page=True)
    # No error, and nothing of ours blocking the event loop (HA logs that as a warning).
    errors = [
        line
        for line in home_assistant.log_lines()
        if " ERROR " in line or "Detected blocking call" in line
    ]
    assert errors == [], home_assistant.log_tail()


def _ev_series(plan: dict[str, Any]) -> list[float]:
    return [slot["devices"].get(EV_SUBENTRY_TITLE, {}).get("power_w", 0) for slot in plan["slots"]]


def _soon() -> str:
    """An hour from now on the quarter hour, in Home Assistant's time zone (the dev config's)."""
    soon = datetime.now(AMSTERDAM) + timedelta(hours=1)
    return f"{soon.hour:02d}:{soon.minute - soon.minute % 15:02d}"


def _other(current: str | None) -> str:
    return "05:00" if current == "06:00:00" else "06:00"


async def _wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout_s} s for {what}"
        await asyncio.sleep(0.25)


async def _set_ready_by(page: Page, value: str) -> None:
    """Type the time into the EV's Ready by row (hours, minutes; 24-hour locale)."""
    row = page.locator("hui-time-entity-row").filter(has_text="Ready by")
    hours, minutes = value.split(":")
    inputs = row.locator("input")
    await inputs.nth(0).fill(hours)
    await inputs.nth(1).fill(minutes)
    await inputs.nth(1).press("Enter")
