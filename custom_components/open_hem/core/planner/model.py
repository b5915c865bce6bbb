"""Arrays -> a HiGHS model, without a modelling layer.

Columns are allocated in blocks (one per device quantity), rows are collected as fixed-width
groups of (column, value) pairs and concatenated into one row-wise sparse matrix, which is
handed to HiGHS with a single ``passModel``. Binaries are never part of the base model: the
solve loop (``solve.py``) adds them only in the slots where a disjunction can bind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math

import highspy
import numpy as np
from numpy.typing import NDArray

from .devices import HeatPump
from .problem import FloatArray, Problem, Rung

type IntArray = NDArray[np.int64]

_INF = math.inf
FLOOR_CUT_SLOTS = 4
"""Longest window (slots) of the on/off heat pump's comfort-floor cuts (see _floor_cuts)."""
FLOOR_CUT_EPS = 1e-5
"""K of room each floor cut leaves: where a cut is exactly tight at full power (a house that
cannot reach its floor) HiGHS's MIP otherwise declared a feasible model infeasible."""


class _Builder:
    """Column blocks and row groups in numpy arrays."""

    def __init__(self) -> None:
        self.ncol = 0
        self._lb: list[FloatArray] = []
        self._ub: list[FloatArray] = []
        self._obj: dict[str, list[tuple[IntArray, FloatArray]]] = {}
        self._rows_cols: list[IntArray] = []
        self._rows_vals: list[FloatArray] = []
        self._rows_len: list[IntArray] = []
        self._rows_lo: list[FloatArray] = []
        self._rows_hi: list[FloatArray] = []
        self.nrow = 0

    def cols(self, n: int, lb: float | FloatArray, ub: float | FloatArray) -> IntArray:
        idx = np.arange(self.ncol, self.ncol + n, dtype=np.int64)
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=np.float64), (n,)))
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (n,)))
        self.ncol += n
        return idx

    def objective(self, key: str, idx: IntArray, coef: float | FloatArray) -> None:
        c = np.broadcast_to(np.asarray(coef, dtype=np.float64), idx.shape)
        self._obj.setdefault(key, []).append((idx, c))

    def rows(
        self,
        cols: list[IntArray],
        vals: list[float | FloatArray],
        lo: float | FloatArray,
        hi: float | FloatArray,
    ) -> IntArray:
        """Add ``m`` rows ``lo <= sum_k vals[k][i]*x[cols[k][i]] <= hi`` (all of length m)."""
        m = len(cols[0])
        c2 = np.stack(cols, axis=1)
        v2 = np.stack([np.broadcast_to(np.asarray(v, dtype=np.float64), (m,)) for v in vals], 1)
        self._rows_cols.append(c2.reshape(-1))
        self._rows_vals.append(v2.reshape(-1))
        self._rows_len.append(np.full(m, len(cols), dtype=np.int64))
        self._rows_lo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (m,)))
        self._rows_hi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (m,)))
        idx = np.arange(self.nrow, self.nrow + m, dtype=np.int64)
        self.nrow += m
        return idx

    def row(self, cols: IntArray, vals: FloatArray, lo: float, hi: float) -> int:
        self._rows_cols.append(np.asarray(cols, dtype=np.int64))
        self._rows_vals.append(np.asarray(vals, dtype=np.float64))
        self._rows_len.append(np.array([len(cols)], dtype=np.int64))
        self._rows_lo.append(np.array([lo]))
        self._rows_hi.append(np.array([hi]))
        self.nrow += 1
        return self.nrow - 1

    def finish(self) -> BaseModel:
        obj: dict[str, FloatArray] = {}
        for key, parts in self._obj.items():
            vec = np.zeros(self.ncol)
            for idx, c in parts:
                np.add.at(vec, idx, c)
            obj[key] = vec
        lens = np.concatenate(self._rows_len) if self._rows_len else np.zeros(0, np.int64)
        start = np.zeros(self.nrow + 1, dtype=np.int64)
        np.cumsum(lens, out=start[1:])
        return BaseModel(
            ncol=self.ncol,
            col_lower=np.concatenate(self._lb),
            col_upper=np.concatenate(self._ub),
            objectives=obj,
            row_start=start,
            row_index=np.concatenate(self._rows_cols),
            row_value=np.concatenate(self._rows_vals),
            row_lower=np.concatenate(self._rows_lo),
            row_upper=np.concatenate(self._rows_hi),
        )


