"""The result of planning: per-slot powers and states, costs, unmet wishes, figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from .problem import FloatArray


def _list(a: FloatArray | None, digits: int = 3) -> list[float] | None:
    return None if a is None else [round(float(v), digits) for v in a]


@dataclass(frozen=True)
class CostBreakdown:
    """EUR over the horizon. ``energy_eur`` is the grid's energy bill (import - export);
    ``capacity_eur`` the capacity tariff on the month peaks (including the part already
    reached, which the plan cannot change)."""

    import_eur: float
    export_revenue_eur: float
    wear_eur: float = 0.0
    stored_energy_value_eur: float = 0.0
    capacity_eur: float = 0.0

    @property
    def energy_eur(self) -> float:
        return self.import_eur - self.export_revenue_eur

    @property
    def grid_eur(self) -> float:
        """The grid bill: energy + capacity tariff."""
        return self.energy_eur + self.capacity_eur

    @property
    def total_eur(self) -> float:
        """What the plan optimises: bill + wear - value of energy left in batteries."""
        return self.grid_eur + self.wear_eur - self.stored_energy_value_eur

    def to_dict(self) -> dict[str, float]:
        return {
            "import_eur": round(self.import_eur, 6),
            "export_revenue_eur": round(self.export_revenue_eur, 6),
            "wear_eur": round(self.wear_eur, 6),
            "stored_energy_value_eur": round(self.stored_energy_value_eur, 6),
            "energy_eur": round(self.energy_eur, 6),
            "capacity_eur": round(self.capacity_eur, 6),
            "total_eur": round(self.total_eur, 6),
        }


@dataclass(frozen=True)
class UnmetWish:
    """A wish (or soft limit) the plan could not meet, by how much and why."""

    device: str
    kind: str  # "ev_energy", "comfort_low", "comfort_high", "battery_end_soc", "grid_import", ...
    requested: float
    achieved: float
    shortfall: float
    unit: str
    reason: str
    slots: tuple[int, int] | None = None
    """[first, last+1) slots concerned, when it is about a period."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "kind": self.kind,
            "requested": round(self.requested, 4),
            "achieved": round(self.achieved, 4),
            "shortfall": round(self.shortfall, 4),
            "unit": self.unit,
            "reason": self.reason,
            "slots": None if self.slots is None else list(self.slots),
        }


@dataclass(frozen=True)
class DevicePlan:
    """One device's power per slot (W, + consumes, - produces/feeds) and its state."""

    name: str
    kind: str  # "battery", "ev", "heat_pump", "pv"
    power_w: FloatArray
    state: FloatArray | None = None
    """Battery SOC (fraction) / heat-pump temperature (°C) at slot ends; EV energy so far."""
    state_unit: str | None = None
    curtailed_w: FloatArray | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "power_w": _list(self.power_w),
            "state": _list(self.state, 5),
            "state_unit": self.state_unit,
            "curtailed_w": _list(self.curtailed_w),
        }


@dataclass(frozen=True)
class BaselineSummary:
    """The plan without optimisation (see ``baseline.py``)."""

    cost: CostBreakdown
    meets_limits: bool
    meets_wishes: bool
    import_w: FloatArray
    export_w: FloatArray
    devices: tuple[DevicePlan, ...]


@dataclass(frozen=True)
class SolveFigures:
    build_s: float
    solve_s: float
    solves: int
    binaries: int
    mip_gap: float
    rung_values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """A plan always exists; ``status`` says how good it is.

    ``"optimal"`` (within the MIP gap), ``"time_limit"`` (best plan found in time),
    ``"baseline"`` (the solver found nothing in time: the baseline plan is returned).
    """

    status: str
    slot_start: tuple[datetime, ...]
    import_w: FloatArray
    export_w: FloatArray
    devices: tuple[DevicePlan, ...]
    cost: CostBreakdown
    baseline: BaselineSummary
    unmet: tuple[UnmetWish, ...]
    figures: SolveFigures
    slot_cost_eur: FloatArray | None = None
    """Grid cost per slot (import - export revenue), EUR."""
    month_peak_w: float | None = None
    """With a capacity tariff: the expected peak of the current month (W) after this plan,
    at least what the month reached so far and the tariff's minimum."""
    warm_start: Any = field(default=None, repr=False, compare=False)
    """What the next plan of the same household starts from (``replan.WarmStart``), passed
    back with ``plan(problem, previous=this_plan)``; not part of ``to_dict``."""

    @property
    def saving_eur(self) -> float:
        """What the plan saves against the baseline (total cost)."""
        return self.baseline.cost.total_eur - self.cost.total_eur

    def device(self, name: str) -> DevicePlan:
        for d in self.devices:
            if d.name == name:
                return d
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "slot_start": [t.isoformat() for t in self.slot_start],
            "import_w": _list(self.import_w),
            "export_w": _list(self.export_w),
            "devices": [d.to_dict() for d in self.devices],
            "cost": self.cost.to_dict(),
            "baseline": {
                "cost": self.baseline.cost.to_dict(),
                "meets_limits": self.baseline.meets_limits,
                "meets_wishes": self.baseline.meets_wishes,
            },
            "saving_eur": round(self.saving_eur, 6),
            "slot_cost_eur": _list(self.slot_cost_eur, 6),
            "month_peak_w": None if self.month_peak_w is None else round(self.month_peak_w, 3),
            "unmet": [u.to_dict() for u in self.unmet],
            "figures": {
                "build_s": round(self.figures.build_s, 6),
                "solve_s": round(self.figures.solve_s, 6),
                "solves": self.figures.solves,
                "binaries": self.figures.binaries,
                "mip_gap": self.figures.mip_gap,
                "rung_values": {k: round(v, 6) for k, v in self.figures.rung_values.items()},
            },
        }


def grid_cost(
    import_w: FloatArray, export_w: FloatArray, p_imp: FloatArray, p_exp: FloatArray, dt_h: float
) -> tuple[float, float]:
    """(import EUR, export revenue EUR)."""
    k = dt_h / 1000.0
    return float(np.dot(import_w, p_imp) * k), float(np.dot(export_w, p_exp) * k)


def slot_cost(
    import_w: FloatArray, export_w: FloatArray, p_imp: FloatArray, p_exp: FloatArray, dt_h: float
) -> FloatArray:
    """Grid cost per slot, EUR."""
    return np.asarray((import_w * p_imp - export_w * p_exp) * dt_h / 1000.0, dtype=np.float64)
