"""In-process S2 resource managers for devices Home Assistant reaches through entities.

One module per device kind, each with its parameters and state snapshot (plain dataclasses),
the RM, and a function that builds the planner's device from the session's control handler:

- :mod:`.battery`: FRBC (fill level = SOC); :class:`SetPower`.
- :mod:`.ev`: FRBC with the car's SOC, PEBC without; :class:`SetCurrent` (6 A minimum).
- :mod:`.heat_pump`: OMBC on/off or modulating, FRBC for a hot-water tank; :class:`SetMode`.
- :mod:`.pv`: PEBC curtailment or NOT_CONTROLABLE; :class:`SetLimit`.
- :mod:`.appliance`: PPBC (one power profile per run); :class:`Start`.
- :mod:`.base`: commands, the RM base class and the :class:`InMemoryLink` to a CemSession.
"""

from .appliance import ApplianceParams, ApplianceRM, ApplianceState, appliance_model
from .base import (
    Command,
    InMemoryLink,
    ResourceManager,
    SetCurrent,
    SetLimit,
    SetMode,
    SetPower,
    Start,
)
from .battery import BatteryParams, BatteryRM, BatteryState, battery_model
from .ev import EVChargerRM, EVParams, EVState, ev_model
from .heat_pump import HeatPumpParams, HeatPumpRM, HeatPumpState, heat_pump_model
from .pv import PVInverterRM, PVParams, PVState, pv_model

__all__ = [
    "ApplianceParams",
    "ApplianceRM",
    "ApplianceState",
    "BatteryParams",
    "BatteryRM",
    "BatteryState",
    "Command",
    "EVChargerRM",
    "EVParams",
    "EVState",
    "HeatPumpParams",
    "HeatPumpRM",
    "HeatPumpState",
    "InMemoryLink",
    "PVInverterRM",
    "PVParams",
    "PVState",
    "ResourceManager",
    "SetCurrent",
    "SetLimit",
    "SetMode",
    "SetPower",
    "Start",
    "appliance_model",
    "battery_model",
    "ev_model",
    "heat_pump_model",
    "pv_model",
]
