"""The planning loop's problem alone: all four devices (+ a shiftable appliance) over 36 h.

    python -m benchmarks.planner.loop_cycle [--reps 5] [--json]

The household of ``benchmarks/loop`` as the planner sees it: battery (10 kWh / 5 kW), EV
(11 kW, 24 kWh by slot 41), heat pump (2 kW, minimum run 2 slots and pause 1 slot, in a
1R1C house kept at 19.5-21.5 C; or the same modulating), PV (3 kW, curtailable), 144
quarter hours with a day and a night of prices; ladders grid-aware (grid > wishes > own
production > cost > tie-break) and cheapest (grid > wishes > cost). With ``+ appliance`` a
dishwasher (1.8 kW x 8 slots, between 20:00 and 07:00) joins. Wall and CPU time (the process's;
the box is shared, so CPU time is the steadier figure) per cold
``plan()``, median of ``--reps``, with the HiGHS runs, mixed-integer solves and binaries.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
import json
import statistics
import time
from typing import Any

import numpy as np

from benchmarks.machine import describe
from open_hem_core.planner import (
    Battery,
    EVCharger,
    GridConnection,
    HeatPump,
    Horizon,
    Ladder,
    Problem,
    ProfilePart,
    PVInverter,
    Rung,
    ShiftableLoad,
    ThermalHouse,
    plan,
    solve as solve_module,
)

N = 144
START = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
LADDERS = {
    "grid_aware": Ladder(
        (Rung.GRID, Rung.WISHES, Rung.OWN_PRODUCTION, Rung.COST), tie_break_seed=1234567
    ),
    "cheapest": Ladder((Rung.GRID, Rung.WISHES, Rung.COST)),
}


def problem(heat_pump: str, profile: str, appliance: bool) -> Problem:
    t = np.arange(N)
    hour = (18 + t / 4) % 24
    price = 0.22 + 0.08 * np.sin((hour - 10) / 24 * 2 * np.pi) + 0.015 * np.cos(t * 0.9)
    pv = np.clip(2500.0 * np.sin((hour - 7.5) / 9 * np.pi), 0.0, None)
    pv[(hour < 7.5) | (hour > 16.5)] = 0.0
    house = ThermalHouse(150.0, 3000.0, 20.0, 19.5, 21.5)
    on_off = heat_pump == "on_off"
    hp = HeatPump(
        "heat_pump",
        2000.0,
        house,
        min_run_slots=2 if on_off else 1,
        min_pause_slots=1,
    )
    loads: tuple[ShiftableLoad, ...] = ()
    if appliance:
        part = ProfilePart(((1800.0,) * 8,))
        loads = (ShiftableLoad("dishwasher", (part,), 8, 52),)
    return Problem(
        Horizon(START, N, 15, "UTC"),
        price,
        price - 0.1,
        np.full(N, 400.0),
        outdoor_temp_c=3.0 + 4.0 * np.sin((hour - 9) / 24 * 2 * np.pi),
        grid=GridConnection(17250.0, 17250.0),
        batteries=(Battery("battery", 10000.0, 5000.0, 5000.0, soc_initial=0.5),),
        evs=(EVCharger("car", 11000.0, 24000.0, 0, 41),),
        heat_pumps=(hp,),
        pv=(PVInverter("pv", pv, curtailable=True, max_ac_w=3000.0),),
        ladder=LADDERS[profile],
        devices=loads,
    )


def measure(p: Problem, reps: int) -> dict[str, Any]:
    mips = [0]
    run = solve_module._run

    def counting(h: Any, is_mip: bool, stats: Any) -> Any:
        mips[0] += int(is_mip)
        return run(h, is_mip, stats)

    solve_module._run = counting
    walls, cpus = [], []
    try:
        for _ in range(reps):
            mips[0] = 0
            w0, c0 = time.perf_counter(), time.process_time()
            result = plan(p, time_limit_s=10.0)
            cpus.append(time.process_time() - c0)
            walls.append(time.perf_counter() - w0)
    finally:
        solve_module._run = run
    return {
        "status": result.status,
        "cost_eur": round(result.cost.total_eur, 6),
        "rungs": {k: round(v, 6) for k, v in result.figures.rung_values.items()},
        "highs_runs": result.figures.solves,
        "mips": mips[0],
        "binaries": result.figures.binaries,
        "mip_gap": result.figures.mip_gap,
        "wall_ms_median": round(statistics.median(walls) * 1e3, 1),
        "cpu_ms_median": round(statistics.median(cpus) * 1e3, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for heat_pump, profile in (
        ("on_off", "grid_aware"),
        ("modulating", "grid_aware"),
        ("modulating", "cheapest"),
    ):
        for appliance in (False, True):
            figures = measure(problem(heat_pump, profile, appliance), args.reps)
            rows.append({"heat_pump": heat_pump, "profile": profile, "appliance": appliance})
            rows[-1].update(figures)
    if args.json:
        print(json.dumps({"machine": describe(), "runs": rows}, indent=2))
        return
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
