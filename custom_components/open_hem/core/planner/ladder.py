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
"""

from __future__ import annotations

from dataclasses import replace
import time

import numpy as np

from .builder import BaseModel
from .model import Index
from .problem import FloatArray, Problem, Rung
from .replan import WarmStart, integer_hints, seed_binaries
from .solve import Disjunctions, Outcome, RunStats, solve_relaxed

TIE_BREAK = "tie_break"
_SLACK_RUNGS = frozenset({Rung.GRID.value, Rung.WISHES.value, Rung.GRID_AWARE.value})
_ZERO = 1e-6
"""A slack rung at or below this (kWh, K·h) counts as met."""


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
    """Weights that make a met wish/limit cheaper than any cost of meeting it, usually."""
    price = float(np.max(np.abs(np.r_[p.import_price, p.export_price, 0.0]))) + 0.01
    wish = 10.0 * price + 1.0
    return {Rung.WISHES.value: wish, Rung.GRID.value: 100.0 * wish, Rung.GRID_AWARE.value: wish}


def _scaled(v: FloatArray) -> FloatArray:
    m = float(np.max(np.abs(v))) if v.size else 0.0
    return v if m == 0.0 else v / m


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

    def weighted(keys: list[str]) -> FloatArray:
        total = np.zeros(base.ncol)
        for key in keys[:-1]:
            total += raw[key] * weights[key]
        return _scaled(total + raw[keys[-1]])

    def fix(key: str, value: float) -> None:
        vec = _scaled(raw[key])
        scale = float(np.max(np.abs(raw[key]))) or 1.0
        bound = value + p.ladder.tolerance * max(abs(value), 1e-3)
        fixed.append((vec, bound / scale))

    def solve(cost: FloatArray, start: FloatArray | None = None) -> Outcome:
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
        )

    out = solve(weighted(_prefix(remaining)))
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
        nxt = solve(weighted(_prefix(remaining)), out.x)
        if nxt.x is None:
            out = Outcome(out.x, "time_limit", out.objective)
            break
        out = nxt
    values: dict[str, float] = {}
    if out.x is not None:
        values = {k: float(base.objective(k) @ out.x) for k in rung_keys(p)}
    return out, values, dis
