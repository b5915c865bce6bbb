"""The demo devices' numbers: battery setpoint (W), charging current (A), PV power limit (W)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import UnitOfElectricCurrent, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..data import OpenHemConfigEntry
from .const import BATTERY, EV_CHARGER, PV
from .entity import DemoEntity, add_demo_entities
from .home import DemoHome


@dataclass(frozen=True, kw_only=True)
class DemoNumberDescription(NumberEntityDescription):
    """A control of a demo device: how to read it and what setting it does."""

    device: str
    value_fn: Callable[[DemoHome], float]
    set_fn: Callable[[DemoHome, float], None]


NUMBERS = (
    DemoNumberDescription(
        key="setpoint",
        translation_key="demo_battery_setpoint",
        device=BATTERY,
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        native_min_value=-5000,
        native_max_value=5000,
        native_step=1,
        mode=NumberMode.BOX,
        value_fn=lambda home: home.battery_setpoint_w,
        set_fn=lambda home, value: home.set_battery_setpoint(value),
    ),
    DemoNumberDescription(
        key="charging_current",
        translation_key="demo_charging_current",
        device=EV_CHARGER,
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=0,
        native_max_value=16,
        native_step=1,
        value_fn=lambda home: home.ev_current_a,
        set_fn=lambda home, value: home.set_ev(current_a=value),
    ),
    DemoNumberDescription(
        key="power_limit",
        translation_key="demo_power_limit",
        device=PV,
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        native_min_value=0,
        native_max_value=4600,
        native_step=10,
        mode=NumberMode.BOX,
        value_fn=lambda home: home.pv.max_ac_w if home.pv.limit_w is None else home.pv.limit_w,
        set_fn=lambda home, value: home.set_pv_limit(value),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The demo devices' numbers (only in the demo home)."""
    add_demo_entities(entry, async_add_entities, DemoNumber, ((d.device, d) for d in NUMBERS))


class DemoNumber(DemoEntity, NumberEntity):
    """A setting of a simulated device; the sim follows it at once."""

    domain = "number"
    entity_description: DemoNumberDescription

    @property
    def native_value(self) -> float:
        """Read from the home."""
        return self.entity_description.value_fn(self.home)

    async def async_set_native_value(self, value: float) -> None:
        """Tell the sim."""
        self.entity_description.set_fn(self.home, value)
        self.home.async_changed()