@dataclass
class BaseModel:
    """The continuous model (no binaries) in row-wise sparse form."""

    ncol: int
    col_lower: FloatArray
    col_upper: FloatArray
    objectives: dict[str, FloatArray]
    row_start: IntArray
    row_index: IntArray
    row_value: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray

    def objective(self, key: str) -> FloatArray:
        return self.objectives.get(key, np.zeros(self.ncol))


@dataclass
class BatteryCols:
    charge: IntArray
    discharge: IntArray
    energy: IntArray  # n+1 states, Wh
    end_short: IntArray  # 1 column, Wh below soc_final


@dataclass
class EVCols:
    charge: IntArray
    discharge: IntArray | None  # V2G
    short: IntArray  # 1 column, Wh
    ub: FloatArray  # per-slot upper bound used (solar-only, window)
    on_off: bool  # off or at least min_w: needs a binary where the relaxation breaks it


@dataclass
class HeatPumpCols:
    power: IntArray
    temp: IntArray  # n+1 states
    below: IntArray  # comfort slack below the band, K
    above: IntArray
    on: IntArray | None  # binaries (on/off units), only when min run/pause apply
    ub: FloatArray


@dataclass
class Index:
    """Where each quantity lives among the columns (and the balance rows)."""

    n: int
    dt_h: float
    imp: IntArray
    exp: IntArray
    grid_slack_imp: IntArray
    grid_slack_imp_slots: IntArray
    grid_slack_exp: IntArray
    grid_slack_exp_slots: IntArray
    fuse_imp: FloatArray
    fuse_exp: FloatArray
    pv: list[IntArray]
    batteries: list[BatteryCols]
    evs: list[EVCols]
    heat_pumps: list[HeatPumpCols]
    integer_cols: list[IntArray] = field(default_factory=list)


def _heat_pump(b: _Builder, hp: HeatPump, p: Problem) -> HeatPumpCols:
    n, dt = p.n, p.horizon.dt_h
    out = p.outdoor
    cap, ua, amb, gains, low, high = hp.thermal_arrays(n, out)
    ub = hp.max_w * hp.allowed(out)
    power = b.cols(n, 0.0, ub)
    t0 = hp.thermal.t_initial_c
    temp = b.cols(n + 1, np.r_[t0, np.full(n, -_INF)], np.r_[t0, np.full(n, _INF)])
    # Exact discretisation for piecewise-constant inputs: no stability limit on dt.
    if ua > 0:
        a = math.exp(-ua * dt / cap)
        gain = (1.0 - a) / ua
    else:
        a, gain = 1.0, dt / cap
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
    return HeatPumpCols(power, temp, below, above, on, ub)


