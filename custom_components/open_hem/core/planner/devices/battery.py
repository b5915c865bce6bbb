"""The home battery: its spec and how it is planned.

S2: an FRBC storage whose fill level is the stored energy, with two operation modes (charge,
discharge) of power ranges ``[0, max_charge_w]`` / ``[0, max_discharge_w]`` and fill rates
``eta_c*P`` / ``-P/eta_d``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math
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
    Split,
    check_efficiency,
    check_finite_nonneg,
)
from ..errors import InvalidProblemError
from ..plan import DevicePlan, UnmetWish
from ..problem import FloatArray, Rung

_INF = math.inf
_WH_TOL = 0.5  # Wh: below this an energy wish counts as met


@dataclass(frozen=True)
class Battery:
    """A home battery, AC-coupled: power limits are AC-side, SOC as a fraction of capacity.

    ``soc[t+1] = soc[t] + (eta_c*charge - discharge/eta_d) * dt / capacity``; never charges and
    discharges in the same slot. The end of the horizon is either a wish ``soc_final`` (on the
    WISHES rung) or valued at ``stored_energy_value_eur_per_kwh`` (or both).
    """

    name: str
    capacity_wh: float
    max_charge_w: float
    max_discharge_w: float
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_min: float = 0.1
    soc_max: float = 1.0
    soc_initial: float = 0.5
    soc_final: float | None = None
    stored_energy_value_eur_per_kwh: float = 0.0
    wear_cost_eur_per_kwh: float = 0.0
    """Cost per kWh discharged (AC), a simple cycle-wear model."""

    def __post_init__(self) -> None:
        owner = f"Battery {self.name!r}"
        check_finite_nonneg(
            owner,
            capacity_wh=self.capacity_wh,
            max_charge_w=self.max_charge_w,
            max_discharge_w=self.max_discharge_w,
            wear_cost_eur_per_kwh=self.wear_cost_eur_per_kwh,
        )
        if self.capacity_wh <= 0:
            raise InvalidProblemError(f"{owner}: capacity_wh must be > 0")
        check_efficiency(
            owner,
            charge_efficiency=self.charge_efficiency,
            discharge_efficiency=self.discharge_efficiency,
        )
        if not 0 <= self.soc_min <= self.soc_max <= 1:
            raise InvalidProblemError(f"{owner}: need 0 <= soc_min <= soc_max <= 1")
        if not 0 <= self.soc_initial <= 1:
            raise InvalidProblemError(f"{owner}: soc_initial must be in [0, 1]")
        if self.soc_final is not None and not 0 <= self.soc_final <= 1:
            raise InvalidProblemError(f"{owner}: soc_final must be in [0, 1]")
        if not math.isfinite(self.stored_energy_value_eur_per_kwh):
            raise InvalidProblemError(f"{owner}: stored_energy_value_eur_per_kwh must be finite")

    def check_horizon(self, n: int) -> None:
        """Batteries hold no per-slot data."""


class BatteryModel(DeviceModel[Battery]):
    """Charge and discharge columns, the stored energy as n+1 states, an end-SOC slack."""

    kind: ClassVar[str] = "battery"
    spec_type = Battery
    problem_field = "batteries"
    column_rank = 1
    baseline_rank = 2  # after every load: it stores what is left of the PV

    charge: IntArray
    discharge: IntArray
    energy: IntArray  # n+1 states, Wh
    end_short: IntArray  # 1 column, Wh below soc_final
    _split: Split

    def build(self, b: Builder, ctx: ModelContext) -> BalanceTerms:
        bat, n, dt = self.spec, ctx.n, ctx.dt_h
        cap = bat.capacity_wh
        c = b.cols(n, 0.0, bat.max_charge_w)
        d = b.cols(n, 0.0, bat.max_discharge_w)
        e0 = bat.soc_initial * cap
        steps = np.arange(1, n + 1) * dt
        # bounds it can reach from e0: a start outside [soc_min, soc_max] moves towards it
        lo = np.minimum(bat.soc_min * cap, e0 + steps * bat.max_charge_w * bat.charge_efficiency)
        hi = np.maximum(
            bat.soc_max * cap, e0 - steps * bat.max_discharge_w / bat.discharge_efficiency
        )
        e = b.cols(n + 1, np.r_[e0, lo], np.r_[e0, hi])
        b.rows(
            [e[1:], e[:-1], c, d],
            [1.0, -1.0, -bat.charge_efficiency * dt, dt / bat.discharge_efficiency],
            0.0,
            0.0,
        )
        short = b.cols(1, 0.0, _INF)
        if bat.soc_final is not None:
            b.row(np.array([e[n], short[0]]), np.array([1.0, 1.0]), bat.soc_final * cap, _INF)
        b.objective(Rung.WISHES, short, 1.0 / 1000.0)
        if bat.wear_cost_eur_per_kwh:
            b.objective(Rung.COST, d, bat.wear_cost_eur_per_kwh * ctx.kwh_per_w)
        if bat.stored_energy_value_eur_per_kwh:
            b.objective(Rung.COST, e[n : n + 1], -bat.stored_energy_value_eur_per_kwh / 1000.0)
        self.charge, self.discharge, self.energy, self.end_short = c, d, e, short
        self._split = Split(
            c,
            d,
            np.full(n, bat.max_charge_w),
            np.full(n, bat.max_discharge_w),
            candidates=np.arange(n, dtype=np.int64),
        )
        return [(c, -1.0), (d, 1.0)]

    def disjunctions(self) -> Sequence[Disjunction]:
        return (self._split,)

    def report(self, x: FloatArray, ctx: ReportContext) -> DeviceResult:
        bat = self.spec
        c, d = x[self.charge], x[self.discharge]
        soc = x[self.energy[1:]] / bat.capacity_wh
        wear = float(d.sum()) * ctx.dt_h / 1000 * bat.wear_cost_eur_per_kwh
        stored = float(soc[-1]) * bat.capacity_wh / 1000 * bat.stored_energy_value_eur_per_kwh
        unmet: tuple[UnmetWish, ...] = ()
        short = float(x[self.end_short[0]])
        if bat.soc_final is not None and short > _WH_TOL:
            why = (
                "grid limit"
                if ctx.grid_first and ctx.at_import_limit.any()
                else "charge power too low"
            )
            unmet = (
                UnmetWish(
                    bat.name,
                    "battery_end_soc",
                    bat.soc_final,
                    float(soc[-1]),
                    bat.soc_final - float(soc[-1]),
                    "fraction",
                    why,
                ),
            )
        plan = DevicePlan(bat.name, self.kind, c - d, soc, "fraction")
        return DeviceResult(plan, unmet, wear, stored)

    def baseline(self, sim: BaselineState) -> DeviceResult:
        """Stores PV surplus and discharges to cover the remaining load."""
        bat, n, dt = self.spec, sim.n, sim.dt_h
        net = sim.net_w()
        cap = bat.capacity_wh
        e = float(bat.soc_initial * cap)
        emin, emax = bat.soc_min * cap, bat.soc_max * cap
        power = np.zeros(n)
        soc = np.empty(n)
        for t in range(n):
            if net[t] < 0:
                room = max(0.0, emax - e) / (bat.charge_efficiency * dt)
                c = min(-net[t], bat.max_charge_w, room)
                e += c * bat.charge_efficiency * dt
                power[t] = c
            elif net[t] > 0:
                avail = max(0.0, e - emin) * bat.discharge_efficiency / dt
                d = min(net[t], bat.max_discharge_w, avail)
                e -= d / bat.discharge_efficiency * dt
                power[t] = -d
            soc[t] = e / cap
        met = bat.soc_final is None or bool(soc[-1] >= bat.soc_final - 1e-9)
        sim.add(power)
        wear = float(np.sum(np.maximum(-power, 0.0))) * dt / 1000 * bat.wear_cost_eur_per_kwh
        stored = float(soc[-1]) * bat.capacity_wh / 1000 * bat.stored_energy_value_eur_per_kwh
        plan = DevicePlan(bat.name, self.kind, power, soc, "fraction")
        return DeviceResult(plan, (), wear, stored, met)
