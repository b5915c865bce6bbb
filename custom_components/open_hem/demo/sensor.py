"""The demo devices' sensors: SOCs, powers (W), energies (kWh) and the indoor temperature."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, UnitOfEnergy, UnitOfPower, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..data import OpenHemConfigEntry
from .const import BATTERY, DISHWASHER, EV_CHARGER, HEAT_PUMP, PV
from .entity import DemoEntity, add_demo_entities
from .home import DemoHome


@dataclass(frozen=True, kw_only=True)
class DemoSensorDescription(SensorEntityDescription):
    """A sensor of a demo device and how to read it from the home."""

    device: str
    value_fn: Callable[[DemoHome], float]


def _power(device: str, value_fn: Callable[[DemoHome], float]) -> DemoSensorDescription:
    return DemoSensorDescription(
        key="power",
        translation_key="demo_power",
        device=device,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=value_fn,
    )


def _energy(device: str, counter: str, key: str = "energy") -> DemoSensorDescription:
    return DemoSensorDescription(
        key=key,
        translation_key=f"demo_{key}",
        device=device,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda home: round(home.energy_kwh[counter], 4),
    )


def _soc(device: str, key: str, value_fn: Callable[[DemoHome], float]) -> DemoSensorDescription:
    return DemoSensorDescription(
        key=key,
        translation_key=f"demo_{key}",
        device=device,
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=value_fn,
    )


SENSORS: tuple[DemoSensorDescription, ...] = (
    _soc(BATTERY, "state_of_charge", lambda h: round(h.battery.soc * 100, 2)),
    # HA's battery sign (the Energy dashboard's): discharging positive.
    _power(BATTERY, lambda h: round(-h.battery.power_w, 1)),
    _energy(BATTERY, "battery_charge", "energy_charged"),
    _energy(BATTERY, "battery_discharge", "energy_discharged"),
    _soc(EV_CHARGER, "car_state_of_charge", lambda h: round(h.ev.car.soc * 100, 2)),
    _power(EV_CHARGER, lambda h: round(h.ev.power_w, 1)),
    _energy(EV_CHARGER, "ev"),
    DemoSensorDescription(
        key="indoor_temperature",
        translation_key="demo_indoor_temperature",
        device=HEAT_PUMP,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        value_fn=lambda h: round(h.heat_pump.house.indoor_c, 3),
    ),
    _power(HEAT_PUMP, lambda h: round(h.heat_pump.power_w, 1)),
    _energy(HEAT_PUMP, "heat_pump"),
    _power(PV, lambda h: round(h.pv.power_w, 1)),
    _energy(PV, "pv"),
    _power(DISHWASHER, lambda h: round(h.dishwasher.power_w, 1)),
    _energy(DISHWASHER, "dishwasher"),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The demo devices' sensors (only in the demo home)."""
    add_demo_entities(entry, async_add_entities, DemoSensor, ((d.device, d) for d in SENSORS))


class DemoSensor(DemoEntity, SensorEntity):
    """A value of a simulated device."""

    domain = "sensor"
    entity_description: DemoSensorDescription

    @property
    def native_value(self) -> float:
        """Read from the home."""
        return self.entity_description.value_fn(self.home)
