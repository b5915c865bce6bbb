"""The ENTSO-E client: request shape and every failure mapped to a typed error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.open_hem.hem.prices.entsoe_client import API_URL, EntsoeClient
from custom_components.open_hem.hem.prices.errors import (
    EntsoeAuthError,
    EntsoeParseError,
    EntsoeTemporaryError,
)

from .a44 import day

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "entsoe"
START = datetime(2024, 10, 5, 22, tzinfo=UTC)
END = datetime(2024, 10, 6, 22, tzinfo=UTC)
NL = "10YNL----------L"


@pytest.fixture
def mocker() -> AiohttpClientMocker:
    """The test harness's HTTP mock."""
    return AiohttpClientMocker()


@pytest.fixture
async def session(mocker: AiohttpClientMocker) -> AsyncGenerator[aiohttp.ClientSession]:
    """A session whose requests the mock answers."""
    session = mocker.create_session(asyncio.get_running_loop())
    yield session
    await session.close()


async def test_request_and_prices(
    mocker: AiohttpClientMocker, session: aiohttp.ClientSession
) -> None:
    """The A44 request carries token, zone and UTC period; the answer is parsed."""
    mocker.get(API_URL, text=(FIXTURES / "entsoe_BE_60M.xml").read_text())
    prices = await EntsoeClient(session, "secret").async_get_day_ahead(NL, START, END)
    assert len(prices) == 96
    _, url, _, _ = mocker.mock_calls[0]
    assert url.query == {
        "securityToken": "secret",
        "documentType": "A44",
        "in_Domain": NL,
        "out_Domain": NL,
        "periodStart": "202410052200",
        "periodEnd": "202410062200",
    }


@pytest.mark.parametrize("status", [HTTPStatus.OK, HTTPStatus.BAD_REQUEST])
async def test_acknowledgement_is_empty(
    mocker: AiohttpClientMocker, session: aiohttp.ClientSession, status: HTTPStatus
) -> None:
    """No data yet is an empty series, whether sent with 200 or 400."""
    body = (FIXTURES / "entsoe_acknowledgement_no_data_example.xml").read_text()
    mocker.get(API_URL, text=body, status=status)
    prices = await EntsoeClient(session, "secret").async_get_day_ahead(NL, START, END)
    assert len(prices) == 0


async def test_401_is_auth_error(
    mocker: AiohttpClientMocker, session: aiohttp.ClientSession
) -> None:
    """A refused token is its own error (it starts re-authentication)."""
    mocker.get(API_URL, status=HTTPStatus.UNAUTHORIZED, text="<html>Unauthorized</html>")
    with pytest.raises(EntsoeAuthError):
        await EntsoeClient(session, "bad").async_get_day_ahead(NL, START, END)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"status": 429}, EntsoeTemporaryError, "HTTP 429"),
        ({"status": 503, "text": "<html>maintenance</html>"}, EntsoeTemporaryError, "HTTP 503"),
        ({"status": 200, "text": "<html>oops</html>"}, EntsoeParseError, "HTTP 200: unexpected"),
        ({"status": 200, "text": ""}, EntsoeParseError, "empty body"),
        (
            {"exc": aiohttp.ClientConnectionError("https://x?securityToken=secret")},
            EntsoeTemporaryError,
            "ClientConnectionError",
        ),
        ({"exc": TimeoutError()}, EntsoeTemporaryError, "no answer within 30 s"),
        ({"headers": {"Content-Length": "99999999"}}, EntsoeParseError, "announced"),
        ({"content": b"x" * 2_000_001}, EntsoeParseError, "larger than"),
    ],
)
async def test_temporary_failures(
    mocker: AiohttpClientMocker,
    session: aiohttp.ClientSession,
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    """Rate limits, maintenance, junk and network errors are temporary; the token never leaks."""
    mocker.get(API_URL, **kwargs)
    with pytest.raises(error, match=match) as info:
        await EntsoeClient(session, "secret").async_get_day_ahead(NL, START, END)
    assert "secret" not in str(info.value)


async def test_hanging_server_times_out(
    mocker: AiohttpClientMocker, session: aiohttp.ClientSession
) -> None:
    """A server that never answers gives up after the timeout."""

    async def hang(*_: Any) -> None:
        await asyncio.Event().wait()

    mocker.get(API_URL, side_effect=hang)
    with pytest.raises(EntsoeTemporaryError, match="no answer"):
        await EntsoeClient(session, "secret", timeout=0.01).async_get_day_ahead(NL, START, END)


async def test_big_answer_is_parsed_off_the_event_loop(
    mocker: AiohttpClientMocker, session: aiohttp.ClientSession
) -> None:
    """A week of quarter hours (well over 100 KB with its whitespace) parses in a worker thread."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    body = day("2025-01-01T00:00Z", "2025-01-08T00:00Z", 7 * 96).replace(
        "<Point>", "\n      <Point>"
    )
    body = body.replace("</Period>", " " * 60_000 + "</Period>")
    assert len(body) > 100_000
    mocker.get(API_URL, text=body)
    prices = await EntsoeClient(session, "secret").async_get_day_ahead(NL, start, start)
    assert len(prices) == 7 * 96
