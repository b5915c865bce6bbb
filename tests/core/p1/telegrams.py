"""Real DSMR telegrams for the P1 tests, CRC-correct edits of them, and a TCP dongle.

HA-free: used by tests/core and by the integration tests alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dsmr"

V5 = "telegram_v5.txt"
V5_TWO_MBUS = "telegram_v5_two_mbus.txt"
V4_2 = "telegram_v4_2.txt"
FLUVIUS = "telegram_fluvius_v171.txt"


def telegram_bytes(name: str) -> bytes:
    """A fixture telegram exactly as the meter sent it (CRLF, ``!CRC\\r\\n``)."""
    return (FIXTURES / name).read_bytes()


def telegram_text(name: str) -> str:
    """A fixture telegram as text."""
    return telegram_bytes(name).decode("ascii")


def crc16(text: str) -> int:
    """CRC-16/ARC (poly 0xA001 reflected, init 0), as DSMR computes it over '/' .. '!'."""
    crc = 0
    for byte in text.encode("ascii"):
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(text: str, *, pad: bool = True) -> str:
    """Recompute the CRC of a telegram (everything up to '!' is kept)."""
    body = text[: text.index("!") + 1]
    crc = crc16(body)
    return body + (f"{crc:04X}" if pad else f"{crc:X}") + "\r\n"


def changed(name: str, old: str, new: str) -> str:
    """A fixture telegram with one value changed and a correct CRC."""
    text = telegram_text(name)
    assert old in text, old
    return with_crc(text.replace(old, new, 1))


class TelegramServer:
    """A real TCP server on 127.0.0.1 that plays a P1 dongle: send, split, garble, drop."""

    def __init__(self) -> None:
        """Not listening until start()."""
        self._server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        self.connections = 0
        self._connected = asyncio.Event()
        self.port = 0

    async def start(self) -> TelegramServer:
        """Listen on a free port."""
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        self.connections += 1
        self._connected.set()

    async def wait_connected(self, count: int = 1) -> None:
        """Wait until at least ``count`` clients connected in total."""
        await wait_for(lambda: self.connections >= count)

    async def send(self, data: bytes, *, chunk: int | None = None) -> None:
        """Send to every client, whole or in chunks of ``chunk`` bytes with a flush between."""
        pieces = (
            [data] if chunk is None else [data[i : i + chunk] for i in range(0, len(data), chunk)]
        )
        for piece in pieces:
            for writer in self.writers:
                writer.write(piece)
                await writer.drain()
            await asyncio.sleep(0)

    async def drop(self) -> None:
        """Close every client connection (the dongle reboots)."""
        for writer in self.writers:
            writer.close()
        self.writers.clear()
        await asyncio.sleep(0)

    async def stop(self) -> None:
        """Drop the clients and stop listening."""
        await self.drop()
        if self._server is not None:
            self._server.close()
            self._server.close_clients()
            await self._server.wait_closed()


async def wait_for(predicate: Callable[[], object], rounds: int = 500_000) -> None:
    """Let the loop run (real sockets) until predicate() is true.

    Counts loop rounds instead of seconds: under ``freezer`` the loop's clock stands still,
    so timeouts and sleeps would never end; ``sleep(0)`` still polls the sockets.
    """
    for _ in range(rounds):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")
