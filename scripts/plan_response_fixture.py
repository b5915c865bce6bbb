"""Write tests/fixtures/plan_response.json: a real plan in the form `open_hem.get_plan` returns.

The plan is made by Open HEM's own planner on the EMHASS anchor scenario
(tests/core/planner/fixtures/scenario_48h_15min.json: 48 h of NL prices from 2025-06-10 12:00,
PV, base load, a 10 kWh battery and an EV that needs 30 kWh), with one addition so the card has
a temperature to draw: a 2 kW heat pump in a 1R1C house kept at 20-22 °C (19-22 °C at night),
under the outdoor temperature of the simulated home's weather for those days (seed 0).

The response follows the planning loop's format: ``{"status", "created", "cost_eur",
"baseline_cost_eur", "unmet": [{"device", "wish", "shortfall", "reason"}], "slots": [{"start",
"end", "import_price", "export_price", "grid_w", "base_load_w", "pv_w", "devices": {name:
{"power_w", "soc_pct" | "indoor_c" | "tank_c"}}}]}``, power positive when drawn from the grid
side, pv_w the PV forecast. plan_response_with_baseline.json adds what the format may carry
later and the card already draws: per-slot ``baseline_grid_w`` and ``grid_limit_w``.

    .venv/bin/python scripts/plan_response_fixture.py
"""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta
import json
from pathlib import Path
from typing import Any

from open_hem_core.planner import (
    ComfortPeriod,
    HeatPump,
    Plan,
    Problem,
    ThermalHouse,
    comfort_band,
    load_scenario,
    plan,
)
from open_hem_core.sim import Weather

REPO = Path(__file__).resolve().parent.parent
SCENARIO = REPO / "tests" / "core" / "planner" / "fixtures" / "scenario_48h_15min.json"
FIXTURES = REPO / "tests" / "fixtures"


def problem() -> Problem:
    """The anchor scenario with a heat pump added."""
    anchor = load_scenario(SCENARIO)
    horizon = anchor.horizon
    weather = Weather(seed=0, timezone=horizon.timezone)
    step = timedelta(minutes=horizon.step_minutes)
    outdoor = [weather.outdoor_temperature(t + step / 2) for t in horizon.times_local()]
    low, high = comfort_band(
        horizon,
        [ComfortPeriod(time(7), 20.0, 22.0), ComfortPeriod(time(22, 30), 19.0, 22.0)],
    )
    house = ThermalHouse(
        ua_w_per_k=200.0,
        capacity_wh_per_k=8000.0,
        t_initial_c=20.5,
        comfort_low_c=low,
        comfort_high_c=high,
        gains_w=250.0,
    )
    pump = HeatPump("heat_pump", max_w=2000.0, thermal=house, cutoff_outdoor_c=None)
    return replace(anchor, heat_pumps=(pump,), outdoor_temp_c=outdoor)


def response(prob: Problem, result: Plan, *, extended: bool = False) -> dict[str, Any]:
    """The plan as `open_hem.get_plan` answers (``extended``: with baseline and limit)."""
    horizon = prob.horizon
    step = timedelta(minutes=horizon.step_minutes)
    pv_forecast = sum(inverter.forecast_w for inverter in prob.pv)
    slots = []
    for i, start in enumerate(horizon.times_local()):
        devices: dict[str, dict[str, float]] = {}
        for device in result.devices:
            values = {"power_w": round(float(device.power_w[i]), 1)}
            if device.kind == "battery" and device.state is not None:
                values["soc_pct"] = round(float(device.state[-horizon.slots :][i]) * 100, 2)
            if device.kind == "heat_pump" and device.state is not None:
                values["indoor_c"] = round(float(device.state[i]), 2)
            devices[device.name] = values
        slot: dict[str, Any] = {
            "start": start.isoformat(),
            "end": (start + step).astimezone(horizon.tz).isoformat(),
            "import_price": round(float(prob.import_price[i]), 6),  # type: ignore[index]
            "export_price": round(float(prob.export_price[i]), 6),  # type: ignore[index]
            "grid_w": round(float(result.import_w[i] - result.export_w[i]), 1),
            "base_load_w": round(float(prob.base_load_w[i]), 1),  # type: ignore[index]
            "pv_w": round(float(pv_forecast[i]), 1),  # type: ignore[index]
            "devices": devices,
        }
        if extended:
            baseline = result.baseline.import_w[i] - result.baseline.export_w[i]
            slot["baseline_grid_w"] = round(float(baseline), 1)
        slots.append(slot)
    answer: dict[str, Any] = {
        "status": result.status,
        "created": horizon.start.isoformat(),
        "cost_eur": round(result.cost.total_eur, 4),
        "baseline_cost_eur": round(result.baseline.cost.total_eur, 4),
        "unmet": [
            {
                "device": wish.device,
                "wish": wish.kind,
                "shortfall": round(wish.shortfall, 3),
                "reason": wish.reason,
            }
            for wish in result.unmet
        ],
        "slots": slots,
    }
    if extended:
        answer["grid_limit_w"] = {
            "import": prob.grid.fuse_import_w,
            "export": prob.grid.fuse_export_w,
        }
    return answer


def main() -> None:
    """Plan and write both fixtures."""
    prob = problem()
    result = plan(prob)
    for name, extended in (("plan_response", False), ("plan_response_with_baseline", True)):
        path = FIXTURES / f"{name}.json"
        text = json.dumps(response(prob, result, extended=extended), indent=1)
        path.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {path} ({result.status}, EUR {result.cost.total_eur:.4f})")


if __name__ == "__main__":
    main()
