"""PEBC (power-envelope based control): PV curtailment, EV charging limits.

S2 -> planner:
- ``VANISH`` constraints whose lower limit (production) may be raised toward 0: a curtailable
  :class:`PVInverter` over the RM's production forecast.
- ``DEFER`` constraints (energy is shifted, not lost) with a ``PEBC.EnergyConstraint``: an
  :class:`EVCharger` that must take the constraint's lower average power times its period.

Planner -> S2: one ``PEBC.Instruction`` per plan, whose power envelopes (one per commodity
quantity, the plan shared equally) cap consumption at the planned power, and cap production
at the planned power where the plan curtails (elsewhere the loosest allowed limit). Limits
stay inside the allowed limit ranges; equal neighbouring slots merge into one element.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from s2python.generated import gen_s2

from ...planner import EVCharger, PVInverter
from ..messages import sid
from ..units import timedelta_to_ms
from .base import ControlHandler, Draft, Outcome, PlanContext, PowerPlan, invalid

MAX_ELEMENTS = 288


def _value(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str))


class PEBCHandler(ControlHandler):
    """The PEBC state of one RM."""

    control_type = gen_s2.ControlType.POWER_ENVELOPE_BASED_CONTROL
    prefix = "PEBC."
    instruction_types = frozenset({"PEBC.Instruction"})

    def __init__(self) -> None:
        self.constraints: Any = None
        self.energy_constraint: Any = None

    def handle(self, message_type: str, message: Any) -> Outcome:
        match message_type:
            case "PEBC.PowerConstraints":
                limit_types = {_value(r.limit_type) for r in message.allowed_limit_ranges}
                if limit_types != {"UPPER_LIMIT", "LOWER_LIMIT"}:
                    return invalid("PowerConstraints need an UPPER_LIMIT and a LOWER_LIMIT range")
                self.constraints = message
                return Outcome(resend=True, model_changed=True)
            case "PEBC.EnergyConstraint":
                self.energy_constraint = message
                return Outcome(model_changed=True)
        return invalid(f"{message_type} is not handled by a PEBC CEM")

    def revoke(self, object_type: str, object_id: str) -> Outcome:
        c, ec = self.constraints, self.energy_constraint
        if object_type == "PEBC.PowerConstraints" and c is not None and sid(c.id) == object_id:
            self.constraints = None
            return Outcome(model_changed=True)
        if object_type == "PEBC.EnergyConstraint" and ec is not None and sid(ec.id) == object_id:
            self.energy_constraint = None
            return Outcome(model_changed=True)
        return invalid(f"unknown {object_type} {object_id!r}")

    @property
    def ready(self) -> bool:
        return self.constraints is not None

    @property
    def consequence(self) -> str | None:
        return None if self.constraints is None else _value(self.constraints.consequence_type)

    def snapshot(self) -> dict[str, Any]:
        return {"consequence_type": self.consequence, "limits": self._ranges()}

    def _ranges(self) -> dict[str, dict[str, tuple[float, float]]]:
        """Per commodity quantity, per limit type, the (lowest, highest) allowed limit."""
        out: dict[str, dict[str, tuple[float, float]]] = {}
        if self.constraints is None:
            return out
        for r in self.constraints.allowed_limit_ranges:
            if r.abnormal_condition_only:
                continue
            lo, hi = sorted((r.range_boundary.start_of_range, r.range_boundary.end_of_range))
            per = out.setdefault(_value(r.commodity_quantity), {})
            old = per.get(_value(r.limit_type))
            per[_value(r.limit_type)] = (
                (lo, hi) if old is None else (min(lo, old[0]), max(hi, old[1]))
            )
        return out

    # -- S2 -> planner ---------------------------------------------------------------

    def pv_inverter(self, name: str, forecast_w: Sequence[float]) -> PVInverter:
        """A PV inverter over ``forecast_w`` (W produced, >= 0), curtailable if allowed."""
        if self.constraints is None:
            raise ValueError("PEBC: no power constraints yet")
        ranges = self._ranges()
        lowest = sum(r["LOWER_LIMIT"][0] for r in ranges.values() if "LOWER_LIMIT" in r)
        highest = sum(r["LOWER_LIMIT"][1] for r in ranges.values() if "LOWER_LIMIT" in r)
        return PVInverter(
            name,
            forecast_w=np.asarray(forecast_w, dtype=np.float64),
            curtailable=self.consequence == "VANISH" and highest > lowest,
            max_ac_w=-lowest if lowest < 0 else None,
        )

    def ev_charger(
        self, name: str, slot_start: Sequence[datetime], slot_duration: timedelta
    ) -> EVCharger:
        """An EV charger: power from the upper limits, energy from the energy constraint."""
        if self.constraints is None:
            raise ValueError("PEBC: no power constraints yet")
        ranges = self._ranges()
        max_w = sum(max(0.0, r["UPPER_LIMIT"][1]) for r in ranges.values() if "UPPER_LIMIT" in r)
        n = len(slot_start)
        ec = self.energy_constraint
        if ec is None:
            return EVCharger(
                name, max_w=max_w, energy_wh=0.0, available_from_slot=0, deadline_slot=n
            )
        start = sum(1 for s in slot_start if s + slot_duration <= ec.valid_from)
        end = sum(1 for s in slot_start if s + slot_duration <= ec.valid_until)
        hours = (ec.valid_until - ec.valid_from).total_seconds() / 3600.0
        return EVCharger(
            name,
            max_w=max_w,
            energy_wh=max(0.0, ec.lower_average_power) * hours,
            available_from_slot=min(start, end),
            deadline_slot=end,
        )

    # -- planner -> S2 ---------------------------------------------------------------

    def _limits(
        self, share: float, curtailing: bool, ranges: dict[str, tuple[float, float]]
    ) -> tuple[float, float]:
        upper_range = ranges.get("UPPER_LIMIT")
        lower_range = ranges.get("LOWER_LIMIT")
        loose_upper = upper_range[1] if upper_range else max(share, 0.0)
        loose_lower = lower_range[0] if lower_range else min(share, 0.0)
        upper, lower = loose_upper, loose_lower
        if share >= 0:
            upper = (
                share if upper_range is None else min(upper_range[1], max(upper_range[0], share))
            )
        elif curtailing:
            lower = (
                share if lower_range is None else min(lower_range[1], max(lower_range[0], share))
            )
        return upper, min(lower, upper)

    def instructions(self, plan: PowerPlan, ctx: PlanContext) -> list[Draft]:
        if self.constraints is None:
            return []
        c = self.constraints
        ranges = self._ranges()
        if not ranges:
            return []
        start = max(ctx.earliest, c.valid_from)
        elements: dict[str, list[list[float]]] = {cq: [] for cq in ranges}
        execution_time: datetime | None = None
        for i, power in enumerate(plan.power_w):
            slot_from = max(plan.slot_start[i], start)
            slot_to = plan.slot_end(i)
            if c.valid_until is not None:
                slot_to = min(slot_to, c.valid_until)
            if slot_to <= slot_from:
                continue
            if execution_time is None:
                execution_time = slot_from
            curtailing = plan.curtailed_w is None or plan.curtailed_w[i] > 1.0
            ms = timedelta_to_ms(slot_to - slot_from)
            for cq, per in ranges.items():
                upper, lower = self._limits(power / len(ranges), curtailing, per)
                rows = elements[cq]
                if rows and rows[-1][1] == upper and rows[-1][2] == lower:
                    rows[-1][0] += ms
                elif len(rows) < MAX_ELEMENTS:
                    rows.append([ms, upper, lower])
        if execution_time is None:
            return []
        iid = ctx.new_id()
        envelopes = [
            gen_s2.PEBCPowerEnvelope(
                id=ctx.new_id(),
                commodity_quantity=cq,
                power_envelope_elements=[
                    gen_s2.PEBCPowerEnvelopeElement(
                        duration=int(ms), upper_limit=upper, lower_limit=lower
                    )
                    for ms, upper, lower in rows
                ],
            )
            for cq, rows in elements.items()
        ]
        key = (
            sid(c.id),
            execution_time,
            tuple((cq, tuple(tuple(r) for r in rows)) for cq, rows in elements.items()),
        )
        return [
            Draft(
                gen_s2.PEBCInstruction(
                    message_id=ctx.new_id(),
                    id=iid,
                    execution_time=execution_time,
                    abnormal_condition=False,
                    power_constraints_id=sid(c.id),
                    power_envelopes=envelopes,
                ),
                iid,
                "PEBC.Instruction",
                execution_time,
                key,
            )
        ]
