"""HiGHS runs, and binaries only where a disjunction can bind.

Every model solved here is a relaxation of the true mixed-integer model: the disjunctions
"never charge and discharge at once", "never import and export at once" and "off or at least
the minimum power" are dropped except in the slots listed in :class:`Extras`. When the
relaxation's solution satisfies every disjunction anyway it is feasible for the true model,
hence optimal for it (within the MIP gap). Otherwise, in order:

1. a depth-first LP dive (warm-started bound changes) rounds the broken disjunctions; a plan
   it finds within ``DIVE_REL_GAP`` of the relaxation's bound is proven optimal;
2. else the devices concerned get binaries (in the slots where they can matter) and the
   now mixed-integer relaxation is solved, started from a rounded feasible plan; this
   repeats if other slots break, and after ``MAX_ROUNDS`` every slot gets one (the full
   model). The rounded plan is what a time limit returns when nothing better was found.

On/off heat pumps (minimum run and pause times) always carry binaries; they start from a
greedy run/pause-feasible pattern taken from the LP relaxation.

Import and export at once is never needed where the import price is at least the export
price: netting both down by the same amount changes nothing but lowers cost, export and
import, so it is done afterwards (:func:`net_grid`) instead of with binaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import time

import highspy
import numpy as np
from numpy.typing import NDArray

from .model import BaseModel, Extras, Index, IntArray, to_highs_lp
from .problem import FloatArray, Problem

MIP_REL_GAP = 1e-4
"""Relative MIP gap (the issue asks for <= 1e-4)."""
RANDOM_SEED = 20250610
TOL_W = 1e-3
"""Power below this (W) counts as zero when checking disjunctions."""
MAX_ROUNDS = 6
MAX_DIVES = 24
DIVE_REL_GAP = 1e-6
"""The dive accepts a rounded plan this close to the relaxation's bound (proven optimal)."""
HEAT_PUMP_MIP_PRESOLVE = "off"
"""HiGHS's ``presolve`` for a mixed-integer solve with heat-pump binaries (see solve_relaxed)."""
ON_OFF_MIP_START = False
"""Whether an on/off heat pump's MIP gets the rounded run/pause plan as its start. It does not:
without presolve, HiGHS's own root heuristics find better incumbents from scratch (192 slots:
3 nodes, 1.2 s, instead of 24 nodes, 1.7 s). The plan is still the fallback at a time limit."""


@dataclass
class RunStats:
    """Accumulated timing and size figures of one plan."""

    build_s: float = 0.0
    solve_s: float = 0.0
    solves: int = 0
    binaries: int = 0
    rounds: int = 0
    mip_gap: float = 0.0
    time_limit_hit: bool = False


