"""A native S2 device as the planning loop sees it: its planner model from its S2 state.

Only what the RM itself describes is planned: an FRBC storage (battery, EV with its SOC, hot
water), a PEBC PV inverter with a power forecast, and a PPBC appliance run (its power profile,
placed whole, wished finished by the profile's end time). Other control types need facts the RM
does not send (a house's thermal model for OMBC/DDBC heat pumps) and are planned around.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
import functools
import logging
from typing import Any

from ...core.s2 import CemSession
from ...core.s2.control import (
    ControlHandler,
    DDBCHandler,
    FRBCHandler,
    OMBCHandler,
    PEBCHandler,
    PPBCHandler,
)
from ...core.s2.forecast import production_forecast_w
from ..hub import PlannerModel

_LOGGER = logging.getLogger(__name__)

PLANNED = "planned"
PLANNING_STATES = (
    PLANNED,
    "waiting",
    "needs_power_forecast",
    "needs_thermal_model",
    "needs_gas_price",
    "not_controllable",
)
"""Whether the loop plans the device, or why it is planned around (the *Planning* sensor)."""
UNPLANNABLE = frozenset({"needs_thermal_model", "needs_gas_price", "not_controllable"})
"""States that last as long as the control type: the device is only ever planned around."""


def planning_status(session: CemSession | None) -> str | None:
    """One of ``PLANNING_STATES`` for the RM's active control type (None: not connected).

    OMBC says which modes there are, not what running them does for the household (no
    storage, no demand): choosing them by price alone could leave a house cold, so it needs a
    thermal model the RM does not send. DDBC tells the heat demand, but choosing between the
    heat pump and the boiler needs the price of gas, which Open HEM does not know.
    """
    if session is None or session.closed:
        return None
    control = session.control
    if control is None:
        return "waiting" if session.active_control_type is None else "not_controllable"
    if not control.ready:
        return "waiting"
    if isinstance(control, PEBCHandler) and not session.power_forecast:
        return "needs_power_forecast"
    if isinstance(control, OMBCHandler):
        return "needs_thermal_model"
    if isinstance(control, DDBCHandler):
        return "needs_gas_price"
    return PLANNED


def native_model_capture(session: CemSession | None, name: str) -> PlannerModel:
    """On the event loop: the RM's S2 state now, to build its planner model from later."""
    control = None if session is None or session.closed else session.control
    return functools.partial(
        native_planner_model,
        None if control is None else control.frozen(),
        None if session is None else session.power_forecast,
        name,
    )


def native_planner_model(
    control: ControlHandler | None,
    power_forecast: Any,
    name: str,
    slot_start: Sequence[datetime],
    slot_duration: timedelta,
) -> Any:
    """The planner device for the RM's active control type (its handler's state and the
    power forecast it sent), or None when it has none (yet)."""
    if control is None or not control.ready:
        return None
    try:
        if isinstance(control, FRBCHandler):
            return control.device_model(name, slot_start)
        if isinstance(control, PEBCHandler) and power_forecast:
            forecast = production_forecast_w(power_forecast, slot_start, slot_duration)
            return control.pv_inverter(name, forecast)
        if isinstance(control, PPBCHandler):
            load = control.shiftable_load(name, slot_start, slot_duration)
            load.check_horizon(len(slot_start))  # a run past the horizon is planned around
            return load
    except ValueError as err:
        # What the RM described cannot be planned (e.g. no charging mode): planned around.
        _LOGGER.debug("S2 device %s cannot be planned: %s", name, err)
    return None
