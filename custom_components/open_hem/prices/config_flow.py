"""The price steps of the hub's config flow, re-authentication, and the tariff options.

``PriceSourceSteps`` is a base of the hub's config flow (config_flow.py): after the household
step the hub calls ``async_step_prices``; the steps end in the hub's ``_async_finish`` with the
price settings. ``PriceOptionsFlow`` is the options flow: tariff, feed-in and display.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
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

from ..const import LOGGER
from ..core.prices import (
    BIDDING_ZONES,
    EntsoeAuthError,
    EntsoeClient,
    EntsoeError,
    EntsoeServerError,
    EntsoeUnreachable,
    ExportMode,
    default_zone,
    defaults_for,
    eic,
    local_day_start,
)
from .const import (
    CONF_BIDDING_ZONE,
    CONF_ENERGY_TAX,
    CONF_EXPORT_FEE,
    CONF_EXPORT_MODE,
    CONF_FEED_IN_COST,
    CONF_FEED_IN_PRICE,
    CONF_MARKUP,
    CONF_PRICE_ENTRY,
    CONF_PRICE_SOURCE,
    CONF_RESOLUTION,
    CONF_TOKEN,
    CONF_VAT,
    ENTSOE_TOKEN_HELP_URL,
    OFFERED_SOURCES,
    RESOLUTION_15,
    RESOLUTION_60,
    PriceSourceKind,
)

# The entry data the price steps own (a new source replaces all of them).
PRICE_KEYS = (CONF_PRICE_SOURCE, CONF_TOKEN, CONF_BIDDING_ZONE, CONF_PRICE_ENTRY)
SERVICE_SOURCES = (PriceSourceKind.NORDPOOL, PriceSourceKind.ENERGYZERO)


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


async def validate_token(hass: HomeAssistant, token: str, zone: str) -> str | None:
    """Check the token with a real request for today's prices; an error key or None.

    Each failure has its own message in the form, and its cause is logged at debug level (the
    client's messages never contain the token).
    """
    client = EntsoeClient(async_get_clientsession(hass), token)
    now = dt_util.utcnow()
    zone_info = dt_util.get_default_time_zone()
    try:
        await client.async_get_day_ahead(
            eic(zone), local_day_start(now, zone_info), local_day_start(now, zone_info, 1)
        )
    except EntsoeError as err:
        LOGGER.debug("ENTSO-E token check (zone %s) failed: %s: %s", zone, type(err).__name__, err)
        return _error_key(err)
    return None


def _error_key(err: EntsoeError) -> str:
    """The config-flow error for a failed token check: refused, unreachable, busy or broken."""
    if isinstance(err, EntsoeAuthError):
        return "invalid_auth"
    if isinstance(err, EntsoeUnreachable):
        return "cannot_connect"
    if isinstance(err, EntsoeServerError):
        return "entsoe_unavailable"
    return "invalid_response"  # EntsoeParseError, or any other broken answer


class PriceSourceSteps(ConfigFlow):
    """The price steps of the hub's flow: source, ENTSO-E token and zone, price entry, reauth."""

    _service_source = PriceSourceKind.NORDPOOL

    def _async_finish(self, prices: dict[str, Any]) -> ConfigFlowResult:
        """The hub creates or updates its entry with the chosen price settings."""
        raise NotImplementedError

    def _current(self) -> Mapping[str, Any]:
        """The entry's data when reconfiguring, else nothing."""
        if self.source == SOURCE_RECONFIGURE:
            return self._get_reconfigure_entry().data
        return {}

    async def async_step_prices(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose where day-ahead prices come from.

        The default works without a token when Home Assistant's Nord Pool integration is set up;
        otherwise ENTSO-E (a free token). After an error the user's choice stays selected.
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
        if user_input is not None:
            default = PriceSourceKind(user_input[CONF_PRICE_SOURCE])
        elif self.hass.config_entries.async_entries(PriceSourceKind.NORDPOOL):
            default = PriceSourceKind.NORDPOOL
        else:
            default = PriceSourceKind.ENTSOE
        schema = probatio.Schema(
            {
                probatio.Required(CONF_PRICE_SOURCE, default=default.value): SelectSelector(
                    SelectSelectorConfig(
                        options=[kind.value for kind in OFFERED_SOURCES],
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
            if error := await validate_token(self.hass, token, zone):
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
            # After an error the form keeps what was typed.
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
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
            if error := await validate_token(self.hass, token, zone):
                errors["base"] = error
            else:
                return self.async_update_reload_and_abort(entry, data_updates={CONF_TOKEN: token})
        schema = probatio.Schema({probatio.Required(CONF_TOKEN): _token_selector()})
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
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


class PriceOptionsFlow(OptionsFlow):
    """Tariff (markup, energy tax, VAT), feed-in (mode, fee, price, cost) and price display."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form; defaults are the country's current values.

        Without a price source there is nothing these options act on: the flow says so and
        shows no form.
        """
        source = self.config_entry.data.get(CONF_PRICE_SOURCE, PriceSourceKind.NONE)
        if source == PriceSourceKind.NONE:
            return self.async_abort(reason="no_price_source")
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
                    CONF_FEED_IN_PRICE, default=options.get(CONF_FEED_IN_PRICE, 0.0)
                ): _number(-1, 1, "any", "EUR/kWh"),
                probatio.Required(
                    CONF_FEED_IN_COST, default=options.get(CONF_FEED_IN_COST, 0.0)
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
