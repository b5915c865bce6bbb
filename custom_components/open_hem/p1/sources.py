"""Where a P1 meter's readings come from: one class per source kind, behind one interface.

The kind is chosen once, by :func:`create_source`, when a meter starts (and when the config flow
tests a meter). A source opens, delivers readings and errors to its :class:`SourceCallbacks`,
reports when it stops delivering, and closes; reconnecting, backoff, the silence watchdog and
the totals guard belong to the coordinator and are the same for every kind.

* :class:`StreamSource` (serial cable and TCP dongle): telegrams over an asyncio transport.
* :class:`MqttSource`: a dongle publishing through Home Assistant's MQTT integration; the
  payload format (raw telegram, P1-Dongle-Pro, plan-d-io) is the core's ``DongleDecoder``.
* :class:`HomeWizardSource`: HomeWizard's local API v1, polled once a second.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
import logging
from typing import Any, ClassVar

from homeassistant.components import mqtt
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_call_later
import probatio

from ..core.p1 import (
    DEFAULT_TELEGRAM_WAIT_S,
    IGNORED_LINE,
    CannotConnectError,
    DongleDecoder,
    HomeWizardError,
    InvalidTopicError,
    MeterReading,
    NoTelegramError,
    P1Protocol,
    PayloadError,
    StreamCallbacks,
    TelegramError,
    fetch_reading,
    open_serial,
    open_tcp,
    subscription_topic,
    telegram_wait_s,
)
from .const import (
    CONF_DSMR_VERSION,
    CONF_HOST,
    CONF_PAYLOAD_FORMAT,
    CONF_PORT,
    CONF_SERIAL_PATH,
    CONF_SOURCE,
    CONF_TOPIC,
    DEFAULT_DSMR_VERSION,
    HOMEWIZARD_POLL_S,
    SOURCE_HOMEWIZARD,
    SOURCE_MQTT,
    SOURCE_NETWORK,
    SOURCE_SERIAL,
)

_LOGGER = logging.getLogger(__name__)

# What a source reports besides the errors of the stream (crc, telegram, framing).
ERROR_PAYLOAD = "payload"
ERROR_POLL = "poll"


class MqttNotReadyError(CannotConnectError):
    """Home Assistant's MQTT integration is not set up, not loaded yet or its broker is down."""


@dataclass(slots=True)
class SourceCallbacks:
    """What a source tells its owner."""

    on_reading: Callable[[MeterReading], None]
    # A telegram, payload or poll that could not be used (counted), or IGNORED_LINE.
    on_error: Callable[[str], None]
    # The source stopped delivering by itself (the connection closed); not called on close().
    on_lost: Callable[[str], None]
    # Opening may work now (MQTT connected): the owner may try again without waiting.
    on_ready: Callable[[], None]


class P1Source(ABC):
    """One way of reading a meter."""

    kind: ClassVar[str]
    # Silence for a minute: close and reopen (a stream or a poll loop). An MQTT subscription
    # stays: the messages come back by themselves when the dongle does.
    reopen_when_silent: ClassVar[bool] = True

    def __init__(
        self, hass: HomeAssistant, config: Mapping[str, Any], callbacks: SourceCallbacks
    ) -> None:
        """Remember the settings; nothing is opened until async_open."""
        self.hass = hass
        self.config = config
        self.callbacks = callbacks
        self.dsmr_version: str = config.get(CONF_DSMR_VERSION, DEFAULT_DSMR_VERSION)

    @property
    def test_wait_s(self) -> float:
        """How long the config flow waits for the first reading."""
        return DEFAULT_TELEGRAM_WAIT_S

    @callback
    def async_watch(self) -> CALLBACK_TYPE | None:
        """Start watching what tells the source it can open (MQTT); the undo, if any."""
        return None

    @abstractmethod
    async def async_open(self) -> None:
        """Open (connect, subscribe, first poll); raise a SourceError if that fails."""

    @property
    @abstractmethod
    def is_open(self) -> bool:
        """Whether the source is open (delivering, or waiting for the meter to send)."""

    @abstractmethod
    def close(self) -> None:
        """Stop delivering; quietly (on_lost is not called)."""


