"""Replanning benchmark: two days of quarter-hourly cycles (model predictive control).

    python -m benchmarks.planner.replan [--hours 48] [--kinds hp_on_off ...] [--json] [--out F]

A household with all four devices (battery with an end-SOC wish, EV off or 4.14-11 kW plugged
in 18:00-07:00 with 30 kWh each night, PV, a heat pump in a house), a congestion window
(import <= 5 kW 17-20 h on the GRID rung), the ladder grid > wishes > cost. Every 15 minutes
the plan's first slot is carried out (battery SOC, house temperature, heat pump on/off, EV
energy delivered) and the next problem starts one slot later. Day-ahead prices for tomorrow
arrive at 13:00: before that the horizon runs to the end of today, after it to the end of
tomorrow, and never shorter than 24 h (the slots past the known prices use the forecast
series, as a price forecast would): 24-35 h of 15-minute slots.

Each cycle is planned warm (``plan(problem, previous=last_plan)``) and, for comparison, cold
(the same problem without it); the figures are each cycle's wall time and cost against the
cold plan's, per heat-pump kind. Times are medians and maxima over the cycles.

Shiftable appliances: none yet (that kind is in another branch); once it exists, adding two
is one line in :func:`appliances`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import json
import os
from pathlib import Path
import statistics
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

import highspy
import numpy as np
from numpy.typing import NDArray

from benchmarks.machine import describe
from open_hem_core.planner import (
    Battery,
    EVCharger,
    GridConnection,
    HeatPump,
    Horizon,
    Ladder,
    Plan,
    Problem,
    PVInverter,
    Rung,
    ThermalHouse,
    plan,
)

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT.parent / "shared" / "anchors" / "emhass" / "scenario_48h_15min.json"
FALLBACK = ROOT / "tests" / "core" / "planner" / "fixtures" / "scenario_48h_15min.json"
TZ = "Europe/Amsterdam"
STEP = 15
PER_DAY = 96
PRICES_AT_H = 13
KINDS: dict[str, tuple[float, int]] = {
    "hp_modulating": (0.0, 1),
    "hp_min_power": (700.0, 1),
    "hp_on_off": (700.0, 2),
}
"""Heat-pump kind: (minimum power W, minimum run and pause slots)."""

type Arr = NDArray[np.float64]


@dataclass
class World:
    """Forecast series for four days from local midnight (the anchor's data, tiled)."""

    start: datetime
    import_price: Arr
    export_price: Arr
    base_load: Arr
    pv: Arr
    outdoor: Arr

    @classmethod
    def load(cls) -> World:
        path = SCENARIO if SCENARIO.exists() else FALLBACK
        sc = json.loads(path.read_text())
        start = datetime.fromisoformat(sc["start"]).astimezone(ZoneInfo(TZ))
        midnight = datetime(start.year, start.month, start.day, tzinfo=ZoneInfo(TZ))
        shift = round((start - midnight).total_seconds() / 60 / STEP)  # the anchor starts at noon
        n = 4 * PER_DAY

        def series(key: str) -> Arr:
            v = np.asarray(sc[key], dtype=np.float64)
            return np.roll(np.tile(v, -(-n // len(v)) + 1), shift)[:n]

        hours = (np.arange(n) * STEP / 60.0) % 24.0
        return cls(
            midnight,
            series("import_price_eur_per_kwh"),
            series("export_price_eur_per_kwh"),
            series("base_load_forecast_w"),
            series("pv_forecast_w"),
            6.0 + 4.0 * np.sin((hours - 9.0) / 24.0 * 2 * np.pi),
        )


@dataclass
class State:
    """What the house is at the start of a cycle (carried out from the plans' first slots)."""

    soc: float = 0.5
    temp_c: float = 20.5
    hp_on: bool = False
    ev_delivered_wh: float = 0.0
    ev_session: int = -1
    costs: list[float] = field(default_factory=list)


def appliances(k: int, horizon: Horizon) -> tuple[Any, ...]:
    """Shiftable appliances of this cycle (``Problem.devices``): none until that kind exists."""
    return ()


def problem_at(world: World, k: int, state: State, kind: str) -> Problem:
    """The problem of cycle ``k`` (slot ``k`` of the world) in ``state``."""
    hp_min_w, run = KINDS[kind]
    now = world.start + timedelta(minutes=STEP * k)
    day, slot_of_day = divmod(k, PER_DAY)
    known_end = (day + (2 if slot_of_day * STEP >= PRICES_AT_H * 60 else 1)) * PER_DAY
    end = max(known_end, k + PER_DAY)
    n = end - k
    horizon = Horizon(now, n, STEP, TZ)
    sl = slice(k, end)
    hours = (np.arange(k, end) * STEP / 60.0) % 24.0
    # EV: plugged in 18:00-07:00, 30 kWh each night
    sessions = [(d * PER_DAY + 72, (d + 1) * PER_DAY + 28) for d in range(-1, 4)]
    s_idx, (a, b) = next((i, s) for i, s in enumerate(sessions) if s[1] > k)
    if s_idx != state.ev_session:
        state.ev_session, state.ev_delivered_wh = s_idx, 0.0
    ev = EVCharger(
        "ev",
        max_w=11000.0,
        min_w=4140.0,
        energy_wh=max(0.0, 30000.0 - state.ev_delivered_wh),
        available_from_slot=max(0, a - k),
        deadline_slot=b - k,
    )
    house = ThermalHouse(
        ua_w_per_k=180.0,
        capacity_wh_per_k=9000.0,
        t_initial_c=state.temp_c,
        comfort_low_c=np.where((hours >= 7) & (hours < 22), 20.0, 17.0),
        comfort_high_c=23.0,
    )
    hp = HeatPump(
        "heat_pump",
        max_w=2500.0,
        min_w=hp_min_w,
        thermal=house,
        cutoff_outdoor_c=18.0,
        min_run_slots=run,
        min_pause_slots=run,
        initially_on=state.hp_on,
    )
    battery = Battery(
        "battery",
        capacity_wh=10000.0,
        max_charge_w=5000.0,
        max_discharge_w=5000.0,
        soc_min=0.1,
        soc_initial=state.soc,
        soc_final=0.5,
        wear_cost_eur_per_kwh=0.02,
    )
    limit = np.where((hours >= 17) & (hours < 20), 5000.0, 17250.0)
    return Problem(
        horizon=horizon,
        import_price=world.import_price[sl],
        export_price=world.export_price[sl],
        base_load_w=world.base_load[sl],
        outdoor_temp_c=world.outdoor[sl],
        grid=GridConnection(17250.0, 17250.0, import_limit_w=limit),
        batteries=(battery,),
        evs=(ev,),
        heat_pumps=(hp,),
        pv=(PVInverter("pv", world.pv[sl]),),
        ladder=Ladder((Rung.GRID, Rung.WISHES, Rung.COST)),
        devices=appliances(k, horizon),
    )


def advance(state: State, result: Plan) -> None:
    """Carry out the plan's first slot."""
    bat = result.device("battery")
    hp = result.device("heat_pump")
    assert bat.state is not None
    assert hp.state is not None
    state.soc = float(np.clip(bat.state[0], 0.0, 1.0))
    state.temp_c = float(hp.state[0])
    state.hp_on = bool(hp.power_w[0] > 1e-3)
    state.ev_delivered_wh += float(result.device("ev").power_w[0]) * STEP / 60.0


def replay(world: World, kind: str, cycles: int, time_limit_s: float) -> dict[str, Any]:
    state = State()
    previous: Plan | None = None
    rows: list[dict[str, Any]] = []
    for k in range(cycles):
        problem = problem_at(world, k, state, kind)
        t0 = time.perf_counter()
        warm = plan(problem, time_limit_s=time_limit_s, previous=previous)
        t1 = time.perf_counter()
        cold = plan(problem, time_limit_s=time_limit_s)
        t2 = time.perf_counter()
        exact = warm.status == "optimal" and cold.status == "optimal"
        diff = (warm.cost.total_eur - cold.cost.total_eur) / max(1.0, abs(cold.cost.total_eur))
        rows.append(
            {
                "cycle": k,
                "slots": problem.n,
                "warm_s": round(t1 - t0, 4),
                "cold_s": round(t2 - t1, 4),
                "warm_status": warm.status,
                "cold_status": cold.status,
                "warm_cost_eur": round(warm.cost.total_eur, 6),
                "cold_cost_eur": round(cold.cost.total_eur, 6),
                "rel_diff": diff if exact else None,
            }
        )
        advance(state, warm)
        previous = warm
    warm_s = [r["warm_s"] for r in rows]
    cold_s = [r["cold_s"] for r in rows]
    diffs = [abs(r["rel_diff"]) for r in rows if r["rel_diff"] is not None]
    return {
        "kind": kind,
        "cycles": cycles,
        "slots_min_max": [min(r["slots"] for r in rows), max(r["slots"] for r in rows)],
        "warm_median_s": round(statistics.median(warm_s), 4),
        "warm_p90_s": round(float(np.percentile(warm_s, 90)), 4),
        "warm_max_s": round(max(warm_s), 4),
        "cold_median_s": round(statistics.median(cold_s), 4),
        "cold_max_s": round(max(cold_s), 4),
        "both_optimal": len(diffs),
        "max_abs_rel_diff": max(diffs) if diffs else None,
        "cycles_over_1e-4": sum(d > 1e-4 for d in diffs),
        "warm_not_optimal": sum(r["warm_status"] != "optimal" for r in rows),
        "cold_not_optimal": sum(r["cold_status"] != "optimal" for r in rows),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=48.0)
    ap.add_argument("--kinds", nargs="+", choices=list(KINDS), default=list(KINDS))
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    out_fd = os.dup(1)  # HiGHS prints a banner on the C-level stdout
    os.dup2(2, 1)
    stdout = os.fdopen(out_fd, "w")
    world = World.load()
    cycles = round(a.hours * 60 / STEP)
    result: dict[str, Any] = {
        "machine": describe(highspy=highspy.Highs().version()),  # type: ignore[no-untyped-call]
        "time_limit_s": a.time_limit,
        "runs": [],
    }
    for kind in a.kinds:
        r = replay(world, kind, cycles, a.time_limit)
        summary = {k: v for k, v in r.items() if k != "rows"}
        print(json.dumps(summary), file=sys.stderr, flush=True)
        result["runs"].append(r)
    result["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    if a.out:
        a.out.write_text(json.dumps(result, indent=1) + "\n")
    if a.json:
        print(json.dumps(result), file=stdout, flush=True)
    else:
        runs = [{k: v for k, v in r.items() if k != "rows"} for r in result["runs"]]
        print(json.dumps({**result, "runs": runs}, indent=1), file=stdout, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
