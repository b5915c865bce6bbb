"""Real sessions: our CemSession (aiohttp server) against s2-python RMs (aiohttp client)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from s2python.common import ControlType
from s2python.connection.async_.control_type.class_based import (
    FRBCControlType,
    OMBCControlType,
    PEBCControlType,
)

from open_hem_core.s2 import EventKind, PowerPlan, SessionEvent, SessionState
from open_hem_core.s2.control import FRBCHandler, OMBCHandler, PEBCHandler

from .devices import Battery, OnOffHeatPump, pv_constraints
from .harness import RecordingMixin, cem_server, fast_config, start_rm, wait_for


class BatteryRm(RecordingMixin, FRBCControlType):
    def __init__(self, battery: Battery) -> None:
        self._init_recording()
        self.battery = battery

    async def activate(self, connection: Any) -> None:
        b = self.battery
        await self._activate(
            connection, b.system_description(), b.actuator_status(), b.storage_status()
        )


class HeatPumpRm(RecordingMixin, OMBCControlType):
    def __init__(self, hp: OnOffHeatPump) -> None:
        self._init_recording()
        self.hp = hp

    async def activate(self, connection: Any) -> None:
        await self._activate(connection, self.hp.system_description(), self.hp.status())


class PvRm(RecordingMixin, PEBCControlType):
    def __init__(self) -> None:
        self._init_recording()

    async def activate(self, connection: Any) -> None:
        await self._activate(connection, pv_constraints())


def _slots(n: int, offset: timedelta = timedelta(minutes=-1)) -> tuple[datetime, ...]:
    # By default the first slot started a minute ago: it is in progress.
    start = datetime.now(UTC) + offset
    return tuple(start + timedelta(minutes=15 * i) for i in range(n))


async def test_frbc_battery_session_follows_the_plan_and_revokes_on_a_new_plan() -> None:
    battery = Battery(fill=50.0)
    rm_type = BatteryRm(battery)
    async with cem_server(config=fast_config()) as server:
        rm = await start_rm(server.url, [rm_type])
        try:
            session = await server.session()
            events: list[Any] = []
            session.add_listener(events.append)
            await wait_for(rm_type.active.is_set)
            await wait_for(lambda: session.measurements)
            assert session.state is SessionState.ACTIVE
            assert session.selected_version == "0.0.2-beta"
            assert session.active_control_type is ControlType.FILL_RATE_BASED_CONTROL
            assert session.rm_details is not None
            assert session.rm_details.name == "test rm"
            assert session.measurements["ELECTRIC.POWER.L1"].value_w == 42.0
            control = session.control
            assert isinstance(control, FRBCHandler)
            assert control.fill_level == 50.0

            model = control.device_model("home battery", _slots(4))
            assert model.capacity_wh == pytest.approx(10_000.0, rel=1e-6)
            assert model.charge_efficiency == pytest.approx(0.95)
            assert model.max_charge_w == 5000.0
            assert model.max_discharge_w == 5000.0
            assert model.soc_initial == pytest.approx(0.5)

            starts = _slots(5)
            plan = PowerPlan(starts, timedelta(minutes=15), (0.0, 3000.0, 3000.0, -2000.0, 0.0))
            sent = await session.apply_plan(plan)
            assert len(sent) == 3
            await wait_for(lambda: len(rm_type.instructions) == 3)
            got = [
                (i.execution_time, str(i.operation_mode), round(i.operation_mode_factor, 3))
                for i in rm_type.instructions
            ]
            assert got == [
                (starts[1], battery.charge, 0.6),
                (starts[3], battery.discharge, 0.6),
                (starts[4], battery.idle, 0.0),
            ]
            await wait_for(lambda: all(session.instructions[i].status == "ACCEPTED" for i in sent))
            assert any(e.kind is EventKind.INSTRUCTION_STATUS for e in events)

            # The same plan again changes nothing.
            assert await session.apply_plan(plan) == []

            new = PowerPlan(starts, timedelta(minutes=15), (0.0, 0.0, 5000.0, 0.0, 0.0))
            sent2 = await session.apply_plan(new)
            assert len(sent2) == 2
            await wait_for(lambda: len(rm_type.revoked) == 3 and len(rm_type.instructions) == 5)
            assert sorted(rm_type.revoked) == sorted(sent)
            got = [
                (i.execution_time, str(i.operation_mode), round(i.operation_mode_factor, 3))
                for i in rm_type.instructions[3:]
            ]
            assert got == [(starts[2], battery.charge, 1.0), (starts[3], battery.idle, 0.0)]

            # A storage status far from the plan's state asks for a replan and resends.
            stateful = PowerPlan(
                starts, timedelta(minutes=15), new.power_w, state=(0.5, 0.5, 0.62, 0.62, 0.62)
            )
            await session.apply_plan(stateful)
            await rm_type.send(battery.storage_status(90.0))
            await wait_for(lambda: any(e.kind is EventKind.REPLAN for e in events))
            # Every accepted status is also told to listeners (entities follow the fill level).
            assert SessionEvent(EventKind.STATUS, "FRBC.StorageStatus") in events

            # A new system description re-sends the plan's instructions.
            before = len(rm_type.instructions)
            await rm_type.send(battery.system_description())
            await wait_for(lambda: len(rm_type.instructions) > before)
            assert session.pending_count == 0 or not session.closed
            assert not session.closed
        finally:
            await rm.stop()
        await wait_for(lambda: session.closed)


async def test_a_new_plan_revokes_and_sends_only_the_instructions_that_changed() -> None:
    """Instructions the new plan repeats (same time, mode and factor) stay with the RM."""
    battery = Battery(fill=50.0)
    rm_type = BatteryRm(battery)
    async with cem_server(config=fast_config()) as server:
        rm = await start_rm(server.url, [rm_type])
        try:
            session = await server.session()
            await wait_for(lambda: session.control is not None and session.control.ready)
            starts = _slots(6)
            first = PowerPlan(starts, timedelta(minutes=15), (0.0, 3000.0, 0.0, -2000.0, 0.0, 0.0))
            sent = await session.apply_plan(first)
            assert len(sent) == 4  # charge, idle, discharge, idle
            await wait_for(lambda: len(rm_type.instructions) == 4)
            # Only the last hour changes: the discharge becomes a charge at the end.
            second = PowerPlan(
                starts, timedelta(minutes=15), (0.0, 3000.0, 0.0, -2000.0, 0.0, 1000.0)
            )
            sent2 = await session.apply_plan(second)
            assert len(sent2) == 1
            await wait_for(lambda: len(rm_type.instructions) == 5)
            new = rm_type.instructions[4]
            assert (new.execution_time, str(new.operation_mode)) == (starts[5], battery.charge)
            assert rm_type.revoked == []
            # The discharge moves a slot earlier: its instruction and the idle after it are
            # replaced; the first charge and idle stay.
            third = PowerPlan(
                starts, timedelta(minutes=15), (0.0, 3000.0, -2000.0, 0.0, 0.0, 1000.0)
            )
            sent3 = await session.apply_plan(third)
            assert len(sent3) == 2
            await wait_for(lambda: len(rm_type.revoked) == 3)
            assert sorted(rm_type.revoked) == sorted([sent[1], sent[2], sent[3]])
            live = [i for i in session.instructions.values() if not i.final]
            assert [(i.execution_time, i.key[-2:]) for i in live] == [
                (starts[1], (str(battery.charge), 0.6)),
                (starts[5], (str(battery.charge), 0.2)),
                (starts[2], (str(battery.discharge), 0.6)),
                (starts[3], (str(battery.idle), 0.0)),
            ]
        finally:
            await rm.stop()


async def test_ombc_heat_pump_session_keeps_min_run_time() -> None:
    hp = OnOffHeatPump()
    rm_type = HeatPumpRm(hp)
    async with cem_server(config=fast_config()) as server:
        rm = await start_rm(server.url, [rm_type])
        try:
            session = await server.session()
            await wait_for(rm_type.active.is_set)
            await wait_for(lambda: session.control is not None and session.control.ready)
            assert session.active_control_type is ControlType.OPERATION_MODE_BASED_CONTROL
            control = session.control
            assert isinstance(control, OMBCHandler)
            starts = _slots(6)
            # On for one slot only: the 30 min minimum run keeps it on for two.
            plan = PowerPlan(starts, timedelta(minutes=15), (0.0, 2000.0, 0.0, 0.0, 2000.0, 2000.0))
            await session.apply_plan(plan)
            await wait_for(lambda: len(rm_type.instructions) == 3)
            got = [(i.execution_time, str(i.operation_mode_id)) for i in rm_type.instructions]
            assert got == [(starts[1], hp.on), (starts[3], hp.off), (starts[4], hp.on)]
        finally:
            await rm.stop()


async def test_pebc_pv_session_curtails_where_the_plan_does() -> None:
    rm_type = PvRm()
    async with cem_server(config=fast_config()) as server:
        rm = await start_rm(server.url, [rm_type])
        try:
            session = await server.session()
            await wait_for(rm_type.active.is_set)
            await wait_for(lambda: session.control is not None and session.control.ready)
            control = session.control
            assert isinstance(control, PEBCHandler)
            pv = control.pv_inverter("roof", [0.0, 1500.0, 1800.0, 500.0])
            assert pv.curtailable
            assert pv.max_ac_w == 2000.0
            starts = _slots(4)
            plan = PowerPlan(
                starts,
                timedelta(minutes=15),
                (0.0, -1500.0, -1000.0, -500.0),
                curtailed_w=(0.0, 0.0, 800.0, 0.0),
            )
            await session.apply_plan(plan)
            await wait_for(lambda: len(rm_type.instructions) == 1)
            instruction = rm_type.instructions[0]
            envelope = instruction.power_envelopes[0]
            rows = [
                (e.duration.root, e.upper_limit, e.lower_limit)
                for e in envelope.power_envelope_elements
            ]
            first_ms = rows[0][0]
            assert rows[1:] == [(900_000, 0.0, -1000.0), (900_000, 0.0, -2000.0)]
            # The slot in progress and the next (neither curtailed) merge into one element.
            assert rows[0][1:] == (0.0, -2000.0)
            assert 900_000 < first_ms <= 1_800_000
            # A new plan for later: the envelope starting then is revoked when replaced.
            later = _slots(4, timedelta(hours=1))
            await session.apply_plan(
                PowerPlan(later, timedelta(minutes=15), (0.0, -1500.0, -1000.0, 0.0))
            )
            await wait_for(lambda: len(rm_type.instructions) == 2)
            assert rm_type.instructions[1].execution_time == later[0]
            await session.apply_plan(
                PowerPlan(later, timedelta(minutes=15), (0.0, -1500.0, -1800.0, 0.0))
            )
            await wait_for(lambda: len(rm_type.instructions) == 3 and len(rm_type.revoked) == 1)
            assert rm_type.revoked == [str(rm_type.instructions[1].id)]
        finally:
            await rm.stop()
