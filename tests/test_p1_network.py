"""A P1 meter over TCP, end to end: a real TCP server, the coordinator, the entities."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
import itertools
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.p1.coordinator import P1Coordinator
from tests.p1_helpers import (
    FLUVIUS,
    V5,
    TelegramServer,
    changed,
    meter_entry,
    telegram_bytes,
    wait_for,
    with_crc,
)

IMPORT = "sensor.p1_meter_energy_import"
POWER = "sensor.p1_meter_power"


@pytest.fixture
async def server(socket_enabled: None) -> AsyncGenerator[TelegramServer]:
    """A TCP dongle on 127.0.0.1."""
    server = await TelegramServer().start()
    yield server
    await server.stop()


def network(server: TelegramServer, version: str = "5") -> dict[str, object]:
    """Subentry data for the server."""
    return {
        "source": "network",
        "host": "127.0.0.1",
        "port": server.port,
        "dsmr_version": version,
        "update_interval": 5,
    }


def coordinator_of(entry: object) -> P1Coordinator:
    """The entry's only meter."""
    meters = entry.runtime_data.meters  # type: ignore[attr-defined]
    assert len(meters) == 1
    return next(iter(meters.values()))


async def test_telegram_to_entities(hass: HomeAssistant, server: TelegramServer) -> None:
    """The first telegram creates the meter's entities with Energy-dashboard classes."""
    entry = meter_entry(network(server))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    await server.send(telegram_bytes(V5), chunk=100)
    await wait_for(lambda: hass.states.get(IMPORT) is not None)
    await hass.async_block_till_done()

    state = hass.states.get(IMPORT)
    assert state is not None
    assert state.state == "6.825"
    assert state.attributes["state_class"] == "total_increasing"
    assert state.attributes["device_class"] == "energy"
    assert state.attributes["unit_of_measurement"] == "kWh"
    export = hass.states.get("sensor.p1_meter_energy_export")
    assert export is not None
    assert export.state == "2.444"
    assert hass.states.get("sensor.p1_meter_energy_import_tariff_1").state == "4.426"
    power = hass.states.get(POWER)
    assert power.state == "244.0"
    assert power.attributes["state_class"] == "measurement"
    assert power.attributes["unit_of_measurement"] == "W"
    assert hass.states.get("sensor.p1_meter_tariff").state == "normal"
    gas = hass.states.get("sensor.gas_meter_gas")
    assert gas.state == "0.107"
    assert gas.attributes["state_class"] == "total_increasing"
    assert gas.attributes["device_class"] == "gas"
    assert gas.attributes["capture_time"] == "2017-01-02T15:10:05+00:00"
    # Diagnostics and per-phase values exist but are disabled by default.
    registry = er.async_get(hass)
    subentry_id = next(iter(entry.subentries))
    voltage = registry.async_get_entity_id("sensor", DOMAIN, f"{subentry_id}_voltage_l1")
    assert voltage is not None
    assert registry.async_get(voltage).disabled_by is er.RegistryEntryDisabler.INTEGRATION
    errors = registry.async_get_entity_id("sensor", DOMAIN, f"{subentry_id}_telegram_errors")
    assert registry.async_get(errors).entity_category == "diagnostic"
    assert registry.async_get(errors).config_subentry_id == subentry_id
    # No Belgian values on a Dutch meter, no water without a water meter.
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{subentry_id}_month_peak") is None
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{subentry_id}_water") is None
    # One meter device, the gas meter hangs off it.
    devices = dr.async_get(hass)
    meter = devices.async_get_device_by_identifier((DOMAIN, subentry_id), entry.entry_id)
    assert meter is not None
    assert meter.model == "ISk5\\2MT382-1000"
    assert meter.serial_number == "4B384547303034303436333935353037"
    gas_device = devices.async_get_device_by_identifier(
        (DOMAIN, f"{subentry_id}_gas"), entry.entry_id
    )
    assert gas_device is not None
    assert gas_device.via_device_id == meter.id

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_belgian_meter_entities(hass: HomeAssistant, server: TelegramServer) -> None:
    """A 5B meter gets capacity-tariff and water entities."""
    entry = meter_entry(network(server, "5B"))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    await server.send(telegram_bytes(FLUVIUS))
    await wait_for(lambda: hass.states.get("sensor.p1_meter_current_average_demand") is not None)
    assert hass.states.get("sensor.p1_meter_current_average_demand").state == "2351.0"
    peak = hass.states.get("sensor.p1_meter_peak_demand_this_month")
    assert peak.state == "2589.0"
    assert peak.attributes["capture_time"] == "2020-05-09T11:45:58+00:00"
    assert hass.states.get("sensor.water_meter_water").state == "872.234"
    assert hass.states.get("sensor.gas_meter_gas").state == "112.384"
    assert hass.states.get("sensor.p1_meter_tariff").state == "normal"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_power_is_averaged_and_totals_never_go_back(
    hass: HomeAssistant, server: TelegramServer, freezer: FrozenDateTimeFactory
) -> None:
    """Power states are the interval's mean; a backwards total is dropped and counted."""
    entry = meter_entry(network(server))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    coordinator = coordinator_of(entry)
    await server.send(telegram_bytes(V5))  # 244 W at t=0
    await wait_for(lambda: hass.states.get(POWER) is not None)
    for watts, kwh in ((0, "000004.426"), (0, "000004.430"), (0, "000004.431"), (5000, "000004.1")):
        freezer.tick(timedelta(seconds=1))
        telegram = changed(V5, "00.244*kW", f"{watts / 1000:06.3f}*kW")
        telegram = telegram.replace("000004.426", kwh)
        await server.send(with_crc(telegram).encode())
        await wait_for(lambda w=watts: coordinator.reading.power_import_w == w)
    # Still the value after the first telegram: entities are written once per interval.
    assert hass.states.get(POWER).state == "244.0"
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(POWER).state == str(round((244 + 0 + 0 + 0 + 5000) / 5, 1))
    # The last telegram's 4.1 kWh went backwards: dropped, 4.431 + 2.399 stays.
    assert hass.states.get("sensor.p1_meter_energy_import_tariff_1").state == "4.431"
    assert hass.states.get(IMPORT).state == "6.83"
    assert coordinator.guard.dropped == 2  # tariff 1 and the total derived from it
    await hass.config_entries.async_unload(entry.entry_id)


