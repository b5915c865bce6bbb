"""S2 units and sign conventions, checked in one place.

- Power: S2 and the planner both count **consumption positive, production negative** (W),
  so a planner ``DevicePlan.power_w`` goes into S2 unchanged. Home Assistant's Energy
  dashboard counts battery power **discharge positive** (``PowerConfig.stat_rate``): use
  :func:`s2_to_ha_battery_power` / :func:`ha_battery_power_to_s2` at that boundary only.
  Grid power in HA is positive on import, which matches S2.
- Durations: S2 ``Duration`` is in **milliseconds**.
- FRBC fill rates, leakage rates and usage rates are per **second**.
"""

from __future__ import annotations

from datetime import timedelta
import math
from typing import Any

ELECTRIC_QUANTITIES = frozenset(
    {
        "ELECTRIC.POWER.L1",
        "ELECTRIC.POWER.L2",
        "ELECTRIC.POWER.L3",
        "ELECTRIC.POWER.3_PHASE_SYMMETRIC",
    }
)
"""The CommodityQuantity values that are electric power (W)."""


def s2_to_ha_battery_power(power_w: float) -> float:
    """S2 battery power (+ charging) -> HA battery power (+ discharging)."""
    return -power_w


def ha_battery_power_to_s2(power_w: float) -> float:
    """HA battery power (+ discharging) -> S2 battery power (+ charging)."""
    return -power_w


def ms_to_timedelta(ms: int | float) -> timedelta:
    """An S2 Duration (ms) as a timedelta."""
    return timedelta(milliseconds=ms)


def timedelta_to_ms(delta: timedelta) -> int:
    """A timedelta as an S2 Duration (ms), rounded up so a wait is never shortened."""
    if delta < timedelta(0):
        raise ValueError("S2 durations are >= 0")
    return math.ceil(delta / timedelta(milliseconds=1) - 1e-9)


def duration_ms(duration: Any) -> int:
    """The milliseconds of an s2-python ``Duration`` (wrapper or generated model) or an int."""
    value = getattr(duration, "root", duration)
    return int(value)


def per_second_to_per_hour(rate: float) -> float:
    """An FRBC rate (fill level per second) per hour."""
    return rate * 3600.0


def per_hour_to_per_second(rate: float) -> float:
    """A rate per hour as an FRBC rate per second."""
    return rate / 3600.0


def fill_change(rate_per_s: float, delta: timedelta) -> float:
    """How far an FRBC rate (per second) moves the fill level over ``delta``."""
    return rate_per_s * delta.total_seconds()


def watt_hours(power_w: float, delta: timedelta) -> float:
    """Energy (Wh) of a constant power over ``delta``."""
    return power_w * delta.total_seconds() / 3600.0
