"""Price sensors on the Open HEM hub device (added by sensor.py's setup).

Each sensor is an ``EntityDescription`` whose ``value_fn`` reads the priced series (the
coordinator's data, with the tariff applied once per update) at the current moment.
"""

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

from ..core.prices import DayStats, PricedSeries, PricedSlot, PriceLevel
from ..data import OpenHemConfigEntry
from ..entity import OpenHemHubEntity
from .coordinator import PriceCoordinator

# The currency code, as the Energy dashboard expects for a price entity (like nordpool).
EUR_PER_KWH = f"EUR/{UnitOfEnergy.KILO_WATT_HOUR}"

type ValueFn = Callable[[PricedSeries, datetime], Any]


@dataclass(frozen=True, kw_only=True)
class PriceSensorDescription(SensorEntityDescription):
    """A price sensor: its value read from the priced series at a moment."""

    value_fn: ValueFn


def _price(key: str, value_fn: ValueFn) -> PriceSensorDescription:
    return PriceSensorDescription(
        key=key,
        translation_key=key,
        native_unit_of_measurement=EUR_PER_KWH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=value_fn,
    )


def _slot(read: Callable[[PricedSlot], float], *, ahead: bool = False) -> ValueFn:
    """A value of the display slot at the moment (or of the next one)."""

    def value(series: PricedSeries, now: datetime) -> float | None:
        slot = series.next_slot(now) if ahead else series.slot_at(now)
        return None if slot is None else read(slot)

    return value


def _stat(read: Callable[[DayStats], float]) -> ValueFn:
    def value(series: PricedSeries, now: datetime) -> float | None:
        found = series.day_stats(now)
        return None if found is None else read(found)

    return value


def _window(hours: int, *, cheapest: bool) -> PriceSensorDescription:
    kind = "cheapest" if cheapest else "expensive"
    return PriceSensorDescription(
        key=f"{kind}_window_{hours}h",
        translation_key=f"{kind}_window_{hours}h",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda series, now: series.window_start(now, hours, cheapest=cheapest),
    )


def _level(series: PricedSeries, now: datetime) -> str | None:
    level = series.level_at(now)
    return None if level is None else level.value


PRICE_SENSORS: tuple[PriceSensorDescription, ...] = (
    _price("current_price", _slot(lambda slot: slot.price)),
    _price("spot_price", _slot(lambda slot: slot.spot)),
    _price("next_price", _slot(lambda slot: slot.price, ahead=True)),
    _price("export_price", _slot(lambda slot: slot.export)),
    _price("today_lowest_price", _stat(lambda day: day.lowest)),
    _price("today_highest_price", _stat(lambda day: day.highest)),
    _price("today_average_price", _stat(lambda day: day.average)),
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
        """Read for this moment; the coordinator ticks every quarter hour."""
        return self.entity_description.value_fn(self.coordinator.data, dt_util.utcnow())


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
