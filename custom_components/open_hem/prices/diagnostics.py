"""The price part of Open HEM's diagnostics: source, cache, schedule, errors and the tariff.

The ENTSO-E token is in the entry's data, which the hub's diagnostics redact (``TO_REDACT``).
"""

from __future__ import annotations

from typing import Any

from .const import CONF_TOKEN
from .coordinator import PriceCoordinator

TO_REDACT = {CONF_TOKEN}


def price_diagnostics(coordinator: PriceCoordinator | None) -> dict[str, Any] | None:
    """What the price feature knows (no token); None when prices are off."""
    if coordinator is None:
        return None
    spot = coordinator.spot
    tariff = coordinator.tariff
    until = tariff.rules.net_metering_until
    return {
        "source": coordinator.source.key,
        "slots": len(spot),
        "first": spot.first.isoformat() if spot.first else None,
        "last": spot.last.isoformat() if spot.last else None,
        "next_fetch": coordinator.next_fetch.isoformat() if coordinator.next_fetch else None,
        "last_error": coordinator.last_error,
        "failures": coordinator.failures,
        "resolution_minutes": coordinator.resolution_minutes,
        "tariff": {
            "markup": tariff.markup,
            "energy_tax": tariff.energy_tax,
            "vat_percent": tariff.vat_percent,
            "export_mode": tariff.export_mode.value,
            "export_fee": tariff.export_fee,
            # Issue 11 (2027): the feed-in options and when net metering ends for this country.
            "feed_in_price": tariff.feed_in_price,
            "feed_in_cost": tariff.feed_in_cost,
            "net_metering_until": until.isoformat() if until else None,
        },
    }
