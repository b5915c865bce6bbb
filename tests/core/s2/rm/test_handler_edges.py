"""The CEM's control handlers on odd messages built from what the in-process RMs describe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from s2python.generated import gen_s2

from open_hem_core.planner import HotWaterBuffer
from open_hem_core.s2.control.frbc import FRBCHandler
from open_hem_core.s2.control.ombc import OMBCHandler
from open_hem_core.s2.control.pebc import PEBCHandler
from open_hem_core.s2.messages import Status
from open_hem_core.s2.rm import (
    BatteryParams,
    BatteryRM,
    BatteryState,
    EVChargerRM,
    EVParams,
    EVState,
    HeatPumpParams,
    HeatPumpRM,
    HeatPumpState,
)

from .harness import T0, Rig

SLOT = timedelta(minutes=15)
STARTS = tuple(T0 + i * SLOT for i in range(4))


def _model(message: dict[str, Any]) -> Any:
    message = {"message_id": "m-1", **message}
    if message.get("valid_from") == "now":
        message["valid_from"] = T0.isoformat()
    return getattr(gen_s2, message["message_type"].replace(".", "")).model_validate(message)


def _messages(rm: Any, control_type: str) -> dict[str, Any]:
    return {m["message_type"]: _model(m) for m in rm.messages(control_type)}


def test_pebc_edges() -> None:
    rig = Rig()
    rm = EVChargerRM("Car", EVParams(), **rig.kwargs())
    rm.state = EVState(plugged_in=True, departure=T0 + timedelta(hours=2))
    messages = _messages(rm, "POWER_ENVELOPE_BASED_CONTROL")
    handler = PEBCHandler()
    with pytest.raises(ValueError, match="no power constraints"):
        handler.pv_inverter("x", [0.0])
    with pytest.raises(ValueError, match="no power constraints"):
        handler.ev_charger("x", STARTS, SLOT)
    assert handler.snapshot() == {"consequence_type": None, "limits": {}}
    constraints = messages["PEBC.PowerConstraints"]
    one_sided = constraints.model_copy(
        update={"allowed_limit_ranges": constraints.allowed_limit_ranges[:1]}
    )
    assert handler.handle("PEBC.PowerConstraints", one_sided).status is Status.INVALID_CONTENT
    assert handler.handle("PEBC.Nothing", constraints).status is Status.INVALID_CONTENT
    assert handler.handle("PEBC.PowerConstraints", constraints).ok
    assert handler.handle("PEBC.EnergyConstraint", messages["PEBC.EnergyConstraint"]).ok
    assert handler.snapshot()["consequence_type"] == "DEFER"
    ev = handler.ev_charger("x", STARTS, SLOT)
    assert ev.energy_wh == pytest.approx(10_000.0)
    assert handler.revoke("PEBC.EnergyConstraint", rm.object_id("energy")).ok
    assert handler.ev_charger("x", STARTS, SLOT).energy_wh == 0.0
    assert handler.revoke("PEBC.PowerConstraints", rm.object_id("constraints")).ok
    assert not handler.ready
    assert not handler.revoke("PEBC.PowerConstraints", "nope").ok


def test_ombc_edges() -> None:
    rig = Rig()
    rm = HeatPumpRM("HP", HeatPumpParams(), **rig.kwargs())
    rm.state = HeatPumpState(running=False)
    messages = _messages(rm, "OPERATION_MODE_BASED_CONTROL")
    handler = OMBCHandler()
    buffer = HotWaterBuffer(volume_l=200, t_initial_c=50, t_min_c=45, t_max_c=55)
    with pytest.raises(ValueError, match="no system description"):
        handler.device_model("x", buffer, SLOT)
    assert handler.snapshot() == {"operation_mode": None}
    assert handler.handle("OMBC.SystemDescription", messages["OMBC.SystemDescription"]).ok
    wrong = messages["OMBC.Status"].model_copy(update={"active_operation_mode_id": "nope"})
    assert not handler.handle("OMBC.Status", wrong).ok
    timer = _model(
        {
            "message_type": "OMBC.TimerStatus",
            "timer_id": "t-1",
            "finished_at": T0.isoformat(),
        }
    )
    assert handler.handle("OMBC.TimerStatus", timer).ok
    assert not handler.handle("OMBC.Other", timer).ok


def test_frbc_edges() -> None:
    rig = Rig()
    rm = BatteryRM("Battery", BatteryParams(), **rig.kwargs())
    rm.state = BatteryState(soc_pct=50.0)
    messages = _messages(rm, "FILL_RATE_BASED_CONTROL")
    handler = FRBCHandler()
    assert handler.handle("FRBC.SystemDescription", messages["FRBC.SystemDescription"]).ok
    status = messages["FRBC.ActuatorStatus"]
    assert not handler.handle(
        "FRBC.ActuatorStatus", status.model_copy(update={"actuator_id": "nope"})
    ).ok
    assert not handler.handle(
        "FRBC.ActuatorStatus", status.model_copy(update={"active_operation_mode_id": "nope"})
    ).ok
    usage = _model(
        {
            "message_type": "FRBC.UsageForecast",
            "start_time": T0.isoformat(),
            "elements": [{"duration": 3_600_000, "usage_rate_expected": 0.001}],
        }
    )
    assert handler.handle("FRBC.UsageForecast", usage).ok
    timer = _model(
        {
            "message_type": "FRBC.TimerStatus",
            "timer_id": "t-1",
            "actuator_id": "a-1",
            "finished_at": T0.isoformat(),
        }
    )
    assert handler.handle("FRBC.TimerStatus", timer).ok
    assert not handler.handle("FRBC.Other", timer).ok
    assert handler.handle("FRBC.StorageStatus", messages["FRBC.StorageStatus"]).ok
    assert handler._usage_rate(T0, T0 + SLOT) == pytest.approx(0.001)
