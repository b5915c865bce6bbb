"""The heat pump (with the house or hot-water buffer it heats): its spec and how it is planned.

S2: FRBC (fill level = indoor or buffer temperature, leakage = heat loss) or OMBC (on/off
operation modes, with minimum run and pause times as transition timers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
import math
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from ..builder import Builder, IntArray
from ..device import (
    TOL_W,
    BalanceTerms,
    BaselineState,
    DeviceModel,
    DeviceResult,
    Disjunction,
    ModelContext,
    ReportContext,
    SemiContinuous,
    check_finite_nonneg,
    runs,
)
from ..errors import InvalidProblemError
from ..plan import DevicePlan, UnmetWish
from ..problem import FloatArray, Horizon, Rung, SlotValues, as_array

_INF = math.inf
_K_TOL = 1e-3  # K: below this a comfort slack counts as met
_TOL = 1e-6
MIP_PRESOLVE = "off"
"""HiGHS's ``presolve`` for a mixed-integer solve with heat-pump binaries. Off: presolve
rewrites the house's temperature chain, and the cuts and restarts on the presolved model close
the 0.5 % root gap slowly; without it 192 slots take 1.3-2.2 s instead of 3.3-5.3 s (on/off)
and 0.5 s instead of 1.5 s (minimum power only)."""
FLOOR_CUT_SLOTS = 4
"""Longest window (slots) of the on/off heat pump's comfort-floor cuts (see _floor_cuts)."""
FLOOR_CUT_EPS = 1e-5
"""K of room each floor cut leaves: where a cut is exactly tight at full power (a house that
cannot reach its floor) HiGHS's MIP otherwise declared a feasible model infeasible."""


@dataclass(frozen=True)
class ThermalHouse:
    """One-node house model: ``C dT/dt = COP*P_el - UA*(T - T_out) + gains``.

    ``comfort_low_c``/``comfort_high_c`` are per-slot bounds on the temperature at the end of
    each slot (see :func:`comfort_band` for a time-of-day schedule).
    """

    ua_w_per_k: float
    capacity_wh_per_k: float
    t_initial_c: float
    comfort_low_c: SlotValues
    comfort_high_c: SlotValues
    gains_w: SlotValues = 0.0

    def __post_init__(self) -> None:
        check_finite_nonneg("ThermalHouse", ua_w_per_k=self.ua_w_per_k)
        if not self.capacity_wh_per_k > 0 or not math.isfinite(self.capacity_wh_per_k):
            raise InvalidProblemError("ThermalHouse: capacity_wh_per_k must be > 0")
        if not math.isfinite(self.t_initial_c):
            raise InvalidProblemError("ThermalHouse: t_initial_c must be finite")


@dataclass(frozen=True)
class HotWaterBuffer:
    """A hot-water tank: stored heat as its temperature, losses to ``ambient_c``, a draw-off
    profile ``draw_w`` (heat taken out per slot). Same structure as the house."""

    volume_l: float
    t_initial_c: float
    t_min_c: SlotValues
    t_max_c: SlotValues
    loss_w_per_k: float = 2.0
    ambient_c: float = 18.0
    draw_w: SlotValues = 0.0

    def __post_init__(self) -> None:
        check_finite_nonneg("HotWaterBuffer", loss_w_per_k=self.loss_w_per_k)
        if not self.volume_l > 0 or not math.isfinite(self.volume_l):
            raise InvalidProblemError("HotWaterBuffer: volume_l must be > 0")

    @property
    def capacity_wh_per_k(self) -> float:
        return self.volume_l * 4186.0 / 3600.0  # water: 4186 J/(kg K), 1 kg per litre


