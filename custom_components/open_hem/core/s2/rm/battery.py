"""A home battery as an FRBC resource manager: fill level = state of charge (%).

One actuator with three operation modes built from the configured maximum powers and the
one-way efficiency: *charge* (0 -> max charge W, the fill rises by ``eta * P``), *discharge*
(0 -> max discharge W produced, the fill falls by ``P / eta``) and *idle*. An FRBC
instruction becomes :class:`SetPower` in S2's sign (+ charging).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ...planner import Battery
from ..control.frbc import FRBCHandler
from ..messages import sid
from .base import FRBC, ResourceManager, SetPower, Steps, clip, number_range, power_range

IDLE_BAND_W = 10.0
"""Below this the battery counts as idle."""


@dataclass(frozen=True)
class BatteryParams:
    """What the owner configured (defaults: a common 10 kWh, 5 kW home battery)."""

    capacity_wh: float = 10_000.0
    max_charge_w: float = 5_000.0
    max_discharge_w: float = 5_000.0
    efficiency: float = 0.95
    """One way (charging and discharging each)."""


@dataclass(frozen=True)
class BatteryState:
    """The battery now: state of charge (%) and power (W, S2 sign: + charging)."""

    soc_pct: float | None = None
    power_w: float | None = None


def _pct_per_s(params: BatteryParams, stored_w: float) -> float:
    return stored_w / params.capacity_wh * 100.0 / 3600.0


class BatteryRM(ResourceManager):
    """An entity-backed home battery (FRBC)."""

    state: BatteryState
    role = "ENERGY_STORAGE"
    instruction_types = frozenset({"FRBC.Instruction"})

    def __init__(self, name: str, params: BatteryParams, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.params = params
        self.state = BatteryState()

    def control_types(self) -> tuple[str, ...]:
        return (FRBC,)

    def measurement_w(self) -> float | None:
        return self.state.power_w

    def _modes(self) -> list[dict[str, Any]]:
        p, cq = self.params, self.commodity_quantity
        element = {"fill_level_range": number_range(0.0, 100.0)}

        def mode(
            name: str, power: tuple[float, float], fill: tuple[float, float]
        ) -> dict[str, Any]:
            return {
                "id": self.object_id(name),
                "diagnostic_label": name,
                "elements": [
                    {
                        **element,
                        "fill_rate": number_range(*fill),
                        "power_ranges": power_range(*power, cq),
                    }
                ],
                "abnormal_condition_only": False,
            }

        return [
            mode(
                "charge",
                (0.0, p.max_charge_w),
                (0.0, _pct_per_s(p, p.max_charge_w * p.efficiency)),
            ),
            mode("idle", (0.0, 0.0), (0.0, 0.0)),
            mode(
                "discharge",
                (0.0, -p.max_discharge_w),
                (0.0, -_pct_per_s(p, p.max_discharge_w / p.efficiency)),
            ),
        ]

    def _active(self) -> tuple[str, float]:
        power = self.state.power_w or 0.0
        p = self.params
        if power > IDLE_BAND_W and p.max_charge_w > 0:
            return "charge", clip(power / p.max_charge_w, 0.0, 1.0)
        if power < -IDLE_BAND_W and p.max_discharge_w > 0:
            return "discharge", clip(-power / p.max_discharge_w, 0.0, 1.0)
        return "idle", 0.0

    def messages(self, control_type: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [
            {
                "message_type": "FRBC.SystemDescription",
                "valid_from": "now",
                "actuators": [
                    {
                        "id": self.object_id("actuator"),
                        "diagnostic_label": "inverter",
                        "supported_commodities": ["ELECTRICITY"],
                        "operation_modes": self._modes(),
                        "transitions": [],
                        "timers": [],
                    }
                ],
                "storage": {
                    "diagnostic_label": "battery",
                    "fill_level_label": "%",
                    "provides_leakage_behaviour": False,
                    "provides_fill_level_target_profile": False,
                    "provides_usage_forecast": False,
                    "fill_level_range": number_range(0.0, 100.0),
                },
            }
        ]
        if self.state.soc_pct is not None:
            out.append(
                {
                    "message_type": "FRBC.StorageStatus",
                    "present_fill_level": clip(self.state.soc_pct, 0.0, 100.0),
                }
            )
        mode, factor = self._active()
        out.append(
            {
                "message_type": "FRBC.ActuatorStatus",
                "actuator_id": self.object_id("actuator"),
                "active_operation_mode_id": self.object_id(mode),
                "operation_mode_factor": round(factor, 3),
            }
        )
        return out

    def steps(self, message_type: str, message: Any) -> Steps | str:
        if sid(message.actuator_id) != self.object_id("actuator"):
            return "unknown actuator"
        modes = {self.object_id(m): m for m in ("charge", "idle", "discharge")}
        mode = modes.get(sid(message.operation_mode))
        if mode is None:
            return "unknown operation mode"
        factor = clip(float(message.operation_mode_factor), 0.0, 1.0)
        p = self.params
        power = {
            "charge": factor * p.max_charge_w,
            "idle": 0.0,
            "discharge": -factor * p.max_discharge_w,
        }[mode]
        at: datetime = message.execution_time
        return [(at, SetPower(round(power, 1)))]


def battery_model(
    control: Any, name: str, slot_start: Sequence[datetime], slot_duration: timedelta
) -> Battery | None:
    """The planner's battery from the session's FRBC handler (None until it is ready)."""
    if not isinstance(control, FRBCHandler) or not control.ready:
        return None
    model = control.device_model(name, slot_start, kind="battery")
    assert isinstance(model, Battery)
    return model
