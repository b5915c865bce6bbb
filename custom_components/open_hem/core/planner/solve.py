"""HiGHS runs, and binaries only where a disjunction can bind.

Every model solved here is a relaxation of the true mixed-integer model: the disjunctions the
devices declare (``device.Split``: never charge and discharge at once; ``device.SemiContinuous``:
off or at least the minimum power) and the grid's (never import and export at once) are
dropped except in the slots listed in :class:`Extras`. When the
relaxation's solution satisfies every disjunction anyway it is feasible for the true model,
hence optimal for it (within the MIP gap). Otherwise, in order:

1. each device's pattern near the relaxation (``DeviceModel.candidate_patterns``: an on/off
   unit's run/pause pattern, an appliance's whole runs) is fixed and the LP solved
   (:func:`_patterned`); a plan that then breaks no disjunction within the MIP gap of the
   relaxation's bound is optimal as it is, else it is the rounded start below;
2. a depth-first LP dive (warm-started bound changes) rounds the broken disjunctions; a plan
   it finds within ``DIVE_REL_GAP`` of the relaxation's bound is proven optimal;
3. else the devices concerned get binaries (in the slots where they can matter) and the
   now mixed-integer relaxation is solved, started from a rounded feasible plan; a round
   whose plan still breaks a disjunction elsewhere is first settled by the patterns against
   its own bound (:func:`_settle`), else this repeats, and after ``MAX_ROUNDS`` every slot
   gets one (the full model). The rounded plan is what a time limit returns when nothing
   better was found.

On/off units (a device's integer columns, e.g. a heat pump with minimum run and pause times)
always carry binaries; they start from their pattern (step 1, ``_on_off_start``).
Nothing here names a device kind: it sees columns, disjunctions and hooks (``device.py``).

Import and export at once is never needed where the import price is at least the export
price: netting both down by the same amount changes nothing but lowers cost, export and
import, so it is done afterwards (:func:`net_grid`) instead of with binaries.
"""

from __future__ import annotations

from dataclasses import dataclass
import time

import highspy
import numpy as np

from .builder import BaseModel, IntArray
from .device import TOL_W, SemiContinuous, Split
from .model import Extras, Index, to_highs_lp
from .problem import FloatArray, Problem

