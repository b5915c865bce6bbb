"""The simulated devices, checked by hand: battery, house temperature, car, dishwasher, PV."""

from __future__ import annotations

from datetime import date, datetime, timedelta
import math
from zoneinfo import ZoneInfo

import pytest

from open_hem_core.sim import (
    DISHWASHER_PROGRAMME,
    BatteryMode,
    HeatPumpMode,
    SimBattery,
    SimCar,
    SimDishwasher,
    SimEVCharger,
    SimHeatPump,
    SimHome,
    SimHouse,
    SimPV,
)

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = 3600.0


def test_battery_soc_integrates_with_the_efficiencies() -> None:
    """2 kW for an hour stores 1.9 kWh; 1.9 kW out for an hour takes 2 kWh from the cells."""
    battery = SimBattery(capacity_wh=10000, soc=0.5)
    battery.set_power(2000)
    assert battery.step(HOUR, rest_of_home_w=-500.0) == 2000  # a set power ignores the home
    assert battery.soc == pytest.approx(0.5 + 2000 * 0.95 / 10000)
    battery.set_power(-1900)
    assert battery.step(HOUR, 0.0) == -1900
    assert battery.soc == pytest.approx(0.69 - 1900 / 0.95 / 10000)
    assert battery.energy_wh == pytest.approx(4900)
    battery.idle()
    assert battery.step(HOUR, 3000.0) == 0
    assert battery.mode is BatteryMode.IDLE


def test_battery_respects_its_limits() -> None:
    """Asked for more than it can, it does what fits: full at soc_max, empty at soc_min."""
    battery = SimBattery(capacity_wh=10000, soc=0.98, max_charge_w=5000)
    battery.set_power(9000)
    power = battery.step(HOUR, 0.0)
    assert power == pytest.approx(200 / 0.95)  # the 200 Wh of room, through the charger
    assert battery.soc == pytest.approx(1.0)
    assert battery.step(HOUR, 0.0) == 0.0
    battery = SimBattery(capacity_wh=10000, soc=0.5, max_discharge_w=3000)
    battery.set_power(-9000)
    assert battery.step(60, 0.0) == -3000  # the inverter's limit
    battery.soc = 0.06
    assert battery.step(HOUR, 0.0) == pytest.approx(-100 * 0.95)  # 100 Wh above soc_min
    assert battery.soc == pytest.approx(0.05)
    assert battery.limits_w(0) == (5000, 3000)


def test_battery_self_consumption_is_its_default() -> None:
    """It charges what the home would export and covers what it would import."""
    battery = SimBattery()
    assert battery.mode is BatteryMode.SELF_CONSUMPTION
    assert battery.step(60, rest_of_home_w=-3000.0) == 3000
    assert battery.step(60, rest_of_home_w=800.0) == -800
    assert battery.step(60, rest_of_home_w=-8000.0) == 5000  # at most its maximum
    battery.set_power(100)
    battery.self_consumption()
    assert battery.step(60, 400.0) == -400


def test_house_cools_and_heats_as_1r1c() -> None:
    """Without heat it decays to the outdoor temperature with tau = C / UA; with heat held it
    goes to T_out + (Q + gains) / UA."""
    house = SimHouse(ua_w_per_k=200, capacity_wh_per_k=8000, indoor_c=20.0)
    house.step(10 * HOUR, heat_w=0.0, outdoor_c=0.0, gains_w=0.0)
    assert house.indoor_c == pytest.approx(20 * math.exp(-10 / 40))  # tau = 40 h
    assert house.equilibrium_c(3500, 7.0, 500) == pytest.approx(27.0)
    house = SimHouse(ua_w_per_k=200, capacity_wh_per_k=8000, indoor_c=18.0)
    house.step(40 * HOUR, heat_w=3500, outdoor_c=7.0, gains_w=500)
    assert house.indoor_c == pytest.approx(27 - 9 * math.exp(-1))
    assert house.gains_w(400) == 250 + 3 * 400


