"""A control handler's frozen copy: what the planner reads off the event loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from open_hem_core.planner import Battery as BatteryModel
from open_hem_core.s2.control import FRBCHandler

from .devices import Battery

STARTS = [datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=15 * i) for i in range(8)]


def _model(handler: FRBCHandler) -> BatteryModel:
    model = handler.device_model("battery", STARTS, kind="battery")
    assert isinstance(model, BatteryModel)
    return model


def test_a_frozen_handler_keeps_its_state_while_messages_arrive() -> None:
    """Statuses taken after the copy change the live handler only, dicts included."""
    battery = Battery(fill=40.0)
    live = FRBCHandler()
    live.handle("FRBC.SystemDescription", battery.system_description())
    live.handle("FRBC.ActuatorStatus", battery.actuator_status(battery.idle))
    live.handle("FRBC.StorageStatus", battery.storage_status())
    frozen = live.frozen()
    assert isinstance(frozen, FRBCHandler)
    assert _model(frozen).soc_initial == _model(live).soc_initial == 0.4

    live.handle("FRBC.StorageStatus", battery.storage_status(fill=90.0))
    live.handle("FRBC.ActuatorStatus", battery.actuator_status(battery.charge))
    assert _model(live).soc_initial == 0.9
    assert _model(frozen).soc_initial == 0.4
    # The actuator's status dict was changed in place on the live handler, not the copy.
    (status,) = frozen.actuator_status.values()
    assert str(status.active_operation_mode_id) == battery.idle
    (status,) = live.actuator_status.values()
    assert str(status.active_operation_mode_id) == battery.charge
