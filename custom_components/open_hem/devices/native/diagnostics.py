"""Diagnostics of the S2 devices (part of Open HEM's diagnostics).

Per device: its settings (the node id is kept: it is in the URL, not a secret; the token is
never stored, only its hash, and that is left out too), the connection statistics, the RM's
details and the last session's state and statistics, and the last system description with its
statuses. Ids are kept so a trace can be followed; serial numbers are redacted.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from homeassistant.components.diagnostics import async_redact_data

from ...data import OpenHemConfigEntry
from . import readings
from .manager import S2Device

TO_REDACT = {"serial_number"}


def _plain(value: Any) -> Any:
    """JSON values only: enums by value, times in ISO 8601, durations in seconds."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def _device(device: S2Device, has_token: bool) -> dict[str, Any]:
    session = device.session
    return async_redact_data(
        _plain(
            {
                "subentry_id": device.subentry_id,
                "node_id": device.node_id,
                "preferred_control_type": device.control_type,
                "has_token": has_token,
                "state": device.state,
                "connection": asdict(device.stats),
                "rm_details": None
                if session is None or session.rm_details is None
                else asdict(session.rm_details),
                "session": None
                if session is None
                else {
                    **session.snapshot(),
                    "stats": asdict(session.stats),
                    "pending_count": session.pending_count,
                },
                "system_description": readings.system_description(session),
            }
        ),
        TO_REDACT,
    )


def s2_devices_diagnostics(entry: OpenHemConfigEntry) -> dict[str, Any] | None:
    """Every S2 device of the entry, and how many connections were refused."""
    devices = entry.runtime_data.s2
    if devices is None:
        return None
    return {
        "refused_connections": devices.refused,
        "devices": [
            _device(device, device.node_id in devices.tokens) for device in devices.devices.values()
        ],
    }
