"""P1 meter entries for the integration tests; the telegrams live in tests/core/p1/telegrams.py."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .core.p1.telegrams import (
    FLUVIUS,
    V4_2,
    V5,
    V5_TWO_MBUS,
    TelegramServer,
    changed,
    crc16,
    telegram_bytes,
    telegram_text,
    wait_for,
    with_crc,
)
from .entries import hub_entry

__all__ = [
    "FLUVIUS",
    "V4_2",
    "V5",
    "V5_TWO_MBUS",
    "TelegramServer",
    "changed",
    "crc16",
    "meter_entry",
    "telegram_bytes",
    "telegram_text",
    "wait_for",
    "with_crc",
]


def meter_entry(data: dict[str, Any], title: str = "P1 meter") -> MockConfigEntry:
    """The hub entry with one P1 meter subentry."""
    return hub_entry(
        subentries=[
            ConfigSubentryData(
                data=data, subentry_type="p1_meter", title=title, unique_id=f"test:{title}"
            )
        ]
    )
