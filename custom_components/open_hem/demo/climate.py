"""The demo heat pump's thermostat: heat or off, a target and the house's indoor temperature."""

from __future__ import annotations

from typing import Any

from homeassistant.components.climate import ClimateEntity, ClimateEntityDescription
from homeassistant.components.climate.const import ClimateEntityFeature, HVACMode
from homeassistant.const import ATTR_TEMPERATURE, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..data import OpenHemConfigEntry
from .const import HEAT_PUMP
from .entity import DemoEntity, add_demo_entities

THERMOSTAT = ClimateEntityDescription(key="thermostat", translation_key="demo_thermostat")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The demo heat pump's climate entity (only in the demo home)."""
    add_demo_entities(entry, async_add_entities, DemoThermostat, [(HEAT_PUMP, THERMOSTAT)])


class DemoThermostat(DemoEntity, ClimateEntity):
    """The heat pump's own thermostat; the house follows the sim's thermal model."""

    domain = "climate"
    _attr_supported_features = (
        ClimateEntityFeature.TARGET_TEMPERATURE
        | ClimateEntityFeature.TURN_ON
        | ClimateEntityFeature.TURN_OFF
    )
    _attr_temperature_unit = UnitOfTemperature.CELSIUS
    _attr_target_temperature_step = 0.5
    _attr_min_temp = 10.0
    _attr_max_temp = 26.0

    @property
    def hvac_modes(self) -> list[HVACMode]:
        """Heat (its own thermostat) or off."""
        return [HVACMode.HEAT, HVACMode.OFF]

    @property
    def hvac_mode(self) -> HVACMode:
        """Heating, or off."""
        return HVACMode.HEAT if self.home.heating else HVACMode.OFF

    @property
    def current_temperature(self) -> float:
        """The house's indoor temperature."""
        return round(self.home.heat_pump.house.indoor_c, 2)

    @property
    def target_temperature(self) -> float:
        """The thermostat's setpoint."""
        return self.home.heat_pump.setpoint_c

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """A new setpoint."""
        if (temperature := kwargs.get(ATTR_TEMPERATURE)) is not None:
            self.home.set_heating(setpoint_c=float(temperature))
            self.home.async_changed()

    async def async_set_hvac_mode(self, hvac_mode: HVACMode) -> None:
        """Heat or off."""
        self.home.set_heating(on=hvac_mode == HVACMode.HEAT)
        self.home.async_changed()
