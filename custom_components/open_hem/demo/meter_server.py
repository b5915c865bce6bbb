"""The demo meter's P1 port: the sim's DSMR 5 telegrams on a TCP port on 127.0.0.1.

The demo's P1 meter subentry is an ordinary network meter pointing here, so the telegrams take
the real meter's path (framer, dsmr_parser, entities, Energy). A client gets a telegram when it
connects and after every step of the home.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging

from .const import DEMO_HOST

_LOGGER = logging.getLogger(__name__)


class TelegramServer:
    """Sends the latest telegram to every connected client."""

    def __init__(self, telegram: bytes) -> None:
        """Start with this telegram (sent to each client as it connects)."""
        self.telegram = telegram
        self.port = 0
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    async def async_start(self, port: int) -> int:
        """Listen on ``port``, or on any free port when it is taken; return the port."""
        try:
            self._server = await asyncio.start_server(self._on_connect, DEMO_HOST, port)
        except OSError as err:
            if err.errno != errno.EADDRINUSE:
                raise
            _LOGGER.info("Demo meter: port %s is taken, using a free one", port)
            self._server = await asyncio.start_server(self._on_connect, DEMO_HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _on_connect(
        self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._clients.add(writer)
        writer.write(self.telegram)

    def send(self, telegram: bytes) -> None:
        """Send a new telegram to every client (one that went away is dropped)."""
        self.telegram = telegram
        for writer in list(self._clients):
            if writer.is_closing():
                self._clients.discard(writer)
                continue
            writer.write(telegram)

    @property
    def clients(self) -> int:
        """How many clients are connected."""
        return sum(1 for writer in self._clients if not writer.is_closing())

    async def async_stop(self) -> None:
        """Close every client and the server."""
        for writer in self._clients:
            writer.close()
        for writer in self._clients:
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()
        self._clients.clear()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
