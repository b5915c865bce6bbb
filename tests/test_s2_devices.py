"""S2 devices in a real Home Assistant: the subentry flow issues a token, s2-python RMs connect
to Home Assistant's own HTTP server with it, and their sessions reach the entities."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from s2python.common import CommodityQuantity

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.devices.native.config_flow import websocket_url
from custom_components.open_hem.devices.native.const import CONF_CONTROL_TYPE, SUBENTRY_S2_DEVICE
from custom_components.open_hem.devices.native.manager import S2Device
from custom_components.open_hem.devices.native.tokens import async_get_tokens
from tests.s2_helpers import BatteryRm, HeatPumpRm, PvRm, Rm, add_s2_device, asset, wait_for


@pytest.fixture
async def hub(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """The hub entry on a Home Assistant with its HTTP server and an internal URL."""
    assert await async_setup_component(hass, "http", {})
    await hass.config.async_update(internal_url="http://homeassistant.local:8123")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
async def client(hass_client_no_auth: Any) -> Any:
    """An HTTP client of Home Assistant's real server, without a Home Assistant user."""
    return await hass_client_no_auth()


@pytest.fixture
async def rms() -> AsyncGenerator[list[Rm]]:
    """RMs started by a test are stopped after it."""
    started: list[Rm] = []
    yield started
    for rm in started:
        await rm.stop()


def _device(entry: MockConfigEntry, subentry_id: str) -> S2Device:
    assert entry.runtime_data.s2 is not None
    return entry.runtime_data.s2.devices[subentry_id]


def _entity_id(hass: HomeAssistant, platform: str, subentry_id: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{subentry_id}_{key}")
    assert entity_id is not None, key
    return entity_id


def _state(hass: HomeAssistant, platform: str, subentry_id: str, key: str) -> str:
    state = hass.states.get(_entity_id(hass, platform, subentry_id, key))
    assert state is not None, key
    return state.state


async def _refused(client: Any, path: str, headers: dict[str, str] | None = None) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await client.ws_connect(path, headers=headers or {})
    return err.value.status


async def test_flow_token_session_entities_and_control_type(
    hass: HomeAssistant, hub: MockConfigEntry, client: Any, rms: list[Rm]
) -> None:
    """A battery that also offers OMBC: FRBC by default, OMBC when the user picks it."""
    subentry_id, path, token = await add_s2_device(hass, hub)
    assert path.startswith("/api/open_hem/s2/")
    # Added live: the hub was not reloaded, the device is there with its entities.
    assert _state(hass, "sensor", subentry_id, "connection_state") == "disconnected"
    assert _state(hass, "sensor", subentry_id, "power") == STATE_UNAVAILABLE
    assert _state(hass, "select", subentry_id, "control_type") == STATE_UNAVAILABLE

    battery, heat_pump = BatteryRm(), HeatPumpRm()
    rm = Rm([battery, heat_pump], asset())
    rms.append(rm)
    await rm.connect(client, path, token)
    await wait_for(battery.active.is_set)
    await wait_for(lambda: _state(hass, "sensor", subentry_id, "power") == "3300.0")

    assert _state(hass, "sensor", subentry_id, "connection_state") == "active"
    assert _state(hass, "sensor", subentry_id, "fill_level") == "50.0"
    fill = hass.states.get(_entity_id(hass, "sensor", subentry_id, "fill_level"))
    assert fill is not None
    assert fill.attributes["unit_of_measurement"] == "%"
    assert _state(hass, "sensor", subentry_id, "operation_mode") == "idle"
    assert _state(hass, "sensor", subentry_id, "instruction_status") == STATE_UNKNOWN
    select = hass.states.get(_entity_id(hass, "select", subentry_id, "control_type"))
    assert select is not None
    assert select.state == "fill_rate_based_control"
    assert select.attributes["options"] == [
        "fill_rate_based_control",
        "operation_mode_based_control",
    ]
    power = hass.states.get(_entity_id(hass, "sensor", subentry_id, "power"))
    assert power is not None
    assert power.attributes["state_class"] == "measurement"
    assert power.attributes["unit_of_measurement"] == "W"
    # Per-phase power: diagnostic entities, disabled by default, one per reported phase.
    registry = er.async_get(hass)
    for phase in "123":
        entry = registry.async_get(_entity_id(hass, "sensor", subentry_id, f"power_l{phase}"))
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert entry.entity_category is not None
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, subentry_id), hub.entry_id)
    assert device is not None
    assert (device.name, device.manufacturer, device.model, device.sw_version) == (
        "Home battery",
        "Acme Energy",
        "B10",
        "1.2.3",
    )
    assert device.config_subentry_id == subentry_id

    # The user picks OMBC: the RM switches, and the choice is kept in the subentry.
    await hass.services.async_call(
        "select",
        "select_option",
        {
            "entity_id": _entity_id(hass, "select", subentry_id, "control_type"),
            "option": "operation_mode_based_control",
        },
        blocking=True,
    )
    await wait_for(heat_pump.active.is_set)
    await hass.async_block_till_done()
    assert _state(hass, "select", subentry_id, "control_type") == "operation_mode_based_control"
    assert _state(hass, "sensor", subentry_id, "operation_mode") == heat_pump.hp.off
    assert hub.subentries[subentry_id].data[CONF_CONTROL_TYPE] == "operation_mode_based_control"
    assert hub.state is ConfigEntryState.LOADED
    assert _device(hub, subentry_id).stats.connects == 1  # no reload dropped the session

    # A reconnect uses the remembered control type straight away.
    await rm.stop()
    await wait_for(
        lambda: _state(hass, "sensor", subentry_id, "connection_state") == "disconnected"
    )
    assert _state(hass, "sensor", subentry_id, "power") == STATE_UNAVAILABLE
    battery2, heat_pump2 = BatteryRm(), HeatPumpRm()
    rm2 = Rm([battery2, heat_pump2], asset())
    rms.append(rm2)
    await rm2.connect(client, path, token)
    await wait_for(heat_pump2.active.is_set)
    assert battery2.activations == 0
    # Safe default: nothing was ever instructed.
    assert battery.instructions == heat_pump.instructions == heat_pump2.instructions == []


