"""Prices in Home Assistant: cache first, background fetch, schedule, sensors, errors."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.core.prices.series import PriceSeries
from custom_components.open_hem.diagnostics import async_get_config_entry_diagnostics

from .prices_helpers import (
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

ACK = (
    Path(__file__).parent / "fixtures" / "entsoe" / "entsoe_acknowledgement_no_data_example.xml"
).read_text()
TOMORROW = TODAY + timedelta(days=1)


def all_in(price: float) -> float:
    return (price + ENERGY_TAX_NL) * VAT_NL


async def _setup(hass: HomeAssistant, entry: Any) -> None:
    await configure_nl(hass)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _unload(hass: HomeAssistant, entry: Any) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, to: datetime) -> None:
    freezer.move_to(to)
    async_fire_time_changed(hass, to)
    await hass.async_block_till_done(wait_background_tasks=True)


def _cache(
    hass_storage: dict[str, Any], entry_id: str, series: PriceSeries, source: str = "entsoe:NL"
) -> None:
    hass_storage[f"{DOMAIN}.prices.{entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.prices.{entry_id}",
        "data": {"source": source, "prices": series.to_json()},
    }


def _today_series() -> PriceSeries:
    start, _ = day_range(TODAY)
    return PriceSeries({start + timedelta(minutes=15 * i): spot(i) for i in range(96)})


async def test_sensors_show_todays_prices(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """After the background fetch every price sensor has its value (NL 2025 defaults)."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=a44(TODAY))
    entry = entsoe_entry()
    await _setup(hass, entry)
    assert aioclient_mock.call_count == 1

    current = hass.states.get("sensor.open_hem_current_price")
    assert current is not None
    assert float(current.state) == pytest.approx(all_in(spot(40)))
    assert current.attributes["unit_of_measurement"] == "EUR/kWh"
    assert current.attributes["state_class"] == "measurement"
    assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(spot(40))
    assert float(state(hass, "sensor", entry, "next_price")) == pytest.approx(all_in(spot(41)))
    # NL net metering: exported energy earns the import price.
    assert float(state(hass, "sensor", entry, "export_price")) == pytest.approx(all_in(spot(40)))
    assert float(state(hass, "sensor", entry, "today_lowest_price")) == pytest.approx(
        all_in(spot(0))
    )
    assert float(state(hass, "sensor", entry, "today_highest_price")) == pytest.approx(
        all_in(spot(95))
    )
    assert float(state(hass, "sensor", entry, "today_average_price")) == pytest.approx(
        all_in(spot(47.5))
    )
    # Prices rise through the day: cheapest window starts now, dearest at the end of the day.
    assert state(hass, "sensor", entry, "cheapest_window_1h") == "2025-11-26T09:00:00+00:00"
    assert state(hass, "sensor", entry, "expensive_window_1h") == "2025-11-26T22:00:00+00:00"
    assert state(hass, "sensor", entry, "expensive_window_3h") == "2025-11-26T20:00:00+00:00"
    assert state(hass, "sensor", entry, "price_level") == "normal"
    assert state(hass, "binary_sensor", entry, "tomorrow_prices_known") == "off"

    # A quarter hour later the sensors move on by themselves.
    await _advance(hass, freezer, NOW + timedelta(minutes=10))
    assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(spot(41))
    await _unload(hass, entry)


