"""Price sensors on the Open HEM hub device (added by sensor.py's setup)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from ..core.prices.analysis import PriceLevel
from ..data import OpenHemConfigEntry
from ..entity import OpenHemHubEntity
from .coordinator import PriceCoordinator

# The currency code, as the Energy dashboard expects for a price entity (like nordpool).
EUR_PER_KWH = f"EUR/{UnitOfEnergy.KILO_WATT_HOUR}"


@dataclass(frozen=True, kw_only=True)
class PriceSensorDescription(SensorEntityDescription):
    """A price sensor: its value computed from the coordinator at a moment."""

    value_fn: Callable[[PriceCoordinator, datetime], Any]


def _price(
    key: str, value_fn: Callable[[PriceCoordinator, datetime], Any]
) -> PriceSensorDescription:
    return PriceSensorDescription(
        key=key,
        translation_key=key,
        native_unit_of_measurement=EUR_PER_KWH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=value_fn,
    )


def _stat(name: str) -> Callable[[PriceCoordinator, datetime], float | None]:
    def value(coordinator: PriceCoordinator, now: datetime) -> float | None:
        found = coordinator.today_stats(now)
        return None if found is None else float(getattr(found, name))

    return value


def _window(hours: int, *, cheapest: bool) -> PriceSensorDescription:
    kind = "cheapest" if cheapest else "expensive"
    return PriceSensorDescription(
        key=f"{kind}_window_{hours}h",
        translation_key=f"{kind}_window_{hours}h",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda c, now: c.window_start(now, hours, cheapest=cheapest),
    )


def _export(coordinator: PriceCoordinator, now: datetime) -> float | None:
    spot = coordinator.spot_at(now)
    return None if spot is None else coordinator.tariff.export_price(spot)


def _level(coordinator: PriceCoordinator, now: datetime) -> str | None:
    level = coordinator.level(now)
    return None if level is None else level.value


PRICE_SENSORS: tuple[PriceSensorDescription, ...] = (
    _price("current_price", lambda c, now: c.all_in_at(now)),
    _price("spot_price", lambda c, now: c.spot_at(now)),
    _price("next_price", lambda c, now: c.next_all_in(now)),
    _price("export_price", _export),
    _price("today_lowest_price", _stat("lowest")),
    _price("today_highest_price", _stat("highest")),
    _price("today_average_price", _stat("average")),
    *(_window(hours, cheapest=True) for hours in (1, 2, 3)),
    *(_window(hours, cheapest=False) for hours in (1, 2, 3)),
    PriceSensorDescription(
        key="price_level",
        translation_key="price_level",
        device_class=SensorDeviceClass.ENUM,
        options=[level.value for level in PriceLevel],
        value_fn=_level,
    ),
)


class PriceEntity(CoordinatorEntity[PriceCoordinator], OpenHemHubEntity):
    """An entity fed by the price coordinator, on the hub device."""

    def __init__(
        self,
        entry: OpenHemConfigEntry,
        coordinator: PriceCoordinator,
        description: EntityDescription,
    ) -> None:
        """Attach to the coordinator and the hub device."""
        CoordinatorEntity.__init__(self, coordinator)
        OpenHemHubEntity.__init__(self, entry, description)


class PriceSensor(PriceEntity, SensorEntity):
    """A price, a statistic, a window start or the price level."""

    entity_description: PriceSensorDescription

    @property
    def native_value(self) -> Any:
        """Computed for this moment; the coordinator ticks every quarter hour."""
        return self.entity_description.value_fn(self.coordinator, dt_util.utcnow())


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the price sensors when a price source is configured."""
    if (coordinator := entry.runtime_data.prices) is not None:
        async_add_entities(
            PriceSensor(entry, coordinator, description) for description in PRICE_SENSORS
        )
