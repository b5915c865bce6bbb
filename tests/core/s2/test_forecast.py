"""S2 forecasts on a slot grid: per-slot means, and a PowerForecast feeding PEBC's PV model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

import pytest
from s2python.common import PowerForecast

from open_hem_core.s2.control import PEBCHandler
from open_hem_core.s2.forecast import (
    electric_forecast_w,
    mean_over,
    power_forecast_per_slot,
    production_forecast_w,
)

from .devices import pv_constraints
from .test_session_unit import handshake, make

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SLOT = timedelta(minutes=15)


def forecast_json(start: datetime = T0) -> dict[str, Any]:
    """15 min producing 1 kW on L1, then 30 min producing 2 kW on L1 while L2 takes 500 W and
    a boiler burns gas (not electric)."""

    def value(w: float, cq: str) -> dict[str, Any]:
        return {"value_expected": w, "commodity_quantity": cq}

    return {
        "message_type": "PowerForecast",
        "message_id": "9b0e8c1e-5f0a-4d53-9a43-3f4b0c2b1a01",
        "start_time": start.isoformat(),
        "elements": [
            {"duration": 900_000, "power_values": [value(-1000.0, "ELECTRIC.POWER.L1")]},
            {
                "duration": 1_800_000,
                "power_values": [
                    value(-2000.0, "ELECTRIC.POWER.L1"),
                    value(500.0, "ELECTRIC.POWER.L2"),
                    value(3.0, "NATURAL_GAS.FLOW_RATE"),
                ],
            },
        ],
    }


def forecast(start: datetime = T0) -> PowerForecast:
    return PowerForecast.model_validate(forecast_json(start))


def slots(n: int, start: datetime = T0, step: timedelta = SLOT) -> list[datetime]:
    return [start + i * step for i in range(n)]


def test_per_quantity_values_per_slot_in_the_forecasts_order() -> None:
    got = power_forecast_per_slot(forecast(), slots(4), SLOT)
    assert list(got) == ["ELECTRIC.POWER.L1", "ELECTRIC.POWER.L2", "NATURAL_GAS.FLOW_RATE"]
    assert got["ELECTRIC.POWER.L1"] == [-1000.0, -2000.0, -2000.0, 0.0]
    assert got["ELECTRIC.POWER.L2"] == [0.0, 500.0, 500.0, 0.0]
    assert got["NATURAL_GAS.FLOW_RATE"] == [0.0, 3.0, 3.0, 0.0]


def test_electric_power_sums_the_phases_and_production_is_positive() -> None:
    assert electric_forecast_w(forecast(), slots(4), SLOT) == [-1000.0, -1500.0, -1500.0, 0.0]
    assert production_forecast_w(forecast(), slots(4), SLOT) == [1000.0, 1500.0, 1500.0, 0.0]


def test_slots_across_element_boundaries_and_past_the_end_are_time_weighted() -> None:
    # 30-minute slots from 7.5 min before the forecast (net production 1 kW, then 1.5 kW):
    # 7.5 min uncovered + 15 min at 1 kW + 7.5 min at 1.5 kW; 22.5 min at 1.5 kW + 7.5 min
    # past the end; nothing covered.
    half_hour = timedelta(minutes=30)
    got = production_forecast_w(forecast(), slots(3, T0 - SLOT / 2, half_hour), half_hour)
    assert got == pytest.approx([(1000 * 15 + 1500 * 7.5) / 30, 1500 * 22.5 / 30, 0.0])


def test_net_consumption_is_no_production_and_no_forecast_is_an_error() -> None:
    consuming = forecast_json()
    consuming["elements"] = consuming["elements"][1:]
    consuming["elements"][0]["power_values"][0]["value_expected"] = 100.0
    f = PowerForecast.model_validate(consuming)
    assert electric_forecast_w(f, slots(1), SLOT) == [600.0]
    assert production_forecast_w(f, slots(1), SLOT) == [0.0]
    with pytest.raises(ValueError, match="no PowerForecast"):
        production_forecast_w(None, slots(1), SLOT)


def test_mean_over_an_empty_window_is_zero() -> None:
    f = forecast()
    assert mean_over(f.start_time, f.elements, lambda _: 1.0, T0, T0) == 0.0


async def test_a_sessions_power_forecast_becomes_the_pebc_pv_inverters_forecast() -> None:
    session, wire, _ = make()
    await handshake(session, wire, ("POWER_ENVELOPE_BASED_CONTROL",))
    await session.receive(pv_constraints().to_json())
    await session.receive(json.dumps(forecast_json()))
    control = session.control
    assert isinstance(control, PEBCHandler)
    assert control.ready
    starts = slots(4)
    pv = control.pv_inverter("roof", production_forecast_w(session.power_forecast, starts, SLOT))
    assert pv.forecast_w.tolist() == [1000.0, 1500.0, 1500.0, 0.0]
    assert pv.curtailable