def _floor_cuts(
    b: _Builder,
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


def build(p: Problem) -> tuple[BaseModel, Index]:
    """Build the continuous base model and the column index for ``p``."""
    n, dt = p.n, p.horizon.dt_h
    k = dt / 1000.0  # W in one slot -> kWh
    b = _Builder()
    base = np.asarray(p.base_load_w)
    pv_total = np.zeros(n)
    pv_fixed = np.zeros(n)
    for inv in p.pv:
        pv_total += inv.forecast_w
        if not inv.curtailable:
            pv_fixed += inv.forecast_w
    lim_imp, lim_exp = p.grid.limits(n)
    # The fuse is hard, but it cannot be held below load the plan does not control.
    fuse_imp = np.maximum(p.grid.fuse_import_w, base - pv_total)
    fuse_exp = np.maximum(p.grid.fuse_export_w, pv_fixed - base)

    imp = b.cols(n, 0.0, fuse_imp)
    exp = b.cols(n, 0.0, fuse_exp)
    b.objective(Rung.COST, imp, np.asarray(p.import_price) * k)
    b.objective(Rung.COST, exp, -np.asarray(p.export_price) * k)
    b.objective(Rung.OWN_PRODUCTION, exp, k)
    if p.ladder.tie_break_seed is not None:
        rng = np.random.default_rng(p.ladder.tie_break_seed)
        b.objective("tie_break", imp, rng.random(n) * k)

    pv_cols = []
    for inv in p.pv:
        lo = 0.0 if inv.curtailable else inv.forecast_w
        u = b.cols(n, lo, inv.forecast_w)
        b.objective(Rung.OWN_PRODUCTION, u, -k)  # PV not used in the home: exported or curtailed
        pv_cols.append(u)

    bats = []
    for bat in p.batteries:
        cap = bat.capacity_wh
        c = b.cols(n, 0.0, bat.max_charge_w)
        d = b.cols(n, 0.0, bat.max_discharge_w)
        e0 = bat.soc_initial * cap
        steps = np.arange(1, n + 1) * dt
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
            b.objective(Rung.COST, d, bat.wear_cost_eur_per_kwh * k)
        if bat.stored_energy_value_eur_per_kwh:
            b.objective(Rung.COST, e[n : n + 1], -bat.stored_energy_value_eur_per_kwh / 1000.0)
        bats.append(BatteryCols(c, d, e, short))

    evs = []
    surplus = np.maximum(0.0, pv_total - base)
    for ev in p.evs:
        s, t_end = ev.window(n)
        window = np.zeros(n)
        window[s:t_end] = 1.0
        ub = ev.max_w * window
        if ev.solar_only:
            ub = np.minimum(ub, surplus)
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
        evs.append(EVCols(pc, q, short, ub, ev.min_w > 0))

    hps = [_heat_pump(b, hp, p) for hp in p.heat_pumps]

    # Energy balance per slot: import - export = base + consumption - production.
    cols: list[IntArray] = [imp, exp]
    vals: list[float | FloatArray] = [1.0, -1.0]
    for u in pv_cols:
        cols.append(u)
        vals.append(1.0)
    for bc in bats:
        cols += [bc.charge, bc.discharge]
        vals += [-1.0, 1.0]
    for ec in evs:
        cols.append(ec.charge)
        vals.append(-1.0)
        if ec.discharge is not None:
            cols.append(ec.discharge)
            vals.append(1.0)
    for hc in hps:
        cols.append(hc.power)
        vals.append(-1.0)
    b.rows(cols, vals, base, base)

    # Soft grid limits (GRID rung), only where they lie below the hard fuse.
    si_slots = np.flatnonzero(lim_imp < fuse_imp)
    se_slots = np.flatnonzero(lim_exp < fuse_exp)
    si = b.cols(len(si_slots), 0.0, _INF)
    se = b.cols(len(se_slots), 0.0, _INF)
    if len(si_slots):
        b.rows([imp[si_slots], si], [1.0, -1.0], -_INF, lim_imp[si_slots])
        b.objective(Rung.GRID, si, k)
    if len(se_slots):
        b.rows([exp[se_slots], se], [1.0, -1.0], -_INF, lim_exp[se_slots])
        b.objective(Rung.GRID, se, k)

    index = Index(
        n=n,
        dt_h=dt,
        imp=imp,
        exp=exp,
        grid_slack_imp=si,
        grid_slack_imp_slots=si_slots,
        grid_slack_exp=se,
        grid_slack_exp_slots=se_slots,
        fuse_imp=fuse_imp,
        fuse_exp=fuse_exp,
        pv=pv_cols,
        batteries=bats,
        evs=evs,
        heat_pumps=hps,
        integer_cols=[hc.on for hc in hps if hc.on is not None],
    )
    return b.finish(), index


@dataclass
class Extras:
    """Binaries added on top of the base model (only where a disjunction can bind)."""

    split: list[tuple[IntArray, IntArray, FloatArray, FloatArray]] = field(default_factory=list)
    """(a, b, ub_a, ub_b): per pair a new binary z with a <= ub_a*z, b <= ub_b*(1-z)."""
    semicont: list[tuple[IntArray, FloatArray]] = field(default_factory=list)
    """(cols, min): these columns are 0 or in [min, ub]."""

    @property
    def count(self) -> int:
        return sum(len(s[0]) for s in self.split) + sum(len(s[0]) for s in self.semicont)


def to_highs_lp(
    m: BaseModel,
    index: Index,
    extras: Extras,
    cost: FloatArray,
    fixed_rows: list[tuple[FloatArray, float]],
) -> highspy.HighsLp:
    """The base model + extras + rung-fixing rows (dense objective rows) as a HighsLp."""
    lower = m.col_lower.copy()
    upper = m.col_upper.copy()
    nb = sum(len(s[0]) for s in extras.split) + sum(len(s[0]) for s in extras.semicont)
    ncol = m.ncol + nb
    integer = np.zeros(ncol, dtype=bool)
    for cols in index.integer_cols:
        integer[cols] = True
    starts = [m.row_start]
    idx = [m.row_index]
    val = [m.row_value]
    rlo = [m.row_lower]
    rhi = [m.row_upper]
    nnz = len(m.row_index)
    z0 = m.ncol
    for a, bcol, ua, ub in extras.split:
        z = np.arange(z0, z0 + len(a), dtype=np.int64)
        z0 += len(a)
        # a - ua*z <= 0 ; b + ub*z <= ub
        r_idx = np.stack([a, z, bcol, z], 1).reshape(-1)
        r_val = np.stack([np.ones(len(a)), -ua, np.ones(len(a)), ub], 1).reshape(-1)
        starts.append(nnz + 2 * np.arange(1, 2 * len(a) + 1, dtype=np.int64))
        idx.append(r_idx)
        val.append(r_val)
        lo = np.full(2 * len(a), -_INF)
        hi = np.stack([np.zeros(len(a)), ub], 1).reshape(-1)
        rlo.append(lo)
        rhi.append(hi)
        nnz += len(r_idx)
    for cols, mins in extras.semicont:
        # off or in [min, ub]: x - ub*z <= 0, x - min*z >= 0 (binaries beat HiGHS's
        # semi-continuous handling here)
        z = np.arange(z0, z0 + len(cols), dtype=np.int64)
        z0 += len(cols)
        ubs = upper[cols]
        r_idx = np.stack([cols, z, cols, z], 1).reshape(-1)
        r_val = np.stack([np.ones(len(cols)), -ubs, np.ones(len(cols)), -mins], 1).reshape(-1)
        starts.append(nnz + 2 * np.arange(1, 2 * len(cols) + 1, dtype=np.int64))
        idx.append(r_idx)
        val.append(r_val)
        rlo.append(np.stack([np.full(len(cols), -_INF), np.zeros(len(cols))], 1).reshape(-1))
        rhi.append(np.stack([np.zeros(len(cols)), np.full(len(cols), _INF)], 1).reshape(-1))
        nnz += len(r_idx)
    for coef, rhs in fixed_rows:
        nzc = np.flatnonzero(coef)
        starts.append(np.array([nnz + len(nzc)], dtype=np.int64))
        idx.append(nzc.astype(np.int64))
        val.append(coef[nzc])
        rlo.append(np.array([-_INF]))
        rhi.append(np.array([rhs]))
        nnz += len(nzc)
    if nb:
        integer[m.ncol :] = True
        lower = np.r_[lower, np.zeros(nb)]
        upper = np.r_[upper, np.ones(nb)]
        cost = np.r_[cost, np.zeros(nb)]
    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    row_lower = np.concatenate(rlo)
    lp.num_row_ = len(row_lower)
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = np.concatenate(rhi)
    a_matrix = lp.a_matrix_
    a_matrix.format_ = highspy.MatrixFormat.kRowwise
    a_matrix.num_col_ = ncol
    a_matrix.num_row_ = lp.num_row_
    a_matrix.start_ = np.concatenate(starts).astype(np.int32)
    a_matrix.index_ = np.concatenate(idx).astype(np.int32)
    a_matrix.value_ = np.concatenate(val)
    if integer.any():
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[int(i)] for i in integer]
    lp.a_matrix_ = a_matrix
    return lp
