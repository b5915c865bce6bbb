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
import logging
from typing import Any

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..core.p1.averaging import PowerAverager, TotalGuard
from ..core.p1.dongles import FORMAT_RAW, DongleDecoder, PayloadError
from ..core.p1.homewizard import HomeWizardError, fetch_reading
from ..core.p1.readings import POWER_FIELDS, TOTAL_FIELDS, MeterReading
from ..core.p1.serial_tcp import (
    IGNORED_LINE,
    P1Protocol,
    SourceError,
    StreamCallbacks,
    open_serial,
    open_tcp,
)
from ..core.p1.telegram import TelegramError
from ..data import OpenHemConfigEntry
from .const import (
    BACKOFF_MAX_S,
    BACKOFF_START_S,
    CONF_DSMR_VERSION,
    CONF_HOST,
    CONF_PAYLOAD_FORMAT,
    CONF_PORT,
    CONF_SERIAL_PATH,
    CONF_SOURCE,
    CONF_TOPIC,
    CONF_UPDATE_INTERVAL,
    DEFAULT_DSMR_VERSION,
    DEFAULT_UPDATE_INTERVAL_S,
    HOMEWIZARD_POLL_S,
    ISSUE_METER_SWAPPED,
    METER_SWAP_AFTER_S,
    SILENCE_TIMEOUT_S,
    SOURCE_HOMEWIZARD,
    SOURCE_MQTT,
    SOURCE_SERIAL,
    SUBENTRY_P1_METER,
)

_LOGGER = logging.getLogger(__name__)

WATCHDOG_INTERVAL = timedelta(seconds=5)


def mqtt_subscription(topic: str, payload_format: str) -> str:
    """The topic filter to subscribe to: the raw topic itself, or everything below a prefix."""
    if payload_format == FORMAT_RAW:
        return topic
    return f"{topic.rstrip('/')}/#"


