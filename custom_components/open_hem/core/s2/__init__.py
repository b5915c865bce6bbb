"""S2 (EN 50491-12-2) on the CEM side, without Home Assistant.

- :mod:`.session`: :class:`CemSession`, one per RM connection, transport-agnostic.
- :mod:`.transport`: an aiohttp WebSocket pump for a session, and s2-python's medium for aiohttp.
- :mod:`.control`: FRBC, PEBC, OMBC, PPBC, DDBC, each S2 <-> planner devices and plans.
- :mod:`.units`: sign conventions and units. :mod:`.messages`: lenient parsing, encoding.
- :mod:`.forecast`: S2 forecasts (``CemSession.power_forecast``) as per-slot values.
- :mod:`.connect`: S2 Connect 1.0 pairing and session initiation (pure logic).
"""

from .control.base import PowerPlan
from .session import (
    CemSession,
    Clock,
    EventKind,
    InstructionRecord,
    Measurement,
    RmDetails,
    SessionConfig,
    SessionEvent,
    SessionState,
    SystemClock,
)

__all__ = [
    "CemSession",
    "Clock",
    "EventKind",
    "InstructionRecord",
    "Measurement",
    "PowerPlan",
    "RmDetails",
    "SessionConfig",
    "SessionEvent",
    "SessionState",
    "SystemClock",
]
