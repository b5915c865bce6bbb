"""One planning cycle's work off the event loop: from the inputs the loop took to a plan.

The loop (:mod:`.loop`) takes what a cycle reads of live state on the event loop
(:class:`CycleInputs`: each device's S2 state as a frozen copy, the forecasts, the meter)
and runs :func:`plan_cycle` in the executor: the devices' planner models with their wishes,
the per-slot forecasts, the base load corrected with the meter, the problem, ``plan()``, the
snapshot with its stored form, each device's instruction drafts and the entities' views
(:class:`Made`). Nothing here touches Home Assistant's state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
import math
from typing import Any

from homeassistant.util import dt as dt_util
import numpy as np

from ..const import LOGGER
from ..core.planner import (
    Battery,
    DevicePlan,
    EVCharger,
    GridConnection,
    HeatPump,
    Horizon,
    Ladder,
    Plan,
    Problem,
    PVInverter,
    ShiftableLoad,
    ThermalHouse,
    plan,
)
from ..core.s2 import CemSession, PowerPlan
from ..core.s2.control import FRBCHandler
from ..core.s2.session import PreparedPlan
from ..devices.hub import ControlledDevice, PlannerModel
from .const import MANUAL_PERSIST_SLOTS, PLAN_TIME_LIMIT_S, SLOT, PlanStatus
from .forecasts import ForecastInputs, pv_models
from .inputs import GridLimit, limit_arrays
from .snapshot import DeviceSeries, PlanSnapshot
from .wishes import Wish, apply_wish, ev_battery, soc_series

SOLAR = "__solar__"
"""The planner's name for PV that no device controls (the forecast, not curtailable)."""
HELD = "__held__"
"""The planner's name for power fed in by devices held at a power (an override discharging)."""
CORRECTION_SLOTS = 8
"""How far (slots) the live base-load correction reaches, fading out."""


@dataclass
class Member:
    """A device as one cycle plans it."""

    device: ControlledDevice
    model: Any
    battery: tuple[float, float] | None = None


@dataclass(frozen=True)
class DeviceCapture:
    """A device as a cycle found it on the event loop: the executor job makes its model
    (or its series when planned around) from this alone."""

    device: ControlledDevice
    build: PlannerModel | None = None
    """Its planner model over its S2 state when captured; None: planned around."""
    frbc: FRBCHandler | None = None
    measured_w: float = 0.0
    wish: Wish | None = None
    held_w: float | None = None
    """An override's power, held until ``held_until``."""
    held_until: datetime | None = None


@dataclass(frozen=True)
class Made:
    """What a cycle's executor job makes."""

    result: Plan | None
    snapshot: PlanSnapshot
    prepared: dict[str, tuple[PowerPlan, PreparedPlan | None]]
    """Each instructed device's part with its drafts (``CemSession.prepare_plan``; the
    session makes them again on the loop if they went stale)."""
    views: dict[str, Any]
    """The entities' views of the snapshot (``PlanningLoop.async_add_view``; one that
    fails is made on the loop)."""
    planned_devices: int
    stored: dict[str, Any]
    """The snapshot as the store keeps it."""


@dataclass(frozen=True)
class CycleInputs:
    """All a cycle reads of live state, taken on the event loop."""

    now: datetime
    horizon: Horizon
    starts: list[datetime]
    imp: list[float]
    exp: list[float]
    devices: list[DeviceCapture]
    forecasts: ForecastInputs
    net_w: float | None
    """The P1 meters' live net power (None without a meter)."""
    devices_w: float
    """What the devices draw now by their own measurements."""
    fuse: float
    limits: list[GridLimit]
    ladder: Ladder


def members_of(
    captured: list[DeviceCapture], starts: list[datetime], horizon: Horizon, now: datetime
) -> tuple[list[Member], dict[str, DeviceSeries], list[float]]:
    """The devices to plan, the fixed series (manual, overridden) and their load."""
    n = len(starts)
    members: list[Member] = []
    fixed_series: dict[str, DeviceSeries] = {}
    fixed = [0.0] * n
    for capture in captured:
        device = capture.device
        sid = device.subentry_id
        if capture.held_w is not None and capture.held_until is not None:
            held, until = capture.held_w, capture.held_until
            power = [held if starts[i] < until else 0.0 for i in range(n)]
            fixed_series[sid] = DeviceSeries(sid, device.name, "fixed", power, instructed=True)
            fixed = [a + b for a, b in zip(fixed, power, strict=True)]
            continue
        model = None
        if capture.build is not None:
            try:
                model = capture.build(starts, SLOT)
            except Exception as err:
                LOGGER.debug("No planner model for %s: %s", device.name, err)
        planned = Battery | EVCharger | HeatPump | PVInverter | ShiftableLoad
        if not isinstance(model, planned):
            # Manual, or nothing to plan (an OMBC heat pump): planned around at its
            # measured power, which the base load no longer holds.
            measured = capture.measured_w
            power = [measured if i < MANUAL_PERSIST_SLOTS else 0.0 for i in range(n)]
            fixed_series[sid] = DeviceSeries(sid, device.name, "fixed", power, instructed=False)
            fixed = [a + b for a, b in zip(fixed, power, strict=True)]
            continue
        battery = (
            ev_battery(capture.frbc, device.name, starts) if isinstance(model, EVCharger) else None
        )
        model = apply_wish(device.kind, model, capture.wish, horizon, now, battery=battery)
        members.append(Member(device, replace(model, name=sid), battery))
    return members, fixed_series, fixed


