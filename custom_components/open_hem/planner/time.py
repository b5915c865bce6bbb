"""Per device, its time wishes: an EV's ready-by time, an appliance's finish-by time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from homeassistant.components.time import TimeEntity, TimeEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..data import OpenHemConfigEntry
from ..devices.hub import ControlledDevice, DeviceKind
from .const import WISH_FINISH_BY, WISH_READY_BY
from .entity import PlanDeviceEntity, add_device_entities


@dataclass(frozen=True, kw_only=True)
class WishTimeDescription(TimeEntityDescription):
    """A time wish: the Wish field it sets."""

    wish: str


def _describe(wish: str) -> WishTimeDescription:
    return WishTimeDescription(key=f"wish_{wish}", translation_key=wish, wish=wish)


WISH_TIMES: dict[DeviceKind, tuple[WishTimeDescription, ...]] = {
    DeviceKind.EV_CHARGER: (_describe(WISH_READY_BY),),
    DeviceKind.APPLIANCE: (_describe(WISH_FINISH_BY),),
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The time wishes of each device's kind, as devices join."""

    def build(device: ControlledDevice) -> Iterable[WishTime]:
        return [WishTime(entry, device, d) for d in WISH_TIMES.get(device.kind, ())]

    add_device_entities(entry, async_add_entities, build)


class WishTime(PlanDeviceEntity, TimeEntity):
    """A time-of-day wish; setting it replans."""

    follows_plans = False

    entity_description: WishTimeDescription

    @property
    def native_value(self) -> time:
        value: time = getattr(self.loop.wish(self.subentry_id), self.entity_description.wish)
        return value

    async def async_set_value(self, value: time) -> None:
        self.loop.async_set_wish(self.subentry_id, **{self.entity_description.wish: value})
