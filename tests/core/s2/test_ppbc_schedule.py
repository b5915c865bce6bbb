"""PPBC: a planned power series read back into the schedule that gives it, and containers
the RM has started left out of the plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import itertools
import uuid

from hypothesis import given, strategies as st
import numpy as np
import pytest
from s2python.ppbc import PPBCPowerProfileStatus

from open_hem_core.planner import Horizon, Problem, ProfilePart, ShiftableLoad, plan
from open_hem_core.s2 import PowerPlan
from open_hem_core.s2.control import PlanContext, PPBCHandler
from open_hem_core.s2.control.ppbc import schedule_from_power
from open_hem_core.s2.messages import sid

from .devices import dishwasher

SLOT = timedelta(minutes=15)
T0 = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def _starts(n: int) -> tuple[datetime, ...]:
    return tuple(T0 + i * SLOT for i in range(n))


def _place(load: ShiftableLoad, choice: dict[int, tuple[int, int]], n: int) -> list[float]:
    power = [0.0] * n
    for p, (a, s) in choice.items():
        for k, w in enumerate(load.parts[p].alternatives[a]):
            power[s + k] += w
    return power


def _feasible(load: ShiftableLoad, n: int) -> list[dict[int, tuple[int, int]]]:
    """Every schedule of ``load`` in ``n`` slots (brute force)."""
    out = []
    options = [
        [(a, s) for a in range(len(part.alternatives)) for s in range(n)] for part in load.parts
    ]
    for combo in itertools.product(*options):
        end = None
        ok = True
        for p, (a, s) in enumerate(combo):
            length = len(load.parts[p].alternatives[a])
            if s + length > n or (
                end is not None and not end <= s <= end + load.parts[p].max_pause_before_slots
            ):
                ok = False
                break
            end = s + length
        if ok:
            out.append(dict(enumerate(combo)))
    return out


profile = st.lists(st.sampled_from([0.0, 500.0, 1000.0, 2000.0]), min_size=1, max_size=3)


@given(
    parts=st.lists(
        st.tuples(st.lists(profile, min_size=1, max_size=2), st.integers(0, 2)),
        min_size=1,
        max_size=3,
    ),
    pick=st.integers(0, 10_000),
)
def test_every_placed_schedule_reads_back_to_the_same_power(
    parts: list[tuple[list[list[float]], int]], pick: int
) -> None:
    """Brute force over small loads: whatever schedule the planner places, the schedule read
    back from its power places exactly that power (the same choice where it is unambiguous)."""
    n = 8
    load = ShiftableLoad(
        "x", tuple(ProfilePart(tuple(map(tuple, alts)), pause) for alts, pause in parts)
    )
    schedules = _feasible(load, n)
    if not schedules:
        return
    chosen = schedules[pick % len(schedules)]
    power = _place(load, chosen, n)
    found = schedule_from_power(load, PowerPlan(_starts(n), SLOT, tuple(power)))
    assert found is not None
    assert _place(load, dict(found.choices), n) == power
    same_power = [s for s in schedules if _place(load, s, n) == power]
    if len(same_power) == 1:
        assert dict(found.choices) == chosen


def test_power_no_schedule_gives_reads_back_as_none() -> None:
    load = ShiftableLoad("x", (ProfilePart(((1000.0, 1000.0),)),))
    starts = _starts(4)
    assert schedule_from_power(load, PowerPlan(starts, SLOT, (0.0, 1000.0, 0.0, 0.0))) is None
    assert schedule_from_power(load, PowerPlan(starts, SLOT, (0.0, 0.0, 0.0, 0.0))) is None
    # a stray load after the run is not part of it
    assert schedule_from_power(load, PowerPlan(starts, SLOT, (1000.0, 1000.0, 0.0, 5.0))) is None
    found = schedule_from_power(load, PowerPlan(starts, SLOT, (0.0, 1000.0, 1000.4, 0.0)))
    assert found is not None
    assert dict(found.choices) == {0: (0, 1)}
    # a plan made before the profile moved its start later: not this profile's plan
    later = ShiftableLoad("x", load.parts, earliest_start_slot=2)
    assert schedule_from_power(later, PowerPlan(starts, SLOT, (0.0, 1000.0, 1000.0, 0.0))) is None
    found = schedule_from_power(later, PowerPlan(starts, SLOT, (0.0, 0.0, 1000.0, 1000.0)))
    assert found is not None
    assert dict(found.choices) == {0: (0, 2)}


def test_many_zero_power_parts_are_read_back_without_trying_every_combination() -> None:
    """Parts of 0 W fit wherever the power is 0: 40 of them with pauses have 3**40 placements
    that all fail when the power ends in a stray load (the search remembers dead ends)."""
    quiet = ProfilePart(((0.0,),), max_pause_before_slots=2)
    load = ShiftableLoad("x", (ProfilePart(((800.0,),)), *(quiet,) * 40))
    starts = _starts(96)
    power = [0.0] * 96
    power[0] = 800.0
    power[95] = 100.0
    assert schedule_from_power(load, PowerPlan(starts, SLOT, tuple(power))) is None
    power[95] = 0.0
    found = schedule_from_power(load, PowerPlan(starts, SLOT, tuple(power)))
    assert found is not None
    assert dict(found.choices) == {p: (0, p) for p in range(41)}


def _handler(start: datetime) -> PPBCHandler:
    handler = PPBCHandler()
    assert handler.handle("PPBC.PowerProfileDefinition", dishwasher(start)).ok
    return handler


def _ctx(now: datetime) -> PlanContext:
    return PlanContext(now=now, earliest=now, new_id=lambda: str(uuid.uuid4()))


def test_the_planners_power_becomes_schedule_instructions_at_the_planned_starts() -> None:
    """The planner's ShiftableLoad, planned on prices, handed back as a plain PowerPlan (as
    Home Assistant's loop hands it) gives the ScheduleInstructions of the planner's choices."""
    handler = _handler(T0 + SLOT)
    horizon = Horizon(T0, 12, 15, "UTC")
    starts = horizon.times_utc()
    load = handler.shiftable_load("dishwasher", starts, SLOT)
    prices = [0.30] * 12
    prices[8] = prices[9] = 0.05
    result = plan(
        Problem(
            horizon=horizon,
            import_price=prices,
            export_price=0.0,
            base_load_w=0.0,
            devices=(load,),
        )
    )
    device_plan = result.device("dishwasher")
    assert device_plan.choices == {0: (1, 8), 1: (0, 9)}  # quick heat, rinse right after
    power = PowerPlan.from_device_plan(device_plan, starts, SLOT)
    drafts = handler.instructions(power, _ctx(T0))
    d = handler.definition
    heat = d.power_sequences_containers[0].power_sequences
    rinse = d.power_sequences_containers[1].power_sequences[0]
    got = [(x.execution_time, x.object_type, sid(x.message.power_sequence_id)) for x in drafts]
    assert got == [
        (starts[8], "PPBC.ScheduleInstruction", str(heat[1].id)),
        (starts[9], "PPBC.ScheduleInstruction", str(rinse.id)),
    ]
    # The same plan again gives the same keys (the session sends nothing new).
    assert [x.key for x in handler.instructions(power, _ctx(T0))] == [x.key for x in drafts]


def test_a_started_container_leaves_the_plan() -> None:
    handler = _handler(T0)
    d = handler.definition
    heat, rinse = d.power_sequences_containers
    status = PPBCPowerProfileStatus.model_validate(
        {
            "message_type": "PPBC.PowerProfileStatus",
            "message_id": str(uuid.uuid4()),
            "sequence_container_status": [
                {
                    "power_profile_id": str(d.id),
                    "sequence_container_id": str(heat.id),
                    "selected_sequence_id": str(heat.power_sequences[0].id),
                    "status": "EXECUTING",
                },
            ],
        }
    )
    assert handler.handle("PPBC.PowerProfileStatus", status).ok
    starts = _starts(8)
    load = handler.shiftable_load("dishwasher", starts, SLOT)
    assert [p.alternatives for p in load.parts] == [((250.0,),)]  # only the rinse is left
    power = PowerPlan(starts, SLOT, (0.0, 0.0, 250.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    drafts = handler.instructions(power, _ctx(T0))
    assert [(x.execution_time, sid(x.message.sequence_container_id)) for x in drafts] == [
        (starts[2], str(rinse.id))
    ]
    status = status.model_copy(deep=True)
    status.sequence_container_status[0].sequence_container_id = rinse.id
    status.sequence_container_status[0].status = "FINISHED"
    handler.handle("PPBC.PowerProfileStatus", status)
    with pytest.raises(ValueError, match="started or ended"):
        handler.shiftable_load("dishwasher", starts, SLOT)
    assert handler.instructions(power, _ctx(T0)) == []


def test_a_power_plan_that_matches_no_profile_sends_nothing() -> None:
    handler = _handler(T0)
    starts = _starts(8)
    assert handler.instructions(PowerPlan(starts, SLOT, tuple(np.full(8, 700.0))), _ctx(T0)) == []
