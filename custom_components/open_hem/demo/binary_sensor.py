"""The demo devices' binary sensors: the car plugged in, the dishwasher running."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..data import OpenHemConfigEntry
from .const import DISHWASHER, EV_CHARGER
from .entity import DemoEntity, add_demo_entities
from .home import DemoHome


@dataclass(frozen=True, kw_only=True)
class DemoBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor of a demo device and how to read it."""

    device: str
    is_on_fn: Callable[[DemoHome], bool]


BINARY_SENSORS = (
    DemoBinarySensorDescription(
        key="car_plugged_in",
        translation_key="demo_car_plugged_in",
        device=EV_CHARGER,
        device_class=BinarySensorDeviceClass.PLUG,
        is_on_fn=lambda home: home.ev.plugged,
    ),
    DemoBinarySensorDescription(
        key="running",
        translation_key="demo_running",
        device=DISHWASHER,
        device_class=BinarySensorDeviceClass.RUNNING,
        is_on_fn=lambda home: home.dishwasher.running(home.sim.now),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The demo devices' binary sensors (only in the demo home)."""
    add_demo_entities(
        entry, async_add_entities, DemoBinarySensor, ((d.device, d) for d in BINARY_SENSORS)
    )


class DemoBinarySensor(DemoEntity, BinarySensorEntity):
    """A yes/no of a simulated device."""

    domain = "binary_sensor"
    entity_description: DemoBinarySensorDescription

    @property
    def is_on(self) -> bool:
        """Read from the home."""
        return self.entity_description.is_on_fn(self.home)
