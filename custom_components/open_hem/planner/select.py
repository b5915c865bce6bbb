"""The hub's planning profile (grid-aware, cheapest, own solar first)."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..data import OpenHemConfigEntry
from .const import Profile
from .entity import PlanHubEntity

PROFILE = SelectEntityDescription(
    key="planning_profile",
    translation_key="planning_profile",
    options=[p.value for p in Profile],
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The profile select on the hub."""
    async_add_entities([ProfileSelect(entry, PROFILE)])


class ProfileSelect(PlanHubEntity, SelectEntity):
    """Which profile plans; changing it replans (the options set the one after a restart
    only when they change)."""

    follows_plans = False

    @property
    def current_option(self) -> str:
        return self.loop.profile.value

    async def async_select_option(self, option: str) -> None:
        self.loop.async_set_profile(Profile(option))
