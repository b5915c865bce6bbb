"""An EV charger as a resource manager: FRBC when the car's SOC is known, PEBC otherwise.

- FRBC: the fill level is the car's SOC (%); one actuator with *off* and *charge* (the
  minimum charging power, 6 A per phase, up to the maximum) and, when a departure is known,
  a fill-level target (the owner's target SOC by the departure).
- PEBC: a charging limit envelope (consequence DEFER: charging later is not lost); an
  energy constraint asks for the configured energy per session by the departure.

Either way a command is :class:`SetCurrent` (A per phase): 0 stops charging, anything else
lies between the minimum and the maximum current, so the minimum is always respected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import math
from typing import Any

from ...planner import EVCharger
from ..control.frbc import FRBCHandler
from ..control.pebc import PEBCHandler
from ..messages import sid
from ..units import duration_ms
from .base import (
    FRBC,
    L1,
    PEBC,
    THREE_PHASE,
    ResourceManager,
    SetCurrent,
    Steps,
    clip,
    number_range,
    power_range,
)

CHARGING_W = 100.0
"""Above this the car counts as charging."""


@dataclass(frozen=True)
class EVParams:
    """What the owner configured (defaults: a 3x16 A wallbox and a 60 kWh car)."""

    phases: int = 3
    voltage_v: float = 230.0
    min_current_a: float = 6.0
    max_current_a: float = 16.0
    car_capacity_wh: float = 60_000.0
    efficiency: float = 0.9
    target_soc_pct: float = 80.0
    session_energy_wh: float = 10_000.0
    """Without the car's SOC: the energy to charge by the departure."""

    @property
    def min_w(self) -> float:
        return self.min_current_a * self.phases * self.voltage_v

    @property
    def max_w(self) -> float:
        return self.max_current_a * self.phases * self.voltage_v

    def amps(self, power_w: float) -> float:
        """The current for a power: 0 below the minimum, else within [min, max] (0.1 A)."""
        if power_w < self.min_w - 1.0:
            return 0.0
        amps = power_w / (self.phases * self.voltage_v)
        return clip(math.floor(amps * 10 + 1e-6) / 10, self.min_current_a, self.max_current_a)


@dataclass(frozen=True)
class EVState:
    """The charger now; ``departure`` is when the car should be ready (None: unknown)."""

    plugged_in: bool = False
    power_w: float | None = None
    car_soc_pct: float | None = None
    departure: datetime | None = None


