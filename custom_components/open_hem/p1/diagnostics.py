"""The P1 meters' part of Open HEM's diagnostics.

Redacted: the host, serial port and MQTT topic (they can identify the home network). The
meter's equipment identifier is never included (the coordinator leaves it out).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from ..data import OpenHemConfigEntry
from .const import CONF_HOST, CONF_SERIAL_PATH, CONF_TOPIC

TO_REDACT = {CONF_HOST, CONF_SERIAL_PATH, CONF_TOPIC}


async def async_get_diagnostics(
    hass: HomeAssistant, entry: OpenHemConfigEntry
) -> list[dict[str, Any]]:
    """Per meter: its settings (redacted) and its state."""
    return [
        {
            "subentry_id": subentry_id,
            "settings": async_redact_data(dict(entry.subentries[subentry_id].data), TO_REDACT),
            "state": meter.diagnostics(),
        }
        for subentry_id, meter in entry.runtime_data.meters.items()
    ]
