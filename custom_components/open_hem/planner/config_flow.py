"""The planner's settings in the hub's flows: the profile at setup; profile, ladder and the
weather entity of the outdoor temperature forecast in the options (the options flow shows
them as its "planning" step)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import probatio

from .const import (
    CONF_LADDER,
    CONF_PROFILE,
    CONF_WEATHER,
    DEFAULT_PROFILE,
    DEFAULT_WEATHER,
    Profile,
)
from .profiles import ALL_RUNGS, PROFILE_ORDER, custom_ladder, profile_of, valid_order


def profile_selector() -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=[p.value for p in Profile],
            mode=SelectSelectorMode.LIST,
            translation_key=CONF_PROFILE,
        )
    )


def setup_fields() -> dict[Any, Any]:
    """The profile field of the hub's setup step (with the public default)."""
    return {probatio.Required(CONF_PROFILE, default=DEFAULT_PROFILE.value): profile_selector()}


RUNG_FIELDS = ("rung_1", "rung_2", "rung_3", "rung_4")
NO_RUNG = "none"


def rung_selector() -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=[*ALL_RUNGS, NO_RUNG],
            mode=SelectSelectorMode.DROPDOWN,
            translation_key=CONF_LADDER,
        )
    )


class PlanningOptionsStep(OptionsFlow):
    """The "planning" step: the profile, the order of the ladder's rungs (highest first;
    own production may be left out) and the weather entity (cleared: none, the seasonal
    default)."""

    def _weather_default(self, options: Mapping[str, Any]) -> str | None:
        if CONF_WEATHER in options:
            return options[CONF_WEATHER] or None
        found = sorted(self.hass.states.async_entity_ids("weather"))
        return DEFAULT_WEATHER if DEFAULT_WEATHER in found else (found[0] if found else None)

    async def async_step_planning(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        options: Mapping[str, Any] = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None:
            profile = Profile(user_input[CONF_PROFILE])
            order = [user_input[f] for f in RUNG_FIELDS if user_input.get(f, NO_RUNG) != NO_RUNG]
            if valid_order(order) is None:
                errors["base"] = "invalid_ladder"
            else:
                kept = {
                    k: v
                    for k, v in options.items()
                    if k not in (CONF_PROFILE, CONF_LADDER, CONF_WEATHER)
                }
                chosen: dict[str, Any] = {CONF_PROFILE: profile.value}
                weather = user_input.get(CONF_WEATHER) or None
                # Untouched with no weather entity to offer: keep following the default.
                if weather or CONF_WEATHER in options or self._weather_default(options):
                    chosen[CONF_WEATHER] = weather
                # The order of the profile chosen before means: follow the (new) profile.
                previous = profile_of({**self.config_entry.data, **options})
                if tuple(order) not in (
                    tuple(r.value for r in PROFILE_ORDER[profile]),
                    tuple(r.value for r in PROFILE_ORDER[previous]),
                ):
                    chosen[CONF_LADDER] = order
                return self.async_create_entry(data={**kept, **chosen})
        profile = profile_of({**self.config_entry.data, **options})
        ladder = custom_ladder(options) or [r.value for r in PROFILE_ORDER[profile]]
        fields: dict[Any, Any] = {
            probatio.Required(CONF_PROFILE, default=profile.value): profile_selector()
        }
        for i, name in enumerate(RUNG_FIELDS):
            default = ladder[i] if i < len(ladder) else NO_RUNG
            fields[probatio.Required(name, default=default)] = rung_selector()
        fields[probatio.Optional(CONF_WEATHER)] = EntitySelector(
            EntitySelectorConfig(domain="weather")
        )
        return self.async_show_form(
            step_id="planning",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(fields), {CONF_WEATHER: self._weather_default(options)}
            ),
            errors=errors,
        )
