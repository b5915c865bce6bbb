"""Home Assistant entities in and out for entity-backed devices.

In: a device's state entities become the core's plain state snapshot (units converted once:
power to W, temperatures to °C; the battery's power sign per the owner's option).
Out: the core's commands become service calls in each control entity's own domain
(``number``/``input_number.set_value``, ``select``/``input_select.select_option``,
``switch``/``input_boolean.turn_on``/``turn_off``, ``climate.set_temperature``,
``water_heater.set_temperature``, ``button.press``), awaited without blocking the loop.
A failing call is logged once (until one succeeds again) and reported as False, never raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, time, timedelta
import logging
from typing import Any

from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_TEMPERATURE,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import PowerConverter, TemperatureConverter

from ..core.s2.rm import (
    ApplianceParams,
    ApplianceState,
    BatteryParams,
    BatteryState,
    Command,
    EVParams,
    EVState,
    HeatPumpParams,
    HeatPumpState,
    PVParams,
    PVState,
    SetCurrent,
    SetLimit,
    SetMode,
    SetPower,
    Start,
)
from ..core.s2.units import ha_battery_power_to_s2, s2_to_ha_battery_power
from .const import (
    CONF_AVERAGE_POWER_W,
    CONF_BOOST_K,
    CONF_CAPACITY_KWH,
    CONF_CAR_CAPACITY_KWH,
    CONF_CAR_SOC,
    CONF_CLIMATE,
    CONF_COMFORT_HIGH_C,
    CONF_COMFORT_LOW_C,
    CONF_CONTROL_OPTION,
    CONF_COP,
    CONF_CURRENT,
    CONF_DEPARTURE,
    CONF_DISCHARGE_POSITIVE,
    CONF_DURATION_MIN,
    CONF_EFFICIENCY_PCT,
    CONF_INDOOR_TEMP,
    CONF_LATEST_FINISH,
    CONF_MAX_CHARGE_W,
    CONF_MAX_CURRENT_A,
    CONF_MAX_DISCHARGE_W,
    CONF_MIN_CURRENT_A,
    CONF_MIN_PAUSE_MIN,
    CONF_MIN_POWER_W,
    CONF_MIN_RUN_MIN,
    CONF_MODE_SELECT,
    CONF_NORMAL_OPTION,
    CONF_PEAK_W,
    CONF_PHASES,
    CONF_PLUGGED,
    CONF_POWER,
    CONF_POWER_LIMIT,
    CONF_RATED_POWER_W,
    CONF_READY,
    CONF_RUNNING,
    CONF_SESSION_ENERGY_KWH,
    CONF_SETBACK_K,
    CONF_SETPOINT,
    CONF_SOC,
    CONF_START,
    CONF_SWITCH,
    CONF_TANK_MAX_C,
    CONF_TANK_MIN_C,
    CONF_TANK_TEMP,
    CONF_TANK_VOLUME_L,
    CONF_TARGET_SOC_PCT,
    CONF_WATER_HEATER,
    DEFAULTS,
)
from .hub import DeviceKind

_LOGGER = logging.getLogger(__name__)

SERVICE_TIMEOUT_S = 30.0

STATE_KEYS: dict[DeviceKind, tuple[str, ...]] = {
    DeviceKind.BATTERY: (CONF_SOC, CONF_POWER),
    DeviceKind.EV_CHARGER: (CONF_PLUGGED, CONF_POWER, CONF_CAR_SOC),
    DeviceKind.HEAT_PUMP: (CONF_POWER, CONF_RUNNING, CONF_INDOOR_TEMP, CONF_TANK_TEMP),
    DeviceKind.PV_INVERTER: (CONF_POWER,),
    DeviceKind.APPLIANCE: (CONF_RUNNING, CONF_POWER, CONF_READY),
}
"""The entities whose states describe each kind (those configured are watched; a device
whose every one of them is unavailable has stopped answering)."""
READ_CONTROLS: dict[DeviceKind, tuple[str, ...]] = {
    DeviceKind.HEAT_PUMP: (CONF_SWITCH, CONF_CLIMATE, CONF_WATER_HEATER),
}
"""Control entities that are also read (watched, but no sign of the device answering): a
heat pump's switch is its operation mode; its thermostats hold the owner's setpoints."""


def _get(data: Mapping[str, Any], key: str) -> Any:
    return data.get(key, DEFAULTS.get(key))


def _num(data: Mapping[str, Any], key: str) -> float:
    return float(_get(data, key))


# -- reading ------------------------------------------------------------------------------


def available(hass: HomeAssistant, entity_id: str | None) -> bool:
    """Whether an entity exists and is not unavailable."""
    if not entity_id:
        return False
    state = hass.states.get(entity_id)
    return state is not None and state.state != STATE_UNAVAILABLE


def float_state(hass: HomeAssistant, entity_id: str | None) -> float | None:
    """An entity's state as a number (None when unknown or not a number)."""
    if not entity_id or (state := hass.states.get(entity_id)) is None:
        return None
    try:
        return float(state.state)
    except ValueError:
        return None


