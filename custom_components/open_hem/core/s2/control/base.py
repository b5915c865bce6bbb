"""What every control type shares: the handler interface, plans, and choosing operation modes.

A handler keeps the RM's latest control-type messages (system description, statuses,
forecasts), answers each with an :class:`Outcome`, turns them into a planner device model,
and turns a plan into instructions (generated s2-python models, not yet sent).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Self

from s2python.generated import gen_s2

from ..messages import Status, sid
from ..units import ELECTRIC_QUANTITIES, duration_ms

ControlType = gen_s2.ControlType

EPS_W = 1e-6


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a handler took a message: the ReceptionStatus to answer, and what changed.

    ``resend``: the instructions of the current plan must be recomputed and, where they
    differ, revoked and sent again (a new system description, a drifting status).
    ``model_changed``: the planner's device model changed (the HA side should replan).
    """

    status: Status = Status.OK
    label: str | None = None
    resend: bool = False
    model_changed: bool = False

    @property
    def ok(self) -> bool:
        return self.status is Status.OK


OK = Outcome()


def invalid(label: str) -> Outcome:
    """INVALID_CONTENT: schema-valid, but refers to something unknown or comes out of order."""
    return Outcome(Status.INVALID_CONTENT, label)


@dataclass(frozen=True)
class PowerPlan:
    """One device's planned power per slot (W, consumption positive, as S2 and the planner).

    ``curtailed_w`` (PV) says how much production the plan gives up per slot; where it is
    zero the production needs no limit.
    """

    slot_start: tuple[datetime, ...]
    slot_duration: timedelta
    power_w: tuple[float, ...]
    curtailed_w: tuple[float, ...] | None = None
    state: tuple[float, ...] | None = None
    """The planner's state at each slot's end (battery SOC fraction, EV energy, °C)."""

    def __post_init__(self) -> None:
        if len(self.slot_start) != len(self.power_w):
            raise ValueError("PowerPlan: one power per slot")
        if self.curtailed_w is not None and len(self.curtailed_w) != len(self.power_w):
            raise ValueError("PowerPlan: one curtailment per slot")
        if self.slot_duration <= timedelta(0):
            raise ValueError("PowerPlan: slot_duration must be > 0")

    @classmethod
    def from_device_plan(
        cls, device_plan: Any, slot_start: Sequence[datetime], slot_duration: timedelta
    ) -> PowerPlan:
        """From a planner ``DevicePlan`` and the ``Plan``'s slot starts."""
        curtailed = getattr(device_plan, "curtailed_w", None)
        state = getattr(device_plan, "state", None)
        return cls(
            slot_start=tuple(slot_start),
            slot_duration=slot_duration,
            power_w=tuple(float(v) for v in device_plan.power_w),
            curtailed_w=None if curtailed is None else tuple(float(v) for v in curtailed),
            state=None if state is None else tuple(float(v) for v in state),
        )

    def slot_end(self, i: int) -> datetime:
        return self.slot_start[i] + self.slot_duration


@dataclass(frozen=True, slots=True)
class Draft:
    """An instruction to send: the model, when it executes and what it asks (to compare)."""

    message: Any
    instruction_id: str
    object_type: str
    execution_time: datetime
    key: tuple[Any, ...]


@dataclass
class PlanContext:
    """What a handler needs to turn a plan into instructions."""

    now: datetime
    earliest: datetime
    """now + the RM's instruction_processing_delay: no instruction executes before this."""
    new_id: Callable[[], str]


def instruction_draft(
    ctx: PlanContext,
    model: Any,
    object_type: str,
    at: datetime,
    key: tuple[Any, ...],
    **fields: Any,
) -> Draft:
    """A normal-condition instruction ``model(**fields)`` executing at ``at``, as a Draft.

    Draws the instruction's id, then the message's id (the order every handler used)."""
    instruction_id = ctx.new_id()
    message = model(
        message_id=ctx.new_id(),
        id=instruction_id,
        execution_time=at,
        abnormal_condition=False,
        **fields,
    )
    return Draft(message, instruction_id, object_type, at, key)


