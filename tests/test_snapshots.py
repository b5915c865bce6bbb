"""Snapshots of what users' history hangs on: entity ids, unique ids, states and diagnostics.

Taken before the round-2 move into feature packages and kept unchanged by it, so existing
installs keep their entity ids, unique ids and statistics. ``test_existing_install_keeps_ids``
seeds the entity registry as round 1 left it (tests/fixtures/registry_round1.json) and checks
that setup reuses every entry and creates no new one beside it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from syrupy.assertion import SnapshotAssertion

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.diagnostics import async_get_config_entry_diagnostics

from .core.p1.telegrams import V5, TelegramServer, telegram_bytes, wait_for
from .prices_helpers import NOW, TODAY, URL, a44, configure_nl

SEED = Path(__file__).parent / "fixtures" / "registry_round1.json"
ENTRY_ID = "01JOPENHEMHUB0000000000000"
METER_SUBENTRY_ID = "01JOPENHEMP1METER000000000"


@pytest.fixture
async def server(socket_enabled: None) -> AsyncGenerator[TelegramServer]:
    """A TCP P1 dongle on 127.0.0.1."""
    server = await TelegramServer().start()
    yield server
    await server.stop()


def hub_with_meter(port: int) -> MockConfigEntry:
    """An ENTSO-E hub with one network P1 meter, with fixed ids (the flow's title)."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Open HEM",
        data={
            "connection": "3x25",
            "price_source": "entsoe",
            "api_token": "secret",
            "bidding_zone": "NL",
        },
        options={},
        subentries_data=[
            ConfigSubentryData(
                data={
                    "source": "network",
                    "host": "127.0.0.1",
                    "port": port,
                    "dsmr_version": "5",
                    "update_interval": 5,
                },
                subentry_id=METER_SUBENTRY_ID,
                subentry_type="p1_meter",
                title="P1 meter (127.0.0.1:2323)",
                unique_id="network:127.0.0.1",
            )
        ],
        version=1,
        minor_version=1,
    )


async def _set_up(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    server: TelegramServer,
) -> MockConfigEntry:
    await configure_nl(hass)
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=a44(TODAY))
    entry = hub_with_meter(server.port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    await server.send(telegram_bytes(V5))
    await wait_for(lambda: hass.states.get("sensor.gas_meter_gas") is not None)
    await hass.async_block_till_done()
    return entry


def _registry_view(hass: HomeAssistant, entry: MockConfigEntry) -> list[dict[str, Any]]:
    """Every entity of the entry, as the registry holds it, in a stable order."""
    registry = er.async_get(hass)
    return [
        {
            "entity_id": e.entity_id,
            "unique_id": e.unique_id,
            "config_subentry_id": e.config_subentry_id,
            "device_class": e.device_class or e.original_device_class,
            "entity_category": e.entity_category,
            "disabled_by": e.disabled_by,
            "translation_key": e.translation_key,
            "unit_of_measurement": e.unit_of_measurement,
        }
        for e in sorted(
            er.async_entries_for_config_entry(registry, entry.entry_id), key=lambda e: e.unique_id
        )
    ]


async def test_entities_and_states(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    server: TelegramServer,
    snapshot: SnapshotAssertion,
) -> None:
    """A hub with prices and a P1 meter: registry entries and states as users see them."""
    entry = await _set_up(hass, aioclient_mock, freezer, server)
    view = _registry_view(hass, entry)
    assert view == snapshot(name="registry")
    states = {
        item["entity_id"]: hass.states.get(item["entity_id"])
        for item in view
        if item["disabled_by"] is None
    }
    assert states == snapshot(name="states")


async def test_diagnostics(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    server: TelegramServer,
    snapshot: SnapshotAssertion,
) -> None:
    """The diagnostics download, with the token and host redacted."""
    entry = await _set_up(hass, aioclient_mock, freezer, server)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = json.dumps(diagnostics)
    assert "secret" not in text
    assert "127.0.0.1" not in text
    assert diagnostics == snapshot(exclude=lambda prop, path: prop == "port")


async def test_existing_install_keeps_ids(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    server: TelegramServer,
) -> None:
    """A registry as round 1 left it is reused entry for entry: no id changes, no duplicates."""
    seed: list[dict[str, Any]] = json.loads(SEED.read_text())
    entry = hub_with_meter(server.port)
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    devices = dr.async_get(hass)
    meter_device = devices.async_get_or_create(
        config_entry_id=entry.entry_id,
        config_subentry_id=METER_SUBENTRY_ID,
        identifiers={(DOMAIN, METER_SUBENTRY_ID)},
        name="P1 meter (127.0.0.1:2323)",
    )
    for item in seed:
        domain, object_id = item["entity_id"].split(".", 1)
        created = registry.async_get_or_create(
            domain,
            DOMAIN,
            item["unique_id"],
            suggested_object_id=object_id,
            config_entry=entry,
            config_subentry_id=item["config_subentry_id"],
            device_id=meter_device.id if item["config_subentry_id"] else None,
            disabled_by=er.RegistryEntryDisabler(item["disabled_by"])
            if item["disabled_by"]
            else None,
        )
        assert created.entity_id == item["entity_id"]
    await configure_nl(hass)
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=a44(TODAY))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    await server.send(telegram_bytes(V5))
    await wait_for(lambda: hass.states.get("sensor.gas_meter_gas") is not None)
    await hass.async_block_till_done()

    after = {
        e.unique_id: e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
    }
    assert after == {item["unique_id"]: item["entity_id"] for item in seed}
    for item in seed:
        if item["disabled_by"] is None:
            assert hass.states.get(item["entity_id"]) is not None, item["entity_id"]