def power_w(hass: HomeAssistant, entity_id: str | None) -> float | None:
    """A power sensor in W (kW and MW converted)."""
    value = float_state(hass, entity_id)
    if value is None or entity_id is None:
        return None
    unit = hass.states.get(entity_id).attributes.get(ATTR_UNIT_OF_MEASUREMENT)  # type: ignore[union-attr]
    if unit in PowerConverter.VALID_UNITS and unit != UnitOfPower.WATT:
        return PowerConverter.convert(value, unit, UnitOfPower.WATT)
    return value


def temperature_c(hass: HomeAssistant, entity_id: str | None) -> float | None:
    """A temperature in °C (a climate entity's current temperature too)."""
    if not entity_id or (state := hass.states.get(entity_id)) is None:
        return None
    raw = state.attributes.get("current_temperature") if entity_id.startswith("climate.") else None
    try:
        value = float(raw if raw is not None else state.state)
    except TypeError, ValueError:
        return None
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT, hass.config.units.temperature_unit)
    if unit in TemperatureConverter.VALID_UNITS and unit != UnitOfTemperature.CELSIUS:
        return TemperatureConverter.convert(value, unit, UnitOfTemperature.CELSIUS)
    return value


def on_state(hass: HomeAssistant, entity_id: str | None) -> bool | None:
    """A binary state (None when unknown)."""
    if not entity_id or (state := hass.states.get(entity_id)) is None:
        return None
    if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    return state.state == STATE_ON


def next_time_of_day(value: str, now: datetime) -> datetime:
    """The next moment (UTC) at a local time of day (``HH:MM[:SS]``), at least a minute on."""
    local = dt_util.as_local(now)
    moment = datetime.combine(local.date(), time.fromisoformat(value), local.tzinfo)
    if moment <= local + timedelta(minutes=1):
        moment += timedelta(days=1)
    return dt_util.as_utc(moment)


# -- parameters and state per kind --------------------------------------------------------


def params_for(kind: DeviceKind, data: Mapping[str, Any]) -> Any:
    """The core's parameters of a device from its subentry data (defaults filled in)."""
    if kind is DeviceKind.BATTERY:
        return BatteryParams(
            capacity_wh=_num(data, CONF_CAPACITY_KWH) * 1000.0,
            max_charge_w=_num(data, CONF_MAX_CHARGE_W),
            max_discharge_w=_num(data, CONF_MAX_DISCHARGE_W),
            efficiency=_num(data, CONF_EFFICIENCY_PCT) / 100.0,
        )
    if kind is DeviceKind.EV_CHARGER:
        return EVParams(
            phases=int(_get(data, CONF_PHASES)),
            min_current_a=_num(data, CONF_MIN_CURRENT_A),
            max_current_a=_num(data, CONF_MAX_CURRENT_A),
            car_capacity_wh=_num(data, CONF_CAR_CAPACITY_KWH) * 1000.0,
            target_soc_pct=_num(data, CONF_TARGET_SOC_PCT),
            session_energy_wh=_num(data, CONF_SESSION_ENERGY_KWH) * 1000.0,
        )
    if kind is DeviceKind.HEAT_PUMP:
        return HeatPumpParams(
            rated_w=_num(data, CONF_RATED_POWER_W),
            min_w=_num(data, CONF_MIN_POWER_W),
            cop=_num(data, CONF_COP),
            min_run_s=_num(data, CONF_MIN_RUN_MIN) * 60.0,
            min_pause_s=_num(data, CONF_MIN_PAUSE_MIN) * 60.0,
            tank_min_c=_num(data, CONF_TANK_MIN_C),
            tank_max_c=_num(data, CONF_TANK_MAX_C),
            tank_volume_l=_num(data, CONF_TANK_VOLUME_L),
            comfort_low_c=_num(data, CONF_COMFORT_LOW_C),
            comfort_high_c=_num(data, CONF_COMFORT_HIGH_C),
            modulating=bool(data.get(CONF_POWER_LIMIT)),
        )
    if kind is DeviceKind.PV_INVERTER:
        return PVParams(
            peak_w=_num(data, CONF_PEAK_W), curtailable=bool(data.get(CONF_POWER_LIMIT))
        )
    return ApplianceParams(
        duration_s=_num(data, CONF_DURATION_MIN) * 60.0,
        power_w=_num(data, CONF_AVERAGE_POWER_W),
    )


