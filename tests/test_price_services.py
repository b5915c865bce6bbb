"""open_hem.get_prices, and prices fed by the Nord Pool and EnergyZero integrations."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.service import async_get_all_descriptions
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.open_hem.const import CONF_CONNECTION, DOMAIN

from .prices_helpers import (
    AMSTERDAM,
    ENERGY_TAX_NL,
    NOW,
    TODAY,
    URL,
    VAT_NL,
    a44,
    configure_nl,
    day_range,
    entsoe_entry,
    spot,
    state,
)


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await configure_nl(hass)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _get(hass: HomeAssistant, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, "get_prices", data, blocking=True, return_response=True
    )


async def test_get_prices_returns_the_list(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """Default: today and tomorrow as known; spot, all-in and export per slot, local times."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=a44(TODAY))
    entry = entsoe_entry()
    await _setup(hass, entry)

    response = await _get(hass)
    assert response["source"] == "entsoe:NL"
    assert response["unit"] == "EUR/kWh"
    assert response["resolution"] == 15
    assert len(response["prices"]) == 96
    first = response["prices"][0]
    assert first["start"] == "2025-11-26T00:00:00+01:00"
    assert first["end"] == "2025-11-26T00:15:00+01:00"
    assert first["spot"] == pytest.approx(spot(0))
    assert first["price"] == pytest.approx((spot(0) + ENERGY_TAX_NL) * VAT_NL)
    assert first["export"] == pytest.approx(first["price"])

    hourly = await _get(
        hass,
        config_entry=entry.entry_id,
        start="2025-11-26 10:00:00",
        end=datetime(2025, 11, 26, 12, tzinfo=AMSTERDAM).isoformat(),
        resolution="60",
    )
    assert [slot["start"] for slot in hourly["prices"]] == [
        "2025-11-26T10:00:00+01:00",
        "2025-11-26T11:00:00+01:00",
    ]
    assert hourly["prices"][0]["spot"] == pytest.approx(sum(spot(i) for i in range(40, 44)) / 4)

    with pytest.raises(ServiceValidationError) as info:
        await _get(hass, start="2025-11-27 00:00:00", end="2025-11-26 00:00:00")
    assert info.value.translation_key == "invalid_range"
    with pytest.raises(ServiceValidationError):
        await _get(hass, start="2025-11-01 00:00:00", end="2025-11-26 00:00:00")
    with pytest.raises(probatio.MultipleInvalid):
        await _get(hass, resolution="30")
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_get_prices_without_price_source(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Without a price source the action says how to get one."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    with pytest.raises(ServiceValidationError) as info:
        await _get(hass)
    assert info.value.translation_key == "no_price_source"


def _register(hass: HomeAssistant, domain: str, service: str, answer: Any) -> list[ServiceCall]:
    calls: list[ServiceCall] = []

    async def handle(call: ServiceCall) -> Any:
        calls.append(call)
        return answer(call)

    hass.services.async_register(domain, service, handle, supports_response=SupportsResponse.ONLY)
    return calls


def _rows(day_text: str, per_mwh: bool) -> list[dict[str, Any]]:
    day = datetime.fromisoformat(day_text).date()
    start, end = day_range(day)
    rows = []
    moment, index = start, 0
    while moment < end:
        price = spot(index)
        rows.append(
            {
                "start": moment.isoformat(),
                "end": (moment + timedelta(minutes=15)).isoformat(),
                "price": price * 1000 if per_mwh else price,
            }
        )
        moment += timedelta(minutes=15)
        index += 1
    return rows


def _service_entry(source: str, other: MockConfigEntry) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Open HEM",
        data={CONF_CONNECTION: "3x25", "price_source": source, "price_entry": other.entry_id},
        version=1,
        minor_version=1,
    )


