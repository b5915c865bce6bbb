"""Constants for Open HEM."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "open_hem"
LOGGER = logging.getLogger(__package__)

CONF_CONNECTION: Final = "connection"

# Mains voltage used to turn a fuse size into power (NEN-EN 50160 nominal).
NOMINAL_VOLTAGE_V: Final = 230

# The connection sizes Dutch and Belgian grid operators sell, as "<phases>x<amps>".
# 3x25 A is the common Dutch household connection (17.25 kW) and the public default.
CONNECTION_SIZES: Final = (
    "1x25",
    "1x35",
    "1x40",
    "3x25",
    "3x35",
    "3x40",
    "3x50",
    "3x63",
    "3x80",
)
DEFAULT_CONNECTION: Final = "3x25"


def connection_limit_w(connection: str) -> int:
    """Return the power a connection like "3x25" can carry, in W."""
    phases, amps = (int(part) for part in connection.split("x"))
    return phases * amps * NOMINAL_VOLTAGE_V