class StreamSource(P1Source):
    """A serial P1 cable or a TCP dongle (ser2net, Wi-Fi/Ethernet P1 dongles)."""

    kind = SOURCE_NETWORK

    def __init__(
        self, hass: HomeAssistant, config: Mapping[str, Any], callbacks: SourceCallbacks
    ) -> None:
        """Stream telegrams to the callbacks."""
        super().__init__(hass, config, callbacks)
        self._protocol: P1Protocol | None = None

    @property
    def test_wait_s(self) -> float:
        """A DSMR 5 meter sends a telegram every second, older ones every 10 s."""
        return telegram_wait_s(self.dsmr_version)

    @property
    def is_open(self) -> bool:
        """A connection is open."""
        return self._protocol is not None

    def _stream_callbacks(self) -> StreamCallbacks:
        return StreamCallbacks(
            on_reading=self.callbacks.on_reading,
            on_error=self.callbacks.on_error,
            on_lost=self._on_lost,
        )

    async def async_open(self) -> None:
        """Connect to the dongle."""
        self._protocol = await open_tcp(
            self.config[CONF_HOST],
            int(self.config[CONF_PORT]),
            self.dsmr_version,
            self._stream_callbacks(),
        )

    def _on_lost(self, exc: Exception | None) -> None:
        if self._protocol is None:
            return  # closed on purpose
        self._protocol = None
        self.callbacks.on_lost(f"connection lost ({exc or 'closed by the other side'})")

    def close(self) -> None:
        """Close the connection."""
        protocol, self._protocol = self._protocol, None
        if protocol is not None:
            protocol.close()


class SerialSource(StreamSource):
    """A USB P1 cable."""

    kind = SOURCE_SERIAL

    async def async_open(self) -> None:
        """Open the serial port with the DSMR version's settings."""
        self._protocol = await open_serial(
            self.config[CONF_SERIAL_PATH], self.dsmr_version, self._stream_callbacks()
        )


class MqttSource(P1Source):
    """A dongle that publishes over MQTT, through Home Assistant's MQTT integration."""

    kind = SOURCE_MQTT
    reopen_when_silent = False

    def __init__(
        self, hass: HomeAssistant, config: Mapping[str, Any], callbacks: SourceCallbacks
    ) -> None:
        """Decode the configured payload format."""
        super().__init__(hass, config, callbacks)
        self.topic: str = config[CONF_TOPIC]
        self.decoder = DongleDecoder(config[CONF_PAYLOAD_FORMAT], self.dsmr_version, self.topic)
        self._unsubscribe: CALLBACK_TYPE | None = None
        self._waited = False

    @property
    def is_open(self) -> bool:
        """Subscribed."""
        return self._unsubscribe is not None

    @callback
    def async_watch(self) -> CALLBACK_TYPE:
        """Try again at once when HA's MQTT client (re)connects."""

        @callback
        def on_connection(connected: bool) -> None:
            if connected and not self.is_open:
                self.callbacks.on_ready()

        return async_dispatcher_connect(self.hass, mqtt.MQTT_CONNECTION_STATE, on_connection)

    async def async_open(self) -> None:
        """Subscribe; raise InvalidTopicError or MqttNotReadyError.

        The first time, wait for MQTT as HA's own wait allows (MQTT may be setting up at the
        same time); later tries subscribe at once.
        """
        try:
            subscription = mqtt.valid_subscribe_topic(
                subscription_topic(self.topic, self.decoder.payload_format)
            )
        except probatio.Invalid as err:
            raise InvalidTopicError(f"{self.topic}: {err}") from err
        if not self._waited:
            self._waited = True
            try:
                await mqtt.async_wait_for_mqtt_client(self.hass)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                # HA's shared wait was cancelled by someone's earlier timeout: just try below.
        try:
            self._unsubscribe = await mqtt.async_subscribe(
                self.hass, subscription, self._on_message, encoding=None
            )
        except HomeAssistantError as err:
            raise MqttNotReadyError(f"MQTT is not set up or not ready yet ({err})") from err
        _LOGGER.debug("Subscribed to %s", subscription)

    @callback
    def _on_message(self, message: mqtt.ReceiveMessage) -> None:
        try:
            reading = self.decoder.decode_message(message.topic, message.payload)
        except (PayloadError, TelegramError) as err:
            _LOGGER.debug("Unusable MQTT payload on %s: %s", message.topic, err)
            self.callbacks.on_error(ERROR_PAYLOAD)
            return
        if self.decoder.ignored_lines:
            _LOGGER.debug(
                "Telegram used without the lines it cannot read: %s", self.decoder.ignored_lines
            )
            self.callbacks.on_error(IGNORED_LINE)
        if reading is not None:
            self.callbacks.on_reading(reading)

    def close(self) -> None:
        """Unsubscribe."""
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()


