"""The price binary sensor on the Open HEM hub device: are tomorrow's prices known?"""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorEntity, BinarySensorEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from ..data import OpenHemConfigEntry
from .sensor import PriceEntity

TOMORROW_KNOWN = BinarySensorEntityDescription(
    key="tomorrow_prices_known", translation_key="tomorrow_prices_known"
)


class TomorrowKnownSensor(PriceEntity, BinarySensorEntity):
    """Whether all of tomorrow's prices are known."""

    @property
    def is_on(self) -> bool:
        """On once every slot of tomorrow has a price."""
        return self.coordinator.tomorrow_known(dt_util.utcnow())


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the tomorrow-known binary sensor when a price source is configured."""
    if (coordinator := entry.runtime_data.prices) is not None:
        async_add_entities([TomorrowKnownSensor(entry, coordinator, TOMORROW_KNOWN)])
