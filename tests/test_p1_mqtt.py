"""P1 meters over Home Assistant's own MQTT integration: raw telegrams and dongle formats."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.mqtt import DATA_MQTT_AVAILABLE, MQTT_CONNECTION_STATE
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
    MqttMockHAClientGenerator,
)

from custom_components.open_hem.const import DOMAIN
from tests.p1_helpers import V5, changed, meter_entry, telegram_text, with_crc

from .entries import hub_entry

IMPORT = "sensor.electricity_meter_energy_import"


def mqtt_data(topic: str, payload_format: str, version: str = "5") -> dict[str, object]:
    """Subentry data for an MQTT meter."""
    return {
        "source": "mqtt",
        "topic": topic,
        "payload_format": payload_format,
        "dsmr_version": version,
        "update_interval": 5,
    }


async def setup(hass: HomeAssistant, data: dict[str, object]) -> object:
    """Set up the hub with one MQTT meter."""
    entry = meter_entry(data)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_raw_telegram_topic(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ESPHome's telegram text sensor: parsed, CRC-checked; silence makes it unavailable."""
    entry = await setup(hass, mqtt_data("p1reader/sensor/telegram/state", "raw"))
    coordinator = next(iter(entry.runtime_data.meters.values()))  # type: ignore[attr-defined]
    async_fire_mqtt_message(hass, "p1reader/sensor/telegram/state", "garbage")
    async_fire_mqtt_message(
        hass, "p1reader/sensor/telegram/state", telegram_text(V5).replace("0.244", "0.245")
    )
    assert coordinator.errors == 2
    async_fire_mqtt_message(hass, "p1reader/sensor/telegram/state", telegram_text(V5))
    await hass.async_block_till_done()
    assert hass.states.get(IMPORT).state == "6.825"
    assert hass.states.get("sensor.electricity_meter_power_import").state == "244.0"
    assert hass.states.get("sensor.gas_meter").state == "0.107"

    for _ in range(13):
        freezer.tick(timedelta(seconds=5))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert hass.states.get(IMPORT).state == STATE_UNAVAILABLE
    async_fire_mqtt_message(hass, "p1reader/sensor/telegram/state", telegram_text(V5))
    await hass.async_block_till_done()
    assert hass.states.get(IMPORT).state == "6.825"
    assert [r for r in caplog.records if r.levelno == logging.WARNING and "P1" in r.message]
    assert len([r for r in caplog.records if "again" in r.message]) == 1
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_smart_stuff_dongle(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """P1-Dongle-Pro per-field topics: energy_delivered is IMPORT; JSON on <prefix>/all too."""
    entry = await setup(hass, mqtt_data("P1-Dongle-Pro", "smart_stuff"))
    async_fire_mqtt_message(hass, "P1-Dongle-Pro/energy_delivered_tariff1", "100.5")
    async_fire_mqtt_message(hass, "P1-Dongle-Pro/energy_delivered_tariff2", "200.25")
    async_fire_mqtt_message(hass, "P1-Dongle-Pro/energy_returned_tariff1", "7")
    async_fire_mqtt_message(hass, "P1-Dongle-Pro/energy_returned_tariff2", "3")
    async_fire_mqtt_message(hass, "P1-Dongle-Pro/power_delivered", "not a number")
    await hass.async_block_till_done()
    assert hass.states.get(IMPORT).state == "300.75"
    assert hass.states.get("sensor.electricity_meter_energy_export").state == "10.0"
    async_fire_mqtt_message(
        hass,
        "P1-Dongle-Pro/all",
        json.dumps({"energy_delivered_tariff1": 101.0, "power_delivered": 1.5}),
    )
    await hass.async_block_till_done()
    coordinator = next(iter(entry.runtime_data.meters.values()))  # type: ignore[attr-defined]
    assert coordinator.errors == 1
    assert coordinator.reading.import_total_kwh == 301.25
    assert coordinator.reading.power_import_w == 1500.0
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_plan_d_dongle(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """plan-d-io: consumption/injection in JSON with units."""
    entry = await setup(hass, mqtt_data("data/devices/utility_meter", "plan_d", "5B"))
    async_fire_mqtt_message(
        hass,
        "data/devices/utility_meter/total_energy_consumed",
        '{"unit": "kWh", "value": 1234.5, "timestamp": 1700000000}',
    )
    async_fire_mqtt_message(
        hass, "data/devices/utility_meter/active_power_consumption", '{"unit": "kW", "value": 2}'
    )
    await hass.async_block_till_done()
    assert hass.states.get(IMPORT).state == "1234.5"
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]


async def test_mqtt_missing_at_runtime(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """A meter whose MQTT integration is gone does not break the hub; it says so once."""
    entry = await setup(hass, mqtt_data("p1/telegram", "raw"))
    coordinator = next(iter(entry.runtime_data.meters.values()))  # type: ignore[attr-defined]
    assert not coordinator.connected
    assert "MQTT is not set up" in caplog.text
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_mqtt_ready_after_the_hub_gave_up_waiting(
    hass: HomeAssistant,
    mock_hass_config: None,
    mqtt_mock_entry: MqttMockHAClientGenerator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """MQTT not ready within HA's 50 s wait: retried with backoff, one warning, then it reads."""
    entry = await setup(hass, mqtt_data("p1reader/sensor/telegram/state", "raw"))
    coordinator = next(iter(entry.runtime_data.meters.values()))  # type: ignore[attr-defined]
    for seconds in (51, 1, 51, 2):  # HA's wait for the MQTT client times out twice
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert not coordinator.connected
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and "P1" in r.message]
    assert len(warnings) == 1
    assert "MQTT is not set up" in warnings[0].message

    await mqtt_mock_entry()  # the retry that is waiting now gets the client
    async_fire_mqtt_message(hass, "p1reader/sensor/telegram/state", telegram_text(V5))
    await hass.async_block_till_done()
    assert coordinator.connected
    assert hass.states.get(IMPORT).state == "6.825"
    assert len([r for r in caplog.records if "sending data again" in r.message]) == 1
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]


async def test_mqtt_added_later_is_retried(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Without any MQTT entry the meter keeps trying (1 s, 2 s, 4 s ...) until unloaded."""
    entry = await setup(hass, mqtt_data("p1/telegram", "raw"))
    coordinator = next(iter(entry.runtime_data.meters.values()))  # type: ignore[attr-defined]
    for seconds in (1, 2, 4):
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert len([r for r in caplog.records if "still unreachable" in r.message]) == 3
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)  # a client connected: try at once
    await hass.async_block_till_done()
    assert len([r for r in caplog.records if "still unreachable" in r.message]) == 4
    assert (
        len([r for r in caplog.records if r.levelno == logging.WARNING and "P1" in r.message]) == 1
    )
    assert coordinator._retry is not None
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]
    assert coordinator._retry is None


async def test_unload_while_waiting_for_mqtt(
    hass: HomeAssistant, mqtt_mock_entry: MqttMockHAClientGenerator
) -> None:
    """Unloading while HA's wait for the MQTT client runs cancels the wait."""
    entry = await setup(hass, mqtt_data("p1/telegram", "raw"))
    coordinator = next(iter(entry.runtime_data.meters.values()))  # type: ignore[attr-defined]
    task = coordinator._task
    assert task is not None
    assert not task.done()
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)  # the running try is kept
    await hass.async_block_till_done()
    assert coordinator._task is task
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]
    await hass.async_block_till_done()
    assert task.cancelled()
    assert coordinator._task is None