class EVChargerRM(ResourceManager):
    """An entity-backed EV charger (FRBC with the car's SOC, PEBC without)."""

    state: EVState
    instruction_types = frozenset({"FRBC.Instruction", "PEBC.Instruction"})

    def __init__(self, name: str, params: EVParams, **kwargs: Any) -> None:
        kwargs.setdefault("commodity_quantity", THREE_PHASE if params.phases == 3 else L1)
        super().__init__(name, **kwargs)
        self.params = params
        self.state = EVState()
        self._energy_window: tuple[datetime, datetime] | None = None

    def control_types(self) -> tuple[str, ...]:
        return (FRBC,) if self.state.car_soc_pct is not None else (PEBC,)

    def measurement_w(self) -> float | None:
        return self.state.power_w

    def messages(self, control_type: str) -> list[dict[str, Any]]:
        if control_type == FRBC:
            return self._frbc()
        return self._pebc()

    # -- FRBC ------------------------------------------------------------------------

    def _frbc(self) -> list[dict[str, Any]]:
        p, cq = self.params, self.commodity_quantity
        per_w = p.efficiency / p.car_capacity_wh * 100.0 / 3600.0
        element = {"fill_level_range": number_range(0.0, 100.0)}
        modes = [
            {
                "id": self.object_id("off"),
                "diagnostic_label": "off",
                "elements": [
                    {
                        **element,
                        "fill_rate": number_range(0.0, 0.0),
                        "power_ranges": power_range(0.0, 0.0, cq),
                    }
                ],
                "abnormal_condition_only": False,
            },
            {
                "id": self.object_id("charge"),
                "diagnostic_label": "charge",
                "elements": [
                    {
                        **element,
                        "fill_rate": number_range(p.min_w * per_w, p.max_w * per_w),
                        "power_ranges": power_range(p.min_w, p.max_w, cq),
                    }
                ],
                "abnormal_condition_only": False,
            },
        ]
        out: list[dict[str, Any]] = [
            {
                "message_type": "FRBC.SystemDescription",
                "valid_from": "now",
                "actuators": [
                    {
                        "id": self.object_id("actuator"),
                        "diagnostic_label": "charger",
                        "supported_commodities": ["ELECTRICITY"],
                        "operation_modes": modes,
                        "transitions": [],
                        "timers": [],
                    }
                ],
                "storage": {
                    "diagnostic_label": "car",
                    "fill_level_label": "%",
                    "provides_leakage_behaviour": False,
                    "provides_fill_level_target_profile": self.state.departure is not None,
                    "provides_usage_forecast": False,
                    "fill_level_range": number_range(0.0, 100.0),
                },
            },
            {
                "message_type": "FRBC.StorageStatus",
                "present_fill_level": clip(self.state.car_soc_pct or 0.0, 0.0, 100.0),
            },
        ]
        charging = self.state.plugged_in and (self.state.power_w or 0.0) > CHARGING_W
        factor = 0.0
        if charging and p.max_w > p.min_w:
            factor = clip(((self.state.power_w or 0.0) - p.min_w) / (p.max_w - p.min_w), 0.0, 1.0)
        out.append(
            {
                "message_type": "FRBC.ActuatorStatus",
                "actuator_id": self.object_id("actuator"),
                "active_operation_mode_id": self.object_id("charge" if charging else "off"),
                "operation_mode_factor": round(factor, 3),
            }
        )
        if self.state.departure is not None:
            out.append(
                {
                    "message_type": "FRBC.FillLevelTargetProfile",
                    "start_time": self.state.departure.isoformat(),
                    "elements": [
                        {
                            "duration": 3_600_000,
                            "fill_level_range": number_range(p.target_soc_pct, 100.0),
                        }
                    ],
                }
            )
        return out

    # -- PEBC ------------------------------------------------------------------------

    def _pebc(self) -> list[dict[str, Any]]:
        p, cq = self.params, self.commodity_quantity
        out: list[dict[str, Any]] = [
            {
                "message_type": "PEBC.PowerConstraints",
                "id": self.object_id("constraints"),
                "valid_from": "now",
                "consequence_type": "DEFER",
                "allowed_limit_ranges": [
                    {
                        "commodity_quantity": cq,
                        "limit_type": "UPPER_LIMIT",
                        "range_boundary": number_range(0.0, p.max_w),
                        "abnormal_condition_only": False,
                    },
                    {
                        "commodity_quantity": cq,
                        "limit_type": "LOWER_LIMIT",
                        "range_boundary": number_range(0.0, 0.0),
                        "abnormal_condition_only": False,
                    },
                ],
            }
        ]
        departure = self.state.departure
        if departure is not None and self.state.plugged_in:
            if self._energy_window is None or self._energy_window[1] != departure:
                self._energy_window = (min(self.clock.now(), departure), departure)
            start, end = self._energy_window
            hours = max((end - start).total_seconds() / 3600.0, 0.25)
            out.append(
                {
                    "message_type": "PEBC.EnergyConstraint",
                    "id": self.object_id("energy"),
                    "valid_from": start.isoformat(),
                    "valid_until": end.isoformat(),
                    "upper_average_power": p.max_w,
                    "lower_average_power": min(p.max_w, p.session_energy_wh / hours),
                    "commodity_quantity": cq,
                }
            )
        else:
            self._energy_window = None
        return out

    # -- instructions ----------------------------------------------------------------

    def steps(self, message_type: str, message: Any) -> Steps | str:
        if message_type == "FRBC.Instruction":
            if sid(message.actuator_id) != self.object_id("actuator"):
                return "unknown actuator"
            mode = sid(message.operation_mode)
            p = self.params
            if mode == self.object_id("off"):
                return [(message.execution_time, SetCurrent(0.0))]
            if mode != self.object_id("charge"):
                return "unknown operation mode"
            factor = clip(float(message.operation_mode_factor), 0.0, 1.0)
            power = p.min_w + factor * (p.max_w - p.min_w)
            return [(message.execution_time, SetCurrent(p.amps(power)))]
        if sid(message.power_constraints_id) != self.object_id("constraints"):
            return "unknown power constraints"
        envelopes = [
            e
            for e in message.power_envelopes
            if str(getattr(e.commodity_quantity, "value", e.commodity_quantity))
            == self.commodity_quantity
        ]
        if not envelopes:
            return "no envelope for this charger's commodity quantity"
        steps: Steps = []
        at: datetime = message.execution_time
        for element in envelopes[0].power_envelope_elements:
            command = SetCurrent(self.params.amps(float(element.upper_limit)))
            if not steps or steps[-1][1] != command:
                steps.append((at, command))
            at += timedelta(milliseconds=duration_ms(element.duration))
        return steps


def ev_model(
    control: Any,
    name: str,
    slot_start: Sequence[datetime],
    slot_duration: timedelta,
    params: EVParams,
) -> EVCharger | None:
    """The planner's EV charger from the session's handler, with the 6 A minimum."""
    if isinstance(control, FRBCHandler) and control.ready:
        model = control.device_model(name, slot_start, kind="ev")
    elif isinstance(control, PEBCHandler) and control.ready:
        model = control.ev_charger(name, slot_start, slot_duration)
    else:
        return None
    assert isinstance(model, EVCharger)
    return replace(model, min_w=min(params.min_w, model.max_w))
