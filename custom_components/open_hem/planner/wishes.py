"""The household's wishes per device, and how they shape the planner's device models.

A wish is kept per device (subentry id) in the loop's store. Which wishes a device has follows
from its kind: an EV charger a target SOC and a ready-by time, a heat pump a comfort band, an
appliance a finish-by time. Applying a wish replaces fields of the frozen planner dataclass the
device gave; the device's own state (SOC, temperature) stays what it measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
import math
from typing import Any

from ..core.planner import Battery, EVCharger, HeatPump, Horizon, ThermalHouse
from ..core.s2.control import FRBCHandler
from ..devices.hub import DeviceKind
from .const import (
    DEFAULT_COMFORT_HIGH,
    DEFAULT_COMFORT_LOW,
    DEFAULT_FINISH_BY,
    DEFAULT_READY_BY,
    DEFAULT_TARGET_SOC,
    WISH_COMFORT_HIGH,
    WISH_COMFORT_LOW,
    WISH_FINISH_BY,
    WISH_READY_BY,
    WISH_TARGET_SOC,
)

WISH_KEYS: dict[DeviceKind, tuple[str, ...]] = {
    DeviceKind.EV_CHARGER: (WISH_TARGET_SOC, WISH_READY_BY),
    DeviceKind.HEAT_PUMP: (WISH_COMFORT_LOW, WISH_COMFORT_HIGH),
    DeviceKind.APPLIANCE: (WISH_FINISH_BY,),
}


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


@dataclass
class Wish:
    """One device's wishes (only those of its kind are used)."""

    target_soc: float = DEFAULT_TARGET_SOC
    ready_by: time = DEFAULT_READY_BY
    comfort_low: float = DEFAULT_COMFORT_LOW
    comfort_high: float = DEFAULT_COMFORT_HIGH
    finish_by: time = DEFAULT_FINISH_BY
    changed: datetime | None = field(default=None, compare=False)

    def to_store(self) -> dict[str, Any]:
        return {
            WISH_TARGET_SOC: self.target_soc,
            WISH_READY_BY: _hhmm(self.ready_by),
            WISH_COMFORT_LOW: self.comfort_low,
            WISH_COMFORT_HIGH: self.comfort_high,
            WISH_FINISH_BY: _hhmm(self.finish_by),
        }

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> Wish:
        wish = cls()
        for key in (WISH_TARGET_SOC, WISH_COMFORT_LOW, WISH_COMFORT_HIGH):
            if isinstance(data.get(key), int | float):
                setattr(wish, key, float(data[key]))
        for key in (WISH_READY_BY, WISH_FINISH_BY):
            if isinstance(data.get(key), str):
                try:
                    setattr(wish, key, time.fromisoformat(data[key]))
                except ValueError:
                    continue
        return wish

    def update(self, **values: Any) -> None:
        """Set the given wishes (keys as in :data:`WISH_KEYS`)."""
        for key, value in values.items():
            setattr(self, key, value)


def next_occurrence(at: time, now: datetime, zone: Any) -> datetime:
    """The next moment (after ``now``) the local clock shows ``at``."""
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate


def ev_battery(
    control: Any, name: str, slot_start: Sequence[datetime]
) -> tuple[float, float] | None:
    """(capacity in Wh as AC energy, SOC now 0..1) of an FRBC EV (its session's control
    handler), when its RM tells them."""
    if not isinstance(control, FRBCHandler) or not control.ready:
        return None
    try:
        view = control.device_model(name, slot_start, kind="battery")
    except ValueError:
        return None
    if not isinstance(view, Battery):
        return None
    return view.capacity_wh / view.charge_efficiency, view.soc_initial


def apply_ev(
    model: EVCharger,
    wish: Wish,
    horizon: Horizon,
    now: datetime,
    battery: tuple[float, float] | None,
) -> EVCharger:
    """The EV's energy by its ready-by time; a deadline past the horizon asks only for what
    could not be charged after the horizon's end."""
    deadline = next_occurrence(wish.ready_by, now, horizon.tz)
    energy = model.energy_wh
    if battery is not None:
        capacity, soc = battery
        energy = max(0.0, wish.target_soc / 100.0 - soc) * capacity
    end = horizon.start + timedelta(minutes=horizon.step_minutes * horizon.slots)
    if deadline > end:
        after_h = (deadline - end).total_seconds() / 3600.0
        energy = max(0.0, energy - model.max_w * after_h)
        deadline_slot = horizon.slots
    else:
        deadline_slot = horizon.slot_boundary_at_or_before(deadline)
    start = min(model.available_from_slot, deadline_slot)
    return replace(model, energy_wh=energy, deadline_slot=deadline_slot, available_from_slot=start)


def apply_heat_pump(model: HeatPump, wish: Wish) -> HeatPump:
    """The comfort band on a heated house (a hot-water tank keeps its RM's limits)."""
    if not isinstance(model.thermal, ThermalHouse):
        return model
    low = min(wish.comfort_low, wish.comfort_high)
    high = max(wish.comfort_low, wish.comfort_high)
    return replace(model, thermal=replace(model.thermal, comfort_low_c=low, comfort_high_c=high))


def apply_wish(
    kind: DeviceKind,
    model: Any,
    wish: Wish | None,
    horizon: Horizon,
    now: datetime,
    *,
    battery: tuple[float, float] | None = None,
) -> Any:
    """The planner model of a device of ``kind`` with its wishes applied (unchanged when it
    has none); ``battery`` is an EV's (capacity, SOC) from :func:`ev_battery`."""
    if wish is None:
        wish = Wish()
    if isinstance(model, EVCharger) and kind in (DeviceKind.EV_CHARGER, DeviceKind.S2):
        return apply_ev(model, wish, horizon, now, battery)
    if isinstance(model, HeatPump) and kind in (DeviceKind.HEAT_PUMP, DeviceKind.S2):
        return apply_heat_pump(model, wish)
    return model


def soc_series(
    battery: tuple[float, float] | None, energy_wh: Sequence[float]
) -> list[float] | None:
    """An EV's SOC in % at each slot's end, from the energy charged so far."""
    if battery is None:
        return None
    capacity, soc = battery
    if capacity <= 0 or not math.isfinite(capacity):
        return None
    return [min(100.0, (soc + e / capacity) * 100.0) for e in energy_wh]
