"""Subentry flows of entity-backed devices: one subentry type per kind.

Steps: *user* (a name and, optionally, any entity of the device: its other entities are then
pre-filled from the same device), *entities* (state and control entities, each selector
filtered to the domains, device classes and units that fit), *params* (the physical
parameters, each with a default, and the mode select's options). *reconfigure* goes through
*entities* and *params* again with the present values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, cast

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntityFilterSelectorConfig,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TimeSelector,
)
import probatio

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
    CONF_NAME,
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

CONF_DEVICE_ENTITY = "device_entity"
POWER_UNITS = ("W", "kW")
PERCENT = ("%",)


def _f(
    domain: str, device_class: str | None = None, units: tuple[str, ...] | None = None
) -> EntityFilterSelectorConfig:
    config = EntityFilterSelectorConfig(domain=domain)
    if device_class:
        config["device_class"] = device_class
    if units:
        config["unit_of_measurement"] = list(units)
    return config


@dataclass(frozen=True)
class EntityField:
    """One entity a device can use: where it may come from, whether it is needed."""

    key: str
    filters: tuple[EntityFilterSelectorConfig, ...]
    required: bool = False
    units: tuple[str, ...] | None = None

    def matches(self, domain: str, device_class: str | None, unit: str | None) -> bool:
        """Whether an entity fits (device class and unit where the filter names them)."""
        for f in self.filters:
            if f.get("domain") != domain:
                continue
            if "device_class" in f and f["device_class"] != device_class:
                continue
            if "unit_of_measurement" in f and unit not in f["unit_of_measurement"]:
                continue
            return True
        return False


def _power(required: bool = False) -> EntityField:
    return EntityField(CONF_POWER, (_f("sensor", "power", POWER_UNITS),), required, POWER_UNITS)


def _binary(key: str, required: bool = False) -> EntityField:
    return EntityField(key, (_f("binary_sensor"), _f("input_boolean")), required)


def _switch(key: str, required: bool = False) -> EntityField:
    return EntityField(key, (_f("switch"), _f("input_boolean")), required)


def _number(key: str, units: tuple[str, ...], required: bool = False) -> EntityField:
    return EntityField(
        key, (_f("number", units=units), _f("input_number", units=units)), required, units
    )


def _temperature(key: str) -> EntityField:
    return EntityField(key, (_f("sensor", "temperature"),))


def _soc(key: str, required: bool = False) -> EntityField:
    return EntityField(
        key, (_f("sensor", "battery", PERCENT), _f("input_number", units=PERCENT)), required
    )


FIELDS: dict[DeviceKind, tuple[EntityField, ...]] = {
    DeviceKind.BATTERY: (
        _soc(CONF_SOC, required=True),
        _power(),
        _number(CONF_SETPOINT, POWER_UNITS, required=True),
        EntityField(CONF_MODE_SELECT, (_f("select"), _f("input_select"))),
    ),
    DeviceKind.EV_CHARGER: (
        _binary(CONF_PLUGGED, required=True),
        _power(),
        _soc(CONF_CAR_SOC),
        _number(CONF_CURRENT, ("A",), required=True),
        _switch(CONF_SWITCH),
    ),
    DeviceKind.HEAT_PUMP: (
        _power(),
        _binary(CONF_RUNNING),
        _temperature(CONF_INDOOR_TEMP),
        _temperature(CONF_TANK_TEMP),
        _switch(CONF_SWITCH),
        EntityField(CONF_CLIMATE, (_f("climate"),)),
        EntityField(CONF_WATER_HEATER, (_f("water_heater"),)),
        _number(CONF_POWER_LIMIT, POWER_UNITS),
    ),
    DeviceKind.PV_INVERTER: (_power(required=True), _number(CONF_POWER_LIMIT, POWER_UNITS)),
    DeviceKind.APPLIANCE: (
        EntityField(
            CONF_START,
            (_f("switch"), _f("button"), _f("input_boolean"), _f("input_button")),
            required=True,
        ),
        _binary(CONF_RUNNING),
        _power(),
        _binary(CONF_READY),
    ),
}

HEAT_PUMP_CONTROLS = (CONF_SWITCH, CONF_CLIMATE, CONF_WATER_HEATER, CONF_POWER_LIMIT)


@dataclass(frozen=True)
class Param:
    """A physical parameter: its bounds, step and unit (the default is in DEFAULTS)."""

    key: str
    low: float
    high: float
    step: float
    unit: str


PARAMS: dict[DeviceKind, tuple[Param | str, ...]] = {
    DeviceKind.BATTERY: (
        Param(CONF_CAPACITY_KWH, 0.5, 200, 0.1, "kWh"),
        Param(CONF_MAX_CHARGE_W, 100, 50_000, 50, "W"),
        Param(CONF_MAX_DISCHARGE_W, 100, 50_000, 50, "W"),
        Param(CONF_EFFICIENCY_PCT, 50, 100, 0.5, "%"),
        CONF_DISCHARGE_POSITIVE,
    ),
    DeviceKind.EV_CHARGER: (
        CONF_PHASES,
        Param(CONF_MIN_CURRENT_A, 6, 32, 1, "A"),
        Param(CONF_MAX_CURRENT_A, 6, 80, 1, "A"),
        Param(CONF_CAR_CAPACITY_KWH, 5, 250, 1, "kWh"),
        Param(CONF_TARGET_SOC_PCT, 10, 100, 5, "%"),
        CONF_DEPARTURE,
        Param(CONF_SESSION_ENERGY_KWH, 1, 150, 1, "kWh"),
    ),
    DeviceKind.HEAT_PUMP: (
        Param(CONF_RATED_POWER_W, 100, 30_000, 50, "W"),
        Param(CONF_MIN_POWER_W, 0, 30_000, 50, "W"),
        Param(CONF_COP, 1, 8, 0.1, "x"),
        Param(CONF_MIN_RUN_MIN, 0, 240, 5, "min"),
        Param(CONF_MIN_PAUSE_MIN, 0, 240, 5, "min"),
        Param(CONF_BOOST_K, 0, 5, 0.5, "°C"),
        Param(CONF_SETBACK_K, 0, 10, 0.5, "°C"),
        Param(CONF_COMFORT_LOW_C, 10, 30, 0.5, "°C"),
        Param(CONF_COMFORT_HIGH_C, 10, 30, 0.5, "°C"),
        Param(CONF_TANK_MIN_C, 20, 80, 1, "°C"),
        Param(CONF_TANK_MAX_C, 20, 90, 1, "°C"),
        Param(CONF_TANK_VOLUME_L, 20, 2000, 10, "L"),
    ),
    DeviceKind.PV_INVERTER: (Param(CONF_PEAK_W, 100, 100_000, 100, "W"),),
    DeviceKind.APPLIANCE: (
        Param(CONF_DURATION_MIN, 5, 600, 5, "min"),
        Param(CONF_AVERAGE_POWER_W, 10, 10_000, 10, "W"),
        CONF_LATEST_FINISH,
    ),
}


def _entities_schema(kind: DeviceKind) -> probatio.Schema:
    fields: dict[Any, Any] = {}
    for field in FIELDS[kind]:
        marker = probatio.Required if field.required else probatio.Optional
        fields[marker(field.key)] = EntitySelector(
            EntitySelectorConfig(filter=cast("Any", list(field.filters)))
        )
    return probatio.Schema(fields)


def _params_schema(kind: DeviceKind, select_options: list[str] | None) -> probatio.Schema:
    fields: dict[Any, Any] = {}
    for param in PARAMS[kind]:
        if isinstance(param, Param):
            fields[probatio.Required(param.key, default=DEFAULTS[param.key])] = NumberSelector(
                NumberSelectorConfig(
                    min=param.low,
                    max=param.high,
                    step=param.step,
                    unit_of_measurement=param.unit,
                    mode=NumberSelectorMode.BOX,
                )
            )
        elif param == CONF_DISCHARGE_POSITIVE:
            fields[probatio.Required(param, default=DEFAULTS[param])] = BooleanSelector()
        elif param == CONF_PHASES:
            fields[probatio.Required(param, default=DEFAULTS[param])] = SelectSelector(
                SelectSelectorConfig(
                    options=["1", "3"], mode=SelectSelectorMode.LIST, translation_key=param
                )
            )
        else:
            fields[probatio.Required(param, default=DEFAULTS[param])] = TimeSelector()
    if select_options:
        options = SelectSelectorConfig(options=select_options, mode=SelectSelectorMode.DROPDOWN)
        fields[probatio.Required(CONF_NORMAL_OPTION)] = SelectSelector(options)
        fields[probatio.Optional(CONF_CONTROL_OPTION)] = SelectSelector(options)
    return probatio.Schema(fields)


class EntityDeviceSubentryFlow(ConfigSubentryFlow):
    """Add or change one entity-backed device of :attr:`kind`."""

    kind: ClassVar[DeviceKind]

    def __init__(self) -> None:
        """Collect the device's settings across the steps."""
        self._data: dict[str, Any] = {}
        self._suggested: dict[str, Any] = {}

    @property
    def _reconfiguring(self) -> bool:
        return self.source == "reconfigure"

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A name, and any entity of the device to fill in the others from."""
        if user_input is not None:
            self._data = {CONF_NAME: user_input[CONF_NAME].strip()}
            if device_entity := user_input.get(CONF_DEVICE_ENTITY):
                self._suggested = self._prefill(device_entity)
            return await self.async_step_entities()
        schema = probatio.Schema(
            {
                probatio.Required(CONF_NAME): TextSelector(),
                probatio.Optional(CONF_DEVICE_ENTITY): EntitySelector(),
            }
        )
        return self.async_show_form(step_id="user", data_schema=schema)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the entities and parameters of a device."""
        subentry = self._get_reconfigure_subentry()
        self._data = {CONF_NAME: subentry.title}
        self._suggested = dict(subentry.data)
        return await self.async_step_entities()

    def _prefill(self, entity_id: str) -> dict[str, Any]:
        """The device's other entities, each in the first field it fits."""
        registry = er.async_get(self.hass)
        chosen = registry.async_get(entity_id)
        candidates = [entity_id]
        if chosen is not None and chosen.device_id is not None:
            candidates += [
                e.entity_id
                for e in er.async_entries_for_device(registry, chosen.device_id)
                if e.entity_id != entity_id and not e.disabled
            ]
        found: dict[str, Any] = {}
        for candidate in candidates:
            domain = candidate.split(".", 1)[0]
            entry = registry.async_get(candidate)
            device_class = None
            if entry is not None:
                device_class = entry.device_class or entry.original_device_class
            unit = self._unit(candidate) or (entry.unit_of_measurement if entry else None)
            for field in FIELDS[self.kind]:
                if field.key not in found and field.matches(domain, device_class, unit):
                    found[field.key] = candidate
                    break
        return found

    def _unit(self, entity_id: str) -> str | None:
        state = self.hass.states.get(entity_id)
        return None if state is None else state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)

    async def async_step_entities(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The state and control entities."""
        errors: dict[str, str] = {}
        if user_input is not None:
            for field in FIELDS[self.kind]:
                value = user_input.get(field.key)
                unit = self._unit(value) if value else None
                if field.units and unit is not None and unit not in field.units:
                    errors[field.key] = "wrong_unit"
            if self.kind is DeviceKind.HEAT_PUMP and not any(
                user_input.get(k) for k in HEAT_PUMP_CONTROLS
            ):
                errors["base"] = "no_control"
            if not errors:
                self._data = {
                    CONF_NAME: self._data[CONF_NAME],
                    **{k: v for k, v in user_input.items() if v},
                }
                return await self.async_step_params()
        suggested = user_input if user_input is not None else self._suggested
        return self.async_show_form(
            step_id="entities",
            data_schema=self.add_suggested_values_to_schema(_entities_schema(self.kind), suggested),
            errors=errors,
            description_placeholders={"name": self._data[CONF_NAME]},
        )

    def _select_options(self) -> list[str] | None:
        entity_id = self._data.get(CONF_MODE_SELECT)
        if not entity_id or (state := self.hass.states.get(entity_id)) is None:
            return None
        options = state.attributes.get("options") or []
        return [str(o) for o in options] or None

    async def async_step_params(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The physical parameters (defaults suit a common device)."""
        if user_input is not None:
            data = {**self._data, **user_input}
            name = data.pop(CONF_NAME)
            unique_id = f"{self.kind.value}:{self._data.get(FIELDS[self.kind][0].key) or name}"
            if self._reconfiguring:
                return self.async_update_and_abort(
                    self._get_entry(),
                    self._get_reconfigure_subentry(),
                    data=data,
                    title=name,
                    unique_id=unique_id,
                )
            if any(s.unique_id == unique_id for s in self._get_entry().subentries.values()):
                return self.async_abort(reason="already_configured")
            return self.async_create_entry(title=name, data=data, unique_id=unique_id)
        schema = _params_schema(self.kind, self._select_options())
        suggested = {k: v for k, v in self._suggested.items() if k in schema.schema}
        return self.async_show_form(
            step_id="params",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            description_placeholders={"name": self._data[CONF_NAME]},
        )


class BatterySubentryFlow(EntityDeviceSubentryFlow):
    """A home battery."""

    kind = DeviceKind.BATTERY


class EVChargerSubentryFlow(EntityDeviceSubentryFlow):
    """An EV charger."""

    kind = DeviceKind.EV_CHARGER


class HeatPumpSubentryFlow(EntityDeviceSubentryFlow):
    """A heat pump (and its hot-water tank)."""

    kind = DeviceKind.HEAT_PUMP


class PVInverterSubentryFlow(EntityDeviceSubentryFlow):
    """A PV inverter."""

    kind = DeviceKind.PV_INVERTER


class ApplianceSubentryFlow(EntityDeviceSubentryFlow):
    """A shiftable appliance (washing machine, dishwasher, dryer)."""

    kind = DeviceKind.APPLIANCE


SUBENTRY_FLOWS: dict[str, type[ConfigSubentryFlow]] = {
    flow.kind.value: flow
    for flow in (
        BatterySubentryFlow,
        EVChargerSubentryFlow,
        HeatPumpSubentryFlow,
        PVInverterSubentryFlow,
        ApplianceSubentryFlow,
    )
}