@dataclass
class Disjunctions:
    """The slots that carry a binary, per device and disjunction."""

    battery: list[set[int]]
    v2g: list[set[int]]
    ev_min: list[set[int]]
    hp_min: list[set[int]]
    grid: set[int] = field(default_factory=set)

    @classmethod
    def empty(cls, index: Index) -> Disjunctions:
        return cls(
            [set() for _ in index.batteries],
            [set() for _ in index.evs],
            [set() for _ in index.evs],
            [set() for _ in index.heat_pumps],
        )

    def extras(self, p: Problem, index: Index) -> Extras:
        ex = Extras()

        def arr(s: set[int]) -> IntArray:
            return np.array(sorted(s), dtype=np.int64)

        for bat, bcols, s in zip(p.batteries, index.batteries, self.battery, strict=True):
            if s:
                a = arr(s)
                ex.split.append(
                    (
                        bcols.charge[a],
                        bcols.discharge[a],
                        np.full(len(a), bat.max_charge_w),
                        np.full(len(a), bat.max_discharge_w),
                    )
                )
        for ev, cols, s, smin in zip(p.evs, index.evs, self.v2g, self.ev_min, strict=True):
            if s and cols.discharge is not None:
                a = arr(s)
                ex.split.append(
                    (cols.charge[a], cols.discharge[a], cols.ub[a], np.full(len(a), ev.v2g_max_w))
                )
            if smin:
                a = arr(smin)
                ex.semicont.append((cols.charge[a], np.full(len(a), ev.min_w)))
        for hp, hcols, s in zip(p.heat_pumps, index.heat_pumps, self.hp_min, strict=True):
            if s:
                a = arr(s)
                ex.semicont.append((hcols.power[a], np.full(len(a), hp.min_w)))
        if self.grid:
            a = arr(self.grid)
            ex.split.append((index.imp[a], index.exp[a], index.fuse_imp[a], index.fuse_exp[a]))
        return ex

    def add_violations(self, p: Problem, index: Index, x: FloatArray) -> bool:
        """Record slots where ``x`` breaks a disjunction; True if any were new."""
        new = False

        def both(a: IntArray, b: IntArray) -> set[int]:
            return set(np.flatnonzero((x[a] > TOL_W) & (x[b] > TOL_W)).tolist())

        def between(a: IntArray, lo: float) -> set[int]:
            v = x[a]
            return set(np.flatnonzero((v > TOL_W) & (v < lo - TOL_W)).tolist())

        def merge(target: set[int], found: set[int]) -> bool:
            extra = found - target
            target |= extra
            return bool(extra)

        for bcols, s in zip(index.batteries, self.battery, strict=True):
            new |= merge(s, both(bcols.charge, bcols.discharge))
        for ev, cols, s, smin in zip(p.evs, index.evs, self.v2g, self.ev_min, strict=True):
            if cols.discharge is not None:
                new |= merge(s, both(cols.charge, cols.discharge))
            if ev.min_w > 0:
                new |= merge(smin, between(cols.charge, ev.min_w))
        for hp, hcols, s in zip(p.heat_pumps, index.heat_pumps, self.hp_min, strict=True):
            if hp.min_w > 0 and hcols.on is None:
                new |= merge(s, between(hcols.power, hp.min_w))
        grid_both = both(index.imp, index.exp)
        cheap = set(
            np.flatnonzero(np.asarray(p.import_price) < np.asarray(p.export_price)).tolist()
        )
        new |= merge(self.grid, grid_both & cheap)
        return new

    def fill_all(self, p: Problem, index: Index, *, only_touched: bool = False) -> None:
        """The full model: a binary in every slot where a disjunction could matter.

        ``only_touched``: only for the devices that already have one (once a device needs
        binaries at all, one mixed-integer solve with all of them beats several rounds), except
        a heat pump's minimum power: its binaries stay in the slots found so far. In a slow
        house few slots break it, and a MIP with binaries only there is much smaller (all four
        devices at 192 slots: 29 instead of 192 heat-pump binaries, 1.5 s instead of ~3 s;
        the exact rounds stay: a plan is returned only when no slot breaks a disjunction).
        """
        n = index.n
        # Burning energy (charging and discharging at once) pays where energy has a negative
        # price; elsewhere only the slots already found need a binary.
        negative = np.minimum(np.asarray(p.import_price), np.asarray(p.export_price)) < 0
        storage_slots = set(np.flatnonzero(negative).tolist()) if only_touched else set(range(n))
        for s in self.battery:
            if s or not only_touched:
                s.update(storage_slots)
        for ev, cols, s, smin in zip(p.evs, index.evs, self.v2g, self.ev_min, strict=True):
            window = set(np.flatnonzero(cols.ub > 0).tolist())
            if cols.discharge is not None and (s or not only_touched):
                s.update(window & storage_slots if only_touched else window)
            if ev.min_w > 0 and (smin or not only_touched):
                smin.update(window)
        for hp, hcols, s in zip(p.heat_pumps, index.heat_pumps, self.hp_min, strict=True):
            if hp.min_w > 0 and hcols.on is None and not only_touched:
                s.update(np.flatnonzero(hcols.ub > 0).tolist())
        if self.grid or not only_touched:
            self.grid |= set(
                np.flatnonzero(np.asarray(p.import_price) < np.asarray(p.export_price)).tolist()
            )