def power_sign(kind: DeviceKind, data: Mapping[str, Any]) -> float:
    """The power entity's sign to consumption (as :func:`read_state` reads it)."""
    if kind is DeviceKind.PV_INVERTER:
        return -1.0
    if kind is DeviceKind.BATTERY and _get(data, CONF_DISCHARGE_POSITIVE):
        return -1.0
    return 1.0


def read_state(hass: HomeAssistant, kind: DeviceKind, data: Mapping[str, Any]) -> Any:
    """The core's state snapshot of a device from its entities now."""
    now = dt_util.utcnow()
    if kind is DeviceKind.BATTERY:
        power = power_w(hass, data.get(CONF_POWER))
        if power is not None and _get(data, CONF_DISCHARGE_POSITIVE):
            power = ha_battery_power_to_s2(power)
        return BatteryState(soc_pct=float_state(hass, data.get(CONF_SOC)), power_w=power)
    if kind is DeviceKind.EV_CHARGER:
        return EVState(
            plugged_in=bool(on_state(hass, data.get(CONF_PLUGGED))),
            power_w=power_w(hass, data.get(CONF_POWER)),
            car_soc_pct=float_state(hass, data.get(CONF_CAR_SOC)),
            departure=next_time_of_day(str(_get(data, CONF_DEPARTURE)), now),
        )
    if kind is DeviceKind.HEAT_PUMP:
        running = on_state(hass, data.get(CONF_RUNNING))
        if running is None:
            # Without a running sensor the switch Open HEM sets is the operation mode: a
            # modulating pump switched on at a low limit is "on", whatever its power reads.
            running = on_state(hass, data.get(CONF_SWITCH))
        return HeatPumpState(
            running=running,
            power_w=power_w(hass, data.get(CONF_POWER)),
            indoor_c=temperature_c(hass, data.get(CONF_INDOOR_TEMP) or data.get(CONF_CLIMATE)),
            tank_c=temperature_c(hass, data.get(CONF_TANK_TEMP)),
        )
    if kind is DeviceKind.PV_INVERTER:
        power = power_w(hass, data.get(CONF_POWER))
        return PVState(power_w=None if power is None else abs(power))
    power = power_w(hass, data.get(CONF_POWER))
    running = on_state(hass, data.get(CONF_RUNNING))
    if running is None:
        running = power is not None and power > 10.0
    ready = on_state(hass, data.get(CONF_READY)) if data.get(CONF_READY) else True
    return ApplianceState(
        ready=bool(ready),
        running=running,
        power_w=power,
        latest_end=next_time_of_day(str(_get(data, CONF_LATEST_FINISH)), now),
    )


# -- writing ------------------------------------------------------------------------------


