"""All-in Dutch/Belgian electricity tariffs built on the day-ahead spot price, import and export.

all-in import price = (spot + supplier markup + energy tax) x (1 + VAT)
export price        = what one exported kWh earns (by the feed-in mode) - feed-in cost

Default values, all in EUR/kWh excluding VAT (review them every January):
- NL 2026: energy tax (energiebelasting) first band EUR 0.0916/kWh (2025: 0.1015); VAT 21 %.
- BE 2026: VAT on household electricity 6 % (made permanent in April 2023); the federal special
  excise duty (bijzondere accijns) on household electricity at its full rate since July 2023,
  EUR 47.48/MWh = EUR 0.0475/kWh excluding VAT (lower on the 3 MWh basic band when wholesale
  prices are very high; check the supplier's bill).
- Elsewhere: no defaults (0), the user enters what their bill says.

Exported energy in the Netherlands (``NL_RULES``):
- Net metering (salderingsregeling) ends on 1 January 2027 (Wet beëindiging salderingsregeling).
  Until then an exported kWh is set off against an imported one, so it earns the import price.
  From then on suppliers pay a feed-in price: fixed, linked to the spot price, or spot minus a
  fee, and many charge a feed-in cost (terugleverkosten) per exported kWh. Net metering is the
  NL default and is applied per slot: slots that start before 1 January 2027 00:00 (Amsterdam)
  are netted, later slots earn the spot price (minus the feed-in cost) unless the household
  chose another feed-in mode. A series spanning New Year is so priced right slot by slot.
- Legal floor (amendment Grinwis): from 2027 until 2030 the feed-in compensation must be at least
  50 % of the bare supply price (the supply price without energy tax and VAT). Open HEM never
  changes what the household entered (its contract decides what it is paid); it reports a fixed
  feed-in price below half the mean bare supply price (spot + supplier markup) of the known
  slots in that period, so the household can check its contract (``PricedSeries.feed_in_floor``).
  Spot-linked modes are not checked: their floor depends on how the supplier averages.

Export-side amounts (fixed feed-in price, export fee, feed-in cost) are taken as they appear on
the bill: no VAT is added to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final


class ExportMode(StrEnum):
    """How exported energy is paid (the feed-in mode)."""

    NET_METERING = "net_metering"
    SPOT = "spot"
    SPOT_MINUS_FEE = "spot_minus_fee"
    FIXED = "fixed"


# 1 January 2027 00:00 in the Netherlands (CET, UTC+1: January never has summer time).
NL_NET_METERING_END: Final = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
# The feed-in floor holds until 1 January 2030 00:00 in the Netherlands.
NL_FEED_IN_FLOOR_END: Final = datetime(2029, 12, 31, 23, 0, tzinfo=UTC)
NL_FEED_IN_FLOOR_SHARE: Final = 0.5


@dataclass(frozen=True, slots=True)
class ExportRules:
    """What a country's law says about exported energy (nothing, by default)."""

    # Net metering ends for slots that start at or after this moment (None: it never ends).
    net_metering_until: datetime | None = None
    # What replaces net metering then.
    after_net_metering: ExportMode = ExportMode.SPOT
    # The feed-in compensation is at least this share of the bare supply price for slots from
    # net_metering_until up to floor_until (0: no floor).
    floor_share: float = 0.0
    floor_until: datetime | None = None

    def net_metering_ended(self, start: datetime) -> bool:
        """Whether net metering no longer applies to the slot starting at start."""
        return self.net_metering_until is not None and start >= self.net_metering_until

    def floor_applies(self, start: datetime) -> bool:
        """Whether the legal feed-in floor covers the slot starting at start."""
        return (
            self.floor_share > 0
            and self.net_metering_ended(start)
            and (self.floor_until is None or start < self.floor_until)
        )


NO_RULES: Final = ExportRules()
NL_RULES: Final = ExportRules(
    net_metering_until=NL_NET_METERING_END,
    after_net_metering=ExportMode.SPOT,
    floor_share=NL_FEED_IN_FLOOR_SHARE,
    floor_until=NL_FEED_IN_FLOOR_END,
)


@dataclass(frozen=True, slots=True)
class TariffDefaults:
    """Defaults for one country, with the year they hold for."""

    year: int
    energy_tax: float
    vat_percent: float
    export_mode: ExportMode
    rules: ExportRules = NO_RULES


NL_DEFAULTS: Final = TariffDefaults(2026, 0.0916, 21.0, ExportMode.NET_METERING, NL_RULES)
BE_DEFAULTS: Final = TariffDefaults(2026, 0.0475, 6.0, ExportMode.SPOT)
OTHER_DEFAULTS: Final = TariffDefaults(2026, 0.0, 0.0, ExportMode.SPOT)


def defaults_for(country: str | None) -> TariffDefaults:
    """The tariff defaults for an ISO country code."""
    return {"NL": NL_DEFAULTS, "BE": BE_DEFAULTS}.get((country or "").upper(), OTHER_DEFAULTS)


@dataclass(frozen=True, slots=True)
class Tariff:
    """Turns spot prices (EUR/kWh) into what the household pays and gets paid, per slot."""

    markup: float = 0.0
    energy_tax: float = 0.0
    vat_percent: float = 0.0
    export_mode: ExportMode = ExportMode.SPOT
    # Subtracted from spot in SPOT_MINUS_FEE.
    export_fee: float = 0.0
    # Paid per exported kWh in FIXED.
    feed_in_price: float = 0.0
    # Charged per exported kWh in every mode (terugleverkosten).
    feed_in_cost: float = 0.0
    rules: ExportRules = field(default=NO_RULES)

    def import_price(self, spot: float) -> float:
        """The all-in price of one imported kWh, VAT included."""
        return (spot + self.markup + self.energy_tax) * (1 + self.vat_percent / 100)

    def bare_supply_price(self, spot: float) -> float:
        """The supply price without energy tax and VAT (the base of the legal feed-in floor)."""
        return spot + self.markup

    def export_mode_at(self, start: datetime) -> ExportMode:
        """The feed-in mode of the slot starting at start (net metering ends where the law says)."""
        if self.export_mode is ExportMode.NET_METERING and self.rules.net_metering_ended(start):
            return self.rules.after_net_metering
        return self.export_mode

    def export_price(self, spot: float, start: datetime) -> float:
        """What one kWh exported in the slot starting at start earns, after the feed-in cost."""
        mode = self.export_mode_at(start)
        if mode is ExportMode.NET_METERING:
            paid = self.import_price(spot)
        elif mode is ExportMode.SPOT_MINUS_FEE:
            paid = spot - self.export_fee
        elif mode is ExportMode.FIXED:
            paid = self.feed_in_price
        else:
            paid = spot
        return paid - self.feed_in_cost
