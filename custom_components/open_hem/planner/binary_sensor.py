"""Per device: whether one of its wishes is at risk (the plan cannot meet it)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..data import OpenHemConfigEntry
from .entity import PlanDeviceEntity, add_device_entities

WISH_AT_RISK = BinarySensorEntityDescription(
    key="wish_at_risk",
    translation_key="wish_at_risk",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One per device, as devices join."""
    add_device_entities(
        entry, async_add_entities, lambda device: [WishAtRisk(entry, device, WISH_AT_RISK)]
    )


class WishAtRisk(PlanDeviceEntity, BinarySensorEntity):
    """On when the plan in force leaves one of the device's wishes unmet."""

    @property
    def is_on(self) -> bool | None:
        snap = self.loop.snapshot
        return None if snap is None else bool(snap.unmet_of(self.subentry_id))

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        snap = self.loop.snapshot
        unmet = [] if snap is None else snap.unmet_of(self.subentry_id)
        return {
            "unmet": [
                {
                    "wish": u["wish"],
                    "shortfall": u["shortfall"],
                    "unit": u["unit"],
                    "reason": u["reason"],
                }
                for u in unmet
            ]
        }
