"""The model: devices' parts and the grid joined into one continuous HiGHS model.

The generic part lives here: import and export columns, the energy balance per slot, the
fuse and the soft grid limits (GRID rung), and the grid's own disjunction (never import and
export at once where export pays more). Each device adds its columns, rows and objective
terms itself (``devices/``). Binaries are never part of the base model: the solve loop
(``solve.py``) adds them only in the slots where a disjunction can bind (:class:`Extras`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from typing import Any

import highspy
import numpy as np

from .builder import BaseModel, Builder, IntArray
from .device import DeviceModel, Disjunction, ModelContext, Split
from .problem import FloatArray, Problem, Rung
from .registry import kind_of
from .tariffs import PeakColumns, add_capacity_tariff, add_netbewust, bound_devices, device_limits

_INF = math.inf


@dataclass
class Index:
    """Where each quantity lives among the columns, and the devices' parts of the model."""

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
    devices: list[DeviceModel[Any]]
    """In the problem's order (the order a plan lists them)."""
    built: list[DeviceModel[Any]]
    """The same, in the order their columns were built (the order the solver visits them)."""
    disjunctions: list[Disjunction]
    """Every lazily enforced disjunction: the devices' (in build order), then the grid's."""
    integer_cols: list[IntArray] = field(default_factory=list)
    mip_presolve: str | None = None
    """HiGHS ``presolve`` for a mixed-integer solve with the integer columns (None: default)."""
    peak: PeakColumns | None = None
    """The capacity tariff's month-peak columns."""
    burn_slots: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Slots where burning energy (a ``Split`` that ``burns_energy`` broken) can pay."""


def device_models(p: Problem) -> list[DeviceModel[Any]]:
    """A fresh model of every device, in the problem's order."""
    return [kind_of(d)(d) for d in p.all_devices()]


def build(p: Problem) -> tuple[BaseModel, Index]:
    """Build the continuous base model and the column index for ``p``."""
    n, dt = p.n, p.horizon.dt_h
    k = dt / 1000.0  # W in one slot -> kWh
    b = Builder()
    base = np.asarray(p.base_load_w)
    devices = device_models(p)
    built = sorted(devices, key=lambda d: d.column_rank)
    production = np.zeros(n)
    fixed = np.zeros(n)
    for dev in built:
        prod = dev.production_w(n)
        if prod is not None:
            production += prod
        keep = dev.fixed_production_w(n)
        if keep is not None:
            fixed += keep
    lim_imp, lim_exp = p.grid.limits(n)
    # The fuse is hard, but it cannot be held below load the plan does not control.
    fuse_imp = np.maximum(p.grid.fuse_import_w, base - production)
    fuse_exp = np.maximum(p.grid.fuse_export_w, fixed - base)

    imp = b.cols(n, 0.0, fuse_imp)
    exp = b.cols(n, 0.0, fuse_exp)
    b.objective(Rung.COST, imp, np.asarray(p.import_price) * k)
    b.objective(Rung.COST, exp, -np.asarray(p.export_price) * k)
    b.objective(Rung.OWN_PRODUCTION, exp, k)
    if p.ladder.tie_break_seed is not None:
        rng = np.random.default_rng(p.ladder.tie_break_seed)
        b.objective("tie_break", imp, rng.random(n) * k)

    ctx = ModelContext(
        problem=p,
        n=n,
        dt_h=dt,
        kwh_per_w=k,
        base_load_w=base,
        outdoor_c=p.outdoor,
        production_w=production,
        surplus_w=np.maximum(0.0, production - base),
    )
    # Energy balance per slot: import - export = base + consumption - production.
    cols: list[IntArray] = [imp, exp]
    vals: list[float | FloatArray] = [1.0, -1.0]
    terms = []
    for dev in built:
        dev_terms = dev.build(b, ctx)
        terms.append((dev, dev_terms))
        for c, sign in dev_terms:
            cols.append(c)
            vals.append(sign)
    b.rows(cols, vals, base, base)
    bounds = device_limits(b, p, terms)
    peak = add_capacity_tariff(b, p, imp)
    add_netbewust(b, p, imp, base, production)

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

    # Import and export at once pays only where export pays more than import costs (elsewhere
    # net_grid removes it afterwards); it is not energy burnt, so no negative-price rule.
    cheap = np.asarray(p.import_price) < np.asarray(p.export_price)
    grid = Split(
        imp, exp, fuse_imp, fuse_exp, np.flatnonzero(cheap), mask=cheap, burns_energy=False
    )
    integer_cols = [c for dev in built for c in dev.integer_cols()]
    # Burning energy pays where it has a negative price, and, with own production on the
    # ladder, where own production could otherwise be exported or curtailed.
    burn = np.minimum(np.asarray(p.import_price), np.asarray(p.export_price)) < 0
    if Rung.OWN_PRODUCTION in p.ladder.order:
        burn |= production > 0
    presolve = next(
        (dev.mip_presolve() for dev in built if dev.integer_cols() and dev.mip_presolve()), None
    )
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
        devices=devices,
        built=built,
        disjunctions=[*(d for dev in built for d in dev.disjunctions()), grid],
        integer_cols=integer_cols,
        mip_presolve=presolve,
        peak=peak,
        burn_slots=np.flatnonzero(burn),
    )
    model = b.finish()
    bound_devices(model, bounds)
    return model, index


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
