"""An async client for ENTSO-E Transparency Platform day-ahead prices (aiohttp session given)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Final

import aiohttp

from .a44_parser import MAX_BODY_BYTES, parse_a44
from .errors import (
    EntsoeAuthError,
    EntsoeNoData,
    EntsoeParseError,
    EntsoeServerError,
    EntsoeUnreachable,
)
from .series import PriceSeries

API_URL: Final = "https://web-api.tp.entsoe.eu/api"
# The bound: a request never takes longer than this.
TIMEOUT_S: Final = 30.0
# A two-day PT15M answer is about 25 KB; parsing that on the event loop takes well under 1 ms.
PARSE_INLINE_BYTES: Final = 100_000


def _stamp(moment: datetime) -> str:
    """ENTSO-E's yyyyMMddHHmm in UTC."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


class EntsoeClient:
    """Requests day-ahead prices (documentType A44) for a bidding zone.

    The security token is sent only to ENTSO-E and never appears in exception messages.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        url: str = API_URL,
        timeout: float = TIMEOUT_S,
    ) -> None:
        """Use the caller's session (Home Assistant's shared one)."""
        self._session = session
        self._token = token
        self._url = url
        self._timeout = timeout

    async def async_get_day_ahead(
        self, zone_eic: str, start: datetime, end: datetime
    ) -> PriceSeries:
        """Spot prices in EUR/kWh for [start, end); an empty series when none are published yet.

        Raises EntsoeAuthError (401), or an EntsoeTemporaryError: EntsoeUnreachable (network,
        DNS, TLS, timeouts), EntsoeServerError (429, 5xx, other HTTP errors) or EntsoeParseError
        (bodies that are not price documents).
        """
        params = {
            "securityToken": self._token,
            "documentType": "A44",
            "in_Domain": zone_eic,
            "out_Domain": zone_eic,
            "periodStart": _stamp(start),
            "periodEnd": _stamp(end),
        }
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.get(self._url, params=params) as response:
                    status = response.status
                    length = response.headers.get("Content-Length", "")
                    if length.isdigit() and int(length) > MAX_BODY_BYTES:
                        raise EntsoeParseError(f"body of {length} bytes announced")
                    body = await response.read()
        except TimeoutError as err:
            raise EntsoeUnreachable(f"no answer within {self._timeout:.0f} s") from err
        except aiohttp.ClientError as err:
            # The error's text may contain the URL and so the token: name only its kind.
            raise EntsoeUnreachable(f"connection failed ({type(err).__name__})") from None

        if status == 401:
            raise EntsoeAuthError("ENTSO-E refused the security token (HTTP 401)")
        if len(body) > MAX_BODY_BYTES:
            raise EntsoeParseError(f"body of {len(body)} bytes is larger than {MAX_BODY_BYTES}")
        if status not in (200, 400):
            raise EntsoeServerError(f"HTTP {status}")
        # 400 carries an Acknowledgement (e.g. no data for the zone); 200 the prices.
        try:
            if len(body) > PARSE_INLINE_BYTES:
                # A big body is parsed in a worker thread so the event loop never stalls.
                loop = asyncio.get_running_loop()
                series = await loop.run_in_executor(None, parse_a44, body)
            else:
                series = parse_a44(body)
        except EntsoeNoData:
            return PriceSeries()
        except EntsoeParseError as err:
            raise EntsoeParseError(f"HTTP {status}: {err}") from err
        return series
