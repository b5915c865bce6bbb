"""Planning-loop tests: real CemSessions linked in memory to s2-python's own RMs, in the hub.

The device feature's resource managers are written in parallel, so the tests register
devices in the hub themselves: a :class:`MemoryLink` connects our ``CemSession`` to an
s2-python ``ResourceManagerHandler`` (FRBC/OMBC/PEBC control types) through an in-memory
``S2AsyncMediumConnection``, the way a WebSocket would (no socket, no lingering timers).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any
import uuid

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from s2python.connection.async_.connection import S2AsyncConnection
from s2python.connection.async_.control_type.class_based import (
    FRBCControlType,
    OMBCControlType,
    PEBCControlType,
    PPBCControlType,
    ResourceManagerHandler,
)
from s2python.connection.async_.medium.s2_medium import (
    MediumClosedConnectionError,
    S2AsyncMediumConnection,
)
from s2python.frbc import FRBCStorageStatus, FRBCSystemDescription
from s2python.ppbc import PPBCPowerProfileStatus

from custom_components.open_hem.core.planner import (
    HeatPump,
    PVInverter,
    ShiftableLoad,
    ThermalHouse,
)
from custom_components.open_hem.core.s2.control import (
    FRBCHandler,
    OMBCHandler,
    PEBCHandler,
    PPBCHandler,
)
from custom_components.open_hem.core.s2.session import CemSession, EventKind, SessionConfig
from custom_components.open_hem.devices.hub import ControlledDevice, DeviceKind
from custom_components.open_hem.planner.loop import PlanningLoop

from .core.s2.devices import (
    Battery,
    OnOffHeatPump,
    dishwasher,
    not_scheduled,
    power,
    pv_constraints,
)
from .core.s2.harness import RecordingMixin, asset
from .entries import hub_entry

REPLAN = timedelta(seconds=3)


def devices_entry(*subentries: tuple[str, str], **options: Any) -> MockConfigEntry:
    """The ENTSO-E hub entry with one device subentry per (subentry id, title)."""
    return hub_entry(
        {"price_source": "entsoe", "api_token": "secret", "bidding_zone": "NL"},
        options=options,
        # A subentry type no feature sets up: the tests register these devices in the hub
        # themselves, each a real CemSession linked to an s2-python RM.
        subentries=[
            ConfigSubentryData(  # type: ignore[typeddict-unknown-key]
                data={}, subentry_id=sid, subentry_type="test_device", title=title, unique_id=sid
            )
            for sid, title in subentries
        ],
    )


class _Medium(S2AsyncMediumConnection):
    """The RM's end of the in-memory link."""

    def __init__(self, link: MemoryLink) -> None:
        self.link = link

    async def is_connected(self) -> bool:
        return not self.link.closed

    async def messages(self) -> AsyncGenerator[str | bytes]:
        while True:
            item = await self.link.to_rm.get()
            if item is None:
                raise MediumClosedConnectionError("link closed")
            yield item

    async def send(self, message: str) -> None:
        if self.link.closed:
            raise MediumClosedConnectionError("link closed")
        self.link.deliver_to_cem(message)


class MemoryLink:
    """A CemSession and an s2-python RM talking through two queues."""

    def __init__(
        self, rm_types: list[Any], rm_loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self.closed = False
        self.to_rm: asyncio.Queue[str | None] = asyncio.Queue()
        self.to_cem: asyncio.Queue[str | None] = asyncio.Queue()
        self.session = CemSession(
            self._send, close=self._close, config=SessionConfig(timer_interval_s=None)
        )
        self.connection = S2AsyncConnection(_Medium(self), eventloop=rm_loop)
        ResourceManagerHandler(rm_types, asset()).register_handlers(self.connection)
        self._tasks: list[asyncio.Task[None]] = []

    async def _send(self, text: str) -> None:
        if self.closed:
            raise ConnectionError("link closed")
        self.deliver_to_rm(text)

    def deliver_to_rm(self, text: str | None) -> None:
        """Put a frame (None: the link closed) in the RM's queue."""
        self.to_rm.put_nowait(text)

    def deliver_to_cem(self, text: str | None) -> None:
        """Put a frame (None: the link closed) in the CEM's queue."""
        self.to_cem.put_nowait(text)

    async def _close(self, reason: str) -> None:
        self.disconnect()

    async def _pump(self) -> None:
        while (frame := await self.to_cem.get()) is not None:
            await self.session.receive(frame)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self.connection.run()), loop.create_task(self._pump())]
        await self.session.start()

    def disconnect(self) -> None:
        """The link drops: both ends see it."""
        if self.closed:
            return
        self.closed = True
        self.deliver_to_rm(None)
        self.deliver_to_cem(None)
        self.session.connection_lost("link closed")

    async def stop(self) -> None:
        self.disconnect()
        await self.connection.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


