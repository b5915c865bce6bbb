"""The plan in force as plain data: what entities, the calendar, ``get_plan``, the store and
the devices read. Made from a planner ``Plan`` once per cycle; JSON both ways.

Powers are W, positive when drawn from the grid side (a battery charging, a car charging,
the grid importing); PV production is negative.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from homeassistant.util import dt as dt_util

from .const import SLOT, PlanStatus

RUN_W = 50.0
"""Below this a device counts as idle in the calendar and the next action."""


@dataclass
class DeviceSeries:
    """One device's part of the plan."""

    subentry_id: str
    name: str
    kind: str
    """The planner's kind: battery, ev, heat_pump, pv, or fixed (manual, overridden)."""
    power_w: list[float]
    state: list[float] | None = None
    """The planner's state at each slot's end (battery SOC fraction, EV Wh so far, °C)."""
    state_key: str | None = None
    """``soc_pct``, ``indoor_c`` or ``tank_c``: what ``display`` holds."""
    display: list[float] | None = None
    curtailed_w: list[float] | None = None
    instructed: bool = True
    """Whether the device is sent this plan (auto mode, or a power override)."""

    @property
    def slot_count(self) -> int:
        return len(self.power_w)


@dataclass
class PlanSnapshot:
    """The plan: slots from ``start``, per-slot series, devices, costs and unmet wishes."""

    status: PlanStatus
    created: datetime
    start: datetime
    import_price: list[float]
    export_price: list[float]
    grid_w: list[float]
    base_load_w: list[float]
    pv_w: list[float]
    slot_cost_eur: list[float]
    devices: dict[str, DeviceSeries]
    cost_eur: float
    baseline_cost_eur: float
    unmet: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    solver: dict[str, Any] = field(default_factory=dict)

    # -- time ------------------------------------------------------------------------------

    @property
    def slots(self) -> int:
        return len(self.grid_w)

    @property
    def end(self) -> datetime:
        return self.start + SLOT * self.slots

    def slot_start(self, i: int) -> datetime:
        return self.start + SLOT * i

    def slot_starts(self) -> list[datetime]:
        return [self.slot_start(i) for i in range(self.slots)]

    def index(self, moment: datetime) -> int | None:
        """The slot holding ``moment``, or None outside the plan."""
        i = int((dt_util.as_utc(moment) - self.start) // SLOT)
        return i if 0 <= i < self.slots else None

    @property
    def saving_eur(self) -> float:
        return self.baseline_cost_eur - self.cost_eur

    def covers(self, moment: datetime) -> bool:
        return self.index(moment) is not None

    # -- reading ---------------------------------------------------------------------------

    def power_at(self, subentry_id: str, moment: datetime) -> float | None:
        series = self.devices.get(subentry_id)
        i = self.index(moment)
        return None if series is None or i is None else series.power_w[i]

    def next_change(self, subentry_id: str, moment: datetime) -> tuple[datetime, float] | None:
        """When the device's planned power next changes (by more than 50 W), and to what."""
        series = self.devices.get(subentry_id)
        i = self.index(moment)
        if series is None or i is None:
            return None
        now_w = series.power_w[i]
        for j in range(i + 1, self.slots):
            if abs(series.power_w[j] - now_w) > RUN_W:
                return self.slot_start(j), series.power_w[j]
        return None

    def cost_between(self, start: datetime, end: datetime) -> float | None:
        """The planned grid cost (EUR) of the slots in [start, end) (None when none)."""
        # the slots i with start <= slot_start(i) < end, by arithmetic (no datetime per slot)
        first = max(0, -((self.start - start) // SLOT))
        stop = max(0, min(self.slots, -((self.start - end) // SLOT)))
        picked = self.slot_cost_eur[first:stop]
        return round(sum(picked), 4) if picked else None

    def unmet_of(self, subentry_id: str) -> list[dict[str, Any]]:
        return [u for u in self.unmet if u.get("subentry_id") == subentry_id]

    def runs(self) -> Iterator[tuple[DeviceSeries, str, int, int, float]]:
        """(device, what, first slot, end slot, mean W) of every run the calendar shows."""
        for series in self.devices.values():
            values = series.power_w
            labels: list[str | None] = []
            for i, p in enumerate(values):
                if series.kind == "pv":
                    cut = series.curtailed_w[i] if series.curtailed_w else 0.0
                    labels.append("curtail" if cut > RUN_W else None)
                elif series.kind == "battery":
                    labels.append("charge" if p > RUN_W else "discharge" if p < -RUN_W else None)
                elif series.kind == "ev":
                    labels.append("charge" if p > RUN_W else None)
                else:
                    labels.append("run" if abs(p) > RUN_W else None)
            i = 0
            while i < len(labels):
                label = labels[i]
                if label is None:
                    i += 1
                    continue
                j = i
                while j < len(labels) and labels[j] == label:
                    j += 1
                mean = sum(values[i:j]) / (j - i)
                yield series, label, i, j, mean
                i = j

    # -- get_plan --------------------------------------------------------------------------

    def response(self) -> dict[str, Any]:
        """``open_hem.get_plan``'s answer (times in local ISO 8601 with offset)."""

        def iso(moment: datetime) -> str:
            return dt_util.as_local(moment).isoformat()

        slots = []
        for i in range(self.slots):
            devices: dict[str, dict[str, float]] = {}
            for series in self.devices.values():
                item = {"power_w": round(series.power_w[i], 1)}
                if series.display is not None and series.state_key is not None:
                    item[series.state_key] = round(series.display[i], 2)
                devices[series.name] = item
            slots.append(
                {
                    "start": iso(self.slot_start(i)),
                    "end": iso(self.slot_start(i) + SLOT),
                    "import_price": round(self.import_price[i], 6),
                    "export_price": round(self.export_price[i], 6),
                    "grid_w": round(self.grid_w[i], 1),
                    "base_load_w": round(self.base_load_w[i], 1),
                    "pv_w": round(self.pv_w[i], 1),
                    "devices": devices,
                }
            )
        return {
            "status": self.status.value,
            "created": iso(self.created),
            "cost_eur": round(self.cost_eur, 4),
            "baseline_cost_eur": round(self.baseline_cost_eur, 4),
            "unmet": [
                {
                    "device": u["device"],
                    "wish": u["wish"],
                    "shortfall": u["shortfall"],
                    "reason": u["reason"],
                }
                for u in self.unmet
            ],
            "slots": slots,
        }

    # -- store -----------------------------------------------------------------------------

    def to_store(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["created"] = self.created.isoformat()
        data["start"] = self.start.isoformat()
        return data

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> PlanSnapshot | None:
        try:
            devices = {k: DeviceSeries(**v) for k, v in data["devices"].items()}
            return cls(
                **{
                    **data,
                    "status": PlanStatus(data["status"]),
                    "created": datetime.fromisoformat(data["created"]),
                    "start": datetime.fromisoformat(data["start"]),
                    "devices": devices,
                }
            )
        except KeyError, TypeError, ValueError:
            return None

    def shifted_to(self, moment: datetime) -> PlanSnapshot:
        """The part of the plan from ``moment``'s slot on (a restored plan, trimmed)."""
        i = self.index(moment)
        if i is None or i == 0:
            return self
        cut = slice(i, None)

        def trim(values: list[float] | None) -> list[float] | None:
            return None if values is None else values[cut]

        devices = {
            k: DeviceSeries(
                s.subentry_id,
                s.name,
                s.kind,
                s.power_w[cut],
                trim(s.state),
                s.state_key,
                trim(s.display),
                trim(s.curtailed_w),
                s.instructed,
            )
            for k, s in self.devices.items()
        }
        return PlanSnapshot(
            status=self.status,
            created=self.created,
            start=self.start + timedelta(minutes=15 * i),
            import_price=self.import_price[cut],
            export_price=self.export_price[cut],
            grid_w=self.grid_w[cut],
            base_load_w=self.base_load_w[cut],
            pv_w=self.pv_w[cut],
            slot_cost_eur=self.slot_cost_eur[cut],
            devices=devices,
            cost_eur=self.cost_eur,
            baseline_cost_eur=self.baseline_cost_eur,
            unmet=self.unmet,
            reason=self.reason,
            solver=self.solver,
        )
