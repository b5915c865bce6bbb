"""Per device, its numeric wishes: an EV's target SOC, a heat pump's comfort band."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from homeassistant.components.number import NumberEntity, NumberEntityDescription, NumberMode
from homeassistant.const import PERCENTAGE, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..data import OpenHemConfigEntry
from ..devices.hub import ControlledDevice, DeviceKind
from .const import WISH_COMFORT_HIGH, WISH_COMFORT_LOW, WISH_TARGET_SOC
from .entity import PlanDeviceEntity, add_device_entities


@dataclass(frozen=True, kw_only=True)
class WishNumberDescription(NumberEntityDescription):
    """A numeric wish: the Wish field it sets."""

    wish: str


WISH_NUMBERS: dict[DeviceKind, tuple[WishNumberDescription, ...]] = {
    DeviceKind.EV_CHARGER: (
        WishNumberDescription(
            key=f"wish_{WISH_TARGET_SOC}",
            translation_key=WISH_TARGET_SOC,
            wish=WISH_TARGET_SOC,
            native_min_value=0,
            native_max_value=100,
            native_step=5,
            native_unit_of_measurement=PERCENTAGE,
            mode=NumberMode.SLIDER,
        ),
    ),
    DeviceKind.HEAT_PUMP: tuple(
        WishNumberDescription(
            key=f"wish_{wish}",
            translation_key=wish,
            wish=wish,
            native_min_value=5,
            native_max_value=30,
            native_step=0.5,
            native_unit_of_measurement=UnitOfTemperature.CELSIUS,
            mode=NumberMode.BOX,
        )
        for wish in (WISH_COMFORT_LOW, WISH_COMFORT_HIGH)
    ),
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The wishes of each device's kind, as devices join."""

    def build(device: ControlledDevice) -> Iterable[WishNumber]:
        return [WishNumber(entry, device, d) for d in WISH_NUMBERS.get(device.kind, ())]

    add_device_entities(entry, async_add_entities, build)


class WishNumber(PlanDeviceEntity, NumberEntity):
    """A numeric wish; setting it replans."""

    follows_plans = False

    entity_description: WishNumberDescription

    @property
    def native_value(self) -> float:
        return float(getattr(self.loop.wish(self.subentry_id), self.entity_description.wish))

    async def async_set_native_value(self, value: float) -> None:
        self.loop.async_set_wish(self.subentry_id, **{self.entity_description.wish: value})
