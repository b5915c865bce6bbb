"""Open HEM's actions: registered here once, each handled by its feature.

- ``open_hem.get_prices`` (prices/services.py) returns the price list as response data.
- ``open_hem.replan``, ``set_wish``, ``override``, ``set_grid_limit`` and ``get_plan``
  (planner/services.py) steer the planning loop and return its plan.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, SupportsResponse, callback

from .const import DOMAIN
from .planner import services as planner
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
    for name, handler, schema in (
        (planner.SERVICE_REPLAN, planner.async_replan, planner.ENTRY_SCHEMA),
        (planner.SERVICE_SET_WISH, planner.async_set_wish, planner.SET_WISH_SCHEMA),
        (planner.SERVICE_OVERRIDE, planner.async_override, planner.OVERRIDE_SCHEMA),
        (
            planner.SERVICE_SET_GRID_LIMIT,
            planner.async_set_grid_limit,
            planner.SET_GRID_LIMIT_SCHEMA,
        ),
    ):
        hass.services.async_register(DOMAIN, name, handler, schema=schema)
    hass.services.async_register(
        DOMAIN,
        planner.SERVICE_GET_PLAN,
        planner.async_get_plan,
        schema=planner.ENTRY_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
