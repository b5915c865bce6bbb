"""Price sources: ENTSO-E directly, or a price integration already in Home Assistant."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from ..core.prices import TIMEOUT_S, EntsoeClient, PriceSeries, PriceTemporaryError, eic
from ..core.sim import replay_prices


class PriceSourceError(PriceTemporaryError):
    """A price integration in Home Assistant could not answer (retried like ENTSO-E errors)."""


class PriceSource(Protocol):
    """Something that returns spot prices (EUR/kWh) for a UTC interval."""

    @property
    def key(self) -> str:
        """Identifies the source and area; the cache is only used for the same key."""

    async def async_fetch(self, start: datetime, end: datetime) -> PriceSeries:
        """Spot prices for [start, end); missing days are simply absent."""


class EntsoeSource:
    """ENTSO-E day-ahead prices for one bidding zone."""

    def __init__(self, client: EntsoeClient, zone: str) -> None:
        """Use the client for the given zone key."""
        self._client = client
        self.zone = zone

    @property
    def key(self) -> str:
        """entsoe:<zone>."""
        return f"entsoe:{self.zone}"

    async def async_fetch(self, start: datetime, end: datetime) -> PriceSeries:
        """One A44 request for the whole interval."""
        return await self._client.async_get_day_ahead(eic(self.zone), start, end)


def _local_dates(start: datetime, end: datetime) -> list[date]:
    first = dt_util.as_local(start).date()
    last = dt_util.as_local(end - timedelta(seconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _intervals(rows: Any, per_mwh: bool) -> list[tuple[datetime, datetime, float]]:
    """(start, end, EUR/kWh) from a service response's list of {start, end, price}."""
    result = []
    if not isinstance(rows, list):
        raise PriceSourceError("response is not a list of prices")
    for row in rows:
        try:
            start = dt_util.parse_datetime(str(row["start"]))
            end = dt_util.parse_datetime(str(row["end"]))
            price = float(row["price"])
        except (KeyError, TypeError, ValueError) as err:
            raise PriceSourceError(f"unreadable price row {row!r}") from err
        if start is None or end is None or start.tzinfo is None or end.tzinfo is None:
            raise PriceSourceError(f"unreadable price row {row!r}")
        result.append((start, end, price / 1000 if per_mwh else price))
    return result


class ServiceSource:
    """Prices from another integration's response-returning service, one local day a call."""

    def __init__(self, hass: HomeAssistant, domain: str, entry_id: str) -> None:
        """Call domain's service on the given config entry of that integration."""
        self._hass = hass
        self.domain = domain
        self.entry_id = entry_id

    @property
    def key(self) -> str:
        """<domain>:<config entry id>."""
        return f"{self.domain}:{self.entry_id}"

    async def async_fetch(self, start: datetime, end: datetime) -> PriceSeries:
        """Ask for each local day; days that fail after the first are taken as not published."""
        series = PriceSeries()
        for index, day in enumerate(_local_dates(start, end)):
            try:
                async with asyncio.timeout(TIMEOUT_S):
                    response = await self._call(day)
            except (HomeAssistantError, TimeoutError) as err:
                if index == 0:
                    reason = str(err) or type(err).__name__
                    raise PriceSourceError(f"{self.domain}: {reason}") from err
                continue
            series = series.merged(PriceSeries.from_intervals(self._parse(response)))
        return series

    async def _call(self, day: date) -> Mapping[str, Any]:
        data: dict[str, Any]
        if self.domain == "nordpool":
            service, data = (
                "get_prices_for_date",
                {"config_entry": self.entry_id, "date": day.isoformat(), "currency": "EUR"},
            )
        else:
            service, data = (
                "get_energy_prices",
                {
                    "config_entry": self.entry_id,
                    "incl_vat": False,
                    "start": day.isoformat(),
                    "end": day.isoformat(),
                    "interval": "quarter",
                },
            )
        response = await self._hass.services.async_call(
            self.domain, service, data, blocking=True, return_response=True
        )
        return response or {}

    def _parse(self, response: Mapping[str, Any]) -> list[tuple[datetime, datetime, float]]:
        if self.domain == "nordpool":
            # {area: [{start, end, price (EUR/MWh)}]}; the entry's first area.
            rows: Any = next(iter(response.values()), [])
            return _intervals(rows, per_mwh=True)
        # EnergyZero: {"prices": [{start, end, price (EUR/kWh)}]}
        return _intervals(response.get("prices", []), per_mwh=False)


class DemoSource:
    """The bundled NL day (with a negative-price afternoon) replayed on any days: no internet."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Lay the prices on Home Assistant's local days."""
        self._hass = hass

    @property
    def key(self) -> str:
        """demo."""
        return "demo"

    async def async_fetch(self, start: datetime, end: datetime) -> PriceSeries:
        """The replayed prices for [start, end), by Home Assistant's local wall-clock time."""
        days = _local_dates(start, end)
        replayed = replay_prices(days[0], len(days), self._hass.config.time_zone)
        return PriceSeries({t: p for t, p in replayed.prices.items() if start <= t < end})
