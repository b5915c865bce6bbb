"""The household's controllable devices as the planning loop sees them (public types).

Every device, native S2 or entity-backed, registers a :class:`ControlledDevice` here while it
is set up. The loop reads the devices, asks each for its planner model (in two steps: the
device's state captured on the event loop, the model built from that capture in the
executor), hands each its part of a plan, and listens for changes that call for a new plan.
This module is the device feature's whole public face: the loop imports nothing else from
``devices/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from homeassistant.core import CALLBACK_TYPE, callback

from ..core.s2.session import CemSession, ControlType
from ..listeners import Listeners


class DeviceKind(StrEnum):
    """What a device is to the household (decides its wishes, entities and safe default)."""

    BATTERY = "battery"
    EV_CHARGER = "ev_charger"
    HEAT_PUMP = "heat_pump"
    PV_INVERTER = "pv_inverter"
    APPLIANCE = "appliance"
    S2 = "s2"
    """A native S2 device whose kind follows from its control type."""


class DeviceMode(StrEnum):
    """Auto: planned and controlled; manual: planned around, not controlled; off: ignored."""

    AUTO = "auto"
    MANUAL = "manual"
    OFF = "off"


class PlannerModel(Protocol):
    """Builds the planner's model of one device for a horizon."""

    def __call__(self, slot_start: Sequence[datetime], slot_duration: timedelta) -> Any:
        """The planner device (``open_hem_core.planner`` dataclass), or None when not ready."""


class ModelCapture(Protocol):
    """Takes the device's state now (S2 state and config), on the event loop."""

    def __call__(self) -> PlannerModel:
        """A :class:`PlannerModel` over a copy of that state, which later messages leave
        unchanged: the planning loop builds the model in the executor."""


@dataclass(kw_only=True)
class ControlledDevice:
    """One device: its name, kind, mode and the CEM session that reaches it."""

    subentry_id: str
    name: str
    kind: DeviceKind
    session: CemSession
    capture_model: ModelCapture
    mode: DeviceMode = DeviceMode.AUTO
    power_entity: str | None = None
    """A sensor whose long-term statistics hold the device's electric power, so the base-load
    forecast can leave out what the device drew."""
    power_sign: float = 1.0
    """Its sign to consumption: -1 where the sensor counts production (PV) or discharge
    (a battery in Home Assistant's convention) positive."""
    plannable: Callable[[], bool] = lambda: True
    """False while the loop can only plan around the device for what it is (a native OMBC or
    DDBC RM): its past consumption then stays in the base-load forecast, which holds it."""

    def planner_model(self, slot_start: Sequence[datetime], slot_duration: timedelta) -> Any:
        """The planner device for a horizon from the state now (captured and built at once)."""
        return self.capture_model()(slot_start, slot_duration)

    @property
    def ready(self) -> bool:
        """Connected, with enough S2 state to be planned (or measurement-only)."""
        control = self.session.control
        if control is None:
            return self.measurement_only
        return not self.session.closed and control.ready

    @property
    def measurement_only(self) -> bool:
        """Connected in S2 NOT_CONTROLABLE (e.g. a PV inverter without a limit entity): it
        answers and its production or use is planned around, but it takes no instructions."""
        return (
            not self.session.closed
            and self.session.active_control_type is ControlType.NOT_CONTROLABLE
        )


@dataclass
class DeviceHub:
    """The registry of set-up devices, with change listeners (``entry.runtime_data.devices``)."""

    _devices: dict[str, ControlledDevice] = field(default_factory=dict)
    _listeners: Listeners[[]] = field(default_factory=Listeners)

    def __iter__(self) -> Iterator[ControlledDevice]:
        """The devices, in the order they were added."""
        return iter(list(self._devices.values()))

    def __len__(self) -> int:
        """How many devices are set up."""
        return len(self._devices)

    def get(self, subentry_id: str) -> ControlledDevice | None:
        """The device of a subentry, if it is set up."""
        return self._devices.get(subentry_id)

    @callback
    def add(self, device: ControlledDevice) -> CALLBACK_TYPE:
        """Register a device (replacing one with the same subentry); returns its removal."""
        self._devices[device.subentry_id] = device
        self.notify()

        @callback
        def remove() -> None:
            if self._devices.get(device.subentry_id) is device:
                del self._devices[device.subentry_id]
                self.notify()

        return remove

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` when a device is added, removed, or its model, mode or link changes."""
        return self._listeners.add(listener)

    @callback
    def notify(self) -> None:
        """Tell the listeners that something changed (devices call this)."""
        self._listeners.notify()
