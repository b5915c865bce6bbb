"""Simulated homes: a household, the weather and the grote vier behind one smart meter, HA-free.

A :class:`SimHome` is stepped in time (``step(dt_s)``), responds physically to what its devices
are told, and is deterministic for its seed (the household's own behaviour and the weather are
drawn per day, so they do not depend on the step size either). Its meter view (:class:`MeterView`)
has the net and per-phase powers and the totals per Dutch tariff, and renders a DSMR 5 telegram
with a valid CRC (``to_telegram()``), which ``scripts/fake_p1_meter.py`` serves over TCP.
:func:`replay_prices` gives it day-ahead prices for any days from a bundled A44 document.

Modules: ``home`` (the home), ``devices`` (battery, EV charger and car, heat pump and house, PV,
dishwasher), ``household`` (base load, gas), ``weather`` (sun, clouds, temperature), ``meter``
(totals, tariff, telegram), ``prices`` (bundled prices), ``events``/``seeding`` (helpers).
"""

from .devices import (
    DISHWASHER_PROGRAMME,
    BatteryMode,
    EVMode,
    HeatPumpMode,
    SimBattery,
    SimCar,
    SimDishwasher,
    SimEVCharger,
    SimHeatPump,
    SimHouse,
    SimPV,
)
from .home import SimHome, StepResult
from .household import BaseLoad, GasUse
from .meter import TARIFF_LOW, TARIFF_NORMAL, MeterTotals, MeterView, nl_tariff, render_telegram
from .prices import bundled_prices, replay_prices
from .weather import Weather, clear_sky_irradiance, solar_elevation

__all__ = [
    "DISHWASHER_PROGRAMME",
    "TARIFF_LOW",
    "TARIFF_NORMAL",
    "BaseLoad",
    "BatteryMode",
    "EVMode",
    "GasUse",
    "HeatPumpMode",
    "MeterTotals",
    "MeterView",
    "SimBattery",
    "SimCar",
    "SimDishwasher",
    "SimEVCharger",
    "SimHeatPump",
    "SimHome",
    "SimHouse",
    "SimPV",
    "StepResult",
    "Weather",
    "bundled_prices",
    "clear_sky_irradiance",
    "nl_tariff",
    "render_telegram",
    "replay_prices",
    "solar_elevation",
]