@dataclass(frozen=True)
class HeatPump:
    """A heat pump heating a house or a hot-water buffer.

    COP is linear in the outdoor temperature, ``cop_at_7c + cop_slope_per_k*(T_out - 7)``,
    clipped to ``[1, cop_max]``. No heating above ``cutoff_outdoor_c``. Electrical power is
    0 or in ``[min_w, max_w]``; ``min_run_slots``/``min_pause_slots`` > 1 make it an on/off
    unit with binaries (only in slots where heating is allowed).
    """

    name: str
    max_w: float
    thermal: ThermalHouse | HotWaterBuffer
    min_w: float = 0.0
    cop_at_7c: float = 3.5
    cop_slope_per_k: float = 0.08
    cop_max: float = 6.0
    cutoff_outdoor_c: float | None = 20.0
    min_run_slots: int = 1
    min_pause_slots: int = 1
    initially_on: bool = False

    def __post_init__(self) -> None:
        owner = f"HeatPump {self.name!r}"
        check_finite_nonneg(owner, max_w=self.max_w, min_w=self.min_w)
        if self.min_w > self.max_w:
            raise InvalidProblemError(f"{owner}: min_w must be <= max_w")
        if not 1 <= self.cop_at_7c <= self.cop_max:
            raise InvalidProblemError(f"{owner}: need 1 <= cop_at_7c <= cop_max")
        if self.min_run_slots < 1 or self.min_pause_slots < 1:
            raise InvalidProblemError(f"{owner}: min_run_slots and min_pause_slots must be >= 1")

    @property
    def on_off(self) -> bool:
        """Whether it needs on/off binaries (min run or pause times)."""
        return self.min_run_slots > 1 or self.min_pause_slots > 1

    def cop(self, outdoor_c: FloatArray) -> FloatArray:
        raw = self.cop_at_7c + self.cop_slope_per_k * (outdoor_c - 7.0)
        return np.clip(raw, 1.0, self.cop_max)

    def allowed(self, outdoor_c: FloatArray) -> FloatArray:
        """1.0 where heating is allowed, else 0.0."""
        if self.cutoff_outdoor_c is None:
            return np.ones_like(outdoor_c)
        return (outdoor_c <= self.cutoff_outdoor_c).astype(np.float64)

    def thermal_arrays(
        self, n: int, outdoor_c: FloatArray
    ) -> tuple[float, float, FloatArray, FloatArray, FloatArray, FloatArray]:
        """(capacity Wh/K, UA W/K, ambient °C, gains W, low °C, high °C) per slot."""
        th = self.thermal
        if isinstance(th, ThermalHouse):
            return (
                th.capacity_wh_per_k,
                th.ua_w_per_k,
                outdoor_c,
                as_array("gains_w", th.gains_w, n),
                as_array("comfort_low_c", th.comfort_low_c, n, allow_inf=True),
                as_array("comfort_high_c", th.comfort_high_c, n, allow_inf=True),
            )
        return (
            th.capacity_wh_per_k,
            th.loss_w_per_k,
            np.full(n, th.ambient_c),
            -as_array("draw_w", th.draw_w, n),
            as_array("t_min_c", th.t_min_c, n, allow_inf=True),
            as_array("t_max_c", th.t_max_c, n, allow_inf=True),
        )

    def check_horizon(self, n: int) -> None:
        _, _, _, _, low, high = self.thermal_arrays(n, np.zeros(n))
        if (low > high).any():
            raise InvalidProblemError(f"HeatPump {self.name!r}: comfort low above high")


@dataclass(frozen=True)
class ComfortPeriod:
    """From ``start`` (local time of day) on, keep the temperature in ``[low_c, high_c]``."""

    start: time
    low_c: float
    high_c: float


def comfort_band(horizon: Horizon, periods: list[ComfortPeriod]) -> tuple[FloatArray, FloatArray]:
    """Per-slot (low, high) from a daily schedule, using each slot's local end time."""
    if not periods:
        raise InvalidProblemError("comfort_band needs at least one period")
    ordered = sorted(periods, key=lambda p: p.start)
    n = horizon.slots
    low = np.empty(n)
    high = np.empty(n)
    step = horizon.step_minutes
    for i, t in enumerate(horizon.times_local()):
        end_min = (t.hour * 60 + t.minute + step) % 1440
        current = ordered[-1]
        for p in ordered:
            if p.start.hour * 60 + p.start.minute <= end_min:
                current = p
        low[i], high[i] = current.low_c, current.high_c
    return low, high


def thermal_coefficients(ua: float, cap: float, dt: float) -> tuple[float, float]:
    """(a, gain) of ``T[t+1] = a*T[t] + gain*(COP*P + UA*T_amb + gains)``: exact for
    piecewise-constant inputs, so there is no stability limit on dt."""
    if ua > 0:
        a = math.exp(-ua * dt / cap)
        return a, (1.0 - a) / ua
    return 1.0, dt / cap


def sigma_delta(power: FloatArray, min_w: float, ub: FloatArray) -> NDArray[np.bool_]:
    """Slots to run in so that relaxed ``power`` (which may lie below ``min_w``) is followed
    in energy: switch on when the energy owed reaches half a slot at the minimum power, and
    carry what running at (at least) the minimum delivers too much or too little."""
    on = np.zeros(len(power), dtype=bool)
    owed = 0.0
    half = max(min_w / 2, TOL_W)
    for t, v in enumerate(power.tolist()):
        owed += v
        if ub[t] > 0 and owed >= half:
            on[t] = True
            owed -= min(max(min_w, v), float(ub[t]))
        owed = max(owed, -min_w)  # do not let an early surplus suppress later demand
    return on


