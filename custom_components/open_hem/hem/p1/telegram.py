"""Parse one raw DSMR telegram, CRC checked, with dsmr_parser."""

from __future__ import annotations

from functools import cache
from typing import Any

from dsmr_parser import telegram_specifications
from dsmr_parser.exceptions import InvalidChecksumError, ParseError
from dsmr_parser.parsers import TelegramParser

from .readings import MeterReading, reading_from_telegram

SPECIFICATIONS: dict[str, dict[str, Any]] = {
    "2.2": telegram_specifications.V2_2,
    "4": telegram_specifications.V4,
    "5": telegram_specifications.V5,
    "5B": telegram_specifications.BELGIUM_FLUVIUS,
    "5L": telegram_specifications.LUXEMBOURG_SMARTY,
}


class TelegramError(Exception):
    """A telegram that cannot be used: incomplete, garbled or not DSMR."""


class ChecksumError(TelegramError):
    """A telegram whose CRC does not match its contents."""


@cache
def _parser(dsmr_version: str) -> TelegramParser:
    return TelegramParser(SPECIFICATIONS[dsmr_version])


def identification(text: str) -> str | None:
    """The meter's identification line (``/ISK5\\2M550T-1012`` -> ``ISK5\\2M550T-1012``)."""
    start = text.find("/")
    if start < 0:
        return None
    line = text[start + 1 :].split("\n", 1)[0].strip()
    return line or None


def parse_telegram(text: str, dsmr_version: str) -> MeterReading:
    """Parse ``/...!CRC`` text into a reading; raise TelegramError if it cannot be trusted.

    The CRC (CRC-16/ARC over ``/`` up to and including ``!``) is checked for DSMR 4 and up; meters
    that send it without leading zeros (``!B9F``) are accepted. A telegram without a single
    electricity value is refused, so noise that happens to frame like a telegram never counts.
    """
    if dsmr_version not in SPECIFICATIONS:
        raise TelegramError(f"unknown DSMR version {dsmr_version!r}")
    if not text.lstrip().startswith("/") or "!" not in text:
        raise TelegramError("incomplete telegram")
    try:
        telegram = _parser(dsmr_version).parse(text)
    except InvalidChecksumError as err:
        raise ChecksumError(str(err)) from err
    except ParseError as err:
        raise TelegramError(str(err)) from err
    except (ValueError, TypeError, IndexError, ArithmeticError, AttributeError) as err:
        raise TelegramError(f"{type(err).__name__}: {err}") from err
    reading = reading_from_telegram(telegram, dsmr_version, identification(text))
    if reading.import_total_kwh is None and reading.power_import_w is None:
        raise TelegramError("telegram carries no electricity readings")
    return reading
