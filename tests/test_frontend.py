"""The integration serves its plan card and registers it with the frontend itself."""

from __future__ import annotations

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.frontend import (
    CARD_URL,
    DATA_CARD_URL,
    FRONTEND_DIR,
    async_register_frontend,
)


async def test_the_card_is_served_and_registered(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """With the frontend, setup serves the card (the URL carries its hash) and every dashboard
    loads it; setting up again registers nothing twice."""
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, DOMAIN, {})
    url = hass.data[DATA_CARD_URL]
    assert url.startswith(f"{CARD_URL}?v=")
    assert url in hass.data[DATA_EXTRA_MODULE_URL].urls
    client = await hass_client()
    response = await client.get(url)
    assert response.status == 200
    assert "javascript" in response.headers["Content-Type"]
    body = await response.text()
    assert body == (FRONTEND_DIR / "open-hem-plan-card.js").read_text(encoding="utf-8")
    assert 'customElements.define("open-hem-plan-card"' in body
    await async_register_frontend(hass)
    assert list(hass.data[DATA_EXTRA_MODULE_URL].urls).count(url) == 1
    assert (await client.get(f"{CARD_URL.rsplit('/', 1)[0]}/missing.js")).status == 404


async def test_without_a_frontend_the_card_is_only_served(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """A web server without the frontend (unusual): the file is there, nothing is registered."""
    assert await async_setup_component(hass, "http", {})
    assert await async_setup_component(hass, DOMAIN, {})
    assert DATA_EXTRA_MODULE_URL not in hass.data
    client = await hass_client()
    assert (await client.get(hass.data[DATA_CARD_URL])).status == 200


async def test_without_a_web_server_there_is_nothing_to_serve(hass: HomeAssistant) -> None:
    """No http (a test or a headless setup): setup works and serves nothing."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert DATA_CARD_URL not in hass.data
