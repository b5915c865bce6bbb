"""Errors of the price package: one root, ``PriceError``, below the core's ``OpenHemError``.

PriceError
├── PriceTemporaryError        try again later (any source)
│   └── EntsoeTemporaryError   (also an EntsoeError)
│       ├── EntsoeUnreachable  network, DNS, TLS or no answer in time
│       ├── EntsoeServerError  HTTP 429, 5xx or another status
│       └── EntsoeParseError   an answer that is not a usable price document
├── EntsoeError
│   ├── EntsoeAuthError        the token was refused (HTTP 401)
│   └── EntsoeNoData           no prices published (yet): not a failure
└── PriceGapError              a slot the caller needs has no price
"""

from __future__ import annotations

from typing import ClassVar

from ..errors import OpenHemError


class PriceError(OpenHemError):
    """Something went wrong with day-ahead prices."""

    translation_key: ClassVar[str] = "price_error"


class PriceTemporaryError(PriceError):
    """A price source could not answer now; the cached prices stay in use and it is asked again."""


class PriceGapError(PriceError):
    """Prices are missing for a slot that was asked for."""


class EntsoeError(PriceError):
    """Something went wrong getting prices from ENTSO-E."""


class EntsoeAuthError(EntsoeError):
    """ENTSO-E refused the security token (HTTP 401): the user must enter a new one."""


class EntsoeNoData(EntsoeError):  # noqa: N818  (not an error: the name says what it means)
    """ENTSO-E answered with an Acknowledgement: no prices published (yet) for the request."""


class EntsoeTemporaryError(EntsoeError, PriceTemporaryError):
    """Rate limit, server error, timeout or a body that is not a price document: try again later."""


class EntsoeUnreachable(EntsoeTemporaryError):  # noqa: N818  (named like the state it reports)
    """ENTSO-E could not be reached: network, DNS or TLS failure, or no answer in time."""


class EntsoeServerError(EntsoeTemporaryError):
    """ENTSO-E answered with an HTTP error status (rate limit, maintenance, server fault)."""


class EntsoeParseError(EntsoeTemporaryError):
    """The body is not a usable A44 price document (malformed, hostile, absurd or an HTML page)."""
