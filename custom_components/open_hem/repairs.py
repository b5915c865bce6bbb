"""Repair flows of Open HEM: each feature's fixable issues, handed over by issue id."""

from __future__ import annotations

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant

from .devices.native.connect import discovery as s2_discovery
from .devices.native.connect.repair_flow import DiscoveredRmRepairFlow
from .p1 import repairs as p1


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The flow for one of Open HEM's fixable issues."""
    if p1.handles(issue_id):
        return p1.MeterSwappedRepairFlow()
    if s2_discovery.handles(issue_id):
        return DiscoveredRmRepairFlow(data)
    raise ValueError(f"no repair flow for {issue_id}")  # pragma: no cover - none other is fixable
