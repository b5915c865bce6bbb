"""Errors of the price sources."""

from __future__ import annotations


class EntsoeError(Exception):
    """Something went wrong getting prices from ENTSO-E."""


class EntsoeAuthError(EntsoeError):
    """ENTSO-E refused the security token (HTTP 401): the user must enter a new one."""


class EntsoeNoData(EntsoeError):  # noqa: N818  (not an error: the name says what it means)
    """ENTSO-E answered with an Acknowledgement: no prices published (yet) for the request."""


class EntsoeTemporaryError(EntsoeError):
    """Rate limit, server error, timeout or a body that is not a price document: try again later."""


class EntsoeParseError(EntsoeTemporaryError):
    """The body is not a usable A44 price document (malformed, hostile or absurd)."""
