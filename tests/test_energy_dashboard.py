"""Home Assistant's Energy dashboard accepts Open HEM's meter and price entities.

The dashboard is configured the way a user would (grid import and export per tariff with the
all-in price and the export price, the meter's net power, gas), and Home Assistant's own
validation must report nothing for any of Open HEM's entities.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from .core.p1.telegrams import V5, TelegramServer, telegram_bytes, wait_for
from .entries import hub_entry
from .loop_home import meter
from .prices_helpers import NOW, TODAY, URL, a44, configure_nl, entity_id

METER = "sensor.electricity_meter"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: Any) -> None:
    """The recorder first: it must be set up before Home Assistant is."""
    return


@pytest.fixture
async def dongle(socket_enabled: None) -> AsyncGenerator[TelegramServer]:
    server = await TelegramServer().start()
    yield server
    await server.stop()


def _grid(tariff: str, price: str, export_price: str, power: str | None) -> dict[str, Any]:
    source: dict[str, Any] = {
        "type": "grid",
        "stat_energy_from": f"{METER}_energy_import_tariff_{tariff}",
        "stat_energy_to": f"{METER}_energy_export_tariff_{tariff}",
        "stat_cost": None,
        "entity_energy_price": price,
        "number_energy_price": None,
        "stat_compensation": None,
        "entity_energy_price_export": export_price,
        "number_energy_price_export": None,
        "cost_adjustment_day": 0.0,
    }
    if power is not None:
        source["stat_rate"] = power
    return source


async def test_the_energy_dashboard_accepts_open_hems_entities(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    dongle: TelegramServer,
) -> None:
    freezer.move_to(NOW)
    await configure_nl(hass)
    aioclient_mock.get(URL, text=a44(TODAY))
    entry = hub_entry(
        {"price_source": "entsoe", "api_token": "secret", "bidding_zone": "NL"},
        subentries=[meter(dongle.port)],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await dongle.wait_connected()
    await dongle.send(telegram_bytes(V5))
    await wait_for(lambda: hass.states.get(f"{METER}_energy_import_tariff_1") is not None)
    await hass.async_block_till_done(wait_background_tasks=True)
    # The recorder compiles the entities' statistics, as it does every five minutes.
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=NOW)
    await async_wait_recording_done(hass)

    price = entity_id(hass, "sensor", entry, "current_price")
    export_price = entity_id(hass, "sensor", entry, "export_price")
    assert await async_setup_component(hass, "energy", {})
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                _grid("1", price, export_price, f"{METER}_power"),
                _grid("2", price, export_price, None),
                {
                    "type": "gas",
                    "stat_energy_from": "sensor.gas_meter",
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                },
            ],
            "device_consumption": [],
        }
    )
    await hass.async_block_till_done()

    result = (await async_validate(hass)).as_dict()
    ours = [
        issue
        for source in [*result["energy_sources"], *result["device_consumption"]]
        for issue in source
    ]
    assert ours == [], ours
    # Every configured entity exists and carries a state (no validation by absence).
    for entity in (price, export_price, f"{METER}_power", "sensor.gas_meter"):
        state = hass.states.get(entity)
        assert state is not None, entity
        assert state.state not in ("unknown", "unavailable"), entity
