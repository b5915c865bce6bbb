"""Read telegrams from a serial P1 cable or a TCP dongle (ser2net, Wi-Fi/Ethernet P1 dongles).

Both use the same asyncio protocol: bytes go through the TelegramFramer (split reads, noise between
telegrams) and each telegram through dsmr_parser with its CRC checked. Nothing here raises into the
event loop for bad input: broken telegrams are reported to ``on_error`` and the stream goes on.
Serial ports are opened with serialx (what dsmr_parser 1.11.1's ``create_dsmr_reader`` uses) with
dsmr_parser's serial settings per DSMR version; TCP with asyncio's own transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import errno
import logging
import socket
from typing import Any

from dsmr_parser.clients import settings as dsmr_settings
import serialx

from .errors import (
    CannotConnectError,
    ChecksumError,
    InvalidPathError,
    NoTelegramError,
    TelegramError,
    UnknownHostError,
)
from .readings import MeterReading
from .stream import TelegramFramer
from .telegram import parse_telegram

_LOGGER = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0

# How long to wait for a first complete telegram. DSMR 5 (and Belgian e-MUCS) meters send one
# every second: the first may be cut, the next is whole within ~2 s. DSMR 2.2 and 4 meters and
# Luxembourg's Smarty send every 10 s, so two periods and some slack.
FAST_TELEGRAM_WAIT_S = 5.0
DEFAULT_TELEGRAM_WAIT_S = 25.0
_EVERY_SECOND = frozenset({"5", "5B"})


def telegram_wait_s(dsmr_version: str) -> float:
    """Seconds to wait for a first valid telegram from a meter of this DSMR version."""
    return FAST_TELEGRAM_WAIT_S if dsmr_version in _EVERY_SECOND else DEFAULT_TELEGRAM_WAIT_S


SERIAL_SETTINGS: dict[str, dict[str, Any]] = {
    "2.2": dsmr_settings.SERIAL_SETTINGS_V2_2,
    "4": dsmr_settings.SERIAL_SETTINGS_V4,
    "5": dsmr_settings.SERIAL_SETTINGS_V5,
    "5B": dsmr_settings.SERIAL_SETTINGS_V5,
    "5L": dsmr_settings.SERIAL_SETTINGS_V5,
}

ERROR_CRC = "crc"
ERROR_TELEGRAM = "telegram"
ERROR_FRAMING = "framing"
# Not an error: a telegram used without a line dsmr_parser could not read.
IGNORED_LINE = "ignored_line"


@dataclass(slots=True)
class StreamCallbacks:
    """What the protocol reports: readings, errors (counted by the caller), connection loss."""

    on_reading: Callable[[MeterReading], None]
    on_error: Callable[[str], None]
    on_lost: Callable[[Exception | None], None]


class P1Protocol(asyncio.Protocol):
    """Telegram framing and parsing on any asyncio transport."""

    def __init__(self, dsmr_version: str, callbacks: StreamCallbacks) -> None:
        """Parse telegrams of the given DSMR version and report to the callbacks."""
        self.dsmr_version = dsmr_version
        self.callbacks = callbacks
        self.framer = TelegramFramer()
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the transport so the owner can close it."""
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        """Frame and parse what arrived; count what cannot be used."""
        dropped = self.framer.dropped
        telegrams = self.framer.feed(data)
        for _ in range(self.framer.dropped - dropped):
            _LOGGER.debug("Dropped bytes that are not part of a telegram")
            self.callbacks.on_error(ERROR_FRAMING)
        for text in telegrams:
            ignored: list[str] = []
            try:
                reading = parse_telegram(text, self.dsmr_version, ignored)
            except ChecksumError as err:
                _LOGGER.debug("Telegram with a bad CRC: %s", err)
                self.callbacks.on_error(ERROR_CRC)
            except TelegramError as err:
                _LOGGER.debug("Unusable telegram: %s", err)
                self.callbacks.on_error(ERROR_TELEGRAM)
            else:
                if ignored:
                    _LOGGER.debug("Telegram used without the lines it cannot read: %s", ignored)
                    self.callbacks.on_error(IGNORED_LINE)
                self.callbacks.on_reading(reading)

    def connection_lost(self, exc: Exception | None) -> None:
        """Tell the owner; it decides about reconnecting."""
        self.transport = None
        self.callbacks.on_lost(exc)

    def close(self) -> None:
        """Close the transport if it is open."""
        if self.transport is not None:
            self.transport.close()


async def open_tcp(
    host: str, port: int, dsmr_version: str, callbacks: StreamCallbacks
) -> P1Protocol:
    """Connect to a TCP dongle; raise CannotConnectError if that fails."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            _, protocol = await loop.create_connection(
                lambda: P1Protocol(dsmr_version, callbacks), host, port
            )
    except socket.gaierror as err:
        raise UnknownHostError(f"{host}: {err}") from err
    except (OSError, TimeoutError) as err:
        raise CannotConnectError(f"{host}:{port}: {err}") from err
    return protocol


async def open_serial(path: str, dsmr_version: str, callbacks: StreamCallbacks) -> P1Protocol:
    """Open a serial P1 cable (or any serialx URL); raise InvalidPathError or CannotConnectError."""
    loop = asyncio.get_running_loop()
    settings = dict(SERIAL_SETTINGS[dsmr_version])
    settings.pop("timeout", None)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            _, protocol = await serialx.create_serial_connection(
                loop, lambda: P1Protocol(dsmr_version, callbacks), url=path, **settings
            )
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as err:
        raise InvalidPathError(f"{path}: {err}") from err
    except OSError as err:
        if err.errno == errno.ENOTTY:
            raise InvalidPathError(f"{path}: not a serial port") from err
        raise CannotConnectError(f"{path}: {err}") from err
    except (TimeoutError, ValueError) as err:
        raise CannotConnectError(f"{path}: {err}") from err
    if not isinstance(protocol, P1Protocol):  # pragma: no cover - serialx returns ours
        raise CannotConnectError(path)
    return protocol


async def read_one(opener: Callable[[StreamCallbacks], Any], wait_s: float) -> MeterReading:
    """Open a source, wait for the first valid telegram, close it again (for the config flow).

    ``opener`` is ``lambda callbacks: open_tcp(host, port, version, callbacks)`` or the serial
    equivalent. Raises CannotConnectError/InvalidPathError from opening, NoTelegramError after
    ``wait_s`` seconds without a valid telegram.
    """
    loop = asyncio.get_running_loop()
    first: asyncio.Future[MeterReading] = loop.create_future()

    def on_reading(reading: MeterReading) -> None:
        if not first.done():
            first.set_result(reading)

    def on_lost(exc: Exception | None) -> None:
        if not first.done():
            first.set_exception(NoTelegramError(f"connection closed: {exc}"))

    callbacks = StreamCallbacks(on_reading=on_reading, on_error=lambda _kind: None, on_lost=on_lost)
    protocol: P1Protocol = await opener(callbacks)
    try:
        async with asyncio.timeout(wait_s):
            return await first
    except TimeoutError as err:
        raise NoTelegramError(f"no valid telegram within {wait_s} s") from err
    finally:
        protocol.close()