MIP_REL_GAP = 1e-4
"""Relative MIP gap (the issue asks for <= 1e-4)."""
RANDOM_SEED = 20250610
MIP_PRESOLVE = "off"
"""HiGHS ``presolve`` for the mixed-integer solves. Off: they start from a plan within a small
gap of the bound, and presolve with the restarts it triggers cost more than it saved (loop
benchmark, modulating heat pump: 1.07 -> 0.55 s and 0.37 -> 0.06 s per MIP; the anchor with
shiftable loads and the capacity tariff 0.51 -> 0.25 s)."""
MAX_ROUNDS = 6
MAX_DIVES = 24
DIVE_REL_GAP = 1e-6
"""The dive accepts a rounded plan this close to the relaxation's bound (proven optimal)."""
ON_OFF_MIP_START = True
"""Whether an on/off heat pump's MIP gets the rounded pattern plan as its start. It did not
while appliance runs were split by the relaxation (HiGHS's own root heuristics then found
better incumbents: 192 slots, 3 nodes, 1.2 s instead of 24 nodes, 1.7 s). Since runs are
placed whole from the relaxation (``_patterned``) that plan is within ~0.02 % of the optimum
and the start pays: the loop benchmark's 06:00 problem 1.2 s (40 nodes) -> 0.15 s (1 node)."""


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
    """The slots that carry a binary, per disjunction (``index.disjunctions``, same order)."""

    slots: list[set[int]]

    @classmethod
    def empty(cls, index: Index) -> Disjunctions:
        return cls([set() for _ in index.disjunctions])

    def extras(self, index: Index) -> Extras:
        ex = Extras()
        for d, s in zip(index.disjunctions, self.slots, strict=True):
            if not s:
                continue
            a = np.array(sorted(s), dtype=np.int64)
            if isinstance(d, Split):
                ex.split.append((d.a[a], d.b[a], d.ub_a[a], d.ub_b[a]))
            else:
                ex.semicont.append((d.cols[a], np.full(len(a), d.min_w)))
        return ex

    def mip_presolve(self, index: Index) -> str | None:
        """The ``presolve`` asked for by a disjunction that carries binaries now."""
        for d, s in zip(index.disjunctions, self.slots, strict=True):
            if s and isinstance(d, SemiContinuous) and d.mip_presolve is not None:
                return d.mip_presolve
        return None

    def add_violations(self, index: Index, x: FloatArray) -> bool:
        """Record slots where ``x`` breaks a disjunction; True if any were new."""
        new = False
        for d, slots in zip(index.disjunctions, self.slots, strict=True):
            if isinstance(d, Split):
                bad = (x[d.a] > TOL_W) & (x[d.b] > TOL_W)
                if d.mask is not None:
                    bad &= d.mask
            else:
                v = x[d.cols]
                bad = (v > TOL_W) & (v < d.min_w - TOL_W)
            found = set(np.flatnonzero(bad).tolist()) - slots
            slots.update(found)
            new |= bool(found)
        return new

    def fill_all(
        self,
        p: Problem,
        index: Index,
        *,
        only_touched: bool = False,
        burning: bool = False,
        keep_lazy: bool = False,
    ) -> None:
        """The full model: a binary in every slot where a disjunction could matter.

        ``only_touched``: only for the disjunctions that already have one (once a device needs
        binaries at all, one mixed-integer solve with all of them beats several rounds),
        except where the disjunction asks to stay lazy (``SemiContinuous.grow``; the exact
        rounds stay: a plan is returned only when no slot breaks a disjunction).
        ``burning``: energy-burning splits get every candidate slot too (they broke again
        after their burn slots got binaries: the rung is indifferent to burning there).
        ``keep_lazy``: every slot of every disjunction, except those that ask to stay lazy.
        """
        # Burning energy (doing both sides at once) pays only in ``index.burn_slots``;
        # elsewhere only the slots already found need a binary.
        burn = np.zeros(p.n, dtype=bool)
        burn[index.burn_slots] = True
        for d, s in zip(index.disjunctions, self.slots, strict=True):
            if only_touched and not (s and (isinstance(d, Split) or d.grow)):
                continue
            if keep_lazy and not (isinstance(d, Split) or d.grow):
                continue
            slots = d.candidates
            if only_touched and isinstance(d, Split) and d.burns_energy and not burning:
                slots = slots[burn[slots]]
            s.update(slots.tolist())


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


def _violations(index: Index, x: FloatArray, upper: FloatArray) -> list[tuple[Branch, Branch]]:
    """Each broken disjunction in ``x`` as its two sides, the nearer side first."""
    found: list[tuple[Branch, Branch]] = []
    for d in index.disjunctions:
        if isinstance(d, Split):
            bad = (x[d.a] > TOL_W) & (x[d.b] > TOL_W)
            if d.mask is not None:
                bad &= d.mask
            for t in np.flatnonzero(bad):
                ca, cb = int(d.a[t]), int(d.b[t])
                za: Branch = (ca, 0.0, 0.0)
                zb: Branch = (cb, 0.0, 0.0)
                found.append((za, zb) if x[ca] < x[cb] else (zb, za))
            continue
        v = x[d.cols]
        lo = d.min_w
        broken = np.flatnonzero((v > TOL_W) & (v < lo - TOL_W))
        if not len(broken):
            continue
        prefer_on = None if d.prefer_on is None else d.prefer_on(v, upper[d.cols])
        for t in broken:
            c = int(d.cols[t])
            on: Branch = (c, lo, float(upper[c]))
            off: Branch = (c, 0.0, 0.0)
            first = v[t] >= lo / 2 if prefer_on is None else prefer_on[t]
            found.append((on, off) if first else (off, on))
    return found


