"""Shiftable appliances: hand-checked placements, the finish-by wish, the scenario key, and a
property test against a brute-force enumeration of every start."""

from __future__ import annotations

from dataclasses import replace
import itertools
import json
from pathlib import Path
import time

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest

from open_hem_core.planner import (
    Battery,
    EVCharger,
    GridConnection,
    Horizon,
    InvalidProblemError,
    Plan,
    Problem,
    ProfilePart,
    PVInverter,
    ShiftableLoad,
    ShiftableLoadPlan,
    load_scenario,
    plan,
    profile_from_minutes,
    scenario_from_dict,
    solve as solve_module,
)
from open_hem_core.planner.devices.shiftable import ShiftableLoadModel
from open_hem_core.planner.model import build
from open_hem_core.planner.solve import RelaxedLp, RunStats

from .builders import hourly
from .test_properties import check_hard_constraints

FIXTURES = Path(__file__).parent / "fixtures"
TOL = 1e-3


def _problem(*loads: ShiftableLoad, prices: list[float], **kw: object) -> Problem:
    n = len(prices)
    kw.setdefault("pv", (PVInverter("pv", np.zeros(n)),))
    return hourly(n, import_price=prices, devices=loads, **kw)


def _load_plan(r: Plan, name: str) -> ShiftableLoadPlan:
    d = r.device(name)
    assert isinstance(d, ShiftableLoadPlan)
    return d


def check_shiftable(p: Problem, r: Plan) -> None:
    """Each run: whole profiles at the chosen starts, in order, pauses kept, after its earliest
    start, inside the horizon; nothing else."""
    for load in p.devices:
        assert isinstance(load, ShiftableLoad)
        d = _load_plan(r, load.name)
        assert [c.part for c in d.parts] == list(range(len(load.parts)))
        expect = np.zeros(p.n)
        prev_end = None
        for c, part in zip(d.parts, load.parts, strict=True):
            alt = part.alternatives[c.alternative]
            assert c.end_slot - c.start_slot == len(alt)
            assert c.start_slot >= 0
            assert c.end_slot <= p.n
            if prev_end is None:
                assert c.start_slot >= load.earliest_start_slot
            else:
                assert prev_end <= c.start_slot <= prev_end + part.max_pause_before_slots
            prev_end = c.end_slot
            expect[c.start_slot : c.end_slot] += alt
        np.testing.assert_allclose(d.power_w, expect, atol=TOL)
        late = (load.name, "shiftable_end") in {(u.device, u.kind) for u in r.unmet}
        assert late == (d.end_slot > load.deadline(p.n))


# -- hand-checked cases ------------------------------------------------------------------


def test_a_run_goes_to_the_cheapest_start_without_binaries() -> None:
    # 1 kW for 2 h; the start costs 0.4 / 0.2 / 0.4 / 0.35 / 0.45 EUR at slots 0..4
    load = ShiftableLoad.constant("dishwasher", 1000.0, 2)
    p = _problem(load, prices=[0.3, 0.1, 0.1, 0.3, 0.05, 0.4])
    r = plan(p)
    check_hard_constraints(p, r)
    check_shiftable(p, r)
    d = _load_plan(r, "dishwasher")
    assert (d.kind, d.start_slot, d.end_slot, d.choices) == ("shiftable_load", 1, 3, {0: (0, 1)})
    np.testing.assert_allclose(d.power_w, [0, 1000, 1000, 0, 0, 0])
    assert d.state is not None
    assert d.state[-1] == pytest.approx(2000.0)
    assert r.cost.energy_eur == pytest.approx(0.2, abs=1e-9)
    assert r.figures.binaries == 0  # the relaxation placed it in one piece
    assert r.unmet == ()
    # the baseline starts it at once (0.3 + 0.1 EUR)
    (base,) = [b for b in r.baseline.devices if b.name == "dishwasher"]
    np.testing.assert_allclose(base.power_w, [1000, 1000, 0, 0, 0, 0])
    assert r.baseline.meets_wishes
    assert r.saving_eur == pytest.approx(0.2, abs=1e-9)
    data = r.to_dict()["devices"][-1]
    assert data["parts"] == [{"part": 0, "alternative": 0, "start_slot": 1, "end_slot": 3}]


def test_the_cheaper_alternative_is_chosen() -> None:
    # A: 2 kW for 1 h; B: 0.9 kW for 2 h. At 0.1 EUR/kWh in slots 1-2: A 0.2, B 0.18 EUR.
    part = ProfilePart(((2000.0,), (900.0, 900.0)))
    p = _problem(ShiftableLoad("dryer", (part,)), prices=[0.5, 0.1, 0.1, 0.5])
    r = plan(p)
    check_shiftable(p, r)
    assert _load_plan(r, "dryer").choices == {0: (1, 1)}
    assert r.cost.energy_eur == pytest.approx(0.18, abs=1e-9)


