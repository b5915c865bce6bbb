"""Constants of the planning loop: storage, cadence, defaults, profiles and ladder rungs."""

from __future__ import annotations

from datetime import time, timedelta
from enum import StrEnum
from typing import Final

STORAGE_VERSION: Final = 1
STORAGE_KEY: Final = "open_hem.planner"

SLOT: Final = timedelta(minutes=15)
SLOT_MINUTES: Final = 15
MAX_HORIZON: Final = timedelta(hours=48)
NO_PRICE_HORIZON: Final = timedelta(hours=24)
"""Without prices the baseline is still planned, over this long."""
MIN_SLOTS: Final = 4
"""Fewer known price slots than this (one hour) count as no prices."""

REPLAN_COOLDOWN_S: Final = 2.0
"""Triggers within this many seconds (a hub change, new prices, a wish) make one replan."""
PLAN_TIME_LIMIT_S: Final = 5.0
"""The solver's own limit: it returns the best plan found by then."""
UNAVAILABLE_GRACE: Final = timedelta(minutes=10)
"""A device in auto mode not ready for this long raises a repair issue."""
MANUAL_PERSIST_SLOTS: Final = 4
"""A manual device's measured power is expected to last this many slots (planned around)."""

DEFAULT_BASE_LOAD_W: Final = 400.0
"""Base load while the meter's history is short (a typical Dutch household's night load)."""
HISTORY_WEEKS: Final = 4
MIN_HISTORY_HOURS: Final = 24 * 7
"""Below a week of hourly history the flat default is used."""
FALLBACK_PRICE_EUR: Final = 0.25
SEASONAL_OUTDOOR_C: Final = (3.6, 3.9, 6.5, 9.8, 13.4, 16.2, 18.3, 17.9, 14.7, 10.9, 7.0, 4.2)
"""Outdoor temperature without a weather forecast: the mean of each month (January first),
KNMI De Bilt normals 1991-2020; shifted half a year south of the equator."""
CONF_WEATHER: Final = "weather_entity"
"""The weather entity of the outdoor temperature forecast (absent: weather.home or the first;
None: no weather entity, the seasonal default)."""
DEFAULT_WEATHER: Final = "weather.home"
FORECAST_REFRESH: Final = timedelta(minutes=30)
PROFILE_REFRESH: Final = timedelta(hours=6)

# Wishes and their defaults (public defaults: what a household gets without setting anything).
WISH_TARGET_SOC: Final = "target_soc"
WISH_READY_BY: Final = "ready_by"
WISH_COMFORT_LOW: Final = "comfort_low"
WISH_COMFORT_HIGH: Final = "comfort_high"
WISH_FINISH_BY: Final = "finish_by"
DEFAULT_TARGET_SOC: Final = 80.0
DEFAULT_READY_BY: Final = time(7, 0)
DEFAULT_COMFORT_LOW: Final = 19.5
DEFAULT_COMFORT_HIGH: Final = 21.5
DEFAULT_FINISH_BY: Final = time(7, 0)

CONF_PROFILE: Final = "planning_profile"
CONF_LADDER: Final = "ladder"

ISSUE_NO_PRICES: Final = "no_prices"
ISSUE_DEVICE_UNAVAILABLE: Final = "device_unreachable"
ISSUE_WISH_GRID_LIMIT: Final = "wish_unmet_grid_limit"
ISSUE_PLANNER_ERROR: Final = "planner_error"


class Profile(StrEnum):
    """The public default profiles (chosen at setup, switchable in the options)."""

    GRID_AWARE = "grid_aware"
    """The report's default: safety > grid > comfort > own solar > price, load spread."""
    CHEAPEST = "cheapest"
    """Grid > comfort > price: own solar is only as good as its price."""
    OWN_SOLAR = "own_solar"
    """Grid > own solar > comfort > price: keep own production in the home first."""


DEFAULT_PROFILE: Final = Profile.GRID_AWARE


class PlanStatus(StrEnum):
    """How good the plan in force is."""

    OPTIMAL = "optimal"
    RELAXED = "relaxed"
    """A plan, but a wish or limit is relaxed (or the solver stopped at its time limit)."""
    BASELINE = "baseline"
    """No optimised plan: the devices follow their baseline (no prices, or solver failure)."""
