"""A household with all four devices and the full ladder, for scaling figures.

Built from the EMHASS anchor scenario (prices, PV and base load repeated to fill the
horizon), plus a heat pump in a house (on/off unit with minimum run and pause times), a
congestion window (a lower import limit on the GRID rung every evening), a battery with an
end-SOC wish and an EV with a target by 07:00 on the second morning.
"""

from __future__ import annotations

from datetime import datetime
import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from open_hem_core.planner import (
    Battery,
    EVCharger,
    GridConnection,
    HeatPump,
    Horizon,
    Ladder,
    Problem,
    PVInverter,
    Rung,
    ThermalHouse,
)


def four_device_problem(
    scenario: Path, slots: int, *, on_off: bool = True, hp_min_w: float = 700.0
) -> Problem:
    sc = json.loads(scenario.read_text())
    base_n = int(sc["slots"])
    reps = -(-slots // base_n)

    def tile(key: str) -> NDArray[np.float64]:
        return np.tile(np.asarray(sc[key], dtype=np.float64), reps)[:slots]

    horizon = Horizon(
        datetime.fromisoformat(sc["start"]), slots, int(sc["step_minutes"]), sc["timezone"]
    )
    per_day = round(24 * 60 / horizon.step_minutes)
    hours = (np.arange(slots) * horizon.dt_h + 12.0) % 24.0  # the scenario starts at noon
    outdoor = 6.0 + 4.0 * np.sin((hours - 9.0) / 24.0 * 2 * np.pi)
    limit = np.where((hours >= 17) & (hours < 20), 5000.0, 17250.0)  # congestion window
    low = np.where((hours >= 7) & (hours < 22), 20.0, 17.0)
    house = ThermalHouse(
        ua_w_per_k=180.0,
        capacity_wh_per_k=9000.0,
        t_initial_c=20.5,
        comfort_low_c=low,
        comfort_high_c=23.0,
    )
    hp = HeatPump(
        "heat_pump",
        max_w=2500.0,
        min_w=hp_min_w,
        thermal=house,
        cutoff_outdoor_c=18.0,
        min_run_slots=2 if on_off else 1,
        min_pause_slots=2 if on_off else 1,
    )
    b = sc["battery"]
    battery = Battery(
        "battery",
        capacity_wh=b["capacity_wh"],
        max_charge_w=b["max_charge_w"],
        max_discharge_w=b["max_discharge_w"],
        soc_min=b["soc_min"],
        soc_initial=b["soc_initial"],
        soc_final=b["soc_final"],
        wear_cost_eur_per_kwh=0.02,
    )
    ev = EVCharger(
        "ev",
        max_w=11000.0,
        min_w=4140.0,
        energy_wh=30000.0,
        available_from_slot=per_day // 4,  # 18:00
        deadline_slot=min(slots, per_day + per_day * 19 // 24),  # 07:00, second morning
    )
    return Problem(
        horizon=horizon,
        import_price=tile("import_price_eur_per_kwh"),
        export_price=tile("export_price_eur_per_kwh"),
        base_load_w=tile("base_load_forecast_w"),
        outdoor_temp_c=outdoor,
        grid=GridConnection(17250.0, 17250.0, import_limit_w=limit),
        batteries=(battery,),
        evs=(ev,),
        heat_pumps=(hp,),
        pv=(PVInverter("pv", tile("pv_forecast_w")),),
        ladder=Ladder((Rung.GRID, Rung.WISHES, Rung.COST)),
    )