async def test_pv_and_not_connected_errors(
    hass: HomeAssistant, hub: MockConfigEntry, client: Any, rms: list[Rm]
) -> None:
    """A PEBC PV inverter: negative power, no fill level or operation mode."""
    subentry_id, path, token = await add_s2_device(hass, hub, "Solar", "automatic")
    device = _device(hub, subentry_id)
    with pytest.raises(ServiceValidationError) as err:
        await device.async_select_control_type("power_envelope_based_control")
    assert err.value.translation_key == "s2_not_connected"

    pv = PvRm()
    rm = Rm([pv], asset(provides_power_measurements=[CommodityQuantity.ELECTRIC_POWER_L1]))
    rms.append(rm)
    await rm.connect(client, path, token)
    await wait_for(pv.active.is_set)
    await wait_for(lambda: _state(hass, "sensor", subentry_id, "power") == "-1500.0")
    assert _state(hass, "select", subentry_id, "control_type") == "power_envelope_based_control"
    assert _state(hass, "sensor", subentry_id, "operation_mode") == STATE_UNKNOWN
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{subentry_id}_fill_level") is None
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{subentry_id}_power_l2") is None
    with pytest.raises(ServiceValidationError) as err:
        await device.async_select_control_type("fill_rate_based_control")
    assert err.value.translation_key == "s2_control_type_not_offered"