class HomeWizardSource(P1Source):
    """HomeWizard's Wi-Fi P1 meter, local API v1, polled once a second."""

    kind = SOURCE_HOMEWIZARD

    def __init__(
        self, hass: HomeAssistant, config: Mapping[str, Any], callbacks: SourceCallbacks
    ) -> None:
        """Poll the configured host."""
        super().__init__(hass, config, callbacks)
        self.host: str = config[CONF_HOST]
        self._next_poll: CALLBACK_TYPE | None = None
        self._open = False

    @property
    def is_open(self) -> bool:
        """Polling."""
        return self._open

    async def async_open(self) -> None:
        """Ask once (raise HomeWizardError if that fails), then poll every second."""
        reading = await fetch_reading(async_get_clientsession(self.hass), self.host)
        self._open = True
        self.callbacks.on_reading(reading)
        self._schedule()

    def _schedule(self) -> None:
        self._next_poll = async_call_later(self.hass, HOMEWIZARD_POLL_S, self._async_poll)

    @callback
    def _async_poll(self, _now: datetime) -> None:
        self._next_poll = None
        self.hass.async_create_background_task(self._async_fetch(), "open_hem HomeWizard poll")

    async def _async_fetch(self) -> None:
        try:
            reading = await fetch_reading(async_get_clientsession(self.hass), self.host)
        except HomeWizardError as err:
            # Counted; the next poll follows. A minute of failures is the watchdog's to handle.
            if not self._open:  # pragma: no cover - closed while the request ran
                return
            _LOGGER.debug("HomeWizard poll of %s failed: %s", self.host, err)
            self.callbacks.on_error(ERROR_POLL)
        else:
            if not self._open:  # pragma: no cover - closed while the request ran
                return
            self.callbacks.on_reading(reading)
        self._schedule()

    def close(self) -> None:
        """Stop polling."""
        self._open = False
        if self._next_poll is not None:
            self._next_poll()
            self._next_poll = None


SOURCE_CLASSES: dict[str, type[P1Source]] = {
    SOURCE_SERIAL: SerialSource,
    SOURCE_NETWORK: StreamSource,
    SOURCE_MQTT: MqttSource,
    SOURCE_HOMEWIZARD: HomeWizardSource,
}


def create_source(
    hass: HomeAssistant, config: Mapping[str, Any], callbacks: SourceCallbacks
) -> P1Source:
    """The source for a meter's settings: the one place the source kind is looked at."""
    return SOURCE_CLASSES[config[CONF_SOURCE]](hass, config, callbacks)


async def async_read_one(hass: HomeAssistant, config: Mapping[str, Any]) -> MeterReading:
    """Open the source, wait for its first reading, close it (the config flow's test).

    Raises the source's SourceError, or NoTelegramError when nothing readable arrives in time.
    """
    first: asyncio.Future[MeterReading] = hass.loop.create_future()

    def on_reading(reading: MeterReading) -> None:
        if not first.done():
            first.set_result(reading)

    def on_lost(reason: str) -> None:
        if not first.done():
            first.set_exception(NoTelegramError(reason))

    source = create_source(
        hass,
        config,
        SourceCallbacks(
            on_reading=on_reading,
            on_error=lambda _kind: None,
            on_lost=on_lost,
            on_ready=lambda: None,
        ),
    )
    try:
        await source.async_open()
        async with asyncio.timeout(source.test_wait_s):
            return await first
    except TimeoutError as err:
        raise NoTelegramError(f"nothing readable within {source.test_wait_s:g} s") from err
    finally:
        source.close()
