"""The built-in device kinds, one module each, and their registration.

A new kind: a module here with its spec dataclass and :class:`~..device.DeviceModel` subclass,
and one entry in ``BUILTIN_KINDS``. The order of that tuple is the order a plan lists devices.
"""

from __future__ import annotations

from ..registry import register
from .battery import Battery, BatteryModel
from .ev import EVCharger, EVModel
from .heat_pump import (
    ComfortPeriod,
    HeatPump,
    HeatPumpModel,
    HotWaterBuffer,
    ThermalHouse,
    comfort_band,
)
from .pv import PVInverter, PVModel
from .shiftable import (
    PartChoice,
    ProfilePart,
    ShiftableLoad,
    ShiftableLoadModel,
    ShiftableLoadPlan,
    profile_from_minutes,
)

BUILTIN_KINDS = (BatteryModel, EVModel, HeatPumpModel, PVModel, ShiftableLoadModel)

for _kind in BUILTIN_KINDS:
    register(_kind)

__all__ = [
    "BUILTIN_KINDS",
    "Battery",
    "BatteryModel",
    "ComfortPeriod",
    "EVCharger",
    "EVModel",
    "HeatPump",
    "HeatPumpModel",
    "HotWaterBuffer",
    "PVInverter",
    "PVModel",
    "PartChoice",
    "ProfilePart",
    "ShiftableLoad",
    "ShiftableLoadModel",
    "ShiftableLoadPlan",
    "ThermalHouse",
    "comfort_band",
    "profile_from_minutes",
]
