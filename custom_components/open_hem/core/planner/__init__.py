"""The embedded planner: exact optimal plans for the grote vier under a priority ladder.

HA-free: numpy + highspy only. Build a :class:`Problem` (or load one with
:func:`load_scenario`) and call :func:`plan` (synchronous: run it in an executor).

- A plan always exists: wishes and soft grid limits carry slack on their ladder rung and are
  reported in ``Plan.unmet``; ``Plan.status`` is ``"optimal"`` (MIP gap <= 1e-4),
  ``"time_limit"`` (best plan found in time) or ``"baseline"`` (nothing found in time).
- Default ladder for Home Assistant: ``Ladder()`` = GRID > WISHES > COST (see
  :class:`Ladder` for why OWN_PRODUCTION is opt-in); the physical fuse is always hard.
- Modules: ``problem`` (horizon, grid, ladder), ``device`` (the interface every device kind
  implements), ``devices/`` (one module per kind: battery, ev, heat_pump, pv, shiftable),
  ``registry`` (which kinds exist), ``builder`` (columns and rows in numpy arrays),
  ``model`` (devices + grid -> HiGHS), ``solve`` (binaries only where they bind), ``ladder``
  (lexicographic solves), ``baseline``, ``plan`` (results), ``planning`` (entry point),
  ``scenario`` (anchor JSON), ``errors`` (:class:`PlannerError` and its subclasses).
"""

from .devices import (
    Battery,
    ComfortPeriod,
    EVCharger,
    HeatPump,
    HotWaterBuffer,
    PartChoice,
    ProfilePart,
    PVInverter,
    ShiftableLoad,
    ShiftableLoadPlan,
    ThermalHouse,
    comfort_band,
    profile_from_minutes,
)
from .errors import InvalidProblemError, PlannerError
from .plan import CostBreakdown, DevicePlan, Plan, UnmetWish
from .planning import plan
from .problem import (
    CapacityTariff,
    DeviceLimit,
    GridConnection,
    GridLimitWindow,
    Horizon,
    Ladder,
    LocalWindow,
    Problem,
    Rung,
)
from .scenario import load_scenario, scenario_from_dict

__all__ = [
    "Battery",
    "CapacityTariff",
    "ComfortPeriod",
    "CostBreakdown",
    "DeviceLimit",
    "DevicePlan",
    "EVCharger",
    "GridConnection",
    "GridLimitWindow",
    "HeatPump",
    "Horizon",
    "HotWaterBuffer",
    "InvalidProblemError",
    "Ladder",
    "LocalWindow",
    "PVInverter",
    "PartChoice",
    "Plan",
    "PlannerError",
    "Problem",
    "ProfilePart",
    "Rung",
    "ShiftableLoad",
    "ShiftableLoadPlan",
    "ThermalHouse",
    "UnmetWish",
    "comfort_band",
    "load_scenario",
    "plan",
    "profile_from_minutes",
    "scenario_from_dict",
]