def test_heat_pump_set_power_heats_with_its_cop() -> None:
    """1 kW electric at 7 °C is 3.5 kW of heat; an on/off unit runs at max for any power."""
    pump = SimHeatPump(house=SimHouse(indoor_c=19.0))
    pump.set_power(1000)
    assert pump.step(HOUR, outdoor_c=7.0, irradiance_w_m2=0.0) == 1000
    assert pump.heat_w == pytest.approx(3500)
    target = 7 + (3500 + 250) / 200
    assert pump.house.indoor_c == pytest.approx(target + (19 - target) * math.exp(-200 / 8000))
    pump.set_power(100)
    assert pump.step(60, 7.0, 0.0) == pump.min_w  # a modulating unit has a minimum
    pump.set_power(0)
    assert pump.step(60, 7.0, 0.0) == 0
    assert pump.cop(-30) == 1.0
    assert pump.cop(60) == 6.0
    on_off = SimHeatPump(modulating=False)
    on_off.set_power(100)
    assert on_off.step(60, 7.0, 0.0) == on_off.max_w
    on_off.off()
    assert on_off.step(60, 7.0, 0.0) == 0
    assert on_off.mode is HeatPumpMode.OFF


@pytest.mark.parametrize("modulating", [True, False])
def test_heat_pump_thermostat_keeps_the_setpoint(modulating: bool) -> None:
    """Its own thermostat (the default) holds 20.5 °C within the hysteresis on a cold day."""
    home = SimHome(
        datetime(2026, 1, 12, tzinfo=AMS),
        seed=3,
        heat_pump=SimHeatPump(modulating=modulating, max_w=3000),
    )
    pump = home.heat_pump
    assert pump is not None
    temperatures, powers = [], []
    for _ in range(24 * 60):
        home.step(60)
        temperatures.append(pump.house.indoor_c)
        powers.append(pump.power_w)
    assert min(temperatures[60:]) > 20.5 - 0.35
    assert max(temperatures) < 20.5 + 0.35
    assert sum(powers) > 0
    if not modulating:
        assert set(powers) <= {0.0, 3000.0}


def test_heat_pump_stops_above_cutoff_and_safety_limit() -> None:
    """No heating above the outdoor cutoff, never above 26 °C indoors, whatever it is told."""
    pump = SimHeatPump()
    assert pump.step(60, outdoor_c=19.0, irradiance_w_m2=0.0) == 0
    pump.thermostat(22.0)
    assert pump.setpoint_c == 22.0
    assert pump.mode is HeatPumpMode.THERMOSTAT
    warm = SimHeatPump(house=SimHouse(indoor_c=26.5))
    warm.set_power(2000)
    assert warm.step(60, 0.0, 0.0) == 0


def test_heat_pump_modulates_and_cycles_below_its_minimum() -> None:
    """Mild weather needs less than min_w: it cycles at min_w around the setpoint."""
    pump = SimHeatPump(house=SimHouse(indoor_c=20.0, internal_gains_w=0, solar_aperture_m2=0))
    powers = {pump.step(300, outdoor_c=16.0, irradiance_w_m2=0.0) for _ in range(200)}
    assert {0.0, pump.min_w} <= powers  # it cycles
    assert all(power == 0 or pump.min_w <= power <= pump.max_w for power in powers)
    cold = SimHeatPump(house=SimHouse(indoor_c=20.5))
    assert 500 < cold.step(60, outdoor_c=5.0, irradiance_w_m2=0.0) < cold.max_w  # modulates


def test_ev_arrives_in_the_evening_leaves_in_the_morning_and_charges_at_max() -> None:
    """Over a week: plugged in from 17:00-19:30 to 07:00-08:30 (weekends 09:00-11:30); arriving
    with its drawn state of charge; charging at 11 kW until full; SOC = integral x efficiency."""
    start = datetime(2026, 6, 1, 12, tzinfo=AMS)  # a Monday
    charger = SimEVCharger(seed=5)
    home = SimHome(start, seed=5, ev=charger)
    assert not charger.home_at(start)
    arrivals, departures = [], []
    delivered_wh = 0.0
    soc_before = charger.car.soc
    for _ in range(7 * 24 * 12):
        was = charger.plugged
        t0 = home.now
        home.step(300)
        if charger.plugged and not was:
            arrivals.append(t0)
            assert charger.car.soc <= charger.schedule(t0.date())[2] + 11000 * 0.9 / 12 / 60000
            soc_before = charger.schedule(t0.date())[2]
            delivered_wh = 0.0
        if was and not charger.plugged:
            departures.append(t0)
            assert charger.car.soc == pytest.approx(soc_before + delivered_wh * 0.9 / 60000)
        if charger.plugged:
            assert charger.power_w in (pytest.approx(11000), 0.0) or charger.car.soc > 0.99
            delivered_wh += charger.power_w * 300 / 3600
    assert len(arrivals) == 7
    assert len(departures) == 7  # Monday noon to Monday noon
    for moment in arrivals:
        assert 17.0 <= moment.hour + moment.minute / 60 <= 19.5 + 5 / 60
    for moment in departures:
        weekend = moment.weekday() >= 5
        low, high = (9.0, 11.5) if weekend else (7.0, 8.5)
        assert low <= moment.hour + moment.minute / 60 <= high + 5 / 60