class EntityWriter:
    """Carries out commands and the owner's default on one device's control entities."""

    def __init__(self, hass: HomeAssistant, kind: DeviceKind, data: Mapping[str, Any]) -> None:
        self.hass = hass
        self.kind = kind
        self.data = data
        self.failing = False
        self.normal_temperature: dict[str, float] = {}
        """Climate / water-heater setpoints the owner had (restored as the default)."""
        self._written_temperature: dict[str, float] = {}
        self.remember_temperatures()

    def remember_temperatures(self) -> None:
        """Take the owner's setpoints, unless they are the ones Open HEM wrote."""
        for key in (CONF_CLIMATE, CONF_WATER_HEATER):
            entity_id = self.data.get(key)
            if not entity_id or (state := self.hass.states.get(entity_id)) is None:
                continue
            value = state.attributes.get(ATTR_TEMPERATURE)
            if value is None:
                continue
            if self._written_temperature.get(entity_id) != float(value):
                self.normal_temperature[entity_id] = float(value)

    async def _call(self, service: str, entity_id: str, **data: Any) -> bool:
        domain = entity_id.split(".", 1)[0]
        try:
            async with asyncio.timeout(SERVICE_TIMEOUT_S):
                await self.hass.services.async_call(
                    domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
                )
        except Exception as err:  # any failure is reported, never raised into HA
            if not self.failing:
                _LOGGER.warning("%s.%s on %s failed: %s", domain, service, entity_id, err)
            self.failing = True
            return False
        if self.failing:
            _LOGGER.info("%s.%s on %s works again", domain, service, entity_id)
        self.failing = False
        return True

    def _limits(self, entity_id: str, default_max: float) -> tuple[float, float]:
        state = self.hass.states.get(entity_id)
        attrs = {} if state is None else state.attributes
        return float(attrs.get("min", 0.0)), float(attrs.get("max", default_max))

    async def _set_number(self, entity_id: str, value: float, unit_w: bool = False) -> bool:
        state = self.hass.states.get(entity_id)
        unit = None if state is None else state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        if unit_w and unit in PowerConverter.VALID_UNITS and unit != UnitOfPower.WATT:
            value = PowerConverter.convert(value, UnitOfPower.WATT, unit)
        lo, hi = self._limits(entity_id, value)
        return await self._call("set_value", entity_id, value=round(min(hi, max(lo, value)), 3))

    async def _switch(self, entity_id: str | None, on: bool) -> bool:
        if not entity_id:
            return True
        state = self.hass.states.get(entity_id)
        if state is not None and state.state == (STATE_ON if on else "off"):
            return True
        return await self._call("turn_on" if on else "turn_off", entity_id)

    async def _temperature(self, entity_id: str | None, value: float) -> bool:
        if not entity_id:
            return True
        self._written_temperature[entity_id] = value
        return await self._call("set_temperature", entity_id, temperature=value)

    async def _select(self, entity_id: str | None, option: str | None) -> bool:
        if not entity_id or not option:
            return True
        state = self.hass.states.get(entity_id)
        if state is not None and state.state == option:
            return True
        return await self._call("select_option", entity_id, option=option)

    async def async_actuate(self, command: Command) -> bool:
        """Carry out one command; False when a service call failed."""
        d = self.data
        match command:
            case SetPower(power_w=power):
                value = s2_to_ha_battery_power(power) if _get(d, CONF_DISCHARGE_POSITIVE) else power
                return await self._select(
                    d.get(CONF_MODE_SELECT), d.get(CONF_CONTROL_OPTION)
                ) and await self._set_number(d[CONF_SETPOINT], value, unit_w=True)
            case SetCurrent(amps=amps):
                if amps <= 0 and d.get(CONF_SWITCH):
                    return await self._switch(d[CONF_SWITCH], False)
                if amps <= 0:
                    return await self._set_number(d[CONF_CURRENT], 0.0)
                return await self._set_number(d[CONF_CURRENT], amps) and await self._switch(
                    d.get(CONF_SWITCH), True
                )
            case SetMode(mode=mode, power_w=power):
                return await self._heat_pump(mode == "on", power)
            case SetLimit(power_w=limit):
                entity_id = d[CONF_POWER_LIMIT]
                if limit is None:  # the number's own maximum, in its own unit
                    return await self._set_number(entity_id, self._limits(entity_id, 1e9)[1])
                return await self._set_number(entity_id, limit, unit_w=True)
            case Start():
                entity_id = d[CONF_START]
                if entity_id.startswith(("button.", "input_button.")):
                    return await self._call("press", entity_id)
                return await self._call("turn_on", entity_id)

    async def _heat_pump(self, on: bool, power: float) -> bool:
        d = self.data
        ok = await self._switch(d.get(CONF_SWITCH), on)
        if (climate := d.get(CONF_CLIMATE)) and climate in self.normal_temperature:
            shift = _num(d, CONF_BOOST_K) if on else -_num(d, CONF_SETBACK_K)
            ok = await self._temperature(climate, self.normal_temperature[climate] + shift) and ok
        if (heater := d.get(CONF_WATER_HEATER)) is not None:
            target = _num(d, CONF_TANK_MAX_C) if on else _num(d, CONF_TANK_MIN_C)
            ok = await self._temperature(heater, target) and ok
        if limit := d.get(CONF_POWER_LIMIT):
            ok = await self._set_number(limit, power if on else 0.0, unit_w=True) and ok
        return ok

    async def async_restore(self) -> bool:
        """Give the device back to its owner's default (what it does without Open HEM)."""
        d = self.data
        ok = True
        if self.kind is DeviceKind.BATTERY:
            ok = await self._set_number(d[CONF_SETPOINT], 0.0, unit_w=True)
            ok = await self._select(d.get(CONF_MODE_SELECT), d.get(CONF_NORMAL_OPTION)) and ok
        elif self.kind is DeviceKind.EV_CHARGER:
            ok = await self._set_number(d[CONF_CURRENT], _num(d, CONF_MAX_CURRENT_A))
            ok = await self._switch(d.get(CONF_SWITCH), True) and ok
        elif self.kind is DeviceKind.HEAT_PUMP:
            ok = await self._switch(d.get(CONF_SWITCH), True)
            for key in (CONF_CLIMATE, CONF_WATER_HEATER):
                entity_id = d.get(key)
                if entity_id and entity_id in self.normal_temperature:
                    value = self.normal_temperature[entity_id]
                    ok = await self._temperature(entity_id, value) and ok
            if limit := d.get(CONF_POWER_LIMIT):
                ok = await self._set_number(limit, self._limits(limit, 1e9)[1]) and ok
        elif self.kind is DeviceKind.PV_INVERTER and (limit := d.get(CONF_POWER_LIMIT)):
            ok = await self._set_number(limit, self._limits(limit, 1e9)[1])
        return ok
