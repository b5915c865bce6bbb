"""Adding and changing P1 meters: every source is tested for real before it is saved."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import os
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.open_hem.p1.const import SUBENTRY_P1_METER
from tests.p1_helpers import FLUVIUS, V4_2, V5, TelegramServer, telegram_bytes, telegram_text
from tests.test_p1_homewizard import HOMEWIZARD_DATA

FLOW = "custom_components.open_hem.p1.config_flow"


@pytest.fixture
async def server(socket_enabled: None) -> AsyncGenerator[TelegramServer]:
    """A TCP dongle that sends a telegram to whoever connects."""
    server = await TelegramServer().start()
    yield server
    await server.stop()


@pytest.fixture
async def hub(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """The hub entry, set up, without meters."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


async def start(hass: HomeAssistant, hub: MockConfigEntry, source: str) -> dict[str, Any]:
    """Open the subentry flow and pick a source from the menu."""
    result = await hass.config_entries.subentries.async_init(
        (hub.entry_id, SUBENTRY_P1_METER), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["serial", "network", "mqtt", "homewizard"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": source}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == source
    return dict(result)


def suggested(result: dict[str, Any], key: str) -> Any:
    """The value a form field is pre-filled with."""
    for field in result["data_schema"].schema:
        if field == key:
            return (field.description or {}).get("suggested_value")
    raise KeyError(key)


async def send_when_connected(server: TelegramServer, data: bytes, count: int = 1) -> None:
    """Play the dongle: once a client is there, send a telegram."""
    await server.wait_connected(count)
    await server.send(data)


async def test_network_meter_is_tested_and_added(
    hass: HomeAssistant, hub: MockConfigEntry, server: TelegramServer
) -> None:
    """A dongle that sends a valid telegram becomes a subentry; the hub reloads with it."""
    result = await start(hass, hub, "network")
    sender = asyncio.create_task(send_when_connected(server, b"junk" + telegram_bytes(V5)))
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"host": " 127.0.0.1 ", "port": float(server.port), "dsmr_version": "5",
         "update_interval": 10.0},
    )  # fmt: skip
    await sender
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"P1 meter (127.0.0.1:{server.port})"
    await hass.async_block_till_done()
    (subentry,) = hub.subentries.values()
    assert subentry.data == {
        "source": "network",
        "host": "127.0.0.1",
        "port": server.port,
        "dsmr_version": "5",
        "update_interval": 10,
    }
    assert subentry.unique_id == f"network:127.0.0.1:{server.port}"
    # Adding the subentry reloaded the hub, which now runs the meter.
    await hass.async_block_till_done()
    assert subentry.subentry_id in hub.runtime_data.meters
    assert hub.runtime_data.meters[subentry.subentry_id].update_interval.total_seconds() == 10

    # The same dongle cannot be added twice.
    result = await start(hass, hub, "network")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"host": "127.0.0.1", "port": server.port, "dsmr_version": "4", "update_interval": 5},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.config_entries.async_unload(hub.entry_id)


async def test_network_errors(
    hass: HomeAssistant, hub: MockConfigEntry, server: TelegramServer
) -> None:
    """A closed port is cannot_connect; silence or only bad telegrams is no_telegram."""
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    closed_port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    result = await start(hass, hub, "network")
    user_input = {"host": "127.0.0.1", "port": closed_port, "dsmr_version": "5",
                  "update_interval": 5}  # fmt: skip
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    bad_crc = telegram_bytes(V5).replace(b"00.244*kW", b"09.244*kW")
    sender = asyncio.create_task(send_when_connected(server, bad_crc))
    with patch(f"{FLOW}.TELEGRAM_WAIT_S", 0.3):
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**user_input, "port": server.port}
        )
    await sender
    assert result["errors"] == {"base": "no_telegram"}
    # The form keeps what was typed.
    assert suggested(result, "port") == server.port

    # Fixed: the right DSMR version and a meter that talks.
    sender = asyncio.create_task(send_when_connected(server, telegram_bytes(V4_2), 2))
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**user_input, "port": server.port, "dsmr_version": "4"}
    )
    await sender
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(hub.entry_id)


async def test_serial_bad_path_is_a_translated_error(
    hass: HomeAssistant, hub: MockConfigEntry, tmp_path: Path
) -> None:
    """A serial port that does not exist is invalid_path, not a traceback."""
    result = await start(hass, hub, "serial")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"serial_path": str(tmp_path / "ttyUSB0"), "dsmr_version": "5", "update_interval": 5},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_path"}


