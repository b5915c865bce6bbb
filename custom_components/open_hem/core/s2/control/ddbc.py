"""DDBC (demand-driven based control): hybrid heat pumps (heat pump + gas boiler).

S2 -> planner: the electric part of the actuators' operation modes as a HeatPump (power range,
thermal model from the caller); the RM's average demand-rate forecast (heat) per slot is
available through :meth:`DDBCHandler.demand_per_slot`.

Planner -> S2: per slot the first actuator's mode and factor nearest the planned electric
power; among modes equally near, the one whose supply best meets the forecast demand (so
0 W planned with demand left picks the boiler mode). Other actuators stay at 0 W.

s2-python 0.11.1's wrapper writes an operation mode's id as both ``Id`` and ``id`` and its
``supply_range`` as a list; the generated model (schema) has ``Id`` and one range. Both are
read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from s2python.generated import gen_s2

from ...planner import HeatPump, HotWaterBuffer, ThermalHouse
from ..messages import sid
from ..units import duration_ms
from .base import (
    OK,
    ControlHandler,
    Draft,
    ModeMachine,
    ModeOption,
    Outcome,
    PlanContext,
    PowerPlan,
    electric_range,
    factor_for,
    invalid,
    planned_changes,
)


def mode_id(mode: Any) -> str:
    """A DDBC operation mode's id (wrapper ``id`` or generated ``Id``)."""
    return sid(getattr(mode, "id", None) or mode.Id)


def supply_range(mode: Any) -> tuple[float, float]:
    """(supply at factor 0, at factor 1) of a DDBC operation mode."""
    rng = mode.supply_range
    if isinstance(rng, list):
        rng = rng[0]
    return float(rng.start_of_range), float(rng.end_of_range)


class DDBCHandler(ControlHandler):
    """The DDBC state of one RM."""

    control_type = gen_s2.ControlType.DEMAND_DRIVEN_BASED_CONTROL
    prefix = "DDBC."
    instruction_types = frozenset({"DDBC.Instruction"})

    def __init__(self) -> None:
        self.system_description: Any = None
        self.actuator_status: dict[str, Any] = {}
        self.demand_forecast: Any = None
        self.timers: dict[str, datetime] = {}

    def handle(self, message_type: str, message: Any) -> Outcome:
        match message_type:
            case "DDBC.SystemDescription":
                self.system_description = message
                return Outcome(resend=True, model_changed=True)
            case "DDBC.ActuatorStatus":
                self.actuator_status[sid(message.actuator_id)] = message
                return OK
            case "DDBC.AverageDemandRateForecast":
                self.demand_forecast = message
                return Outcome(model_changed=True)
            case "DDBC.TimerStatus":
                self.timers[sid(message.timer_id)] = message.finished_at
                return OK
        return invalid(f"{message_type} is not handled by a DDBC CEM")

    @property
    def ready(self) -> bool:
        return self.system_description is not None

    def snapshot(self) -> dict[str, Any]:
        return {
            "actuators": {
                a: sid(s.active_operation_mode_id) for a, s in self.actuator_status.items()
            }
        }

    def demand_at(self, start: datetime, end: datetime) -> float:
        """The mean forecast demand rate over [start, end) (else the present demand)."""
        f = self.demand_forecast
        if f is None:
            if self.system_description is None:
                return 0.0
            rng = self.system_description.present_demand_rate
            return (float(rng.start_of_range) + float(rng.end_of_range)) / 2.0
        t = f.start_time
        total = 0.0
        for el in f.elements:
            el_end = t + timedelta(milliseconds=duration_ms(el.duration))
            overlap = (min(end, el_end) - max(start, t)).total_seconds()
            if overlap > 0:
                total += overlap * el.demand_rate_expected
            t = el_end
        return total / max(1e-9, (end - start).total_seconds())

    def demand_per_slot(
        self, slot_start: Sequence[datetime], slot_duration: timedelta
    ) -> list[float]:
        return [self.demand_at(s, s + slot_duration) for s in slot_start]

    def heat_pump(
        self, name: str, thermal: ThermalHouse | HotWaterBuffer, **heat_pump: Any
    ) -> HeatPump:
        """The electric side as a planner HeatPump."""
        if self.system_description is None:
            raise ValueError("DDBC: no system description yet")
        powers = [
            abs(p)
            for a in self.system_description.actuators
            for m in a.operation_modes
            if not m.abnormal_condition_only
            for p in electric_range(m.power_ranges)
        ]
        running = [p for p in powers if p > 1e-6]
        max_w = max(running, default=0.0)
        min_w = min(running, default=0.0)
        return HeatPump(
            name, max_w=max_w, thermal=thermal, min_w=min_w if min_w < max_w else 0.0, **heat_pump
        )

    def instructions(self, plan: PowerPlan, ctx: PlanContext) -> list[Draft]:
        sd = self.system_description
        if sd is None:
            return []
        drafts: list[Draft] = []
        for index, actuator in enumerate(sd.actuators):
            actuator_id = sid(actuator.id)
            modes = list(actuator.operation_modes)
            machine = ModeMachine.of(actuator.transitions, actuator.timers)
            status = self.actuator_status.get(actuator_id)
            if status is not None:
                machine.current = sid(status.active_operation_mode_id)
                machine.factor = float(status.operation_mode_factor)
            machine.timers_until.update(self.timers)
            powers = plan.power_w if index == 0 else tuple(0.0 for _ in plan.power_w)

            def options(
                i: int, modes: list[Any] = modes, powers: tuple[float, ...] = powers
            ) -> list[ModeOption]:
                demand = self.demand_at(plan.slot_start[i], plan.slot_end(i))
                out = []
                for m in modes:
                    lo, hi = electric_range(m.power_ranges)
                    s0, s1 = supply_range(m)
                    if abs(hi - lo) < 1e-6:  # power fixed: the factor sets the supply
                        span = s1 - s0
                        f = 0.0 if abs(span) < 1e-9 else min(1.0, max(0.0, (demand - s0) / span))
                    else:
                        f, _ = factor_for(powers[i], lo, hi)
                    out.append(
                        ModeOption(
                            mode_id(m),
                            lo,
                            hi,
                            bool(m.abnormal_condition_only),
                            penalty=abs(s0 + f * (s1 - s0) - demand),
                            flat_factor=f,
                        )
                    )
                return out

            target = PowerPlan(plan.slot_start, plan.slot_duration, powers)
            for at, chosen, factor in planned_changes(target, ctx, machine, options):
                iid = ctx.new_id()
                drafts.append(
                    Draft(
                        gen_s2.DDBCInstruction(
                            message_id=ctx.new_id(),
                            id=iid,
                            execution_time=at,
                            abnormal_condition=False,
                            actuator_id=actuator_id,
                            operation_mode_id=chosen,
                            operation_mode_factor=factor,
                        ),
                        iid,
                        "DDBC.Instruction",
                        at,
                        (actuator_id, at, chosen, factor),
                    )
                )
        return drafts
