"""Config flow for Open HEM: one hub entry for the household."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import probatio

from .const import CONF_CONNECTION, CONNECTION_SIZES, DEFAULT_CONNECTION, DOMAIN
from .p1_config_flow import P1MeterSubentryFlow
from .p1_const import SUBENTRY_P1_METER


def _household_schema(connection: str) -> probatio.Schema:
    """The household's settings: today only the grid connection size."""
    return probatio.Schema(
        {
            probatio.Required(CONF_CONNECTION, default=connection): SelectSelector(
                SelectSelectorConfig(
                    options=list(CONNECTION_SIZES),
                    mode=SelectSelectorMode.DROPDOWN,
                    translation_key=CONF_CONNECTION,
                )
            ),
        }
    )


class OpenHemConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create the single Open HEM hub entry."""

    VERSION = 1
    MINOR_VERSION = 1

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Devices and meters are subentries of the hub: P1 meters first."""
        return {SUBENTRY_P1_METER: P1MeterSubentryFlow}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the household's grid connection; the default fits most Dutch homes."""
        # The manifest's single_config_entry stops the UI; this guards other flow sources.
        if self._async_current_entries():
            return self.async_abort(reason="single_instance_allowed")
        if user_input is not None:
            return self.async_create_entry(title="Open HEM", data=user_input)
        return self.async_show_form(
            step_id="user", data_schema=_household_schema(DEFAULT_CONNECTION)
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the household's settings without removing the entry."""
        entry = self._get_reconfigure_entry()
        if user_input is not None:
            return self.async_update_reload_and_abort(entry, data_updates=user_input)
        return self.async_show_form(
            step_id=SOURCE_RECONFIGURE,
            data_schema=_household_schema(entry.data.get(CONF_CONNECTION, DEFAULT_CONNECTION)),
        )