@pytest.mark.parametrize(("pause", "cost"), [(1, 0.55), (2, 0.1)])
def test_parts_follow_each_other_within_the_pause(pause: int, cost: float) -> None:
    # two 1 kW, 1 h parts; cheap slots 0 and 3: only a pause of 2 slots reaches both
    parts = (ProfilePart(((1000.0,),)), ProfilePart(((1000.0,),), max_pause_before_slots=pause))
    p = _problem(ShiftableLoad("washer", parts), prices=[0.05, 0.5, 0.5, 0.05, 0.6])
    r = plan(p)
    check_hard_constraints(p, r)
    check_shiftable(p, r)
    assert r.cost.energy_eur == pytest.approx(cost, abs=1e-9)
    if pause == 2:
        assert _load_plan(r, "washer").choices == {0: (0, 0), 1: (0, 3)}


def test_a_run_that_cannot_finish_in_time_finishes_as_early_as_it_can() -> None:
    # 3 h from slot 2 cannot end by slot 4; starting at 3 would be cheaper, but later
    load = ShiftableLoad.constant("dishwasher", 1000.0, 3, earliest_start_slot=2, latest_end_slot=4)
    p = _problem(load, prices=[0.1, 0.1, 0.5, 0.5, 0.5, 0.01])
    r = plan(p)
    check_hard_constraints(p, r)
    check_shiftable(p, r)
    assert _load_plan(r, "dishwasher").choices == {0: (0, 2)}
    (wish,) = r.unmet
    assert (wish.device, wish.kind, wish.unit) == ("dishwasher", "shiftable_end", "min")
    assert (wish.requested, wish.achieved, wish.shortfall) == (240.0, 300.0, 60.0)
    assert wish.slots == (4, 5)
    assert "earliest start" in wish.reason
    assert not r.baseline.meets_wishes


def test_a_soft_grid_limit_ranks_above_the_finish_by_wish() -> None:
    # 2 kW for 1 h, wished done by slot 2, but the street takes 1 kW until then
    load = ShiftableLoad.constant("dishwasher", 2000.0, 1, latest_end_slot=2)
    grid = GridConnection(17250.0, 17250.0, import_limit_w=[1000, 1000, 17250, 17250])
    p = _problem(load, prices=[0.1, 0.1, 0.3, 0.2], grid=grid)
    r = plan(p)
    check_hard_constraints(p, r)
    check_shiftable(p, r)
    assert _load_plan(r, "dishwasher").start_slot == 2  # the earliest after the limit
    (wish,) = r.unmet
    assert wish.shortfall == 60.0
    assert "grid limit" in wish.reason


def test_a_run_late_for_a_higher_wish_says_so() -> None:
    # the EV needs the whole 3 kW fuse in slots 0-1 (a wish like the run's, but it weighs more
    # in kWh than the run's hour late): the run waits
    load = ShiftableLoad.constant("dishwasher", 2000.0, 1, latest_end_slot=2)
    ev = EVCharger("ev", max_w=3000.0, energy_wh=6000.0, available_from_slot=0, deadline_slot=2)
    p = _problem(load, prices=[0.1, 0.1, 0.3, 0.2], grid=GridConnection(3000.0, 3000.0), evs=(ev,))
    r = plan(p)
    check_hard_constraints(p, r)
    check_shiftable(p, r)
    (wish,) = r.unmet
    assert wish.kind == "shiftable_end"
    assert "fuse" in wish.reason


def test_a_run_shares_the_balance_with_a_battery() -> None:
    # the battery covers the dear slot: the run costs what its energy costs at 0.1
    load = ShiftableLoad.constant("dishwasher", 2000.0, 1, earliest_start_slot=1)
    bat = Battery("bat", 4000.0, 2000.0, 2000.0, 1.0, 1.0, soc_min=0.0, soc_initial=0.0)
    p = _problem(load, bat, prices=[0.1, 0.5], batteries=())
    r = plan(p)
    check_hard_constraints(p, r)
    assert [d.name for d in r.devices] == ["bat", "pv", "dishwasher"]
    assert r.cost.energy_eur == pytest.approx(0.2, abs=1e-6)


