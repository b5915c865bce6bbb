"""Keeps the day-ahead prices: cache first, fetch in the background, never block Home Assistant.

- Setup loads the cached prices from Home Assistant's storage at once and starts the first fetch
  as a background task: a slow or dead ENTSO-E never delays start-up.
- Tomorrow's prices are asked for from their usual publication time (13:00 CET) on, every
  10 minutes until they arrive; then the next fetch is the next day's publication time.
- Temporary failures are retried with backoff (1 min doubling to 30 min) while the cached prices
  stay in use; each failure streak is logged once. A refused token starts re-authentication.
- A repair issue is raised when tomorrow's prices are still missing late in the day; it clears
  itself when they arrive. Another one when a fixed feed-in price lies below the Dutch legal
  floor for the known slots (2027-2029); it clears itself too.
- The tariff is applied once per update: ``data`` is the priced series (spot, all-in import and
  export per slot) that the entities, ``get_prices`` and the planner read. The cache holds the
  spot prices only, in the same format as ever.
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
from ..core.prices import (
    EntsoeAuthError,
    EntsoeClient,
    ExportMode,
    PricedSeries,
    PriceSeries,
    Tariff,
    default_zone,
    defaults_for,
    local_day_start,
    priced,
)
from ..data import OpenHemConfigEntry
from .const import (
    CONF_BIDDING_ZONE,
    CONF_ENERGY_TAX,
    CONF_EXPORT_FEE,
    CONF_EXPORT_MODE,
    CONF_FEED_IN_COST,
    CONF_FEED_IN_PRICE,
    CONF_MARKUP,
    CONF_PRICE_ENTRY,
    CONF_PRICE_SOURCE,
    CONF_RESOLUTION,
    CONF_TOKEN,
    CONF_VAT,
    ISSUE_FEED_IN_BELOW_FLOOR,
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
from .sources import DemoSource, EntsoeSource, PriceSource, ServiceSource

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
        feed_in_price=float(options.get(CONF_FEED_IN_PRICE, 0.0)),
        feed_in_cost=float(options.get(CONF_FEED_IN_COST, 0.0)),
        rules=defaults.rules,
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
    if kind == PriceSourceKind.DEMO:
        return DemoSource(hass)
    return None


def _day_start(moment: datetime, days: int = 0) -> datetime:
    """The UTC start of Home Assistant's local day containing moment, shifted by days."""
    return local_day_start(moment, dt_util.get_default_time_zone(), days)


def publication_time(moment: datetime, days: int = 0) -> datetime:
    """13:00 CET/CEST on the (Brussels) day containing moment, shifted by days, in UTC."""
    zone = dt_util.get_time_zone(PUBLICATION_TIME_ZONE)
    assert zone is not None
    day = moment.astimezone(zone).date() + timedelta(days=days)
    return dt_util.as_utc(datetime.combine(day, time(PUBLICATION_HOUR), tzinfo=zone))


class PriceCoordinator(DataUpdateCoordinator[PricedSeries]):
    """Holds the spot prices and, as its data, the priced series everything else reads."""

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
        self.spot = PriceSeries()
        self.data = self._priced(self.spot)
        self.last_error: str | None = None
        self.next_fetch: datetime | None = None
        self._failures = 0
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.prices.{entry.entry_id}"
        )
        self._unsub_fetch: CALLBACK_TYPE | None = None
        self._unsub_tick: CALLBACK_TYPE | None = None

    def _priced(self, spot: PriceSeries) -> PricedSeries:
        """The tariff applied to every slot, once (display resolution, local days)."""
        return priced(
            spot,
            self.tariff,
            minutes=self.resolution_minutes,
            zone=dt_util.get_default_time_zone(),
        )

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
            self.spot = cached.pruned(_day_start(dt_util.utcnow(), -1))
            self.data = self._priced(self.spot)

    @callback
    def async_start(self) -> None:
        """Start the quarter-hour tick and the first fetch, in the background."""
        self._unsub_tick = async_track_time_change(
            self.hass, self._async_tick, minute=(0, 15, 30, 45), second=0
        )
        self._update_repair_issue(dt_util.utcnow())
        self._update_floor_issue(self.data)
        self._async_fetch_at(dt_util.utcnow())

    async def async_shutdown(self) -> None:
        """Stop timers; an unloaded entry leaves no repair issue behind."""
        await super().async_shutdown()
        ir.async_delete_issue(self.hass, DOMAIN, ISSUE_TOMORROW_MISSING)
        ir.async_delete_issue(self.hass, DOMAIN, ISSUE_FEED_IN_BELOW_FLOOR)
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

    async def _async_update_data(self) -> PricedSeries:
        """Fetch today and tomorrow; on failure keep the cache and schedule a retry."""
        now = dt_util.utcnow()
        start, end = _day_start(now), _day_start(now, 2)
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
        series = self.spot.merged(fresh).pruned(_day_start(now, -1))
        if series.prices != self.spot.prices:
            await self._store.async_save({"source": self.source.key, "prices": series.to_json()})
        self.spot = series
        result = self._priced(series)
        self._schedule_fetch(self._next_fetch(now, series))
        self._update_repair_issue(now, result)
        self._update_floor_issue(result)
        return result

    def _next_fetch(self, now: datetime, series: PriceSeries) -> datetime:
        tomorrow, after = _day_start(now, 1), _day_start(now, 2)
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
    def _update_repair_issue(self, now: datetime, series: PricedSeries | None = None) -> None:
        series = self.data if series is None else series
        late = dt_util.as_local(now).hour >= MISSING_TOMORROW_HOUR
        if late and not series.day_known(now, 1):
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

    @callback
    def _update_floor_issue(self, series: PricedSeries) -> None:
        """A fixed feed-in price below the legal floor: a repair notice (and one log line)."""
        shortfall = series.feed_in_floor
        if shortfall is None:
            ir.async_delete_issue(self.hass, DOMAIN, ISSUE_FEED_IN_BELOW_FLOOR)
            return
        if ir.async_get(self.hass).async_get_issue(DOMAIN, ISSUE_FEED_IN_BELOW_FLOOR) is None:
            LOGGER.warning(
                "The fixed feed-in price EUR %.4f/kWh is below the legal floor of EUR %.4f/kWh "
                "(half the mean bare supply price of the known prices); check the contract",
                shortfall.price,
                shortfall.floor,
            )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            ISSUE_FEED_IN_BELOW_FLOOR,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_FEED_IN_BELOW_FLOOR,
            translation_placeholders={
                "price": f"{shortfall.price:.4f}",
                "floor": f"{shortfall.floor:.4f}",
            },
        )

    @property
    def failures(self) -> int:
        """Failed fetches since the last success."""
        return self._failures


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