# -- resource managers (s2-python's own RM classes) -------------------------------------------


class BatteryRm(RecordingMixin, FRBCControlType):
    """The 10 kWh, 5 kW test battery (FRBC, fill level in %)."""

    def __init__(self, battery: Battery | None = None) -> None:
        self._init_recording()
        self.battery = battery or Battery(fill=50.0)

    async def activate(self, connection: Any) -> None:
        b = self.battery
        await self._activate(
            connection, b.system_description(), b.actuator_status(), b.storage_status()
        )


class Car:
    """An EV behind an 11 kW charger (FRBC, charging only), 60 kWh, SOC in %."""

    def __init__(self, soc: float = 40.0) -> None:
        self.actuator, self.charge, self.idle = (str(uuid.uuid4()) for _ in range(3))
        self.soc = soc

    def system_description(self) -> FRBCSystemDescription:
        element = {"fill_level_range": {"start_of_range": 0.0, "end_of_range": 100.0}}
        per_s = 11000.0 / 60000.0 * 100.0 / 3600.0
        modes = [
            {
                "id": self.charge,
                "diagnostic_label": "charge",
                "elements": [
                    {
                        **element,
                        "fill_rate": {"start_of_range": 0.0, "end_of_range": per_s},
                        "power_ranges": power(0.0, 11000.0),
                    }
                ],
                "abnormal_condition_only": False,
            },
            {
                "id": self.idle,
                "diagnostic_label": "idle",
                "elements": [
                    {
                        **element,
                        "fill_rate": {"start_of_range": 0.0, "end_of_range": 0.0},
                        "power_ranges": power(0.0, 0.0),
                    }
                ],
                "abnormal_condition_only": False,
            },
        ]
        return FRBCSystemDescription.model_validate(
            {
                "message_type": "FRBC.SystemDescription",
                "message_id": str(uuid.uuid4()),
                "valid_from": datetime.now(UTC).isoformat(),
                "actuators": [
                    {
                        "id": self.actuator,
                        "diagnostic_label": "charger",
                        "supported_commodities": ["ELECTRICITY"],
                        "operation_modes": modes,
                        "transitions": [],
                        "timers": [],
                    }
                ],
                "storage": {
                    "diagnostic_label": "car",
                    "fill_level_label": "%",
                    "provides_leakage_behaviour": False,
                    "provides_fill_level_target_profile": False,
                    "provides_usage_forecast": False,
                    "fill_level_range": {"start_of_range": 0.0, "end_of_range": 100.0},
                },
            }
        )


class CarRm(RecordingMixin, FRBCControlType):
    def __init__(self, car: Car | None = None) -> None:
        self._init_recording()
        self.car = car or Car()

    async def activate(self, connection: Any) -> None:
        await self._activate(
            connection,
            self.car.system_description(),
            FRBCStorageStatus(message_id=uuid.uuid4(), present_fill_level=self.car.soc),
        )


class HeatPumpRm(RecordingMixin, OMBCControlType):
    def __init__(self) -> None:
        self._init_recording()
        self.hp = OnOffHeatPump()

    async def activate(self, connection: Any) -> None:
        await self._activate(connection, self.hp.system_description(), self.hp.status())


class PvRm(RecordingMixin, PEBCControlType):
    def __init__(self) -> None:
        self._init_recording()

    async def activate(self, connection: Any) -> None:
        await self._activate(connection, pv_constraints(3000.0))


class DishwasherRm(RecordingMixin, PPBCControlType):
    """PPBC: the test dishwasher (heat, eco or quick, then a rinse), startable from ``start``
    for 8 hours."""

    def __init__(self, start: datetime) -> None:
        self._init_recording()
        self.definition = dishwasher(start)

    def status(self) -> PPBCPowerProfileStatus:
        return not_scheduled(self.definition)

    async def activate(self, connection: Any) -> None:
        await self._activate(connection, self.definition, self.status())