def corrected_base(
    base: list[float], pv: list[float], members: list[Member], cycle: CycleInputs
) -> list[float]:
    """The forecast base load, its first slots pulled toward the measured one."""
    if cycle.net_w is None:
        return base
    has_pv_device = any(isinstance(m.model, PVInverter) for m in members)
    measured = max(0.0, cycle.net_w - cycle.devices_w + (0.0 if has_pv_device else pv[0]))
    delta = measured - base[0]
    return [
        max(0.0, b + delta * math.exp(-i / 4.0)) if i < CORRECTION_SLOTS else b
        for i, b in enumerate(base)
    ]


def plan_cycle(
    cycle: CycleInputs,
    *,
    sessions: dict[str, tuple[CemSession, bool]],
    makers: dict[str, Callable[[PlanSnapshot], Any]],
    baseline: bool,
) -> Made:
    """In the executor (touches no Home Assistant state): the plan and all that is
    made from it (:class:`Made`); ``sessions`` are the ready devices' sessions (and whether
    each is in auto mode), ``makers`` the entities' view makers."""
    members, fixed_series, fixed = members_of(cycle.devices, cycle.starts, cycle.horizon, cycle.now)
    pv = cycle.forecasts.pv(cycle.starts)
    base = corrected_base(cycle.forecasts.base_load(cycle.starts), pv, members, cycle)
    problem = build_problem(
        cycle.horizon,
        imp=cycle.imp,
        exp=cycle.exp,
        base=base,
        fixed=fixed,
        outdoor=cycle.forecasts.outdoor(cycle.starts),
        pv=pv,
        models=[m.model for m in members],
        fuse=cycle.fuse,
        limits=cycle.limits,
        ladder=cycle.ladder,
    )
    # Nothing to control: the plan is the forecast itself (no solver needed).
    solve = bool(members or fixed_series)
    result = plan(problem, time_limit_s=PLAN_TIME_LIMIT_S) if solve else None
    snap = snapshot_of(
        result,
        problem,
        base=base,
        pv_forecast=pv,
        members=members,
        fixed_series=fixed_series,
        baseline=baseline,
    )
    starts = tuple(snap.slot_starts())
    prepared: dict[str, tuple[PowerPlan, PreparedPlan | None]] = {}
    for series in snap.devices.values():
        session, auto = sessions.get(series.subentry_id, (None, False))
        if session is None or not series.instructed or not (auto or series.kind == "fixed"):
            continue
        power_plan = PowerPlan.from_device_plan(series, starts, SLOT)
        prepared[series.subentry_id] = (power_plan, session.prepare_plan(power_plan))
    views: dict[str, Any] = {}
    for key, make in makers.items():
        try:
            views[key] = make(snap)
        except Exception as err:  # the entity makes it on the loop (and fails there)
            LOGGER.debug("Open HEM could not make the %s view off the loop: %s", key, err)
    return Made(result, snap, prepared, views, len(members), snap.to_store())