@dataclass
class Outcome:
    x: FloatArray | None
    status: str  # "optimal", "time_limit", "failed"
    objective: float


def _new_highs(time_limit_s: float, mip_rel_gap: float) -> highspy.Highs:
    """A cold HiGHS: deterministic (one thread, fixed seed), quiet, time-limited."""
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", RANDOM_SEED)
    h.setOptionValue("mip_rel_gap", mip_rel_gap)
    h.setOptionValue("time_limit", max(1e-3, time_limit_s))
    # No RINS/RENS sub-MIPs: every mixed-integer solve here starts from a feasible plan, and
    # on a heat pump's on/off model the sub-MIPs took ~85 % of the time (and memory) while
    # rarely improving on it; without them such a plan takes about half the time.
    h.setOptionValue("mip_heuristic_run_rins", False)
    h.setOptionValue("mip_heuristic_run_rens", False)
    return h


def _run(h: highspy.Highs, is_mip: bool, stats: RunStats) -> Outcome:
    t1 = time.perf_counter()
    h.run()
    stats.solve_s += time.perf_counter() - t1
    stats.solves += 1
    status = h.getModelStatus()
    info = h.getInfo()
    has_sol = bool(info.primal_solution_status == 2)  # kSolutionStatusFeasible
    if has_sol and is_mip:
        stats.mip_gap = max(stats.mip_gap, float(info.mip_gap))
    if status == highspy.HighsModelStatus.kOptimal:
        x = np.asarray(h.getSolution().col_value, dtype=np.float64)
        return Outcome(x, "optimal", float(info.objective_function_value))
    if status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt):
        stats.time_limit_hit = True
        if has_sol:
            x = np.asarray(h.getSolution().col_value, dtype=np.float64)
            return Outcome(x, "time_limit", float(info.objective_function_value))
    return Outcome(None, "failed", float("nan"))


type Branch = tuple[int, float, float]
"""(column, lower, upper): one side of a disjunction as column bounds."""


def _violations(
    p: Problem, index: Index, x: FloatArray, upper: FloatArray
) -> list[tuple[Branch, Branch]]:
    """Each broken disjunction in ``x`` as its two sides, the nearer side first."""
    found: list[tuple[Branch, Branch]] = []

    def split(a: IntArray, b: IntArray, slots: NDArray[np.bool_] | None = None) -> None:
        bad = (x[a] > TOL_W) & (x[b] > TOL_W)
        if slots is not None:
            bad &= slots
        for t in np.flatnonzero(bad):
            ca, cb = int(a[t]), int(b[t])
            za: Branch = (ca, 0.0, 0.0)
            zb: Branch = (cb, 0.0, 0.0)
            found.append((za, zb) if x[ca] < x[cb] else (zb, za))

    def semi(a: IntArray, lo: float, prefer_on: NDArray[np.bool_] | None = None) -> None:
        v = x[a]
        for t in np.flatnonzero((v > TOL_W) & (v < lo - TOL_W)):
            c = int(a[t])
            on: Branch = (c, lo, float(upper[c]))
            off: Branch = (c, 0.0, 0.0)
            first = v[t] >= lo / 2 if prefer_on is None else prefer_on[t]
            found.append((on, off) if first else (off, on))

    for cols in index.batteries:
        split(cols.charge, cols.discharge)
    for ev, ec in zip(p.evs, index.evs, strict=True):
        if ec.discharge is not None:
            split(ec.charge, ec.discharge)
        if ev.min_w > 0:
            semi(ec.charge, ev.min_w)
    for hp, hc in zip(p.heat_pumps, index.heat_pumps, strict=True):
        if hp.min_w > 0 and hc.on is None:
            # a slow house: follow the relaxed heat in energy, not slot by slot
            semi(hc.power, hp.min_w, _sigma_delta(x[hc.power], hp.min_w, upper[hc.power]))
    split(index.imp, index.exp, np.asarray(p.import_price) < np.asarray(p.export_price))
    return found


