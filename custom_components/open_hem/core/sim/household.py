"""What the household uses on its own: the base load (electricity), gas for cooking and showers.

The base load has a realistic daily shape (a morning and a larger evening peak on weekdays, a
later morning and more at midday at weekends, a little more in winter), slow noise (hourly
factors drawn per day) and appliance runs (kettle, microwave, hair dryer... 0.8-2.2 kW for a few
minutes, more likely when the household is up). Gas is used by showers in the morning, taps
through the day and cooking around dinner. Both are drawn per day from the seed (``seeding``),
so they do not depend on the step size, and their averages over a step are exact.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
import math
from zoneinfo import ZoneInfo

import numpy as np

from .events import Event, amount, local_days
from .seeding import day_rng

# Relative load per hour of the day (hour 0 = 00:00-01:00), after Dutch household profiles.
WEEKDAY_SHAPE = (
    0.75, 0.65, 0.6, 0.58, 0.58, 0.62, 0.85, 1.35, 1.3, 0.95, 0.85, 0.85,
    0.9, 0.85, 0.8, 0.85, 1.0, 1.45, 1.95, 1.9, 1.7, 1.5, 1.25, 0.95,
)  # fmt: skip
WEEKEND_SHAPE = (
    0.8, 0.7, 0.62, 0.58, 0.57, 0.58, 0.65, 0.8, 1.1, 1.35, 1.4, 1.3,
    1.25, 1.15, 1.05, 1.0, 1.1, 1.45, 1.9, 1.85, 1.65, 1.5, 1.3, 1.0,
)  # fmt: skip
APPLIANCE_RUNS_PER_DAY = 8.0
APPLIANCE_MEAN_KWH = 0.12  # per run: 1.5 kW for about 5 minutes
_CACHE_DAYS = 8


def _shape(day: date) -> tuple[float, ...]:
    return WEEKEND_SHAPE if day.weekday() >= 5 else WEEKDAY_SHAPE


def _season(day: date) -> float:
    """More light and heat in winter: x1.12 in late December, x0.88 in late June."""
    return 1.0 + 0.12 * math.cos(2 * math.pi * (day.timetuple().tm_yday + 10) / 365)


class BaseLoad:
    """The household's own electricity use in W (without the devices the planner controls)."""

    def __init__(self, seed: int, annual_kwh: float = 2800.0, timezone: str = "Europe/Amsterdam"):
        """A household using about ``annual_kwh`` a year (the Dutch average is about 2700)."""
        self.seed = seed
        self.zone = ZoneInfo(timezone)
        self.annual_kwh = annual_kwh
        appliance_w = APPLIANCE_RUNS_PER_DAY * APPLIANCE_MEAN_KWH * 1000 / 24
        mean_shape = (sum(WEEKDAY_SHAPE) * 5 + sum(WEEKEND_SHAPE) * 2) / (7 * 24)
        # the smooth part makes up what the appliance runs do not
        self.scale_w = max(annual_kwh * 1000 / 8760 - appliance_w, 0.0) / mean_shape
        self._days: dict[date, tuple[np.ndarray, list[Event]]] = {}

    def _day(self, day: date) -> tuple[np.ndarray, list[Event]]:
        cached = self._days.get(day)
        if cached is not None:
            return cached
        rng = day_rng(self.seed, day, "load")
        factors = np.exp(rng.normal(-0.02, 0.2, 25))  # hourly noise, mean ~1
        shape = np.array(_shape(day))
        # appliance runs start where the household is active (density ~ the shape)
        count = rng.poisson(APPLIANCE_RUNS_PER_DAY)
        hours = rng.choice(24, size=count, p=shape / shape.sum()) + rng.random(count)
        start = datetime.combine(day, time(), tzinfo=self.zone)
        events = []
        for hour, power, minutes in zip(
            hours, rng.uniform(800, 2200, count), rng.uniform(2, 8, count), strict=True
        ):
            t0 = (start + timedelta(hours=float(hour))).timestamp()
            events.append(Event(t0, t0 + float(minutes) * 60, float(power)))
        if len(self._days) >= _CACHE_DAYS:
            self._days.pop(next(iter(self._days)))
        self._days[day] = (factors, events)
        return factors, events

    def smooth_w(self, moment: datetime) -> float:
        """The load without appliance runs, W (hourly values interpolated between half hours)."""
        local = moment.astimezone(self.zone)
        day = local.date()
        factors, _ = self._day(day)
        shape = _shape(day)
        position = local.hour + local.minute / 60 + local.second / 3600 - 0.5
        index = math.floor(position)
        fraction = position - index
        before = shape[index % 24] * factors[index % 24]
        after = shape[(index + 1) % 24] * factors[(index + 1) % 24]
        return float(self.scale_w * _season(day) * (before * (1 - fraction) + after * fraction))

    def average_w(self, t0: datetime, t1: datetime) -> float:
        """The mean load over [t0, t1], W: the smooth part at the middle, appliance runs exact."""
        seconds = (t1 - t0).total_seconds()
        middle = t0 + (t1 - t0) / 2
        if seconds <= 0:
            return self.smooth_w(middle)
        runs = [event for day in local_days(t0, t1, self.zone) for event in self._day(day)[1]]
        return self.smooth_w(middle) + amount(runs, t0.timestamp(), t1.timestamp()) / seconds


class GasUse:
    """Gas for hot water and cooking, m³ (a home whose space heating is electric)."""

    def __init__(self, seed: int, timezone: str = "Europe/Amsterdam", showers: float = 2.0):
        """``showers`` a day on average (about 0.25 m³ each)."""
        self.seed = seed
        self.zone = ZoneInfo(timezone)
        self.showers = showers
        self._days: dict[date, list[Event]] = {}

    def events(self, day: date) -> list[Event]:
        """The day's gas use: (start, end, m³/s)."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        rng = day_rng(self.seed, day, "gas")
        start = datetime.combine(day, time(), tzinfo=self.zone)
        weekend = day.weekday() >= 5
        runs: list[tuple[float, float, float]] = []  # (hour, minutes, m³ per minute)
        for _ in range(rng.poisson(self.showers)):
            hour = rng.uniform(8.0, 11.0) if weekend else rng.uniform(6.3, 8.3)
            runs.append((hour, rng.uniform(6, 12), 0.025))  # a combi boiler at ~18 kW
        runs.extend(  # taps: washing up, hands
            (rng.uniform(7.0, 22.5), rng.uniform(0.5, 3), 0.02) for _ in range(rng.poisson(6))
        )
        runs.append((rng.uniform(17.3, 18.6), rng.uniform(25, 50), 0.0025))  # cooking, ~1.5 kW
        events = []
        for hour, minutes, per_minute in runs:
            t0 = (start + timedelta(hours=float(hour))).timestamp()
            events.append(Event(t0, t0 + float(minutes) * 60, per_minute / 60))
        if len(self._days) >= _CACHE_DAYS:
            self._days.pop(next(iter(self._days)))
        self._days[day] = events
        return events

    def used_m3(self, t0: datetime, t1: datetime) -> float:
        """Gas used in [t0, t1], m³."""
        runs = [event for day in local_days(t0, t1, self.zone) for event in self.events(day)]
        return amount(runs, t0.timestamp(), t1.timestamp())
