"""One P1 meter: its source, its latest reading, averaged power, errors and connection state.

Push-based, one per ``p1_meter`` subentry. Telegrams (or dongle messages, or HomeWizard answers)
come in whenever the meter sends them; entities are written once per update interval with power
averaged over that interval and the latest totals. Bad input is counted and logged at debug. No
valid data for 60 s means the meter is lost: entities go unavailable, one warning is logged, and
stream sources reconnect with backoff (1 s doubling up to 60 s); one info line on recovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
import logging
from typing import Any

from homeassistant.components.sensor import SensorExtraStoredData
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.restore_state import async_get as async_get_restore_data
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..core.p1 import (
    IGNORED_LINE,
    POWER_FIELDS,
    Backwards,
    MeterReading,
    PowerAverager,
    SourceError,
    TotalGuard,
)
from ..data import OpenHemConfigEntry
from ..listeners import Listeners
from .const import (
    BACKOFF_MAX_S,
    BACKOFF_START_S,
    CONF_DSMR_VERSION,
    CONF_UPDATE_INTERVAL,
    DEFAULT_DSMR_VERSION,
    DEFAULT_UPDATE_INTERVAL_S,
    ISSUE_METER_SWAPPED,
    METER_SWAP_AFTER_S,
    SILENCE_TIMEOUT_S,
    SUBENTRY_P1_METER,
    TOTAL_ENTITY_KEYS,
)
from .sources import P1Source, SourceCallbacks, create_source

_LOGGER = logging.getLogger(__name__)

WATCHDOG_INTERVAL = timedelta(seconds=5)


class P1Coordinator:
    """The running state of one P1 meter subentry."""

    def __init__(self, hass: HomeAssistant, entry_id: str, subentry: ConfigSubentry) -> None:
        """Prepare; nothing is opened until async_start."""
        self.hass = hass
        self.entry_id = entry_id
        self.subentry_id = subentry.subentry_id
        self.title = subentry.title
        self.config: dict[str, Any] = dict(subentry.data)
        self.dsmr_version: str = self.config.get(CONF_DSMR_VERSION, DEFAULT_DSMR_VERSION)
        self.update_interval = timedelta(
            seconds=int(self.config.get(CONF_UPDATE_INTERVAL, DEFAULT_UPDATE_INTERVAL_S))
        )
        self.reading: MeterReading | None = None
        self.power: dict[str, float] = {}
        self.errors = 0
        # Valid readings (telegrams, dongle messages, HomeWizard answers) and when the last came.
        self.telegrams = 0
        self.last_reading_at: datetime | None = None
        # Telegrams used without a line dsmr_parser could not read.
        self.partial_telegrams = 0
        self.connected = False
        self.guard = TotalGuard()
        self._averager = PowerAverager(POWER_FIELDS)
        self._listeners: Listeners[[]] = Listeners()
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._retry: CALLBACK_TYPE | None = None
        # The source kind is decided here, once.
        self.source: P1Source = create_source(
            hass,
            self.config,
            SourceCallbacks(
                on_reading=self.async_handle_reading,
                on_error=self.async_handle_error,
                on_lost=self._on_source_lost,
                on_ready=self._on_source_ready,
            ),
        )
        self._task: asyncio.Task[None] | None = None
        self._last_data: float | None = None
        self._last_activity = 0.0
        self._backoff = BACKOFF_START_S
        self._loss_logged = False
        self._stopped = False
        self._known_fields: set[str] = set()
        self._backwards_since: float | None = None
        self.swap_suspected = False

    # --- lifecycle ---------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Start reading; never raises for an unreachable meter (it is retried)."""
        self._last_activity = _now()
        self._unsubscribe.append(
            async_track_time_interval(
                self.hass, self._async_tick, self.update_interval, name="open_hem P1 update"
            )
        )
        self._unsubscribe.append(
            async_track_time_interval(
                self.hass, self._async_watchdog, WATCHDOG_INTERVAL, name="open_hem P1 watchdog"
            )
        )
        if (unwatch := self.source.async_watch()) is not None:
            self._unsubscribe.append(unwatch)
        # Waiting for MQTT (or a connection) must not hold up Home Assistant's start.
        self._async_retry(None)

    @callback
    def async_stop(self) -> None:
        """Stop everything this meter started."""
        self._stopped = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._retry is not None:
            self._retry()
            self._retry = None
        self.source.close()
        if self._task is not None and not self._task.done():
            # E.g. still waiting (up to 50 s) for the MQTT client.
            self._task.cancel()
        self._task = None
        # Like the price issue: an unloaded meter leaves no repair issue behind.
        ir.async_delete_issue(self.hass, DOMAIN, self._swap_issue_id)

    @callback
    def async_seed_totals(self, totals: dict[str, float]) -> None:
        """Totals shown before (restored states): the guard's bounds before the first reading."""
        for key, value in totals.items():
            self.guard.seed(key, value)

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` after every update and every change of connection state."""
        return self._listeners.add(listener)

    # --- incoming data -------------------------------------------------------------------------

    @callback
    def async_handle_reading(self, reading: MeterReading) -> None:
        """A valid reading arrived: guard the totals, feed the averager, mark the meter alive."""
        now = _now()
        self._last_data = now
        self._last_activity = now
        self.telegrams += 1
        self.last_reading_at = dt_util.utcnow()
        guarded = self.guard.apply(reading)
        reading = guarded.reading
        if guarded.backwards is not None:
            _LOGGER.debug(
                "%s: %s went backwards to %s, dropped",
                self.title,
                guarded.backwards.key,
                guarded.backwards.reported,
            )
        if guarded.has_totals:
            self._check_meter_swap(now, guarded.backwards)
        self._averager.add(now, {key: getattr(reading, key) for key in POWER_FIELDS})
        fields = reading.values().keys()
        new_fields = not self._known_fields.issuperset(fields)
        self._known_fields.update(fields)
        self.reading = reading
        self._mark_alive()
        if new_fields:
            # A value the meter did not report before: show its entity now, not next interval.
            self._async_tick(None)

    @callback
    def async_handle_error(self, kind: str) -> None:
        """Count a telegram or payload that could not be used (logged at debug by the reader).

        A telegram that was used without a line dsmr_parser could not read is counted apart:
        some meters send such a line in every telegram, and that is no telegram error.
        """
        if kind == IGNORED_LINE:
            self.partial_telegrams += 1
        else:
            self.errors += 1

    # --- meter swap ----------------------------------------------------------------------------

    @property
    def _swap_issue_id(self) -> str:
        return f"{ISSUE_METER_SWAPPED}_{self.subentry_id}"

    def _check_meter_swap(self, now: float, backwards: Backwards | None) -> None:
        """Totals below the shown ones in every reading for 10 minutes: raise the repair issue.

        One reading with plausible totals ends the streak (it was a bad read) and clears it.
        """
        if backwards is None:
            self._backwards_since = None
            if self.swap_suspected:
                self.swap_suspected = False
                ir.async_delete_issue(self.hass, DOMAIN, self._swap_issue_id)
            return
        if self._backwards_since is None:
            self._backwards_since = now
        if self.swap_suspected or now - self._backwards_since < METER_SWAP_AFTER_S:
            return
        self.swap_suspected = True
        old, new = backwards.shown, backwards.reported
        _LOGGER.warning(
            "%s: its totals have been below the earlier ones for %d minutes; "
            "was the meter replaced? See Settings > Repairs",
            self.title,
            METER_SWAP_AFTER_S // 60,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._swap_issue_id,
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_METER_SWAPPED,
            translation_placeholders={
                "meter": self.title,
                "minutes": str(METER_SWAP_AFTER_S // 60),
                "old": f"{old:g}",
                "new": f"{new:g}",
            },
            data={"entry_id": self.entry_id, "subentry_id": self.subentry_id},
        )

    @callback
    def async_accept_new_totals(self) -> None:
        """The meter was replaced: its totals count from now on (the repair flow's fix)."""
        _LOGGER.info("%s: accepting the new meter's totals", self.title)
        self.guard.reset()
        self._backwards_since = None
        self.swap_suspected = False
        ir.async_delete_issue(self.hass, DOMAIN, self._swap_issue_id)

    # --- diagnostics ---------------------------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """State for the diagnostics download: counts, times and the latest values.

        The meter's equipment identifier (its serial number) is left out; the connection
        settings are redacted by diagnostics.py.
        """
        reading = None
        if self.reading is not None:
            reading = {
                key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in self.reading.values().items()
                if key != "meter_id"
            }
        return {
            "source": self.source.kind,
            "dsmr_version": self.dsmr_version,
            "update_interval_s": self.update_interval.total_seconds(),
            "connected": self.connected,
            "telegrams": self.telegrams,
            "telegram_errors": self.errors,
            "partial_telegrams": self.partial_telegrams,
            "rejected_totals": self.guard.dropped,
            "meter_swap_suspected": self.swap_suspected,
            "last_telegram": self.last_reading_at.isoformat() if self.last_reading_at else None,
            "reading": reading,
        }

    # --- entities ------------------------------------------------------------------------------

    @callback
    def _async_tick(self, _now_dt: datetime | None) -> None:
        """Once per update interval: average the power and let the entities write their state."""
        if self.connected:
            self.power = self._averager.flush(_now())
        self._notify()

    def _notify(self) -> None:
        self._listeners.notify()

    # --- connection state ----------------------------------------------------------------------

    def _mark_alive(self) -> None:
        self._backoff = BACKOFF_START_S
        if self.connected:
            return
        self.connected = True
        if self._loss_logged:
            _LOGGER.info("%s is sending data again", self.title)
            self._loss_logged = False
        self._notify()

    def _mark_lost(self, reason: str) -> None:
        was_connected = self.connected
        self.connected = False
        self._averager.reset()
        self.power = {}
        if not self._loss_logged:
            _LOGGER.warning("%s: %s; retrying in the background", self.title, reason)
            self._loss_logged = True
        else:
            _LOGGER.debug("%s still unreachable: %s", self.title, reason)
        if was_connected:
            self._notify()

    @callback
    def _async_watchdog(self, _now_dt: datetime) -> None:
        """Silence for 60 s: the meter is lost; an open stream is closed and reopened."""
        now = _now()
        if now - self._last_activity < SILENCE_TIMEOUT_S:
            return
        if self.connected or not self._loss_logged:
            self._mark_lost(f"no data for {SILENCE_TIMEOUT_S} s")
        if self.source.reopen_when_silent and self.source.is_open:
            self.source.close()
            self._schedule_backoff()
        self._last_activity = now

    def _schedule(self, delay: float) -> None:
        if self._stopped:  # pragma: no cover - async_stop cancels the running try first
            return
        if self._retry is not None:
            self._retry()
        self._retry = async_call_later(self.hass, delay, self._async_retry)

    def _schedule_backoff(self) -> None:
        delay = self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX_S)
        self._schedule(delay)

    @callback
    def _async_retry(self, _now_dt: datetime | None) -> None:
        self._retry = None
        self._task = self.hass.async_create_background_task(
            self._async_open(), f"open_hem P1 {self.source.kind} open"
        )

    async def _async_open(self) -> None:
        """Open the source; on failure, mark the meter lost and try again with backoff."""
        try:
            await self.source.async_open()
        except SourceError as err:
            self._mark_lost(f"cannot connect ({err})")
            self._schedule_backoff()
            return
        if self._stopped:  # pragma: no cover - async_stop cancels the running try first
            self.source.close()
            return
        _LOGGER.debug("%s: %s source open", self.title, self.source.kind)
        # Silence counts from here on, not from start-up.
        self._last_activity = _now()

    @callback
    def _on_source_lost(self, reason: str) -> None:
        """The source stopped by itself (the connection closed): try again with backoff."""
        if self._stopped:  # pragma: no cover - close() is quiet
            return
        self._mark_lost(reason)
        self._schedule_backoff()

    @callback
    def _on_source_ready(self) -> None:
        """The source may open now (MQTT connected): try at once instead of after the backoff."""
        if self._stopped or self.source.is_open:
            return
        if self._task is not None and not self._task.done():
            return  # a try is running
        self._backoff = BACKOFF_START_S
        if self._retry is not None:
            self._retry()
        self._async_retry(None)


def _now() -> float:
    """Seconds on the clock HA's timers (and the tests' time travel) use."""
    return dt_util.utcnow().timestamp()


async def async_start_p1_meters(hass: HomeAssistant, entry: OpenHemConfigEntry) -> None:
    """Start a coordinator for every P1 meter subentry; stop them when the entry unloads."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_P1_METER:
            continue
        coordinator = P1Coordinator(hass, entry.entry_id, subentry)
        # Before the first reading: what was shown before this start bounds what may follow.
        coordinator.async_seed_totals(restored_totals(hass, subentry.subentry_id))
        entry.runtime_data.meters[subentry.subentry_id] = coordinator
        entry.async_on_unload(coordinator.async_stop)
        await coordinator.async_start()


@callback
def restored_totals(hass: HomeAssistant, subentry_id: str) -> dict[str, float]:
    """The totals a meter's entities showed when Home Assistant last stopped (or reloaded)."""
    registry = er.async_get(hass)
    last_states = async_get_restore_data(hass).last_states
    totals: dict[str, float] = {}
    for key, field in TOTAL_ENTITY_KEYS.items():
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{subentry_id}_{key}")
        stored = last_states.get(entity_id) if entity_id else None
        if stored is None or stored.extra_data is None:
            continue
        data = SensorExtraStoredData.from_dict(stored.extra_data.as_dict())
        value = data.native_value if data is not None else None
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            totals[field] = float(value)
    return totals