async def test_serial_meter_on_a_pty(hass: HomeAssistant, hub: MockConfigEntry) -> None:
    """A real (pseudo) serial port that delivers a telegram is added."""
    controller, device = os.openpty()
    path = os.ttyname(device)
    try:
        result = await start(hass, hub, "serial")

        async def write_soon() -> None:
            await asyncio.sleep(0.1)
            os.write(controller, telegram_bytes(V5))

        writer = asyncio.create_task(write_soon())
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"serial_path": path, "dsmr_version": "5", "update_interval": 5}
        )
        await writer
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["title"] == f"P1 meter ({path})"
        await hass.async_block_till_done()
        await hass.config_entries.async_unload(hub.entry_id)
    finally:
        os.close(controller)
        os.close(device)


async def test_mqtt_not_set_up(hass: HomeAssistant, hub: MockConfigEntry) -> None:
    """Without HA's MQTT integration the MQTT source says so."""
    result = await start(hass, hub, "mqtt")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"topic": "p1/telegram", "payload_format": "raw", "dsmr_version": "5",
         "update_interval": 5},
    )  # fmt: skip
    assert result["errors"] == {"base": "mqtt_not_set_up"}


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_mqtt_raw_topic(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hub: MockConfigEntry
) -> None:
    """The flow waits for one telegram on the topic; bad topics and silence are errors."""
    result = await start(hass, hub, "mqtt")
    base = {"payload_format": "raw", "dsmr_version": "5B", "update_interval": 5}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**base, "topic": "p1/#/x"}
    )
    assert result["errors"] == {"base": "invalid_topic"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**base, "topic": "p1/#"}
    )
    assert result["errors"] == {"base": "invalid_topic"}
    with patch(f"{FLOW}.TELEGRAM_WAIT_S", 0.2):
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**base, "topic": "p1/telegram"}
        )
    assert result["errors"] == {"base": "no_telegram"}

    task = asyncio.create_task(
        hass.config_entries.subentries.async_configure(
            result["flow_id"], {**base, "topic": "p1/telegram"}
        )
    )
    for _ in range(50):
        await asyncio.sleep(0)
    async_fire_mqtt_message(hass, "p1/telegram", "not a telegram")
    async_fire_mqtt_message(hass, "p1/telegram", telegram_text(FLUVIUS))
    result = await task
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "P1 meter (p1/telegram)"
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(hub.entry_id)


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_mqtt_dongle_prefix(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hub: MockConfigEntry
) -> None:
    """A per-field dongle is found under its prefix."""
    result = await start(hass, hub, "mqtt")
    task = asyncio.create_task(
        hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {
                "topic": "P1-Dongle-Pro/",
                "payload_format": "smart_stuff",
                "dsmr_version": "5",
                "update_interval": 5,
            },
        )
    )
    for _ in range(50):
        await asyncio.sleep(0)
    async_fire_mqtt_message(hass, "P1-Dongle-Pro/wifi_rssi", "-60")
    async_fire_mqtt_message(hass, "P1-Dongle-Pro/power_delivered", "0.5")
    result = await task
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(hub.entry_id)


async def test_homewizard(
    hass: HomeAssistant, hub: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """HomeWizard: an unreachable host is cannot_connect, a working one is added."""
    result = await start(hass, hub, "homewizard")
    aioclient_mock.get("http://192.168.1.9/api/v1/data", status=403)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"host": "192.168.1.9", "update_interval": 5}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    aioclient_mock.get("http://192.168.1.10/api/v1/data", json=HOMEWIZARD_DATA)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"host": "192.168.1.10", "update_interval": 5}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "HomeWizard P1 meter (192.168.1.10)"
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(hub.entry_id)


async def test_reconfigure_a_meter(
    hass: HomeAssistant, hub: MockConfigEntry, aioclient_mock: AiohttpClientMocker
) -> None:
    """A meter's host and interval can change; the new host is tested first."""
    aioclient_mock.get("http://192.168.1.10/api/v1/data", json=HOMEWIZARD_DATA)
    aioclient_mock.get("http://192.168.1.11/api/v1/data", json=HOMEWIZARD_DATA)
    result = await start(hass, hub, "homewizard")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"host": "192.168.1.10", "update_interval": 5}
    )
    await hass.async_block_till_done()
    (subentry,) = hub.subentries.values()
    result = await hass.config_entries.subentries.async_init(
        (hub.entry_id, SUBENTRY_P1_METER),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert suggested(result, "host") == "192.168.1.10"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"host": "192.168.1.11", "update_interval": 30}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert subentry.data["host"] == "192.168.1.11"
    assert subentry.data["update_interval"] == 30
    assert subentry.title == "HomeWizard P1 meter (192.168.1.11)"
    # The hub reloaded: the running meter uses the new settings.
    meter = hub.runtime_data.meters[subentry.subentry_id]
    assert meter.config["host"] == "192.168.1.11"
    assert meter.update_interval.total_seconds() == 30
    await hass.config_entries.async_unload(hub.entry_id)
