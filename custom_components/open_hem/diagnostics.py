"""Diagnostics for Open HEM: the hub's settings, then each feature's part.

Redacted: the ENTSO-E token here; each feature redacts its own (P1: p1/diagnostics.py,
S2 devices: devices/native/diagnostics.py).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .data import OpenHemConfigEntry
from .devices.native.diagnostics import s2_devices_diagnostics
from .p1 import diagnostics as p1
from .planner.diagnostics import planner_diagnostics
from .prices.diagnostics import TO_REDACT, price_diagnostics


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: OpenHemConfigEntry
) -> dict[str, Any]:
    """Settings and the state of each part."""
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "prices": price_diagnostics(entry.runtime_data.prices),
        "p1_meters": await p1.async_get_diagnostics(hass, entry),
        "planner": planner_diagnostics(entry.runtime_data.planner),
        "s2_devices": s2_devices_diagnostics(entry),
        "demo": None if (demo := entry.runtime_data.demo) is None else demo.diagnostics(),
    }
