"""Entity-backed devices: an in-process S2 resource manager per device subentry.

Each subentry of a device kind (battery, EV charger, heat pump, PV inverter, appliance)
becomes an :class:`EntityBackedDevice`: the core's resource manager for its kind reads the
device's state entities and speaks S2 to a real ``CemSession`` over an in-memory link; the
session is what the planning loop sees (a :class:`~.hub.ControlledDevice` in the hub), so a
plan reaches these devices exactly as it reaches a native S2 device. Commands come back as
service calls (:mod:`.entity_io`).

Safe defaults: when Open HEM stops or unloads (a removed device reloads the entry), when the
device's mode leaves *auto*, or when all its state entities stay unavailable for
:data:`~.const.UNAVAILABLE_AFTER`, the device returns to what its owner configured
(``EntityWriter.async_restore``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime, timedelta
import functools
import logging
import time
from typing import Any

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import (
    async_call_later,
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..core.s2.rm import (
    ApplianceRM,
    BatteryRM,
    EVChargerRM,
    HeatPumpRM,
    InMemoryLink,
    PVInverterRM,
    ResourceManager,
    appliance_model,
    battery_model,
    ev_model,
    heat_pump_model,
    pv_model,
)
from ..data import OpenHemConfigEntry
from .const import CONF_CLIMATE, CONF_POWER, CONF_WATER_HEATER, ENTITY_KINDS, UNAVAILABLE_AFTER
from .entity_io import (
    READ_CONTROLS,
    STATE_KEYS,
    EntityWriter,
    available,
    params_for,
    power_sign,
    read_state,
)
from .hub import ControlledDevice, DeviceKind, DeviceMode, PlannerModel

_LOGGER = logging.getLogger(__name__)

_RM_CLASSES: dict[DeviceKind, Callable[..., ResourceManager]] = {
    DeviceKind.BATTERY: BatteryRM,
    DeviceKind.EV_CHARGER: EVChargerRM,
    DeviceKind.HEAT_PUMP: HeatPumpRM,
    DeviceKind.PV_INVERTER: PVInverterRM,
    DeviceKind.APPLIANCE: ApplianceRM,
}


class HassClock:
    """Home Assistant's time (so tests can travel in it)."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return dt_util.utcnow()


def issue_id(subentry_id: str) -> str:
    """The repair issue of a device that stopped answering."""
    return f"device_unavailable_{subentry_id}"