def _dive(
    *,
    p: Problem,
    index: Index,
    h: highspy.Highs,
    lp: highspy.HighsLp,
    first: Outcome,
    stats: RunStats,
    mip_rel_gap: float,
    deadline: float,
) -> Outcome | None:
    """A small depth-first search over the broken disjunctions, on warm-started LPs.

    The first LP's objective is a lower bound for the true model, so any solution that
    satisfies every disjunction within the gap of that bound is proven optimal; branches
    that leave the gap are cut. Gives up (returns None) after ``MAX_DIVES`` LP solves.
    """
    assert first.x is not None
    # Prune hard: a loose limit lets the search wander down long branches that never close.
    gap = min(mip_rel_gap, DIVE_REL_GAP)
    limit = first.objective + gap * max(abs(first.objective), 1e-9)
    lower = np.array(lp.col_lower_, dtype=np.float64)
    upper = np.array(lp.col_upper_, dtype=np.float64)
    budget = [MAX_DIVES]

    def set_bounds(col: int, lo: float, hi: float) -> None:
        idx = np.array([col], dtype=np.int32)
        h.changeColsBounds(1, idx, np.array([lo]), np.array([hi]))

    def search(x: FloatArray, objective: float) -> Outcome | None:
        viol = _violations(p, index, x, upper)
        if not viol:
            return Outcome(x, "optimal", objective)
        for col, lo, hi in viol[0]:
            if budget[0] <= 0 or time.perf_counter() >= deadline:
                return None
            budget[0] -= 1
            old = (lower[col], upper[col])
            lower[col], upper[col] = lo, hi
            set_bounds(col, lo, hi)
            out = _run(h, False, stats)
            if out.x is not None and out.status == "optimal" and out.objective <= limit:
                found = search(out.x, out.objective)
                if found is not None:
                    return found
            lower[col], upper[col] = old
            set_bounds(col, *old)
        return None

    return search(first.x, first.objective)


def _repair(
    p: Problem,
    index: Index,
    h: highspy.Highs,
    lp: highspy.HighsLp,
    *,
    x: FloatArray,
    stats: RunStats,
) -> Outcome | None:
    """A feasible (not necessarily optimal) plan: round every broken disjunction at once and
    re-solve the LP warm, until none is left. The fallback when the exact search runs out
    of time."""
    upper = np.array(lp.col_upper_, dtype=np.float64)
    for _ in range(MAX_DIVES):
        viol = _violations(p, index, x, upper)
        if not viol:
            return Outcome(x, "time_limit", float(h.getInfo().objective_function_value))
        cols = np.array([v[0][0] for v in viol], dtype=np.int32)
        lo = np.array([v[0][1] for v in viol])
        hi = np.array([v[0][2] for v in viol])
        h.changeColsBounds(len(cols), cols, lo, hi)
        out = _run(h, False, stats)
        if out.x is None or out.status != "optimal":
            return None
        x = out.x
    return None


def _repair_incumbent(
    p: Problem,
    index: Index,
    h: highspy.Highs,
    lp: highspy.HighsLp,
    *,
    x: FloatArray,
    stats: RunStats,
) -> Outcome | None:
    """Make a time-limited mixed-integer incumbent that still breaks a disjunction in a slot
    without a binary feasible: fix its integers, solve as an LP, then :func:`_repair`."""
    kinds = np.array([int(v) for v in lp.integrality_])
    ints = np.flatnonzero(kinds != 0).astype(np.int32)
    values = np.round(x[ints])
    h.changeColsBounds(len(ints), ints, values, values)
    h.changeColsIntegrality(
        len(ints), ints, np.array([highspy.HighsVarType.kContinuous] * len(ints))
    )
    # HiGHS's time limit counts this object's whole life: allow a few more seconds for the
    # LPs (quick, and a plan beats none)
    h.setOptionValue("time_limit", h.getRunTime() + 5.0)
    out = _run(h, False, stats)
    if out.x is None or out.status != "optimal":
        return None
    return _repair(p, index, h, lp, x=out.x, stats=stats)


