"""The plan card: Open HEM serves its Lovelace card itself and has the frontend load it.

One plain ES module (``frontend/open-hem-plan-card.js``, no build step) is served at
``/open_hem/frontend/open-hem-plan-card.js`` and added to the modules every dashboard loads, so
``type: custom:open-hem-plan-card`` works without adding a resource by hand. The URL carries a
hash of the file, so a browser never keeps an old card after an update.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http.server import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER

FRONTEND_DIR = Path(__file__).parent / "frontend"
CARD_FILE = "open-hem-plan-card.js"
URL_BASE = f"/{DOMAIN}/frontend"
CARD_URL = f"{URL_BASE}/{CARD_FILE}"
DATA_CARD_URL: HassKey[str] = HassKey(f"{DOMAIN}_card_url")


def _card_version() -> str:
    """The first 8 hex digits of the card's SHA-256 (read in the executor)."""
    return hashlib.sha256((FRONTEND_DIR / CARD_FILE).read_bytes()).hexdigest()[:8]


async def async_register_frontend(hass: HomeAssistant) -> None:
    """Serve the card and register it with the frontend, once (from ``async_setup``).

    Without a web server (no ``http``) there is nothing to serve; without the frontend the
    file is served but nobody loads it. Both are normal in tests and headless setups.
    """
    if DATA_CARD_URL in hass.data or hass.http is None:
        return
    version = await hass.async_add_executor_job(_card_version)
    await hass.http.async_register_static_paths(
        [StaticPathConfig(URL_BASE, str(FRONTEND_DIR), cache_headers=False)]
    )
    url = f"{CARD_URL}?v={version}"
    hass.data[DATA_CARD_URL] = url
    if "frontend" in hass.config.components:
        add_extra_js_url(hass, url)
        LOGGER.debug("Plan card registered at %s", url)
