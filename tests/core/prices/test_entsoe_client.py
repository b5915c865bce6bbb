"""The ENTSO-E client: request shape and every failure mapped to a typed error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from open_hem_core.errors import OpenHemError
from open_hem_core.prices import (
    EntsoeAuthError,
    EntsoeParseError,
    EntsoeServerError,
    EntsoeTemporaryError,
    EntsoeUnreachable,
    PriceError,
    PriceTemporaryError,
)
from open_hem_core.prices.entsoe_client import EntsoeClient

from .a44 import day

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "entsoe"
START = datetime(2024, 10, 5, 22, tzinfo=UTC)
END = datetime(2024, 10, 6, 22, tzinfo=UTC)
NL = "10YNL----------L"


class PriceServer:
    """A real HTTP server on 127.0.0.1 that answers like ENTSO-E's API, as each test says."""

    def __init__(self) -> None:
        """Not listening until started; answers 200 with an empty body until told otherwise."""
        self.answer: Callable[[web.Request], Awaitable[web.StreamResponse]] = self._empty
        self.requests: list[web.Request] = []
        self.url = ""

    @staticmethod
    async def _empty(_: web.Request) -> web.StreamResponse:
        return web.Response(text="")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request)
        return await self.answer(request)

    def reply(self, *, status: int = 200, text: str = "", body: bytes | None = None) -> None:
        """Answer every request with this status and body."""

        async def answer(_: web.Request) -> web.StreamResponse:
            return web.Response(status=status, text=None if body else text, body=body)

        self.answer = answer