def _sigma_delta(power: FloatArray, min_w: float, ub: FloatArray) -> NDArray[np.bool_]:
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


def _run_pause(
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


def _on_off_start(
    p: Problem,
    index: Index,
    lp: highspy.HighsLp,
    *,
    deadline: float,
    stats: RunStats,
) -> tuple[Outcome | None, FloatArray | None]:
    """A feasible plan to start on/off heat pumps from: the LP relaxation, a greedy on/off
    pattern that keeps run and pause times, then the LP with that pattern fixed.

    Returns that plan (or None) and the relaxation's solution."""
    integrality = lp.integrality_
    lp.integrality_ = []
    h = _new_highs(deadline - time.perf_counter(), MIP_REL_GAP)
    h.passModel(lp)
    lp.integrality_ = integrality
    out = _run(h, False, stats)
    if out.x is None or out.status != "optimal":
        return None, None
    relaxed = out.x
    cols: list[IntArray] = []
    values: list[FloatArray] = []
    for hp, hc in zip(p.heat_pumps, index.heat_pumps, strict=True):
        if hc.on is None:
            continue
        power = out.x[hc.power]
        want = _sigma_delta(power, hp.min_w, hc.ub)
        pattern = _run_pause(want, hc.ub > 0, hp.min_run_slots, hp.min_pause_slots, hp.initially_on)
        cols.append(hc.on)
        values.append(pattern.astype(np.float64))
    if not cols:
        return None, relaxed
    idx = np.concatenate(cols).astype(np.int32)
    val = np.concatenate(values)
    h.changeColsBounds(len(idx), idx, val, val)
    out = _run(h, False, stats)
    if out.x is None or out.status != "optimal":
        return None, relaxed
    return _repair(p, index, h, lp, x=out.x, stats=stats), relaxed


def _consistent(lp: highspy.HighsLp, out: Outcome) -> bool:
    """Whether the returned solution has the objective HiGHS reports."""
    assert out.x is not None
    value = float(np.dot(np.asarray(lp.col_cost_), out.x))
    return abs(value - out.objective) <= 1e-7 * max(1.0, abs(out.objective))


def _start(extras: Extras, x: FloatArray) -> FloatArray:
    """Values of the extra binaries that match a disjunction-feasible ``x``."""
    z = [(x[a] > TOL_W).astype(np.float64) for a, _, _, _ in extras.split]
    z += [(x[c] > TOL_W).astype(np.float64) for c, _ in extras.semicont]
    return np.concatenate([x, *z]) if z else x


def solve_relaxed(
    p: Problem,
    base: BaseModel,
    index: Index,
    dis: Disjunctions,
    *,
    cost: FloatArray,
    fixed_rows: list[tuple[FloatArray, float]],
    deadline: float,
    stats: RunStats,
    mip_rel_gap: float = MIP_REL_GAP,
) -> Outcome:
    """Minimise ``cost`` under every disjunction, with as few binaries as possible.

    First the relaxation; if it breaks a disjunction, a short warm-started LP dive that
    rounds it (proven optimal when it stays within the gap of the relaxation); otherwise the
    offending slots get binaries and the (now mixed-integer) relaxation is solved again,
    started from a rounded feasible plan, which is also what is returned if time runs out.
    """
    rounds = 0
    fallback: Outcome | None = None

    def give_up() -> Outcome:
        if fallback is not None and fallback.x is not None:
            stats.time_limit_hit = True
            return Outcome(fallback.x[: base.ncol], "time_limit", fallback.objective)
        return Outcome(None, "time_limit", float("nan"))

    while True:
        t0 = time.perf_counter()
        extras = dis.extras(p, index)
        lp = to_highs_lp(base, index, extras, cost, fixed_rows)
        stats.build_s += time.perf_counter() - t0
        stats.binaries = max(stats.binaries, extras.count + _n_int(index))
        is_mip = bool(lp.integrality_)
        if is_mip and fallback is None and index.integer_cols:
            fallback, relaxed = _on_off_start(p, index, lp, deadline=deadline, stats=stats)
            if relaxed is not None and dis.add_violations(p, index, relaxed[: base.ncol]):
                # the relaxation already shows where other devices need binaries: add them
                # now rather than after a first (slow) mixed-integer solve
                dis.fill_all(p, index, only_touched=True)
                continue
        h = _new_highs(deadline - time.perf_counter(), mip_rel_gap)
        heat_pump_mip = is_mip and bool(index.integer_cols or any(dis.hp_min))
        if heat_pump_mip:
            # A heat pump's binaries: HiGHS's MIP presolve hurts here (it rewrites the house
            # model's temperature chain; the cuts and restarts on the presolved model close the
            # 0.5 % root gap slowly): without it 192 slots take 1.3-2.2 s instead of 3.3-5.3 s
            # (on/off) and 0.5 s instead of 1.5 s (minimum power only).
            h.setOptionValue("presolve", HEAT_PUMP_MIP_PRESOLVE)
        h.passModel(lp)
        started = is_mip and fallback is not None and fallback.x is not None
        # On/off units: HiGHS does better from its own start (see ON_OFF_MIP_START)
        started = started and (ON_OFF_MIP_START or not index.integer_cols)
        if started and fallback is not None and fallback.x is not None:
            start = highspy.HighsSolution()
            start.col_value = _start(extras, fallback.x[: base.ncol]).tolist()
            h.setSolution(start)
        stats.build_s += time.perf_counter() - t0
        out = _run(h, is_mip, stats)
        if started and out.x is not None and not _consistent(lp, out):
            # Seen with HiGHS 1.16: an optimal status whose returned solution is the start,
            # not the optimum. Solve again without the start.
            h = _new_highs(deadline - time.perf_counter(), mip_rel_gap)
            h.passModel(lp)
            out = _run(h, is_mip, stats)
        if is_mip and h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
            # Seen with HiGHS 1.16 (found by the property tests): its MIP presolve declares a
            # model infeasible that the previous rung's solution satisfies. Without presolve
            # it solves; a truly infeasible model is merely confirmed.
            h = _new_highs(deadline - time.perf_counter(), mip_rel_gap)
            h.setOptionValue("presolve", "off")
            h.passModel(lp)
            out = _run(h, is_mip, stats)
        stats.rounds += 1
        if out.x is None:
            return give_up() if out.status == "time_limit" else out
        x = out.x[: base.ncol]
        if not dis.add_violations(p, index, x) or rounds > MAX_ROUNDS:
            if out.status != "optimal" and fallback and fallback.objective < out.objective:
                return give_up()
            return Outcome(x, out.status, out.objective)
        if out.status != "optimal" or time.perf_counter() >= deadline:
            if fallback is None and is_mip:
                fallback = _repair_incumbent(p, index, h, lp, x=out.x, stats=stats)
            return give_up()
        if not is_mip:
            dived = _dive(
                p=p,
                index=index,
                h=h,
                lp=lp,
                first=out,
                stats=stats,
                mip_rel_gap=mip_rel_gap,
                deadline=deadline,
            )
            if dived is not None and dived.x is not None:
                return Outcome(dived.x[: base.ncol], "optimal", dived.objective)
            if fallback is None:
                fallback = _repair(p, index, h, lp, x=out.x, stats=stats)
            dis.fill_all(p, index, only_touched=True)
        rounds += 1
        if rounds == MAX_ROUNDS:
            dis.fill_all(p, index)


def _n_int(index: Index) -> int:
    return sum(len(c) for c in index.integer_cols)


def net_grid(p: Problem, index: Index, x: FloatArray) -> FloatArray:
    """Remove simultaneous import and export where import costs at least what export pays."""
    x = x.copy()
    both = np.minimum(x[index.imp], x[index.exp])
    ok = np.asarray(p.import_price) >= np.asarray(p.export_price)
    m = np.where(ok, both, 0.0)
    x[index.imp] -= m
    x[index.exp] -= m
    return x
