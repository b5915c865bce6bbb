"""Native S2 devices, paired by token over the real WebSocket, in the planning loop.

The same path as entity-backed devices: while connected, the RM's session is in the device hub.
A battery (FRBC) is built from its system description, planned against the day's prices and
sent FRBC instructions that follow the plan; when it disconnects it leaves the hub. A
dishwasher (PPBC) is scheduled: the loop places its power profile and the RM gets
ScheduleInstructions at the planned starts; when the RM moves its start window, the old ones
are revoked and new ones sent for the new plan. OMBC and DDBC devices are planned around at
their measured power, get no instructions, and their *Planning* sensor says why.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from typing import Any
import uuid

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from s2python.common import CommodityQuantity, ControlType, RevokeObject
from s2python.connection.async_.control_type.class_based import DDBCControlType, PPBCControlType
from s2python.ppbc import PPBCPowerProfileDefinition, PPBCPowerProfileStatus

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.core.s2.control import PPBCHandler
from custom_components.open_hem.devices.hub import DeviceKind
from custom_components.open_hem.planner.forecasts import device_power_statistics
from custom_components.open_hem.planner.snapshot import PlanSnapshot

from .core.s2.devices import HybridHeatPump, dishwasher
from .planner_helpers import loop_of
from .s2_helpers import (
    BatteryRm,
    HeatPumpRm,
    Rm,
    _Recording,
    add_s2_device,
    asset,
    connect_ready,
    priced_hub,
    wait_for,
)


@pytest.fixture
async def rms() -> AsyncGenerator[list[Rm]]:
    """RMs started by the test are stopped after it."""
    started: list[Rm] = []
    yield started
    for rm in started:
        await rm.stop()


async def test_a_native_battery_is_planned_and_follows_the_plan(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    hass_client_no_auth: Any,
    rms: list[Rm],
) -> None:
    """Connected: in the hub, planned from its S2 description, instructed; gone: out of the hub."""
    entry = await priced_hub(hass, aioclient_mock)
    added = await add_s2_device(hass, entry)
    subentry_id = added[0]
    assert entry.runtime_data.devices.get(subentry_id) is None  # not connected yet

    battery = BatteryRm()
    rm = Rm([battery], asset())
    rms.append(rm)
    device = await connect_ready(entry, rm, await hass_client_no_auth(), added)
    assert device.kind is DeviceKind.S2
    # Its power sensor (S2 sign) is where the base-load forecast finds what it drew.
    assert device.power_entity is not None
    assert device.power_entity.startswith("sensor.")
    assert device.power_sign == 1.0
    assert hass.states.get(device.power_entity) is not None

    loop = loop_of(entry)
    await loop.async_replan("test")
    snap = loop.snapshot
    assert snap is not None, loop.last_cycle
    series = snap.devices[subentry_id]
    # Prices rise through the day: the battery is planned to move, and it is told to.
    assert max(series.power_w) > 100 or min(series.power_w) < -100
    await wait_for(lambda: battery.instructions)
    for instruction in battery.instructions:
        i = snap.index(instruction.execution_time)
        assert i is not None
        planned = series.power_w[i]
        mode = str(instruction.operation_mode)
        want = (
            battery.battery.charge
            if planned > 50
            else battery.battery.discharge
            if planned < -50
            else None
        )
        if want is not None:
            assert mode == want, (instruction.execution_time, planned, mode)

    await rm.stop()
    await wait_for(lambda: entry.runtime_data.devices.get(subentry_id) is None)


class DishwasherRm(_Recording, PPBCControlType):
    """PPBC: a dishwasher (heat: eco 1 kW 30 min or quick 2 kW 15 min; then a 250 W rinse)."""

    def __init__(self, start: datetime) -> None:
        self._init_recording({CommodityQuantity.ELECTRIC_POWER_L1: 0.0})
        self.definition = dishwasher(start)
        self.revoked: list[str] = []

    async def _on_revoke(self, connection: Any, msg: Any, send_okay: Any) -> None:
        self.revoked.append(str(msg.object_id))
        await send_okay()

    def status(self) -> PPBCPowerProfileStatus:
        d = self.definition
        return PPBCPowerProfileStatus.model_validate(
            {
                "message_type": "PPBC.PowerProfileStatus",
                "message_id": str(uuid.uuid4()),
                "sequence_container_status": [
                    {
                        "power_profile_id": str(d.id),
                        "sequence_container_id": str(c.id),
                        "status": "NOT_SCHEDULED",
                    }
                    for c in d.power_sequences_containers
                ],
            }
        )

    async def activate(self, connection: Any) -> None:
        connection.register_handler(RevokeObject, self._on_revoke)
        await self._activate(connection, self.definition, self.status())

    def live(self) -> list[Any]:
        """The instructions not revoked."""
        return [i for i in self.instructions if str(i.id) not in self.revoked]


class HybridRm(_Recording, DDBCControlType):
    """DDBC: a hybrid heat pump (heat pump mode and gas boiler)."""

    def __init__(self) -> None:
        self._init_recording({CommodityQuantity.ELECTRIC_POWER_L1: 0.0})
        self.hp = HybridHeatPump()

    async def activate(self, connection: Any) -> None:
        await self._activate(connection, self.hp.system_description())


def _expected(snap: PlanSnapshot, subentry_id: str, d: PPBCPowerProfileDefinition) -> list[Any]:
    """(execution time, sequence id) of each part, read from the planned power: the heat's
    alternative by its power in the first slot, the rinse at the first slot after it."""
    series = snap.devices[subentry_id]
    starts = snap.slot_starts()
    first = next(i for i, w in enumerate(series.power_w) if w > 1.0)
    eco, quick = d.power_sequences_containers[0].power_sequences
    rinse = d.power_sequences_containers[1].power_sequences[0]
    heat = quick if series.power_w[first] > 1500.0 else eco
    after = first + (1 if heat is quick else 2)
    rinse_at = next(i for i in range(after, len(starts)) if series.power_w[i] > 1.0)
    assert rinse_at - after <= 1  # the pause the RM allows
    assert series.power_w[rinse_at] == pytest.approx(250.0)
    return [(starts[first], str(heat.id)), (starts[rinse_at], str(rinse.id))]


def _planning(hass: HomeAssistant, subentry_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{subentry_id}_planning")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def _got(instructions: list[Any]) -> list[Any]:
    return sorted((i.execution_time, str(i.power_sequence_id)) for i in instructions)


async def test_a_native_dishwasher_is_scheduled_and_rescheduled_when_it_moves(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    hass_client_no_auth: Any,
    rms: list[Rm],
) -> None:
    """Handshake, profile, status; the plan's starts as ScheduleInstructions; revoke + resend."""
    entry = await priced_hub(hass, aioclient_mock)
    added = await add_s2_device(hass, entry, name="Dishwasher")
    subentry_id = added[0]

    start = dt_util.utcnow().replace(microsecond=0) + timedelta(minutes=20)
    washer = DishwasherRm(start)
    details = asset(
        resource_id=uuid.uuid4(),
        name="Dishwasher",
        provides_power_measurements=[CommodityQuantity.ELECTRIC_POWER_L1],
    )
    rm = Rm([washer], details)
    rms.append(rm)
    device = await connect_ready(entry, rm, await hass_client_no_auth(), added)
    session = device.session
    assert session.active_control_type is ControlType.POWER_PROFILE_BASED_CONTROL
    control = session.control
    assert isinstance(control, PPBCHandler)
    await wait_for(lambda: len(control.container_status) == 2)  # the status arrived
    await hass.async_block_till_done()
    assert _planning(hass, subentry_id) == "planned"

    loop = loop_of(entry)
    await loop.async_replan("test")
    snap = loop.snapshot
    assert snap is not None, loop.last_cycle
    series = snap.devices[subentry_id]
    assert series.kind == "shiftable_load"
    # The whole run, once: 1 kWh of heat and the rinse's 62.5 Wh.
    assert sum(series.power_w) * 0.25 == pytest.approx(500.0 + 62.5)
    first_plan = _expected(snap, subentry_id, washer.definition)
    assert first_plan[0][0] >= start  # not before the RM's start window
    await wait_for(lambda: len(washer.instructions) == 2)
    assert _got(washer.instructions) == first_plan
    assert all(i.message_type == "PPBC.ScheduleInstruction" for i in washer.instructions)

    # The same plan again sends nothing new.
    await loop.async_replan("test")
    await hass.async_block_till_done()
    assert len(washer.instructions) == 2
    assert washer.revoked == []

    # The user delays the start (the RM sends a new profile): the old instructions are
    # revoked, and the new plan's starts are sent.
    old_ids = sorted(str(i.id) for i in washer.instructions)
    later = first_plan[0][0] + timedelta(hours=2)
    washer.definition = dishwasher(later)
    await washer.send(washer.definition)
    await wait_for(lambda: sorted(washer.revoked) == old_ids)
    await loop.async_replan("test")
    snap = loop.snapshot
    assert snap is not None
    second_plan = _expected(snap, subentry_id, washer.definition)
    assert second_plan[0][0] >= later
    await wait_for(lambda: _got(washer.live()) == second_plan)
    assert len(washer.instructions) == 4

    await rm.stop()
    await wait_for(lambda: entry.runtime_data.devices.get(subentry_id) is None)