class ControlHandler(ABC):
    """One control type's state for one RM."""

    control_type: ClassVar[gen_s2.ControlType]
    prefix: ClassVar[str]
    instruction_types: ClassVar[frozenset[str]]

    @abstractmethod
    def handle(self, message_type: str, message: Any) -> Outcome:
        """Take an RM -> CEM message of this control type."""

    @property
    @abstractmethod
    def ready(self) -> bool:
        """Whether the handler knows enough to instruct the RM."""

    @abstractmethod
    def instructions(self, plan: Any, ctx: PlanContext) -> list[Draft]:
        """The instructions that carry out ``plan`` (not yet sent)."""

    def revoke(self, object_type: str, object_id: str) -> Outcome:
        """The RM revokes one of its objects (RevokeObject)."""
        return invalid(f"unknown {object_type} {object_id!r}")

    def drift(self, plan: Any, now: datetime) -> bool:
        """Whether the latest status has drifted from what ``plan`` expects by now."""
        return False

    def snapshot(self) -> dict[str, Any]:
        """The handler's state for diagnostics."""
        return {}

    def frozen(self) -> Self:
        """A copy that later messages leave as it is, for reading off the event loop.

        A handler replaces the messages it keeps and updates only dicts in place (statuses
        by actuator, timers), so a shallow copy with its own dicts is enough.
        """
        clone = copy.copy(self)
        for name, value in vars(self).items():
            if isinstance(value, dict):
                setattr(clone, name, dict(value))
        return clone


# -- operation modes (FRBC, OMBC, DDBC) --------------------------------------------------


class ModeHandler(ControlHandler):
    """What the operation-mode control types share: a system description whose operation
    modes a plan picks from, and the finish times of the RM's timers."""

    def __init__(self) -> None:
        self.system_description: Any = None
        self.timers: dict[str, datetime] = {}

    @property
    def ready(self) -> bool:
        return self.system_description is not None

    def take_system_description(self, message: Any) -> Outcome:
        """A new system description: instructions are resent and the device model changes."""
        self.system_description = message
        return Outcome(resend=True, model_changed=True)

    def take_timer_status(self, message: Any) -> Outcome:
        self.timers[sid(message.timer_id)] = message.finished_at
        return OK


def electric_range(power_ranges: Sequence[Any]) -> tuple[float, float]:
    """(power at factor 0, power at factor 1) in W, summed over the electric quantities."""
    lo = hi = 0.0
    for pr in power_ranges:
        cq = getattr(pr.commodity_quantity, "value", pr.commodity_quantity)
        if cq in ELECTRIC_QUANTITIES:
            lo += pr.start_of_range
            hi += pr.end_of_range
    return lo, hi


def factor_for(power_w: float, lo: float, hi: float) -> tuple[float, float]:
    """(factor in [0, 1], distance in W) that gets closest to ``power_w`` in [lo -> hi]."""
    if abs(hi - lo) < EPS_W:
        return 0.0, abs(power_w - lo)
    f = (power_w - lo) / (hi - lo)
    clamped = min(1.0, max(0.0, f))
    return clamped, abs(power_w - (lo + clamped * (hi - lo)))


@dataclass(frozen=True, slots=True)
class ModeOption:
    """One operation mode as the chooser sees it (at the present fill level for FRBC)."""

    mode_id: str
    lo_w: float
    hi_w: float
    abnormal_only: bool = False
    penalty: float = 0.0
    """A tie-breaker after the power distance (DDBC: how far supply misses demand)."""
    flat_factor: float = 0.0
    """The factor to use when the mode's power does not depend on it (DDBC: for supply)."""


@dataclass(frozen=True, slots=True)
class Edge:
    transition_id: str
    from_id: str
    to_id: str
    start_timers: tuple[str, ...]
    blocking_timers: tuple[str, ...]
    abnormal_only: bool


