"""A native S2 device as the planning loop sees it: its planner model from its S2 state.

Only what the RM itself describes is planned: an FRBC storage (battery, EV with its SOC, hot
water) and a PEBC PV inverter with a power forecast. Other control types need facts the RM does
not send (a house's thermal model for OMBC/DDBC heat pumps) and are planned around (no model).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
import logging
from typing import Any

from ...core.s2 import CemSession
from ...core.s2.control import FRBCHandler, PEBCHandler
from ...core.s2.forecast import production_forecast_w

_LOGGER = logging.getLogger(__name__)


def native_planner_model(
    session: CemSession | None, name: str, slot_start: Sequence[datetime], slot_duration: timedelta
) -> Any:
    """The planner device for this RM's active control type, or None when it has none (yet)."""
    control = None if session is None or session.closed else session.control
    if control is None or not control.ready:
        return None
    try:
        if isinstance(control, FRBCHandler):
            return control.device_model(name, slot_start)
        if isinstance(control, PEBCHandler) and session is not None and session.power_forecast:
            forecast = production_forecast_w(session.power_forecast, slot_start, slot_duration)
            return control.pv_inverter(name, forecast)
    except ValueError as err:
        # What the RM described cannot be planned (e.g. no charging mode): planned around.
        _LOGGER.debug("S2 device %s cannot be planned: %s", name, err)
    return None
