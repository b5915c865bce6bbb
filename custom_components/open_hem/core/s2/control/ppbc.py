"""PPBC (power-profile based control): washing machines, dishwashers, dryers.

S2 -> planner: a ``PPBC.PowerProfileDefinition`` is the planner's :class:`ShiftableLoad`; each
power sequence container is one :class:`ProfilePart` done after the other, each of its power
sequences one alternative (W per slot, the sequence's energy spread over slots), its
``max_pause_before`` the pause allowed before the part, and the definition's start/end time
the window.

Only containers the RM has not started yet (no EXECUTING/FINISHED/ABORTED/INTERRUPTED
status) are planned: part ``i`` is the ``i``-th of those.

Planner -> S2: the planner's ``ShiftableLoadPlan`` gives, per part, the chosen alternative and
start slot; :meth:`ProfileSchedule.from_plan` turns it into a :class:`ProfileSchedule`, which
becomes ``PPBC.ScheduleInstruction`` s (and Start/End interruption instructions for pauses of
interruptible sequences, which a caller may add: the planner does not interrupt sequences).
A plain ``PowerPlan`` (what Home Assistant's planning loop hands every device) is read back
into a schedule by :func:`schedule_from_power`: the planner places each part's profile whole,
so the planned power per slot tells which alternative starts where.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
from typing import Any

from s2python.generated import gen_s2

from ...planner import ProfilePart, ShiftableLoad, ShiftableLoadPlan
from ..messages import sid
from ..units import ELECTRIC_QUANTITIES, duration_ms
from .base import (
    OK,
    ControlHandler,
    Draft,
    Outcome,
    PlanContext,
    PowerPlan,
    instruction_draft,
    invalid,
)

__all__ = [
    "PPBCHandler",
    "ProfilePart",
    "ProfileSchedule",
    "ShiftableLoad",
    "schedule_from_power",
    "sequence_slots",
]

_DONE = {"EXECUTING", "FINISHED", "ABORTED", "INTERRUPTED"}


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

    @classmethod
    def from_plan(
        cls, load_plan: ShiftableLoadPlan, slot_start: Sequence[datetime], slot_duration: timedelta
    ) -> ProfileSchedule:
        """From the planner's ``ShiftableLoadPlan`` (its ``choices``: part -> (alternative,
        start slot)) and the ``Plan``'s slot starts; no pauses (the planner runs each
        sequence whole)."""
        return cls(tuple(slot_start), slot_duration, dict(load_plan.choices))

    def at(self, slot: int) -> datetime:
        if slot < len(self.slot_start):
            return self.slot_start[slot]
        return self.slot_start[-1] + (slot - len(self.slot_start) + 1) * self.slot_duration


def _fits(power: Sequence[float], at: int, profile: Sequence[float], tol: float) -> bool:
    if at + len(profile) > len(power):
        return False
    return all(abs(power[at + k] - w) <= tol for k, w in enumerate(profile))


def schedule_from_power(
    load: ShiftableLoad, plan: PowerPlan, tol_w: float = 1.0
) -> ProfileSchedule | None:
    """The schedule whose profiles, placed whole, give ``plan``'s power (None: none does).

    The run starts at or after the load's earliest start, parts in order, each at or after
    the previous one's end and within its pause; the slots outside the parts carry no power
    (a plan made for an older profile reads back as None). Depth first, earliest start and
    first alternative first, so the same plan always reads back as the same schedule (no
    needless revocations)."""
    power = plan.power_w
    n = len(power)
    parts = load.parts
    # Part p's window follows from where part p - 1 ended: remembering each (part, end)
    # that leads nowhere keeps the search polynomial (zero-power parts fit in many places).
    dead: set[tuple[int, int]] = set()

    def place(p: int, lo: int, hi: int) -> list[tuple[int, int]] | None:
        if p == len(parts):
            return [] if all(abs(v) <= tol_w for v in power[lo:]) else None
        if (p, lo) in dead:
            return None
        for s in range(lo, min(hi, n - 1) + 1):
            if s > lo and abs(power[s - 1]) > tol_w:
                break  # power before this start belongs to no part
            for a, alt in enumerate(parts[p].alternatives):
                if not _fits(power, s, alt, tol_w):
                    continue
                end = s + len(alt)
                pause = parts[p + 1].max_pause_before_slots if p + 1 < len(parts) else n
                rest = place(p + 1, end, end + pause)
                if rest is not None:
                    return [(a, s), *rest]
        if p:
            dead.add((p, lo))
        return None

    first = load.earliest_start_slot
    if any(abs(v) > tol_w for v in power[:first]):
        return None
    found = place(0, first, n - 1)
    if found is None:
        return None
    return ProfileSchedule(plan.slot_start, plan.slot_duration, dict(enumerate(found)))


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

    def pending(self) -> list[Any]:
        """The containers still to be scheduled (not started, finished or given up)."""
        d = self.definition
        if d is None:
            return []
        return [
            c
            for c in d.power_sequences_containers
            if self.container_status.get(sid(c.id)) not in _DONE
        ]

    def shiftable_load(
        self, name: str, slot_start: Sequence[datetime], slot_duration: timedelta
    ) -> ShiftableLoad:
        """The planner's shiftable load for the current power profile.

        Raises ``ValueError`` (the planner's ``InvalidProblemError``) where the planner cannot
        take the profile: nothing left to schedule, a container with only abnormal-condition
        sequences, or a sequence that produces power."""
        d = self.definition
        if d is None:
            raise ValueError("PPBC: no power profile definition yet")
        containers = self.pending()
        if not containers:
            raise ValueError("PPBC: every sequence container has started or ended")
        parts = []
        for container in containers:
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

    def instructions(self, plan: ProfileSchedule | PowerPlan, ctx: PlanContext) -> list[Draft]:
        d = self.definition
        if d is None:
            return []
        if isinstance(plan, PowerPlan):
            try:
                load = self.shiftable_load("ppbc", plan.slot_start, plan.slot_duration)
            except ValueError:
                return []
            schedule = schedule_from_power(load, plan)
            if schedule is None:
                return []
            plan = schedule
        containers = self.pending()
        drafts: list[Draft] = []
        for part, (alternative, start_slot) in sorted(plan.choices.items()):
            if not 0 <= part < len(containers):
                continue
            container = containers[part]
            container_id = sid(container.id)
            sequences = self._sequences(container)
            if not 0 <= alternative < len(sequences):
                continue
            sequence = sequences[alternative]
            ids = {
                "power_profile_id": sid(d.id),
                "sequence_container_id": container_id,
                "power_sequence_id": sid(sequence.id),
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
        key = (name, at, ids["sequence_container_id"], ids["power_sequence_id"])
        return instruction_draft(ctx, model, name, at, key, **ids)
