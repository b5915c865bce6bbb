"""The baseline plan: what the house does without the planner (a straight simulation).

EV charges at full power from plug-in until its energy is delivered (``solar_only``: at the
PV surplus); the battery only stores PV surplus and discharges to cover the remaining load;
the heat pump follows a thermostat at the lower edge of its comfort band (modulating, at
least ``min_w`` when on, never above the outdoor cut-off); PV is only curtailed where the
export fuse demands it. Computed with every plan so its saving is known.
"""

from __future__ import annotations

import math

import numpy as np

from .plan import BaselineSummary, CostBreakdown, DevicePlan, grid_cost
from .problem import Problem

_TOL = 1e-6


def thermal_coefficients(ua: float, cap: float, dt: float) -> tuple[float, float]:
    """(a, gain) of ``T[t+1] = a*T[t] + gain*(COP*P + UA*T_amb + gains)`` (exact for steps)."""
    if ua > 0:
        a = math.exp(-ua * dt / cap)
        return a, (1.0 - a) / ua
    return 1.0, dt / cap


def baseline(p: Problem) -> BaselineSummary:
    n, dt = p.n, p.horizon.dt_h
    base = np.asarray(p.base_load_w, dtype=np.float64)
    out = p.outdoor
    pv = np.zeros(n)
    for inv in p.pv:
        pv += inv.forecast_w
    devices: list[DevicePlan] = []
    meets_wishes = True
    load = base.copy()

    for hp in p.heat_pumps:
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
        meets_wishes &= bool(np.all(temp[1:] >= low - _TOL) and np.all(temp[1:] <= high + _TOL))
        load += power
        devices.append(DevicePlan(hp.name, "heat_pump", power, temp[1:], "degC"))

    for ev in p.evs:
        w0, w1 = ev.window(n)
        power = np.zeros(n)
        left = ev.energy_wh
        for t in range(w0, w1):
            cap_w = ev.max_w if not ev.solar_only else min(ev.max_w, max(0.0, pv[t] - load[t]))
            if cap_w < ev.min_w or left <= _TOL:
                continue
            pw = min(cap_w, left / dt)
            pw = max(pw, ev.min_w)  # may overshoot the target by less than one slot at min_w
            power[t] = pw
            left -= pw * dt
        meets_wishes &= abs(left) <= 1e-3
        load += power
        devices.append(DevicePlan(ev.name, "ev", power, np.cumsum(power) * dt, "Wh"))

    net = load - pv
    for bat in p.batteries:
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
        if bat.soc_final is not None:
            meets_wishes &= bool(soc[-1] >= bat.soc_final - 1e-9)
        net = net + power
        devices.append(DevicePlan(bat.name, "battery", power, soc, "fraction"))

    imp = np.maximum(net, 0.0)
    exp = np.maximum(-net, 0.0)
    # the export fuse: curtail (curtailable) PV, proportionally over inverters
    over = np.maximum(0.0, exp - p.grid.fuse_export_w)
    curtailable = np.zeros(n)
    for inv in p.pv:
        if inv.curtailable:
            curtailable += inv.forecast_w
    cut = np.minimum(over, curtailable)
    exp -= cut
    for inv in p.pv:
        share = np.divide(
            inv.forecast_w * inv.curtailable,
            curtailable,
            out=np.zeros(n),
            where=curtailable > 0,
        )
        devices.append(
            DevicePlan(inv.name, "pv", -(inv.forecast_w - cut * share), None, None, cut * share)
        )
    lim_imp, lim_exp = p.grid.limits(n)
    meets_limits = bool(np.all(imp <= lim_imp + 1e-6) and np.all(exp <= lim_exp + 1e-6))
    imp_eur, exp_eur = grid_cost(
        imp, exp, np.asarray(p.import_price), np.asarray(p.export_price), dt
    )
    wear = 0.0
    stored = 0.0
    for bat, dev in zip(p.batteries, [d for d in devices if d.kind == "battery"], strict=True):
        wear += float(np.sum(np.maximum(-dev.power_w, 0.0))) * dt / 1000 * bat.wear_cost_eur_per_kwh
        assert dev.state is not None
        stored += (
            float(dev.state[-1]) * bat.capacity_wh / 1000 * bat.stored_energy_value_eur_per_kwh
        )
    order = {"heat_pump": 2, "ev": 1, "battery": 0, "pv": 3}
    devices.sort(key=lambda d: order[d.kind])
    return BaselineSummary(
        CostBreakdown(imp_eur, exp_eur, wear, stored),
        meets_limits,
        meets_wishes,
        imp,
        exp,
        tuple(devices),
    )
