"""S2 <-> planner translations without a session: units, device models, instructions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any
import uuid

import numpy as np
import pytest

from open_hem_core.planner import Battery, DevicePlan, EVCharger, HeatPump, ThermalHouse
from open_hem_core.s2 import PowerPlan, units
from open_hem_core.s2.control import (
    DDBCHandler,
    FRBCHandler,
    OMBCHandler,
    PEBCHandler,
    PPBCHandler,
    ProfileSchedule,
)
from open_hem_core.s2.control.base import PlanContext
from open_hem_core.s2.messages import Parsed, encode, parse, sid

from .devices import (
    Battery as BatteryRm,
    HybridHeatPump,
    OnOffHeatPump,
    dishwasher,
    power,
    pv_constraints,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SLOT = timedelta(minutes=15)
STARTS = tuple(T0 + i * SLOT for i in range(8))


def ctx(now: datetime = T0, delay: timedelta = timedelta(0)) -> PlanContext:
    return PlanContext(now=now, earliest=now + delay, new_id=lambda: str(uuid.uuid4()))


def msg(data: dict[str, Any]) -> Any:
    parsed = parse(json.dumps(data))
    assert isinstance(parsed, Parsed), parsed
    return parsed.message


def test_units_and_signs() -> None:
    assert units.s2_to_ha_battery_power(2000.0) == -2000.0  # S2 charging = HA negative
    assert units.ha_battery_power_to_s2(1500.0) == -1500.0  # HA discharging = S2 producing
    assert units.ms_to_timedelta(90_000) == timedelta(seconds=90)
    assert units.timedelta_to_ms(timedelta(seconds=1.0005)) == 1001
    with pytest.raises(ValueError, match=">= 0"):
        units.timedelta_to_ms(timedelta(seconds=-1))
    assert units.duration_ms(5) == 5
    assert units.per_second_to_per_hour(1 / 3600) == pytest.approx(1.0)
    assert units.per_hour_to_per_second(3600.0) == pytest.approx(1.0)
    assert units.fill_change(0.5, timedelta(minutes=1)) == pytest.approx(30.0)
    assert units.watt_hours(1000.0, timedelta(minutes=30)) == pytest.approx(500.0)


def _frbc(fill: float = 50.0, label: str = "%") -> tuple[FRBCHandler, BatteryRm]:
    b = BatteryRm(fill)
    h = FRBCHandler()
    sd = json.loads(encode(b.system_description()))
    sd["storage"]["fill_level_label"] = label
    assert h.handle("FRBC.SystemDescription", msg(sd)).resend
    assert h.handle("FRBC.StorageStatus", b.storage_status()).ok
    return h, b


def test_frbc_battery_with_target_leakage_and_usage() -> None:
    h, b = _frbc(20.0)
    h.handle(
        "FRBC.FillLevelTargetProfile",
        msg(
            {
                "message_type": "FRBC.FillLevelTargetProfile",
                "message_id": "tp-1",
                "start_time": T0.isoformat(),
                "elements": [
                    {
                        "duration": 3_600_000,
                        "fill_level_range": {"start_of_range": 0, "end_of_range": 100},
                    },
                    {
                        "duration": 3_600_000,
                        "fill_level_range": {"start_of_range": 80, "end_of_range": 100},
                    },
                ],
            }
        ),
    )
    h.handle(
        "FRBC.LeakageBehaviour",
        msg(
            {
                "message_type": "FRBC.LeakageBehaviour",
                "message_id": "lb-1",
                "valid_from": T0.isoformat(),
                "elements": [
                    {
                        "fill_level_range": {"start_of_range": 0, "end_of_range": 100},
                        "leakage_rate": 0.0001,
                    }
                ],
            }
        ),
    )
    h.handle(
        "FRBC.UsageForecast",
        msg(
            {
                "message_type": "FRBC.UsageForecast",
                "message_id": "uf-1",
                "start_time": T0.isoformat(),
                "elements": [{"duration": 7_200_000, "usage_rate_expected": 0.0002}],
            }
        ),
    )
    h.handle(
        "FRBC.TimerStatus",
        msg(
            {
                "message_type": "FRBC.TimerStatus",
                "message_id": "ts-1",
                "timer_id": "t-1",
                "actuator_id": b.actuator,
                "finished_at": T0.isoformat(),
            }
        ),
    )
    model = h.device_model("bat", STARTS)
    assert isinstance(model, Battery)
    assert model.soc_initial == pytest.approx(0.2)
    assert model.soc_final == pytest.approx(0.8)
    assert h.guess_kind() == "battery"
    drafts = h.instructions(PowerPlan(STARTS[:2], SLOT, (5000.0, 0.0)), ctx())
    assert [d.key[2] for d in drafts] == [b.charge, b.idle]
    assert h.snapshot()["fill_level"] == 20.0
    # Unknown actuator / mode and wrong types are INVALID_CONTENT.
    bad = json.loads(encode(b.actuator_status()))
    bad["actuator_id"] = "nope-1"
    assert not h.handle("FRBC.ActuatorStatus", msg(bad)).ok
    bad = json.loads(encode(b.actuator_status()))
    bad["active_operation_mode_id"] = "nope-2"
    assert not h.handle("FRBC.ActuatorStatus", msg(bad)).ok
    assert not h.handle("FRBC.Instruction", None).ok
    assert not h.revoke("FRBC.SystemDescription", "x").ok


def test_frbc_ev_and_hot_water_models() -> None:
    h, _ = _frbc(30.0)
    h.handle(
        "FRBC.FillLevelTargetProfile",
        msg(
            {
                "message_type": "FRBC.FillLevelTargetProfile",
                "message_id": "tp-1",
                "start_time": (T0 + timedelta(hours=1)).isoformat(),
                "elements": [
                    {
                        "duration": 3_600_000,
                        "fill_level_range": {"start_of_range": 80, "end_of_range": 100},
                    }
                ],
            }
        ),
    )
    ev = h.device_model("car", STARTS, kind="ev")
    assert isinstance(ev, EVCharger)
    # 50 % of 10 kWh at 95 % charging efficiency: 5 kWh / 0.95 AC.
    assert ev.energy_wh == pytest.approx(5000 / 0.95, rel=1e-6)
    assert ev.deadline_slot == 4
    hw, _ = _frbc(50.0, label="°C")
    assert hw.guess_kind() == "hot_water"
    hp = hw.device_model("boiler", STARTS, cop=3.0)
    assert isinstance(hp, HeatPump)
    with pytest.raises(ValueError, match="unknown device kind"):
        hw.device_model("x", STARTS, kind="toaster")
    empty = FRBCHandler()
    with pytest.raises(ValueError, match="no system description"):
        empty.device_model("x", STARTS)
    with pytest.raises(ValueError, match="no system description"):
        empty.guess_kind()
    assert empty.instructions(PowerPlan(STARTS[:1], SLOT, (0.0,)), ctx()) == []
    assert not empty.drift(None, T0)


def test_power_plan_from_device_plan_and_validation() -> None:
    dp = DevicePlan(
        "bat",
        "battery",
        np.array([1.0, 2.0]),
        state=np.array([0.5, 0.6]),
        curtailed_w=np.array([0.0, 1.0]),
    )
    plan = PowerPlan.from_device_plan(dp, STARTS[:2], SLOT)
    assert plan.power_w == (1.0, 2.0)
    assert plan.state == (0.5, 0.6)
    with pytest.raises(ValueError, match="one power per slot"):
        PowerPlan(STARTS[:2], SLOT, (1.0,))
    with pytest.raises(ValueError, match="curtailment"):
        PowerPlan(STARTS[:1], SLOT, (1.0,), curtailed_w=(1.0, 2.0))
    with pytest.raises(ValueError, match="slot_duration"):
        PowerPlan(STARTS[:1], timedelta(0), (1.0,))


def test_ombc_model_and_unknown_modes() -> None:
    hp = OnOffHeatPump()
    h = OMBCHandler()
    assert h.snapshot() == {"operation_mode": None}
    assert h.instructions(PowerPlan(STARTS[:1], SLOT, (0.0,)), ctx()) == []
    with pytest.raises(ValueError, match="no system description"):
        h.device_model("hp", ThermalHouse(200, 3000, 20, 19, 22), SLOT)
    h.handle("OMBC.SystemDescription", hp.system_description())
    assert h.handle("OMBC.Status", hp.status(on=True)).ok
    bad = json.loads(encode(hp.status()))
    bad["active_operation_mode_id"] = "nope-1"
    assert not h.handle("OMBC.Status", msg(bad)).ok
    h.handle(
        "OMBC.TimerStatus",
        msg(
            {
                "message_type": "OMBC.TimerStatus",
                "message_id": "t-1",
                "timer_id": hp.run_timer,
                "finished_at": (T0 + SLOT).isoformat(),
            }
        ),
    )
    model = h.device_model("hp", ThermalHouse(200, 3000, 20, 19, 22), SLOT)
    assert (model.min_w, model.max_w) == (0.0, 2000.0)
    assert (model.min_run_slots, model.min_pause_slots) == (2, 1)
    assert model.initially_on
    assert h.snapshot()["operation_mode"] == hp.on
    # The run timer (running until T0 + 15 min) blocks switching off before then.
    drafts = h.instructions(PowerPlan(STARTS[:3], SLOT, (0.0, 0.0, 0.0)), ctx())
    assert [(d.execution_time, d.key[1]) for d in drafts] == [(STARTS[1], hp.off)]
    assert not h.handle("OMBC.Instruction", None).ok


def test_pebc_ev_limits_and_revocation() -> None:
    h = PEBCHandler()
    assert h.instructions(PowerPlan(STARTS[:1], SLOT, (0.0,)), ctx()) == []
    with pytest.raises(ValueError, match="no power constraints"):
        h.pv_inverter("pv", [0.0])
    with pytest.raises(ValueError, match="no power constraints"):
        h.ev_charger("ev", STARTS, SLOT)
    ev = json.loads(encode(pv_constraints(consequence="DEFER")))
    ev["allowed_limit_ranges"] = [
        {
            "commodity_quantity": cq,
            "limit_type": lt,
            "range_boundary": {"start_of_range": lo, "end_of_range": hi},
            "abnormal_condition_only": False,
        }
        for cq in ("ELECTRIC.POWER.L1", "ELECTRIC.POWER.L2")
        for lt, lo, hi in (("UPPER_LIMIT", 0.0, 3680.0), ("LOWER_LIMIT", 0.0, 0.0))
    ]
    constraints = msg(ev)
    assert h.handle("PEBC.PowerConstraints", constraints).ok
    assert h.ev_charger("ev", STARTS, SLOT).energy_wh == 0.0
    h.handle(
        "PEBC.EnergyConstraint",
        msg(
            {
                "message_type": "PEBC.EnergyConstraint",
                "message_id": "ec-1",
                "id": "ec-1",
                "valid_from": T0.isoformat(),
                "valid_until": (T0 + timedelta(hours=2)).isoformat(),
                "upper_average_power": 7360.0,
                "lower_average_power": 3000.0,
                "commodity_quantity": "ELECTRIC.POWER.3_PHASE_SYMMETRIC",
            }
        ),
    )
    car = h.ev_charger("ev", STARTS, SLOT)
    assert (car.max_w, car.energy_wh, car.available_from_slot, car.deadline_slot) == (
        7360.0,
        6000.0,
        0,
        8,
    )
    drafts = h.instructions(PowerPlan(STARTS[:2], SLOT, (4000.0, 0.0)), ctx())
    envelopes = drafts[0].message.power_envelopes
    assert [e.commodity_quantity.value for e in envelopes] == [
        "ELECTRIC.POWER.L1",
        "ELECTRIC.POWER.L2",
    ]
    assert [(el.upper_limit, el.lower_limit) for el in envelopes[0].power_envelope_elements] == [
        (2000.0, 0.0),
        (0.0, 0.0),
    ]
    assert h.snapshot()["consequence_type"] == "DEFER"
    assert not h.pv_inverter("pv", [1.0]).curtailable
    assert h.revoke("PEBC.EnergyConstraint", "ec-1").model_changed
    assert h.revoke("PEBC.PowerConstraints", str(constraints.id)).model_changed
    assert not h.revoke("PEBC.PowerConstraints", "gone").ok
    one_sided = json.loads(encode(pv_constraints()))
    one_sided["allowed_limit_ranges"][1]["limit_type"] = "UPPER_LIMIT"
    assert not h.handle("PEBC.PowerConstraints", msg(one_sided)).ok
    assert not h.handle("PEBC.Instruction", None).ok


def test_ppbc_and_ddbc_edges() -> None:
    p = PPBCHandler()
    with pytest.raises(ValueError, match="no power profile"):
        p.shiftable_load("dw", STARTS, SLOT)
    sched = ProfileSchedule(STARTS, SLOT, {0: (0, 9), 1: (5, 0), 7: (0, 0)})
    assert p.instructions(sched, ctx()) == []
    d = dishwasher(T0)
    p.handle("PPBC.PowerProfileDefinition", d)
    p.handle(
        "PPBC.PowerProfileStatus",
        msg(
            {
                "message_type": "PPBC.PowerProfileStatus",
                "message_id": "ps-1",
                "sequence_container_status": [
                    {
                        "power_profile_id": str(d.id),
                        "sequence_container_id": str(d.power_sequences_containers[0].id),
                        "status": "EXECUTING",
                    }
                ],
            }
        ),
    )
    assert p.snapshot()["containers"]
    assert sched.at(9) == STARTS[7] + 2 * SLOT
    # The executing heat is no part of a plan any more: part 0 is the rinse, and part 1 (no
    # alternative 5) and part 7 do not exist.
    drafts = p.instructions(sched, ctx())
    rinse = d.power_sequences_containers[1]
    assert [(x.execution_time, sid(x.message.sequence_container_id)) for x in drafts] == [
        (sched.at(9), str(rinse.id))
    ]
    assert not p.revoke("PPBC.PowerProfileDefinition", "x").ok
    assert p.revoke("PPBC.PowerProfileDefinition", str(d.id)).model_changed
    assert not p.handle("PPBC.ScheduleInstruction", None).ok

    h = DDBCHandler()
    assert h.instructions(PowerPlan(STARTS[:1], SLOT, (0.0,)), ctx()) == []
    assert h.demand_at(T0, T0 + SLOT) == 0.0
    with pytest.raises(ValueError, match="no system description"):
        h.heat_pump("hp", ThermalHouse(200, 3000, 20, 19, 22))
    # Schema-valid DDBC JSON (``Id``, one supply range) goes through the generated model.
    hy = HybridHeatPump()
    sd = json.loads(encode(hy.system_description()))
    for m in sd["actuators"][0]["operation_modes"]:
        del m["id"]
        m["supply_range"] = m["supply_range"][0]
    parsed = parse(json.dumps(sd))
    assert isinstance(parsed, Parsed)
    assert parsed.lenient
    h.handle("DDBC.SystemDescription", parsed.message)
    h.handle(
        "DDBC.AverageDemandRateForecast",
        msg(
            {
                "message_type": "DDBC.AverageDemandRateForecast",
                "message_id": "df-1",
                "start_time": T0.isoformat(),
                "elements": [{"duration": 1_800_000, "demand_rate_expected": 6000.0}],
            }
        ),
    )
    h.handle(
        "DDBC.ActuatorStatus",
        msg(
            {
                "message_type": "DDBC.ActuatorStatus",
                "message_id": "as-1",
                "actuator_id": hy.actuator,
                "active_operation_mode_id": hy.boiler,
                "operation_mode_factor": 0.5,
            }
        ),
    )
    h.handle(
        "DDBC.TimerStatus",
        msg(
            {
                "message_type": "DDBC.TimerStatus",
                "message_id": "t-1",
                "timer_id": "tt",
                "actuator_id": hy.actuator,
                "finished_at": T0.isoformat(),
            }
        ),
    )
    assert h.demand_per_slot(STARTS[:3], SLOT) == [6000.0, 6000.0, 0.0]
    drafts = h.instructions(PowerPlan(STARTS[:2], SLOT, (2000.0, 0.0)), ctx())
    assert [(d.key[2], d.key[3]) for d in drafts] == [(hy.hp, 1.0), (hy.boiler, 0.6)]
    assert h.snapshot()["actuators"] == {hy.actuator: hy.boiler}
    assert not h.handle("DDBC.Instruction", None).ok
    _ = power