def test_the_baseline_takes_the_shortest_alternatives_where_the_first_overrun() -> None:
    part = ProfilePart(((1000.0,) * 4, (3000.0,)))
    load = ShiftableLoad("dryer", (part,), earliest_start_slot=1)
    p = _problem(load, prices=[0.1, 0.2, 0.3])
    r = plan(p)
    (base,) = [b for b in r.baseline.devices if b.name == "dryer"]
    np.testing.assert_allclose(base.power_w, [0, 3000, 0])
    assert isinstance(base, ShiftableLoadPlan)
    assert base.choices == {0: (1, 1)}


# -- input ----------------------------------------------------------------------------------


def test_profile_from_minutes_keeps_the_energy() -> None:
    assert profile_from_minutes([2000.0] * 10, 15) == pytest.approx((2000.0 * 10 / 15,))
    assert profile_from_minutes([1000] * 30 + [2000] * 15, 15) == (1000.0, 1000.0, 2000.0)
    with pytest.raises(InvalidProblemError, match="slot_minutes"):
        profile_from_minutes([1000.0], 0)
    with pytest.raises(InvalidProblemError, match="at least one slot"):
        profile_from_minutes([], 15)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: ProfilePart(()), "at least one alternative"),
        (lambda: ProfilePart(((),)), "at least one slot"),
        (lambda: ProfilePart(((-1.0,),)), "finite and >= 0"),
        (lambda: ProfilePart((("x",),)), "ProfilePart"),  # type: ignore[arg-type]
        (lambda: ProfilePart(((1.0,),), max_pause_before_slots=-1), "max_pause"),
        (lambda: ShiftableLoad("w", ()), "one or more ProfileParts"),
        (lambda: ShiftableLoad.constant("w", 1000.0, 1, earliest_start_slot=-1), "earliest"),
        (lambda: ShiftableLoad.constant("w", 1000.0, 1, latest_end_slot=1.5), "latest"),  # type: ignore[arg-type]
        (lambda: ShiftableLoad.constant("w", 1000.0, 0), "duration_slots must be >= 1"),
        (lambda: ShiftableLoad.constant("w", 1000.0, 1.0), "must be an int"),  # type: ignore[arg-type]
        (lambda: _problem(ShiftableLoad.constant("w", 1.0, 3, 2), prices=[0.1] * 4), "not fit"),
    ],
)
def test_invalid_shiftable_loads_are_rejected(factory: object, message: str) -> None:
    with pytest.raises(InvalidProblemError, match=message):
        factory()  # type: ignore[operator]


# -- the scenario key ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["lp", "milp"])
def test_shiftable_scenario_cost_equals_reference_optimum(variant: str) -> None:
    path = FIXTURES / "scenario_48h_15min_shiftable.json"
    sc = json.loads(path.read_text())
    problem = load_scenario(path, variant)  # type: ignore[arg-type]
    r = plan(problem)
    assert r.status == "optimal"
    assert r.cost.energy_eur == pytest.approx(sc["reference_optimum_eur"][variant], rel=1e-6)
    assert r.unmet == ()
    check_hard_constraints(problem, r)
    for entry in sc["shiftable_loads"]:
        power = r.device(entry["name"]).power_w
        on = np.flatnonzero(power > TOL)
        assert len(on) == entry["duration_slots"]
        assert on[-1] - on[0] + 1 == entry["duration_slots"]
        assert entry["earliest_start_slot"] <= on[0]
        assert on[-1] < entry["latest_end_slot_exclusive"]
        np.testing.assert_allclose(power[on], entry["power_w"])


def test_scenario_loads_get_unique_names_and_are_validated() -> None:
    sc = json.loads((FIXTURES / "scenario_48h_15min_shiftable.json").read_text())
    entry = {"power_w": 1000, "duration_slots": 4, "earliest_start_slot": 0,
             "latest_end_slot_exclusive": 8}  # fmt: skip
    sc["shiftable_loads"] = [{**entry, "name": "ev"}, {**entry, "name": "ev"}, entry]
    names = [d.name for d in scenario_from_dict(sc).devices]
    assert names == ["ev#2", "ev#3", "shiftable2"]
    sc["shiftable_loads"] = [{**entry, "latest_end_slot_exclusive": 3}]
    with pytest.raises(InvalidProblemError, match=r"shiftable_loads\[0\]"):
        scenario_from_dict(sc)


# -- property test against brute force -------------------------------------------------------


