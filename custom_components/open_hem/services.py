"""Open HEM's actions: registered here once, each handled by its feature.

- ``open_hem.get_prices`` (prices/services.py) returns the price list as response data.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, SupportsResponse, callback

from .const import DOMAIN
from .prices.services import GET_PRICES_SCHEMA, SERVICE_GET_PRICES, async_get_prices


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register Open HEM's actions (once, in async_setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_PRICES,
        async_get_prices,
        schema=GET_PRICES_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
