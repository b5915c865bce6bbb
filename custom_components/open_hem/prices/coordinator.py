"""Keeps the day-ahead prices: cache first, fetch in the background, never block Home Assistant.

- Setup loads the cached prices from Home Assistant's storage at once and starts the first fetch
  as a background task: a slow or dead ENTSO-E never delays start-up.
- Tomorrow's prices are asked for from their usual publication time (13:00 CET) on, every
  10 minutes until they arrive; then the next fetch is the next day's publication time.
- Temporary failures are retried with backoff (1 min doubling to 30 min) while the cached prices
  stay in use; each failure streak is logged once. A refused token starts re-authentication.
- A repair issue is raised when tomorrow's prices are still missing late in the day; it clears
  itself when they arrive.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_point_in_utc_time, async_track_time_change
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..core.prices.analysis import DayStats, PriceLevel, best_window, price_level, stats
from ..core.prices.entsoe_client import EntsoeClient
from ..core.prices.errors import EntsoeAuthError
from ..core.prices.series import PriceSeries, PriceSlot
from ..core.prices.tariff import ExportMode, Tariff, defaults_for
from ..core.prices.zones import default_zone
from ..data import OpenHemConfigEntry
from .const import (
    CONF_BIDDING_ZONE,
    CONF_ENERGY_TAX,
    CONF_EXPORT_FEE,
    CONF_EXPORT_MODE,
    CONF_MARKUP,
    CONF_PRICE_ENTRY,
    CONF_PRICE_SOURCE,
    CONF_RESOLUTION,
    CONF_TOKEN,
    CONF_VAT,
    ISSUE_TOMORROW_MISSING,
    MISSING_TOMORROW_HOUR,
    POLL_UNTIL_PUBLISHED_S,
    PUBLICATION_HOUR,
    PUBLICATION_TIME_ZONE,
    RESOLUTION_15,
    RETRY_FIRST_S,
    RETRY_MAX_S,
    PriceSourceKind,
)
from .sources import EntsoeSource, PriceSource, ServiceSource

STORAGE_VERSION = 1


def tariff_from_options(options: dict[str, Any], country: str | None) -> Tariff:
    """The tariff the user set, with the country's defaults for what is not set."""
    defaults = defaults_for(country)
    return Tariff(
        markup=float(options.get(CONF_MARKUP, 0.0)),
        energy_tax=float(options.get(CONF_ENERGY_TAX, defaults.energy_tax)),
        vat_percent=float(options.get(CONF_VAT, defaults.vat_percent)),
        export_mode=ExportMode(options.get(CONF_EXPORT_MODE, defaults.export_mode)),
        export_fee=float(options.get(CONF_EXPORT_FEE, 0.0)),
    )


def source_from_entry(hass: HomeAssistant, entry: OpenHemConfigEntry) -> PriceSource | None:
    """The price source the entry names, or None when prices are off."""
    kind = entry.data.get(CONF_PRICE_SOURCE, PriceSourceKind.NONE)
    if kind == PriceSourceKind.ENTSOE:
        client = EntsoeClient(async_get_clientsession(hass), entry.data[CONF_TOKEN])
        zone = entry.data.get(CONF_BIDDING_ZONE) or default_zone(hass.config.country)
        return EntsoeSource(client, zone)
    if kind in (PriceSourceKind.NORDPOOL, PriceSourceKind.ENERGYZERO):
        return ServiceSource(hass, kind, entry.data[CONF_PRICE_ENTRY])
    return None


def local_day_start(moment: datetime, days: int = 0) -> datetime:
    """The UTC start of the local day containing moment, shifted by days."""
    day = dt_util.as_local(moment).date() + timedelta(days=days)
    return dt_util.as_utc(dt_util.start_of_local_day(day))


def publication_time(moment: datetime, days: int = 0) -> datetime:
    """13:00 CET/CEST on the (Brussels) day containing moment, shifted by days, in UTC."""
    zone = dt_util.get_time_zone(PUBLICATION_TIME_ZONE)
    assert zone is not None
    day = moment.astimezone(zone).date() + timedelta(days=days)
    return dt_util.as_utc(datetime.combine(day, time(PUBLICATION_HOUR), tzinfo=zone))


