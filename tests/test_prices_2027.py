"""Issue 11: Dutch net metering ends on 1 January 2027; the feed-in price and its legal floor.

Also: a price cache written in today's format keeps loading after the priced-series rework.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.open_hem.const import DOMAIN

from .prices_helpers import (
    AMSTERDAM,
    ENERGY_TAX_NL,
    NOW,
    URL,
    VAT_NL,
    a44,
    configure_nl,
    entsoe_entry,
    spot,
    state,
)

NEW_YEARS_EVE = date(2026, 12, 31)
NEW_YEAR = date(2027, 1, 1)
FLOOR_ISSUE = "feed_in_below_legal_floor"


def all_in(price: float) -> float:
    return (price + ENERGY_TAX_NL) * VAT_NL


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await configure_nl(hass)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, to: datetime) -> None:
    freezer.move_to(to)
    async_fire_time_changed(hass, to)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_export_price_switches_at_new_year_2027(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """NL default: netted (import price) until 23:59 on 31 December, the spot price from 00:00.

    The switch is per slot, so the prices fetched on New Year's Eve already carry it, and the
    export sensor moves by itself at midnight.
    """
    freezer.move_to(datetime(2026, 12, 31, 23, 50, tzinfo=AMSTERDAM))
    aioclient_mock.get(URL, text=a44(NEW_YEARS_EVE, NEW_YEAR))
    entry = entsoe_entry()
    await _setup(hass, entry)
    assert float(state(hass, "sensor", entry, "export_price")) == pytest.approx(all_in(spot(95)))
    assert float(state(hass, "sensor", entry, "current_price")) == pytest.approx(all_in(spot(95)))

    response = await hass.services.async_call(
        DOMAIN,
        "get_prices",
        {"start": "2026-12-31 23:00:00", "end": "2027-01-01 01:00:00"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    slots: list[dict[str, Any]] = response["prices"]  # type: ignore[assignment]
    assert [slot["start"][11:16] for slot in slots] == [
        "23:00", "23:15", "23:30", "23:45", "00:00", "00:15", "00:30", "00:45",
    ]  # fmt: skip
    assert [slot["export"] for slot in slots[:4]] == [slot["price"] for slot in slots[:4]]
    assert [slot["export"] for slot in slots[4:]] == [slot["spot"] for slot in slots[4:]]
    assert slots[4]["spot"] == pytest.approx(spot(0))
    hourly = await hass.services.async_call(
        DOMAIN,
        "get_prices",
        {"start": "2026-12-31 23:00:00", "end": "2027-01-01 01:00:00", "resolution": 60},
        blocking=True,
        return_response=True,
    )
    assert hourly is not None
    before, after = hourly["prices"]  # type: ignore[misc]
    assert before["export"] == pytest.approx(before["price"])
    assert after["export"] == pytest.approx(after["spot"])

    await _advance(hass, freezer, datetime(2027, 1, 1, 0, 5, tzinfo=AMSTERDAM))
    assert float(state(hass, "sensor", entry, "export_price")) == pytest.approx(spot(0))
    assert float(state(hass, "sensor", entry, "current_price")) == pytest.approx(all_in(spot(0)))
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_chosen_feed_in_terms_apply_with_the_feed_in_cost(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """Spot minus a fee, with a feed-in cost per kWh: the export sensor shows what is earned."""
    freezer.move_to(datetime(2027, 1, 1, 10, 5, tzinfo=AMSTERDAM))
    aioclient_mock.get(URL, text=a44(NEW_YEAR))
    entry = entsoe_entry(export_mode="spot_minus_fee", export_fee=0.02, feed_in_cost=0.01)
    await _setup(hass, entry)
    assert float(state(hass, "sensor", entry, "export_price")) == pytest.approx(
        spot(40) - 0.02 - 0.01
    )
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_fixed_feed_in_below_the_legal_floor_raises_a_repair_notice(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """2027: a fixed feed-in price below half the bare supply price is reported, not changed."""
    day = date(2027, 3, 1)
    freezer.move_to(datetime(2027, 3, 1, 10, 5, tzinfo=AMSTERDAM))
    aioclient_mock.get(URL, text=a44(day))
    entry = entsoe_entry(markup=0.0205, export_mode="fixed", feed_in_price=0.03)
    with caplog.at_level(logging.WARNING):
        await _setup(hass, entry)
    # Spot 0.100 ... 0.195 (mean 0.1475, EUR/kWh) + 0.0205 markup: the floor is 0.084.
    issue = issue_registry.async_get_issue(DOMAIN, FLOOR_ISSUE)
    assert issue is not None
    assert issue.translation_placeholders == {"price": "0.0300", "floor": "0.0840"}
    coordinator = entry.runtime_data.prices
    assert coordinator is not None
    with caplog.at_level(logging.WARNING):
        await coordinator.async_refresh()
    assert issue_registry.async_get_issue(DOMAIN, FLOOR_ISSUE) is not None
    assert caplog.text.count("below the legal floor") == 1  # logged once, not every update
    # What the household entered stays what it earns.
    assert float(state(hass, "sensor", entry, "export_price")) == pytest.approx(0.03)

    # A fair price clears the notice (the options reload the entry).
    hass.config_entries.async_update_entry(entry, options={**entry.options, "feed_in_price": 0.09})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, FLOOR_ISSUE) is None
    assert float(state(hass, "sensor", entry, "export_price")) == pytest.approx(0.09)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_low_fixed_feed_in_before_2027_is_not_reported(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The floor holds from 2027 on: a low fixed price in 2025 is no legal issue."""
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=a44(NOW.astimezone(AMSTERDAM).date()))
    entry = entsoe_entry(export_mode="fixed", feed_in_price=0.0)
    await _setup(hass, entry)
    assert issue_registry.async_get_issue(DOMAIN, FLOOR_ISSUE) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unload_removes_the_floor_notice(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An entry that is unloaded leaves no floor notice behind."""
    freezer.move_to(datetime(2027, 3, 1, 10, 5, tzinfo=AMSTERDAM))
    aioclient_mock.get(URL, text=a44(date(2027, 3, 1)))
    entry = entsoe_entry(export_mode="fixed", feed_in_price=0.0)
    await _setup(hass, entry)
    assert issue_registry.async_get_issue(DOMAIN, FLOOR_ISSUE) is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, FLOOR_ISSUE) is None


async def test_a_cache_in_todays_format_keeps_loading(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The stored price cache of existing installs (Store version 1, spot in EUR/kWh by ISO
    UTC start) is read as before while ENTSO-E is down: the priced series is built from it.
    """
    freezer.move_to(NOW)  # 2025-11-26 10:05 Amsterdam
    aioclient_mock.get(URL, status=HTTPStatus.SERVICE_UNAVAILABLE)
    entry = entsoe_entry()
    hass_storage[f"{DOMAIN}.prices.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.prices.{entry.entry_id}",
        "data": {
            "source": "entsoe:NL",
            "prices": {
                "2025-11-26T08:45:00+00:00": 0.139,
                "2025-11-26T09:00:00+00:00": 0.14,
                "2025-11-26T09:15:00+00:00": 0.141,
                "2025-11-26T09:30:00+00:00": 0.142,
                "2025-11-26T09:45:00+00:00": 0.143,
            },
        },
    }
    await _setup(hass, entry)
    assert float(state(hass, "sensor", entry, "spot_price")) == pytest.approx(0.14)
    assert float(state(hass, "sensor", entry, "current_price")) == pytest.approx(all_in(0.14))
    assert float(state(hass, "sensor", entry, "next_price")) == pytest.approx(all_in(0.141))
    assert float(state(hass, "sensor", entry, "export_price")) == pytest.approx(all_in(0.14))
    coordinator = entry.runtime_data.prices
    assert coordinator is not None
    assert len(coordinator.data) == 5
    imports, exports = coordinator.data.horizon(datetime(2025, 11, 26, 9, tzinfo=UTC), 4)
    assert imports == pytest.approx([all_in(p) for p in (0.14, 0.141, 0.142, 0.143)])
    assert exports == imports
    assert coordinator.data.slot_at(NOW + timedelta(hours=2)) is None
    assert await hass.config_entries.async_unload(entry.entry_id)
