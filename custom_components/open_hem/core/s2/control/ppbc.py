"""PPBC (power-profile based control): washing machines, dishwashers, dryers.

S2 -> planner: a ``PPBC.PowerProfileDefinition`` is a shiftable load; each power sequence
container is one part done after the other, each of its power sequences one alternative
(W per slot, the sequence's energy spread over slots), its ``max_pause_before`` the pause
allowed before the part, and the definition's start/end time the window.

:class:`ProfilePart` and :class:`ShiftableLoad` mirror the planner's shiftable-appliance kind
(being written in parallel; same names and fields): switch the import to the planner's at
merge. A plan for it gives, per part, the chosen alternative and start slot
(:class:`ProfileSchedule`), which becomes ``PPBC.ScheduleInstruction`` s (and Start/End
interruption instructions for pauses of interruptible sequences).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
from typing import Any

from s2python.generated import gen_s2

from ..messages import sid
from ..units import ELECTRIC_QUANTITIES, duration_ms
from .base import OK, ControlHandler, Draft, Outcome, PlanContext, invalid

_DONE = {"EXECUTING", "FINISHED", "ABANDONED", "INTERRUPTED"}


@dataclass(frozen=True)
class ProfilePart:
    """One part of a shiftable load: alternative power shapes (W per slot), one to be run."""

    alternatives: tuple[tuple[float, ...], ...]
    max_pause_before_slots: int = 0


@dataclass(frozen=True)
class ShiftableLoad:
    """An appliance run: its parts in order, within [earliest_start_slot, latest_end_slot)."""

    name: str
    parts: tuple[ProfilePart, ...]
    earliest_start_slot: int = 0
    latest_end_slot: int | None = None


@dataclass(frozen=True)
class ProfileSchedule:
    """The plan of a shiftable load: part index -> (alternative index, start slot).

    ``pauses``: part index -> (first slot paused, first slot running again) pairs, for
    interruptible sequences.
    """

    slot_start: tuple[datetime, ...]
    slot_duration: timedelta
    choices: Mapping[int, tuple[int, int]]
    pauses: Mapping[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def at(self, slot: int) -> datetime:
        if slot < len(self.slot_start):
            return self.slot_start[slot]
        return self.slot_start[-1] + (slot - len(self.slot_start) + 1) * self.slot_duration


def _electric(values: Sequence[Any]) -> float:
    total = 0.0
    for v in values:
        cq = getattr(v.commodity_quantity, "value", v.commodity_quantity)
        if cq in ELECTRIC_QUANTITIES:
            total += float(v.value_expected)
    return total


def sequence_slots(sequence: Any, slot: timedelta) -> tuple[float, ...]:
    """A power sequence as mean W per slot (starting at a slot start)."""
    slot_ms = slot / timedelta(milliseconds=1)
    total_ms = sum(duration_ms(e.duration) for e in sequence.elements)
    n = max(1, math.ceil(total_ms / slot_ms - 1e-9))
    energy = [0.0] * n  # W*ms per slot
    t = 0.0
    for e in sequence.elements:
        power = _electric(e.power_values)
        end = t + duration_ms(e.duration)
        while t < end - 1e-9:
            k = min(n - 1, int(t // slot_ms))
            step = min(end, (k + 1) * slot_ms) - t
            energy[k] += power * step
            t += step
    return tuple(round(x / slot_ms, 6) for x in energy)


class PPBCHandler(ControlHandler):
    """The PPBC state of one RM (one power profile at a time)."""

    control_type = gen_s2.ControlType.POWER_PROFILE_BASED_CONTROL
    prefix = "PPBC."
    instruction_types = frozenset(
        {
            "PPBC.ScheduleInstruction",
            "PPBC.StartInterruptionInstruction",
            "PPBC.EndInterruptionInstruction",
        }
    )

    def __init__(self) -> None:
        self.definition: Any = None
        self.container_status: dict[str, str] = {}

    def handle(self, message_type: str, message: Any) -> Outcome:
        match message_type:
            case "PPBC.PowerProfileDefinition":
                self.definition = message
                self.container_status = {}
                return Outcome(resend=True, model_changed=True)
            case "PPBC.PowerProfileStatus":
                for s in message.sequence_container_status:
                    status = getattr(s.status, "value", s.status)
                    self.container_status[sid(s.sequence_container_id)] = str(status)
                return OK
        return invalid(f"{message_type} is not handled by a PPBC CEM")

    def revoke(self, object_type: str, object_id: str) -> Outcome:
        d = self.definition
        if (
            object_type == "PPBC.PowerProfileDefinition"
            and d is not None
            and sid(d.id) == object_id
        ):
            self.definition = None
            return Outcome(model_changed=True)
        return invalid(f"unknown {object_type} {object_id!r}")

    @property
    def ready(self) -> bool:
        return self.definition is not None

    def snapshot(self) -> dict[str, Any]:
        return {"containers": dict(self.container_status)}

    def _sequences(self, container: Any) -> list[Any]:
        return [s for s in container.power_sequences if not s.abnormal_condition_only]

    def shiftable_load(
        self, name: str, slot_start: Sequence[datetime], slot_duration: timedelta
    ) -> ShiftableLoad:
        """The planner's shiftable load for the current power profile."""
        d = self.definition
        if d is None:
            raise ValueError("PPBC: no power profile definition yet")
        parts = []
        for container in d.power_sequences_containers:
            sequences = self._sequences(container)
            pause_ms = max(
                (duration_ms(s.max_pause_before) for s in sequences if s.max_pause_before),
                default=0,
            )
            parts.append(
                ProfilePart(
                    alternatives=tuple(sequence_slots(s, slot_duration) for s in sequences),
                    max_pause_before_slots=int(
                        pause_ms // (slot_duration / timedelta(milliseconds=1))
                    ),
                )
            )
        earliest = sum(1 for s in slot_start if s < d.start_time)
        latest = sum(1 for s in slot_start if s + slot_duration <= d.end_time)
        return ShiftableLoad(name, tuple(parts), earliest, latest)

    def instructions(self, plan: ProfileSchedule, ctx: PlanContext) -> list[Draft]:
        d = self.definition
        if d is None:
            return []
        containers = list(d.power_sequences_containers)
        drafts: list[Draft] = []
        for part, (alternative, start_slot) in sorted(plan.choices.items()):
            if not 0 <= part < len(containers):
                continue
            container = containers[part]
            container_id = sid(container.id)
            if self.container_status.get(container_id) in _DONE:
                continue
            sequences = self._sequences(container)
            if not 0 <= alternative < len(sequences):
                continue
            sequence = sequences[alternative]
            ids = {
                "power_profile_id": sid(d.id),
                "sequence_container_id": container_id,
                "power_sequence_id": sid(sequence.id),
                "abnormal_condition": False,
            }
            at = max(plan.at(start_slot), ctx.earliest)
            drafts.append(
                self._draft(
                    gen_s2.PPBCScheduleInstruction, "PPBC.ScheduleInstruction", at, ids, ctx
                )
            )
            if sequence.is_interruptible:
                for first, resume in plan.pauses.get(part, ()):
                    for cls, name, slot in (
                        (
                            gen_s2.PPBCStartInterruptionInstruction,
                            "PPBC.StartInterruptionInstruction",
                            first,
                        ),
                        (
                            gen_s2.PPBCEndInterruptionInstruction,
                            "PPBC.EndInterruptionInstruction",
                            resume,
                        ),
                    ):
                        drafts.append(
                            self._draft(cls, name, max(plan.at(slot), ctx.earliest), ids, ctx)
                        )
        return drafts

    @staticmethod
    def _draft(model: Any, name: str, at: datetime, ids: dict[str, Any], ctx: PlanContext) -> Draft:
        iid = ctx.new_id()
        message = model(message_id=ctx.new_id(), id=iid, execution_time=at, **ids)
        key = (name, at, ids["sequence_container_id"], ids["power_sequence_id"])
        return Draft(message, iid, name, at, key)
