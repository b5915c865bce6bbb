"""All-in Dutch/Belgian electricity tariffs built on the day-ahead spot price.

all-in import price = (spot + supplier markup + energy tax) x (1 + VAT)

Default values, all in EUR/kWh excluding VAT (review them every January):
- NL 2026: energy tax (energiebelasting) first band EUR 0.0916/kWh (2025: 0.1015); VAT 21 %.
  Net metering (salderingsregeling) applies until 1 January 2027, so exported energy is paid at
  the import price by default.
- BE 2026: VAT on household electricity 6 % (made permanent in April 2023); the federal special
  excise duty (bijzondere accijns) on household electricity at its full rate since July 2023,
  EUR 47.48/MWh = EUR 0.0475/kWh excluding VAT (lower on the 3 MWh basic band when wholesale
  prices are very high; check the supplier's bill).
- Elsewhere: no defaults (0), the user enters what their bill says.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class ExportMode(StrEnum):
    """How exported energy is paid."""

    SPOT = "spot"
    SPOT_MINUS_FEE = "spot_minus_fee"
    NET_METERING = "net_metering"


@dataclass(frozen=True, slots=True)
class TariffDefaults:
    """Defaults for one country, with the year they hold for."""

    year: int
    energy_tax: float
    vat_percent: float
    export_mode: ExportMode


NL_DEFAULTS: Final = TariffDefaults(2026, 0.0916, 21.0, ExportMode.NET_METERING)
BE_DEFAULTS: Final = TariffDefaults(2026, 0.0475, 6.0, ExportMode.SPOT)
OTHER_DEFAULTS: Final = TariffDefaults(2026, 0.0, 0.0, ExportMode.SPOT)


def defaults_for(country: str | None) -> TariffDefaults:
    """The tariff defaults for an ISO country code."""
    return {"NL": NL_DEFAULTS, "BE": BE_DEFAULTS}.get((country or "").upper(), OTHER_DEFAULTS)


@dataclass(frozen=True, slots=True)
class Tariff:
    """Turns spot prices (EUR/kWh) into what the household pays and gets paid."""

    markup: float = 0.0
    energy_tax: float = 0.0
    vat_percent: float = 0.0
    export_mode: ExportMode = ExportMode.SPOT
    export_fee: float = 0.0

    def import_price(self, spot: float) -> float:
        """The all-in price of one imported kWh, VAT included."""
        return (spot + self.markup + self.energy_tax) * (1 + self.vat_percent / 100)

    def export_price(self, spot: float) -> float:
        """What one exported kWh earns."""
        if self.export_mode is ExportMode.NET_METERING:
            return self.import_price(spot)
        if self.export_mode is ExportMode.SPOT_MINUS_FEE:
            return spot - self.export_fee
        return spot
