"""Diagnostics for Open HEM.

Redacted: the ENTSO-E token, and for P1 meters the host, serial port and MQTT topic (they can
identify the home network). The meter's equipment identifier is never included. S2 devices:
see devices/diagnostics.py.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .data import OpenHemConfigEntry
from .devices.diagnostics import s2_devices_diagnostics
from .p1.const import CONF_HOST, CONF_SERIAL_PATH, CONF_TOPIC
from .prices.const import CONF_TOKEN

TO_REDACT = {CONF_TOKEN}
P1_TO_REDACT = {CONF_HOST, CONF_SERIAL_PATH, CONF_TOPIC}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: OpenHemConfigEntry
) -> dict[str, Any]:
    """Settings and the state of each part."""
    prices = entry.runtime_data.prices
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "prices": None if prices is None else prices.diagnostics(),
        "p1_meters": [
            {
                "subentry_id": subentry_id,
                "settings": async_redact_data(
                    dict(entry.subentries[subentry_id].data), P1_TO_REDACT
                ),
                "state": meter.diagnostics(),
            }
            for subentry_id, meter in entry.runtime_data.meters.items()
        ],
        "s2_devices": s2_devices_diagnostics(entry),
    }
