"""Config flow for Open HEM: one hub entry for the household, with its price source."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import probatio

from .const import CONF_CONNECTION, CONNECTION_SIZES, DEFAULT_CONNECTION, DOMAIN
from .devices.entity_flow import SUBENTRY_FLOWS
from .devices.native.config_flow import S2DeviceSubentryFlow
from .devices.native.connect.options import S2ConnectOptionsStep
from .devices.native.const import SUBENTRY_S2_DEVICE
from .p1.config_flow import P1MeterSubentryFlow
from .p1.const import SUBENTRY_P1_METER
from .planner.config_flow import PlanningOptionsStep, setup_fields
from .planner.const import CONF_PROFILE
from .prices.config_flow import PRICE_KEYS, PriceOptionsFlow, PriceSourceSteps

CONF_CHANGE_PRICES = "change_prices"


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


class OpenHemConfigFlow(PriceSourceSteps, domain=DOMAIN):
    """Create the single Open HEM hub entry (the price steps come from prices/config_flow.py)."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Collect the household's settings across the steps."""
        self._data: dict[str, Any] = {}
        self._options: dict[str, Any] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OpenHemOptionsFlow:
        """Tariff and display options."""
        return OpenHemOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Devices and meters are subentries of the hub: P1 meters first."""
        return {
            SUBENTRY_P1_METER: P1MeterSubentryFlow,
            **SUBENTRY_FLOWS,
            SUBENTRY_S2_DEVICE: S2DeviceSubentryFlow,
        }

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the household's grid connection; the default fits most Dutch homes."""
        # The manifest's single_config_entry stops the UI; this guards other flow sources.
        if self._async_current_entries():
            return self.async_abort(reason="single_instance_allowed")
        if user_input is not None:
            self._data = dict(user_input)
            # The planning profile is an option: switchable later without a reload of data.
            self._options = {CONF_PROFILE: self._data.pop(CONF_PROFILE)}
            return await self.async_step_prices()
        return self.async_show_form(
            step_id="user",
            data_schema=_household_schema(DEFAULT_CONNECTION).extend(setup_fields()),
        )

    @callback
    def _async_finish(self, prices: dict[str, Any]) -> ConfigFlowResult:
        """Create the entry, or update it when reconfiguring."""
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            kept = {k: v for k, v in entry.data.items() if k not in PRICE_KEYS}
            return self.async_update_reload_and_abort(entry, data={**kept, **self._data, **prices})
        return self.async_create_entry(
            title="Open HEM", data={**self._data, **prices}, options=self._options
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the household's settings (and, if asked, the price source) in place."""
        entry = self._get_reconfigure_entry()
        if user_input is not None:
            change_prices = user_input.pop(CONF_CHANGE_PRICES, False)
            if change_prices:
                self._data = dict(user_input)
                return await self.async_step_prices()
            return self.async_update_reload_and_abort(entry, data_updates=user_input)
        schema = _household_schema(entry.data.get(CONF_CONNECTION, DEFAULT_CONNECTION)).extend(
            {probatio.Optional(CONF_CHANGE_PRICES, default=False): BooleanSelector()}
        )
        return self.async_show_form(step_id=SOURCE_RECONFIGURE, data_schema=schema)


class OpenHemOptionsFlow(PriceOptionsFlow, PlanningOptionsStep, S2ConnectOptionsStep):
    """The hub's options: a menu of the tariff (prices/) and the planning (planner/) steps.

    Each step keeps the other's options when it saves.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The menu."""
        return self.async_show_menu(
            step_id="init", menu_options=["tariff", "planning", "s2_connect"]
        )

    async def async_step_tariff(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The price feature's tariff form, shown as the "tariff" step."""
        if user_input is not None:
            return self.async_create_entry(data={**self.config_entry.options, **user_input})
        result = await PriceOptionsFlow.async_step_init(self)
        if result["type"] is FlowResultType.FORM:
            result["step_id"] = "tariff"
        return result
