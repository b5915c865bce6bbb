"""Constants of Open HEM's price feature (kept apart from const.py so features merge cleanly)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from homeassistant.const import CONF_API_TOKEN

CONF_PRICE_SOURCE: Final = "price_source"
CONF_BIDDING_ZONE: Final = "bidding_zone"
CONF_PRICE_ENTRY: Final = "price_entry"
CONF_TOKEN: Final = CONF_API_TOKEN

# Options (tariff and display).
CONF_MARKUP: Final = "markup"
CONF_ENERGY_TAX: Final = "energy_tax"
CONF_VAT: Final = "vat"
CONF_EXPORT_MODE: Final = "export_mode"
CONF_EXPORT_FEE: Final = "export_fee"
CONF_FEED_IN_PRICE: Final = "feed_in_price"
CONF_FEED_IN_COST: Final = "feed_in_cost"
CONF_RESOLUTION: Final = "price_resolution"

RESOLUTION_15: Final = "15"
RESOLUTION_60: Final = "60"

# A help page, not a secret.
ENTSOE_TOKEN_HELP_URL: Final = (
    "https://transparencyplatform.zendesk.com/hc/en-us/articles/12845911031188"  # noqa: S105
)

# ENTSO-E publishes the next day's prices after the SDAC auction, usually around 13:00 CET.
PUBLICATION_TIME_ZONE: Final = "Europe/Brussels"
PUBLICATION_HOUR: Final = 13
# From this local hour on, missing prices for tomorrow are a repair issue.
MISSING_TOMORROW_HOUR: Final = 18
# While tomorrow is missing after publication time: ask again this often (seconds).
POLL_UNTIL_PUBLISHED_S: Final = 600
# Backoff after temporary failures: 60 s doubling up to 30 min.
RETRY_FIRST_S: Final = 60
RETRY_MAX_S: Final = 1800

ISSUE_TOMORROW_MISSING: Final = "tomorrow_prices_missing"
ISSUE_FEED_IN_BELOW_FLOOR: Final = "feed_in_below_legal_floor"


class PriceSourceKind(StrEnum):
    """Where the day-ahead prices come from."""

    ENTSOE = "entsoe"
    NORDPOOL = "nordpool"
    ENERGYZERO = "energyzero"
    NONE = "none"
    DEMO = "demo"
    """Bundled prices replayed for today and tomorrow: only the demo home uses them."""


# What the setup and reconfigure steps offer (the demo's bundled prices are not for real homes).
OFFERED_SOURCES: Final = tuple(kind for kind in PriceSourceKind if kind is not PriceSourceKind.DEMO)