@pytest.mark.parametrize(
    ("make_rm", "control_type", "why"),
    [
        (HeatPumpRm, ControlType.OPERATION_MODE_BASED_CONTROL, "needs_thermal_model"),
        (HybridRm, ControlType.DEMAND_DRIVEN_BASED_CONTROL, "needs_gas_price"),
    ],
)
async def test_ombc_and_ddbc_devices_are_planned_around_and_say_why(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    hass_client_no_auth: Any,
    rms: list[Rm],
    make_rm: Any,
    control_type: ControlType,
    why: str,
) -> None:
    """Connected and described, in the hub, planned around at its measured power, and never
    instructed."""
    entry = await priced_hub(hass, aioclient_mock)
    added = await add_s2_device(hass, entry, name="Heat pump")
    subentry_id = added[0]
    rm_type = make_rm()
    rm = Rm([rm_type], asset(resource_id=uuid.uuid4(), name="Heat pump"))
    rms.append(rm)
    device = await connect_ready(entry, rm, await hass_client_no_auth(), added)
    assert device.session.active_control_type is control_type
    await rm_type.measure({CommodityQuantity.ELECTRIC_POWER_L1: 1200.0})
    await hass.async_block_till_done()
    assert _planning(hass, subentry_id) == why
    # What it drew stays in the base-load forecast, which is what holds it after the hour.
    native = entry.runtime_data.devices.get(subentry_id)
    assert native is not None
    assert native.power_entity is not None
    assert not native.plannable()
    assert native.power_entity not in device_power_statistics(
        entry.runtime_data.devices, solar_known=False
    )

    loop = loop_of(entry)
    await loop.async_replan("test")
    await hass.async_block_till_done()
    snap = loop.snapshot
    assert snap is not None, loop.last_cycle
    # Planned around: its measured power holds for the next hour, and it is not instructed.
    series = snap.devices[subentry_id]
    assert (series.kind, series.instructed) == ("fixed", False)
    assert series.power_w[:4] == [1200.0] * 4
    assert not any(series.power_w[4:])
    assert rm_type.instructions == []

    await rm.stop()
    await wait_for(lambda: entry.runtime_data.devices.get(subentry_id) is None)
    await hass.async_block_till_done()
    assert _planning(hass, subentry_id) == "unavailable"
