"""FRBC (fill-rate based control): batteries, EVs with a known SOC, hot-water buffers.

S2 -> planner: the storage's fill level is the state; the operation modes' fill rates per
watt give the storage's size (and, with a charge and a discharge mode, the round-trip
efficiency); the fill-level target profile becomes a soft wish (``soc_final``/EV energy).

- Battery (an actuator with charging and discharging modes): capacity_wh =
  fill span / (fill per Wh of the charge mode) * eta_c, with eta_c = eta_d = sqrt(round trip).
- EV (charging modes only): the energy to the target's lower bound by the target's start.
- Hot-water buffer (``kind="hot_water"``, fill level in °C): a HeatPump whose buffer holds
  cop / (°C per Wh electric) Wh/K.

Planner -> S2: per slot the mode and factor nearest the planned power at the simulated fill
level (leakage and usage forecast included), an instruction only where that changes, never
executing before now + the RM's instruction_processing_delay.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
import math
from typing import Any

from s2python.generated import gen_s2

from ...planner import Battery, EVCharger, HeatPump, HotWaterBuffer
from ..forecast import mean_over
from ..messages import sid
from ..units import duration_ms
from .base import (
    OK,
    Draft,
    ModeHandler,
    ModeMachine,
    ModeOption,
    Outcome,
    PlanContext,
    PowerPlan,
    actuator_plan,
    electric_range,
    instruction_draft,
    invalid,
    mode_status,
    planned_changes,
)


def _usage_rate_expected(element: Any) -> float:
    return float(element.usage_rate_expected)


def _element_at(mode: Any, fill: float) -> Any:
    """The operation-mode element whose fill-level range holds ``fill`` (else the nearest)."""
    best = None
    best_d = math.inf
    for el in mode.elements:
        lo, hi = sorted((el.fill_level_range.start_of_range, el.fill_level_range.end_of_range))
        d = 0.0 if lo <= fill <= hi else min(abs(fill - lo), abs(fill - hi))
        if d < best_d:
            best, best_d = el, d
    return best


class FRBCHandler(ModeHandler):
    """The FRBC state of one RM."""

    control_type = gen_s2.ControlType.FILL_RATE_BASED_CONTROL
    prefix = "FRBC."
    instruction_types = frozenset({"FRBC.Instruction"})

    drift_tolerance = 0.05
    """Fraction of the fill-level span a StorageStatus may differ from the plan's."""

    def __init__(self) -> None:
        super().__init__()
        self.actuator_status: dict[str, Any] = {}
        self.storage_status: Any = None
        self.leakage: Any = None
        self.usage_forecast: Any = None
        self.target_profile: Any = None

    # -- receiving -------------------------------------------------------------------

    @property
    def actuators(self) -> dict[str, Any]:
        sd = self.system_description
        return {} if sd is None else {sid(a.id): a for a in sd.actuators}

    def handle(self, message_type: str, message: Any) -> Outcome:
        match message_type:
            case "FRBC.SystemDescription":
                return self.take_system_description(message)
            case "FRBC.ActuatorStatus":
                actuator_id = sid(message.actuator_id)
                known = self.actuators
                if known:
                    if actuator_id not in known:
                        return invalid(f"unknown actuator {actuator_id}")
                    modes = {sid(m.id) for m in known[actuator_id].operation_modes}
                    if sid(message.active_operation_mode_id) not in modes:
                        return invalid(
                            f"unknown operation mode {sid(message.active_operation_mode_id)}"
                        )
                self.actuator_status[actuator_id] = message
                return OK
            case "FRBC.StorageStatus":
                self.storage_status = message
                return OK
            case "FRBC.LeakageBehaviour":
                self.leakage = message
                return Outcome(model_changed=True)
            case "FRBC.UsageForecast":
                self.usage_forecast = message
                return Outcome(model_changed=True)
            case "FRBC.FillLevelTargetProfile":
                self.target_profile = message
                return Outcome(model_changed=True)
            case "FRBC.TimerStatus":
                return self.take_timer_status(message)
        return invalid(f"{message_type} is not handled by an FRBC CEM")

    @property
    def ready(self) -> bool:
        return self.system_description is not None and self.storage_status is not None

    @property
    def fill_level(self) -> float | None:
        return (
            None if self.storage_status is None else float(self.storage_status.present_fill_level)
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            "fill_level": self.fill_level,
            "actuators": {a: mode_status(s) for a, s in self.actuator_status.items()},
        }

    # -- rates -----------------------------------------------------------------------

    def _leakage_rate(self, fill: float) -> float:
        if self.leakage is None:
            return 0.0
        for el in self.leakage.elements:
            lo, hi = sorted((el.fill_level_range.start_of_range, el.fill_level_range.end_of_range))
            if lo <= fill <= hi:
                return float(el.leakage_rate)
        return 0.0

    def _usage_rate(self, start: datetime, end: datetime) -> float:
        """The mean expected usage rate (per s) over [start, end)."""
        f = self.usage_forecast
        if f is None:
            return 0.0
        return mean_over(f.start_time, f.elements, _usage_rate_expected, start, end)

    def _fill_span(self) -> tuple[float, float]:
        rng = self.system_description.storage.fill_level_range
        return float(rng.start_of_range), float(rng.end_of_range)

    def _fill_per_wh(self) -> tuple[float | None, float | None]:
        """(fill per Wh of charging, fill per Wh of discharging) over all modes and elements."""
        charge: float | None = None
        discharge: float | None = None
        for actuator in self.system_description.actuators:
            for mode in actuator.operation_modes:
                for el in mode.elements:
                    for f_rate, p in (
                        (el.fill_rate.start_of_range, electric_range(el.power_ranges)[0]),
                        (el.fill_rate.end_of_range, electric_range(el.power_ranges)[1]),
                    ):
                        if p > 1e-6 and f_rate > 0:
                            charge = max(charge or 0.0, f_rate * 3600.0 / p)
                        elif p < -1e-6 and f_rate < 0:
                            discharge = max(discharge or 0.0, f_rate * 3600.0 / p)
        return charge, discharge

    def _power_limits(self) -> tuple[float, float]:
        """(most consumed W, most produced W as a positive number)."""
        most, least = 0.0, 0.0
        for actuator in self.system_description.actuators:
            for mode in actuator.operation_modes:
                if mode.abnormal_condition_only:
                    continue
                for el in mode.elements:
                    lo, hi = electric_range(el.power_ranges)
                    most = max(most, lo, hi)
                    least = min(least, lo, hi)
        return most, -least

    # -- S2 -> planner ---------------------------------------------------------------

    def guess_kind(self) -> str:
        """ "battery" (charges and discharges), "hot_water" (°C fill level) or "ev"."""
        if self.system_description is None:
            raise ValueError("FRBC: no system description yet")
        label = (self.system_description.storage.fill_level_label or "").lower()
        if "°c" in label or "temp" in label or label in {"c", "degc", "celsius"}:
            return "hot_water"
        _, produced = self._power_limits()
        return "battery" if produced > 0 else "ev"

    def _target(self, slot_start: Sequence[datetime]) -> tuple[float, int] | None:
        """(lowest fill level wished, the slot by which) from the target profile."""
        tp = self.target_profile
        if tp is None or not slot_start:
            return None
        t = tp.start_time
        found: tuple[float, datetime] | None = None
        for el in tp.elements:
            lo = min(el.fill_level_range.start_of_range, el.fill_level_range.end_of_range)
            if found is None or lo >= found[0]:
                found = (lo, t)
            t += timedelta(milliseconds=duration_ms(el.duration))
        if found is None:
            return None
        slot = sum(1 for s in slot_start if s < found[1])
        return found[0], slot

    def device_model(
        self,
        name: str,
        slot_start: Sequence[datetime],
        *,
        kind: str | None = None,
        cop: float = 3.0,
        ambient_c: float = 18.0,
    ) -> Battery | EVCharger | HeatPump:
        """The planner's device for this RM (``kind`` overrides :meth:`guess_kind`)."""
        if not self.ready:
            raise ValueError("FRBC: no system description and storage status yet")
        kind = kind or self.guess_kind()
        lo, hi = self._fill_span()
        span = hi - lo
        fill = float(self.storage_status.present_fill_level)
        per_wh_c, per_wh_d = self._fill_per_wh()
        consumed, produced = self._power_limits()
        target = self._target(slot_start)
        if kind == "battery":
            if not per_wh_c or span <= 0:
                raise ValueError("FRBC battery: no charging mode with a positive fill rate")
            if per_wh_d:
                round_trip = min(1.0, per_wh_c / per_wh_d)
                eta = math.sqrt(round_trip)
            else:
                eta = 1.0
            return Battery(
                name,
                capacity_wh=span / per_wh_c * eta,
                max_charge_w=consumed,
                max_discharge_w=produced,
                charge_efficiency=eta,
                discharge_efficiency=eta,
                soc_min=0.0,
                soc_max=1.0,
                soc_initial=min(1.0, max(0.0, (fill - lo) / span)),
                soc_final=None if target is None else min(1.0, max(0.0, (target[0] - lo) / span)),
            )
        if kind == "ev":
            if not per_wh_c:
                raise ValueError("FRBC EV: no charging mode with a positive fill rate")
            energy = 0.0 if target is None else max(0.0, (target[0] - fill) / per_wh_c)
            deadline = len(slot_start) if target is None else target[1]
            return EVCharger(
                name,
                max_w=consumed,
                energy_wh=energy,
                available_from_slot=0,
                deadline_slot=deadline,
            )
        if kind == "hot_water":
            if not per_wh_c:
                raise ValueError("FRBC hot water: no heating mode with a positive fill rate")
            capacity_wh_per_k = cop / per_wh_c
            leak = self._leakage_rate(fill)  # K/s
            loss = leak * capacity_wh_per_k * 3600.0 / max(1.0, fill - ambient_c)
            return HeatPump(
                name,
                max_w=consumed,
                thermal=HotWaterBuffer(
                    volume_l=capacity_wh_per_k * 3600.0 / 4186.0,
                    t_initial_c=fill,
                    t_min_c=lo if target is None else target[0],
                    t_max_c=hi,
                    loss_w_per_k=loss,
                    ambient_c=ambient_c,
                ),
                cop_at_7c=cop,
                cop_slope_per_k=0.0,
                cop_max=max(cop, 1.0),
                cutoff_outdoor_c=None,
            )
        raise ValueError(f"FRBC: unknown device kind {kind!r}")

    # -- planner -> S2 ---------------------------------------------------------------

    def instructions(self, plan: PowerPlan, ctx: PlanContext) -> list[Draft]:
        if not self.ready:
            return []
        sd = self.system_description
        lo, hi = self._fill_span()
        fill = [float(self.storage_status.present_fill_level)]
        drafts: list[Draft] = []
        actuators = list(sd.actuators)
        # The first actuator follows the plan; the others hold a mode that uses no power.
        for index, actuator in enumerate(actuators):
            actuator_id = sid(actuator.id)
            modes = {sid(m.id): m for m in actuator.operation_modes}
            machine = ModeMachine.resumed(
                actuator.transitions,
                actuator.timers,
                self.actuator_status.get(actuator_id),
                self.timers,
            )

            def options(_: int, modes: dict[str, Any] = modes) -> list[ModeOption]:
                out = []
                for mode_id, mode in modes.items():
                    el = _element_at(mode, fill[0])
                    a, b = electric_range(el.power_ranges)
                    out.append(ModeOption(mode_id, a, b, bool(mode.abnormal_condition_only)))
                return out

            def advance(i: int, mode_id: str, factor: float, modes: dict[str, Any] = modes) -> None:
                el = _element_at(modes[mode_id], fill[0])
                rate = el.fill_rate.start_of_range + factor * (
                    el.fill_rate.end_of_range - el.fill_rate.start_of_range
                )
                start = max(plan.slot_start[i], ctx.now)
                end = plan.slot_end(i)
                seconds = max(0.0, (end - start).total_seconds())
                net = rate - self._leakage_rate(fill[0]) - self._usage_rate(start, end)
                fill[0] = min(hi, max(lo, fill[0] + net * seconds))

            changes = planned_changes(
                actuator_plan(plan, index), ctx, machine, options, advance if index == 0 else None
            )
            drafts.extend(
                instruction_draft(
                    ctx,
                    gen_s2.FRBCInstruction,
                    "FRBC.Instruction",
                    at,
                    (actuator_id, at, mode_id, factor),
                    actuator_id=actuator_id,
                    operation_mode=mode_id,
                    operation_mode_factor=factor,
                )
                for at, mode_id, factor in changes
            )
        return drafts

    def expected_fill(self, plan: PowerPlan, at: datetime) -> float | None:
        """The fill level the plan's state expects at ``at`` (battery SOC -> fill level)."""
        if plan.state is None or self.system_description is None:
            return None
        lo, hi = self._fill_span()
        for i in range(len(plan.slot_start)):
            if plan.slot_start[i] <= at < plan.slot_end(i):
                # The state at the slot's start (the first slot: at its end, the nearest).
                soc = plan.state[i - 1] if i > 0 else plan.state[0]
                return lo + soc * (hi - lo)
        return None

    def drift(self, plan: Any, now: datetime) -> bool:
        if not isinstance(plan, PowerPlan) or self.fill_level is None:
            return False
        expected = self.expected_fill(plan, now)
        if expected is None:
            return False
        lo, hi = self._fill_span()
        return abs(self.fill_level - expected) > self.drift_tolerance * max(1e-9, hi - lo)
