"""A heat pump as a resource manager: OMBC on/off (or modulating), FRBC for a hot-water buffer.

- OMBC: modes *off* and *on* (the rated power, or from the minimum to the rated power when
  it modulates), with the minimum run and pause times as transition timers.
- FRBC, offered first while the tank temperature is known: the fill level is the tank
  temperature (°C) between the configured minimum and maximum; *on* heats it by
  ``P * COP / (Wh per K)``, and the tank loses heat to its surroundings (leakage).

A command is :class:`SetMode` ("on" with its power, or "off").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ...planner import HeatPump, HotWaterBuffer, ThermalHouse
from ..control.frbc import FRBCHandler
from ..control.ombc import OMBCHandler
from ..messages import sid
from .base import FRBC, OMBC, ResourceManager, SetMode, Steps, clip, number_range, power_range

RUNNING_W = 50.0


@dataclass(frozen=True)
class HeatPumpParams:
    """What the owner configured (defaults: a 2 kW air-water heat pump, a 200 l tank)."""

    rated_w: float = 2_000.0
    min_w: float = 0.0
    """Above 0 (and below the rated power): it modulates from here to the rated power."""
    modulating: bool = False
    """Its power can be set (a power limit): it runs anywhere from ``min_w`` to the rating."""
    cop: float = 3.0
    min_run_s: float = 0.0
    min_pause_s: float = 0.0
    tank_min_c: float = 45.0
    tank_max_c: float = 55.0
    tank_volume_l: float = 200.0
    tank_loss_w_per_k: float = 2.0
    ambient_c: float = 18.0
    comfort_low_c: float = 19.5
    comfort_high_c: float = 21.5
    house_ua_w_per_k: float = 150.0
    house_capacity_wh_per_k: float = 3_000.0

    @property
    def tank_wh_per_k(self) -> float:
        return self.tank_volume_l * 4186.0 / 3600.0


@dataclass(frozen=True)
class HeatPumpState:
    """The heat pump now (each value None when unknown)."""

    running: bool | None = None
    power_w: float | None = None
    indoor_c: float | None = None
    tank_c: float | None = None


class HeatPumpRM(ResourceManager):
    """An entity-backed heat pump (FRBC hot water while the tank temperature is known; OMBC)."""

    state: HeatPumpState
    instruction_types = frozenset({"OMBC.Instruction", "FRBC.Instruction"})

    def __init__(self, name: str, params: HeatPumpParams, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.params = params
        self.state = HeatPumpState()

    def control_types(self) -> tuple[str, ...]:
        return (FRBC, OMBC) if self.state.tank_c is not None else (OMBC,)

    def measurement_w(self) -> float | None:
        return self.state.power_w

    @property
    def running(self) -> bool:
        if self.state.running is not None:
            return self.state.running
        return (self.state.power_w or 0.0) > RUNNING_W

    def _on_range(self) -> tuple[float, float]:
        p = self.params
        if p.modulating:
            # The plan may ask for any power in this range and the limit carries it out.
            return min(max(p.min_w, 0.0), p.rated_w), p.rated_w
        low = p.min_w if 0 < p.min_w < p.rated_w else p.rated_w
        return low, p.rated_w

    def _factor(self) -> float:
        low, high = self._on_range()
        if not self.running or high <= low or self.state.power_w is None:
            return 0.0
        return clip((self.state.power_w - low) / (high - low), 0.0, 1.0)

    def messages(self, control_type: str) -> list[dict[str, Any]]:
        return self._frbc() if control_type == FRBC else self._ombc()

    def _ombc(self) -> list[dict[str, Any]]:
        p, cq = self.params, self.commodity_quantity
        low, high = self._on_range()
        transitions: list[dict[str, Any]] = []
        timers: list[dict[str, Any]] = []
        if p.min_run_s > 0 or p.min_pause_s > 0:
            run, pause = self.object_id("run_timer"), self.object_id("pause_timer")
            timers = [
                {"id": run, "diagnostic_label": "minimum run", "duration": int(p.min_run_s * 1000)},
                {
                    "id": pause,
                    "diagnostic_label": "minimum pause",
                    "duration": int(p.min_pause_s * 1000),
                },
            ]
            transitions = [
                {
                    "id": self.object_id("switch_on"),
                    "from": self.object_id("off"),
                    "to": self.object_id("on"),
                    "start_timers": [run],
                    "blocking_timers": [pause],
                    "abnormal_condition_only": False,
                },
                {
                    "id": self.object_id("switch_off"),
                    "from": self.object_id("on"),
                    "to": self.object_id("off"),
                    "start_timers": [pause],
                    "blocking_timers": [run],
                    "abnormal_condition_only": False,
                },
            ]
        return [
            {
                "message_type": "OMBC.SystemDescription",
                "valid_from": "now",
                "operation_modes": [
                    {
                        "id": self.object_id("off"),
                        "diagnostic_label": "off",
                        "power_ranges": power_range(0.0, 0.0, cq),
                        "abnormal_condition_only": False,
                    },
                    {
                        "id": self.object_id("on"),
                        "diagnostic_label": "on",
                        "power_ranges": power_range(low, high, cq),
                        "abnormal_condition_only": False,
                    },
                ],
                "transitions": transitions,
                "timers": timers,
            },
            {
                "message_type": "OMBC.Status",
                "active_operation_mode_id": self.object_id("on" if self.running else "off"),
                "operation_mode_factor": round(self._factor(), 3),
            },
        ]

    def _frbc(self) -> list[dict[str, Any]]:
        p, cq = self.params, self.commodity_quantity
        low, high = self._on_range()
        per_w = p.cop / p.tank_wh_per_k / 3600.0  # K/s per W electric
        tank = number_range(p.tank_min_c, p.tank_max_c)
        mid = (p.tank_min_c + p.tank_max_c) / 2.0
        leak = p.tank_loss_w_per_k * max(0.0, mid - p.ambient_c) / p.tank_wh_per_k / 3600.0
        return [
            {
                "message_type": "FRBC.SystemDescription",
                "valid_from": "now",
                "actuators": [
                    {
                        "id": self.object_id("actuator"),
                        "diagnostic_label": "heat pump",
                        "supported_commodities": ["ELECTRICITY"],
                        "operation_modes": [
                            {
                                "id": self.object_id("off"),
                                "diagnostic_label": "off",
                                "elements": [
                                    {
                                        "fill_level_range": tank,
                                        "fill_rate": number_range(0.0, 0.0),
                                        "power_ranges": power_range(0.0, 0.0, cq),
                                    }
                                ],
                                "abnormal_condition_only": False,
                            },
                            {
                                "id": self.object_id("on"),
                                "diagnostic_label": "on",
                                "elements": [
                                    {
                                        "fill_level_range": tank,
                                        "fill_rate": number_range(low * per_w, high * per_w),
                                        "power_ranges": power_range(low, high, cq),
                                    }
                                ],
                                "abnormal_condition_only": False,
                            },
                        ],
                        "transitions": [],
                        "timers": [],
                    }
                ],
                "storage": {
                    "diagnostic_label": "hot-water tank",
                    "fill_level_label": "°C",
                    "provides_leakage_behaviour": True,
                    "provides_fill_level_target_profile": False,
                    "provides_usage_forecast": False,
                    "fill_level_range": tank,
                },
            },
            {
                "message_type": "FRBC.LeakageBehaviour",
                "valid_from": "now",
                "elements": [{"fill_level_range": tank, "leakage_rate": leak}],
            },
            {
                "message_type": "FRBC.StorageStatus",
                "present_fill_level": float(self.state.tank_c or 0.0),
            },
            {
                "message_type": "FRBC.ActuatorStatus",
                "actuator_id": self.object_id("actuator"),
                "active_operation_mode_id": self.object_id("on" if self.running else "off"),
                "operation_mode_factor": round(self._factor(), 3),
            },
        ]

    def steps(self, message_type: str, message: Any) -> Steps | str:
        if message_type == "FRBC.Instruction":
            if sid(message.actuator_id) != self.object_id("actuator"):
                return "unknown actuator"
            mode = sid(message.operation_mode)
        else:
            mode = sid(message.operation_mode_id)
        factor = clip(float(message.operation_mode_factor), 0.0, 1.0)
        if mode == self.object_id("off"):
            return [(message.execution_time, SetMode("off"))]
        if mode != self.object_id("on"):
            return "unknown operation mode"
        low, high = self._on_range()
        return [(message.execution_time, SetMode("on", round(low + factor * (high - low), 1)))]


def heat_pump_model(
    control: Any,
    name: str,
    slot_start: Sequence[datetime],
    slot_duration: timedelta,
    *,
    params: HeatPumpParams,
    state: HeatPumpState,
) -> HeatPump | None:
    """The planner's heat pump: a hot-water buffer (FRBC) or the house (OMBC)."""
    if isinstance(control, FRBCHandler) and control.ready:
        model = control.device_model(
            name, slot_start, kind="hot_water", cop=params.cop, ambient_c=params.ambient_c
        )
        assert isinstance(model, HeatPump)
        return model
    if not isinstance(control, OMBCHandler) or not control.ready:
        return None
    thermal: ThermalHouse | HotWaterBuffer
    if state.tank_c is not None:
        thermal = HotWaterBuffer(
            volume_l=params.tank_volume_l,
            t_initial_c=state.tank_c,
            t_min_c=params.tank_min_c,
            t_max_c=params.tank_max_c,
            loss_w_per_k=params.tank_loss_w_per_k,
            ambient_c=params.ambient_c,
        )
    else:
        indoor = state.indoor_c
        if indoor is None:
            indoor = (params.comfort_low_c + params.comfort_high_c) / 2.0
        thermal = ThermalHouse(
            ua_w_per_k=params.house_ua_w_per_k,
            capacity_wh_per_k=params.house_capacity_wh_per_k,
            t_initial_c=indoor,
            comfort_low_c=params.comfort_low_c,
            comfort_high_c=params.comfort_high_c,
        )
    return control.device_model(
        name,
        thermal,
        slot_duration,
        cop_at_7c=params.cop,
        cop_max=max(params.cop, 6.0),
    )