def snapshot_of(
    result: Plan | None,
    problem: Problem,
    *,
    base: list[float],
    pv_forecast: list[float],
    members: list[Member],
    fixed_series: dict[str, DeviceSeries],
    baseline: bool,
) -> PlanSnapshot:
    by_name = {m.model.name: m for m in members}
    plans: tuple[DevicePlan, ...]
    if result is None:
        net = [
            float(b) - sum(float(pv.forecast_w[i]) for pv in problem.pv)
            for i, b in enumerate(np.asarray(problem.base_load_w))
        ]
        plans = tuple(
            DevicePlan(pv.name, "pv", -pv.forecast_w, None, None, 0.0 * pv.forecast_w)
            for pv in problem.pv
        )
        imp_w = np.clip(np.asarray(net), 0.0, None)
        exp_w = np.clip(-np.asarray(net), 0.0, None)
        k = problem.horizon.dt_h / 1000.0
        cost = base_cost = float(
            np.dot(imp_w, np.asarray(problem.import_price)) * k
            - np.dot(exp_w, np.asarray(problem.export_price)) * k
        )
    elif baseline:
        plans = result.baseline.devices
        imp_w, exp_w = result.baseline.import_w, result.baseline.export_w
        cost = base_cost = result.baseline.cost.total_eur
    else:
        plans = result.devices
        imp_w, exp_w = result.import_w, result.export_w
        cost, base_cost = result.cost.total_eur, result.baseline.cost.total_eur
    pv_w = [0.0] * problem.n
    devices: dict[str, DeviceSeries] = {}
    for dp in plans:
        if dp.kind == "pv" and dp.name != HELD:
            pv_w = [a + float(b) for a, b in zip(pv_w, dp.power_w, strict=True)]
        member = by_name.get(dp.name)
        if member is None:
            continue
        devices[dp.name] = _series(member, dp)
    devices.update(fixed_series)
    dt_h = problem.horizon.dt_h
    prices_in = np.asarray(problem.import_price, dtype=np.float64)
    prices_out = np.asarray(problem.export_price, dtype=np.float64)
    slot_cost = [
        (float(i) * pi - float(e) * pe) * dt_h / 1000.0
        for i, e, pi, pe in zip(imp_w, exp_w, prices_in, prices_out, strict=True)
    ]
    names = {m.model.name: m.device.name for m in members}
    unmet = [
        {
            "subentry_id": u.device if u.device in names else None,
            "device": names.get(u.device, u.device),
            "wish": u.kind,
            "shortfall": round(u.shortfall, 3),
            "unit": u.unit,
            "reason": u.reason,
        }
        for u in ([] if baseline or result is None else result.unmet)
    ]
    reason: str | None
    if result is None:
        status, reason = (
            (PlanStatus.BASELINE, "no prices") if baseline else (PlanStatus.OPTIMAL, None)
        )
    elif baseline:
        status, reason = PlanStatus.BASELINE, "no prices"
    elif result.status == "baseline":
        status, reason = PlanStatus.BASELINE, "no plan in time"
    elif unmet or result.status != "optimal":
        status = PlanStatus.RELAXED
        reason = str(unmet[0]["reason"]) if unmet else "solver time limit"
    else:
        status, reason = PlanStatus.OPTIMAL, None
    return PlanSnapshot(
        status=status,
        created=dt_util.utcnow(),
        start=problem.horizon.start,
        import_price=[float(v) for v in prices_in],
        export_price=[float(v) for v in prices_out],
        grid_w=[float(i) - float(e) for i, e in zip(imp_w, exp_w, strict=True)],
        base_load_w=[float(v) for v in base],
        pv_w=pv_w,
        slot_cost_eur=slot_cost,
        devices=devices,
        cost_eur=cost,
        baseline_cost_eur=base_cost,
        unmet=unmet,
        reason=reason,
        solver={}
        if result is None
        else {
            "status": result.status,
            "solve_s": round(result.figures.solve_s, 4),
            "solves": result.figures.solves,
            "binaries": result.figures.binaries,
        },
    )


def _series(member: Member, dp: DevicePlan) -> DeviceSeries:
    device, model = member.device, member.model
    power = [float(v) for v in dp.power_w]
    state = None if dp.state is None else [float(v) for v in dp.state]
    key: str | None = None
    display: list[float] | None = None
    if isinstance(model, Battery) and state is not None:
        key, display = "soc_pct", [v * 100.0 for v in state]
    elif isinstance(model, EVCharger) and state is not None:
        display = soc_series(member.battery, state)
        key = None if display is None else "soc_pct"
    elif isinstance(model, HeatPump) and state is not None:
        key = "indoor_c" if isinstance(model.thermal, ThermalHouse) else "tank_c"
        display = state
    return DeviceSeries(
        subentry_id=device.subentry_id,
        name=device.name,
        kind=dp.kind,
        power_w=power,
        state=state,
        state_key=key,
        display=display,
        curtailed_w=None if dp.curtailed_w is None else [float(v) for v in dp.curtailed_w],
        instructed=True,
    )


def build_problem(
    horizon: Horizon,
    *,
    imp: list[float],
    exp: list[float],
    base: list[float],
    fixed: list[float],
    outdoor: list[float],
    pv: list[float],
    models: list[Battery | EVCharger | HeatPump | PVInverter | ShiftableLoad],
    fuse: float,
    limits: list[GridLimit],
    ladder: Ladder,
) -> Problem:
    """The planner's problem from the cycle's inputs (pure: runs in the executor)."""
    imp_lim, exp_lim = limit_arrays(limits, horizon.times_utc(), fuse)
    pvs = pv_models(models, pv, SOLAR)
    load = [b + f for b, f in zip(base, fixed, strict=True)]
    # A device held at a negative power (a battery told to discharge) feeds in: the
    # planner takes only loads >= 0, so what exceeds the load is fixed generation.
    if any(v < 0 for v in load):
        held = [max(0.0, -v) for v in load]
        load = [max(0.0, v) for v in load]
        pvs.append(PVInverter(HELD, forecast_w=held, curtailable=False))  # type: ignore[arg-type]
    return Problem(
        horizon=horizon,
        import_price=imp,
        export_price=exp,
        base_load_w=load,
        outdoor_temp_c=outdoor,
        grid=GridConnection(
            fuse_import_w=fuse,
            fuse_export_w=fuse,
            import_limit_w=imp_lim,
            export_limit_w=exp_lim,
        ),
        batteries=tuple(m for m in models if isinstance(m, Battery)),
        evs=tuple(m for m in models if isinstance(m, EVCharger)),
        heat_pumps=tuple(m for m in models if isinstance(m, HeatPump)),
        pv=tuple(pvs),
        devices=tuple(m for m in models if isinstance(m, ShiftableLoad)),
        ladder=ladder,
    )
