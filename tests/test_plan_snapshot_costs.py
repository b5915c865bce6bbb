"""``PlanSnapshot.cost_between`` picks the slots that start in [start, end) by arithmetic:
the same slots as comparing every slot's start, at any boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.open_hem.planner.const import PlanStatus
from custom_components.open_hem.planner.snapshot import PlanSnapshot

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
N = 12


def _snapshot() -> PlanSnapshot:
    zeros = [0.0] * N
    return PlanSnapshot(
        status=PlanStatus.OPTIMAL,
        created=T0,
        start=T0,
        import_price=zeros,
        export_price=zeros,
        grid_w=zeros,
        base_load_w=zeros,
        pv_w=zeros,
        slot_cost_eur=[0.01 * (i + 1) for i in range(N)],
        devices={},
        cost_eur=0.0,
        baseline_cost_eur=0.0,
    )


def _by_every_slot(snap: PlanSnapshot, start: datetime, end: datetime) -> float | None:
    picked = [c for i, c in enumerate(snap.slot_cost_eur) if start <= snap.slot_start(i) < end]
    return round(sum(picked), 4) if picked else None


def test_cost_between_picks_the_slots_starting_in_the_window() -> None:
    snap = _snapshot()
    moments = [T0 + timedelta(minutes=m) for m in range(-40, 15 * N + 40, 7)]
    moments += [T0 + timedelta(minutes=15 * i) for i in range(-2, N + 3)]
    for start in moments:
        for end in moments:
            assert snap.cost_between(start, end) == _by_every_slot(snap, start, end), (start, end)
    # e.g. the second hour: slots 4..7
    assert snap.cost_between(T0 + timedelta(hours=1), T0 + timedelta(hours=2)) == 0.26
    assert snap.cost_between(T0 + timedelta(hours=5), T0 + timedelta(hours=6)) is None
