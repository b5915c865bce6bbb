"""The simulated devices: each does what it is told, within its physics, and has its own default.

Each has its own default (what it does when nobody tells it anything) and commands.
Powers are averages over a step in W, positive when drawn from the grid side (a charging battery,
a running heat pump) and negative when delivered to it (a discharging battery); PV reports what
it produces as a positive ``power_w`` and the home counts it as negative.

- ``SimBattery``: self-consumption by default (charges what would be exported, covers what
  would be imported); ``set_power``, ``self_consumption``, ``idle``.
- ``SimEVCharger`` with a ``SimCar``: charges at its maximum current while the car is plugged
  in; ``set_current``, ``set_power``.
- ``SimHeatPump`` in a ``SimHouse``: its own thermostat (modulating, or on/off);
  ``set_power``, ``thermostat``, ``off``.
- ``SimPV``: everything the sun gives, up to the inverter's AC rating; ``set_limit``.
- ``SimDishwasher``: idle; once started it runs its programme to the end; ``start``.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
import enum
import math
from zoneinfo import ZoneInfo

from .seeding import day_rng

THREE_PHASES = (0, 1, 2)


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


class BatteryMode(enum.StrEnum):
    """What the battery does."""

    SELF_CONSUMPTION = "self_consumption"
    POWER = "power"
    IDLE = "idle"


@dataclass
class SimBattery:
    """A home battery, AC-coupled: ``soc`` integrates the AC power with the efficiencies.

    Charging ``P`` W for ``dt`` s stores ``P * charge_efficiency * dt``; discharging takes
    ``P / discharge_efficiency * dt`` from the cells. Power is cut back so the state of charge
    stays in ``[soc_min, soc_max]``: a battery asked for more than it can do does what it can.
    """

    name: str = "battery"
    capacity_wh: float = 10000.0
    max_charge_w: float = 5000.0
    max_discharge_w: float = 5000.0
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_min: float = 0.05
    soc_max: float = 1.0
    soc: float = 0.5
    phases: tuple[int, ...] = THREE_PHASES
    mode: BatteryMode = BatteryMode.SELF_CONSUMPTION
    setpoint_w: float = 0.0
    power_w: float = 0.0

    def set_power(self, watts: float) -> None:
        """Charge (positive) or discharge (negative) at this AC power from now on."""
        self.mode, self.setpoint_w = BatteryMode.POWER, float(watts)

    def self_consumption(self) -> None:
        """Back to its own default: keep the meter at zero as far as it can."""
        self.mode = BatteryMode.SELF_CONSUMPTION

    def idle(self) -> None:
        """Neither charge nor discharge."""
        self.mode = BatteryMode.IDLE

    @property
    def energy_wh(self) -> float:
        """Stored energy, Wh."""
        return self.soc * self.capacity_wh

    def limits_w(self, dt_s: float) -> tuple[float, float]:
        """(most it can charge, most it can discharge) over the next ``dt_s`` seconds, W."""
        if dt_s <= 0:
            return self.max_charge_w, self.max_discharge_w
        room_wh = max(self.soc_max - self.soc, 0.0) * self.capacity_wh
        left_wh = max(self.soc - self.soc_min, 0.0) * self.capacity_wh
        charge = min(self.max_charge_w, room_wh * 3600 / (self.charge_efficiency * dt_s))
        discharge = min(self.max_discharge_w, left_wh * 3600 * self.discharge_efficiency / dt_s)
        return charge, discharge

    def step(self, dt_s: float, rest_of_home_w: float) -> float:
        """Run ``dt_s`` seconds; ``rest_of_home_w`` is the home's net power without the battery
        (what self-consumption works against). Returns the AC power, W."""
        if self.mode is BatteryMode.SELF_CONSUMPTION:
            wanted = -rest_of_home_w
        elif self.mode is BatteryMode.POWER:
            wanted = self.setpoint_w
        else:
            wanted = 0.0
        charge, discharge = self.limits_w(dt_s)
        power = _clip(wanted, -discharge, charge)
        if power >= 0:
            stored = power * self.charge_efficiency * dt_s / 3600
        else:
            stored = power / self.discharge_efficiency * dt_s / 3600
        self.soc += stored / self.capacity_wh
        self.power_w = power
        return power


@dataclass
class SimCar:
    """The car: its battery, and when it comes home and leaves again (drawn per day).

    It comes home between ``arrive_between`` (local hours) with a state of charge in
    ``arrival_soc_between`` and leaves the next morning between ``leave_between`` (at weekends
    ``weekend_leave_between``).
    """

    capacity_wh: float = 60000.0
    soc: float = 0.5
    max_ac_w: float = 11000.0
    target_soc: float = 1.0
    arrive_between: tuple[float, float] = (17.0, 19.5)
    leave_between: tuple[float, float] = (7.0, 8.5)
    weekend_leave_between: tuple[float, float] = (9.0, 11.5)
    arrival_soc_between: tuple[float, float] = (0.25, 0.6)


class EVMode(enum.StrEnum):
    """What limits the charging current."""

    MAX = "max"
    CURRENT = "current"


@dataclass
class SimEVCharger:
    """A charger (``phases`` x ``voltage_v`` x 6..``max_current_a``) and the car that uses it.

    The car's state of charge integrates ``power * efficiency`` while it is plugged in and
    charging; charging stops at the car's target or its on-board charger's limit.
    """

    name: str = "ev"
    car: SimCar = field(default_factory=SimCar)
    phases: tuple[int, ...] = THREE_PHASES
    voltage_v: float = 230.0
    min_current_a: float = 6.0
    max_current_a: float = 16.0
    efficiency: float = 0.9
    seed: int = 0
    timezone: str = "Europe/Amsterdam"
    mode: EVMode = EVMode.MAX
    current_a: float = 16.0
    plugged: bool = False
    power_w: float = 0.0
    _schedule: dict[date, tuple[datetime, datetime, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def set_current(self, amps: float | None) -> None:
        """Charge at this current (0: pause; below the 6 A minimum: pause); None: at the
        maximum again (the default)."""
        if amps is None:
            self.mode, self.current_a = EVMode.MAX, self.max_current_a
            return
        amps = min(float(amps), self.max_current_a)
        self.mode, self.current_a = EVMode.CURRENT, amps if amps >= self.min_current_a else 0.0

    def set_power(self, watts: float) -> None:
        """Charge at about this power (rounded down to a current it can set)."""
        self.set_current(watts / (len(self.phases) * self.voltage_v))

    @property
    def max_w(self) -> float:
        """The most it can charge, W."""
        return min(len(self.phases) * self.voltage_v * self.max_current_a, self.car.max_ac_w)

    def schedule(self, day: date) -> tuple[datetime, datetime, float]:
        """(leaves, comes home, state of charge on arrival) on that local day, drawn per day."""
        cached = self._schedule.get(day)
        if cached is not None:
            return cached
        rng = day_rng(self.seed, day, "ev")
        leave = self.car.weekend_leave_between if day.weekday() >= 5 else self.car.leave_between
        midnight = datetime.combine(day, time(), tzinfo=ZoneInfo(self.timezone))
        drawn = (
            midnight + timedelta(hours=rng.uniform(*leave)),
            midnight + timedelta(hours=rng.uniform(*self.car.arrive_between)),
            float(rng.uniform(*self.car.arrival_soc_between)),
        )
        if len(self._schedule) >= 8:
            self._schedule.pop(next(iter(self._schedule)))
        self._schedule[day] = drawn
        return drawn

    def home_at(self, moment: datetime) -> bool:
        """Whether the car is at home (plugged in) at the moment."""
        leaves, arrives, _ = self.schedule(moment.astimezone(ZoneInfo(self.timezone)).date())
        return moment >= arrives or moment < leaves

    def start(self, moment: datetime) -> None:
        """Put the car where it is at ``moment`` (its ``soc`` as configured)."""
        self.plugged = self.home_at(moment)

    def step(self, t0: datetime, dt_s: float) -> float:
        """Run ``dt_s`` seconds from ``t0`` (the car comes and goes at step starts)."""
        home = self.home_at(t0)
        if home and not self.plugged:
            self.car.soc = self.schedule(t0.astimezone(ZoneInfo(self.timezone)).date())[2]
        self.plugged = home
        power = 0.0
        if home and dt_s > 0:
            power = min(len(self.phases) * self.voltage_v * self.current_a, self.car.max_ac_w)
            room_wh = max(self.car.target_soc - self.car.soc, 0.0) * self.car.capacity_wh
            power = min(power, room_wh * 3600 / (self.efficiency * dt_s))
            self.car.soc += power * self.efficiency * dt_s / 3600 / self.car.capacity_wh
        self.power_w = power
        return power


@dataclass
class SimHouse:
    """The house a heat pump heats: one node (1R1C), ``C dT/dt = Q + gains - UA (T - T_out)``.

    ``capacity_wh_per_k`` is C, ``ua_w_per_k`` the heat loss; gains are the household's own
    (``internal_gains_w``) and the sun's through ``solar_aperture_m2`` of window.
    """

    ua_w_per_k: float = 200.0
    capacity_wh_per_k: float = 8000.0
    indoor_c: float = 20.0
    internal_gains_w: float = 250.0
    solar_aperture_m2: float = 3.0

    def gains_w(self, irradiance_w_m2: float) -> float:
        """Free heat: people and appliances, and the sun."""
        return self.internal_gains_w + self.solar_aperture_m2 * irradiance_w_m2

    def equilibrium_c(self, heat_w: float, outdoor_c: float, gains_w: float) -> float:
        """Where the temperature goes with this heat held: ``T_out + (Q + gains) / UA``."""
        return outdoor_c + (heat_w + gains_w) / self.ua_w_per_k

    def step(self, dt_s: float, heat_w: float, outdoor_c: float, gains_w: float) -> float:
        """Integrate exactly over ``dt_s`` with constant heat, outdoor temperature and gains."""
        target = self.equilibrium_c(heat_w, outdoor_c, gains_w)
        decay = math.exp(-self.ua_w_per_k * dt_s / (self.capacity_wh_per_k * 3600))
        self.indoor_c = target + (self.indoor_c - target) * decay
        return self.indoor_c


class HeatPumpMode(enum.StrEnum):
    """Who decides the heat pump's power."""

    THERMOSTAT = "thermostat"
    POWER = "power"
    OFF = "off"


