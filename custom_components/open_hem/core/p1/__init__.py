"""P1 smart meter ("inzicht"): telegrams, dongle payloads and HomeWizard, read locally.

The public names are exported here; callers import ``from open_hem_core.p1 import X`` (the
integration: ``from ..core.p1 import X``) rather than from the modules below.
"""

from .averaging import Backwards, GuardedReading, PowerAverager, TotalGuard
from .dongles import (
    FORMAT_PLAN_D,
    FORMAT_RAW,
    FORMAT_SMART_STUFF,
    FORMATS,
    PLAN_D_DEFAULT_TOPIC,
    SMART_STUFF_DEFAULT_TOPIC,
    DongleDecoder,
    subscription_topic,
)
from .errors import (
    CannotConnectError,
    ChecksumError,
    HomeWizardApiDisabledError,
    HomeWizardError,
    HomeWizardUnknownHostError,
    HomeWizardUnreachableError,
    InvalidPathError,
    InvalidTopicError,
    NoTelegramError,
    NotHomeWizardError,
    P1Error,
    PayloadError,
    SourceError,
    TelegramError,
    UnknownHostError,
)
from .homewizard import fetch_reading
from .identity import MANUFACTURERS, MeterIdentity, meter_identity, serial_number
from .readings import (
    BELGIAN,
    DSMR_VERSIONS,
    POWER_FIELDS,
    TARIFFS,
    TOTAL_FIELDS,
    MeterReading,
)
from .serial_tcp import (
    DEFAULT_TELEGRAM_WAIT_S,
    FAST_TELEGRAM_WAIT_S,
    IGNORED_LINE,
    P1Protocol,
    StreamCallbacks,
    open_serial,
    open_tcp,
    read_one,
    telegram_wait_s,
)
from .stream import TelegramFramer
from .telegram import crc16, parse_telegram

__all__ = [
    "BELGIAN",
    "DEFAULT_TELEGRAM_WAIT_S",
    "DSMR_VERSIONS",
    "FAST_TELEGRAM_WAIT_S",
    "FORMATS",
    "FORMAT_PLAN_D",
    "FORMAT_RAW",
    "FORMAT_SMART_STUFF",
    "IGNORED_LINE",
    "MANUFACTURERS",
    "PLAN_D_DEFAULT_TOPIC",
    "POWER_FIELDS",
    "SMART_STUFF_DEFAULT_TOPIC",
    "TARIFFS",
    "TOTAL_FIELDS",
    "Backwards",
    "CannotConnectError",
    "ChecksumError",
    "DongleDecoder",
    "GuardedReading",
    "HomeWizardApiDisabledError",
    "HomeWizardError",
    "HomeWizardUnknownHostError",
    "HomeWizardUnreachableError",
    "InvalidPathError",
    "InvalidTopicError",
    "MeterIdentity",
    "MeterReading",
    "NoTelegramError",
    "NotHomeWizardError",
    "P1Error",
    "P1Protocol",
    "PayloadError",
    "PowerAverager",
    "SourceError",
    "StreamCallbacks",
    "TelegramError",
    "TelegramFramer",
    "TotalGuard",
    "UnknownHostError",
    "crc16",
    "fetch_reading",
    "meter_identity",
    "open_serial",
    "open_tcp",
    "parse_telegram",
    "read_one",
    "serial_number",
    "subscription_topic",
    "telegram_wait_s",
]
