"""Walk through Open HEM's setup in a real browser against `scripts/develop`'s instance.

Needs Debian's `chromium` and the `playwright` package (kept out of the project venv):
    apt-get install chromium
    python3 -m venv .venv-ui && .venv-ui/bin/pip install playwright
    .venv-ui/bin/python scripts/ui_check.py --out /tmp/open-hem-ui
It logs in as dev / dev, opens Settings -> Devices & services, adds Open HEM (or opens it
when it is already set up) and saves a screenshot of every step for a person to look at.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from playwright.async_api import Page, async_playwright

BASE = "http://localhost:8123"
# Chromium flags for a headless run on a machine without outside network access.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def _log_in(page: Page) -> None:
    await page.goto(BASE + "/")
    await page.locator("input[autocomplete=username]").first.fill("dev")
    await page.locator("input[type=password]").fill("dev")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("home-assistant-main", state="attached")


async def walk(out: Path, chromium: str) -> None:
    """Add Open HEM through the UI and screenshot each step."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await _log_in(page)
        await page.goto(f"{BASE}/config/integrations/dashboard/add?domain=open_hem")
        await page.wait_for_timeout(4000)
        await page.screenshot(path=out / "1-add.png")
        ok = page.get_by_role("button", name="OK")
        if await ok.count():
            await ok.click()
            await page.wait_for_timeout(2000)
            await page.screenshot(path=out / "2-form.png")
            await page.get_by_role("button", name="Submit").click()
            await page.wait_for_timeout(2000)
            await page.screenshot(path=out / "3-created.png")
        await page.goto(f"{BASE}/config/integrations/integration/open_hem")
        await page.wait_for_timeout(3000)
        await page.screenshot(path=out / "4-integration.png")
        await browser.close()
    print(f"screenshots in {out}")


def main() -> None:
    """Parse arguments and run the walk-through."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("ui-screenshots"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(walk(args.out, args.chromium))


if __name__ == "__main__":
    main()
