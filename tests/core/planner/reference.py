"""An independent reference for anchor-schema scenarios: the file's ``semantics`` and ``cost``
written straight into highspy's modelling API (binaries in every slot, gap 0). Shares no code
with the planner; used to check the planner's cost where the anchor has no reference."""

from __future__ import annotations

from typing import Any

import highspy


def reference_optimum(sc: dict[str, Any], variant: str) -> tuple[float, float]:
    """(optimal ``cost`` in EUR, the peak import in W) of a scenario in the anchor schema
    without ``shiftable_loads``."""
    n, dt = int(sc["slots"]), int(sc["step_minutes"]) / 60.0
    pi, pe = sc["import_price_eur_per_kwh"], sc["export_price_eur_per_kwh"]
    pv, load = sc["pv_forecast_w"], sc["base_load_forecast_w"]
    lim = sc["grid_limit_w"]
    b, ev = sc["battery"], sc["ev"]
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    cap = b["capacity_wh"]
    ct = sc.get("capacity_tariff")
    peak = h.addVariable(lb=ct["peak_so_far_w"] if ct else 0.0, ub=1e9)
    objective = (ct["eur_per_kw"] / 1000.0 if ct else 0.0) * peak
    soc = cap * b["soc_initial"]
    a, z = ev["available_from_slot"], ev["deadline_slot_exclusive"]
    ev_energy = 0.0
    for t in range(n):
        imp = h.addVariable(lb=0.0, ub=lim["import"])
        exp = h.addVariable(lb=0.0, ub=lim["export"])
        g = h.addVariable(type=highspy.HighsVarType.kInteger, lb=0, ub=1)
        h.addConstr(imp <= lim["import"] * g)
        h.addConstr(exp <= lim["export"] * (1 - g))
        c = h.addVariable(lb=0.0, ub=b["max_charge_w"])
        d = h.addVariable(lb=0.0, ub=b["max_discharge_w"])
        y = h.addVariable(type=highspy.HighsVarType.kInteger, lb=0, ub=1)
        h.addConstr(c <= b["max_charge_w"] * y)
        h.addConstr(d <= b["max_discharge_w"] * (1 - y))
        used = h.addVariable(lb=0.0, ub=pv[t])
        on = a <= t < z
        e = h.addVariable(lb=0.0, ub=ev["max_w"] if on else 0.0)
        if on and variant == "milp":
            u = h.addVariable(type=highspy.HighsVarType.kInteger, lb=0, ub=1)
            h.addConstr(e <= ev["max_w"] * u)
            h.addConstr(e >= ev["min_w_when_on_milp_variant"] * u)
        h.addConstr(imp - exp == load[t] + e + c - d - used)
        soc = soc + (b["charge_efficiency"] * c - d / b["discharge_efficiency"]) * dt
        s = h.addVariable(lb=b["soc_min"] * cap, ub=b["soc_max"] * cap)
        h.addConstr(s == soc)
        soc = s
        h.addConstr(imp <= peak)
        ev_energy = ev_energy + e * dt
        objective = objective + (pi[t] * imp - pe[t] * exp) * (dt / 1000.0)
    h.addConstr(soc >= b["soc_final"] * cap)
    h.addConstr(ev_energy == ev["energy_wh"])
    h.minimize(objective)
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value), float(h.val(peak))
