"""The stream source against a real TCP server and a real pseudo-terminal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import logging
import os
from pathlib import Path

import pytest

from open_hem_core.p1 import CannotConnectError, InvalidPathError, NoTelegramError
from open_hem_core.p1.readings import MeterReading
from open_hem_core.p1.serial_tcp import (
    ERROR_CRC,
    ERROR_FRAMING,
    ERROR_TELEGRAM,
    IGNORED_LINE,
    P1Protocol,
    StreamCallbacks,
    open_serial,
    open_tcp,
    read_one,
)
from tests.core.p1.telegrams import (
    FLUVIUS,
    V4_2,
    V5,
    TelegramServer,
    changed,
    telegram_bytes,
    with_crc,
)


class Collector:
    """Collects what a protocol reports."""

    def __init__(self) -> None:
        self.readings: list[MeterReading] = []
        self.errors: list[str] = []
        self.lost: list[Exception | None] = []
        self.event = asyncio.Event()

    @property
    def callbacks(self) -> StreamCallbacks:
        return StreamCallbacks(
            on_reading=self._reading, on_error=self.errors.append, on_lost=self._lost
        )

    def _reading(self, reading: MeterReading) -> None:
        self.readings.append(reading)
        self.event.set()

    def _lost(self, exc: Exception | None) -> None:
        self.lost.append(exc)
        self.event.set()

    async def wait(self, readings: int = 0, lost: int = 0) -> None:
        async with asyncio.timeout(5):
            while len(self.readings) < readings or len(self.lost) < lost:
                self.event.clear()
                await self.event.wait()


@pytest.fixture
async def server() -> AsyncGenerator[TelegramServer]:
    """A dongle on 127.0.0.1."""
    server = await TelegramServer().start()
    yield server
    await server.stop()


async def test_tcp_whole_fragmented_garbage_bad_crc_and_drop(server: TelegramServer) -> None:
    """Every kind of bad input is counted; good telegrams still arrive; a drop is reported."""
    collector = Collector()
    protocol = await open_tcp("127.0.0.1", server.port, "5", collector.callbacks)
    await server.wait_connected()
    await server.send(telegram_bytes(V5))
    await collector.wait(readings=1)
    await server.send(b"\x00garbage\xff" + telegram_bytes(V5), chunk=7)
    await collector.wait(readings=2)
    bad_crc = telegram_bytes(V5).replace(b"00.244*kW", b"09.244*kW")
    await server.send(bad_crc + b"/x\r\n\r\n0-0:96.13.0()\r\n!0000\r\n")
    await server.send(telegram_bytes(V5).replace(b"1-0:1.7.0(00.244*kW)\r\n", b""))
    await server.send(with_crc("/x\r\n\r\n0-0:96.13.0()\r\n!").encode())
    await server.send(changed(V5, "00.244*kW", "01.000*kW").encode())
    await collector.wait(readings=3)
    assert [r.power_import_w for r in collector.readings] == [244.0, 244.0, 1000.0]
    assert collector.errors == [ERROR_FRAMING, ERROR_CRC, ERROR_CRC, ERROR_CRC, ERROR_TELEGRAM]
    await server.drop()
    await collector.wait(lost=1)
    protocol.close()


async def test_tcp_connection_refused() -> None:
    """A port nobody listens on is CannotConnectError."""
    collector = Collector()
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    with pytest.raises(CannotConnectError):
        await open_tcp("127.0.0.1", port, "5", collector.callbacks)


async def test_read_one(server: TelegramServer) -> None:
    """The config flow's test: the first valid telegram, then the connection is closed."""

    async def send_later() -> None:
        await server.wait_connected()
        await server.send(b"noise" + telegram_bytes(FLUVIUS))

    task = asyncio.create_task(send_later())
    reading = await read_one(lambda cb: open_tcp("127.0.0.1", server.port, "5B", cb), 5)
    await task
    assert reading.average_demand_w == 2351.0


async def test_read_one_times_out_and_reports_closed(server: TelegramServer) -> None:
    """Silence is NoTelegramError; so is a dongle that hangs up first."""
    with pytest.raises(NoTelegramError, match="within"):
        await read_one(lambda cb: open_tcp("127.0.0.1", server.port, "5", cb), 0.2)

    async def hang_up() -> None:
        await server.wait_connected(2)
        await server.drop()

    task = asyncio.create_task(hang_up())
    with pytest.raises(NoTelegramError, match="closed"):
        await read_one(lambda cb: open_tcp("127.0.0.1", server.port, "5", cb), 5)
    await task


async def test_serial_over_a_pseudo_terminal() -> None:
    """A real serial device (a pty) delivers telegrams through serialx like a P1 cable."""
    controller, device = os.openpty()
    try:
        collector = Collector()
        protocol = await open_serial(os.ttyname(device), "4", collector.callbacks)
        os.write(controller, telegram_bytes(V4_2))
        await collector.wait(readings=1)
        assert collector.readings[0].gas_m3 == 981.443
        protocol.close()
    finally:
        os.close(controller)
        os.close(device)


async def test_serial_bad_paths(tmp_path: Path) -> None:
    """A missing device or a file that is no serial port is InvalidPathError."""
    collector = Collector()
    with pytest.raises(InvalidPathError):
        await open_serial(str(tmp_path / "ttyUSB9"), "5", collector.callbacks)
    regular = tmp_path / "file"
    regular.write_text("x")
    with pytest.raises(InvalidPathError):
        await open_serial(str(regular), "5", collector.callbacks)
    with pytest.raises(CannotConnectError):
        await open_serial("socket://127.0.0.1:1", "5", collector.callbacks)


def test_stream_counts_unreadable_lines_and_bad_values_without_logging(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """CRC-valid telegrams dsmr_parser chokes on: reported, never logged above debug."""
    collector = Collector()
    protocol = P1Protocol("5", collector.callbacks)
    partial = changed(V5, "0-1:24.2.1(170102161005W)(00000.107*m3)", "0-1:24.2.1(0)")
    broken = changed(V5, "1-0:1.8.1(000004.426*kWh)", "1-0:1.8.1(0000x4.426*kWh)")
    for _ in range(50):
        protocol.data_received(partial.encode("ascii") + broken.encode("ascii"))
    assert len(collector.readings) == 50
    assert collector.readings[0].gas_m3 is None
    assert collector.errors == [IGNORED_LINE, ERROR_TELEGRAM] * 50
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