async def test_hourly_display_and_own_tariff(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """Hourly display averages the hour; the user's markup, tax, VAT and export fee apply."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=a44(TODAY))
    entry = entsoe_entry(
        markup=0.02,
        energy_tax=0.1,
        vat=10.0,
        export_mode="spot_minus_fee",
        export_fee=0.01,
        price_resolution="60",
    )
    await _setup(hass, entry)
    hour_spot = (spot(40) + spot(41) + spot(42) + spot(43)) / 4
    assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(hour_spot)
    assert float(state(hass, "sensor", entry, "current_price")) == pytest.approx(
        (hour_spot + 0.02 + 0.1) * 1.1
    )
    assert float(state(hass, "sensor", entry, "export_price")) == pytest.approx(hour_spot - 0.01)
    next_hour = (spot(44) + spot(45) + spot(46) + spot(47)) / 4
    assert float(state(hass, "sensor", entry, "next_price")) == pytest.approx(
        (next_hour + 0.12) * 1.1
    )
    await _unload(hass, entry)


async def test_setup_does_not_wait_for_a_hanging_entsoe(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """ENTSO-E never answers: setup still completes at once, with the cached prices."""
    freezer.move_to(NOW)
    started = asyncio.Event()

    async def hang(*_: Any) -> None:
        started.set()
        await asyncio.Event().wait()

    aioclient_mock.get(URL, side_effect=hang)
    entry = entsoe_entry()
    _cache(hass_storage, entry.entry_id, _today_series())
    await configure_nl(hass)
    entry.add_to_hass(hass)
    # Frozen time stops asyncio timeouts, so a hang here would hang the test: setup must return.
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert started.is_set()
    assert entry.state is ConfigEntryState.LOADED
    assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(spot(40))
    # Unloading cancels the hanging request.
    await _unload(hass, entry)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_outage_keeps_cache_and_retries_with_backoff(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """503 after a restart: cached prices stay, retries back off, the failure is logged once."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, status=HTTPStatus.SERVICE_UNAVAILABLE, text="<html>maintenance</html>")
    entry = entsoe_entry()
    _cache(hass_storage, entry.entry_id, _today_series())
    with caplog.at_level(logging.WARNING):
        await _setup(hass, entry)
        assert aioclient_mock.call_count == 1
        assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(spot(40))
        await _advance(hass, freezer, NOW + timedelta(seconds=61))
        assert aioclient_mock.call_count == 2
        await _advance(hass, freezer, NOW + timedelta(seconds=61 + 60))
        assert aioclient_mock.call_count == 2  # second retry waits 120 s
        await _advance(hass, freezer, NOW + timedelta(seconds=61 + 121))
        assert aioclient_mock.call_count == 3
    assert caplog.text.count("Could not get prices") == 1
    assert "HTTP 503" in caplog.text
    assert "secret" not in caplog.text
    assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(spot(40))

    # Back again: prices are fetched, stored and the recovery is logged.
    aioclient_mock.clear_requests()
    aioclient_mock.get(URL, text=a44(TODAY, base=200))
    with caplog.at_level(logging.INFO):
        await _advance(hass, freezer, NOW + timedelta(seconds=61 + 121 + 241))
    assert "are back" in caplog.text
    assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(spot(40, 200))
    stored = hass_storage[f"{DOMAIN}.prices.{entry.entry_id}"]["data"]
    assert stored["source"] == "entsoe:NL"
    assert len(stored["prices"]) == 96
    await _unload(hass, entry)


async def test_cache_of_another_source_or_junk_is_ignored(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A cache written for another zone is not shown as this zone's prices."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, status=HTTPStatus.TOO_MANY_REQUESTS)
    entry = entsoe_entry()
    _cache(hass_storage, entry.entry_id, _today_series(), source="entsoe:BE")
    await _setup(hass, entry)
    assert state(hass, "sensor", entry, "spot_price") == "unknown"
    assert state(hass, "sensor", entry, "today_average_price") == "unknown"
    assert state(hass, "sensor", entry, "price_level") == "unknown"
    assert state(hass, "sensor", entry, "export_price") == "unknown"
    assert state(hass, "sensor", entry, "cheapest_window_1h") == "unknown"
    await _unload(hass, entry)


async def test_tomorrow_is_fetched_from_publication_time_until_it_arrives(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """13:00 CET: ask; no data yet: ask every 10 minutes; once known: next day 13:00."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=a44(TODAY))
    entry = entsoe_entry()
    await _setup(hass, entry)
    assert aioclient_mock.call_count == 1
    coordinator = entry.runtime_data.prices
    assert coordinator is not None
    publication = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)  # 13:00 CET
    assert coordinator.next_fetch == publication

    await _advance(hass, freezer, publication - timedelta(minutes=1))
    assert aioclient_mock.call_count == 1

    aioclient_mock.clear_requests()
    aioclient_mock.get(URL, text=ACK)
    await _advance(hass, freezer, publication)
    assert aioclient_mock.call_count == 1
    assert coordinator.next_fetch == publication + timedelta(minutes=10)
    assert state(hass, "binary_sensor", entry, "tomorrow_prices_known") == "off"
    # Today's prices stay in use while tomorrow's are not there.
    assert state(hass, "sensor", entry, "spot_price") != "unknown"

    aioclient_mock.clear_requests()
    aioclient_mock.get(URL, text=a44(TODAY, TOMORROW))
    await _advance(hass, freezer, publication + timedelta(minutes=10))
    assert aioclient_mock.call_count == 1
    assert state(hass, "binary_sensor", entry, "tomorrow_prices_known") == "on"
    assert coordinator.next_fetch == publication + timedelta(days=1)
    # The request asked for today and tomorrow (local days, in UTC).
    _, url, _, _ = aioclient_mock.mock_calls[0]
    assert url.query["periodStart"] == "202511252300"
    assert url.query["periodEnd"] == "202511272300"
    assert url.query["in_Domain"] == "10YNL----------L"
    await _unload(hass, entry)


async def test_missing_tomorrow_raises_and_clears_a_repair_issue(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """At 18:00 local without tomorrow's prices: a repair issue, gone when they arrive."""
    evening = datetime(2025, 11, 26, 16, 55, tzinfo=UTC)  # 17:55 CET
    freezer.move_to(evening)
    aioclient_mock.get(URL, text=a44(TODAY))
    entry = entsoe_entry()
    await _setup(hass, entry)
    assert issue_registry.async_get_issue(DOMAIN, "tomorrow_prices_missing") is None

    await _advance(hass, freezer, evening + timedelta(minutes=5))
    issue = issue_registry.async_get_issue(DOMAIN, "tomorrow_prices_missing")
    assert issue is not None
    assert issue.translation_placeholders == {"source": "entsoe:NL", "error": "-"}

    aioclient_mock.clear_requests()
    aioclient_mock.get(URL, text=a44(TODAY, TOMORROW))
    await _advance(hass, freezer, evening + timedelta(minutes=11))
    assert issue_registry.async_get_issue(DOMAIN, "tomorrow_prices_missing") is None
    await _unload(hass, entry)


async def test_refused_token_starts_reauth_and_keeps_prices(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """HTTP 401 opens Home Assistant's re-authentication flow; cached prices stay."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, status=HTTPStatus.UNAUTHORIZED)
    entry = entsoe_entry()
    _cache(hass_storage, entry.entry_id, _today_series())
    await _setup(hass, entry)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(spot(40))
    await _unload(hass, entry)


async def test_unreadable_cache_is_ignored(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A cache with the wrong shape is left alone; fresh prices are fetched."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=a44(TODAY))
    entry = entsoe_entry()
    hass_storage[f"{DOMAIN}.prices.{entry.entry_id}"] = {
        "version": 1,
        "key": f"{DOMAIN}.prices.{entry.entry_id}",
        "data": ["not", "a", "cache"],
    }
    await _setup(hass, entry)
    assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(spot(40))
    await _unload(hass, entry)


async def test_prices_off_adds_no_price_entities(
    hass: HomeAssistant, mock_config_entry: Any
) -> None:
    """The hub without a price source has only its own sensor."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.runtime_data.prices is None
    assert hass.states.get("sensor.open_hem_current_price") is None
    assert hass.states.async_entity_ids("binary_sensor") == []
    assert datetime.now(UTC)  # nothing scheduled: the harness would report lingering timers


async def test_diagnostics_redact_the_token(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Diagnostics show the price state and never the token."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=a44(TODAY))
    entry = entsoe_entry()
    await _setup(hass, entry)
    result = await async_get_config_entry_diagnostics(hass, entry)
    assert result["entry"]["data"]["api_token"] == "**REDACTED**"
    assert "secret" not in str(result)
    prices = result["prices"]
    assert prices["source"] == "entsoe:NL"
    assert prices["slots"] == 96
    assert prices["first"] == "2025-11-25T23:00:00+00:00"
    assert prices["tariff"]["vat_percent"] == 21.0
    assert prices["next_fetch"] == "2025-11-26T12:00:00+00:00"
    await _unload(hass, entry)


async def test_diagnostics_without_prices(hass: HomeAssistant, mock_config_entry: Any) -> None:
    """Without a price source the price part is empty."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    result = await async_get_config_entry_diagnostics(hass, mock_config_entry)
    assert result["prices"] is None


async def test_unreadable_storage_and_early_refresh(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A storage error is logged and ignored; a refresh between timers reschedules cleanly."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=a44(TODAY))
    entry = entsoe_entry()
    with patch(
        "custom_components.open_hem.prices.coordinator.Store.async_load",
        side_effect=HomeAssistantError("broken json"),
    ):
        await _setup(hass, entry)
    coordinator = entry.runtime_data.prices
    assert coordinator is not None
    await coordinator.async_refresh()
    assert aioclient_mock.call_count == 2
    assert coordinator.next_fetch == datetime(2025, 11, 26, 12, tzinfo=UTC)
    await _unload(hass, entry)


async def test_unexpected_error_does_not_stop_fetching(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Even an unexpected exception keeps the entities available and schedules a retry."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, exc=RuntimeError("boom"))
    entry = entsoe_entry()
    await _setup(hass, entry)
    coordinator = entry.runtime_data.prices
    assert coordinator is not None
    assert coordinator.last_update_success
    assert coordinator.next_fetch == NOW + timedelta(seconds=60)
    assert state(hass, "sensor", entry, "spot_price") == "unknown"
    await _unload(hass, entry)


async def test_dst_day_has_100_quarter_hours(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """The autumn DST day (25 h) is complete with 100 slots; the spring one with 92."""
    saturday = date(2025, 10, 25)
    sunday = date(2025, 10, 26)
    freezer.move_to(datetime(2025, 10, 25, 12, 30, tzinfo=UTC))  # 14:30 CEST
    aioclient_mock.get(URL, text=a44(saturday, sunday))
    entry = entsoe_entry()
    await _setup(hass, entry)
    assert state(hass, "binary_sensor", entry, "tomorrow_prices_known") == "on"
    response = await hass.services.async_call(
        DOMAIN,
        "get_prices",
        {"start": "2025-10-26 00:00:00", "end": "2025-10-27 00:00:00"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    prices = response["prices"]
    assert isinstance(prices, list)
    assert len(prices) == 100
    assert prices[0]["start"] == "2025-10-26T00:00:00+02:00"
    assert prices[-1]["start"] == "2025-10-26T23:45:00+01:00"
    await _unload(hass, entry)

    aioclient_mock.clear_requests()
    aioclient_mock.get(URL, text=a44(date(2026, 3, 28), date(2026, 3, 29)))
    freezer.move_to(datetime(2026, 3, 28, 14, tzinfo=UTC))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "binary_sensor", entry, "tomorrow_prices_known") == "on"
    coordinator = entry.runtime_data.prices
    assert coordinator is not None
    start, end = day_range(date(2026, 3, 29))
    assert len(coordinator.slots(start, end)) == 92
    await _unload(hass, entry)


async def test_unload_removes_the_repair_issue(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An issue raised at setup (late, tomorrow missing) goes away with the entry."""
    freezer.move_to(datetime(2025, 11, 26, 18, 30, tzinfo=UTC))  # 19:30 CET
    aioclient_mock.get(URL, text=ACK)
    entry = entsoe_entry()
    await _setup(hass, entry)
    assert issue_registry.async_get_issue(DOMAIN, "tomorrow_prices_missing") is not None
    await _unload(hass, entry)
    assert issue_registry.async_get_issue(DOMAIN, "tomorrow_prices_missing") is None
