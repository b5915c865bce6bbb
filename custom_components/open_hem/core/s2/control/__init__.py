"""The S2 control types, each translating both ways between S2 and the planner's devices.

``HANDLERS`` maps a ControlType to the handler class the session activates for it
(NOT_CONTROLABLE has none: measurements and forecasts only).
"""

from __future__ import annotations

from s2python.generated import gen_s2

from .base import ControlHandler, Draft, Outcome, PlanContext, PowerPlan
from .ddbc import DDBCHandler
from .frbc import FRBCHandler
from .ombc import OMBCHandler
from .pebc import PEBCHandler
from .ppbc import PPBCHandler, ProfilePart, ProfileSchedule, ShiftableLoad

HANDLERS: dict[gen_s2.ControlType, type[ControlHandler]] = {
    FRBCHandler.control_type: FRBCHandler,
    OMBCHandler.control_type: OMBCHandler,
    PEBCHandler.control_type: PEBCHandler,
    PPBCHandler.control_type: PPBCHandler,
    DDBCHandler.control_type: DDBCHandler,
}

__all__ = [
    "HANDLERS",
    "ControlHandler",
    "DDBCHandler",
    "Draft",
    "FRBCHandler",
    "OMBCHandler",
    "Outcome",
    "PEBCHandler",
    "PPBCHandler",
    "PlanContext",
    "PowerPlan",
    "ProfilePart",
    "ProfileSchedule",
    "ShiftableLoad",
]