@st.composite
def shiftable_problems(draw: st.DrawFn) -> Problem:
    n = draw(st.integers(4, 7))  # a run needs up to 4 slots (2 parts of 2)
    step = draw(st.sampled_from([15, 60]))
    prices = st.lists(st.sampled_from([-0.05, 0.0, 0.05, 0.1, 0.2, 0.3, 0.45]), min_size=n,
                      max_size=n)  # fmt: skip
    imp = np.array(draw(prices))
    exp = imp - np.array(draw(st.lists(st.sampled_from([0.0, 0.02, 0.1]), min_size=n,
                                       max_size=n)))  # fmt: skip
    base = np.array(draw(st.lists(st.integers(0, 2000), min_size=n, max_size=n)), float)
    pv = np.array(draw(st.lists(st.sampled_from([0, 1500, 4000]), min_size=n, max_size=n)), float)
    powers = st.sampled_from([500.0, 1200.0, 2000.0])
    loads = []
    for j in range(draw(st.integers(1, 2))):
        parts = []
        for k in range(draw(st.integers(1, 2))):
            alts = tuple(
                tuple(draw(st.lists(powers, min_size=1, max_size=2)))
                for _ in range(draw(st.integers(1, 2)))
            )
            pause = draw(st.integers(0, 2)) if k else 0
            parts.append(ProfilePart(alts, max_pause_before_slots=pause))
        need = sum(min(len(a) for a in part.alternatives) for part in parts)
        earliest = draw(st.integers(0, n - need))
        latest = draw(st.one_of(st.none(), st.integers(earliest, n)))
        loads.append(ShiftableLoad(f"load{j}", tuple(parts), earliest, latest))
    batteries: tuple[Battery, ...] = ()
    if draw(st.booleans()):
        end_soc = draw(st.sampled_from([None, 0.5]))
        batteries = (Battery("bat", 4000.0, 2000.0, 2000.0, 0.95, 0.95, soc_min=0.1,
                             soc_initial=0.5, soc_final=end_soc),)  # fmt: skip
    evs: tuple[EVCharger, ...] = ()
    if draw(st.booleans()):
        a = draw(st.integers(0, n - 1))
        evs = (EVCharger("ev", max_w=7000.0, min_w=draw(st.sampled_from([0.0, 4140.0])),
                         energy_wh=float(draw(st.integers(0, 8000))), available_from_slot=a,
                         deadline_slot=draw(st.integers(a, n))),)  # fmt: skip
    soft = draw(st.sampled_from([None, 4000.0]))
    return Problem(
        Horizon(hourly(1).horizon.start, n, step, "UTC"),
        imp,
        exp,
        base,
        grid=GridConnection(17250.0, 17250.0, import_limit_w=soft),
        batteries=batteries,
        evs=evs,
        pv=(PVInverter("pv", pv),),
        devices=tuple(loads),
    )


def _runs(load: ShiftableLoad, n: int) -> list[tuple[FloatArrayLike, int]]:
    """Every whole run of ``load`` inside the horizon: (power per slot, end slot)."""
    out: list[tuple[FloatArrayLike, int]] = []

    def extend(k: int, t_min: int, t_max: int, power: np.ndarray) -> None:
        if k == len(load.parts):
            out.append((power, t_min))
            return
        part = load.parts[k]
        for alt in part.alternatives:
            for s in range(t_min, t_max + 1):
                if s + len(alt) > n:
                    break
                p = power.copy()
                p[s : s + len(alt)] += alt
                nxt = load.parts[k + 1].max_pause_before_slots if k + 1 < len(load.parts) else 0
                extend(k + 1, s + len(alt), s + len(alt) + nxt, p)

    extend(0, load.earliest_start_slot, n, np.zeros(n))
    return out


type FloatArrayLike = np.ndarray


def brute_force(p: Problem) -> tuple[float, float, float]:
    """(grid, wishes, cost) rung values of the best placement, every combination of runs
    tried as fixed load (lexicographically, as the ladder)."""
    dt = p.horizon.dt_h
    options = [_runs(load, p.n) for load in p.devices if isinstance(load, ShiftableLoad)]
    best: tuple[float, float, float] | None = None
    for combo in itertools.product(*options):
        base = np.asarray(p.base_load_w) + sum(power for power, _ in combo)
        late = sum(
            max(0, end - load.deadline(p.n)) * dt
            for (_, end), load in zip(combo, p.devices, strict=True)
            if isinstance(load, ShiftableLoad)
        )
        r = plan(replace(p, base_load_w=base, devices=()))
        v = r.figures.rung_values
        key = (v["grid"], v["wishes"] + late, v["cost"])
        if best is None or _better(key, best):
            best = key
    assert best is not None
    return best


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 2e-4 * max(1.0, abs(b))


def _better(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    for x, y in zip(a, b, strict=True):
        if not _close(x, y):
            return x < y
    return False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shiftable_problems())
