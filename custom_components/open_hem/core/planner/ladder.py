"""The priority ladder as a true lexicographic order.

Rung objectives (all minimised, natural units):

- GRID: kWh above the soft grid limits (the fuse itself is a hard bound).
- WISHES: kWh of EV energy short of its target + K·h outside a comfort band + kWh of battery
  energy short of ``soc_final``.
- GRID_AWARE (optional, below WISHES): kWh imported in the netbewust window above the home's
  inflexible net load.
- OWN_PRODUCTION: kWh of own PV not used in the home (exported or curtailed).
- COST: EUR (import - export + capacity tariff + wear - value of stored energy at the end).
- tie-break (optional, always last): a per-household pseudo-random preference over slots.

Algorithm. GRID, WISHES and GRID_AWARE are *slack rungs*: their value is >= 0 and 0 means "met".
Let the *prefix* be the remaining rungs up to and including the first non-slack one. Solve the
prefix with weights (higher rungs heavier). Walk down: a slack rung that is zero in that
solution is at its optimum, so it is fixed there (a constraint ``value <= tiny``) and the
solution stays optimal for the rest of the prefix; a slack rung that is not zero is solved on
its own and fixed at its optimum (with ``Ladder.tolerance`` relative slack); when the prefix is
a single rung the solution is optimal for it alone, so it is fixed and the next prefix is
solved. The weights therefore only decide how many solves are needed, never the result, and a
lower rung never buys anything from a higher one. In the common case (every wish and limit can
be met, cost last) a single solve suffices.

The same argument merges own production with cost right below it (the grid-aware default),
where it would take two mixed-integer solves of ~0.5 s each at 144 slots: the LP relaxation
gives own production's bound; one solve weights own production above cost; if the solution
meets the prefix's slack rungs and reaches that bound, no plan does better on own production
and none that does as well is cheaper (the MIP gap is set for the cost's share of the merged
objective). Otherwise the rungs are solved in turn as above.

The tie-break picks among plans equal on every rung, so it keeps the on/off decisions of the
plan above it and is solved as LPs (``solve.solve_keeping_integers``): proving it optimal over
every on/off pattern cost a third mixed-integer solve and changed no rung.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
import time

import numpy as np

from .builder import BaseModel
from .model import Index
from .problem import FloatArray, Problem, Rung
from .replan import WarmStart, integer_hints, seed_binaries
from .solve import (
    MIP_REL_GAP,
    Disjunctions,
    Outcome,
    RelaxedLp,
    RunStats,
    solve_keeping_integers,
    solve_relaxed,
)

TIE_BREAK = "tie_break"
_SLACK_RUNGS = frozenset({Rung.GRID.value, Rung.WISHES.value, Rung.GRID_AWARE.value})
_ZERO = 1e-6
"""A slack rung at or below this (kWh, K·h) counts as met."""
MERGE_OWN_PRODUCTION = True
"""Whether own production and cost right below it are tried in one solve (see
:func:`lexicographic`); off, they are always solved in turn (the tests compare both)."""
MIN_REL_GAP = 1e-7
"""The tightest MIP gap asked of HiGHS (a merged solve's gap shrinks with the last rung's
share of its objective)."""


def rung_keys(p: Problem) -> list[str]:
    keys = [r.value for r in p.ladder.order]
    if p.ladder.tie_break_seed is not None:
        keys.append(TIE_BREAK)
    return keys


def _prefix(remaining: list[str]) -> list[str]:
    for i, key in enumerate(remaining):
        if key not in _SLACK_RUNGS:
            return remaining[: i + 1]
    return list(remaining)


def _weights(p: Problem) -> dict[str, float]:
    """Weights that make a met wish/limit cheaper than any cost of meeting it, and a kWh of
    own production kept worth more than any price difference, usually."""
    price = float(np.max(np.abs(np.r_[p.import_price, p.export_price, 0.0]))) + 0.01
    wish = 10.0 * price + 1.0
    return {
        Rung.WISHES.value: wish,
        Rung.GRID.value: 100.0 * wish,
        Rung.GRID_AWARE.value: wish,
        Rung.OWN_PRODUCTION.value: 2.0 * price,
    }


def _scaled(v: FloatArray) -> FloatArray:
    m = float(np.max(np.abs(v))) if v.size else 0.0
    return v if m == 0.0 else v / m


def _fix_row(raw: FloatArray, value: float, tolerance: float) -> tuple[FloatArray, float]:
    """The row that keeps rung ``raw`` at ``value`` (with ``tolerance`` relative slack)."""
    scale = float(np.max(np.abs(raw))) or 1.0
    bound = value + tolerance * max(abs(value), 1e-3)
    return _scaled(raw), bound / scale


def _relaxation_bounds(
    base: BaseModel,
    index: Index,
    pre: list[str],
    *,
    raw: dict[str, FloatArray],
    weighted: Callable[[list[str]], FloatArray],
    fixed: list[tuple[FloatArray, float]],
    deadline: float,
    stats: RunStats,
    tolerance: float,
) -> tuple[dict[str, float], FloatArray] | None:
    """The LP relaxation's lexicographic optimum over the prefix: a lower bound for each of
    its rungs in turn (what no plan can beat), and that LP solution. Like the ladder itself:
    a slack rung met in the weighted relaxation is 0 without another LP; one that is not
    gets an LP of its own (a car that cannot be full in time)."""
    lp = RelaxedLp(base, index, weighted(pre), fixed_rows=fixed, deadline=deadline, stats=stats)
    bounds: dict[str, float] = {}
    keys = list(pre)
    relaxed = lp.solve()
    while relaxed.x is not None:
        key = keys.pop(0)
        value = float(raw[key] @ relaxed.x)
        if not keys:
            bounds[key] = value
            return bounds, relaxed.x
        if value <= _ZERO:
            bounds[key] = 0.0
            lp.zero(np.flatnonzero(raw[key]))
            continue
        lp.set_cost(_scaled(raw[key]))
        alone = lp.solve()
        if alone.x is None:
            return None
        bounds[key] = float(raw[key] @ alone.x)
        lp.add_row(_fix_row(raw[key], bounds[key], tolerance))
        lp.set_cost(weighted(keys))
        relaxed = lp.solve()
    return None


def lexicographic(
    p: Problem,
    base: BaseModel,
    index: Index,
    deadline: float,
    stats: RunStats,
    *,
    full_binaries: bool = False,
    warm: WarmStart | None = None,
) -> tuple[Outcome, dict[str, float], Disjunctions]:
    """Solve the ladder; returns the final outcome, each rung's value and the slots that got
    binaries. ``warm`` (replanning): the previous plan's binary slots and on/off patterns."""
    # met slack rungs are fixed by zeroing their slack columns (exact, no tolerance)
    base = replace(base, col_upper=base.col_upper.copy())
    dis = Disjunctions.empty(index)
    if full_binaries:
        dis.fill_all(p, index)
    hints = None
    if warm is not None:
        seeded = seed_binaries(p, index, warm)
        if seeded is not None:
            for mine, old in zip(dis.slots, seeded, strict=True):
                mine.update(old)
        hints = integer_hints(p, index, warm) or None
    remaining = rung_keys(p)
    raw = {k: base.objective(k) for k in remaining}
    weights = _weights(p)
    fixed: list[tuple[FloatArray, float]] = []

    def combined(keys: list[str]) -> FloatArray:
        """The rungs' weighted sum, the last one unweighted."""
        total = raw[keys[-1]].copy()
        for key in keys[:-1]:
            total += raw[key] * weights[key]
        return total

    def weighted(keys: list[str]) -> FloatArray:
        return _scaled(combined(keys))

    def fix(key: str, value: float) -> None:
        fixed.append(_fix_row(raw[key], value, p.ladder.tolerance))

    def solve(
        cost: FloatArray, start: FloatArray | None = None, gap: float = MIP_REL_GAP
    ) -> Outcome:
        return solve_relaxed(
            p,
            base,
            index,
            dis,
            cost=cost,
            fixed_rows=fixed,
            deadline=deadline,
            stats=stats,
            hints=hints,
            start=start,
            mip_rel_gap=gap,
        )

    def merged(pre: list[str]) -> tuple[Outcome, dict[str, float]] | None:
        """Own production and cost right below it (the grid-aware default) in one solve,
        kept if every rung of the prefix reaches its bound from the relaxation: nothing can
        beat them there, and among the plans that reach them the solution is the cheapest
        (within the gap, which is set for the cost alone). None if not: then the rungs are
        solved in turn. Returns the solution and the prefix's bounds."""
        rest = remaining[len(pre) :]
        if not MERGE_OWN_PRODUCTION or pre[-1] != Rung.OWN_PRODUCTION.value:
            return None
        if rest[:1] != [Rung.COST.value]:
            return None
        found = _relaxation_bounds(
            base,
            index,
            pre,
            raw=raw,
            weighted=weighted,
            fixed=fixed,
            deadline=deadline,
            stats=stats,
            tolerance=p.ladder.tolerance,
        )
        if found is None:
            return None
        bounds, relaxed = found
        keys = [*pre, Rung.COST.value]
        # the cost's own MIP gap, as a share of the merged objective
        whole = abs(float(combined(keys) @ relaxed))
        last = abs(float(raw[keys[-1]] @ relaxed))
        share = min(1.0, last / whole) if whole > 0 else 1.0
        out = solve(weighted(keys), gap=max(MIP_REL_GAP * share, MIN_REL_GAP))
        if out.status == "time_limit" and out.x is not None:
            return out, {}  # no time for more: the best plan found
        if out.x is None or out.status != "optimal":
            return None
        for key in pre:
            b = bounds[key]
            reach = _ZERO if b == 0.0 else b + MIP_REL_GAP * max(abs(b), 1e-3)
            if float(raw[key] @ out.x) > reach:
                return None
        return out, bounds

    pre = _prefix(remaining)
    both = merged(pre)
    if both is None:
        out = solve(weighted(pre))
    elif both[0].status == "time_limit":
        out = both[0]
    else:
        out, bounds = both
        assert out.x is not None
        for key in pre:
            if bounds[key] == 0.0:  # a met slack rung
                base.col_upper[np.flatnonzero(raw[key])] = 0.0
            else:
                fix(key, float(raw[key] @ out.x))
        del remaining[: len(pre)]
    while out.x is not None and len(remaining) > 1:
        pre = _prefix(remaining)
        top = remaining.pop(0)
        value = float(raw[top] @ out.x)
        if len(pre) > 1 and value <= _ZERO:
            # a met slack rung: at its optimum, and ``out`` stays optimal for the rest
            base.col_upper[np.flatnonzero(raw[top])] = 0.0
            continue
        if time.perf_counter() >= deadline:
            out = Outcome(out.x, "time_limit", out.objective)
            break
        if len(pre) > 1:
            # a slack rung the weighted solve did not meet: minimise it on its own
            best = solve(_scaled(raw[top]))
            if best.x is None:
                break  # keep the weighted solution (time limit)
            # Even when the weighted solution already reaches this optimum, the rest is
            # re-solved: its MIP gap was relative to an objective that includes this rung's
            # penalty, too loose for the rungs below.
            out, value = best, float(raw[top] @ best.x)
        fix(top, value)
        if remaining == [TIE_BREAK]:
            # the last pick among plans equal on every rung: keep the on/off decisions
            assert out.x is not None
            out = solve_keeping_integers(
                base,
                index,
                x=out.x,
                cost=_scaled(raw[TIE_BREAK]),
                fixed_rows=fixed,
                deadline=deadline,
                stats=stats,
            )
            break
        nxt = solve(weighted(_prefix(remaining)), out.x)
        if nxt.x is None:
            out = Outcome(out.x, "time_limit", out.objective)
            break
        out = nxt
    values: dict[str, float] = {}
    if out.x is not None:
        values = {k: float(base.objective(k) @ out.x) for k in rung_keys(p)}
    return out, values, dis
