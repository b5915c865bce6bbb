"""Hand-checkable cases: expected values computed by hand in each test."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

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
    plan,
)

from .builders import hourly


def test_two_price_arbitrage_lossless() -> None:
    # 2 kW load; 0.10 then 0.30 EUR/kWh. Charge 4 kWh cheap to cover the 2 expensive hours:
    # cost = (2 + 2 + 4) kWh * 0.10 = 0.80 EUR (without the battery: 0.4 + 1.2 = 1.60).
    bat = Battery("b", 10000, 5000, 5000, 1.0, 1.0, soc_min=0.0, soc_initial=0.0)
    p = hourly(4, import_price=[0.1, 0.1, 0.3, 0.3], base_load_w=[2000] * 4, batteries=(bat,))
    r = plan(p)
    assert r.cost.energy_eur == pytest.approx(0.80, abs=1e-6)
    assert r.baseline.cost.energy_eur == pytest.approx(1.60, abs=1e-6)
    assert r.saving_eur == pytest.approx(0.80, abs=1e-6)
    assert r.slot_cost_eur is not None
    # how the 8 kWh split over the two cheap hours is a tie; the expensive hours cost nothing
    assert r.slot_cost_eur[:2].sum() == pytest.approx(0.8, abs=1e-6)
    np.testing.assert_allclose(r.slot_cost_eur[2:], 0.0, atol=1e-9)
    np.testing.assert_allclose(r.import_w[2:], 0.0, atol=1e-6)


def test_two_price_arbitrage_with_losses() -> None:
    # eta 0.9 each way: 4 kWh out needs 4/0.81 kWh in -> (4 + 4/0.81) * 0.1 EUR.
    bat = Battery("b", 10000, 5000, 5000, 0.9, 0.9, soc_min=0.0, soc_initial=0.0)
    p = hourly(4, import_price=[0.1, 0.1, 0.3, 0.3], base_load_w=[2000] * 4, batteries=(bat,))
    r = plan(p)
    assert r.cost.energy_eur == pytest.approx((4 + 4 / 0.81) * 0.1, abs=1e-6)
    c = r.device("b").power_w
    assert np.all((c[:2] >= 0) & (c[2:] <= 0))


def test_no_arbitrage_when_spread_does_not_pay_losses() -> None:
    # 0.20 -> 0.21: the round trip at 0.81 loses money, so the battery stays idle.
    bat = Battery("b", 10000, 5000, 5000, 0.9, 0.9, soc_min=0.0, soc_initial=0.0)
    p = hourly(2, import_price=[0.2, 0.21], base_load_w=[1000, 1000], batteries=(bat,))
    r = plan(p)
    np.testing.assert_allclose(r.device("b").power_w, 0.0, atol=1e-6)
    assert r.cost.energy_eur == pytest.approx(0.41, abs=1e-9)


def test_ev_exact_energy_by_deadline_in_cheapest_slots() -> None:
    # window slots 2..5, prices rise: 11 kW in slot 2 and 9 kW in slot 3 make 20 kWh.
    ev = EVCharger("car", max_w=11000, energy_wh=20000, available_from_slot=2, deadline_slot=6)
    prices = [0.01, 0.01, 0.1, 0.2, 0.3, 0.4, 0.01, 0.01]
    r = plan(hourly(8, import_price=prices, evs=(ev,)))
    np.testing.assert_allclose(r.device("car").power_w, [0, 0, 11000, 9000, 0, 0, 0, 0], atol=1e-6)
    assert r.cost.energy_eur == pytest.approx(11 * 0.1 + 9 * 0.2, abs=1e-9)
    assert r.unmet == ()


def test_ev_minimum_power_moves_energy_to_a_dearer_slot() -> None:
    # 12 kWh, max 11 kW, min 4 kW: 11 + 1 kWh is not allowed; 8 + 4 costs 8*0.1 + 4*0.2.
    ev = EVCharger(
        "car", max_w=11000, min_w=4000, energy_wh=12000, available_from_slot=0, deadline_slot=3
    )
    r = plan(hourly(3, import_price=[0.1, 0.2, 0.3], evs=(ev,)))
    power = r.device("car").power_w
    assert set(np.round(power[power > 1e-6])) <= set(np.round(np.arange(4000, 11001, 1.0)))
    assert r.cost.energy_eur == pytest.approx(8 * 0.1 + 4 * 0.2, abs=1e-6)
    r_full = plan(hourly(3, import_price=[0.1, 0.2, 0.3], evs=(ev,)), full_binaries=True)
    assert r_full.cost.energy_eur == pytest.approx(r.cost.energy_eur, abs=1e-6)


def test_curtailment_at_negative_export_price() -> None:
    # PV 3 kW, load 1 kW, export pays -0.05: use 1 kW, curtail 2 kW, export nothing, cost 0.
    pv = PVInverter("pv", np.array([3000.0, 3000.0]))
    r = plan(hourly(2, export_price=[-0.05, 0.05], base_load_w=[1000, 1000], pv=(pv,)))
    d = r.device("pv")
    assert d.curtailed_w is not None
    np.testing.assert_allclose(d.curtailed_w, [2000, 0], atol=1e-6)
    np.testing.assert_allclose(r.export_w, [0, 2000], atol=1e-6)
    assert r.cost.energy_eur == pytest.approx(-2 * 0.05, abs=1e-9)


def test_full_battery_does_not_burn_energy_at_negative_import_price() -> None:
    # Full battery, import pays 0.50 EUR/kWh: charging 2 kW while discharging 1.62 kW would
    # keep the SOC and "consume" 0.38 kW more, but never charging and discharging at once
    # forbids that: the battery idles and only the 0.5 kW load is imported.
    bat = Battery("b", 4000, 2000, 2000, 0.9, 0.9, soc_min=0.0, soc_max=1.0, soc_initial=1.0)
    p = hourly(1, import_price=[-0.5], export_price=[-0.6], base_load_w=[500], batteries=(bat,))
    r = plan(p)
    assert r.device("b").power_w[0] == pytest.approx(0.0, abs=1e-6)
    assert r.cost.energy_eur == pytest.approx(-0.5 * 0.5, abs=1e-6)


def test_heat_pump_preheats_before_price_peak() -> None:
    # Lossless house (C = 10 kWh/K, UA = 100 W/K), 0 °C outside, 20 °C band floor.
    # Keeping 20 °C costs 2 kW of heat an hour; the peak hours 3-5 cost 1.00 EUR/kWh, so
    # the heat pump heats up in the cheap hours before them.
    n = 6
    house = ThermalHouse(100.0, 10000.0, 20.0, comfort_low_c=20.0, comfort_high_c=23.0)
    hp = HeatPump(
        "hp", max_w=3000, thermal=house, cop_at_7c=3.0, cop_slope_per_k=0.0, cutoff_outdoor_c=None
    )
    prices = [0.1, 0.1, 0.1, 1.0, 1.0, 1.0]
    r = plan(hourly(n, import_price=prices, outdoor_temp_c=0.0, heat_pumps=(hp,)))
    power = r.device("hp").power_w
    temp = r.device("hp").state
    assert temp is not None
    assert power[:3].sum() > power[3:].sum()
    assert temp[2] > 20.5  # stored heat before the peak
    assert np.all(temp >= 20.0 - 1e-6)
    assert r.cost.total_eur < r.baseline.cost.total_eur - 0.5
    assert r.unmet == ()


def test_heat_pump_off_above_cutoff() -> None:
    house = ThermalHouse(100.0, 10000.0, 20.0, comfort_low_c=20.0, comfort_high_c=23.0)
    hp = HeatPump("hp", max_w=3000, thermal=house, cutoff_outdoor_c=15.0)
    r = plan(hourly(3, outdoor_temp_c=[10.0, 16.0, 16.0], heat_pumps=(hp,)))
    np.testing.assert_allclose(r.device("hp").power_w[1:], 0.0, atol=1e-9)


def test_heat_pump_min_run_and_pause() -> None:
    house = ThermalHouse(150.0, 8000.0, 20.0, comfort_low_c=19.0, comfort_high_c=23.0)
    hp = HeatPump(
        "hp",
        max_w=3000,
        min_w=1000,
        thermal=house,
        min_run_slots=3,
        min_pause_slots=2,
        cutoff_outdoor_c=None,
    )
    prices = [0.3, 0.1, 0.3, 0.3, 0.1, 0.3, 0.3, 0.3, 0.1, 0.3]
    r = plan(hourly(10, import_price=prices, outdoor_temp_c=0.0, heat_pumps=(hp,)))
    on = r.device("hp").power_w > 1e-3
    runs = np.diff(np.r_[0, on.astype(int), 0])
    starts, stops = np.flatnonzero(runs == 1), np.flatnonzero(runs == -1)
    for a, b in zip(starts, stops, strict=True):
        assert b - a >= 3 or b == 10
    for b, a in zip(stops[:-1], starts[1:], strict=True):
        assert a - b >= 2
    p = r.device("hp").power_w
    assert np.all((p[on] >= 1000 - 1e-6) & (p[on] <= 3000 + 1e-6))


def test_dst_days_have_92_and_100_quarter_hours() -> None:
    spring = Horizon.local_days(datetime(2025, 3, 30, 12, tzinfo=UTC), 1, "Europe/Amsterdam")
    autumn = Horizon.local_days(datetime(2025, 10, 26, 12, tzinfo=UTC), 1, "Europe/Amsterdam")
    normal = Horizon.local_days(datetime(2025, 6, 10, 12, tzinfo=UTC), 1, "Europe/Amsterdam")
    assert (spring.slots, autumn.slots, normal.slots) == (92, 100, 96)
    local = autumn.times_local()
    assert local[0].hour == 0
    assert local[-1].hour == 23
    assert local[-1].minute == 45
    # 02:00-02:45 occurs twice on the autumn day
    assert sum(1 for t in local if t.hour == 2) == 8


def test_plan_over_a_dst_day() -> None:
    horizon = Horizon.local_days(datetime(2025, 3, 30, tzinfo=UTC), 1, "Europe/Amsterdam")
    n = horizon.slots
    prices = np.where(np.arange(n) < n // 2, 0.1, 0.3)
    ev = EVCharger.for_target_soc(
        "car",
        horizon,
        battery_capacity_wh=60000,
        soc_now=0.5,
        soc_target=0.8,
        deadline=datetime.fromisoformat("2025-03-30T07:00+02:00"),
        charge_efficiency=1.0,
    )
    # 07:00 CEST is 6 h after local midnight on this day (the clock jumps 02:00 -> 03:00),
    # so the deadline is slot 24, not 28
    assert ev.deadline_slot == 24
    p = Problem(horizon, prices, np.zeros(n), np.full(n, 300.0), evs=(ev,))
    r = plan(p)
    assert len(r.import_w) == 92
    power = r.device("car").power_w
    assert float(power.sum()) * 0.25 == pytest.approx(18000.0, abs=0.5)
    assert np.all(power[24:] == 0)


def _congested(order: tuple[Rung, ...]) -> Problem:
    # EV wants 20 kWh in 2 h; a congestion limit of 5 kW (fuse 17.25 kW) makes that impossible.
    ev = EVCharger("car", max_w=11000, energy_wh=20000, available_from_slot=0, deadline_slot=2)
    grid = GridConnection(17250, 17250, import_limit_w=[5000, 5000])
    return hourly(2, base_load_w=[500, 500], evs=(ev,), grid=grid, ladder=Ladder(order))


def test_ladder_grid_above_wishes_relaxes_the_wish() -> None:
    r = plan(_congested((Rung.GRID, Rung.WISHES, Rung.COST)))
    assert np.all(r.import_w <= 5000 + 1e-6)
    # 2 h * 4.5 kW left for the car = 9 kWh, 11 kWh short
    (wish,) = r.unmet
    assert (wish.device, wish.kind) == ("car", "ev_energy")
    assert wish.shortfall == pytest.approx(11000.0, abs=1.0)
    assert wish.reason == "grid limit"


def test_ladder_wishes_above_grid_exceeds_the_soft_limit_only() -> None:
    r = plan(_congested((Rung.WISHES, Rung.GRID, Rung.COST)))
    assert float(r.device("car").power_w.sum()) == pytest.approx(20000.0, abs=0.5)
    assert np.all(r.import_w <= 17250 + 1e-6)  # the fuse stays hard
    # the overshoot is as small as possible: 20 + 1 kWh in 2 h against 10 kWh allowed
    over = np.clip(r.import_w - 5000, 0, None).sum()
    assert over == pytest.approx(11000.0, abs=1.0)
    assert {u.kind for u in r.unmet} == {"grid_import"}


def test_unmeetable_ev_wish_is_reported_with_reason() -> None:
    ev = EVCharger("car", max_w=11000, energy_wh=40000, available_from_slot=1, deadline_slot=3)
    r = plan(hourly(4, evs=(ev,)))
    (wish,) = r.unmet
    assert wish.achieved == pytest.approx(22000.0, abs=0.5)
    assert wish.shortfall == pytest.approx(18000.0, abs=0.5)
    assert "not available long enough" in wish.reason
    assert r.status == "optimal"


def test_unmeetable_comfort_is_reported() -> None:
    house = ThermalHouse(300.0, 5000.0, 18.0, comfort_low_c=21.0, comfort_high_c=23.0)
    hp = HeatPump("hp", max_w=500, thermal=house, cutoff_outdoor_c=None)
    r = plan(hourly(3, outdoor_temp_c=-5.0, heat_pumps=(hp,)))
    kinds = [(u.device, u.kind) for u in r.unmet]
    assert kinds == [("hp", "comfort_low")]
    assert "max heat power too low" in r.unmet[0].reason
    np.testing.assert_allclose(r.device("hp").power_w, 500.0, atol=1e-6)


def test_own_production_rung_above_cost_keeps_pv_at_home() -> None:
    # Exporting PV at 0.30 and importing later at 0.10 is cheaper, but with OWN_PRODUCTION
    # above COST the battery stores the PV instead (100 % efficient: no loss).
    bat = Battery("b", 10000, 5000, 5000, 1.0, 1.0, soc_min=0.0, soc_initial=0.0)
    pv = PVInverter("pv", np.array([3000.0, 0.0]))
    kw = {
        "import_price": [0.4, 0.1],
        "export_price": [0.3, 0.0],
        "base_load_w": [0, 3000],
        "batteries": (bat,),
        "pv": (pv,),
    }
    cheap = plan(hourly(2, **kw))
    assert cheap.export_w[0] == pytest.approx(3000.0)
    own = plan(
        hourly(2, ladder=Ladder((Rung.GRID, Rung.WISHES, Rung.OWN_PRODUCTION, Rung.COST)), **kw)
    )
    assert own.export_w[0] == pytest.approx(0.0, abs=0.01)
    assert own.cost.energy_eur == pytest.approx(0.0, abs=1e-5)
    assert cheap.cost.energy_eur == pytest.approx(-0.9 + 0.3, abs=1e-9)


def test_tie_break_spreads_households_without_changing_cost() -> None:
    ev = EVCharger("car", max_w=11000, energy_wh=11000, available_from_slot=0, deadline_slot=8)
    plans = [plan(hourly(8, evs=(ev,), ladder=Ladder(tie_break_seed=s))) for s in range(6)]
    costs = {round(p.cost.energy_eur, 9) for p in plans}
    assert costs == {round(11 * 0.2, 9)}
    busiest = {int(np.argmax(p.device("car").power_w)) for p in plans}
    assert len(busiest) > 1


def test_time_limit_still_returns_a_plan() -> None:
    house = ThermalHouse(150.0, 8000.0, 20.0, comfort_low_c=19.0, comfort_high_c=23.0)
    hp = HeatPump(
        "hp",
        max_w=3000,
        min_w=1000,
        thermal=house,
        min_run_slots=3,
        min_pause_slots=3,
        cutoff_outdoor_c=None,
    )
    rng = np.random.default_rng(1)
    r = plan(
        hourly(48, import_price=rng.random(48), outdoor_temp_c=0.0, heat_pumps=(hp,)),
        time_limit_s=0.001,
    )
    assert r.status in {"optimal", "time_limit", "baseline"}
    assert len(r.import_w) == 48


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Battery("b", -1, 1000, 1000), "capacity_wh"),
        (lambda: Battery("b", 1000, 1000, 1000, charge_efficiency=1.5), "charge_efficiency"),
        (lambda: Battery("b", 1000, 1000, 1000, soc_min=0.9, soc_max=0.5), "soc_min"),
        (lambda: EVCharger("e", 1000, 1000, 0, 1, min_w=2000), "min_w"),
        (lambda: PVInverter("p", np.array([1.0, np.nan])), "forecast_w"),
        (lambda: hourly(3, import_price=[0.1, 0.2]), "import_price"),
        (lambda: hourly(2, base_load_w=[float("nan"), 1.0]), "NaN"),
        (lambda: Horizon(datetime(2025, 1, 1), 4), "timezone-aware"),
        (lambda: hourly(2, pv=(PVInverter("p", np.ones(3)),)), "forecast needs 2"),
        (lambda: Ladder((Rung.GRID, Rung.COST)), "missing"),
    ],
)
def test_malformed_input_raises_value_error(factory: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()  # type: ignore[operator]
