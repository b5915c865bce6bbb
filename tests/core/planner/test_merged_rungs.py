"""Own production and cost in one solve, and the tie-break as LPs (ladder.py): the same rung
optima as solving every rung in turn, in fewer mixed-integer solves."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
import numpy as np
import pytest

from open_hem_core.planner import (
    EVCharger,
    Horizon,
    Ladder,
    Plan,
    Problem,
    PVInverter,
    Rung,
    ladder as ladder_module,
    plan,
    solve as solve_module,
)

from .test_ladder_mips import _problem as on_off_problem
from .test_properties import check_hard_constraints, problems

GRID_AWARE = (Rung.GRID, Rung.WISHES, Rung.OWN_PRODUCTION, Rung.COST)


def _in_turn(p: Problem) -> Plan:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ladder_module, "MERGE_OWN_PRODUCTION", False)
        return plan(p)


def _assert_same_rungs(got: Plan, want: Plan) -> None:
    for key in ("grid", "wishes", "own_production", "cost"):
        value = want.figures.rung_values[key]
        assert abs(got.figures.rung_values[key] - value) <= 2e-4 * max(1.0, abs(value)), key


def _count_mips(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    runs: list[bool] = []
    run = solve_module._run

    def counting(h: object, is_mip: bool, stats: solve_module.RunStats) -> object:
        runs.append(is_mip)
        return run(h, is_mip, stats)  # type: ignore[arg-type]

    monkeypatch.setattr(solve_module, "_run", counting)
    return runs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_merged_own_production_and_cost_match_solving_them_in_turn(p: Problem) -> None:
    p = replace(p, ladder=Ladder(GRID_AWARE, tie_break_seed=11))
    merged = plan(p)
    check_hard_constraints(p, merged)
    _assert_same_rungs(merged, _in_turn(p))


def test_the_merged_on_off_ladder_takes_fewer_solves(monkeypatch: pytest.MonkeyPatch) -> None:
    p = on_off_problem(GRID_AWARE)
    runs = _count_mips(monkeypatch)
    merged = plan(p)
    merged_runs, merged_mips = len(runs), sum(runs)
    runs.clear()
    in_turn = _in_turn(p)
    assert merged.status == in_turn.status == "optimal"
    check_hard_constraints(p, merged)
    _assert_same_rungs(merged, in_turn)
    # one relaxation and the on/off pattern prove it here; in turn, own production needs
    # a mixed-integer solve
    assert merged_mips < sum(runs)
    assert merged_runs < len(runs)


def test_own_production_out_of_the_relaxations_reach_is_solved_in_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The relaxation soaks up four slots of 600 W surplus by charging the car at 600 W; the
    car charges at 4140 W or not at all and needs 1.2 kWh, so a plan can use one of those
    slots only. The merged solve misses the bound and the rungs are solved in turn."""
    n = 16
    price = 0.25 + 0.05 * np.sin(np.arange(n))
    base = np.full(n, 300.0)
    pv = base.copy()
    pv[4:8] += 600.0
    p = Problem(
        Horizon(datetime(2025, 3, 10, tzinfo=UTC), n, 15, "UTC"),
        price,
        price - 0.1,
        base,
        evs=(EVCharger("car", 11000.0, 1200.0, 0, n, min_w=4140.0),),
        pv=(PVInverter("pv", pv),),
        ladder=Ladder(GRID_AWARE, tie_break_seed=3),
    )
    bounds: list[object] = []
    find = ladder_module._relaxation_bounds

    def noting(*args: object, **kwargs: object) -> object:
        found = find(*args, **kwargs)  # type: ignore[arg-type]
        bounds.append(found)
        return found

    monkeypatch.setattr(ladder_module, "_relaxation_bounds", noting)
    runs = _count_mips(monkeypatch)
    merged = plan(p)
    assert bounds, "the merged solve was tried"
    assert sum(runs) >= 3  # the merged solve, then own production and cost in turn
    check_hard_constraints(p, merged)
    # the car takes one surplus slot; the other three export their 600 W
    assert float(np.sum(merged.export_w)) == pytest.approx(3 * 600.0, abs=1e-3)
    assert int(np.count_nonzero(merged.device("car").power_w > 1.0)) == 1
    _assert_same_rungs(merged, _in_turn(p))


def test_the_tie_break_keeps_the_on_off_plan_and_the_cost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = on_off_problem(GRID_AWARE)
    runs = _count_mips(monkeypatch)
    spread = plan(p)
    with_tie_break = sum(runs)
    runs.clear()
    plain = plan(replace(p, ladder=Ladder(GRID_AWARE)))
    assert sum(runs) == with_tie_break  # no mixed-integer solve for the tie-break
    assert spread.cost.total_eur == pytest.approx(plain.cost.total_eur, abs=1e-6)
    assert "tie_break" in spread.figures.rung_values
    check_hard_constraints(p, spread)