async def test_nord_pool_feeds_the_same_entities(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Nord Pool's get_prices_for_date (EUR/MWh) per local day; tomorrow not there yet."""
    freezer.move_to(NOW)
    nordpool = MockConfigEntry(domain="nordpool", title="Nord Pool")
    nordpool.add_to_hass(hass)

    def answer(call: ServiceCall) -> Any:
        if call.data["date"] == TODAY.isoformat():
            return {"NL": _rows(call.data["date"], per_mwh=True)}
        return {"NL": []}

    calls = _register(hass, "nordpool", "get_prices_for_date", answer)
    entry = _service_entry("nordpool", nordpool)
    await _setup(hass, entry)
    assert [call.data["date"] for call in calls] == ["2025-11-26", "2025-11-27"]
    assert calls[0].data["config_entry"] == nordpool.entry_id
    assert calls[0].data["currency"] == "EUR"
    assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(spot(40))
    assert state(hass, "binary_sensor", entry, "tomorrow_prices_known") == "off"
    assert entry.runtime_data.prices is not None
    assert entry.runtime_data.prices.source.key == f"nordpool:{nordpool.entry_id}"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_energyzero_feeds_the_same_entities(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """EnergyZero's get_energy_prices (EUR/kWh excl. VAT); a failing tomorrow is not an error."""
    freezer.move_to(NOW)
    energyzero = MockConfigEntry(domain="energyzero", title="EnergyZero")
    energyzero.add_to_hass(hass)

    def answer(call: ServiceCall) -> Any:
        if call.data["start"] != TODAY.isoformat():
            raise ServiceValidationError("no data")
        return {"prices": _rows(call.data["start"], per_mwh=False)}

    calls = _register(hass, "energyzero", "get_energy_prices", answer)
    entry = _service_entry("energyzero", energyzero)
    await _setup(hass, entry)
    assert calls[0].data["incl_vat"] is False
    assert calls[0].data["interval"] == "quarter"
    assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(spot(40))
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    "answer",
    [
        None,  # the integration is gone: its service does not exist
        {"NL": "not a list"},
        {"NL": [{"start": "x", "end": "y", "price": 1}]},
        {"NL": [{"start": "2025-11-26T00:00:00", "end": "2025-11-26T00:15:00", "price": 1}]},
        {"NL": [{"price": 1}]},
    ],
)
async def test_broken_price_integration_keeps_trying(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, answer: Any
) -> None:
    """A missing service or unreadable answers are temporary errors: no prices, a retry."""
    freezer.move_to(NOW)
    nordpool = MockConfigEntry(domain="nordpool", title="Nord Pool")
    nordpool.add_to_hass(hass)
    if answer is not None:
        _register(hass, "nordpool", "get_prices_for_date", lambda _call: answer)
    entry = _service_entry("nordpool", nordpool)
    await _setup(hass, entry)
    assert state(hass, "sensor", entry, "spot_price") == "unknown"
    coordinator = entry.runtime_data.prices
    assert coordinator is not None
    assert coordinator.last_error is not None
    assert coordinator.next_fetch == NOW + timedelta(seconds=60)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_hanging_price_integration_times_out(hass: HomeAssistant) -> None:
    """A price integration that never answers is given up on (real time, short timeout)."""
    nordpool = MockConfigEntry(domain="nordpool", title="Nord Pool")
    nordpool.add_to_hass(hass)

    async def hang(_call: ServiceCall) -> Any:
        await asyncio.Event().wait()

    hass.services.async_register(
        "nordpool", "get_prices_for_date", hang, supports_response=SupportsResponse.ONLY
    )
    entry = _service_entry("nordpool", nordpool)
    with patch("custom_components.open_hem.prices.sources.TIMEOUT_S", 0.01):
        await _setup(hass, entry)
    coordinator = entry.runtime_data.prices
    assert coordinator is not None
    assert coordinator.last_error == "nordpool: TimeoutError"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_action_is_described_and_translated(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """services.yaml loads and its fields carry their translated names."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    descriptions = await async_get_all_descriptions(hass)
    get_prices = descriptions[DOMAIN]["get_prices"]
    assert set(get_prices["fields"]) == {"config_entry", "start", "end", "resolution"}
    assert get_prices["response"] == {"optional": False}
