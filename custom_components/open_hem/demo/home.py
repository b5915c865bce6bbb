"""The demo home's simulation inside Home Assistant: stepped by HA's clock, saved across restarts.

A :class:`DemoHome` owns an ``open_hem_core.sim.SimHome`` with every device. A timer steps it
every 10 s by the time Home Assistant says has passed (so time travel in tests moves it too);
after each step the demo entities are told, and the meter server sends the new telegram. The
devices' energy counters, SOCs, the indoor temperature and the meter's totals are kept in a
``Store`` so a restart carries on where the home was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..core.sim import (
    BatteryMode,
    MeterTotals,
    SimBattery,
    SimDishwasher,
    SimEVCharger,
    SimHeatPump,
    SimHome,
    SimPV,
)
from ..listeners import Listeners
from .const import (
    MAX_CATCH_UP_S,
    MAX_STEP_S,
    SAVE_EVERY_S,
    STEP_INTERVAL_S,
    STORAGE_KEY,
    STORAGE_VERSION,
)

_LOGGER = logging.getLogger(__name__)

# Energy counters (kWh, only go up), by key.
ENERGY_KEYS = (
    "battery_charge",
    "battery_discharge",
    "ev",
    "heat_pump",
    "pv",
    "dishwasher",
)


class DemoHome:
    """A simulated home that Home Assistant's clock moves on."""

    def __init__(self, hass: HomeAssistant, start: datetime) -> None:
        """A demo home at ``start`` in Home Assistant's time zone."""
        self.hass = hass
        # SimHome.demo's devices, kept typed (the demo home has every one).
        self.battery = SimBattery()
        self.ev = SimEVCharger()
        self.heat_pump = SimHeatPump()
        self.pv = SimPV()
        self.dishwasher = SimDishwasher()
        # The native S2 battery's cells: its own RM drives them (idle at first); the meter
        # sees them like every other device.
        self.s2_battery = SimBattery(name="s2_battery", mode=BatteryMode.IDLE)
        self.sim = SimHome(
            start,
            pv=self.pv,
            battery=self.battery,
            ev=self.ev,
            heat_pump=self.heat_pump,
            dishwasher=self.dishwasher,
            more_batteries=(self.s2_battery,),
        )
        self.energy_kwh: dict[str, float] = dict.fromkeys(ENERGY_KEYS, 0.0)
        self.steps = 0
        self._listeners: Listeners[[]] = Listeners()
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._saved_at = start
        # What the control entities show (HA's battery sign: discharging positive).
        self.battery_setpoint_w = 0.0
        self.ev_charging = True
        self.ev_current_a = self.ev.max_current_a
        self.heating = True

    # -- state across restarts ---------------------------------------------------------------

    async def async_load(self) -> None:
        """Take the saved state, if any (a bad file is ignored: the home starts afresh)."""
        saved = await self._store.async_load()
        if not saved:
            return
        try:
            self._restore(saved)
        except (KeyError, TypeError, ValueError) as err:
            _LOGGER.warning("Demo home: saved state unreadable (%s), starting afresh", err)

    def _restore(self, saved: dict[str, Any]) -> None:
        sim = self.sim
        totals = saved["totals"]
        sim.totals = MeterTotals(
            [float(v) for v in totals["import_kwh"]][:2],
            [float(v) for v in totals["export_kwh"]][:2],
            float(totals["gas_m3"]),
        )
        self.battery.soc = float(saved["battery_soc"])
        self.ev.car.soc = float(saved["car_soc"])
        self.heat_pump.house.indoor_c = float(saved["indoor_c"])
        self.heat_pump.setpoint_c = float(saved["setpoint_c"])
        self.s2_battery.soc = float(saved.get("s2_battery_soc", self.s2_battery.soc))
        for key in ENERGY_KEYS:
            self.energy_kwh[key] = float(saved["energy_kwh"].get(key, 0.0))
        controls = saved.get("controls", {})
        self.set_battery_setpoint(float(controls.get("battery_setpoint_w", 0.0)))
        self.set_battery_remote(bool(controls.get("battery_remote", False)))
        self.set_ev(bool(controls.get("ev_charging", True)), controls.get("ev_current_a"))
        self.set_pv_limit(controls.get("pv_limit_w"))
        self.set_heating(on=bool(controls.get("heating", True)))

    def _state(self) -> dict[str, Any]:
        sim = self.sim
        return {
            "totals": {
                "import_kwh": list(sim.totals.import_kwh),
                "export_kwh": list(sim.totals.export_kwh),
                "gas_m3": sim.totals.gas_m3,
            },
            "battery_soc": self.battery.soc,
            "car_soc": self.ev.car.soc,
            "indoor_c": self.heat_pump.house.indoor_c,
            "setpoint_c": self.heat_pump.setpoint_c,
            "s2_battery_soc": self.s2_battery.soc,
            "energy_kwh": dict(self.energy_kwh),
            "controls": {
                "battery_remote": self.battery_remote,
                "battery_setpoint_w": self.battery_setpoint_w,
                "ev_charging": self.ev_charging,
                "ev_current_a": self.ev_current_a,
                "pv_limit_w": self.pv.limit_w,
                "heating": self.heating,
            },
        }

    # -- running -----------------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Step every 10 s from now on."""
        self._unsub_timer = async_track_time_interval(
            self.hass, self._async_tick, timedelta(seconds=STEP_INTERVAL_S), name="open_hem demo"
        )

    async def async_stop(self) -> None:
        """Stop the timer and save where the home is."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        await self._store.async_save(self._state())

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` after every step and every command."""
        return self._listeners.add(listener)

    @callback
    def async_changed(self) -> None:
        """Tell the listeners (entities, meter server) that the home changed."""
        self._listeners.notify()

    @callback
    def _async_tick(self, now: datetime) -> None:
        self.async_step_to(dt_util.utcnow())

    @callback
    def async_step_to(self, now: datetime) -> None:
        """Step the home on to ``now`` (never back); a gap over two hours is skipped."""
        sim = self.sim
        behind = (now - sim.now).total_seconds()
        if behind <= 0:
            return
        if behind > MAX_CATCH_UP_S:
            sim.now = now.astimezone(sim.zone)
            behind = 0.0
        while behind > 1e-6:
            dt_s = min(MAX_STEP_S, behind)
            sim.step(dt_s)
            self._count(dt_s)
            behind -= dt_s
        self.steps += 1
        if (now - self._saved_at).total_seconds() >= SAVE_EVERY_S:
            self._saved_at = now
            self._store.async_delay_save(self._state, 0)
        self.async_changed()

    def _count(self, dt_s: float) -> None:
        energy = self.energy_kwh
        hours = dt_s / 3600
        battery_w = self.battery.power_w
        energy["battery_charge"] += max(battery_w, 0.0) * hours / 1000
        energy["battery_discharge"] += max(-battery_w, 0.0) * hours / 1000
        energy["ev"] += self.ev.power_w * hours / 1000
        energy["heat_pump"] += self.heat_pump.power_w * hours / 1000
        energy["pv"] += self.pv.power_w * hours / 1000
        energy["dishwasher"] += self.dishwasher.power_w * hours / 1000

    # -- what the entities read and command ------------------------------------------------------

    @property
    def battery_remote(self) -> bool:
        """Whether the battery follows its setpoint (else its own self-consumption)."""
        return self.battery.mode is BatteryMode.POWER

    def set_battery_remote(self, remote: bool) -> None:
        """Follow the setpoint (remote control) or the battery's own self-consumption."""
        if remote:
            self.battery.set_power(-self.battery_setpoint_w)
        else:
            self.battery.self_consumption()

    def set_battery_setpoint(self, watts: float) -> None:
        """The setpoint in HA's sign (discharging positive); followed in remote control."""
        self.battery_setpoint_w = float(watts)
        if self.battery_remote:
            self.set_battery_remote(True)

    def set_ev(self, charging: bool | None = None, current_a: float | None = None) -> None:
        """Charging on or off, and its current (below 6 A the charger pauses)."""
        ev = self.ev
        if charging is not None:
            self.ev_charging = charging
        if current_a is not None:
            self.ev_current_a = min(max(float(current_a), 0.0), ev.max_current_a)
        ev.set_current(self.ev_current_a if self.ev_charging else 0.0)

    def set_pv_limit(self, watts: float | None) -> None:
        """Limit the inverter (its full rating or None: no limit)."""
        pv = self.pv
        pv.set_limit(None if watts is None or watts >= pv.max_ac_w else watts)

    def set_heating(self, setpoint_c: float | None = None, on: bool | None = None) -> None:
        """The heat pump's thermostat: its setpoint, and heating on or off."""
        heat_pump = self.heat_pump
        if on is not None:
            self.heating = on
        if setpoint_c is not None:
            heat_pump.setpoint_c = float(setpoint_c)
        if self.heating:
            heat_pump.thermostat()
        else:
            heat_pump.off()

    def start_dishwasher(self) -> None:
        """Start the dishwasher's programme now (nothing happens while it runs)."""
        self.dishwasher.start(self.sim.now)

    def diagnostics(self) -> dict[str, Any]:
        """The sim's state for the diagnostics' demo section."""
        sim = self.sim
        return {
            "now": sim.now.isoformat(),
            "steps": self.steps,
            "net_w": round(sim.last.net_w, 1),
            "outdoor_c": round(sim.last.outdoor_c, 2),
            "devices_w": {name: round(w, 1) for name, w in sim.last.devices.items()},
            **self._state(),
        }