@dataclass
class ModeMachine:
    """Operation modes with transitions and timers (the OMBC/FRBC/DDBC actuator shape).

    :meth:`choose` picks the allowed mode and factor closest to a planned power; the
    machine then follows that choice, starting the transition's timers, so minimum on and
    off times hold in the instructions it produces.
    """

    edges: tuple[Edge, ...]
    timer_ms: dict[str, int]
    current: str | None = None
    factor: float = 0.0
    timers_until: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def of(cls, transitions: Sequence[Any], timers: Sequence[Any]) -> ModeMachine:
        edges = tuple(
            Edge(
                transition_id=sid(t.id),
                from_id=sid(t.from_),
                to_id=sid(t.to),
                start_timers=tuple(sid(x) for x in t.start_timers),
                blocking_timers=tuple(sid(x) for x in t.blocking_timers),
                abnormal_only=bool(t.abnormal_condition_only),
            )
            for t in transitions
        )
        return cls(edges, {sid(t.id): duration_ms(t.duration) for t in timers})

    @classmethod
    def resumed(
        cls,
        transitions: Sequence[Any],
        timers: Sequence[Any],
        status: Any | None,
        timers_until: Mapping[str, datetime],
    ) -> ModeMachine:
        """The machine where the RM says it is: the active mode and factor of ``status``
        (an OMBC/FRBC/DDBC status; None: not known yet) and the timers' finish times."""
        machine = cls.of(transitions, timers)
        if status is not None:
            machine.current = sid(status.active_operation_mode_id)
            machine.factor = float(status.operation_mode_factor)
        machine.timers_until.update(timers_until)
        return machine

    def copy(self) -> ModeMachine:
        return ModeMachine(
            self.edges, self.timer_ms, self.current, self.factor, dict(self.timers_until)
        )

    def edge(self, to_id: str, at: datetime) -> Edge | bool | None:
        """The transition to ``to_id`` allowed at ``at``; True when none is needed, False
        when it is not allowed (no edge, abnormal only, or a blocking timer runs)."""
        if self.current is None or self.current == to_id:
            return True
        if not self.edges:
            return None  # the RM lists no transitions: every change is allowed
        for e in self.edges:
            if (
                e.from_id == self.current
                and e.to_id == to_id
                and not e.abnormal_only
                and all(self.timers_until.get(t, at) <= at for t in e.blocking_timers)
            ):
                return e
        return False

    def choose(
        self, options: Sequence[ModeOption], power_w: float, at: datetime
    ) -> tuple[str, float] | None:
        """The allowed mode and factor closest to ``power_w`` (ties: narrower, then stay)."""
        best: tuple[tuple[float, float, float, int], str, float] | None = None
        for opt in options:
            if opt.abnormal_only or self.edge(opt.mode_id, at) is False:
                continue
            f, dist = factor_for(power_w, opt.lo_w, opt.hi_w)
            if abs(opt.hi_w - opt.lo_w) < EPS_W:
                f = opt.flat_factor
            width = round(abs(opt.hi_w - opt.lo_w), 6)
            score = (
                # within a tenth of a watt counts as a tie: a plan's solver noise (-0.009 W)
                # must not pick a discharge mode over idle
                round(dist, 1),
                round(opt.penalty, 6),
                width,
                0 if opt.mode_id == self.current else 1,
            )
            if best is None or score < best[0]:
                best = (score, opt.mode_id, f)
        return None if best is None else (best[1], best[2])

    def follow(self, mode_id: str, factor: float, at: datetime) -> None:
        """Take the transition to ``mode_id`` at ``at`` (starting its timers)."""
        edge = self.edge(mode_id, at)
        if isinstance(edge, Edge):
            for t in edge.start_timers:
                self.timers_until[t] = at + timedelta(milliseconds=self.timer_ms.get(t, 0))
        self.current = mode_id
        self.factor = factor


def mode_status(status: Any) -> dict[str, Any]:
    """An OMBC/FRBC status for diagnostics: its active mode and factor."""
    return {
        "operation_mode": sid(status.active_operation_mode_id),
        "factor": status.operation_mode_factor,
    }


def actuator_plan(plan: PowerPlan, index: int) -> PowerPlan:
    """What actuator ``index`` carries out: the first follows ``plan``, the others hold 0 W."""
    if index == 0:
        return plan
    return PowerPlan(plan.slot_start, plan.slot_duration, tuple(0.0 for _ in plan.power_w))


def same_factor(a: float, b: float) -> bool:
    return abs(a - b) < 1e-3


def planned_changes(
    plan: PowerPlan,
    ctx: PlanContext,
    machine: ModeMachine,
    options_at: Callable[[int], Sequence[ModeOption]],
    after_slot: Callable[[int, str, float], None] | None = None,
) -> list[tuple[datetime, str, float]]:
    """(execution time, mode, factor) wherever the plan changes the mode or factor.

    Slots that end before ``ctx.earliest`` are skipped; a slot that started before it gets
    its instruction at ``ctx.earliest``. Only the last change per execution time is kept.
    """
    out: list[tuple[datetime, str, float]] = []
    for i, power in enumerate(plan.power_w):
        if plan.slot_end(i) <= ctx.earliest:
            continue
        at = max(plan.slot_start[i], ctx.earliest)
        choice = machine.choose(options_at(i), power, at)
        if choice is None:
            continue
        mode_id, factor = choice
        if mode_id != machine.current or not same_factor(factor, machine.factor):
            if out and out[-1][0] == at:
                out.pop()
            out.append((at, mode_id, round(factor, 6)))
            machine.follow(mode_id, factor, at)
        if after_slot is not None:
            after_slot(i, mode_id, factor)
    return out
