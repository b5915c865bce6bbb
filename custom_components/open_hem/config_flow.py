"""Config flow for Open HEM: one hub entry for the household, with its price source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util
import probatio

from .const import CONF_CONNECTION, CONNECTION_SIZES, DEFAULT_CONNECTION, DOMAIN
from .core.prices.entsoe_client import EntsoeClient
from .core.prices.errors import EntsoeAuthError, EntsoeTemporaryError
from .core.prices.tariff import ExportMode, defaults_for
from .core.prices.zones import BIDDING_ZONES, default_zone, eic
from .devices.config_flow import S2DeviceSubentryFlow
from .devices.const import SUBENTRY_S2_DEVICE
from .p1.config_flow import P1MeterSubentryFlow
from .p1.const import SUBENTRY_P1_METER
from .prices.const import (
    CONF_BIDDING_ZONE,
    CONF_ENERGY_TAX,
    CONF_EXPORT_FEE,
    CONF_EXPORT_MODE,
    CONF_MARKUP,
    CONF_PRICE_ENTRY,
    CONF_PRICE_SOURCE,
    CONF_RESOLUTION,
    CONF_TOKEN,
    CONF_VAT,
    ENTSOE_TOKEN_HELP_URL,
    RESOLUTION_15,
    RESOLUTION_60,
    PriceSourceKind,
)
from .prices.coordinator import local_day_start

CONF_CHANGE_PRICES = "change_prices"
PRICE_KEYS = (CONF_PRICE_SOURCE, CONF_TOKEN, CONF_BIDDING_ZONE, CONF_PRICE_ENTRY)
SERVICE_SOURCES = (PriceSourceKind.NORDPOOL, PriceSourceKind.ENERGYZERO)


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


def _zone_selector() -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=[
                SelectOptionDict(value=zone, label=f"{name} ({zone})")
                for zone, (_, name) in sorted(BIDDING_ZONES.items(), key=lambda z: z[1][1])
            ],
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


def _token_selector() -> TextSelector:
    return TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


async def _validate_token(hass: HomeAssistant, token: str, zone: str) -> str | None:
    """Check the token with a real request for today's prices; an error key or None."""
    client = EntsoeClient(async_get_clientsession(hass), token)
    now = dt_util.utcnow()
    try:
        await client.async_get_day_ahead(eic(zone), local_day_start(now), local_day_start(now, 1))
    except EntsoeAuthError:
        return "invalid_auth"
    except EntsoeTemporaryError:
        return "cannot_connect"
    return None


class OpenHemConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create the single Open HEM hub entry."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Collect the household's settings across the steps."""
        self._data: dict[str, Any] = {}
        self._service_source = PriceSourceKind.NORDPOOL

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
            SUBENTRY_S2_DEVICE: S2DeviceSubentryFlow,
        }

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the household's grid connection; the default fits most Dutch homes."""
        # The manifest's single_config_entry stops the UI; this guards other flow sources.
        if self._async_current_entries():
            return self.async_abort(reason="single_instance_allowed")
        if user_input is not None:
            self._data = dict(user_input)
            return await self.async_step_prices()
        return self.async_show_form(
            step_id="user", data_schema=_household_schema(DEFAULT_CONNECTION)
        )

    async def async_step_prices(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose where day-ahead prices come from.

        The default works without a token when Home Assistant's Nord Pool integration is set up;
        otherwise ENTSO-E (a free token).
        """
        errors: dict[str, str] = {}
        if user_input is not None:
            source = PriceSourceKind(user_input[CONF_PRICE_SOURCE])
            if source is PriceSourceKind.ENTSOE:
                return await self.async_step_entsoe()
            if source in SERVICE_SOURCES:
                if self.hass.config_entries.async_entries(source):
                    self._service_source = source
                    return await self.async_step_price_entry()
                errors["base"] = f"no_{source}"
            else:
                return self._async_finish({CONF_PRICE_SOURCE: PriceSourceKind.NONE})
        default = (
            PriceSourceKind.NORDPOOL
            if self.hass.config_entries.async_entries(PriceSourceKind.NORDPOOL)
            else PriceSourceKind.ENTSOE
        )
        schema = probatio.Schema(
            {
                probatio.Required(CONF_PRICE_SOURCE, default=default.value): SelectSelector(
                    SelectSelectorConfig(
                        options=[kind.value for kind in PriceSourceKind],
                        mode=SelectSelectorMode.LIST,
                        translation_key=CONF_PRICE_SOURCE,
                    )
                )
            }
        )
        return self.async_show_form(step_id="prices", data_schema=schema, errors=errors)

    async def async_step_entsoe(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The ENTSO-E token (checked with a real request) and the bidding zone."""
        errors: dict[str, str] = {}
        if user_input is not None:
            token = user_input[CONF_TOKEN].strip()
            zone = user_input[CONF_BIDDING_ZONE]
            if error := await _validate_token(self.hass, token, zone):
                errors["base"] = error
            else:
                return self._async_finish(
                    {
                        CONF_PRICE_SOURCE: PriceSourceKind.ENTSOE,
                        CONF_TOKEN: token,
                        CONF_BIDDING_ZONE: zone,
                    }
                )
        zone_default = self._current().get(CONF_BIDDING_ZONE) or default_zone(
            self.hass.config.country
        )
        schema = probatio.Schema(
            {
                probatio.Required(CONF_TOKEN): _token_selector(),
                probatio.Required(CONF_BIDDING_ZONE, default=zone_default): _zone_selector(),
            }
        )
        return self.async_show_form(
            step_id="entsoe",
            data_schema=schema,
            errors=errors,
            description_placeholders={"token_url": ENTSOE_TOKEN_HELP_URL},
        )

    async def async_step_price_entry(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Which entry of the Nord Pool or EnergyZero integration feeds the prices."""
        source = self._service_source
        if user_input is not None:
            return self._async_finish(
                {CONF_PRICE_SOURCE: source, CONF_PRICE_ENTRY: user_input[CONF_PRICE_ENTRY]}
            )
        entries = self.hass.config_entries.async_entries(source)
        schema = probatio.Schema(
            {
                probatio.Required(CONF_PRICE_ENTRY, default=entries[0].entry_id): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=entry.entry_id, label=entry.title)
                            for entry in entries
                        ],
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="price_entry",
            data_schema=schema,
            description_placeholders={"integration": source},
        )

    def _current(self) -> Mapping[str, Any]:
        """The entry's data when reconfiguring, else nothing."""
        if self.source == SOURCE_RECONFIGURE:
            return self._get_reconfigure_entry().data
        return {}

    @callback
    def _async_finish(self, prices: dict[str, Any]) -> ConfigFlowResult:
        """Create the entry, or update it when reconfiguring."""
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            kept = {k: v for k, v in entry.data.items() if k not in PRICE_KEYS}
            return self.async_update_reload_and_abort(entry, data={**kept, **self._data, **prices})
        return self.async_create_entry(title="Open HEM", data={**self._data, **prices})

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

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """ENTSO-E refused the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new token and check it before storing it."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            token = user_input[CONF_TOKEN].strip()
            zone = entry.data.get(CONF_BIDDING_ZONE) or default_zone(self.hass.config.country)
            if error := await _validate_token(self.hass, token, zone):
                errors["base"] = error
            else:
                return self.async_update_reload_and_abort(entry, data_updates={CONF_TOKEN: token})
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema({probatio.Required(CONF_TOKEN): _token_selector()}),
            errors=errors,
            description_placeholders={"token_url": ENTSOE_TOKEN_HELP_URL},
        )


def _number(
    minimum: float, maximum: float, step: float | Literal["any"], unit: str
) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=step,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement=unit,
        )
    )


class OpenHemOptionsFlow(OptionsFlow):
    """Tariff (markup, energy tax, VAT, export pay) and price display options."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form; defaults are the country's current values."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        defaults = defaults_for(self.hass.config.country)
        options = self.config_entry.options
        schema = probatio.Schema(
            {
                probatio.Required(CONF_MARKUP, default=options.get(CONF_MARKUP, 0.0)): _number(
                    -1, 1, "any", "EUR/kWh"
                ),
                probatio.Required(
                    CONF_ENERGY_TAX, default=options.get(CONF_ENERGY_TAX, defaults.energy_tax)
                ): _number(0, 1, "any", "EUR/kWh"),
                probatio.Required(
                    CONF_VAT, default=options.get(CONF_VAT, defaults.vat_percent)
                ): _number(0, 50, 0.1, "%"),
                probatio.Required(
                    CONF_EXPORT_MODE,
                    default=options.get(CONF_EXPORT_MODE, defaults.export_mode.value),
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[mode.value for mode in ExportMode],
                        mode=SelectSelectorMode.LIST,
                        translation_key=CONF_EXPORT_MODE,
                    )
                ),
                probatio.Required(
                    CONF_EXPORT_FEE, default=options.get(CONF_EXPORT_FEE, 0.0)
                ): _number(0, 1, "any", "EUR/kWh"),
                probatio.Required(
                    CONF_RESOLUTION, default=options.get(CONF_RESOLUTION, RESOLUTION_15)
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[RESOLUTION_15, RESOLUTION_60],
                        mode=SelectSelectorMode.LIST,
                        translation_key=CONF_RESOLUTION,
                    )
                ),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
