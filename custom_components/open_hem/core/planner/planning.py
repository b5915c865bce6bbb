"""The public entry point: :func:`plan` (synchronous; run it in an executor), and the plan
it returns: each device reports its part, the grid's limits are reported here."""

from __future__ import annotations

from dataclasses import replace
import time

import numpy as np

from .baseline import baseline
from .device import ReportContext, runs
from .ladder import lexicographic
from .model import Index, build
from .plan import (
    BaselineSummary,
    CostBreakdown,
    DevicePlan,
    Plan,
    SolveFigures,
    UnmetWish,
    grid_cost,
    slot_cost,
)
from .problem import FloatArray, Problem, Rung
from .replan import capture
from .solve import RunStats, net_grid


def plan(
    problem: Problem,
    *,
    time_limit_s: float = 10.0,
    full_binaries: bool = False,
    previous: Plan | None = None,
) -> Plan:
    """Plan ``problem``: an optimal plan under the ladder, or the best found in time.

    Never raises for a wish that cannot be met (it is relaxed and reported in ``unmet``);
    malformed input is rejected when the :class:`Problem` is built. ``full_binaries`` puts a
    binary in every slot up front (the textbook model; for verification, slower).
    ``previous``: the last plan of the same household, when replanning (a horizon slid by a
    slot or more): the solve starts from what it knows (``replan.py``); the result is as
    exact as without it.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    stats = RunStats()
    base_model, index = build(problem)
    stats.build_s += time.perf_counter() - t0
    warm = None if previous is None else previous.warm_start
    out, values, dis = lexicographic(
        problem, base_model, index, deadline, stats, full_binaries=full_binaries, warm=warm
    )
    ref = baseline(problem)
    if out.x is None:
        return _from_baseline(problem, ref, stats)
    x = net_grid(problem, index, out.x)
    result = _extract(
        problem, index=index, x=x, status=out.status, ref=ref, stats=stats, values=values
    )
    return replace(result, warm_start=capture(problem, index, dis.slots, out.x))


def _extract(
    p: Problem,
    *,
    index: Index,
    x: FloatArray,
    status: str,
    ref: BaselineSummary,
    stats: RunStats,
    values: dict[str, float],
) -> Plan:
    n, dt = p.n, p.horizon.dt_h
    imp, exp = x[index.imp], x[index.exp]
    lim_imp, lim_exp = p.grid.limits(n)
    at_limit = (imp >= lim_imp - 1.0) | (imp >= index.fuse_imp - 1.0)
    order = list(p.ladder.order)
    grid_first = order.index(Rung.GRID) < order.index(Rung.WISHES)
    ctx = ReportContext(p, n, dt, p.outdoor, grid_first, at_limit)
    devices: list[DevicePlan] = []
    unmet: list[UnmetWish] = []
    wear = stored = 0.0
    for dev in index.devices:
        part = dev.report(x, ctx)
        devices.append(part.plan)
        unmet += part.unmet
        wear += part.wear_eur
        stored += part.stored_eur

    for kind, lim, flow in (("grid_import", lim_imp, imp), ("grid_export", lim_exp, exp)):
        over = flow - lim
        for a, b in runs(over > 1.0):
            why = (
                "load the plan cannot shift exceeds the limit"
                if grid_first
                else "wishes rank above the grid limit in the priority ladder"
            )
            unmet.append(
                UnmetWish(
                    "grid",
                    kind,
                    float(lim[a:b].min()),
                    float(flow[a:b].max()),
                    float(over[a:b].clip(0).sum()) * dt,
                    "Wh",
                    f"{why} at {ctx.span(a, b)}",
                    (a, b),
                )
            )

    imp_eur, exp_eur = grid_cost(
        imp, exp, np.asarray(p.import_price), np.asarray(p.export_price), dt
    )
    capacity, peak = 0.0, None
    if p.capacity_tariff is not None:
        capacity, peak = p.capacity_tariff.cost_eur(p.horizon, imp)
    return Plan(
        status=status,
        slot_start=tuple(p.horizon.times_utc()),
        import_w=imp,
        export_w=exp,
        devices=tuple(devices),
        cost=CostBreakdown(imp_eur, exp_eur, wear, stored, capacity),
        month_peak_w=peak,
        baseline=ref,
        unmet=tuple(unmet),
        figures=SolveFigures(
            stats.build_s, stats.solve_s, stats.solves, stats.binaries, stats.mip_gap, values
        ),
        slot_cost_eur=slot_cost(
            imp, exp, np.asarray(p.import_price), np.asarray(p.export_price), dt
        ),
    )


def _from_baseline(p: Problem, ref: BaselineSummary, stats: RunStats) -> Plan:
    return Plan(
        status="baseline",
        slot_start=tuple(p.horizon.times_utc()),
        import_w=ref.import_w,
        export_w=ref.export_w,
        devices=ref.devices,
        cost=ref.cost,
        month_peak_w=None
        if p.capacity_tariff is None
        else p.capacity_tariff.cost_eur(p.horizon, ref.import_w)[1],
        baseline=ref,
        unmet=(),
        figures=SolveFigures(stats.build_s, stats.solve_s, stats.solves, stats.binaries, 0.0),
        slot_cost_eur=slot_cost(
            ref.import_w,
            ref.export_w,
            np.asarray(p.import_price),
            np.asarray(p.export_price),
            p.horizon.dt_h,
        ),
    )
