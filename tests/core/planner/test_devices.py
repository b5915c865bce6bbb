"""Device variants: V2G, solar-only EV, hot-water buffer, comfort schedule, S2 mapping."""

from __future__ import annotations

from datetime import datetime, time
import json
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from open_hem_core.planner import (
    ComfortPeriod,
    EVCharger,
    HeatPump,
    Horizon,
    HotWaterBuffer,
    PVInverter,
    comfort_band,
    plan,
    scenario_from_dict,
)

from .builders import hourly


def test_v2g_covers_the_peak_from_cheap_energy() -> None:
    # Target 10 kWh; the car may give 5 kWh back. Charging 10 + 4/0.9 kWh at 0.10 and
    # feeding the 4 kW peak load beats buying it at 0.50: cost (10 + 4/0.9) * 0.1.
    ev = EVCharger(
        "car",
        max_w=11000,
        energy_wh=10000,
        available_from_slot=0,
        deadline_slot=3,
        v2g_max_w=5000,
        v2g_efficiency=0.9,
        v2g_max_energy_wh=5000,
    )
    r = plan(hourly(3, import_price=[0.1, 0.1, 0.5], base_load_w=[0, 0, 4000], evs=(ev,)))
    power = r.device("car").power_w
    assert power[2] == pytest.approx(-4000.0, abs=1e-6)
    assert r.cost.energy_eur == pytest.approx((10 + 4 / 0.9) * 0.1, abs=1e-6)
    assert r.unmet == ()


def test_v2g_off_by_default() -> None:
    ev = EVCharger("car", max_w=11000, energy_wh=10000, available_from_slot=0, deadline_slot=3)
    r = plan(hourly(3, import_price=[0.1, 0.1, 0.5], base_load_w=[0, 0, 4000], evs=(ev,)))
    assert np.all(r.device("car").power_w >= 0)
    assert r.cost.energy_eur == pytest.approx(10 * 0.1 + 4 * 0.5, abs=1e-6)


def test_solar_only_ev_takes_only_pv_surplus_and_reports_the_rest() -> None:
    pv = PVInverter("pv", np.array([0.0, 5000.0, 8000.0]))
    ev = EVCharger(
        "car", max_w=11000, energy_wh=20000, available_from_slot=0, deadline_slot=3, solar_only=True
    )
    r = plan(hourly(3, base_load_w=[1000] * 3, pv=(pv,), evs=(ev,)))
    np.testing.assert_allclose(r.device("car").power_w, [0, 4000, 7000], atol=1e-6)
    np.testing.assert_allclose(r.import_w, [1000, 0, 0], atol=1e-6)
    (wish,) = r.unmet
    assert wish.shortfall == pytest.approx(9000.0, abs=0.5)
    assert "PV surplus" in wish.reason


def test_hot_water_buffer_heats_in_the_cheapest_slot() -> None:
    # 100 l: 116.28 Wh/K. From 40 to 55 °C by the end of slot 2: 1744.2 Wh of heat, at COP 3
    # 581.4 Wh electric, all in slot 0 (cheapest, 1 kW fits).
    tank = HotWaterBuffer(100.0, 40.0, t_min_c=[40.0, 40.0, 55.0], t_max_c=60.0, loss_w_per_k=0)
    hp = HeatPump(
        "dhw", max_w=1000, thermal=tank, cop_at_7c=3.0, cop_slope_per_k=0.0, cutoff_outdoor_c=None
    )
    r = plan(hourly(3, import_price=[0.1, 0.2, 0.3], heat_pumps=(hp,)))
    heat_wh = 15 * 100 * 4186 / 3600
    np.testing.assert_allclose(r.device("dhw").power_w, [heat_wh / 3, 0, 0], atol=1e-4)
    assert r.cost.energy_eur == pytest.approx(heat_wh / 3 / 1000 * 0.1, abs=1e-8)
    state = r.device("dhw").state
    assert state is not None
    assert state[-1] == pytest.approx(55.0, abs=1e-6)


def test_comfort_band_follows_local_time_of_day() -> None:
    tz = ZoneInfo("Europe/Amsterdam")
    horizon = Horizon(datetime(2025, 6, 10, tzinfo=tz), 24, 60, "Europe/Amsterdam")
    low, high = comfort_band(
        horizon, [ComfortPeriod(time(7), 20.0, 22.0), ComfortPeriod(time(22), 16.0, 22.0)]
    )
    # slot i ends at (i+1):00 local
    assert (low[5], low[6], low[20], low[21]) == (16.0, 20.0, 20.0, 16.0)
    assert np.all(high == 22.0)


def test_scenario_without_battery_or_ev_and_plan_to_dict_is_json() -> None:
    n = 4
    sc = {
        "start": "2025-06-10T12:00:00+02:00",
        "timezone": "Europe/Amsterdam",
        "step_minutes": 60,
        "slots": n,
        "import_price_eur_per_kwh": [0.2, 0.2, 0.3, 0.3],
        "export_price_eur_per_kwh": [0.1, -0.1, 0.1, 0.1],
        "pv_forecast_w": [3000, 3000, 0, 0],
        "base_load_forecast_w": [1000, 1000, 1000, 1000],
        "grid_limit_w": {"import": 17250, "export": 17250},
        "battery": None,
        "ev": {"energy_wh": 0},
    }
    r = plan(scenario_from_dict(sc))
    # export 2 kWh at 0.1, curtail at -0.1, buy 2 kWh at 0.3
    assert r.cost.energy_eur == pytest.approx(-0.2 + 0.6, abs=1e-9)
    data = json.loads(json.dumps(r.to_dict()))
    assert data["status"] == "optimal"
    assert data["devices"][0]["curtailed_w"] == [0.0, 2000.0, 0.0, 0.0]
    assert len(data["slot_start"]) == n
