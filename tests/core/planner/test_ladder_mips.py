"""Mixed-integer ladders: an on/off heat pump, a battery and PV under grid-aware rungs (own
production above cost, a tie-break below): energy-burning binaries where own production could
leave the home, and each rung's MIP started from the rung above, give the same rung optima as
a binary in every slot, in fewer solves."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from open_hem_core.planner import (
    Battery,
    HeatPump,
    Horizon,
    Ladder,
    Problem,
    PVInverter,
    Rung,
    ThermalHouse,
    plan,
    solve as solve_module,
)
from open_hem_core.planner.model import build

from .test_properties import check_hard_constraints

N = 96


def _problem(order: tuple[Rung, ...]) -> Problem:
    t = np.arange(N)
    price = 0.25 + 0.1 * np.sin(t / N * 4 * np.pi) + 0.02 * np.cos(t * 0.7)
    pv = np.clip(2500.0 * np.sin((t - 32) / 40 * np.pi), 0.0, None)
    pv[(t < 32) | (t >= 72)] = 0.0
    house = ThermalHouse(150.0, 3000.0, 20.0, 19.5, 21.5)
    return Problem(
        Horizon(datetime(2025, 3, 10, tzinfo=UTC), N, 15, "UTC"),
        price,
        price - 0.12,
        np.full(N, 350.0),
        outdoor_temp_c=5.0 + 4.0 * np.sin(t / N * 2 * np.pi),
        batteries=(Battery("battery", 10000.0, 5000.0, 5000.0),),
        heat_pumps=(HeatPump("hp", 2000.0, house, min_run_slots=2, min_pause_slots=1),),
        pv=(PVInverter("pv", pv, curtailable=True, max_ac_w=3000.0),),
        ladder=Ladder(order, tie_break_seed=7),
    )


def test_burn_slots_follow_negative_prices_and_own_production_on_the_ladder() -> None:
    with_own = _problem((Rung.GRID, Rung.WISHES, Rung.OWN_PRODUCTION, Rung.COST))
    _, index = build(with_own)
    pv = np.asarray(with_own.pv[0].forecast_w)
    assert index.burn_slots.tolist() == np.flatnonzero(pv > 0).tolist()
    _, index = build(_problem((Rung.GRID, Rung.WISHES, Rung.COST)))
    assert index.burn_slots.tolist() == []  # no negative price, own production not a rung


def test_on_off_ladder_with_own_production_matches_every_slot_binaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = _problem((Rung.GRID, Rung.WISHES, Rung.OWN_PRODUCTION, Rung.COST))
    mips: list[int] = []
    run = solve_module._run

    def counting(h: object, is_mip: bool, stats: solve_module.RunStats) -> object:
        mips.append(int(is_mip))
        return run(h, is_mip, stats)  # type: ignore[arg-type]

    monkeypatch.setattr(solve_module, "_run", counting)
    lazy = plan(p)
    lazy_mips = sum(mips)
    full = plan(p, full_binaries=True)
    assert lazy.status == full.status == "optimal"
    check_hard_constraints(p, lazy)
    assert lazy.figures.binaries > 0  # the run/pause columns at least
    lv, fv = lazy.figures.rung_values, full.figures.rung_values
    assert lv["own_production"] == pytest.approx(fv["own_production"], abs=1e-6)
    assert lv["cost"] == pytest.approx(fv["cost"], rel=2e-4)
    # one MIP per rung below the first, at most two for the first (its burn slots, then all)
    assert lazy_mips <= 4
