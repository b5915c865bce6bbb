"""The public entry point: :func:`plan` (synchronous; run it in an executor)."""

from __future__ import annotations

from datetime import datetime
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .baseline import baseline
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
from .solve import RunStats, net_grid

_WH_TOL = 0.5  # Wh: below this an energy wish counts as met
_K_TOL = 1e-3  # K


def plan(problem: Problem, *, time_limit_s: float = 10.0, full_binaries: bool = False) -> Plan:
    """Plan ``problem``: an optimal plan under the ladder, or the best found in time.

    Never raises for a wish that cannot be met (it is relaxed and reported in ``unmet``);
    malformed input is rejected when the :class:`Problem` is built. ``full_binaries`` puts a
    binary in every slot up front (the textbook model; for verification, slower).
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    stats = RunStats()
    base_model, index = build(problem)
    stats.build_s += time.perf_counter() - t0
    out, values = lexicographic(
        problem, base_model, index, deadline, stats, full_binaries=full_binaries
    )
    ref = baseline(problem)
    if out.x is None:
        return _from_baseline(problem, ref, stats)
    x = net_grid(problem, index, out.x)
    return _extract(
        problem, index=index, x=x, status=out.status, ref=ref, stats=stats, values=values
    )


def _runs(mask: NDArray[Any]) -> list[tuple[int, int]]:
    """[start, end) runs where ``mask`` is true."""
    m = np.r_[False, mask.astype(bool), False]
    d = np.flatnonzero(np.diff(m.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(d[::2], d[1::2], strict=True)]


def _hhmm(p: Problem, a: int, b: int) -> str:
    times = p.horizon.times_local()
    end = p.horizon.start.astimezone(p.horizon.tz) if b == 0 else None
    last = times[b - 1] if end is None else end
    stop = last.timestamp() + p.horizon.step_minutes * 60
    stop_t = datetime.fromtimestamp(stop, tz=p.horizon.tz)
    return f"{times[a]:%H:%M}-{stop_t:%H:%M}"


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
    devices: list[DevicePlan] = []
    unmet: list[UnmetWish] = []
    wear = stored = 0.0

    for bat, bc in zip(p.batteries, index.batteries, strict=True):
        c, d = x[bc.charge], x[bc.discharge]
        soc = x[bc.energy[1:]] / bat.capacity_wh
        devices.append(DevicePlan(bat.name, "battery", c - d, soc, "fraction"))
        wear += float(d.sum()) * dt / 1000 * bat.wear_cost_eur_per_kwh
        stored += float(soc[-1]) * bat.capacity_wh / 1000 * bat.stored_energy_value_eur_per_kwh
        short = float(x[bc.end_short[0]])
        if bat.soc_final is not None and short > _WH_TOL:
            unmet.append(
                UnmetWish(
                    bat.name,
                    "battery_end_soc",
                    bat.soc_final,
                    float(soc[-1]),
                    bat.soc_final - float(soc[-1]),
                    "fraction",
                    "grid limit" if grid_first and at_limit.any() else "charge power too low",
                )
            )

    for ev, ec in zip(p.evs, index.evs, strict=True):
        power = x[ec.charge] - (0.0 if ec.discharge is None else x[ec.discharge])
        devices.append(DevicePlan(ev.name, "ev", power, np.cumsum(power) * dt, "Wh"))
        short = float(x[ec.short[0]])
        if short > _WH_TOL:
            reachable = float(ec.ub.sum()) * dt
            s, e = ev.window(n)
            if reachable < ev.energy_wh - _WH_TOL:
                why = (
                    f"not enough PV surplus while plugged in (at most {reachable / 1000:.2f} kWh)"
                    if ev.solar_only
                    else "car not available long enough at max power "
                    f"(at most {reachable / 1000:.2f} kWh in the window)"
                )
            elif grid_first and at_limit[s:e].any():
                why = "grid limit"
            else:
                why = "a higher rung of the priority ladder"
            unmet.append(
                UnmetWish(
                    ev.name,
                    "ev_energy",
                    ev.energy_wh,
                    ev.energy_wh - short,
                    short,
                    "Wh",
                    why,
                    (s, e),
                )
            )

    out = p.outdoor
    for hp, hc in zip(p.heat_pumps, index.heat_pumps, strict=True):
        power = x[hc.power]
        temp = x[hc.temp[1:]]
        devices.append(DevicePlan(hp.name, "heat_pump", power, temp, "degC"))
        below, above = x[hc.below], x[hc.above]
        _, _, _, _, low, high = hp.thermal_arrays(n, out)
        allowed = hp.allowed(out)
        for a, b in _runs(below > _K_TOL):
            lead = slice(max(0, a - 8), b)  # heating in the slots just before counts too
            if (allowed[lead] == 0).any():
                why = "heating not allowed (outdoor temperature above the cut-off)"
            elif grid_first and at_limit[lead].any():
                why = "grid limit"
            elif (power[lead] >= hc.ub[lead] - 1.0).all():
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
                    f"outside comfort band at {_hhmm(p, a, b)} because {why}",
                    (a, b),
                )
            )
        for a, b in _runs(above > _K_TOL):
            unmet.append(
                UnmetWish(
                    hp.name,
                    "comfort_high",
                    float(high[a:b].min()),
                    float(temp[a:b].max()),
                    float(above[a:b].sum()) * dt,
                    "K*h",
                    f"above comfort band at {_hhmm(p, a, b)} because of gains or the start "
                    "temperature (the heat pump cannot cool)",
                    (a, b),
                )
            )

    for inv, u in zip(p.pv, index.pv, strict=True):
        used = x[u]
        devices.append(DevicePlan(inv.name, "pv", -used, None, None, inv.forecast_w - used))

    for kind, lim, flow in (("grid_import", lim_imp, imp), ("grid_export", lim_exp, exp)):
        over = flow - lim
        for a, b in _runs(over > 1.0):
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
                    f"{why} at {_hhmm(p, a, b)}",
                    (a, b),
                )
            )

    imp_eur, exp_eur = grid_cost(
        imp, exp, np.asarray(p.import_price), np.asarray(p.export_price), dt
    )
    return Plan(
        status=status,
        slot_start=tuple(p.horizon.times_utc()),
        import_w=imp,
        export_w=exp,
        devices=tuple(devices),
        cost=CostBreakdown(imp_eur, exp_eur, wear, stored),
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