class PriceCoordinator(DataUpdateCoordinator[PriceSeries]):
    """Holds the price series and derives what the entities and services show."""

    config_entry: OpenHemConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: OpenHemConfigEntry,
        source: PriceSource,
        tariff: Tariff,
        resolution_minutes: int,
    ) -> None:
        """Nothing is fetched here; call async_start."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} prices",
            update_interval=None,
            always_update=True,
        )
        self.source = source
        self.tariff = tariff
        self.resolution_minutes = resolution_minutes
        self.data = PriceSeries()
        self.last_error: str | None = None
        self.next_fetch: datetime | None = None
        self._failures = 0
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.prices.{entry.entry_id}"
        )
        self._unsub_fetch: CALLBACK_TYPE | None = None
        self._unsub_tick: CALLBACK_TYPE | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    async def async_load_cache(self) -> None:
        """Load cached prices of the same source; junk in storage is ignored."""
        try:
            stored = await self._store.async_load()
        except (HomeAssistantError, ValueError) as err:
            LOGGER.warning("Ignoring unreadable price cache: %s", err)
            stored = None
        if (
            isinstance(stored, dict)
            and stored.get("source") == self.source.key
            and isinstance(stored.get("prices"), dict)
        ):
            cached = PriceSeries.from_json(stored["prices"])
            self.data = cached.pruned(local_day_start(dt_util.utcnow(), -1))

    @callback
    def async_start(self) -> None:
        """Start the quarter-hour tick and the first fetch, in the background."""
        self._unsub_tick = async_track_time_change(
            self.hass, self._async_tick, minute=(0, 15, 30, 45), second=0
        )
        self._update_repair_issue(dt_util.utcnow())
        self._async_fetch_at(dt_util.utcnow())

    async def async_shutdown(self) -> None:
        """Stop timers; an unloaded entry leaves no repair issue behind."""
        await super().async_shutdown()
        ir.async_delete_issue(self.hass, DOMAIN, ISSUE_TOMORROW_MISSING)
        for unsub in (self._unsub_fetch, self._unsub_tick):
            if unsub is not None:
                unsub()
        self._unsub_fetch = self._unsub_tick = None

    # -- fetching ------------------------------------------------------------------------------

    @callback
    def _schedule_fetch(self, when: datetime) -> None:
        if self._unsub_fetch is not None:
            self._unsub_fetch()
        self.next_fetch = when
        self._unsub_fetch = async_track_point_in_utc_time(self.hass, self._async_fetch_at, when)

    @callback
    def _async_fetch_at(self, _now: datetime) -> None:
        self._unsub_fetch = None
        self.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{DOMAIN} price fetch"
        )

    async def _async_update_data(self) -> PriceSeries:
        """Fetch today and tomorrow; on failure keep the cache and schedule a retry."""
        now = dt_util.utcnow()
        start, end = local_day_start(now), local_day_start(now, 2)
        try:
            fresh = await self.source.async_fetch(start, end)
        except EntsoeAuthError:
            LOGGER.warning("ENTSO-E refused the token; keeping cached prices until it is renewed")
            self.last_error = "invalid_auth"
            self.config_entry.async_start_reauth(self.hass)
            return self.data
        except Exception as err:  # temporary errors, or a bug: fetching must go on
            self._failures += 1
            delay = min(RETRY_FIRST_S * 2 ** (self._failures - 1), RETRY_MAX_S)
            if self._failures == 1:
                LOGGER.warning(
                    "Could not get prices from %s (%s); keeping cached prices, retrying with "
                    "backoff (logged once until it works again)",
                    self.source.key,
                    err,
                )
            self.last_error = str(err)
            self._schedule_fetch(now + timedelta(seconds=delay))
            return self.data
        if self._failures:
            LOGGER.info("Prices from %s are back", self.source.key)
        self._failures = 0
        self.last_error = None
        series = self.data.merged(fresh).pruned(local_day_start(now, -1))
        if series.prices != self.data.prices:
            await self._store.async_save({"source": self.source.key, "prices": series.to_json()})
        self._schedule_fetch(self._next_fetch(now, series))
        self._update_repair_issue(now, series)
        return series

    def _next_fetch(self, now: datetime, series: PriceSeries) -> datetime:
        tomorrow, after = local_day_start(now, 1), local_day_start(now, 2)
        poll = now + timedelta(seconds=POLL_UNTIL_PUBLISHED_S)
        if not series.covers(now, tomorrow):
            return poll  # the rest of today is (still) incomplete: keep asking
        if series.covers(tomorrow, after):
            return publication_time(now, 1)
        if now >= publication_time(now):
            return poll
        return publication_time(now)

    # -- tick and repairs ------------------------------------------------------------------------

    @callback
    def _async_tick(self, now: datetime) -> None:
        """Every quarter hour: entities move to the new slot; the repair issue is checked."""
        self._update_repair_issue(now)
        self.async_update_listeners()

    @callback
    def _update_repair_issue(self, now: datetime, series: PriceSeries | None = None) -> None:
        series = self.data if series is None else series
        late = dt_util.as_local(now).hour >= MISSING_TOMORROW_HOUR
        if late and not self.tomorrow_known(now, series):
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                ISSUE_TOMORROW_MISSING,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_TOMORROW_MISSING,
                translation_placeholders={
                    "source": self.source.key,
                    "error": self.last_error or "-",
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, ISSUE_TOMORROW_MISSING)

    # -- what entities and services read ---------------------------------------------------------

    def tomorrow_known(self, now: datetime, series: PriceSeries | None = None) -> bool:
        """Whether every slot of tomorrow (local) has a price."""
        series = self.data if series is None else series
        return series.covers(local_day_start(now, 1), local_day_start(now, 2))

    def slots(self, start: datetime, end: datetime, minutes: int | None = None) -> list[PriceSlot]:
        """Spot slots in [start, end) at the display resolution (or the given one)."""
        minutes = minutes or self.resolution_minutes
        return self.data.resampled(minutes, start, end)

    def _slot_at(self, moment: datetime, minutes: int | None = None) -> PriceSlot | None:
        minutes = minutes or self.resolution_minutes
        step = timedelta(minutes=minutes)
        local = dt_util.as_local(moment)
        floor = local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)
        found = self.slots(dt_util.as_utc(floor), dt_util.as_utc(floor) + step, minutes)
        return found[0] if found else None

    def spot_at(self, moment: datetime) -> float | None:
        """The spot price (EUR/kWh) of the display slot containing moment."""
        slot = self._slot_at(moment)
        return None if slot is None else slot.price

    def all_in_at(self, moment: datetime) -> float | None:
        """The all-in import price of the display slot containing moment."""
        spot = self.spot_at(moment)
        return None if spot is None else self.tariff.import_price(spot)

    def next_all_in(self, now: datetime) -> float | None:
        """The all-in price of the next display slot."""
        return self.all_in_at(now + timedelta(minutes=self.resolution_minutes))

    def today_stats(self, now: datetime) -> DayStats | None:
        """Lowest, highest and average all-in price today (display resolution)."""
        day = self.slots(local_day_start(now), local_day_start(now, 1))
        found = stats(day)
        if found is None:
            return None
        price = self.tariff.import_price
        return DayStats(price(found.lowest), price(found.highest), price(found.average))

    def window_start(self, now: datetime, hours: int, *, cheapest: bool) -> datetime | None:
        """Start of the cheapest/dearest upcoming window of the given hours."""
        return best_window(self.data, now, hours, cheapest=cheapest)

    def level(self, now: datetime) -> PriceLevel | None:
        """The current slot's price level within today."""
        spot = self.spot_at(now)
        if spot is None:
            return None
        day = [s.price for s in self.slots(local_day_start(now), local_day_start(now, 1))]
        return price_level(spot, day)

    def diagnostics(self) -> dict[str, Any]:
        """What the price part knows, for the entry's diagnostics (no token)."""
        return {
            "source": self.source.key,
            "slots": len(self.data),
            "first": self.data.first.isoformat() if self.data.first else None,
            "last": self.data.last.isoformat() if self.data.last else None,
            "next_fetch": self.next_fetch.isoformat() if self.next_fetch else None,
            "last_error": self.last_error,
            "failures": self._failures,
            "resolution_minutes": self.resolution_minutes,
            "tariff": {
                "markup": self.tariff.markup,
                "energy_tax": self.tariff.energy_tax,
                "vat_percent": self.tariff.vat_percent,
                "export_mode": self.tariff.export_mode.value,
                "export_fee": self.tariff.export_fee,
            },
        }


async def async_setup_prices(
    hass: HomeAssistant, entry: OpenHemConfigEntry
) -> PriceCoordinator | None:
    """Create, load from cache and start the price coordinator; None when prices are off."""
    source = source_from_entry(hass, entry)
    if source is None:
        return None
    coordinator = PriceCoordinator(
        hass,
        entry,
        source,
        tariff_from_options(dict(entry.options), hass.config.country),
        int(entry.options.get(CONF_RESOLUTION, RESOLUTION_15)),
    )
    await coordinator.async_load_cache()
    entry.async_on_unload(coordinator.async_shutdown)
    coordinator.async_start()
    return coordinator
