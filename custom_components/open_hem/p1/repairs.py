"""Repair flow of the P1 meters: accept a replaced meter's totals."""

from __future__ import annotations

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState

from ..data import OpenHemConfigEntry
from .const import ISSUE_METER_SWAPPED


def handles(issue_id: str) -> bool:
    """Whether the issue is P1's (``meter_swapped_<subentry id>``)."""
    return issue_id.startswith(f"{ISSUE_METER_SWAPPED}_")


class MeterSwappedRepairFlow(ConfirmRepairFlow):
    """Confirm that the meter was replaced; its lower totals are then accepted."""

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Show what happened; on submit the meter's totals start over from the new meter."""
        if user_input is None:
            return await super().async_step_confirm()
        data = self.data or {}
        entry: OpenHemConfigEntry | None = self.hass.config_entries.async_get_entry(
            str(data.get("entry_id"))
        )
        meter = (
            entry.runtime_data.meters.get(str(data.get("subentry_id")))
            if entry is not None and entry.state is ConfigEntryState.LOADED
            else None
        )
        if meter is None:
            return self.async_abort(reason="meter_gone")
        meter.async_accept_new_totals()
        return self.async_create_entry(data={})