async def test_bad_input_is_counted_not_logged(
    hass: HomeAssistant, server: TelegramServer, caplog: pytest.LogCaptureFixture
) -> None:
    """CRC failures, garbage and split reads are counted at debug level, nothing above."""
    entry = meter_entry(network(server))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    coordinator = coordinator_of(entry)
    caplog.clear()
    caplog.set_level(logging.INFO)
    bad_crc = telegram_bytes(V5).replace(b"00.244*kW", b"09.244*kW")
    for _ in range(20):
        await server.send(b"\xff\x00garbage" + bad_crc, chunk=33)
    await server.send(telegram_bytes(V5), chunk=5)
    await wait_for(lambda: coordinator.reading is not None)
    assert coordinator.errors == 40
    assert [r for r in caplog.records if r.levelno >= logging.INFO and "open_hem" in r.name] == []
    assert hass.states.get(IMPORT).state == "6.825"
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_silence_reconnect_and_recovery(
    hass: HomeAssistant,
    server: TelegramServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """60 s without a telegram: unavailable, one warning, reconnect; one info on recovery."""
    entry = meter_entry(network(server))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    await server.send(telegram_bytes(V5))
    await wait_for(lambda: hass.states.get(IMPORT) is not None)
    assert hass.states.get(IMPORT).state == "6.825"

    # 59 s of silence: still fine.
    for _ in range(59 // 5):
        freezer.tick(timedelta(seconds=5))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert hass.states.get(IMPORT).state == "6.825"

    # Past 60 s: the watchdog gives up on the connection.
    freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(IMPORT).state == STATE_UNAVAILABLE
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "P1" in r.message]
    assert len(warnings) == 1
    assert "no data for 60 s" in warnings[0].message

    # The reconnect comes after the backoff and finds the dongle again.
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await server.wait_connected(2)
    await server.send(telegram_bytes(V5))
    await wait_for(lambda: hass.states.get(IMPORT).state == "6.825")
    infos = [r for r in caplog.records if r.levelno == logging.INFO and "again" in r.message]
    assert len(infos) == 1
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_dropped_connection_backoff_is_capped(
    hass: HomeAssistant,
    server: TelegramServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The dongle goes away: retries at 1, 2, 4 ... s, never more than 60 s apart; one warning."""
    entry = meter_entry(network(server))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    await server.send(telegram_bytes(V5))
    await wait_for(lambda: hass.states.get(IMPORT) is not None)
    coordinator = coordinator_of(entry)
    await server.stop()  # drop the connection and refuse new ones
    await wait_for(lambda: not coordinator.connected)
    await hass.async_block_till_done()
    assert hass.states.get(IMPORT).state == STATE_UNAVAILABLE

    attempts: list[float] = []
    original = coordinator._async_connect

    async def counting_connect() -> None:
        attempts.append(freezer.time_to_freeze.timestamp())  # type: ignore[attr-defined]
        await original()

    coordinator._async_connect = counting_connect  # type: ignore[method-assign]
    for _ in range(400):
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        # Let the refused connect come back within this (frozen) second.
        await wait_for(lambda: coordinator._retry is not None)
    gaps = [round(b - a) for a, b in itertools.pairwise(attempts)]
    assert gaps[:5] == [2, 4, 8, 16, 32]
    assert set(gaps[6:]) == {60}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "P1" in r.message]
    assert len(warnings) == 1
    await hass.config_entries.async_unload(entry.entry_id)


async def test_removing_the_meter_stops_it(hass: HomeAssistant, server: TelegramServer) -> None:
    """Removing the subentry reloads the hub without the meter; its connection closes."""
    entry = meter_entry(network(server))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    await server.send(telegram_bytes(V5))
    await wait_for(lambda: hass.states.get(IMPORT) is not None)
    coordinator = coordinator_of(entry)
    subentry_id = next(iter(entry.subentries))
    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: coordinator._protocol is None)
    assert entry.runtime_data.meters == {}
    assert hass.states.get(IMPORT) is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_restored_total_bounds_the_next(
    hass: HomeAssistant, server: TelegramServer
) -> None:
    """After a restart, a total below the last recorded state never reaches the entity."""
    entry = meter_entry(network(server))
    subentry_id = next(iter(entry.subentries))
    registry = er.async_get(hass)
    entry.add_to_hass(hass)
    registry.async_get_or_create(
        "sensor", DOMAIN, f"{subentry_id}_energy_import_tariff_1",
        config_entry=entry, config_subentry_id=subentry_id,
        suggested_object_id="p1_meter_energy_import_tariff_1",
    )  # fmt: skip
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State("sensor.p1_meter_energy_import_tariff_1", "5.0"),
                {"native_value": 5.0, "native_unit_of_measurement": "kWh"},
            )
        ],
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    await server.send(telegram_bytes(V5))  # 4.426 kWh on tariff 1: below the restored 5.0
    await wait_for(lambda: hass.states.get(IMPORT) is not None)
    await hass.async_block_till_done()
    # The entity keeps the restored 5.0 instead of stepping back (a false meter reset).
    assert hass.states.get("sensor.p1_meter_energy_import_tariff_1").state == "5.0"
    await server.send(telegram_bytes(V5))
    await wait_for(lambda: coordinator_of(entry).guard.dropped == 1)
    assert hass.states.get("sensor.p1_meter_energy_import_tariff_1").state == "5.0"
    await hass.config_entries.async_unload(entry.entry_id)