MAX_INDOOR_C = 26.0  # the heat pump's own safety: it never heats the house above this


@dataclass
class SimHeatPump:
    """An air-water heat pump heating a ``SimHouse``.

    COP as the planner's model: ``cop_at_7c + cop_slope_per_k * (T_out - 7)`` clipped to
    ``[1, cop_max]``. ``modulating`` units run between ``min_w`` and ``max_w``; others are on
    (``max_w``) or off. Its own thermostat keeps ``setpoint_c`` within ``hysteresis_k`` and
    does not heat above ``cutoff_outdoor_c`` outside.
    """

    name: str = "heat_pump"
    house: SimHouse = field(default_factory=SimHouse)
    max_w: float = 2000.0
    min_w: float = 500.0
    modulating: bool = True
    cop_at_7c: float = 3.5
    cop_slope_per_k: float = 0.08
    cop_max: float = 6.0
    cutoff_outdoor_c: float = 18.0
    setpoint_c: float = 20.5
    hysteresis_k: float = 0.5
    phases: tuple[int, ...] = (0,)
    mode: HeatPumpMode = HeatPumpMode.THERMOSTAT
    setpoint_w: float = 0.0
    on: bool = False
    power_w: float = 0.0
    heat_w: float = 0.0

    def cop(self, outdoor_c: float) -> float:
        """Coefficient of performance at this outdoor temperature."""
        return _clip(self.cop_at_7c + self.cop_slope_per_k * (outdoor_c - 7.0), 1.0, self.cop_max)

    def set_power(self, watts: float) -> None:
        """Run at this electrical power (a modulating unit between min and max; an on/off unit
        on at max for anything above 0)."""
        self.mode, self.setpoint_w = HeatPumpMode.POWER, float(watts)

    def thermostat(self, setpoint_c: float | None = None) -> None:
        """Back to its own thermostat (the default), optionally at a new setpoint."""
        self.mode = HeatPumpMode.THERMOSTAT
        if setpoint_c is not None:
            self.setpoint_c = setpoint_c

    def off(self) -> None:
        """Stay off."""
        self.mode = HeatPumpMode.OFF

    def _hysteresis(self, indoor: float, power_on: float) -> float:
        if indoor < self.setpoint_c - self.hysteresis_k / 2:
            self.on = True
        elif indoor > self.setpoint_c + self.hysteresis_k / 2:
            self.on = False
        return power_on if self.on else 0.0

    def _thermostat_w(self, outdoor_c: float, gains_w: float) -> float:
        house = self.house
        if outdoor_c > self.cutoff_outdoor_c:
            self.on = False
            return 0.0
        if not self.modulating:
            return self._hysteresis(house.indoor_c, self.max_w)
        # the heat that holds the setpoint, plus closing the gap in about an hour
        heat = (
            house.ua_w_per_k * (self.setpoint_c - outdoor_c)
            - gains_w
            + house.capacity_wh_per_k * (self.setpoint_c - house.indoor_c)
        )
        power = heat / self.cop(outdoor_c)
        if power >= self.min_w:
            self.on = True
            return min(power, self.max_w)
        return self._hysteresis(house.indoor_c, self.min_w)  # too little to modulate: cycle

    def _commanded_w(self) -> float:
        wanted = _clip(self.setpoint_w, 0.0, self.max_w)
        if wanted <= 0:
            return 0.0
        return max(wanted, self.min_w) if self.modulating else self.max_w

    def step(self, dt_s: float, outdoor_c: float, irradiance_w_m2: float) -> float:
        """Run ``dt_s`` seconds: decide the power, then let the house respond."""
        gains = self.house.gains_w(irradiance_w_m2)
        if self.mode is HeatPumpMode.THERMOSTAT:
            power = self._thermostat_w(outdoor_c, gains)
        elif self.mode is HeatPumpMode.POWER:
            power = self._commanded_w()
        else:
            power = 0.0
        if self.house.indoor_c >= MAX_INDOOR_C:
            power = 0.0
        self.on = power > 0
        self.power_w = power
        self.heat_w = power * self.cop(outdoor_c)
        self.house.step(dt_s, self.heat_w, outdoor_c, gains)
        return power