async def test_deleting_the_device_revokes_its_token_and_drops_the_session(
    hass: HomeAssistant, hub: MockConfigEntry, client: Any, rms: list[Rm]
) -> None:
    """Deleted: the session ends at once, the token is refused (401), the entities go."""
    subentry_id, path, token = await add_s2_device(hass, hub)
    other_id, other_path, other_token = await add_s2_device(hass, hub, "Heat pump")
    battery = BatteryRm()
    rm = Rm([battery], asset())
    rms.append(rm)
    await rm.connect(client, path, token)
    heat_pump = HeatPumpRm()
    other = Rm([heat_pump], asset())
    rms.append(other)
    await other.connect(client, other_path, other_token)
    await wait_for(lambda: battery.active.is_set() and heat_pump.active.is_set())
    entity_id = _entity_id(hass, "sensor", subentry_id, "power")

    assert hass.config_entries.async_remove_subentry(hub, subentry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: rm.closed)
    assert await _refused(client, path, {"Authorization": f"Bearer {token}"}) == 401
    tokens = await async_get_tokens(hass)
    assert _device(hub, other_id).node_id in tokens
    assert path.rsplit("/", 1)[1] not in tokens
    assert hass.states.get(entity_id) is None
    assert er.async_get(hass).async_get(entity_id) is None
    # The other device was not touched (no reload).
    assert not other.closed
    assert _device(hub, other_id).stats.connects == 1
    assert hub.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-the-token"},
    ],
)
async def test_bad_tokens_are_refused_before_the_upgrade(
    hass: HomeAssistant, hub: MockConfigEntry, client: Any, headers: dict[str, str]
) -> None:
    """No, malformed or wrong bearer tokens: 401, and no session starts."""
    subentry_id, path, _token = await add_s2_device(hass, hub)
    assert await _refused(client, path, headers) == 401
    assert _device(hub, subentry_id).session is None
    assert _device(hub, subentry_id).stats.refused == 1


async def test_tokens_of_other_nodes_users_and_unknown_nodes_are_refused(
    hass: HomeAssistant, hub: MockConfigEntry, client: Any, hass_access_token: str
) -> None:
    """A token is only good for its own node; a Home Assistant user token is no device token."""
    _first, path, token = await add_s2_device(hass, hub)
    _second, other_path, other_token = await add_s2_device(hass, hub, "Heat pump")
    assert await _refused(client, path, {"Authorization": f"Bearer {other_token}"}) == 401
    assert await _refused(client, other_path, {"Authorization": f"Bearer {token}"}) == 401
    assert await _refused(client, path, {"Authorization": f"Bearer {hass_access_token}"}) == 401
    unknown = "/api/open_hem/s2/00000000-0000-4000-8000-000000000000"
    assert await _refused(client, unknown, {"Authorization": f"Bearer {token}"}) == 401
    assert hub.runtime_data.s2 is not None
    assert hub.runtime_data.s2.refused == 4
    # A valid token on a plain request: the endpoint only speaks WebSocket.
    response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status == 400
    # Not running: refused before the token is looked at.
    assert await hass.config_entries.async_unload(hub.entry_id)
    response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status == 503


async def test_reconfigure_issues_a_new_token_and_changes_the_control_type(
    hass: HomeAssistant, hub: MockConfigEntry, client: Any, rms: list[Rm]
) -> None:
    """A new token revokes the old one (its session ends); the control type follows live."""
    subentry_id, path, token = await add_s2_device(hass, hub)
    battery, heat_pump = BatteryRm(), HeatPumpRm()
    rm = Rm([battery, heat_pump], asset())
    rms.append(rm)
    await rm.connect(client, path, token)
    await wait_for(battery.active.is_set)

    # The control type only: applied to the running session.
    result = await hub.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"control_type": "operation_mode_based_control"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await wait_for(heat_pump.active.is_set)
    assert _device(hub, subentry_id).control_type == "operation_mode_based_control"

    # Back to automatic: the preference order picks FRBC again.
    result = await hub.start_subentry_reconfigure_flow(hass, subentry_id)
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"control_type": "automatic"}
    )
    await wait_for(lambda: battery.activations == 2)
    assert not rm.closed

    # A new token: shown once, valid from the confirmation on, the old one is refused.
    result = await hub.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"control_type": "automatic", "new_token": True}
    )
    assert result["step_id"] == "token"
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    new_token = placeholders["token"]
    assert new_token != token
    assert placeholders["url"].endswith(path)
    assert not rm.closed  # nothing changes before the confirmation
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    await hass.async_block_till_done()
    await wait_for(lambda: rm.closed)
    assert await _refused(client, path, {"Authorization": f"Bearer {token}"}) == 401
    battery2 = BatteryRm()
    rm2 = Rm([battery2], asset())
    rms.append(rm2)
    await rm2.connect(client, path, new_token)
    await wait_for(battery2.active.is_set)