@pytest.fixture
async def server() -> AsyncGenerator[PriceServer]:
    """A price server on a free port."""
    prices = PriceServer()
    app = web.Application()
    app.router.add_get("/api", prices._handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    prices.url = f"http://127.0.0.1:{port}/api"
    yield prices
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """A real client session, as Home Assistant shares one."""
    async with aiohttp.ClientSession() as session:
        yield session


async def test_request_and_prices(server: PriceServer, session: aiohttp.ClientSession) -> None:
    """The A44 request carries token, zone and UTC period; the answer is parsed."""
    server.reply(text=(FIXTURES / "entsoe_BE_60M.xml").read_text())
    client = EntsoeClient(session, "secret", url=server.url)
    prices = await client.async_get_day_ahead(NL, START, END)
    assert len(prices) == 96
    assert dict(server.requests[0].query) == {
        "securityToken": "secret",
        "documentType": "A44",
        "in_Domain": NL,
        "out_Domain": NL,
        "periodStart": "202410052200",
        "periodEnd": "202410062200",
    }


@pytest.mark.parametrize("status", [HTTPStatus.OK, HTTPStatus.BAD_REQUEST])
async def test_acknowledgement_is_empty(
    server: PriceServer, session: aiohttp.ClientSession, status: HTTPStatus
) -> None:
    """No data yet is an empty series, whether sent with 200 or 400."""
    body = (FIXTURES / "entsoe_acknowledgement_no_data_example.xml").read_text()
    server.reply(text=body, status=status)
    prices = await EntsoeClient(session, "secret", url=server.url).async_get_day_ahead(
        NL, START, END
    )
    assert len(prices) == 0


async def test_401_is_auth_error(server: PriceServer, session: aiohttp.ClientSession) -> None:
    """A refused token is its own error (it starts re-authentication)."""
    server.reply(status=HTTPStatus.UNAUTHORIZED, text="<html>Unauthorized</html>")
    with pytest.raises(EntsoeAuthError):
        await EntsoeClient(session, "bad", url=server.url).async_get_day_ahead(NL, START, END)


@pytest.mark.parametrize(
    ("reply", "error", "match"),
    [
        ({"status": 429}, EntsoeServerError, "HTTP 429"),
        ({"status": 503, "text": "<html>maintenance</html>"}, EntsoeServerError, "HTTP 503"),
        ({"status": 200, "text": "<html>oops</html>"}, EntsoeParseError, "HTTP 200: "),
        (
            {"status": 400, "text": "<!DOCTYPE html><html><title>Bad request</title></html>"},
            EntsoeParseError,
            "HTTP 400: an HTML page \\('Bad request'\\), not a price document",
        ),
        ({"status": 200, "text": ""}, EntsoeParseError, "empty body"),
    ],
)
async def test_bad_answers(
    server: PriceServer,
    session: aiohttp.ClientSession,
    reply: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    """Rate limits, maintenance and junk are typed errors; the token never leaks."""
    server.reply(**reply)
    with pytest.raises(error, match=match) as info:
        await EntsoeClient(session, "secret", url=server.url).async_get_day_ahead(NL, START, END)
    assert "secret" not in str(info.value)


async def test_oversize_streamed_body_is_refused(
    server: PriceServer, session: aiohttp.ClientSession
) -> None:
    """A chunked body (no Content-Length) over the limit is refused once read."""

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(3):
            await response.write(b"x" * 700_001)
        await response.write_eof()
        return response

    server.answer = stream
    with pytest.raises(EntsoeParseError, match="larger than"):
        await EntsoeClient(session, "secret", url=server.url).async_get_day_ahead(NL, START, END)


async def test_announced_oversize_body_is_refused_unread(session: aiohttp.ClientSession) -> None:
    """A Content-Length over the limit is refused before the body is read."""

    async def huge_header(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n<Publication")
        await writer.drain()

    raw = await asyncio.start_server(huge_header, "127.0.0.1", 0)
    port = raw.sockets[0].getsockname()[1]
    try:
        with pytest.raises(EntsoeParseError, match="announced"):
            await EntsoeClient(
                session, "secret", url=f"http://127.0.0.1:{port}/api"
            ).async_get_day_ahead(NL, START, END)
    finally:
        raw.close()
        raw.close_clients()
        await raw.wait_closed()


async def test_refused_connection_is_temporary(session: aiohttp.ClientSession) -> None:
    """Nothing listening is a temporary error that names its kind but not the URL (token)."""
    closed = await asyncio.start_server(lambda *_: None, "127.0.0.1", 0)
    port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    client = EntsoeClient(session, "secret", url=f"http://127.0.0.1:{port}/api")
    with pytest.raises(EntsoeUnreachable, match="ClientConnectorError") as info:
        await client.async_get_day_ahead(NL, START, END)
    assert "secret" not in str(info.value)


async def test_hanging_server_times_out(
    server: PriceServer, session: aiohttp.ClientSession
) -> None:
    """A server that never answers gives up after the timeout."""
    release = asyncio.Event()

    async def hang(_: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(text="")

    server.answer = hang
    client = EntsoeClient(session, "secret", url=server.url, timeout=0.05)
    with pytest.raises(EntsoeUnreachable, match="no answer"):
        await client.async_get_day_ahead(NL, START, END)
    release.set()


async def test_big_answer_is_parsed_off_the_event_loop(
    server: PriceServer, session: aiohttp.ClientSession
) -> None:
    """A week of quarter hours (well over 100 KB with its whitespace) parses in a worker thread."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    body = day("2025-01-01T00:00Z", "2025-01-08T00:00Z", 7 * 96).replace(
        "<Point>", "\n      <Point>"
    )
    body = body.replace("</Period>", " " * 60_000 + "</Period>")
    assert len(body) > 100_000
    server.reply(text=body)
    prices = await EntsoeClient(session, "secret", url=server.url).async_get_day_ahead(
        NL, start, start
    )
    assert len(prices) == 7 * 96


def test_one_error_root() -> None:
    """Every price error is a PriceError (and so an OpenHemError); temporary ones share a class."""
    for error in (EntsoeUnreachable, EntsoeServerError, EntsoeParseError):
        assert issubclass(error, EntsoeTemporaryError)
        assert issubclass(error, PriceTemporaryError)
    assert issubclass(EntsoeAuthError, PriceError)
    assert not issubclass(EntsoeAuthError, PriceTemporaryError)
    assert issubclass(PriceError, OpenHemError)
    assert PriceError.translation_key == "price_error"