def test_ev_current_commands() -> None:
    """A current below 6 A pauses; a power is rounded to a current; None is the maximum again."""
    charger = SimEVCharger(car=SimCar(soc=0.2))
    charger.start(datetime(2026, 6, 2, 2, tzinfo=AMS))
    assert charger.plugged
    assert charger.max_w == 11000
    charger.set_current(8)
    assert charger.step(datetime(2026, 6, 2, 2, tzinfo=AMS), 60) == pytest.approx(3 * 230 * 8)
    charger.set_current(3)
    assert charger.step(datetime(2026, 6, 2, 2, tzinfo=AMS), 60) == 0
    charger.set_power(4140)
    assert charger.current_a == pytest.approx(6)
    charger.set_current(None)
    assert charger.step(datetime(2026, 6, 2, 2, tzinfo=AMS), 60) == 11000
    charger.car.soc = 1.0
    assert charger.step(datetime(2026, 6, 2, 2, tzinfo=AMS), 60) == 0  # full


def test_dishwasher_runs_its_programme_once() -> None:
    """Started, it uses exactly its programme's energy (any step size) and then stops."""
    dishwasher = SimDishwasher()
    expected_j = sum(seconds * watts for seconds, watts in DISHWASHER_PROGRAMME)
    assert dishwasher.programme_wh == pytest.approx(expected_j / 3600) == pytest.approx(1117.5)
    home = SimHome(datetime(2026, 3, 3, 20, tzinfo=AMS), dishwasher=dishwasher)
    home.step(60)
    assert dishwasher.power_w == 0
    assert dishwasher.start(home.now)
    assert not dishwasher.start(home.now + timedelta(minutes=10))  # already running
    used = 0.0
    for _ in range(40):  # 7-minute steps: 4 h 40
        home.step(420)
        used += dishwasher.power_w * 420
    assert used == pytest.approx(expected_j)
    assert not dishwasher.running(home.now)
    assert dishwasher.runs == 1
    assert dishwasher.duration_s == 6600
    assert dishwasher.step(home.now, home.now) == 0


def test_pv_follows_the_sun_and_its_limit() -> None:
    """Nothing at night; a clear June noon gives about 0.8 x kWp; a limit curtails."""
    home = SimHome(datetime(2026, 6, 21, 1, tzinfo=AMS), pv=SimPV(kwp=5.0, max_ac_w=4600))
    pv = home.pv
    assert pv is not None
    home.step(60)
    assert pv.power_w == 0
    home.run(12 * HOUR - 60, 600)  # to 13:00, about solar noon
    home.step(60)
    assert 0 < pv.power_w <= 4600
    pv.set_limit(500)
    home.step(60)
    assert pv.power_w == min(500, pv.available_w)
    assert pv.curtailed_w == pytest.approx(pv.available_w - pv.power_w)
    assert home.last.devices["pv"] == -pv.power_w
    pv.set_limit(None)
    home.step(60)
    assert pv.curtailed_w == 0


def test_a_device_schedule_is_drawn_per_day() -> None:
    """The car's day depends on the seed and the day only."""
    day = date(2026, 6, 3)
    assert SimEVCharger(seed=1).schedule(day) == SimEVCharger(seed=1).schedule(day)
    assert SimEVCharger(seed=1).schedule(day) != SimEVCharger(seed=2).schedule(day)
