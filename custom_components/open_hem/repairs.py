"""Repair flows: accept a replaced P1 meter's totals."""

from __future__ import annotations

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .data import OpenHemConfigEntry


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


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The flow for Open HEM's fixable issue (``meter_swapped_<subentry id>``, the only one)."""
    return MeterSwappedRepairFlow()
