"""Settings of a P1 meter subentry."""

from __future__ import annotations

from typing import Final

SUBENTRY_P1_METER: Final = "p1_meter"

CONF_SOURCE: Final = "source"
SOURCE_SERIAL: Final = "serial"
SOURCE_NETWORK: Final = "network"
SOURCE_MQTT: Final = "mqtt"
SOURCE_HOMEWIZARD: Final = "homewizard"
SOURCES: Final = (SOURCE_SERIAL, SOURCE_NETWORK, SOURCE_MQTT, SOURCE_HOMEWIZARD)

CONF_SERIAL_PATH: Final = "serial_path"
CONF_HOST: Final = "host"
CONF_PORT: Final = "port"
CONF_DSMR_VERSION: Final = "dsmr_version"
CONF_TOPIC: Final = "topic"
CONF_PAYLOAD_FORMAT: Final = "payload_format"
CONF_UPDATE_INTERVAL: Final = "update_interval"

DEFAULT_DSMR_VERSION: Final = "5"
DEFAULT_UPDATE_INTERVAL_S: Final = 5
MIN_UPDATE_INTERVAL_S: Final = 1
MAX_UPDATE_INTERVAL_S: Final = 300

# No telegram for this long: the meter counts as lost, stream sources reconnect.
SILENCE_TIMEOUT_S: Final = 60
# Reconnect (and HomeWizard retry) backoff: 1, 2, 4 ... at most 60 s between tries.
BACKOFF_START_S: Final = 1
BACKOFF_MAX_S: Final = 60
# HomeWizard is polled; the meter itself updates once a second.
HOMEWIZARD_POLL_S: Final = 1

# Totals below what was shown for this long: the meter was most likely replaced (a bad read is a
# single telegram); a repair issue lets the user accept the new meter's totals.
METER_SWAP_AFTER_S: Final = 600
ISSUE_METER_SWAPPED: Final = "meter_swapped"
