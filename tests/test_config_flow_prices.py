"""The config flow's price steps, reconfigure with a new source, reauth and options."""

from __future__ import annotations

from http import HTTPStatus
import logging
from pathlib import Path
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.open_hem.const import CONF_CONNECTION, DOMAIN

from .prices_helpers import NOW, TODAY, URL, a44, configure_nl, entsoe_entry

ACK = (
    Path(__file__).parent / "fixtures" / "entsoe" / "entsoe_acknowledgement_no_data_example.xml"
).read_text()


def _defaults(result: Any) -> dict[str, Any]:
    return {
        str(key): key.default() for key in result["data_schema"].schema if callable(key.default)
    }


async def _to_prices_step(hass: HomeAssistant) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "household"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CONNECTION: "3x25"}
    )
    assert result["step_id"] == "prices"
    return result


async def test_entsoe_token_checked_before_the_entry_is_made(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """Newcomer without Nord Pool: ENTSO-E is the default; a bad token is refused first."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    hass.config.country = "BE"
    result = await _to_prices_step(hass)
    assert _defaults(result)["price_source"] == "entsoe"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"price_source": "entsoe"}
    )
    assert result["step_id"] == "entsoe"
    assert _defaults(result)["bidding_zone"] == "BE"
    assert "zendesk" in result["description_placeholders"]["token_url"]

    aioclient_mock.get(URL, status=HTTPStatus.UNAUTHORIZED)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": "wrong", "bidding_zone": "BE"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    aioclient_mock.clear_requests()
    aioclient_mock.get(URL, status=HTTPStatus.SERVICE_UNAVAILABLE)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": "right", "bidding_zone": "BE"}
    )
    assert result["errors"] == {"base": "entsoe_unavailable"}

    # No prices published yet is fine: the token was accepted.
    aioclient_mock.clear_requests()
    aioclient_mock.get(URL, text=ACK)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": " right ", "bidding_zone": "BE"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_CONNECTION: "3x25",
        "price_source": "entsoe",
        "api_token": "right",
        "bidding_zone": "BE",
    }
    _, url, _, _ = aioclient_mock.mock_calls[0]
    assert url.query["in_Domain"] == "10YBE----------2"
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("integration", ["nordpool", "energyzero"])
async def test_price_integration_source(hass: HomeAssistant, integration: str) -> None:
    """With Nord Pool set up it is the default; the entry of that integration is chosen."""
    other = MockConfigEntry(domain=integration, title=f"My {integration}")
    other.add_to_hass(hass)
    result = await _to_prices_step(hass)
    expected_default = "nordpool" if integration == "nordpool" else "entsoe"
    assert _defaults(result)["price_source"] == expected_default
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"price_source": integration}
    )
    assert result["step_id"] == "price_entry"
    assert _defaults(result)["price_entry"] == other.entry_id
    assert result["description_placeholders"] == {"integration": integration}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"price_entry": other.entry_id}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_CONNECTION: "3x25",
        "price_source": integration,
        "price_entry": other.entry_id,
    }
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("integration", ["nordpool", "energyzero"])
async def test_price_integration_missing(hass: HomeAssistant, integration: str) -> None:
    """Choosing an integration that is not set up says so on the same form."""
    result = await _to_prices_step(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"price_source": integration}
    )
    assert result["step_id"] == "prices"
    assert result["errors"] == {"base": f"no_{integration}"}
    # The user's choice stays selected (it used to jump back to ENTSO-E).
    assert _defaults(result)["price_source"] == integration


async def test_reconfigure_switches_price_source(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """Reconfigure can go on to the price steps; the old source's keys are dropped."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    aioclient_mock.get(URL, text=a44(TODAY))
    entry = entsoe_entry()
    entry.add_to_hass(hass)
    nordpool = MockConfigEntry(domain="nordpool", title="Nord Pool")
    nordpool.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    assert _defaults(result)[CONF_CONNECTION] == "3x25"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CONNECTION: "3x35", "change_prices": True}
    )
    assert result["step_id"] == "prices"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"price_source": "entsoe"}
    )
    # The current zone is the default.
    assert _defaults(result)["bidding_zone"] == "NL"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": "new", "bidding_zone": "BE"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["bidding_zone"] == "BE"
    assert entry.data[CONF_CONNECTION] == "3x35"

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CONNECTION: "3x35", "change_prices": True}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"price_source": "none"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_CONNECTION: "3x35", "price_source": "none"}
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_reauth_takes_a_new_checked_token(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """A refused token is replaced after a real check; the entry reloads."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    entry = entsoe_entry()
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    aioclient_mock.get(URL, status=HTTPStatus.UNAUTHORIZED)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    aioclient_mock.clear_requests()
    aioclient_mock.get(URL, text=a44(TODAY))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": "fresh"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["api_token"] == "fresh"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    ("country", "tax", "vat", "export"),
    [("NL", 0.0916, 21.0, "net_metering"), ("BE", 0.0475, 6.0, "spot"), (None, 0.0, 0.0, "spot")],
)
async def test_options_default_to_the_countrys_tariff(
    hass: HomeAssistant,
    country: str | None,
    tax: float,
    vat: float,
    export: str,
) -> None:
    """Options start from the country's values and are stored as given."""
    hass.config.country = country
    entry = entsoe_entry()
    entry.add_to_hass(hass)
    result = await _tariff_form(hass, entry.entry_id)
    assert result["step_id"] == "tariff"
    defaults = _defaults(result)
    assert defaults["energy_tax"] == tax
    assert defaults["vat"] == vat
    assert defaults["export_mode"] == export
    assert defaults["price_resolution"] == "15"
    assert defaults["feed_in_price"] == 0.0
    assert defaults["feed_in_cost"] == 0.0
    options = {
        "markup": 0.02,
        "energy_tax": 0.1,
        "vat": 21.0,
        "export_mode": "fixed",
        "export_fee": 0.0,
        "feed_in_price": 0.06,
        "feed_in_cost": 0.015,
        "price_resolution": "60",
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == options
    # The form offers the four feed-in modes.
    result = await _tariff_form(hass, entry.entry_id)
    modes = next(
        value.config["options"]
        for key, value in result["data_schema"].schema.items()
        if key == "export_mode"
    )
    assert modes == ["net_metering", "spot", "spot_minus_fee", "fixed"]
    assert _defaults(result)["feed_in_price"] == 0.06


async def test_options_say_they_need_a_price_source(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Without a price source the tariff would do nothing: the options say so, with no form."""
    mock_config_entry.add_to_hass(hass)
    result = await _tariff_form(hass, mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_price_source"
    assert mock_config_entry.options == {}
    # The same when "No prices for now" was chosen in the flow.
    hass.config_entries.async_update_entry(
        mock_config_entry, data={CONF_CONNECTION: "3x25", "price_source": "none"}
    )
    result = await _tariff_form(hass, mock_config_entry.entry_id)
    assert result["reason"] == "no_price_source"


async def _tariff_form(hass: HomeAssistant, entry_id: str) -> Any:
    """The options menu, then its tariff step."""
    result = await hass.config_entries.options.async_init(entry_id)
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "tariff"}
    )


def _suggested(result: Any, field: str) -> Any:
    """The suggested value the form shows in a field (what the user typed before)."""
    for key in result["data_schema"].schema:
        if key == field:
            return (key.description or {}).get("suggested_value")
    raise KeyError(field)


@pytest.mark.parametrize(
    ("answer", "error", "logged"),
    [
        ({"exc": aiohttp.ClientConnectionError("dns")}, "cannot_connect", "EntsoeUnreachable"),
        ({"exc": TimeoutError()}, "cannot_connect", "no answer within 30 s"),
        ({"status": HTTPStatus.UNAUTHORIZED}, "invalid_auth", "EntsoeAuthError"),
        ({"status": HTTPStatus.TOO_MANY_REQUESTS}, "entsoe_unavailable", "HTTP 429"),
        (
            {"text": "<!DOCTYPE html><html><title>Proxy error</title></html>"},
            "invalid_response",
            "HTTP 200: an HTML page ('Proxy error'), not a price document",
        ),
        ({"text": "<Publication_MarketDocument>"}, "invalid_response", "not XML"),
    ],
)
async def test_token_check_failures_say_what_happened(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    answer: dict[str, Any],
    error: str,
    logged: str,
) -> None:
    """Unreachable, refused and broken answers have their own message; the cause is in the log.

    The token stays in the form (as a suggested value) so a passing fault needs no retyping,
    and the log never shows it.
    """
    freezer.move_to(NOW)
    await configure_nl(hass)
    result = await _to_prices_step(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"price_source": "entsoe"}
    )
    aioclient_mock.get(URL, **answer)
    with caplog.at_level(logging.DEBUG, logger="custom_components.open_hem"):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"api_token": "typed-token", "bidding_zone": "NL"}
        )
    assert result["errors"] == {"base": error}
    assert result["step_id"] == "entsoe"
    assert _suggested(result, "api_token") == "typed-token"
    assert _suggested(result, "bidding_zone") == "NL"
    assert "ENTSO-E token check (zone NL) failed" in caplog.text
    assert logged in caplog.text
    assert "typed-token" not in caplog.text


async def test_reauth_keeps_the_typed_token_after_an_error(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """Re-authentication keeps the new token in the form when ENTSO-E cannot be reached."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    entry = entsoe_entry()
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    aioclient_mock.get(URL, exc=aiohttp.ClientConnectionError())
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": "new-token"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    assert _suggested(result, "api_token") == "new-token"