@dataclass
class SimPV:
    """PV panels (``kwp``) behind an inverter (``max_ac_w``) whose output can be limited.

    Output = ``kwp * irradiance / 1000 * performance_ratio`` (the horizontal irradiance: a
    simple stand-in for the panels' plane), capped by the inverter and by ``limit_w``.
    """

    name: str = "pv"
    kwp: float = 5.0
    max_ac_w: float = 4600.0
    performance_ratio: float = 0.85
    phases: tuple[int, ...] = THREE_PHASES
    limit_w: float | None = None
    available_w: float = 0.0
    power_w: float = 0.0

    def set_limit(self, watts: float | None) -> None:
        """Limit the output to ``watts`` (0: off); None lifts the limit (the default)."""
        self.limit_w = None if watts is None else max(float(watts), 0.0)

    def step(self, irradiance_w_m2: float) -> float:
        """The power produced (positive), W."""
        self.available_w = min(self.kwp * irradiance_w_m2 * self.performance_ratio, self.max_ac_w)
        limit = self.max_ac_w if self.limit_w is None else self.limit_w
        self.power_w = min(self.available_w, limit)
        return self.power_w

    @property
    def curtailed_w(self) -> float:
        """What the limit held back in the last step, W."""
        return self.available_w - self.power_w


# (seconds, W): pre-rinse, heat the water, wash, heat for the rinse, rinse, dry.
DISHWASHER_PROGRAMME: tuple[tuple[float, float], ...] = (
    (300, 150.0),
    (1200, 2000.0),
    (1800, 150.0),
    (600, 2000.0),
    (900, 100.0),
    (1800, 10.0),
)


