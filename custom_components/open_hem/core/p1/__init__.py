"""P1 smart meter ("inzicht"): telegrams, dongle payloads and HomeWizard, read locally.

The public names are exported here; callers import ``from open_hem_core.p1 import X`` (the
integration: ``from ..core.p1 import X``) rather than from the modules below.
"""

from .averaging import PowerAverager, TotalGuard
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
    IGNORED_LINE,
    P1Protocol,
    StreamCallbacks,
    open_serial,
    open_tcp,
    read_one,
)
from .stream import TelegramFramer
from .telegram import crc16, parse_telegram

__all__ = [
    "BELGIAN",
    "DSMR_VERSIONS",
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
    "CannotConnectError",
    "ChecksumError",
    "DongleDecoder",
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
]
