"""Property-based tests on random small problems."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np

from open_hem_core.planner import (
    Battery,
    EVCharger,
    GridConnection,
    HeatPump,
    Horizon,
    Plan,
    Problem,
    PVInverter,
    ThermalHouse,
    plan,
)

TOL = 1e-3  # W


@st.composite
def problems(draw: st.DrawFn, *, heat_pump: bool = True) -> Problem:
    n = draw(st.integers(3, 8))
    step = draw(st.sampled_from([15, 60]))
    dt = step / 60
    floats = st.floats(allow_nan=False, allow_infinity=False)
    imp = np.array(
        draw(st.lists(floats.filter(lambda v: -0.1 <= v <= 0.5), min_size=n, max_size=n))
    )
    spread = np.array(
        draw(st.lists(st.sampled_from([0.0, 0.02, 0.1, -0.05]), min_size=n, max_size=n))
    )
    exp = imp - spread
    base = np.array(draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n)), dtype=float)
    pv = np.array(draw(st.lists(st.integers(0, 6000), min_size=n, max_size=n)), dtype=float)
    fuse = float(draw(st.sampled_from([17250, 9000])))
    soft = draw(st.sampled_from([None, 6000.0]))
    batteries: tuple[Battery, ...] = ()
    if draw(st.booleans()):
        batteries = (
            Battery(
                "bat",
                capacity_wh=float(draw(st.integers(2000, 12000))),
                max_charge_w=float(draw(st.integers(1000, 5000))),
                max_discharge_w=float(draw(st.integers(1000, 5000))),
                charge_efficiency=draw(st.sampled_from([0.9, 0.95, 1.0])),
                discharge_efficiency=draw(st.sampled_from([0.9, 0.95])),
                soc_min=0.1,
                soc_initial=draw(st.sampled_from([0.1, 0.5, 0.9])),
                soc_final=draw(st.sampled_from([None, 0.3, 0.5])),
            ),
        )
    evs: tuple[EVCharger, ...] = ()
    if draw(st.booleans()):
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(a, n))
        evs = (
            EVCharger(
                "ev",
                max_w=11000.0,
                min_w=draw(st.sampled_from([0.0, 1380.0, 4140.0])),
                energy_wh=float(draw(st.integers(0, 30000))),
                available_from_slot=a,
                deadline_slot=b,
            ),
        )
    hps: tuple[HeatPump, ...] = ()
    if heat_pump and draw(st.booleans()):
        house = ThermalHouse(150.0, 8000.0, draw(st.sampled_from([19.0, 20.5])), 20.0, 23.0)
        hps = (
            HeatPump(
                "hp",
                max_w=3000.0,
                min_w=draw(st.sampled_from([0.0, 800.0])),
                thermal=house,
                cutoff_outdoor_c=15.0,
                min_run_slots=draw(st.sampled_from([1, 2])),
                min_pause_slots=draw(st.sampled_from([1, 2])),
            ),
        )
    horizon = Horizon(datetime(2025, 1, 6, tzinfo=UTC), n, step, "UTC")
    assert dt > 0
    return Problem(
        horizon,
        imp,
        exp,
        base,
        outdoor_temp_c=draw(st.sampled_from([0.0, 5.0, 16.0])),
        grid=GridConnection(fuse, fuse, import_limit_w=soft),
        batteries=batteries,
        evs=evs,
        heat_pumps=hps,
        pv=(PVInverter("pv", pv),),
    )


def check_hard_constraints(p: Problem, r: Plan, statuses: tuple[str, ...] = ("optimal",)) -> None:
    n, dt = p.n, p.horizon.dt_h
    assert r.status in statuses
    imp, exp = r.import_w, r.export_w
    assert np.all(imp >= -TOL)
    assert np.all(exp >= -TOL)
    assert np.all(np.minimum(imp, exp) <= TOL), "import and export at once"
    fuse_imp = np.maximum(p.grid.fuse_import_w, np.asarray(p.base_load_w) - p.pv[0].forecast_w)
    assert np.all(imp <= fuse_imp + TOL)
    assert np.all(exp <= p.grid.fuse_export_w + TOL)
    consumption = np.asarray(p.base_load_w).copy()
    for d in r.devices:
        consumption += d.power_w  # PV negative
    np.testing.assert_allclose(imp - exp, consumption, atol=TOL)  # energy balance per slot
    unmet = {(u.device, u.kind) for u in r.unmet}
    pv = r.device("pv")
    assert pv.curtailed_w is not None
    assert np.all(-pv.power_w <= p.pv[0].forecast_w + TOL)
    assert np.all(pv.curtailed_w >= -TOL)
    for bat in p.batteries:
        d = r.device(bat.name)
        assert d.state is not None
        c, dis = np.maximum(d.power_w, 0), np.maximum(-d.power_w, 0)
        assert np.all(c <= bat.max_charge_w + TOL)
        assert np.all(dis <= bat.max_discharge_w + TOL)
        # the SOC recursion from the *net* power only holds if it never charges and
        # discharges in the same slot
        soc = np.r_[bat.soc_initial, d.state]
        step = (bat.charge_efficiency * c - dis / bat.discharge_efficiency) * dt / bat.capacity_wh
        np.testing.assert_allclose(np.diff(soc), step, atol=1e-7)
        assert np.all(d.state >= bat.soc_min - 1e-7)
        assert np.all(d.state <= bat.soc_max + 1e-7)
        if bat.soc_final is not None and (bat.name, "battery_end_soc") not in unmet:
            assert d.state[-1] >= bat.soc_final - 1e-6
    for ev in p.evs:
        power = r.device(ev.name).power_w
        a, b = ev.window(n)
        assert np.all(np.abs(power[:a]) <= TOL)
        assert np.all(np.abs(power[b:]) <= TOL)
        on = power > TOL
        assert np.all(power[on] >= ev.min_w - TOL)
        assert np.all(power <= ev.max_w + TOL)
        if (ev.name, "ev_energy") not in unmet:
            assert abs(power.sum() * dt - ev.energy_wh) <= 0.5
    for hp in p.heat_pumps:
        power = r.device(hp.name).power_w
        on = power > TOL
        assert np.all(power[on] >= hp.min_w - TOL)
        assert np.all(power <= hp.max_w + TOL)
        assert np.all(power[p.outdoor > 15.0] <= TOL)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_plans_hold_every_hard_constraint_and_beat_a_feasible_baseline(p: Problem) -> None:
    r = plan(p)
    check_hard_constraints(p, r)
    if r.baseline.meets_limits and r.baseline.meets_wishes:
        assert r.unmet == ()
        assert r.cost.total_eur <= r.baseline.cost.total_eur + 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_lazy_binaries_match_the_full_binary_model(p: Problem) -> None:
    lazy = plan(p)
    full = plan(p, full_binaries=True)
    for key, value in full.figures.rung_values.items():
        got = lazy.figures.rung_values[key]
        assert abs(got - value) <= 2e-4 * max(1.0, abs(value)), key
