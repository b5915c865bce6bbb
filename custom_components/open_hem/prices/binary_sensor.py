"""The price binary sensor on the Open HEM hub device: are tomorrow's prices known?"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.binary_sensor import BinarySensorEntity, BinarySensorEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from ..core.prices import PricedSeries
from ..data import OpenHemConfigEntry
from .sensor import PriceEntity


@dataclass(frozen=True, kw_only=True)
class PriceBinarySensorDescription(BinarySensorEntityDescription):
    """A price binary sensor: its state read from the priced series at a moment."""

    is_on_fn: Callable[[PricedSeries, datetime], bool]


PRICE_BINARY_SENSORS: tuple[PriceBinarySensorDescription, ...] = (
    PriceBinarySensorDescription(
        key="tomorrow_prices_known",
        translation_key="tomorrow_prices_known",
        is_on_fn=lambda series, now: series.day_known(now, 1),
    ),
)


class PriceBinarySensor(PriceEntity, BinarySensorEntity):
    """Whether all of tomorrow's prices are known."""

    entity_description: PriceBinarySensorDescription

    @property
    def is_on(self) -> bool:
        """Read for this moment; the coordinator ticks every quarter hour."""
        return self.entity_description.is_on_fn(self.coordinator.data, dt_util.utcnow())


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the price binary sensors when a price source is configured."""
    if (coordinator := entry.runtime_data.prices) is not None:
        async_add_entities(
            PriceBinarySensor(entry, coordinator, description)
            for description in PRICE_BINARY_SENSORS
        )
