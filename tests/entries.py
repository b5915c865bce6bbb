"""The Open HEM hub entry as the config flow creates it, for every HA test to build on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.open_hem.const import CONF_CONNECTION, DOMAIN


def hub_entry(
    data: Mapping[str, Any] | None = None,
    *,
    options: Mapping[str, Any] | None = None,
    subentries: Sequence[ConfigSubentryData] = (),
) -> MockConfigEntry:
    """The hub entry (3x25 A connection) with extra settings, options and subentries."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Open HEM",
        data={CONF_CONNECTION: "3x25", **(data or {})},
        options=dict(options or {}),
        subentries_data=list(subentries),
        version=1,
        minor_version=1,
    )