async def test_a_new_connection_replaces_the_old_one(
    hass: HomeAssistant, hub: MockConfigEntry, client: Any, rms: list[Rm]
) -> None:
    """An RM whose connection died unseen comes back at once; the older session ends."""
    subentry_id, path, token = await add_s2_device(hass, hub)
    first, second = BatteryRm(), BatteryRm()
    rm1, rm2 = Rm([first], asset()), Rm([second], asset())
    rms.extend([rm1, rm2])
    await rm1.connect(client, path, token)
    await wait_for(first.active.is_set)
    await rm2.connect(client, path, token)
    await wait_for(second.active.is_set)
    await wait_for(lambda: rm1.closed)
    assert not rm2.closed
    device = _device(hub, subentry_id)
    assert device.stats.connects == 2
    assert device.state == "active"


async def test_unload_and_stop_close_every_session(
    hass: HomeAssistant, hub: MockConfigEntry, client: Any, rms: list[Rm]
) -> None:
    """Unloading closes each session cleanly (no task lingers); so does stopping."""
    started: list[tuple[Rm, BatteryRm]] = []
    for name in ("One", "Two"):
        _subentry_id, path, token = await add_s2_device(hass, hub, name)
        battery = BatteryRm()
        rm = Rm([battery], asset())
        rms.append(rm)
        await rm.connect(client, path, token)
        started.append((rm, battery))
    await wait_for(lambda: all(b.active.is_set() for _, b in started))
    devices = hub.runtime_data.s2
    assert devices is not None
    assert await hass.config_entries.async_unload(hub.entry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: all(rm.closed for rm, _ in started))
    assert all(d.session is not None and d.session.closed for d in devices.devices.values())
    assert all(not d._serving for d in devices.devices.values())

    # Set up again: the tokens still work; stopping Home Assistant ends the sessions too.
    assert await hass.config_entries.async_setup(hub.entry_id)
    await hass.async_block_till_done()
    devices = hub.runtime_data.s2
    assert devices is not None
    device = next(iter(devices.devices.values()))
    battery = BatteryRm()
    rm = Rm([battery], asset())
    rms.append(rm)
    path = f"/api/open_hem/s2/{device.node_id}"
    tokens = await async_get_tokens(hass)
    await tokens.async_set(device.node_id, "a-test-token-of-enough-length-0123456789")
    await rm.connect(client, path, "a-test-token-of-enough-length-0123456789")
    await wait_for(battery.active.is_set)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    await wait_for(lambda: rm.closed)


async def test_flow_without_an_internal_url_aborts(
    hass: HomeAssistant, hub: MockConfigEntry
) -> None:
    """Without a known address the URL cannot be shown: a translated abort."""
    result = await hass.config_entries.subentries.async_init(
        (hub.entry_id, SUBENTRY_S2_DEVICE), context={"source": "user"}
    )
    with patch(
        "custom_components.open_hem.devices.native.config_flow.get_url",
        side_effect=NoURLAvailableError,
    ):
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"name": " ", "control_type": "automatic"}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_url"
    assert not [s for s in hub.subentries.values() if s.subentry_type == SUBENTRY_S2_DEVICE]


async def test_https_url_and_reconfigure_without_changes(
    hass: HomeAssistant, hub: MockConfigEntry
) -> None:
    """An https internal URL gives a wss URL; an unchanged reconfigure changes nothing."""
    await hass.config.async_update(internal_url="https://ha.example.lan")
    subentry_id, path, token = await add_s2_device(hass, hub, "Secure")
    assert path.startswith("/api/open_hem/s2/")
    result = await hub.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"control_type": "automatic"}
    )
    assert result["reason"] == "reconfigure_successful"
    tokens = await async_get_tokens(hass)
    assert tokens.valid(_device(hub, subentry_id).node_id, token)
    assert websocket_url(hass, "node").startswith("wss://ha.example.lan/api/open_hem/s2/node")