def run_pause(
    on: NDArray[np.bool_], allowed: NDArray[np.bool_], run: int, pause: int, initially_on: bool
) -> NDArray[np.bool_]:
    """A greedy on/off pattern near ``on`` that keeps minimum run and pause times: runs are
    stretched to ``run`` slots, gaps shorter than ``pause`` are filled (both where heating
    is allowed, else the offending start is dropped)."""
    out = on & allowed
    n = len(out)
    prev = initially_on
    for i in range(n):
        if out[i] and not prev:  # a start: keep it on for ``run`` slots
            end = min(n, i + run)
            if allowed[i:end].all():
                out[i:end] = True
            else:
                out[i] = False
        elif not out[i] and prev:  # a stop: stay off for ``pause`` slots, or bridge the gap
            end = min(n, i + pause)
            nxt = np.flatnonzero(out[i:end])
            if nxt.size:
                j = i + int(nxt[0])
                if allowed[i:j].all():
                    out[i:j] = True
                else:
                    out[i:end] = False
        prev = bool(out[i])
    return out


class HeatPumpModel(DeviceModel[HeatPump]):
    """Electrical power, the temperature as n+1 states (exact discretisation), comfort
    slacks below and above the band; an on/off unit adds on/start/stop columns (integer),
    run and pause rows and comfort-floor cuts."""

    kind: ClassVar[str] = "heat_pump"
    spec_type = HeatPump
    problem_field = "heat_pumps"
    column_rank = 3
    baseline_rank = 0  # a thermostat load: first, the loads after it see its power

    power: IntArray
    temp: IntArray  # n+1 states
    below: IntArray  # comfort slack below the band, K
    above: IntArray
    on: IntArray | None  # binaries (on/off units), only when min run/pause apply
    ub: FloatArray
    _disjunctions: tuple[Disjunction, ...]

    def build(self, b: Builder, ctx: ModelContext) -> BalanceTerms:
        hp, n, dt, out = self.spec, ctx.n, ctx.dt_h, ctx.outdoor_c
        cap, ua, amb, gains, low, high = hp.thermal_arrays(n, out)
        ub = hp.max_w * hp.allowed(out)
        power = b.cols(n, 0.0, ub)
        t0 = hp.thermal.t_initial_c
        temp = b.cols(n + 1, np.r_[t0, np.full(n, -_INF)], np.r_[t0, np.full(n, _INF)])
        a, gain = thermal_coefficients(ua, cap, dt)
        cop = hp.cop(out)
        b.rows(
            [temp[1:], temp[:-1], power],
            [1.0, -a, -gain * cop],
            gain * (ua * amb + gains),
            gain * (ua * amb + gains),
        )
        below = b.cols(n, 0.0, _INF)
        above = b.cols(n, 0.0, _INF)
        b.rows([temp[1:], below], [1.0, 1.0], np.where(np.isfinite(low), low, -_INF), _INF)
        b.rows([temp[1:], above], [1.0, -1.0], -_INF, np.where(np.isfinite(high), high, _INF))
        b.objective(Rung.WISHES, below, dt)
        b.objective(Rung.WISHES, above, dt)
        on = None
        if hp.on_off:
            on = b.cols(n, 0.0, np.minimum(1.0, hp.allowed(out)))
            b.rows([power, on], [1.0, -ub], -_INF, 0.0)
            b.rows([power, on], [1.0, -hp.min_w], 0.0, _INF)
            init = 1.0 if hp.initially_on else 0.0
            prev_on = np.r_[-1, on[:-1]]
            start = b.cols(n, 0.0, 1.0)
            stop = b.cols(n, 0.0, 1.0)
            # start >= on[t] - on[t-1]; stop >= on[t-1] - on[t] (on[-1] is the initial state)
            b.rows([start[1:], on[1:], prev_on[1:]], [1.0, -1.0, 1.0], 0.0, _INF)
            b.row(np.array([start[0], on[0]]), np.array([1.0, -1.0]), -init, _INF)
            b.rows([stop[1:], on[1:], prev_on[1:]], [1.0, 1.0, -1.0], 0.0, _INF)
            b.row(np.array([stop[0], on[0]]), np.array([1.0, 1.0]), init, _INF)
            for t in range(n):
                if hp.min_run_slots > 1:
                    k = np.arange(max(0, t - hp.min_run_slots + 1), t + 1)
                    b.row(np.r_[start[k], on[t]], np.r_[np.ones(len(k)), -1.0], -_INF, 0.0)
                if hp.min_pause_slots > 1:
                    k = np.arange(max(0, t - hp.min_pause_slots + 1), t + 1)
                    b.row(np.r_[stop[k], on[t]], np.ones(len(k) + 1), -_INF, 1.0)
            _floor_cuts(
                b,
                power,
                temp,
                below,
                on,
                a=a,
                heat=gain * cop * ub,
                drift=gain * (ua * amb + gains),
                low=low,
                t0=t0,
                ub=ub,
            )
        self.power, self.temp, self.below, self.above, self.on, self.ub = (
            power,
            temp,
            below,
            above,
            on,
            ub,
        )
        found: list[Disjunction] = []
        if hp.min_w > 0 and on is None:
            found.append(
                SemiContinuous(
                    power,
                    hp.min_w,
                    candidates=np.flatnonzero(ub > 0).astype(np.int64),
                    # In a slow house few slots break the minimum: binaries only there make
                    # a much smaller MIP (all four devices at 192 slots: 29 instead of 192
                    # heat-pump binaries, 1.5 s instead of ~3 s).
                    grow=False,
                    # follow the relaxed heat in energy, not slot by slot
                    prefer_on=lambda v, upper: sigma_delta(v, hp.min_w, upper),
                    mip_presolve=MIP_PRESOLVE,
                )
            )
        self._disjunctions = tuple(found)
        return [(power, -1.0)]

    def integer_cols(self) -> list[IntArray]:
        return [] if self.on is None else [self.on]

    def mip_presolve(self) -> str | None:
        return MIP_PRESOLVE

    def disjunctions(self) -> Sequence[Disjunction]:
        return self._disjunctions

    def start_pattern(self, x: FloatArray) -> tuple[IntArray, FloatArray] | None:
        """A greedy on/off pattern that keeps run and pause times, near the relaxed power."""
        if self.on is None:
            return None
        hp = self.spec
        want = sigma_delta(x[self.power], hp.min_w, self.ub)
        pattern = run_pause(
            want, self.ub > 0, hp.min_run_slots, hp.min_pause_slots, hp.initially_on
        )
        return self.on, pattern.astype(np.float64)

    def warm_pattern(
        self, x: FloatArray, previous: Sequence[FloatArray]
    ) -> tuple[IntArray, FloatArray] | None:
        """The previous plan's on/off pattern where it has one, the relaxation's after it,
        made to keep run and pause times."""
        if self.on is None:
            return None
        hp = self.spec
        want = sigma_delta(x[self.power], hp.min_w, self.ub)
        known = ~np.isnan(previous[0])
        want[known] = previous[0][known] > 0.5
        pattern = run_pause(
            want, self.ub > 0, hp.min_run_slots, hp.min_pause_slots, hp.initially_on
        )
        return self.on, pattern.astype(np.float64)

    def report(self, x: FloatArray, ctx: ReportContext) -> DeviceResult:
        hp, n, dt, out = self.spec, ctx.n, ctx.dt_h, ctx.outdoor_c
        power = x[self.power]
        temp = x[self.temp[1:]]
        plan = DevicePlan(hp.name, self.kind, power, temp, "degC")
        below, above = x[self.below], x[self.above]
        _, _, _, _, low, high = hp.thermal_arrays(n, out)
        allowed = hp.allowed(out)
        unmet: list[UnmetWish] = []
        for a, b in runs(below > _K_TOL):
            lead = slice(max(0, a - 8), b)  # heating in the slots just before counts too
            if (allowed[lead] == 0).any():
                why = "heating not allowed (outdoor temperature above the cut-off)"
            elif ctx.grid_first and ctx.at_import_limit[lead].any():
                why = "grid limit"
            elif (power[lead] >= self.ub[lead] - 1.0).all():
                why = "max heat power too low"
            else:
                why = "a higher rung of the priority ladder or the start temperature"
            unmet.append(
                UnmetWish(
                    hp.name,
                    "comfort_low",
                    float(low[a:b].max()),
                    float(temp[a:b].min()),
                    float(below[a:b].sum()) * dt,
                    "K*h",
                    f"outside comfort band at {ctx.span(a, b)} because {why}",
                    (a, b),
                )
            )
        for a, b in runs(above > _K_TOL):
            unmet.append(
                UnmetWish(
                    hp.name,
                    "comfort_high",
                    float(high[a:b].min()),
                    float(temp[a:b].max()),
                    float(above[a:b].sum()) * dt,
                    "K*h",
                    f"above comfort band at {ctx.span(a, b)} because of gains or the start "
                    "temperature (the heat pump cannot cool)",
                    (a, b),
                )
            )
        return DeviceResult(plan, tuple(unmet))

    def baseline(self, sim: BaselineState) -> DeviceResult:
        """A thermostat at the lower edge of the comfort band: modulating, at least ``min_w``
        when on, never above the outdoor cut-off."""
        hp, n, dt, out = self.spec, sim.n, sim.dt_h, sim.outdoor_c
        cap, ua, amb, gains, low, high = hp.thermal_arrays(n, out)
        a, gain = thermal_coefficients(ua, cap, dt)
        cop = hp.cop(out)
        allowed = hp.allowed(out)
        temp = np.empty(n + 1)
        temp[0] = hp.thermal.t_initial_c
        power = np.zeros(n)
        for t in range(n):
            free = a * temp[t] + gain * (ua * amb[t] + gains[t])
            need = (low[t] - free) / (gain * cop[t]) if math.isfinite(low[t]) else 0.0
            pw = 0.0
            if need > 0 and allowed[t] > 0:
                pw = min(hp.max_w, max(hp.min_w, need))
            power[t] = pw
            temp[t + 1] = free + gain * cop[t] * pw
        met = bool(np.all(temp[1:] >= low - _TOL) and np.all(temp[1:] <= high + _TOL))
        sim.add(power)
        plan = DevicePlan(hp.name, self.kind, power, temp[1:], "degC")
        return DeviceResult(plan, wishes_met=met)


