"""What the entities and diagnostics read from a session, as plain values.

Pure functions over a :class:`CemSession` and its control handler: power (S2 signs:
consumption positive, W), FRBC fill level, the active operation modes by their labels,
the last instruction's status, and the latest system description as JSON.
"""

from __future__ import annotations

from typing import Any

from ...core.s2 import CemSession
from ...core.s2.control import DDBCHandler, FRBCHandler, OMBCHandler
from ...core.s2.messages import sid
from ...core.s2.units import ELECTRIC_QUANTITIES

PHASES = {"1": "ELECTRIC.POWER.L1", "2": "ELECTRIC.POWER.L2", "3": "ELECTRIC.POWER.L3"}

# The message each control type describes the device with, by handler attribute.
_DESCRIPTION_ATTRS = ("system_description", "constraints", "definition")
_STATUS_ATTRS = ("storage_status", "actuator_status", "status", "energy_constraint")


def total_power(session: CemSession | None) -> float | None:
    """The device's electric power (all phases), W; None until the RM measured it."""
    if session is None:
        return None
    values = [m.value_w for q, m in session.measurements.items() if q in ELECTRIC_QUANTITIES]
    return round(sum(values), 3) if values else None


def phase_power(session: CemSession | None, phase: str) -> float | None:
    """One phase's power, W (only when the RM measures that phase)."""
    if session is None:
        return None
    measurement = session.measurements.get(PHASES[phase])
    return None if measurement is None else measurement.value_w


def phases_reported(session: CemSession | None) -> set[str]:
    """The phases the RM measures or says it measures."""
    if session is None:
        return set()
    quantities = set(session.measurements)
    if session.rm_details is not None:
        quantities.update(session.rm_details.provides_power_measurement_types)
    return {phase for phase, quantity in PHASES.items() if quantity in quantities}


def frbc(session: CemSession | None) -> FRBCHandler | None:
    """The session's FRBC handler once it has a system description."""
    control = None if session is None else session.control
    if isinstance(control, FRBCHandler) and control.system_description is not None:
        return control
    return None


def fill_level(session: CemSession | None) -> float | None:
    """The FRBC storage's present fill level."""
    control = frbc(session)
    return None if control is None else control.fill_level


def fill_level_label(session: CemSession | None) -> str | None:
    """The FRBC storage's unit as the RM names it (e.g. "%", "°C")."""
    control = frbc(session)
    if control is None:
        return None
    label = control.system_description.storage.fill_level_label
    return str(label) if label else None


def _label(item: Any) -> str:
    return str(getattr(item, "diagnostic_label", None) or sid(item.id))


def operation_modes(session: CemSession | None) -> dict[str, str]:
    """The active operation mode per actuator, by label (FRBC, OMBC, DDBC)."""
    control = None if session is None else session.control
    out: dict[str, str] = {}
    if isinstance(control, OMBCHandler) and control.status is not None:
        mode_id = sid(control.status.active_operation_mode_id)
        mode = control.modes.get(mode_id)
        out["device"] = mode_id if mode is None else _label(mode)
    elif isinstance(control, FRBCHandler | DDBCHandler) and control.system_description:
        actuators = {sid(a.id): a for a in control.system_description.actuators}
        for actuator_id, status in control.actuator_status.items():
            actuator = actuators.get(actuator_id)
            mode_id = sid(status.active_operation_mode_id)
            if actuator is None:
                out[actuator_id] = mode_id
                continue
            modes = {sid(m.id): m for m in actuator.operation_modes}
            out[_label(actuator)] = _label(modes[mode_id]) if mode_id in modes else mode_id
    return out


def operation_mode(session: CemSession | None) -> str | None:
    """The active operation mode (the first actuator's when there are several)."""
    modes = operation_modes(session)
    return next(iter(modes.values()), None)


def last_instruction_status(session: CemSession | None) -> str | None:
    """The status of the instruction sent last (lower case), None before any."""
    if session is None or not session.instructions:
        return None
    return next(reversed(session.instructions.values())).status.lower()


def _json(message: Any) -> Any:
    if message is None:
        return None
    if isinstance(message, dict):
        return {k: _json(v) for k, v in message.items()}
    return message.model_dump(mode="json", by_alias=True, exclude_none=True)


def system_description(session: CemSession | None) -> dict[str, Any] | None:
    """The active control type's latest description and statuses, as S2 JSON."""
    control = None if session is None else session.control
    if control is None:
        return None
    out = {
        attr: _json(getattr(control, attr))
        for attr in (*_DESCRIPTION_ATTRS, *_STATUS_ATTRS)
        if getattr(control, attr, None)
    }
    return {"control_type": control.prefix.rstrip("."), **out}
