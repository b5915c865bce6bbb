"""The plan as a calendar: EV charging sessions, heat-pump runs, battery charge and discharge
windows, PV curtailment (appliance starts when the planner has the kind)."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from ..data import OpenHemConfigEntry
from .const import SLOT
from .entity import PlanHubEntity
from .snapshot import PlanSnapshot

PLAN_CALENDAR = CalendarEntityDescription(key="plan", translation_key="plan")
VIEW = "calendar_events"
"""The loop's view (made off the event loop) holding a new plan's events."""

WHAT = {
    ("battery", "charge"): "charges",
    ("battery", "discharge"): "discharges",
    ("ev", "charge"): "charges",
    ("heat_pump", "run"): "heats",
    ("pv", "curtail"): "is curtailed",
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The plan calendar on the hub."""
    async_add_entities([PlanCalendar(entry, PLAN_CALENDAR)])


class PlanCalendar(PlanHubEntity, CalendarEntity):
    """Every run of a device in the plan in force, as an event."""

    _made: tuple[PlanSnapshot, list[CalendarEvent]] | None = None

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        # A new plan's events are made in the cycle's executor job, off the event loop.
        self.async_on_remove(self.loop.async_add_view(VIEW, self._make))

    def _events(self) -> list[CalendarEvent]:
        snap = self.loop.snapshot
        if snap is None:
            return []
        # Made once per plan: writing the state alone reads them three times.
        if self._made is None or self._made[0] is not snap:
            events = self.loop.view(VIEW, snap)
            self._made = (snap, self._make(snap) if events is None else events)
        return self._made[1]

    @staticmethod
    def _make(snap: PlanSnapshot) -> list[CalendarEvent]:
        events = []
        for series, label, first, end, mean_w in snap.runs():
            what = WHAT.get((series.kind, label), "runs")
            mean = mean_w
            if series.kind == "pv" and series.curtailed_w:
                mean = sum(series.curtailed_w[first:end]) / (end - first)
            events.append(
                CalendarEvent(
                    start=dt_util.as_local(snap.slot_start(first)),
                    end=dt_util.as_local(snap.slot_start(end - 1) + SLOT),
                    summary=f"{series.name} {what}",
                    description=f"{abs(mean) / 1000:.1f} kW on average",
                    uid=f"{series.subentry_id}-{label}-{snap.slot_start(first).isoformat()}",
                )
            )
        events.sort(key=lambda e: (e.start, e.summary))
        return events

    @property
    def event(self) -> CalendarEvent | None:
        now = dt_util.now()
        upcoming = [e for e in self._events() if e.end > now]
        return upcoming[0] if upcoming else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        return [e for e in self._events() if e.end > start_date and e.start < end_date]
