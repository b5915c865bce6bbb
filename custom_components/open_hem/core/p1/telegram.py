"""Parse one raw DSMR telegram, CRC checked, with dsmr_parser.

dsmr_parser logs at ERROR (with a traceback) for every line it cannot read, even in a telegram
whose CRC is valid, and meters that always send such a line fill the log once a second (Home
Assistant core issues #56805, #94609). Its records from *our* parse calls are kept out of the log
by a filter on its logger that is active only while we parse (a context variable, so Home
Assistant's own dsmr integration, which shares the logger, still logs as before). What it would
have logged is reported to the caller, who counts it and logs at debug.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
import logging
import re
from typing import Any

from dsmr_parser import telegram_specifications
from dsmr_parser.exceptions import InvalidChecksumError, ParseError
from dsmr_parser.parsers import TelegramParser

from .errors import ChecksumError, TelegramError
from .readings import MeterReading, reading_from_telegram

SPECIFICATIONS: dict[str, dict[str, Any]] = {
    "2.2": telegram_specifications.V2_2,
    "4": telegram_specifications.V4,
    "5": telegram_specifications.V5,
    "5B": telegram_specifications.BELGIUM_FLUVIUS,
    "5L": telegram_specifications.LUXEMBOURG_SMARTY,
}


# Records dsmr_parser logs during our parse call; None outside our calls (then they pass).
_PARSE_RECORDS: ContextVar[list[logging.LogRecord] | None] = ContextVar(
    "open_hem_dsmr_parser_records", default=None
)


class _OwnCallsFilter(logging.Filter):
    """Collect, instead of log, dsmr_parser's records from inside parse_telegram."""

    def filter(self, record: logging.LogRecord) -> bool:
        records = _PARSE_RECORDS.get()
        if records is None:
            return True
        records.append(record)
        return False


def _install_filter() -> None:
    parser_logger = logging.getLogger("dsmr_parser.parsers")
    if not any(type(f).__name__ == _OwnCallsFilter.__name__ for f in parser_logger.filters):
        parser_logger.addFilter(_OwnCallsFilter())


_install_filter()


def _line_of(record: logging.LogRecord) -> str:
    """The line dsmr_parser gave up on (its ParseError carries it), else its message."""
    error = record.exc_info[1] if record.exc_info else None
    if error is not None and len(error.args) > 1:
        return str(error.args[1]).strip()
    return record.getMessage()


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()
_CRC_DIGITS = re.compile(r"[0-9A-Fa-f]{1,4}")


def crc16(data: bytes) -> int:
    """CRC-16/ARC (poly 0xA001 reflected, init 0), table-driven.

    dsmr_parser's own check costs ~0.4 ms a telegram in pure Python; this one a fraction of it,
    and the parser is then run without its check.
    """
    crc = 0
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def check_crc(text: str) -> None:
    """Raise ChecksumError unless the CRC after '!' (1 to 4 hex digits) matches '/' .. '!'."""
    start = text.find("/")
    bang = text.find("!", start + 1)
    digits = _CRC_DIGITS.match(text, bang + 1) if start >= 0 and bang > start else None
    if digits is None:
        raise TelegramError("telegram without a CRC")
    body = text[start : bang + 1].encode("utf-8", "replace")
    if crc16(body) != int(digits.group(0), 16):
        raise ChecksumError(f"CRC {digits.group(0)} does not match the telegram")


@cache
def _parser(dsmr_version: str) -> TelegramParser:
    # The CRC is checked by check_crc before parsing.
    return TelegramParser(SPECIFICATIONS[dsmr_version], apply_checksum_validation=False)


def identification(text: str) -> str | None:
    """The meter's identification line (``/ISK5\\2M550T-1012`` -> ``ISK5\\2M550T-1012``)."""
    start = text.find("/")
    if start < 0:
        return None
    line = text[start + 1 :].split("\n", 1)[0].strip()
    return line or None


def parse_telegram(
    text: str, dsmr_version: str, ignored_lines: list[str] | None = None
) -> MeterReading:
    """Parse ``/...!CRC`` text into a reading; raise TelegramError if it cannot be trusted.

    The CRC (CRC-16/ARC over ``/`` up to and including ``!``) is checked for DSMR 4 and up; meters
    that send it without leading zeros (``!B9F``) are accepted. A telegram without a single
    electricity value is refused, so noise that happens to frame like a telegram never counts.

    A line dsmr_parser cannot read in a telegram with a valid CRC is what the meter sent (some
    always send one, e.g. ``0-1:24.2.1(0)``): the telegram is used without it, and the line is
    appended to ``ignored_lines``. dsmr_parser's own logging for this call is suppressed.
    """
    if dsmr_version not in SPECIFICATIONS:
        raise TelegramError(f"unknown DSMR version {dsmr_version!r}")
    if not text.lstrip().startswith("/") or "!" not in text:
        raise TelegramError("incomplete telegram")
    parser = _parser(dsmr_version)
    if parser.telegram_specification["checksum_support"]:
        check_crc(text)
    records: list[logging.LogRecord] = []
    token = _PARSE_RECORDS.set(records)
    try:
        telegram = parser.parse(text)
    except InvalidChecksumError as err:  # pragma: no cover - the parser's own check is off
        raise ChecksumError(str(err)) from err
    except ParseError as err:
        raise TelegramError(str(err)) from err
    except (ValueError, TypeError, LookupError, ArithmeticError, AttributeError) as err:
        # dsmr_parser raises whatever a value parser raised (e.g. decimal.InvalidOperation).
        raise TelegramError(f"{type(err).__name__}: {err}") from err
    finally:
        _PARSE_RECORDS.reset(token)
    if ignored_lines is not None:
        ignored_lines.extend(_line_of(record) for record in records if record.exc_info)
    reading = reading_from_telegram(telegram, dsmr_version, identification(text))
    if reading.import_total_kwh is None and reading.power_import_w is None:
        raise TelegramError("telegram carries no electricity readings")
    return reading