class P1Coordinator:
    """The running state of one P1 meter subentry."""

    def __init__(self, hass: HomeAssistant, entry_id: str, subentry: ConfigSubentry) -> None:
        """Prepare; nothing is opened until async_start."""
        self.hass = hass
        self.entry_id = entry_id
        self.subentry_id = subentry.subentry_id
        self.title = subentry.title
        self.config: dict[str, Any] = dict(subentry.data)
        self.source: str = self.config[CONF_SOURCE]
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
        self._listeners: list[Callable[[], None]] = []
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._retry: CALLBACK_TYPE | None = None
        self._protocol: P1Protocol | None = None
        self._decoder: DongleDecoder | None = None
        self._mqtt_prefix = ""
        self._mqtt_waited = False
        self._mqtt_subscribed = False
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
        if self.source == SOURCE_MQTT:
            self._unsubscribe.append(
                async_dispatcher_connect(
                    self.hass, mqtt.MQTT_CONNECTION_STATE, self._on_mqtt_connection
                )
            )
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
        if self._protocol is not None:
            self._protocol.close()
            self._protocol = None
        if self._task is not None and not self._task.done():
            # E.g. still waiting (up to 50 s) for the MQTT client.
            self._task.cancel()
        self._task = None
        # Like the price issue: an unloaded meter leaves no repair issue behind.
        ir.async_delete_issue(self.hass, DOMAIN, self._swap_issue_id)

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` after every update and every change of connection state."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # --- incoming data -------------------------------------------------------------------------

    @callback
    def async_handle_reading(self, reading: MeterReading) -> None:
        """A valid reading arrived: guard the totals, feed the averager, mark the meter alive."""
        now = _now()
        self._last_data = now
        self._last_activity = now
        self.telegrams += 1
        self.last_reading_at = dt_util.utcnow()
        changes: dict[str, Any] = {}
        backwards: tuple[str, float, float] | None = None
        totals = False
        for key in TOTAL_FIELDS:
            value = getattr(reading, key)
            if value is None:
                continue
            totals = True
            highest = self.guard.highest(key)
            if self.guard.check(key, value) is None:
                _LOGGER.debug("%s: %s went backwards to %s, dropped", self.title, key, value)
                changes[key] = getattr(self.reading, key) if self.reading else None
                if highest is not None and (backwards is None or key == "import_total_kwh"):
                    backwards = (key, highest, value)  # the import total if it went back
        if changes:
            reading = reading.with_values(**changes)
        if totals:
            self._check_meter_swap(now, backwards)
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

    def _check_meter_swap(self, now: float, backwards: tuple[str, float, float] | None) -> None:
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
        _, old, new = backwards
        _LOGGER.warning(
            "P1 meter %s: its totals have been below the earlier ones for %d minutes; "
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
        _LOGGER.info("P1 meter %s: accepting the new meter's totals", self.title)
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
            "source": self.source,
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
        for listener in list(self._listeners):
            listener()

    # --- connection state ----------------------------------------------------------------------

    def _mark_alive(self) -> None:
        self._backoff = BACKOFF_START_S
        if self.connected:
            return
        self.connected = True
        if self._loss_logged:
            _LOGGER.info("P1 meter %s is sending data again", self.title)
            self._loss_logged = False
        self._notify()

    def _mark_lost(self, reason: str) -> None:
        was_connected = self.connected
        self.connected = False
        self._averager.reset()
        self.power = {}
        if not self._loss_logged:
            _LOGGER.warning("P1 meter %s: %s; retrying in the background", self.title, reason)
            self._loss_logged = True
        else:
            _LOGGER.debug("P1 meter %s still unreachable: %s", self.title, reason)
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
        if self._protocol is not None:
            # connection_lost schedules the reconnect.
            self._protocol.close()
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
        if self.source == SOURCE_HOMEWIZARD:
            coro, name = self._async_poll(), "open_hem P1 poll"
        elif self.source == SOURCE_MQTT:
            coro, name = self._async_start_mqtt(), "open_hem P1 MQTT subscribe"
        else:
            coro, name = self._async_connect(), "open_hem P1 connect"
        self._task = self.hass.async_create_background_task(coro, name)

    # --- serial / network ----------------------------------------------------------------------

    async def _async_connect(self) -> None:
        callbacks = StreamCallbacks(
            on_reading=self.async_handle_reading,
            on_error=self.async_handle_error,
            on_lost=self._on_stream_lost,
        )
        try:
            if self.source == SOURCE_SERIAL:
                protocol = await open_serial(
                    self.config[CONF_SERIAL_PATH], self.dsmr_version, callbacks
                )
            else:
                protocol = await open_tcp(
                    self.config[CONF_HOST],
                    int(self.config[CONF_PORT]),
                    self.dsmr_version,
                    callbacks,
                )
        except SourceError as err:
            self._mark_lost(f"cannot connect ({err})")
            self._schedule_backoff()
            return
        if self._stopped:  # pragma: no cover - async_stop cancels the running try first
            protocol.close()
            return
        _LOGGER.debug("%s: connected", self.title)
        self._protocol = protocol
        self._last_activity = _now()

    @callback
    def _on_stream_lost(self, exc: Exception | None) -> None:
        self._protocol = None
        if self._stopped:
            return
        self._mark_lost(f"connection lost ({exc or 'closed by the other side'})")
        self._schedule_backoff()

    # --- MQTT ----------------------------------------------------------------------------------

    @callback
    def _on_mqtt_message(self, message: mqtt.ReceiveMessage) -> None:
        if self._decoder is None:  # pragma: no cover - set before subscribing
            return
        prefix = self._mqtt_prefix
        field = message.topic.removeprefix(prefix) if prefix else ""
        try:
            payload = message.payload
            raw = payload if isinstance(payload, str) else bytes(payload)
            reading = self._decoder.decode(field, raw)
        except (PayloadError, TelegramError) as err:
            _LOGGER.debug("%s: unusable MQTT payload on %s: %s", self.title, message.topic, err)
            self.async_handle_error("payload")
            return
        if self._decoder.ignored_lines:
            _LOGGER.debug(
                "%s: telegram used without the lines it cannot read: %s",
                self.title,
                self._decoder.ignored_lines,
            )
            self.async_handle_error(IGNORED_LINE)
        if reading is not None:
            self.async_handle_reading(reading)

    @callback
    def _on_mqtt_connection(self, connected: bool) -> None:
        """HA's MQTT client (re)connected: subscribe now if an earlier try failed."""
        if not connected or self._mqtt_subscribed or self._stopped:
            return
        if self._task is not None and not self._task.done():
            return  # a try is running
        self._backoff = BACKOFF_START_S
        if self._retry is not None:
            self._retry()
        self._async_retry(None)

    async def _async_start_mqtt(self) -> None:
        """Subscribe through HA's MQTT integration; until it is there, retry.

        At start-up HA's own wait covers MQTT being set up at the same time. When MQTT is not set
        up, not loaded yet or its broker is down, the entities stay unavailable, one warning is
        logged, and the subscription is tried again with backoff (1 s doubling up to 60 s) and at
        once when HA's MQTT client connects.
        """
        payload_format = self.config[CONF_PAYLOAD_FORMAT]
        topic: str = self.config[CONF_TOPIC]
        if self._decoder is None:
            self._decoder = DongleDecoder(payload_format, self.dsmr_version)
        self._mqtt_prefix = "" if payload_format == FORMAT_RAW else topic.rstrip("/") + "/"
        if not self._mqtt_waited:
            self._mqtt_waited = True
            try:
                await mqtt.async_wait_for_mqtt_client(self.hass)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                # HA's shared wait was cancelled by someone's earlier timeout: just try below.
        try:
            unsubscribe = await mqtt.async_subscribe(
                self.hass,
                mqtt_subscription(topic, payload_format),
                self._on_mqtt_message,
                encoding=None,
            )
        except HomeAssistantError as err:
            self._mark_lost(f"MQTT is not set up or not ready yet ({err})")
            self._schedule_backoff()
            return
        if self._stopped:  # pragma: no cover - async_stop cancels this task first
            unsubscribe()
            return
        _LOGGER.debug("%s: subscribed to %s", self.title, topic)
        self._mqtt_subscribed = True
        self._unsubscribe.append(unsubscribe)
        # Silence from here on counts from the subscription, not from start-up.
        self._last_activity = _now()

    # --- HomeWizard ----------------------------------------------------------------------------

    async def _async_poll(self) -> None:
        session = async_get_clientsession(self.hass)
        try:
            reading = await fetch_reading(session, self.config[CONF_HOST])
        except HomeWizardError as err:
            if self._last_data is None or _now() - self._last_data >= SILENCE_TIMEOUT_S:
                self._mark_lost(f"no answer ({err})")
                self._schedule_backoff()
            else:
                _LOGGER.debug("%s: poll failed: %s", self.title, err)
                self.async_handle_error("poll")
                self._schedule(HOMEWIZARD_POLL_S)
            return
        self.async_handle_reading(reading)
        self._schedule(HOMEWIZARD_POLL_S)


def _now() -> float:
    """Seconds on the clock HA's timers (and the tests' time travel) use."""
    return dt_util.utcnow().timestamp()


async def async_start_p1_meters(hass: HomeAssistant, entry: OpenHemConfigEntry) -> None:
    """Start a coordinator for every P1 meter subentry; stop them when the entry unloads."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_P1_METER:
            continue
        coordinator = P1Coordinator(hass, entry.entry_id, subentry)
        entry.runtime_data.meters[subentry.subentry_id] = coordinator
        entry.async_on_unload(coordinator.async_stop)
        await coordinator.async_start()