class EntityBackedDevice:
    """One entity-backed device: its RM, its CEM session, its place in the hub."""

    def __init__(
        self, hass: HomeAssistant, entry: OpenHemConfigEntry, subentry: ConfigSubentry
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.subentry = subentry
        self.kind = DeviceKind(subentry.subentry_type)
        self.data = dict(subentry.data)
        self.name = subentry.title
        self.params = params_for(self.kind, self.data)
        self.writer = EntityWriter(hass, self.kind, self.data)
        clock = HassClock()
        self.rm: ResourceManager = _RM_CLASSES[self.kind](
            self.name,
            self.params,
            actuate=self.writer.async_actuate,
            clock=clock,
            schedule=self._schedule,
            spawn=self._spawn,
        )
        self.link = InMemoryLink(self.rm, spawn=self._spawn, clock=clock)
        self.device = ControlledDevice(
            subentry_id=subentry.subentry_id,
            name=self.name,
            kind=self.kind,
            session=self.link.session,
            capture_model=self.capture_model,
            power_entity=self.data.get(CONF_POWER),
            power_sign=power_sign(self.kind, self.data),
        )
        self.unavailable = False
        self.applied_mode = DeviceMode.AUTO
        self._unavailable_timer: CALLBACK_TYPE | None = None
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._stopped = False
        self._stop_listener: CALLBACK_TYPE | None = None

    # -- plumbing --------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self.hass.async_create_task(coro, f"{DOMAIN} {self.name}", eager_start=False)

    def _schedule(self, at: datetime, job: Callable[[], None]) -> Callable[[], None]:
        @callback
        def fire(_: datetime) -> None:
            job()

        return async_track_point_in_utc_time(self.hass, fire, at)

    @property
    def state_entities(self) -> list[str]:
        return [self.data[k] for k in STATE_KEYS[self.kind] if self.data.get(k)]

    @property
    def controlled(self) -> bool:
        return self.device.mode is DeviceMode.AUTO and not self.unavailable

    # -- lifecycle -------------------------------------------------------------------

    async def async_start(self) -> None:
        """Read the entities, join the hub, open the S2 session, watch for changes."""
        self.rm.state = read_state(self.hass, self.kind, self.data)
        hub = self.entry.runtime_data.devices
        self._unsubscribe.append(hub.add(self.device))
        self._unsubscribe.append(hub.async_add_listener(self._on_hub_change))
        watched = [
            *self.state_entities,
            *(self.data[k] for k in READ_CONTROLS.get(self.kind, ()) if self.data.get(k)),
        ]
        self._unsubscribe.append(
            async_track_state_change_event(self.hass, watched, self._on_state_change)
        )
        self._stop_listener = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._on_hass_stop
        )
        await self.link.start()
        self._check_available()

    async def _on_hass_stop(self, _: Event) -> None:
        self._stop_listener = None
        await self.async_stop(at_shutdown=True)

    async def async_stop(self, *, at_shutdown: bool = False) -> None:
        """Give the device back to its owner and close the session."""
        if self._stopped:
            return
        self._stopped = True
        if self.controlled:
            await self.rm.set_controlled(False)
            await self.writer.async_restore()
        if self._unavailable_timer is not None:
            self._unavailable_timer()
            self._unavailable_timer = None
        if self._stop_listener is not None:
            self._stop_listener()
            self._stop_listener = None
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        await self.link.stop("Open HEM stopped" if at_shutdown else "device unloaded")

    # -- changes ---------------------------------------------------------------------

    @callback
    def _on_state_change(self, event: Event[Any]) -> None:
        if event.data["entity_id"] in (
            self.data.get(CONF_CLIMATE),
            self.data.get(CONF_WATER_HEATER),
        ):
            self.writer.remember_temperatures()
        old = self.rm.state
        self.rm.state = read_state(self.hass, self.kind, self.data)
        self._spawn(self.rm.refresh())
        self._check_available()
        if getattr(old, "plugged_in", None) != getattr(self.rm.state, "plugged_in", None):
            self.entry.runtime_data.devices.notify()

    @callback
    def _on_hub_change(self) -> None:
        if self.device.mode is not self.applied_mode and not self._stopped:
            self._spawn(self._apply_mode())

    async def _apply_mode(self) -> None:
        old, new = self.applied_mode, self.device.mode
        if old is new:
            return
        self.applied_mode = new
        _LOGGER.debug("%s: mode %s -> %s", self.name, old, new)
        await self.rm.set_controlled(self.controlled)
        if old is DeviceMode.AUTO and not self.unavailable:
            await self.writer.async_restore()

    @callback
    def _check_available(self) -> None:
        entities = self.state_entities
        gone = bool(entities) and not any(available(self.hass, e) for e in entities)
        if not gone:
            if self._unavailable_timer is not None:
                self._unavailable_timer()
                self._unavailable_timer = None
            if self.unavailable:
                self._spawn(self._back())
            return
        if self._unavailable_timer is None and not self.unavailable:
            self._unavailable_timer = async_call_later(
                self.hass, UNAVAILABLE_AFTER, self._on_unavailable
            )

    @callback
    def _on_unavailable(self, _: datetime) -> None:
        self._unavailable_timer = None
        self._spawn(self._gone())

    async def _gone(self) -> None:
        was_controlled = self.controlled
        self.unavailable = True
        _LOGGER.warning(
            "%s has not answered for %s: it is back on its own settings until it does",
            self.name,
            UNAVAILABLE_AFTER,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(self.subentry.subentry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="device_unavailable",
            translation_placeholders={"name": self.name},
        )
        await self.rm.set_controlled(False)
        if was_controlled:
            await self.writer.async_restore()
        self.entry.runtime_data.devices.notify()

    async def _back(self) -> None:
        if not self.unavailable:
            return
        self.unavailable = False
        _LOGGER.info("%s answers again", self.name)
        ir.async_delete_issue(self.hass, DOMAIN, issue_id(self.subentry.subentry_id))
        await self.rm.set_controlled(self.controlled)
        self.entry.runtime_data.devices.notify()

    # -- the planner's view ----------------------------------------------------------

    def capture_model(self) -> PlannerModel:
        """On the event loop: the device's S2 state and entity readings now, to build its
        planner model from (None when off, unavailable or not ready)."""
        if self.device.mode is DeviceMode.OFF or self.unavailable:
            return _no_model
        control = self.link.session.control
        return functools.partial(
            _entity_model,
            kind=self.kind,
            # None while measurement-only: a PV inverter is then planned around, uncurtailed
            control=None if control is None else control.frozen(),
            name=self.name,
            params=self.params,
            state=self.rm.state,
        )


def _no_model(slot_start: Sequence[datetime], slot_duration: timedelta) -> None:
    return None


def _entity_model(
    slot_start: Sequence[datetime],
    slot_duration: timedelta,
    *,
    kind: DeviceKind,
    control: Any,
    name: str,
    params: Any,
    state: Any,
) -> Any:
    """The planner's device of an entity-backed device of ``kind`` (off the event loop:
    reads only its arguments)."""
    match kind:
        case DeviceKind.BATTERY:
            return battery_model(control, name, slot_start, slot_duration)
        case DeviceKind.EV_CHARGER:
            if not state.plugged_in:
                return None
            return ev_model(control, name, slot_start, slot_duration, params)
        case DeviceKind.HEAT_PUMP:
            return heat_pump_model(
                control, name, slot_start, slot_duration, params=params, state=state
            )
        case DeviceKind.PV_INVERTER:
            return pv_model(control, name, slot_start, slot_duration, params)
    return appliance_model(control, name, slot_start, slot_duration)


async def async_setup_entity_devices(hass: HomeAssistant, entry: OpenHemConfigEntry) -> None:
    """Start a device per entity-backed subentry; each returns to its default on unload."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type not in ENTITY_KINDS:
            continue
        device = EntityBackedDevice(hass, entry, subentry)
        entry.async_on_unload(device.async_stop)
        await device.async_start()