def test_shiftable_plans_equal_brute_force_over_every_start(p: Problem) -> None:
    r = plan(p)
    check_hard_constraints(p, r)
    check_shiftable(p, r)
    grid, wishes, cost = brute_force(p)
    v = r.figures.rung_values
    assert _close(v["grid"], grid)
    assert _close(v["wishes"], wishes)
    assert _close(v["cost"], cost)
    full = plan(p, full_binaries=True)
    assert _close(full.figures.rung_values["cost"], cost)


def test_the_relaxation_keeps_parts_in_order_too() -> None:
    """Two 1 kW, 1 h parts back to back; cheap slots 0, 2 and 4. A single row "start - end in
    [0, pause]" lets the relaxation run half of each part at 0 and 2 (and 0 and 4), for 0.2
    EUR; every whole run costs 1.0 EUR. The time-indexed rows hold the relaxation to that."""
    parts = (ProfilePart(((1000.0,),)), ProfilePart(((1000.0,),)))
    p = _problem(ShiftableLoad("washer", parts), prices=[0.1, 0.9, 0.1, 0.9, 0.1])
    base, index = build(p)
    deadline = time.perf_counter() + 10
    cost = base.objective("cost")
    lp = RelaxedLp(base, index, cost, fixed_rows=[], deadline=deadline, stats=RunStats())
    relaxed = lp.solve()
    assert relaxed.x is not None
    assert float(base.objective("cost") @ relaxed.x) == pytest.approx(1.0, abs=1e-6)
    r = plan(p)
    check_shiftable(p, r)
    assert r.cost.energy_eur == pytest.approx(1.0, abs=1e-9)


def test_a_run_spread_by_the_relaxation_is_placed_whole_without_a_mixed_integer_solve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Equal prices in slots 1 and 3 tie two placements: the relaxation may take half of each;
    one of the runs the solver tries from it (``candidate_patterns``) costs the same, so the
    plan is proven optimal without binaries."""
    load = ShiftableLoad.constant("dishwasher", 2000.0, 2)
    p = _problem(load, prices=[0.5, 0.1, 0.1, 0.1, 0.1, 0.5])
    mips: list[bool] = []
    run = solve_module._run

    def counting(h: object, is_mip: bool, stats: RunStats) -> object:
        mips.append(is_mip)
        return run(h, is_mip, stats)  # type: ignore[arg-type]

    monkeypatch.setattr(solve_module, "_run", counting)
    r = plan(p)
    check_shiftable(p, r)
    assert r.cost.energy_eur == pytest.approx(0.4, abs=1e-9)
    assert not any(mips)
    assert r.figures.binaries == 0


def test_candidate_runs_follow_the_relaxations_first_part_starts() -> None:
    parts = (
        ProfilePart(((1000.0,), (500.0, 500.0))),
        ProfilePart(((800.0,),), max_pause_before_slots=1),
    )
    p = _problem(ShiftableLoad("washer", parts), prices=[0.2] * 8)
    _, index = build(p)
    (model,) = [m for m in index.built if m.name == "washer"]
    assert isinstance(model, ShiftableLoadModel)
    x = np.zeros(max(int(blk.cols.max()) for blk in model.blocks) + 1)
    first = {
        (blk.alternative, int(s)): int(c)
        for blk in model.blocks
        if blk.part == 0
        for c, s in zip(blk.cols, blk.starts, strict=True)
    }
    second = {
        int(s): int(c)
        for blk in model.blocks
        if blk.part == 1
        for c, s in zip(blk.cols, blk.starts, strict=True)
    }
    x[first[(0, 2)]] = 600.0  # alternative 0 at slot 2 (ends at 3), the larger share
    x[first[(1, 4)]] = 400.0  # alternative 1 at slot 4 (ends at 6)
    x[second[3]] = 300.0
    x[second[4]] = 700.0  # too late after slot 3 plus a pause of 1? no: 4 <= 3 + 1
    x[second[6]] = 400.0
    runs = model.candidate_patterns(x)
    chosen = [set(np.flatnonzero(values).tolist()) for _, values in runs]
    cols = runs[0][0]
    picked = [{int(cols[i]) for i in c} for c in chosen]
    assert picked[0] == {first[(0, 2)], second[4]}  # the largest share that follows slot 3
    assert picked[1] == {first[(1, 4)], second[6]}  # only slot 6 follows the end at 6
    # then the starts beside the used ones, nearest to the larger share first
    assert picked[2] == {first[(0, 3)], second[4]}
    assert {first[(0, 1)], second[3]} in picked
    assert len(runs) == len({frozenset(c) for c in picked}) <= 12
    assert model.start_pattern(x) is not None
