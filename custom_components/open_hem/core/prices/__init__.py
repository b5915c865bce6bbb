"""Day-ahead electricity prices: ENTSO-E client and parser, the price series, tariffs, analysis.

The integration imports the public names from here (``from ..core.prices import X``). The
priced series (``priced(series, tariff)``) is what entities, actions and the planner read.
"""

from .a44_parser import parse_a44
from .analysis import DayStats, PriceLevel, best_window, price_level, stats
from .entsoe_client import TIMEOUT_S, EntsoeClient
from .errors import (
    EntsoeAuthError,
    EntsoeError,
    EntsoeNoData,
    EntsoeParseError,
    EntsoeServerError,
    EntsoeTemporaryError,
    EntsoeUnreachable,
    PriceError,
    PriceGapError,
    PriceTemporaryError,
)
from .priced import FeedInFloor, PricedSeries, PricedSlot, priced
from .series import SLOT, PriceSeries, PriceSlot, local_day_start, slot_start
from .tariff import (
    NL_NET_METERING_END,
    ExportMode,
    ExportRules,
    Tariff,
    TariffDefaults,
    defaults_for,
)
from .zones import BIDDING_ZONES, default_zone, eic

__all__ = [
    "BIDDING_ZONES",
    "NL_NET_METERING_END",
    "SLOT",
    "TIMEOUT_S",
    "DayStats",
    "EntsoeAuthError",
    "EntsoeClient",
    "EntsoeError",
    "EntsoeNoData",
    "EntsoeParseError",
    "EntsoeServerError",
    "EntsoeTemporaryError",
    "EntsoeUnreachable",
    "ExportMode",
    "ExportRules",
    "FeedInFloor",
    "PriceError",
    "PriceGapError",
    "PriceLevel",
    "PriceSeries",
    "PriceSlot",
    "PriceTemporaryError",
    "PricedSeries",
    "PricedSlot",
    "Tariff",
    "TariffDefaults",
    "best_window",
    "default_zone",
    "defaults_for",
    "eic",
    "local_day_start",
    "parse_a44",
    "price_level",
    "priced",
    "slot_start",
    "stats",
]