@dataclass
class SimDishwasher:
    """A dishwasher: idle until started, then its programme once, to the end."""

    name: str = "dishwasher"
    programme: tuple[tuple[float, float], ...] = DISHWASHER_PROGRAMME
    phases: tuple[int, ...] = (1,)
    started_at: datetime | None = None
    power_w: float = 0.0
    runs: int = 0

    def __post_init__(self) -> None:
        """Cumulative times and energies of the programme's phases."""
        self._ends = [0.0]
        self._joules = [0.0]
        for seconds, watts in self.programme:
            self._ends.append(self._ends[-1] + seconds)
            self._joules.append(self._joules[-1] + seconds * watts)

    @property
    def duration_s(self) -> float:
        """How long the programme runs."""
        return self._ends[-1]

    @property
    def programme_wh(self) -> float:
        """The energy of one run, Wh."""
        return self._joules[-1] / 3600

    def running(self, moment: datetime) -> bool:
        """Whether it runs at the moment."""
        if self.started_at is None:
            return False
        return 0 <= (moment - self.started_at).total_seconds() < self.duration_s

    def start(self, moment: datetime) -> bool:
        """Start the programme at ``moment``; False (and nothing changes) while it runs."""
        if self.running(moment):
            return False
        self.started_at = moment
        self.runs += 1
        return True

    def _joules_until(self, elapsed_s: float) -> float:
        """Energy used from the programme's start until ``elapsed_s`` into it, J."""
        if elapsed_s <= 0:
            return 0.0
        if elapsed_s >= self.duration_s:
            return self._joules[-1]
        i = bisect_right(self._ends, elapsed_s) - 1
        return self._joules[i] + (elapsed_s - self._ends[i]) * self.programme[i][1]

    def step(self, t0: datetime, t1: datetime) -> float:
        """The mean power over [t0, t1], W (exact, also across phase changes)."""
        seconds = (t1 - t0).total_seconds()
        if self.started_at is None or seconds <= 0:
            self.power_w = 0.0
            return 0.0
        a = (t0 - self.started_at).total_seconds()
        self.power_w = (self._joules_until(a + seconds) - self._joules_until(a)) / seconds
        return self.power_w
