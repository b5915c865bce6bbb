"""A HomeWizard P1 meter through its local API v1, polled with HA's aiohttp session."""

from __future__ import annotations

from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from tests.p1_helpers import meter_entry

HOMEWIZARD_DATA: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "homewizard" / "data_p1.json").read_text()
)
URL = "http://192.168.1.10/api/v1/data"
DATA = {"source": "homewizard", "host": "192.168.1.10", "update_interval": 5}


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move time on and run what became due."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_homewizard_meter(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Polled every second; averaged; unavailable after 60 s of failures, back after."""
    aioclient_mock.get(URL, json=HOMEWIZARD_DATA)
    entry = meter_entry(DATA, title="HomeWizard")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get("sensor.electricity_meter_energy_import")
    assert state is not None
    assert state.state == "13779.338"
    assert hass.states.get("sensor.electricity_meter_power").state == "-543.0"
    assert hass.states.get("sensor.electricity_meter_power_export").state == "543.0"
    assert hass.states.get("sensor.gas_meter").state == "2570.1"
    assert hass.states.get("sensor.water_meter").state == "123.456"

    # In the fifth second the house draws 914 W: 4 s at -543 W and 1 s at +914 W average out.
    for _ in range(3):
        await tick(hass, freezer, 1)
    aioclient_mock.clear_requests()
    aioclient_mock.get(URL, json={**HOMEWIZARD_DATA, "active_power_w": 914})
    await tick(hass, freezer, 1)
    assert hass.states.get("sensor.electricity_meter_power").state == "-543.0"  # not sampled
    await tick(hass, freezer, 1)
    assert hass.states.get("sensor.electricity_meter_power").state == str(
        round((4 * -543 + 1 * 914) / 5, 1)
    )

    # The meter stops answering: polls fail quietly, after 60 s entities go unavailable.
    aioclient_mock.clear_requests()
    aioclient_mock.get(URL, exc=TimeoutError())
    for _ in range(55):
        await tick(hass, freezer, 1)
    assert hass.states.get("sensor.electricity_meter_energy_import").state == "13779.338"
    for _ in range(10):
        await tick(hass, freezer, 1)
    assert hass.states.get("sensor.electricity_meter_energy_import").state == STATE_UNAVAILABLE
    coordinator = next(iter(entry.runtime_data.meters.values()))
    assert coordinator.errors > 0
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("custom_components.open_hem")
    ]
    assert len(warnings) == 1

    # Back: the next retry (within the 60 s backoff cap) finds it.
    aioclient_mock.clear_requests()
    aioclient_mock.get(URL, json=HOMEWIZARD_DATA)
    for _ in range(61):
        await tick(hass, freezer, 1)
    assert hass.states.get("sensor.electricity_meter_energy_import").state == "13779.338"
    assert len([r for r in caplog.records if "again" in r.message]) == 1
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_homewizard_unreachable_from_the_start(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Setup never fails for an unreachable meter; it is retried in the background."""
    aioclient_mock.get(URL, status=500)
    entry = meter_entry(DATA, title="HomeWizard")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = next(iter(entry.runtime_data.meters.values()))
    assert not coordinator.connected
    assert hass.states.get("sensor.electricity_meter_energy_import") is None
    await hass.config_entries.async_unload(entry.entry_id)
