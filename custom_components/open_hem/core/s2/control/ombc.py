"""OMBC (operation-mode based control): on/off and SG-Ready heat pumps, other mode devices.

S2 -> planner: a HeatPump whose power is 0 or within the non-zero modes' range, with
minimum run/pause times from the timers that transitions start (rounded up to slots); the
thermal model (house or buffer) is not in S2 and comes from the caller.

Planner -> S2: per slot the allowed mode and factor nearest the planned power (transitions
and timers followed), an ``OMBC.Instruction`` wherever that changes.
"""

from __future__ import annotations

from datetime import timedelta
import math
from typing import Any

from s2python.generated import gen_s2

from ...planner import HeatPump, HotWaterBuffer, ThermalHouse
from ..messages import sid
from .base import (
    OK,
    Draft,
    ModeHandler,
    ModeMachine,
    ModeOption,
    Outcome,
    PlanContext,
    PowerPlan,
    electric_range,
    instruction_draft,
    invalid,
    mode_status,
    planned_changes,
)


class OMBCHandler(ModeHandler):
    """The OMBC state of one RM."""

    control_type = gen_s2.ControlType.OPERATION_MODE_BASED_CONTROL
    prefix = "OMBC."
    instruction_types = frozenset({"OMBC.Instruction"})

    def __init__(self) -> None:
        super().__init__()
        self.status: Any = None

    @property
    def modes(self) -> dict[str, Any]:
        sd = self.system_description
        return {} if sd is None else {sid(m.id): m for m in sd.operation_modes}

    def handle(self, message_type: str, message: Any) -> Outcome:
        match message_type:
            case "OMBC.SystemDescription":
                return self.take_system_description(message)
            case "OMBC.Status":
                mode_id = sid(message.active_operation_mode_id)
                if self.modes and mode_id not in self.modes:
                    return invalid(f"unknown operation mode {mode_id}")
                self.status = message
                return OK
            case "OMBC.TimerStatus":
                return self.take_timer_status(message)
        return invalid(f"{message_type} is not handled by an OMBC CEM")

    def snapshot(self) -> dict[str, Any]:
        if self.status is None:
            return {"operation_mode": None}
        return mode_status(self.status)

    def _options(self) -> list[ModeOption]:
        return [
            ModeOption(mode_id, *electric_range(m.power_ranges), bool(m.abnormal_condition_only))
            for mode_id, m in self.modes.items()
        ]

    def device_model(
        self,
        name: str,
        thermal: ThermalHouse | HotWaterBuffer,
        slot_duration: timedelta,
        **heat_pump: Any,
    ) -> HeatPump:
        """A HeatPump with this RM's power range and minimum run/pause times."""
        if not self.ready:
            raise ValueError("OMBC: no system description yet")
        powers = [abs(p) for o in self._options() if not o.abnormal_only for p in (o.lo_w, o.hi_w)]
        running = [p for p in powers if p > 1e-6]
        max_w = max(running, default=0.0)
        min_w = min(running, default=0.0)
        off = {o.mode_id for o in self._options() if max(abs(o.lo_w), abs(o.hi_w)) <= 1e-6}
        machine = ModeMachine.of(
            self.system_description.transitions, self.system_description.timers
        )
        run_ms = pause_ms = 0
        for e in machine.edges:
            longest = max((machine.timer_ms.get(t, 0) for t in e.start_timers), default=0)
            # A timer started when switching on blocks switching off (a minimum run), and
            # the other way round.
            if e.from_id in off and e.to_id not in off:
                run_ms = max(run_ms, longest)
            elif e.to_id in off and e.from_id not in off:
                pause_ms = max(pause_ms, longest)
        slot_ms = slot_duration / timedelta(milliseconds=1)
        return HeatPump(
            name,
            max_w=max_w,
            thermal=thermal,
            min_w=min_w if min_w < max_w else 0.0,
            min_run_slots=max(1, math.ceil(run_ms / slot_ms - 1e-9)),
            min_pause_slots=max(1, math.ceil(pause_ms / slot_ms - 1e-9)),
            initially_on=self.status is not None
            and sid(self.status.active_operation_mode_id) not in off,
            **heat_pump,
        )

    def instructions(self, plan: PowerPlan, ctx: PlanContext) -> list[Draft]:
        if not self.ready:
            return []
        sd = self.system_description
        machine = ModeMachine.resumed(sd.transitions, sd.timers, self.status, self.timers)
        options = self._options()
        return [
            instruction_draft(
                ctx,
                gen_s2.OMBCInstruction,
                "OMBC.Instruction",
                at,
                (at, mode_id, factor),
                operation_mode_id=mode_id,
                operation_mode_factor=factor,
            )
            for at, mode_id, factor in planned_changes(plan, ctx, machine, lambda _: options)
        ]