def _dive(
    *,
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
        viol = _violations(index, x, upper)
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
        viol = _violations(index, x, upper)
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


def _round_greedy(
    index: Index,
    h: highspy.Highs,
    lp: highspy.HighsLp,
    *,
    x: FloatArray,
    stats: RunStats,
) -> Outcome | None:
    """A feasible plan near the optimum, for the mixed-integer solve to start from: round
    the first broken disjunction to its cheaper side (both solved warm), then the next, until
    none is left. Dearer than :func:`_repair` (two LPs per disjunction instead of one per
    round), but a start within the MIP gap of the bound lets HiGHS stop at its root (an EV's
    minimum power beside shiftable loads, 192 slots: one 40 ms MIP instead of two of
    150-200 ms). Used where a disjunction asks for it (``SemiContinuous.round_greedily``);
    falls back to :func:`_repair` when a round finds no side."""
    upper = np.array(lp.col_upper_, dtype=np.float64)
    for _ in range(MAX_DIVES):
        viol = _violations(index, x, upper)
        if not viol:
            return Outcome(x, "time_limit", float(h.getInfo().objective_function_value))
        best: tuple[float, Branch, FloatArray] | None = None
        for side in viol[0]:
            col, lo, hi = side
            h.changeColsBounds(1, np.array([col], dtype=np.int32), np.array([lo]), np.array([hi]))
            out = _run(h, False, stats)
            ok = out.x is not None and out.status == "optimal"
            if ok and (best is None or out.objective < best[0]):
                assert out.x is not None
                best = (out.objective, side, out.x)
        if best is None:
            break
        col, lo, hi = best[1]
        h.changeColsBounds(1, np.array([col], dtype=np.int32), np.array([lo]), np.array([hi]))
        x = best[2]
    return _repair(index, h, lp, x=x, stats=stats)


def _repair_incumbent(
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
    return _repair(index, h, lp, x=out.x, stats=stats)


def _as_lp(lp: highspy.HighsLp, deadline: float) -> highspy.Highs:
    """A HiGHS holding ``lp`` without its integrality (its LP relaxation); ``lp`` keeps it."""
    integrality = lp.integrality_
    lp.integrality_ = []
    h = _new_highs(deadline - time.perf_counter(), MIP_REL_GAP)
    h.passModel(lp)
    lp.integrality_ = integrality
    return h


def _patterned(
    index: Index,
    h: highspy.Highs,
    x: FloatArray,
    *,
    deadline: float,
    stats: RunStats,
    hints: dict[str, list[FloatArray]] | None = None,
) -> Outcome | None:
    """The LP with every device's on/off pattern near the relaxed ``x`` fixed (``h``'s
    bounds stay so): each device's first candidate, then its others one device at a time,
    keeping the best. None if no device has a pattern or the LP fails."""
    candidates: dict[str, list[tuple[IntArray, FloatArray]]] = {}
    for dev in index.built:
        if hints and dev.name in hints:
            found = [dev.warm_pattern(x, hints[dev.name])]
        else:
            found = list(dev.candidate_patterns(x))
        kept = [c for c in found if c is not None]
        if kept:
            candidates[dev.name] = kept

    def fix(pattern: tuple[IntArray, FloatArray]) -> None:
        cols, values = pattern
        h.changeColsBounds(len(cols), cols.astype(np.int32), values, values)

    if not candidates:
        return None
    for options in candidates.values():
        fix(options[0])
    best = _run(h, False, stats)
    if best.x is None or best.status != "optimal":
        return None
    for options in candidates.values():
        chosen = options[0]
        for other in options[1:]:
            if time.perf_counter() >= deadline:
                break
            fix(other)
            out = _run(h, False, stats)
            if out.x is not None and out.status == "optimal" and out.objective < best.objective:
                best, chosen = out, other
        fix(chosen)
    return best


def _on_off_start(
    index: Index,
    lp: highspy.HighsLp,
    *,
    deadline: float,
    stats: RunStats,
    mip_rel_gap: float,
    hints: dict[str, list[FloatArray]] | None = None,
) -> tuple[Outcome | None, FloatArray | None]:
    """A feasible plan to start on/off units from: the LP relaxation, each device's on/off
    pattern near it (:func:`_patterned`), then the LP with that pattern fixed. A plan that
    breaks no disjunction within the gap of the relaxation's bound is optimal as it is
    (status "optimal"); otherwise it is rounded (:func:`_repair`) into a start.

    Returns that plan (or None) and the relaxation's solution."""
    h = _as_lp(lp, deadline)
    out = _run(h, False, stats)
    if out.x is None or out.status != "optimal":
        return None, None
    relaxed, bound = out.x, out.objective
    fixed = _patterned(index, h, relaxed, deadline=deadline, stats=stats, hints=hints)
    if fixed is None or fixed.x is None:
        return None, relaxed
    if _proven(index, lp, fixed, bound, mip_rel_gap):
        return fixed, relaxed
    return _repair(index, h, lp, x=fixed.x, stats=stats), relaxed


def _settle(
    index: Index,
    lp: highspy.HighsLp,
    x: FloatArray,
    *,
    bound: float,
    mip_rel_gap: float,
    deadline: float,
    stats: RunStats,
) -> Outcome | None:
    """A mixed-integer round's plan ``x`` that still breaks a disjunction where it has no
    binary (a run split over slots): its integer decisions kept and each device's pattern
    near it fixed, as an LP. Optimal if it breaks nothing within the gap of the round's
    ``bound`` (the round is a relaxation of the true model); None if not."""
    h = _as_lp(lp, deadline)
    kinds = np.array([int(v) for v in lp.integrality_])
    ints = np.flatnonzero(kinds != 0).astype(np.int32)
    values = np.round(x[ints])
    h.changeColsBounds(len(ints), ints, values, values)
    fixed = _patterned(index, h, x, deadline=deadline, stats=stats)
    if fixed is None or fixed.x is None or not _proven(index, lp, fixed, bound, mip_rel_gap):
        return None
    return fixed


def _proven(
    index: Index, lp: highspy.HighsLp, out: Outcome, bound: float, mip_rel_gap: float
) -> bool:
    """Whether ``out`` breaks no disjunction and lies within the MIP gap of ``bound`` (a
    relaxation's objective): then no mixed-integer solve could do better."""
    assert out.x is not None
    if _violations(index, out.x, np.asarray(lp.col_upper_)):
        return False
    return out.objective <= bound + mip_rel_gap * max(abs(bound), 1e-9)


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
    hints: dict[str, list[FloatArray]] | None = None,
    start: FloatArray | None = None,
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
        extras = dis.extras(index)
        lp = to_highs_lp(base, index, extras, cost, fixed_rows)
        stats.build_s += time.perf_counter() - t0
        stats.binaries = max(stats.binaries, extras.count + _n_int(index))
        is_mip = bool(lp.integrality_)
        if is_mip and fallback is None and index.integer_cols:
            fallback, relaxed = _on_off_start(
                index, lp, deadline=deadline, stats=stats, mip_rel_gap=mip_rel_gap, hints=hints
            )
            if fallback is not None and fallback.x is not None and fallback.status == "optimal":
                return Outcome(fallback.x[: base.ncol], "optimal", fallback.objective)
            if relaxed is not None and dis.add_violations(index, relaxed[: base.ncol]):
                # the relaxation already shows where other devices need binaries: add them
                # now rather than after a first (slow) mixed-integer solve; with the
                # energy-burning slots too, which the first mixed-integer round broke anyway
                # (loop benchmark, on/off heat pump + dishwasher: 3 MIP rounds -> 2, 0.77 s
                # -> 0.47 s on the first rung)
                dis.fill_all(p, index, only_touched=True, burning=True)
                continue
        h = _new_highs(deadline - time.perf_counter(), mip_rel_gap)
        presolve = (index.mip_presolve if index.integer_cols else None) or dis.mip_presolve(index)
        if is_mip:
            # a device may ask for its own (a heat pump's: devices/heat_pump.py MIP_PRESOLVE)
            h.setOptionValue("presolve", presolve or MIP_PRESOLVE)
        h.passModel(lp)
        started = is_mip and fallback is not None and fallback.x is not None
        # On/off units: from the pattern plan (see ON_OFF_MIP_START); a replan always
        # starts from the previous plan's pattern
        started = started and (ON_OFF_MIP_START or not index.integer_cols or bool(hints))
        initial = fallback.x if started and fallback is not None else None
        if is_mip and start is not None:
            started, initial = True, start
        if initial is not None:
            sol = highspy.HighsSolution()
            sol.col_value = _start(extras, initial[: base.ncol]).tolist()
            h.setSolution(sol)
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
        if not dis.add_violations(index, x) or rounds > MAX_ROUNDS:
            if out.status != "optimal" and fallback and fallback.objective < out.objective:
                return give_up()
            return Outcome(x, out.status, out.objective)
        if is_mip and out.status == "optimal":
            bound = float(h.getInfo().mip_dual_bound)
            settled = _settle(
                index,
                lp,
                out.x,
                bound=bound,
                mip_rel_gap=mip_rel_gap,
                deadline=deadline,
                stats=stats,
            )
            if settled is not None and settled.x is not None:
                return Outcome(settled.x[: base.ncol], "optimal", settled.objective)
        if is_mip:
            # A mixed-integer round broke disjunctions in new slots: where a rung does not
            # price energy (own production, wishes), burning it costs nothing, and growing
            # slot by slot took one MIP per round (4 instead of 1-2 at 144 slots).
            if index.integer_cols:
                dis.fill_all(p, index, only_touched=True, burning=True)
            else:
                # Without on/off units the next round starts from the rounded plan: the full
                # model at once beats growing it (loop benchmark, modulating heat pump +
                # dishwasher: the first rung's 4 MIP rounds -> 2, with the same binaries
                # in the end; 1.45 s -> 1.0 s per plan). Lazy disjunctions stay lazy.
                dis.fill_all(p, index, keep_lazy=True)
        if out.status != "optimal" or time.perf_counter() >= deadline:
            if fallback is None and is_mip:
                fallback = _repair_incumbent(index, h, lp, x=out.x, stats=stats)
            return give_up()
        if not is_mip and fallback is None:
            # each device's pattern near the relaxation (a shiftable run placed whole): often
            # within the gap of the relaxation's bound, else a start for the MIP
            fixed = _patterned(index, h, out.x, deadline=deadline, stats=stats, hints=hints)
            if fixed is not None and fixed.x is not None:
                if _proven(index, lp, fixed, out.objective, mip_rel_gap):
                    return Outcome(fixed.x[: base.ncol], "optimal", fixed.objective)
                fallback = _repair(index, h, lp, x=fixed.x, stats=stats)
                every = np.arange(lp.num_col_, dtype=np.int32)
                h.changeColsBounds(lp.num_col_, every, lp.col_lower_, lp.col_upper_)
                _run(h, False, stats)  # back at the relaxation's optimum for the dive
        if not is_mip:
            dived = _dive(
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
                greedy = any(getattr(d, "round_greedily", False) for d in index.disjunctions)
                rounding = _round_greedy if greedy else _repair
                fallback = rounding(index, h, lp, x=out.x, stats=stats)
            # An energy-burning split the relaxation broke gets every candidate slot, not
            # only the burn slots: the mixed-integer solve is indifferent to burning where
            # the rung does not price energy, broke it there and took a second round
            # (loop benchmark, entity-backed household at 12:00: 2 MIP rounds with 139 and
            # 360 binaries -> 1 with 220, 1.04 s -> 0.65 s; the other 31 problems and the
            # anchor scenarios kept their binaries and times).
            dis.fill_all(p, index, only_touched=True, burning=True)
        rounds += 1
        if rounds == MAX_ROUNDS:
            dis.fill_all(p, index)


class RelaxedLp:
    """One LP relaxation (no disjunctions) solved again, warm, as its objective changes and
    rungs are fixed: the lexicographic bounds of a ladder prefix in a few simplex passes
    instead of a cold LP each."""

    def __init__(
        self,
        base: BaseModel,
        index: Index,
        cost: FloatArray,
        *,
        fixed_rows: list[tuple[FloatArray, float]],
        deadline: float,
        stats: RunStats,
    ) -> None:
        t0 = time.perf_counter()
        lp = to_highs_lp(base, index, Extras(), cost, fixed_rows)
        lp.integrality_ = []
        self.ncol = base.ncol
        self.stats = stats
        self.h = _new_highs(deadline - time.perf_counter(), MIP_REL_GAP)
        self.h.passModel(lp)
        stats.build_s += time.perf_counter() - t0

    def solve(self) -> Outcome:
        return _run(self.h, False, self.stats)

    def set_cost(self, cost: FloatArray) -> None:
        self.h.changeColsCost(self.ncol, np.arange(self.ncol, dtype=np.int32), cost)

    def zero(self, cols: IntArray) -> None:
        """Hold ``cols`` at 0 (a met slack rung)."""
        zeros = np.zeros(len(cols))
        self.h.changeColsBounds(len(cols), cols.astype(np.int32), zeros, zeros)

    def add_row(self, row: tuple[FloatArray, float]) -> None:
        """``coef @ x <= bound`` (a rung fixed at its optimum)."""
        coef, bound = row
        nz = np.flatnonzero(coef).astype(np.int32)
        self.h.addRow(-highspy.kHighsInf, bound, len(nz), nz, coef[nz])


def solve_keeping_integers(
    base: BaseModel,
    index: Index,
    *,
    x: FloatArray,
    cost: FloatArray,
    fixed_rows: list[tuple[FloatArray, float]],
    deadline: float,
    stats: RunStats,
) -> Outcome:
    """Minimise ``cost`` over the plans that keep ``x``'s on/off decisions (its integer
    columns fixed), as LPs: the tie-break's solve. ``x`` is optimal for every rung above
    (``fixed_rows``) and so is whatever this returns, so proving the tie-break itself optimal
    over every on/off pattern (a mixed-integer solve of ~0.5 s at 144 slots) buys nothing but
    a different pick among equally good plans. Disjunctions the LP breaks are rounded
    (:func:`_repair`: a pick, not a search); if that fails, ``x`` itself is returned."""
    t0 = time.perf_counter()
    lp = to_highs_lp(base, index, Extras(), cost, fixed_rows)
    lp.integrality_ = []
    if index.integer_cols:
        cols = np.concatenate(index.integer_cols)
        lower = np.array(lp.col_lower_, dtype=np.float64)
        upper = np.array(lp.col_upper_, dtype=np.float64)
        lower[cols] = upper[cols] = np.round(x[cols])
        lp.col_lower_, lp.col_upper_ = lower, upper
    h = _new_highs(deadline - time.perf_counter(), MIP_REL_GAP)
    h.passModel(lp)
    stats.build_s += time.perf_counter() - t0
    kept = Outcome(x, "optimal", float(np.dot(np.asarray(lp.col_cost_), x)))
    out = _run(h, False, stats)
    if out.x is None or out.status != "optimal":
        return kept
    found = _repair(index, h, lp, x=out.x, stats=stats)
    if found is None or found.x is None or found.objective > kept.objective:
        return kept
    return Outcome(found.x, "optimal", found.objective)


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
