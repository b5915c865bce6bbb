"""The simulated home: energy balance, meter, telegram, determinism, household and weather."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from open_hem_core.p1 import ChecksumError, crc16, parse_telegram
from open_hem_core.sim import (
    TARIFF_LOW,
    TARIFF_NORMAL,
    BaseLoad,
    BatteryMode,
    GasUse,
    MeterTotals,
    SimBattery,
    SimHome,
    Weather,
    clear_sky_irradiance,
    nl_tariff,
    solar_elevation,
)

AMS = ZoneInfo("Europe/Amsterdam")


def _totals(home: SimHome) -> tuple[float, float, float]:
    meter = home.meter()
    return meter.import_kwh, meter.export_kwh, meter.gas_m3


@pytest.mark.parametrize(
    "start", [datetime(2026, 6, 12, 6, tzinfo=AMS), datetime(2026, 1, 9, tzinfo=AMS)]
)
def test_totals_grow_by_the_integral_of_net_power(start: datetime) -> None:
    """Over two days with every device and uneven steps: import - export = the integral of the
    net power, import and export each = the integral of its side, per tariff by the clock."""
    home = SimHome.demo(start, seed=11)
    assert home.dishwasher is not None
    rng = np.random.default_rng(0)
    imported = exported = 0.0
    by_tariff = [0.0, 0.0]
    first = _totals(home)
    end = start + timedelta(days=2)
    while home.now < end:
        if home.now.hour == 21 and not home.dishwasher.running(home.now):
            home.dishwasher.start(home.now)
        dt = float(rng.uniform(1, 600))
        meter = home.step(dt)
        imported += meter.power_import_w * dt / 3.6e6
        exported += meter.power_export_w * dt / 3.6e6
        by_tariff[meter.tariff - 1] += meter.net_w * dt / 3.6e6
        assert meter.net_w == pytest.approx(sum(meter.phase_w))
        assert meter.net_w == pytest.approx(home.last.base_load_w + sum(home.last.devices.values()))
    last = _totals(home)
    assert last[0] - first[0] == pytest.approx(imported, rel=1e-12)
    assert last[1] - first[1] == pytest.approx(exported, rel=1e-12)
    meter = home.meter()
    assert meter.import_t1_kwh - meter.export_t1_kwh == pytest.approx(by_tariff[0])
    assert meter.import_t2_kwh - meter.export_t2_kwh == pytest.approx(by_tariff[1])
    assert last[2] > first[2]  # showers and cooking
    assert imported > 10


def test_self_consumption_keeps_the_meter_near_zero_on_a_sunny_day() -> None:
    """PV into the battery by day, the battery into the evening: mostly zero at the meter."""
    home = SimHome.demo(datetime(2026, 6, 15, 11, tzinfo=AMS), seed=2)
    assert home.battery is not None
    assert home.ev is not None
    home.ev.set_current(0)
    home.battery.soc = 0.3
    zero = 0
    for _ in range(120):
        meter = home.step(60)
        zero += meter.net_w == 0
    assert zero > 100
    assert home.battery.soc > 0.3


def test_a_battery_driven_from_outside_is_on_the_meter() -> None:
    """A second battery (the demo's native S2 one) charging at 2 kW: the meter and its phase
    see it, and the first battery's self-consumption works against it."""
    start = datetime(2026, 1, 9, 3, tzinfo=AMS)  # a winter night: no sun
    outside = SimBattery(name="s2_battery", mode=BatteryMode.IDLE)
    home = SimHome(start, seed=4, more_batteries=(outside,))
    idle = home.step(60)
    outside.set_power(2000.0)
    charging = home.step(60)
    assert home.last.devices["s2_battery"] == 2000.0
    assert charging.net_w == pytest.approx(home.last.base_load_w + 2000.0)
    assert charging.net_w - idle.net_w == pytest.approx(2000.0, abs=300.0)
    assert sum(charging.phase_w) == pytest.approx(charging.net_w)
    assert outside.soc > 0.5
    # With a self-consuming battery too, that one discharges to cover the second's charging.
    first = SimBattery(soc=0.9)
    outside = SimBattery(name="s2_battery", mode=BatteryMode.IDLE)
    home = SimHome(start, seed=4, battery=first, more_batteries=(outside,))
    outside.set_power(2000.0)
    meter = home.step(60)
    assert first.power_w < -2000.0
    assert meter.net_w == 0.0


def test_telegram_parses_with_the_core_parser_and_its_crc_is_valid() -> None:
    """The telegram is DSMR 5 as Open HEM reads from a real meter: CRC, values, tariff, time."""
    home = SimHome.demo(
        datetime(2026, 6, 15, 12, tzinfo=AMS),
        seed=4,
        totals=MeterTotals([1000.0, 2000.0], [300.0, 400.0], 1234.5),
    )
    home.run(3600, 60)
    meter = home.meter()
    raw = home.to_telegram()
    assert raw.startswith(b"/ISk5\\2MT382-1000\r\n\r\n")
    assert raw.endswith(b"\r\n")
    body, crc = raw.rsplit(b"!", 1)
    assert int(crc.strip(), 16) == crc16(body + b"!")
    reading = parse_telegram(raw.decode("ascii"), "5")
    assert reading.import_t1_kwh == pytest.approx(meter.import_t1_kwh, abs=5e-4)
    assert reading.import_t2_kwh == pytest.approx(meter.import_t2_kwh, abs=5e-4)
    assert reading.export_t1_kwh == pytest.approx(meter.export_t1_kwh, abs=5e-4)
    assert reading.export_t2_kwh == pytest.approx(meter.export_t2_kwh, abs=5e-4)
    assert reading.gas_m3 == pytest.approx(meter.gas_m3, abs=5e-4)
    assert reading.power_net_w == pytest.approx(meter.net_w, abs=0.5)
    assert reading.tariff == "normal"  # a Monday at 13:00
    for phase in range(3):
        watts = meter.phase_w[phase]
        assert getattr(reading, f"power_l{phase + 1}_w") == pytest.approx(watts, abs=0.5)
        assert getattr(reading, f"voltage_l{phase + 1}_v") == pytest.approx(
            meter.voltage_v[phase], abs=0.05
        )
        assert getattr(reading, f"current_l{phase + 1}_a") == round(
            abs(watts) / meter.voltage_v[phase]
        )
    assert reading.timestamp == datetime(2026, 6, 15, 13, tzinfo=AMS)
    assert b"0-0:1.0.0(260615130000S)" in raw
    assert reading.meter_id == b"E00SIMHOME0000004".hex().upper()
    tampered = raw.replace(b"1-0:1.8.1(001", b"1-0:1.8.1(002")
    with pytest.raises(ChecksumError):
        parse_telegram(tampered.decode("ascii"), "5")


def test_winter_telegram_and_export() -> None:
    """Winter time is marked W; export shows on 2.7.0 and the phases' 22/42/62.7.0."""
    home = SimHome.demo(datetime(2026, 1, 10, 12, tzinfo=AMS), seed=1)
    assert home.battery is not None
    assert home.heat_pump is not None
    assert home.ev is not None
    home.battery.set_power(-5000)
    home.heat_pump.off()
    home.ev.set_current(0)
    meter = home.step(60)
    assert meter.net_w < 0
    assert meter.power_export_w == -meter.net_w
    assert meter.power_import_w == 0
    reading = parse_telegram(home.to_telegram().decode("ascii"), "5")
    assert reading.tariff == "low"  # a Saturday
    assert reading.power_export_w == pytest.approx(-meter.net_w, abs=0.5)
    assert b"W)" in home.to_telegram()
    assert meter.export_kwh == pytest.approx(meter.export_t1_kwh)


def test_nl_tariff() -> None:
    """Low (1) from 23:00 to 07:00 on weekdays and all weekend; normal (2) otherwise."""
    monday = datetime(2026, 6, 15, tzinfo=AMS)
    assert nl_tariff(monday.replace(hour=6, minute=59), AMS) == TARIFF_LOW
    assert nl_tariff(monday.replace(hour=7), AMS) == TARIFF_NORMAL
    assert nl_tariff(monday.replace(hour=22, minute=59), AMS) == TARIFF_NORMAL
    assert nl_tariff(monday.replace(hour=23), AMS) == TARIFF_LOW
    assert nl_tariff(monday.replace(day=13, hour=12), AMS) == TARIFF_LOW  # Saturday


def test_the_same_seed_gives_the_same_home() -> None:
    """Two homes with one seed send identical telegrams; another seed differs."""
    start = datetime(2026, 4, 2, 5, tzinfo=AMS)
    a, b, c = (SimHome.demo(start, seed) for seed in (7, 7, 8))
    telegrams: list[list[bytes]] = [[], [], []]
    for _ in range(24 * 12):
        for home, sent in zip((a, b, c), telegrams, strict=True):
            home.step(300)
            sent.append(home.to_telegram())
    assert telegrams[0] == telegrams[1]
    assert telegrams[0] != telegrams[2]


def test_the_household_does_not_depend_on_the_step_size() -> None:
    """Gas and appliance runs are drawn per day: one-minute and quarter-hour steps agree."""
    start = datetime(2026, 2, 3, tzinfo=AMS)
    fine, coarse = SimHome(start, seed=9), SimHome(start, seed=9)
    fine.run(86400, 60)
    coarse.run(86400, 900)
    assert fine.totals.gas_m3 == pytest.approx(coarse.totals.gas_m3, rel=1e-12)
    assert sum(fine.totals.import_kwh) == pytest.approx(sum(coarse.totals.import_kwh), rel=0.01)


def test_base_load_has_a_realistic_shape_and_total() -> None:
    """About its annual energy, evening peak over the night, a later morning at weekends."""
    load = BaseLoad(seed=1, annual_kwh=2800)
    start = datetime(2026, 3, 2, tzinfo=AMS)  # a Monday; March is close to the year's mean
    hourly = np.zeros((28, 24))
    for day in range(28):
        for hour in range(24):
            t0 = start + timedelta(days=day, hours=hour)
            hourly[day, hour] = load.average_w(t0, t0 + timedelta(hours=1))
    assert hourly.mean() * 8760 / 1000 == pytest.approx(2800, rel=0.1)
    weekdays = np.array([d for d in range(28) if d % 7 < 5])
    weekends = np.array([d for d in range(28) if d % 7 >= 5])
    assert hourly[:, 18:20].mean() > 2.5 * hourly[:, 2:5].mean()
    assert hourly[weekdays, 7].mean() > hourly[weekends, 7].mean()
    assert hourly[weekends, 10].mean() > hourly[weekdays, 10].mean()
    assert hourly.min() > 0
    assert load.average_w(start, start) == load.smooth_w(start)


def test_gas_is_used_for_showers_and_cooking() -> None:
    """About 0.5-1.5 m³ a day; none between 01:00 and 05:00."""
    gas = GasUse(seed=3)
    start = datetime(2026, 3, 2, tzinfo=AMS)
    days = [
        gas.used_m3(start + timedelta(days=d), start + timedelta(days=d + 1)) for d in range(14)
    ]
    assert 0.3 < np.mean(days) < 1.5
    night = start + timedelta(hours=1)
    assert gas.used_m3(night, night + timedelta(hours=4)) == 0


def test_weather() -> None:
    """The sun at Utrecht's solar noon on 21 June stands at about 61.3°; January is colder
    than July; clouds stay between 0 and 1."""
    noon = datetime(2026, 6, 21, 11, 40, tzinfo=ZoneInfo("UTC"))
    assert solar_elevation(noon, 52.09, 5.12) == pytest.approx(61.3, abs=0.5)
    assert solar_elevation(noon + timedelta(hours=12), 52.09, 5.12) < 0
    assert clear_sky_irradiance(-5) == 0
    assert 800 < clear_sky_irradiance(61.3) < 1000
    weather = Weather(seed=1)
    january = np.mean(
        [weather.outdoor_temperature(datetime(2026, 1, d, 12, tzinfo=AMS)) for d in range(1, 29)]
    )
    july = np.mean(
        [weather.outdoor_temperature(datetime(2026, 7, d, 12, tzinfo=AMS)) for d in range(1, 29)]
    )
    assert january + 8 < july
    covers = [
        weather.cloudiness(datetime(2026, 5, 1, tzinfo=AMS) + timedelta(minutes=7 * i))
        for i in range(2000)
    ]
    assert min(covers) >= 0
    assert max(covers) <= 1
    assert min(covers) < max(covers)
    assert weather.irradiance(noon + timedelta(hours=12)) == 0
    warmer = Weather(seed=1, temperature_offset_c=2.0)
    moment = datetime(2026, 1, 5, 3, tzinfo=AMS)
    assert warmer.outdoor_temperature(moment) == pytest.approx(
        weather.outdoor_temperature(moment) + 2
    )


def test_home_rules() -> None:
    """Naive starts and backward steps are refused; a home without devices is its base load."""
    with pytest.raises(ValueError, match="timezone"):
        SimHome(datetime(2026, 1, 1))
    home = SimHome(datetime(2026, 1, 1, tzinfo=AMS))
    with pytest.raises(ValueError, match="forward"):
        home.step(-1)
    meter = home.step(60)
    assert home.device_list() == []
    assert meter.net_w == home.last.base_load_w > 0
    assert home.now == datetime(2026, 1, 1, 0, 1, tzinfo=AMS)
    assert home.run(120, 60).time == datetime(2026, 1, 1, 0, 3, tzinfo=AMS)


def test_many_homes_in_a_long_run_keep_their_caches_small() -> None:
    """Ten days through every cache (eight days each) and the days it drops."""
    home = SimHome.demo(datetime(2026, 10, 20, tzinfo=AMS), seed=12)
    home.run(10 * 86400, 1800)
    assert home.now.date() == date(2026, 10, 30)
    assert home.ev is not None
    assert len(home.ev._schedule) <= 8
