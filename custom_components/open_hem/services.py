"""Open HEM's actions: open_hem.get_prices returns the price list as response data.

Full price lists are not put in state attributes (the recorder warns above 16 KB); automations
and cards ask for them here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.util import dt as dt_util
import probatio

from .const import DOMAIN
from .data import OpenHemConfigEntry
from .prices.coordinator import local_day_start

SERVICE_GET_PRICES: Final = "get_prices"
ATTR_CONFIG_ENTRY: Final = "config_entry"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_RESOLUTION: Final = "resolution"
MAX_RANGE = timedelta(days=7)

GET_PRICES_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY): cv.string,
        probatio.Optional(ATTR_START): cv.datetime,
        probatio.Optional(ATTR_END): cv.datetime,
        probatio.Optional(ATTR_RESOLUTION): probatio.All(
            probatio.Coerce(int), probatio.In((15, 60))
        ),
    }
)


def _aware(moment: datetime) -> datetime:
    """Naive datetimes are Home Assistant's local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(moment)


async def _async_get_prices(call: ServiceCall) -> ServiceResponse:
    """The known prices in [start, end): spot, all-in import and export, EUR/kWh."""
    entry: OpenHemConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, call.data.get(ATTR_CONFIG_ENTRY)
    )
    coordinator = entry.runtime_data.prices
    if coordinator is None:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_price_source")
    now = dt_util.utcnow()
    start = _aware(call.data[ATTR_START]) if ATTR_START in call.data else local_day_start(now)
    end = _aware(call.data[ATTR_END]) if ATTR_END in call.data else local_day_start(now, 2)
    if not start < end <= start + MAX_RANGE:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_range",
            translation_placeholders={
                "start": dt_util.as_local(start).isoformat(),
                "end": dt_util.as_local(end).isoformat(),
            },
        )
    minutes = call.data.get(ATTR_RESOLUTION, coordinator.resolution_minutes)
    tariff = coordinator.tariff
    return {
        "source": coordinator.source.key,
        "unit": "EUR/kWh",
        "resolution": minutes,
        "prices": [
            {
                "start": dt_util.as_local(slot.start).isoformat(),
                "end": dt_util.as_local(slot.end).isoformat(),
                "spot": round(slot.price, 6),
                "price": round(tariff.import_price(slot.price), 6),
                "export": round(tariff.export_price(slot.price), 6),
            }
            for slot in coordinator.slots(start, end, minutes)
        ],
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register Open HEM's actions (once, in async_setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_PRICES,
        _async_get_prices,
        schema=GET_PRICES_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
