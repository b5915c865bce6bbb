"""PPBC and DDBC sessions against s2-python RMs over localhost WebSockets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from s2python.common import ControlType
from s2python.connection.async_.control_type.class_based import DDBCControlType, PPBCControlType
from s2python.ppbc import PPBCEndInterruptionInstruction, PPBCStartInterruptionInstruction

from open_hem_core.planner import ThermalHouse
from open_hem_core.s2 import PowerPlan
from open_hem_core.s2.control import DDBCHandler, PPBCHandler, ProfileSchedule
from open_hem_core.s2.control.ppbc import sequence_slots

from .devices import HybridHeatPump, dishwasher
from .harness import RecordingMixin, cem_server, fast_config, start_rm, wait_for

SLOT = timedelta(minutes=15)


class DishwasherRm(RecordingMixin, PPBCControlType):
    def __init__(self, start: datetime) -> None:
        self._init_recording()
        self.definition = dishwasher(start)

    async def activate(self, connection: Any) -> None:
        connection.register_handler(PPBCStartInterruptionInstruction, self.handle_instruction)
        connection.register_handler(PPBCEndInterruptionInstruction, self.handle_instruction)
        await self._activate(connection, self.definition)


class HybridRm(RecordingMixin, DDBCControlType):
    def __init__(self, hp: HybridHeatPump) -> None:
        self._init_recording()
        self.hp = hp

    async def activate(self, connection: Any) -> None:
        await self._activate(connection, self.hp.system_description())


async def test_ppbc_dishwasher_schedule_and_revocation() -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    rm_type = DishwasherRm(start)
    async with cem_server(config=fast_config()) as server:
        rm = await start_rm(server.url, [rm_type])
        try:
            session = await server.session()
            await wait_for(rm_type.active.is_set)
            await wait_for(lambda: session.control is not None and session.control.ready)
            assert session.active_control_type is ControlType.POWER_PROFILE_BASED_CONTROL
            control = session.control
            assert isinstance(control, PPBCHandler)
            starts = tuple(start - SLOT + i * SLOT for i in range(40))
            load = control.shiftable_load("dishwasher", starts, SLOT)
            assert load.earliest_start_slot == 1
            assert load.latest_end_slot == 33
            assert load.parts[0].alternatives == ((1000.0, 1000.0), (2000.0,))
            assert load.parts[1].alternatives == ((250.0,),)
            assert load.parts[0].max_pause_before_slots == 1

            schedule = ProfileSchedule(starts, SLOT, {0: (1, 4), 1: (0, 6)}, pauses={1: ((7, 8),)})
            sent = await session.apply_plan(schedule)
            assert len(sent) == 4
            await wait_for(lambda: len(rm_type.instructions) == 4)
            d = rm_type.definition
            got = sorted(
                (i.execution_time, i.message_type, str(i.power_sequence_id))
                for i in rm_type.instructions
            )
            heat = d.power_sequences_containers[0].power_sequences
            rinse = d.power_sequences_containers[1].power_sequences[0]
            assert got == [
                (starts[4], "PPBC.ScheduleInstruction", str(heat[1].id)),
                (starts[6], "PPBC.ScheduleInstruction", str(rinse.id)),
                (starts[7], "PPBC.StartInterruptionInstruction", str(rinse.id)),
                (starts[8], "PPBC.EndInterruptionInstruction", str(rinse.id)),
            ]
            # A new plan revokes all four and schedules the eco alternative later.
            await session.apply_plan(ProfileSchedule(starts, SLOT, {0: (0, 10), 1: (0, 13)}))
            await wait_for(lambda: len(rm_type.revoked) == 4 and len(rm_type.instructions) == 6)
            later = sorted(
                (i.execution_time, str(i.power_sequence_id)) for i in rm_type.instructions[4:]
            )
            assert later == [(starts[10], str(heat[0].id)), (starts[13], str(rinse.id))]
        finally:
            await rm.stop()


async def test_ddbc_hybrid_heat_pump_meets_demand_with_the_boiler_when_no_power_is_planned() -> (
    None
):
    hp = HybridHeatPump()
    rm_type = HybridRm(hp)
    async with cem_server(config=fast_config()) as server:
        rm = await start_rm(server.url, [rm_type])
        try:
            session = await server.session()
            await wait_for(rm_type.active.is_set)
            await wait_for(lambda: session.control is not None and session.control.ready)
            assert session.active_control_type is ControlType.DEMAND_DRIVEN_BASED_CONTROL
            control = session.control
            assert isinstance(control, DDBCHandler)
            house = ThermalHouse(200.0, 3000.0, 20.0, 19.0, 22.0)
            model = control.heat_pump("hybrid", house)
            assert model.max_w == 2000.0
            starts = tuple(datetime.now(UTC) + timedelta(minutes=5) + i * SLOT for i in range(3))
            assert control.demand_per_slot(starts, SLOT) == [3000.0] * 3
            await session.apply_plan(PowerPlan(starts, SLOT, (1000.0, 0.0, 2000.0)))
            await wait_for(lambda: len(rm_type.instructions) == 3)
            got = [
                (str(i.operation_mode_id), round(i.operation_mode_factor, 3))
                for i in rm_type.instructions
            ]
            assert got == [(hp.hp, 0.5), (hp.boiler, 0.3), (hp.hp, 1.0)]
        finally:
            await rm.stop()


@pytest.mark.parametrize("slots", [1, 2])
def test_ppbc_sequence_resampling(slots: int) -> None:
    seq = dishwasher(datetime.now(UTC)).power_sequences_containers[1].power_sequences[0]
    shape = sequence_slots(seq, SLOT * slots)
    assert sum(shape) * slots * 15 == pytest.approx(300 * 10 + 150 * 5)
