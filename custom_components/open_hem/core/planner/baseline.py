"""The baseline plan: what the house does without the planner (a straight simulation).

Each device simulates its own behaviour (``DeviceModel.baseline``: the EV charges at full
power from plug-in, the battery stores PV surplus, the heat pump follows a thermostat, PV is
curtailed only where the export fuse demands it), in ``baseline_rank`` order so that each
sees the loads before it. Computed with every plan so its saving is known.
"""

from __future__ import annotations

import numpy as np

from .device import BaselineState, DeviceResult
from .model import device_models
from .plan import BaselineSummary, CostBreakdown, grid_cost
from .problem import Problem


def baseline(p: Problem) -> BaselineSummary:
    n, dt = p.n, p.horizon.dt_h
    devices = device_models(p)
    production = np.zeros(n)
    curtailable = np.zeros(n)
    for dev in devices:
        prod = dev.production_w(n)
        if prod is None:
            continue
        production += prod
        fixed = dev.fixed_production_w(n)
        curtailable += prod if fixed is None else prod - fixed
    sim = BaselineState(p, production, curtailable)
    results: dict[int, DeviceResult] = {}
    for i in sorted(range(len(devices)), key=lambda i: devices[i].baseline_rank):
        results[i] = devices[i].baseline(sim)
    parts = [results[i] for i in range(len(devices))]  # back in the problem's order

    net = sim.net_w()
    imp = np.maximum(net, 0.0)
    exp = np.maximum(-net, 0.0) - sim.export_cut_w()
    lim_imp, lim_exp = p.grid.limits(n)
    meets_limits = bool(np.all(imp <= lim_imp + 1e-6) and np.all(exp <= lim_exp + 1e-6))
    imp_eur, exp_eur = grid_cost(
        imp, exp, np.asarray(p.import_price), np.asarray(p.export_price), dt
    )
    wear = stored = 0.0
    for part in parts:
        wear += part.wear_eur
        stored += part.stored_eur
    capacity = 0.0
    if p.capacity_tariff is not None:
        capacity, _ = p.capacity_tariff.cost_eur(p.horizon, imp)
    return BaselineSummary(
        CostBreakdown(imp_eur, exp_eur, wear, stored, capacity),
        meets_limits,
        all(part.wishes_met for part in parts),
        imp,
        exp,
        tuple(part.plan for part in parts),
    )
