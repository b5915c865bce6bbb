"""S2 resource managers for the Home Assistant tests: s2-python's own RM classes
(``ResourceManagerHandler`` + ``FRBCControlType``/``OMBCControlType``/``PEBCControlType``) in an
``S2AsyncConnection`` over the core's aiohttp medium, connected to Home Assistant's real HTTP
server with a device token."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any
import uuid

import aiohttp
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from s2python.common import (
    Commodity,
    CommodityQuantity,
    Duration,
    PowerMeasurement,
    PowerValue,
    Role,
    RoleType,
)
from s2python.connection.asset_details import AssetDetails
from s2python.connection.async_.connection import S2AsyncConnection
from s2python.connection.async_.control_type.class_based import (
    FRBCControlType,
    OMBCControlType,
    PEBCControlType,
    ResourceManagerHandler,
    S2ControlType,
)

from custom_components.open_hem.core.s2.transport import AiohttpMedium
from custom_components.open_hem.devices.hub import ControlledDevice
from custom_components.open_hem.devices.native.const import SUBENTRY_S2_DEVICE
from tests.core.s2.devices import Battery, OnOffHeatPump, pv_constraints
from tests.entries import hub_entry
from tests.prices_helpers import URL, a44, configure_nl

type ClientFactory = Callable[[], Awaitable[Any]]

PHASE_VALUES = {
    CommodityQuantity.ELECTRIC_POWER_L1: 1000.0,
    CommodityQuantity.ELECTRIC_POWER_L2: 1100.0,
    CommodityQuantity.ELECTRIC_POWER_L3: 1200.0,
}


async def wait_for(cond: Callable[[], Any], within: float = 5.0) -> None:
    """Poll ``cond`` until it is true (fails the test after ``within`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not cond():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def asset(**overrides: Any) -> AssetDetails:
    """A three-phase battery as an RM describes itself."""
    values: dict[str, Any] = {
        "resource_id": uuid.UUID("0b5ad3c0-0000-4000-8000-000000000001"),
        "provides_forecast": False,
        "provides_power_measurements": list(PHASE_VALUES),
        "instruction_processing_delay": Duration(root=0),
        "roles": [Role(role=RoleType.ENERGY_STORAGE, commodity=Commodity.ELECTRICITY)],
        "name": "Home battery",
        "manufacturer": "Acme Energy",
        "model": "B10",
        "firmware_version": "1.2.3",
        "serial_number": "SN-0042-SECRET",
    }
    values.update(overrides)
    return AssetDetails(**values)


class _Recording:
    """What every test control type shares: activation, recorded instructions."""

    def _init_recording(self, phases: dict[CommodityQuantity, float] | None = None) -> None:
        self.instructions: list[Any] = []
        self.activations = 0
        self.active = asyncio.Event()
        self.connection: S2AsyncConnection | None = None
        self.phases = PHASE_VALUES if phases is None else phases

    async def handle_instruction(self, connection: Any, msg: Any, send_okay: Any) -> None:
        self.instructions.append(msg)
        await send_okay()

    async def send(self, message: Any) -> None:
        assert self.connection is not None
        await self.connection.send_msg_and_await_reception_status(message)

    async def measure(self, values: dict[CommodityQuantity, float]) -> None:
        await self.send(
            PowerMeasurement(
                message_id=uuid.uuid4(),
                measurement_timestamp=datetime.now(UTC),
                values=[PowerValue(commodity_quantity=q, value=v) for q, v in values.items()],
            )
        )

    async def _activate(self, connection: S2AsyncConnection, *messages: Any) -> None:
        self.connection = connection
        self.activations += 1
        for message in messages:
            await connection.send_msg_and_await_reception_status(message)
        await self.measure(self.phases)
        self.active.set()

    async def deactivate(self, connection: S2AsyncConnection) -> None:
        self.active.clear()


class BatteryRm(_Recording, FRBCControlType):
    """FRBC: a 10 kWh battery at 50 %."""

    def __init__(self, battery: Battery | None = None) -> None:
        self._init_recording()
        self.battery = battery or Battery(fill=50.0)

    async def activate(self, connection: Any) -> None:
        b = self.battery
        await self._activate(
            connection, b.system_description(), b.actuator_status(), b.storage_status()
        )


class HeatPumpRm(_Recording, OMBCControlType):
    """OMBC: an on/off heat pump, off."""

    def __init__(self) -> None:
        self._init_recording({CommodityQuantity.ELECTRIC_POWER_L1: 0.0})
        self.hp = OnOffHeatPump()

    async def activate(self, connection: Any) -> None:
        await self._activate(connection, self.hp.system_description(), self.hp.status())


class PvRm(_Recording, PEBCControlType):
    """PEBC: a curtailable PV inverter producing 1500 W."""

    def __init__(self) -> None:
        self._init_recording({CommodityQuantity.ELECTRIC_POWER_L1: -1500.0})

    async def activate(self, connection: Any) -> None:
        await self._activate(connection, pv_constraints())


class Rm:
    """An s2-python RM on an aiohttp client WebSocket to Home Assistant."""

    def __init__(self, control_types: list[S2ControlType], details: AssetDetails) -> None:
        self.control_types = control_types
        self.details = details
        self.connection: S2AsyncConnection | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.task: asyncio.Task[None] | None = None

    async def connect(self, client: Any, path: str, token: str, **kwargs: Any) -> None:
        self.ws = await client.ws_connect(
            path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        self.connection = S2AsyncConnection(AiohttpMedium(self.ws))
        ResourceManagerHandler(self.control_types, self.details).register_handlers(self.connection)
        self.task = asyncio.get_running_loop().create_task(self.connection.run())

    @property
    def closed(self) -> bool:
        return self.ws is None or self.ws.closed

    async def stop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.stop()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        if self.ws is not None:
            await self.ws.close()


async def add_s2_device(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    name: str = "Home battery",
    control_type: str = "automatic",
) -> tuple[str, str, str]:
    """Run the subentry flow; (subentry id, WebSocket path, token) as the user would copy them."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_S2_DEVICE), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": name, "control_type": control_type}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "token"
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    url, token = placeholders["url"], placeholders["token"]
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    subentry_id = next(
        s.subentry_id
        for s in entry.subentries.values()
        if s.subentry_type == SUBENTRY_S2_DEVICE and s.title == name
    )
    return subentry_id, "/" + url.split("/", 3)[3], token


async def priced_hub(hass: HomeAssistant, aioclient_mock: AiohttpClientMocker) -> MockConfigEntry:
    """The hub in the Netherlands with today's and tomorrow's ENTSO-E prices, on Home
    Assistant's real HTTP server (for the S2 WebSocket)."""
    await configure_nl(hass)
    today = dt_util.now().date()
    aioclient_mock.get(URL, text=a44(today, today + timedelta(days=1)))
    assert await async_setup_component(hass, "http", {})
    await hass.config.async_update(internal_url="http://homeassistant.local:8123")
    entry = hub_entry({"price_source": "entsoe", "api_token": "secret", "bidding_zone": "NL"})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def connect_ready(
    entry: MockConfigEntry, rm: Rm, client: Any, added: tuple[str, str, str]
) -> ControlledDevice:
    """Connect ``rm`` with the (subentry id, path, token) of ``add_s2_device``; its device in
    the hub once it can be planned."""
    subentry_id, path, token = added
    await rm.connect(client, path, token)
    for control_type in rm.control_types:
        await wait_for(control_type.active.is_set)  # type: ignore[attr-defined]
    device = entry.runtime_data.devices.get(subentry_id)
    assert device is not None
    await wait_for(lambda: device.ready)
    return device
