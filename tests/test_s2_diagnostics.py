"""Diagnostics of S2 devices: the RM's details and last system description, serials redacted."""

from __future__ import annotations

from collections.abc import AsyncGenerator
import json
import re
from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.open_hem.devices.native.const import (
    CONF_CONTROL_TYPE,
    CONF_NODE_ID,
    SUBENTRY_S2_DEVICE,
)
from custom_components.open_hem.devices.native.tokens import async_get_tokens
from custom_components.open_hem.diagnostics import async_get_config_entry_diagnostics
from tests.entries import hub_entry
from tests.s2_helpers import BatteryRm, Rm, asset, wait_for

SUBENTRY_ID = "01S2DEVICE0000000000000001"
NODE_ID = "5e1f0c2a-1111-4222-8333-444455556666"
TOKEN = "diagnostics-test-token-0123456789abcdefghijk"

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
_KEPT = {NODE_ID, "0b5ad3c0-0000-4000-8000-000000000001"}


def _stable(value: Any, ids: dict[str, str]) -> Any:
    """Random ids numbered by first appearance (still linked), times and datetimes marked."""
    if isinstance(value, dict):
        return {_stable(k, ids): _stable(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_stable(v, ids) for v in value]
    if hasattr(value, "isoformat"):
        return "TIME"
    if isinstance(value, str) and _UUID.match(value) and value not in _KEPT:
        return ids.setdefault(value, f"id-{len(ids) + 1}")
    if isinstance(value, str) and _TIME.match(value):
        return "TIME"
    return value


@pytest.fixture
async def rms() -> AsyncGenerator[list[Rm]]:
    started: list[Rm] = []
    yield started
    for rm in started:
        await rm.stop()


async def test_diagnostics_of_a_connected_battery(
    hass: HomeAssistant,
    hass_client_no_auth: Any,
    rms: list[Rm],
    snapshot: SnapshotAssertion,
) -> None:
    """Settings, connection and session statistics, details and system description."""
    assert await async_setup_component(hass, "http", {})
    entry = hub_entry(
        subentries=[
            ConfigSubentryData(
                subentry_id=SUBENTRY_ID,
                subentry_type=SUBENTRY_S2_DEVICE,
                title="Home battery",
                unique_id=NODE_ID,
                data={CONF_NODE_ID: NODE_ID, CONF_CONTROL_TYPE: "fill_rate_based_control"},
            )
        ]
    )
    tokens = await async_get_tokens(hass)
    await tokens.async_set(NODE_ID, TOKEN)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    client = await hass_client_no_auth()
    battery = BatteryRm()
    rm = Rm([battery], asset())
    rms.append(rm)
    await rm.connect(client, f"/api/open_hem/s2/{NODE_ID}", TOKEN)
    await wait_for(battery.active.is_set)
    devices = entry.runtime_data.s2
    assert devices is not None
    session = devices.devices[SUBENTRY_ID].session
    assert session is not None
    await wait_for(lambda: session.measurements and session.pending_count == 0)
    await hass.async_block_till_done()

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = json.dumps(diagnostics)  # plain JSON: Home Assistant must be able to save it
    assert "SN-0042-SECRET" not in text
    assert TOKEN not in text
    part = diagnostics["s2_devices"]
    assert part["devices"][0]["rm_details"]["serial_number"] == "**REDACTED**"
    # Message counts depend on how the frames interleave: checked, not snapshotted.
    stats = part["devices"][0]["session"].pop("stats")
    assert stats["received"] >= 6
    assert stats["rejected"] == 0
    assert _stable(part, {}) == snapshot
