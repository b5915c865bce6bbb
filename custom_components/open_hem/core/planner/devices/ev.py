"""The EV charger: its spec (an energy wish by a deadline) and how it is planned.

S2: FRBC (fill level = energy delivered, fill-level target = the energy wish at the deadline)
or PEBC (power envelope = availability window x ``[min_w, max_w]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import numpy as np

from ..builder import Builder, IntArray
from ..device import (
    BalanceTerms,
    BaselineState,
    DeviceModel,
    DeviceResult,
    Disjunction,
    ModelContext,
    ReportContext,
    SemiContinuous,
    Split,
    check_efficiency,
    check_finite_nonneg,
)
from ..errors import InvalidProblemError
from ..plan import DevicePlan, UnmetWish
from ..problem import FloatArray, Horizon, Rung

_WH_TOL = 0.5  # Wh: below this an energy wish counts as met
_TOL = 1e-6


@dataclass(frozen=True)
class EVCharger:
    """An EV charger with the car plugged in from ``available_from_slot`` to the deadline.

    The wish is ``energy_wh`` delivered (AC) in ``[available_from_slot, deadline_slot)``,
    exactly (no more: the car's target is what the user asked for). Charging power is 0 or in
    ``[min_w, max_w]`` (the 6 A minimum: 1380 W on one phase, 4140 W on three). ``solar_only``
    limits charging to the forecast PV surplus over the base load in each slot (a static,
    linear bound: grid energy never goes into the car). ``v2g_max_w > 0`` lets the car feed
    the home/grid (AC power, ``v2g_efficiency`` from the car's energy), at most
    ``v2g_max_energy_wh`` below its arrival level and at most that much above its target.
    """

    name: str
    max_w: float
    energy_wh: float
    available_from_slot: int
    deadline_slot: int
    min_w: float = 0.0
    solar_only: bool = False
    v2g_max_w: float = 0.0
    v2g_efficiency: float = 0.9
    v2g_max_energy_wh: float = 0.0

    def __post_init__(self) -> None:
        owner = f"EVCharger {self.name!r}"
        check_finite_nonneg(
            owner,
            max_w=self.max_w,
            min_w=self.min_w,
            energy_wh=self.energy_wh,
            v2g_max_w=self.v2g_max_w,
            v2g_max_energy_wh=self.v2g_max_energy_wh,
        )
        if self.min_w > self.max_w:
            raise InvalidProblemError(f"{owner}: min_w must be <= max_w")
        check_efficiency(owner, v2g_efficiency=self.v2g_efficiency)
        if self.available_from_slot < 0 or self.deadline_slot < self.available_from_slot:
            raise InvalidProblemError(f"{owner}: need 0 <= available_from_slot <= deadline_slot")

    @classmethod
    def for_target_soc(
        cls,
        name: str,
        horizon: Horizon,
        *,
        battery_capacity_wh: float,
        soc_now: float,
        soc_target: float,
        deadline: datetime,
        plugged_in_from: datetime | None = None,
        max_w: float = 11040.0,
        min_w: float = 4140.0,
        charge_efficiency: float = 0.9,
        **kwargs: float | bool,
    ) -> EVCharger:
        """'80 % by 07:00': converts a SOC target into AC energy by a deadline."""
        energy = max(0.0, soc_target - soc_now) * battery_capacity_wh / charge_efficiency
        start = 0 if plugged_in_from is None else max(0, horizon.slot_of(plugged_in_from))
        end = horizon.slot_boundary_at_or_before(deadline)
        return cls(
            name,
            max_w=max_w,
            min_w=min_w,
            energy_wh=energy,
            available_from_slot=min(start, end),
            deadline_slot=end,
            **kwargs,  # type: ignore[arg-type]
        )

    def window(self, n: int) -> tuple[int, int]:
        """The availability window clipped to the horizon."""
        return min(self.available_from_slot, n), min(self.deadline_slot, n)

    def check_horizon(self, n: int) -> None:
        """The window may extend past the horizon; it is clipped (and the wish may go unmet)."""


class EVModel(DeviceModel[EVCharger]):
    """Charge power per slot (V2G: a discharge column and the car's energy as states) and
    a shortfall slack on the energy wish."""

    kind: ClassVar[str] = "ev"
    spec_type = EVCharger
    problem_field = "evs"
    column_rank = 2
    baseline_rank = 1  # after the thermostat loads: solar-only charging sees their load

    charge: IntArray
    discharge: IntArray | None  # V2G
    short: IntArray  # 1 column, Wh
    ub: FloatArray  # per-slot upper bound used (solar-only, window)
    _disjunctions: tuple[Disjunction, ...]

    def build(self, b: Builder, ctx: ModelContext) -> BalanceTerms:
        ev, n, dt = self.spec, ctx.n, ctx.dt_h
        s, t_end = ev.window(n)
        window = np.zeros(n)
        window[s:t_end] = 1.0
        ub = ev.max_w * window
        if ev.solar_only:
            ub = np.minimum(ub, ctx.surplus_w)
        if ev.min_w > 0:
            ub = np.where(ub >= ev.min_w, ub, 0.0)  # below the minimum it can only be off
        pc = b.cols(n, 0.0, ub)
        short = b.cols(1, 0.0, ev.energy_wh)
        b.objective(Rung.WISHES, short, 1.0 / 1000.0)
        q = None
        if ev.v2g_max_w > 0 and t_end > s:
            q = b.cols(n, 0.0, ev.v2g_max_w * window)
            # energy in the car relative to arrival: may dip to -v2g_max_energy_wh, end at target
            kst = b.cols(
                n + 1,
                np.r_[0.0, np.full(n, -ev.v2g_max_energy_wh)],
                # it may hold up to what it may give back above the target before it leaves
                np.r_[0.0, np.full(n, ev.energy_wh + ev.v2g_max_energy_wh)],
            )
            b.rows([kst[1:], kst[:-1], pc, q], [1.0, -1.0, -dt, dt / ev.v2g_efficiency], 0.0, 0.0)
            b.row(np.array([kst[n], short[0]]), np.array([1.0, 1.0]), ev.energy_wh, ev.energy_wh)
        else:
            w = np.arange(s, t_end)
            b.row(np.r_[pc[w], short], np.r_[np.full(len(w), dt), 1.0], ev.energy_wh, ev.energy_wh)
        self.charge, self.discharge, self.short, self.ub = pc, q, short, ub
        plugged = np.flatnonzero(ub > 0).astype(np.int64)
        found: list[Disjunction] = []
        if q is not None:
            found.append(Split(pc, q, ub, np.full(n, ev.v2g_max_w), candidates=plugged))
        if ev.min_w > 0:
            found.append(SemiContinuous(pc, ev.min_w, candidates=plugged))
        self._disjunctions = tuple(found)
        terms: BalanceTerms = [(pc, -1.0)]
        if q is not None:
            terms.append((q, 1.0))
        return terms

    def disjunctions(self) -> Sequence[Disjunction]:
        return self._disjunctions

    def report(self, x: FloatArray, ctx: ReportContext) -> DeviceResult:
        ev, n, dt = self.spec, ctx.n, ctx.dt_h
        power = x[self.charge] - (0.0 if self.discharge is None else x[self.discharge])
        plan = DevicePlan(ev.name, self.kind, power, np.cumsum(power) * dt, "Wh")
        short = float(x[self.short[0]])
        if short <= _WH_TOL:
            return DeviceResult(plan)
        reachable = float(self.ub.sum()) * dt
        s, e = ev.window(n)
        if reachable < ev.energy_wh - _WH_TOL:
            why = (
                f"not enough PV surplus while plugged in (at most {reachable / 1000:.2f} kWh)"
                if ev.solar_only
                else "car not available long enough at max power "
                f"(at most {reachable / 1000:.2f} kWh in the window)"
            )
        elif ctx.grid_first and ctx.at_import_limit[s:e].any():
            why = "grid limit"
        else:
            why = "a higher rung of the priority ladder"
        wish = UnmetWish(
            ev.name, "ev_energy", ev.energy_wh, ev.energy_wh - short, short, "Wh", why, (s, e)
        )
        return DeviceResult(plan, (wish,))

    def baseline(self, sim: BaselineState) -> DeviceResult:
        """Full power from plug-in until the energy is delivered (solar-only: the surplus)."""
        ev, dt = self.spec, sim.dt_h
        w0, w1 = ev.window(sim.n)
        pv, load = sim.production_w, sim.load_w
        power = np.zeros(sim.n)
        left = ev.energy_wh
        for t in range(w0, w1):
            cap_w = ev.max_w if not ev.solar_only else min(ev.max_w, max(0.0, pv[t] - load[t]))
            if cap_w < ev.min_w or left <= _TOL:
                continue
            pw = min(cap_w, left / dt)
            pw = max(pw, ev.min_w)  # may overshoot the target by less than one slot at min_w
            power[t] = pw
            left -= pw * dt
        sim.add(power)
        plan = DevicePlan(ev.name, self.kind, power, np.cumsum(power) * dt, "Wh")
        return DeviceResult(plan, wishes_met=abs(left) <= 1e-3)