async def test_shared_mqtt_wait_already_cancelled(
    hass: HomeAssistant, mqtt_mock_entry: MqttMockHAClientGenerator
) -> None:
    """HA's wait future was cancelled by another waiter's timeout: the meter still retries."""
    future: asyncio.Future[bool] = hass.loop.create_future()
    future.cancel()
    hass.data[DATA_MQTT_AVAILABLE] = future
    entry = await setup(hass, mqtt_data("p1/telegram", "raw"))
    coordinator = next(iter(entry.runtime_data.meters.values()))  # type: ignore[attr-defined]
    assert not coordinator.connected
    assert coordinator._retry is not None
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_corrupt_telegrams_with_valid_crc_are_counted_not_logged(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, caplog: pytest.LogCaptureFixture
) -> None:
    """dsmr_parser's ERROR lines for CRC-valid but unreadable telegrams never reach the log."""
    entry = await setup(hass, mqtt_data("p1reader/sensor/telegram/state", "raw"))
    coordinator = next(iter(entry.runtime_data.meters.values()))  # type: ignore[attr-defined]
    caplog.clear()
    partial = changed(V5, "1-0:32.7.0(0230.0*V)", "1-0:32.7.0(0230.0*V,1*V)")
    broken = changed(V5, "1-0:1.8.2(000002.399*kWh)", "1-0:1.8.2(0000x2.399*kWh)")
    for _ in range(100):
        async_fire_mqtt_message(hass, "p1reader/sensor/telegram/state", partial)
        async_fire_mqtt_message(hass, "p1reader/sensor/telegram/state", broken)
        await asyncio.sleep(0)  # short loop steps: no slow-callback warning from asyncio
    await hass.async_block_till_done()
    assert coordinator.errors == 100
    assert coordinator.partial_telegrams == 100
    assert hass.states.get(IMPORT).state == "6.825"  # the partial telegrams are used
    # asyncio's own "Executing ... took 0.1 s" depends on the machine's load, not on Open HEM.
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name != "asyncio"]
    assert [r for r in caplog.records if r.levelno == logging.DEBUG and "cannot read" in r.message]
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_diagnostics_per_meter_without_identifiers(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_client: ClientSessionGenerator
) -> None:
    """Per meter: settings with host/path/topic redacted, counts, times, the reading without ids."""
    entry = hub_entry(
        subentries=[
            ConfigSubentryData(
                data=mqtt_data("home/p1/telegram", "raw"),
                subentry_type="p1_meter",
                title="P1 meter",
                unique_id="mqtt",
            ),
            ConfigSubentryData(
                data={
                    "source": "serial",
                    "serial_path": "/dev/serial/by-id/usb-P1-cable-if00",
                    "dsmr_version": "4",
                    "update_interval": 10,
                },
                subentry_type="p1_meter",
                title="Cellar",
                unique_id="serial",
            ),
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    async_fire_mqtt_message(hass, "home/p1/telegram", "garbage")
    async_fire_mqtt_message(hass, "home/p1/telegram", telegram_text(V5))
    await hass.async_block_till_done()

    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(result)
    for secret in ("home/p1/telegram", "usb-P1-cable", "4B384547303034303436333935353037"):
        assert secret not in text
    meters = {meter["settings"]["source"]: meter for meter in result["p1_meters"]}
    mqtt_meter, serial_meter = meters["mqtt"], meters["serial"]
    assert mqtt_meter["settings"]["topic"] == "**REDACTED**"
    assert serial_meter["settings"]["serial_path"] == "**REDACTED**"
    assert serial_meter["settings"]["dsmr_version"] == "4"
    state = mqtt_meter["state"]
    assert state["connected"] is True
    assert (state["telegrams"], state["telegram_errors"], state["rejected_totals"]) == (1, 1, 0)
    assert state["last_telegram"] is not None
    assert state["reading"]["import_total_kwh"] == 6.825
    assert state["reading"]["gas_time"] == "2017-01-02T15:10:05+00:00"
    assert "meter_id" not in state["reading"]
    assert serial_meter["state"]["connected"] is False
    assert serial_meter["state"]["reading"] is None
    assert serial_meter["state"]["update_interval_s"] == 10
    await hass.config_entries.async_unload(entry.entry_id)


NEW_METER = with_crc(
    telegram_text(V5)
    .replace("1-0:1.8.1(000004.426*kWh)", "1-0:1.8.1(000000.011*kWh)")
    .replace("1-0:1.8.2(000002.399*kWh)", "1-0:1.8.2(000000.002*kWh)")
    .replace("1-0:2.8.1(000002.444*kWh)", "1-0:2.8.1(000000.000*kWh)")
)


async def feed_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, telegram: str, seconds: int
) -> None:
    """The meter sends ``telegram`` every 50 s for ``seconds`` (then once more)."""
    for _ in range(seconds // 50):
        async_fire_mqtt_message(hass, "p1/telegram", telegram)
        freezer.tick(timedelta(seconds=50))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    async_fire_mqtt_message(hass, "p1/telegram", telegram)
    await hass.async_block_till_done()


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_meter_swap_repair_issue(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Totals lower for 10 minutes: a fixable issue; plausible totals clear it; the fix accepts."""
    assert await async_setup_component(hass, "repairs", {})
    entry = await setup(hass, mqtt_data("p1/telegram", "raw"))
    coordinator = next(iter(entry.runtime_data.meters.values()))  # type: ignore[attr-defined]
    issue_id = f"meter_swapped_{coordinator.subentry_id}"
    await feed_for(hass, freezer, telegram_text(V5), 0)
    assert hass.states.get(IMPORT).state == "6.825"

    # A bad read is one telegram: no issue even 11 minutes later.
    await feed_for(hass, freezer, NEW_METER, 0)
    await feed_for(hass, freezer, telegram_text(V5), 650)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    # Lower in every telegram: after 9 minutes still nothing, at 10 minutes the issue.
    await feed_for(hass, freezer, NEW_METER, 550)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await feed_for(hass, freezer, NEW_METER, 50)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders["old"] == "6.825"
    assert issue.translation_placeholders["new"] == "0.013"
    assert hass.states.get(IMPORT).state == "6.825"  # still the old total

    # The old meter's totals come back (a dongle mix-up): the issue goes.
    await feed_for(hass, freezer, telegram_text(V5), 0)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await feed_for(hass, freezer, NEW_METER, 600)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    # The fix: the new meter's totals are shown from now on.
    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"]["meter"] == "P1 meter"
    result = await manager.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await feed_for(hass, freezer, NEW_METER, 50)
    assert hass.states.get(IMPORT).state == "0.013"
    assert not coordinator.diagnostics()["meter_swap_suspected"]

    # A fix for a meter that is gone changes nothing.
    ir.async_create_issue(
        hass,
        DOMAIN,
        "meter_swapped_gone",
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key="meter_swapped",
        data={"entry_id": entry.entry_id, "subentry_id": "gone"},  # type: ignore[attr-defined]
    )
    flow = await manager.async_init(DOMAIN, data={"issue_id": "meter_swapped_gone"})
    result = await manager.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "meter_gone"
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_unloading_clears_the_meter_swap_issue(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An unloaded meter leaves no repair issue behind."""
    entry = await setup(hass, mqtt_data("p1/telegram", "raw"))
    await feed_for(hass, freezer, telegram_text(V5), 0)
    await feed_for(hass, freezer, NEW_METER, 600)
    assert len(issue_registry.issues) == 1
    await hass.config_entries.async_unload(entry.entry_id)  # type: ignore[attr-defined]
    assert len(issue_registry.issues) == 0