def _floor_cuts(
    b: Builder,
    power: IntArray,
    temp: IntArray,
    below: IntArray,
    on: IntArray,
    *,
    a: float,
    heat: FloatArray,
    drift: FloatArray,
    low: FloatArray,
    t0: float,
    ub: FloatArray,
) -> None:
    """Valid inequalities from the house dynamics (lot-sizing (l, S) cuts) for an on/off unit.

    With ``T[t+1] = a*T[t] + heat[t]*P[t] + drift[t]`` and the (soft) floor ``T[s] + bs[s] >=
    F[s]`` at each state s >= 1, for a window of slots ``[i, j)``::

        sum_t a^(j-1-t) heat[t] P[t] <= sum_t N+(t, j) u[t] + (T[j] - F[j] + bs[j])
                                        + sum_{t >= max(i, 1)} a^(j-t) bs[t]

    where ``N(t, j) = F[j] - a^(j-t) F[t] - sum_{s=t}^{j-1} a^(j-1-s) drift[s]`` is the heat
    the house needs from ``t`` to ``j`` when it starts at its floor (``F[0]`` = the initial
    temperature, no slack). Valid: if no slot of the window is on, the left side is 0; else
    with ``k`` the first slot on, the heat from ``k`` on is ``T[j] - a^(j-k) T[k] - drift``,
    and ``T[k] >= F[k] - bs[k]``. The relaxation lacks it where it holds the house at its
    floor with less than the minimum power (``u = P/P_max``): the cut then needs ``u = 1``.
    """
    n = len(power)
    floor = np.r_[t0, low]  # per state; state 0 is fixed
    ok = np.isfinite(floor)
    bs = np.r_[-1, below]  # slack per state (none at state 0)
    for j in range(1, n + 1):
        if not ok[j]:
            continue
        for length in range(1, FLOOR_CUT_SLOTS + 1):
            i = j - length
            if i < 0 or not ok[i : j + 1].all():
                break
            ts = np.arange(i, j)
            disc = a ** (j - 1 - ts)
            # drift from t to j: sum_{s=t}^{j-1} a^(j-1-s) drift[s], per t
            dsum = np.cumsum((disc * drift[ts])[::-1])[::-1]
            need = floor[j] - a ** (j - ts) * floor[ts] - dsum
            w = disc * heat[ts]  # per unit of u (power scaled by its upper bound)
            # at most what full power from t on delivers by j
            need = np.minimum(np.maximum(need, 0.0), np.cumsum(w[::-1])[::-1])
            keep = w > 0
            cols = [power[ts[keep]], on[ts], temp[j : j + 1], below[j - 1 : j]]
            vals = [w[keep] / ub[ts[keep]], -need, np.array([-1.0]), np.array([-1.0])]
            sl = ts[ts >= 1]
            if len(sl):
                cols.append(bs[sl])
                vals.append(-(a ** (j - sl)))
            b.row(np.concatenate(cols), np.concatenate(vals), -_INF, FLOOR_CUT_EPS - floor[j])
