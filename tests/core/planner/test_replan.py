"""Replanning (``plan(problem, previous=...)``): warm-started cycles are as exact as cold ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from benchmarks.planner.replan import KINDS, State, World, advance, problem_at
from open_hem_core.planner import plan, replan
from open_hem_core.planner.replan import WarmStart


@pytest.mark.parametrize(
    ("kind", "seed"), [*((kind, False) for kind in KINDS), ("hp_modulating", True)]
)
def test_replan_cycles_cost_what_cold_plans_cost(
    kind: str, seed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three MPC cycles of the benchmark household, over the 13:00 price arrival."""
    monkeypatch.setattr(replan, "SEED_BINARIES", seed)
    world = World.load()
    state = State()
    previous = None
    for k in (51, 52, 53):  # 12:45-13:15: the horizon jumps at 13:00
        problem = problem_at(world, k, state, kind)
        warm = plan(problem, previous=previous, time_limit_s=60.0)
        cold = plan(problem, time_limit_s=60.0)
        assert warm.status == cold.status == "optimal"
        assert warm.cost.total_eur == pytest.approx(cold.cost.total_eur, rel=1e-4, abs=1e-4)
        assert isinstance(warm.warm_start, WarmStart)
        advance(state, warm)
        previous = warm
    assert problem.n > 96  # tomorrow's prices arrived


def test_a_previous_plan_on_another_grid_is_ignored() -> None:
    world = World.load()
    problem = problem_at(world, 0, State(), "hp_on_off")
    first = plan(problem)
    # another step length and an offset off the slot grid: nothing to carry over
    other = replace(first.warm_start, step_minutes=60)
    again = plan(problem, previous=replace(first, warm_start=other))
    assert again.cost.total_eur == pytest.approx(first.cost.total_eur, rel=1e-4)
    h = problem.horizon
    moved = replace(first.warm_start, start=h.start + timedelta(minutes=7))
    again = plan(problem, previous=replace(first, warm_start=moved))
    assert again.cost.total_eur == pytest.approx(first.cost.total_eur, rel=1e-4)
    assert plan(problem, previous=replace(first, warm_start=None)).status == "optimal"
    assert np.isfinite(first.cost.total_eur)
