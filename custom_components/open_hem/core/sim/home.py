"""A simulated home: household, weather and devices stepped in time behind one smart meter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .devices import SimBattery, SimDishwasher, SimEVCharger, SimHeatPump, SimPV
from .household import BaseLoad, GasUse
from .meter import MeterTotals, MeterView, nl_tariff
from .weather import Weather

PHASE_SPLIT = (0.4, 0.35, 0.25)  # how the household's own load spreads over L1, L2, L3
NOMINAL_V = 230.0


@dataclass(frozen=True)
class StepResult:
    """What happened in one step: mean powers (W, positive from the grid) and the weather."""

    start: datetime
    end: datetime
    base_load_w: float
    pv_w: float
    """PV production (positive), all inverters together."""
    devices: dict[str, float] = field(default_factory=dict)
    """Each controllable device's power, by name (PV negative)."""
    net_w: float = 0.0
    outdoor_c: float = 0.0
    irradiance_w_m2: float = 0.0


class SimHome:
    """A home that responds physically to what it is told, deterministic for a seed.

    ``step(dt_s)`` moves it on; ``meter()`` (and ``to_telegram()``) shows what its meter shows;
    the devices are its attributes (``battery``, ``ev``, ``heat_pump``, ``pv``, ``dishwasher``,
    each None when the home has none) and are told what to do through their own methods.
    ``SimHome.demo(start)`` builds one with all of them.
    """

    def __init__(
        self,
        start: datetime,
        seed: int = 0,
        *,
        latitude: float = 52.09,
        longitude: float = 5.12,
        timezone: str = "Europe/Amsterdam",
        annual_kwh: float = 2800.0,
        showers_per_day: float = 2.0,
        pv: SimPV | None = None,
        battery: SimBattery | None = None,
        ev: SimEVCharger | None = None,
        heat_pump: SimHeatPump | None = None,
        dishwasher: SimDishwasher | None = None,
        more_batteries: Sequence[SimBattery] = (),
        totals: MeterTotals | None = None,
    ) -> None:
        """A home at ``start`` (tz-aware) in ``timezone``, with the devices given.

        ``more_batteries`` are driven from outside (e.g. by their own S2 resource manager):
        the meter sees them, and ``battery``'s self-consumption works against them too."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self.seed = seed
        self.zone = ZoneInfo(timezone)
        self.now = start.astimezone(self.zone)
        self.weather = Weather(seed, latitude, longitude, timezone)
        self.base_load = BaseLoad(seed, annual_kwh, timezone)
        self.gas = GasUse(seed, timezone, showers_per_day)
        self.pv, self.battery, self.ev = pv, battery, ev
        self.heat_pump, self.dishwasher = heat_pump, dishwasher
        self.more_batteries = tuple(more_batteries)
        self.totals = totals if totals is not None else MeterTotals()
        self.meter_id = f"E00SIMHOME{seed % 10**7:07d}"
        self.gas_meter_id = f"G00SIMHOME{seed % 10**7:07d}"
        if ev is not None:
            ev.seed, ev.timezone = seed, timezone
            ev.start(self.now)
        self.last = StepResult(
            self.now, self.now, self.base_load.average_w(self.now, self.now), 0.0
        )
        self._phase_w = (0.0, 0.0, 0.0)
        self._net_w = 0.0
        self._tariff = nl_tariff(self.now, self.zone)

    @classmethod
    def demo(cls, start: datetime, seed: int = 0, totals: MeterTotals | None = None) -> SimHome:
        """A Dutch home with 5 kWp PV, a 10 kWh battery, an 11 kW charger and car, a heat pump
        in a 1R1C house and a dishwasher: every device with its own default behaviour."""
        return cls(
            start,
            seed,
            pv=SimPV(),
            battery=SimBattery(),
            ev=SimEVCharger(),
            heat_pump=SimHeatPump(),
            dishwasher=SimDishwasher(),
            totals=totals,
        )

    def device_list(self) -> list[SimPV | SimBattery | SimEVCharger | SimHeatPump | SimDishwasher]:
        """The devices the home has."""
        devices = (self.pv, self.ev, self.heat_pump, self.dishwasher, self.battery)
        return [device for device in devices if device is not None] + list(self.more_batteries)

    def step(self, dt_s: float) -> MeterView:
        """Move ``dt_s`` seconds on (the powers are held over the step) and show the meter."""
        if dt_s < 0:
            raise ValueError("time only moves forward")
        t0, t1 = self.now, self.now + timedelta(seconds=dt_s)
        middle = t0 + (t1 - t0) / 2
        base = self.base_load.average_w(t0, t1)
        irradiance = self.weather.irradiance(middle)
        outdoor = self.weather.outdoor_temperature(middle)
        powers: dict[str, float] = {}
        pv_w = 0.0
        if self.pv is not None:
            pv_w = self.pv.step(irradiance)
            powers[self.pv.name] = -pv_w
        if self.ev is not None:
            powers[self.ev.name] = self.ev.step(t0, dt_s)
        if self.heat_pump is not None:
            powers[self.heat_pump.name] = self.heat_pump.step(dt_s, outdoor, irradiance)
        if self.dishwasher is not None:
            powers[self.dishwasher.name] = self.dishwasher.step(t0, t1)
        for extra in self.more_batteries:
            powers[extra.name] = extra.step(dt_s, base + sum(powers.values()))
        rest = base + sum(powers.values())
        if self.battery is not None:
            powers[self.battery.name] = self.battery.step(dt_s, rest)
        net = base + sum(powers.values())
        if abs(net) < 1e-6:  # self-consumption's zero, not a rounding error's export
            net = 0.0
        phases = [base * share for share in PHASE_SPLIT]
        for device in self.device_list():
            share = powers[device.name] / len(device.phases)
            for phase in device.phases:
                phases[phase] += share
        self._phase_w = (phases[0], phases[1], phases[2])
        self._net_w = net
        self._tariff = nl_tariff(middle, self.zone)
        self.totals.add(net, dt_s, self._tariff, self.gas.used_m3(t0, t1))
        self.now = t1.astimezone(self.zone)
        self.last = StepResult(t0, t1, base, pv_w, powers, net, outdoor, irradiance)
        return self.meter()

    def run(self, seconds: float, dt_s: float = 60.0) -> MeterView:
        """Step ``seconds`` on in steps of at most ``dt_s``."""
        left = seconds
        while left > 1e-9:
            self.step(min(dt_s, left))
            left -= dt_s
        return self.meter()

    def meter(self) -> MeterView:
        """What the meter shows now (powers: the mean over the last step)."""
        # a little voltage drop with import, rise with export, and the phases a bit apart
        volts = tuple(
            NOMINAL_V + offset - 0.4 * watts / 1000
            for offset, watts in zip((0.6, -0.4, 1.1), self._phase_w, strict=True)
        )
        return MeterView(
            time=self.now,
            tariff=self._tariff,
            net_w=self._net_w,
            phase_w=self._phase_w,
            voltage_v=(volts[0], volts[1], volts[2]),
            import_t1_kwh=self.totals.import_kwh[0],
            import_t2_kwh=self.totals.import_kwh[1],
            export_t1_kwh=self.totals.export_kwh[0],
            export_t2_kwh=self.totals.export_kwh[1],
            gas_m3=self.totals.gas_m3,
            meter_id=self.meter_id,
            gas_meter_id=self.gas_meter_id,
        )

    def to_telegram(self) -> bytes:
        """The meter's DSMR 5 telegram now, CRC included."""
        return self.meter().to_telegram()