# -- models the device feature would build -------------------------------------------------------
# Each takes the session's control handler as captured on the event loop (a frozen copy).


def _battery_model(control: Any, name: str) -> Callable[..., Any]:
    def model(slot_start: Any, slot_duration: timedelta) -> Any:
        if not isinstance(control, FRBCHandler) or not control.ready:
            return None
        return control.device_model(name, slot_start, kind="battery")

    return model


def _ev_model(control: Any, name: str) -> Callable[..., Any]:
    def model(slot_start: Any, slot_duration: timedelta) -> Any:
        if not isinstance(control, FRBCHandler) or not control.ready:
            return None
        return control.device_model(name, slot_start, kind="ev")

    return model


def _heat_pump_model(control: Any, name: str) -> Callable[..., Any]:
    def model(slot_start: Any, slot_duration: timedelta) -> HeatPump | None:
        if not isinstance(control, OMBCHandler) or not control.ready:
            return None
        house = ThermalHouse(
            ua_w_per_k=150.0,
            capacity_wh_per_k=3000.0,
            t_initial_c=20.0,
            comfort_low_c=19.0,
            comfort_high_c=22.0,
        )
        return control.device_model(name, house, slot_duration)

    return model


def _pv_model(control: Any, name: str) -> Callable[..., Any]:
    def model(slot_start: Any, slot_duration: timedelta) -> PVInverter | None:
        if not isinstance(control, PEBCHandler) or control.constraints is None:
            return None
        forecast = []
        for t in slot_start:
            local = dt_util.as_local(t)
            hour = local.hour + local.minute / 60
            forecast.append(max(0.0, 2500.0 * (1 - abs(hour - 13.0) / 5.0)))
        return control.pv_inverter(name, forecast)

    return model


def _appliance_model(control: Any, name: str) -> Callable[..., Any]:
    def model(slot_start: Any, slot_duration: timedelta) -> ShiftableLoad | None:
        if not isinstance(control, PPBCHandler) or not control.ready:
            return None
        return control.shiftable_load(name, slot_start, slot_duration)

    return model


def _frozen(control: Any) -> Any:
    return None if control is None else control.frozen()


MODELS = {
    DeviceKind.BATTERY: _battery_model,
    DeviceKind.EV_CHARGER: _ev_model,
    DeviceKind.HEAT_PUMP: _heat_pump_model,
    DeviceKind.PV_INVERTER: _pv_model,
    DeviceKind.APPLIANCE: _appliance_model,
}


async def add_device(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    subentry_id: str,
    kind: DeviceKind,
    rm_type: Any,
    name: str | None = None,
    make_link: Callable[[list[Any]], MemoryLink] = MemoryLink,
) -> tuple[ControlledDevice, MemoryLink]:
    """Connect ``rm_type`` and register the device in the hub, as the device feature will."""
    link = make_link([rm_type])
    hub = entry.runtime_data.devices
    name = name or subentry_id
    device = ControlledDevice(
        subentry_id=subentry_id,
        name=name,
        kind=kind,
        session=link.session,
        capture_model=lambda: MODELS[kind](_frozen(link.session.control), name),
    )

    def on_event(event: Any) -> None:
        if event.kind in (
            EventKind.MODEL_CHANGED,
            EventKind.REPLAN,
            EventKind.CLOSED,
            EventKind.CONTROL_TYPE,
        ):
            hub.notify()

    link.session.add_listener(on_event)
    await link.start()
    await wait_for(lambda: rm_type.active.is_set() and device.ready)
    remove = hub.add(device)
    entry.async_on_unload(remove)
    return device, link


async def wait_for(cond: Callable[[], Any], rounds: int = 2000) -> None:
    """Let the event loop run until ``cond`` holds (no timed sleeps: the clock is frozen)."""
    for _ in range(rounds):
        if cond():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not met")


async def replan(hass: HomeAssistant, freezer: Any) -> None:
    """Let the debounced replan run (moves the frozen clock by a few seconds)."""
    freezer.tick(REPLAN)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def loop_of(entry: MockConfigEntry) -> PlanningLoop:
    loop: PlanningLoop | None = entry.runtime_data.planner
    assert loop is not None
    return loop
