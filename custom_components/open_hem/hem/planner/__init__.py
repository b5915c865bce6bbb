"""The embedded planner: exact optimal plans for the grote vier under a priority ladder.

HA-free: numpy + highspy only. Build a :class:`Problem` (or load one with
:func:`load_scenario`) and call :func:`plan`.
"""

from .devices import (
    Battery,
    ComfortPeriod,
    EVCharger,
    HeatPump,
    HotWaterBuffer,
    PVInverter,
    ThermalHouse,
    comfort_band,
)
from .plan import CostBreakdown, DevicePlan, Plan, UnmetWish
from .planning import plan
from .problem import GridConnection, Horizon, Ladder, Problem, Rung
from .scenario import load_scenario, scenario_from_dict

__all__ = [
    "Battery",
    "ComfortPeriod",
    "CostBreakdown",
    "DevicePlan",
    "EVCharger",
    "GridConnection",
    "HeatPump",
    "Horizon",
    "HotWaterBuffer",
    "Ladder",
    "PVInverter",
    "Plan",
    "Problem",
    "Rung",
    "ThermalHouse",
    "UnmetWish",
    "comfort_band",
    "load_scenario",
    "plan",
    "scenario_from_dict",
]
