"""The Home Assistant half of the loop benchmark, run in a real (test) hass instance.

Run by ``python -m benchmarks.loop`` through pytest and the Home Assistant test harness; it
writes its figures to the JSON file named in ``OPEN_HEM_BENCH_OUT``. Not part of the test suite.

Five devices (battery FRBC, EV FRBC, on/off heat pump OMBC, PV PEBC, dishwasher PPBC) are
s2-python RMs linked in memory to real CemSessions in the hub; prices cover 36 h of quarter
hours from now (the clock starts at ``OPEN_HEM_BENCH_AT`` and ticks). One cycle is
``PlanningLoop.async_replan``: inputs, device models, ``plan()`` in the executor, snapshot,
instructions to every device, store and entity updates. Every event-loop callback that runs
during the cycle is timed (asyncio ``Handle._run`` wrapped): their sum is the time the cycle
kept the loop busy, the largest one the longest single block.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from dataclasses import replace
from datetime import datetime, timedelta
import json
import os
from pathlib import Path
import statistics
import time
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import event as event_helper
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

import custom_components.open_hem  # noqa: F401
from custom_components.open_hem.devices.hub import DeviceKind
from custom_components.open_hem.planner.const import Profile
from tests.planner_helpers import (
    BatteryRm,
    CarRm,
    DishwasherRm,
    HeatPumpRm,
    PvRm,
    add_device,
    devices_entry,
    loop_of,
)
from tests.prices_helpers import URL, a44

CYCLES = int(os.environ.get("OPEN_HEM_BENCH_CYCLES", "7"))
HEAT_PUMP = os.environ.get("OPEN_HEM_BENCH_HEAT_PUMP", "on_off")
"""``on_off``: the OMBC model (2 kW, 30 min run, 15 min pause); ``modulating``: 0-2 kW."""
PROFILE = os.environ.get("OPEN_HEM_BENCH_PROFILE", "grid_aware")
AT = os.environ.get("OPEN_HEM_BENCH_AT", "2026-04-15T12:00:00+02:00")
"""The clock at the start (it runs on from there): prices, solar and the dishwasher's window
follow the time of day, so a run at another hour plans another problem."""
HORIZON = timedelta(hours=36)
ASYNCIO_DEBUG = os.environ.get("OPEN_HEM_BENCH_ASYNCIO_DEBUG") == "1"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: Any) -> None:
    """Load the custom integration."""
    return


@contextlib.contextmanager
def callback_timer() -> Iterator[list[float]]:
    """Time every event-loop callback (seconds each) while the block runs."""
    durations: list[float] = []
    original = asyncio.events.Handle._run

    def timed(self: asyncio.Handle) -> None:
        start = time.perf_counter()
        try:
            original(self)
        finally:
            durations.append(time.perf_counter() - start)

    asyncio.events.Handle._run = timed  # type: ignore[method-assign]
    try:
        yield durations
    finally:
        asyncio.events.Handle._run = original  # type: ignore[method-assign]


@contextlib.contextmanager
def clock_at(start: str) -> Iterator[None]:
    """Home Assistant's clock (``dt_util.utcnow`` / ``now``, ``time.time`` and the timers'
    copies of them) moved to ``start``, running on in real time. Not freezegun: its
    fake clock slows every time call and added ~4 ms to the cycle's own event-loop time."""
    real_utcnow, real_time = dt_util.utcnow, time.time
    offset = datetime.fromisoformat(start) - real_utcnow()
    seconds = offset.total_seconds()

    def utcnow() -> datetime:
        return real_utcnow() + offset

    def now(time_zone: Any = None) -> datetime:
        # from UTC: adding the offset to local wall time would miss a DST change
        return utcnow().astimezone(time_zone or dt_util.get_default_time_zone())

    def timestamp() -> float:
        return real_time() + seconds

    with (
        patch.object(dt_util, "utcnow", utcnow),
        patch.object(dt_util, "now", now),
        patch.object(time, "time", timestamp),
        # the timers' own references, bound when Home Assistant imported them
        patch.object(event_helper, "time_tracker_utcnow", utcnow),
        patch.object(event_helper, "time_tracker_timestamp", timestamp),
    ):
        yield


async def test_bench(hass: HomeAssistant, aioclient_mock: AiohttpClientMocker) -> None:
    """Cycles of the loop with four devices over 36 h of 15-minute slots."""
    with clock_at(AT):
        await _bench(hass, aioclient_mock)


async def _bench(hass: HomeAssistant, aioclient_mock: AiohttpClientMocker) -> None:
    # The test harness runs asyncio in debug mode (every callback and future records its
    # stack); Home Assistant in production does not. OPEN_HEM_BENCH_ASYNCIO_DEBUG=1 keeps it.
    hass.loop.set_debug(ASYNCIO_DEBUG)
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    hass.config.country = "NL"
    today = dt_util.now().date()
    aioclient_mock.get(URL, text=a44(*(today + timedelta(days=d) for d in range(3))))
    devices = (
        ("battery", DeviceKind.BATTERY, BatteryRm(), "Home battery"),
        ("car", DeviceKind.EV_CHARGER, CarRm(), "Car"),
        ("heat_pump", DeviceKind.HEAT_PUMP, HeatPumpRm(), "Heat pump"),
        ("pv", DeviceKind.PV_INVERTER, PvRm(), "Solar panels"),
        # startable from now for 8 hours (heat eco 1 kW 30 min or quick 2 kW 15 min, rinse)
        ("dishwasher", DeviceKind.APPLIANCE, DishwasherRm(dt_util.utcnow()), "Dishwasher"),
    )
    entry = devices_entry(*((sid, name) for sid, _, _, name in devices))
    entry.add_to_hass(hass)
    with patch("custom_components.open_hem.planner.inputs.MAX_HORIZON", HORIZON):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        links = []
        for d in devices:
            device, link = await add_device(hass, entry, *d)
            links.append(link)
            if d[1] is DeviceKind.HEAT_PUMP and HEAT_PUMP == "modulating":
                on_off = device.planner_model

                def modulating(starts: Any, step: timedelta, on_off: Any = on_off) -> Any:
                    model = on_off(starts, step)
                    return replace(model, min_w=0.0, min_run_slots=1, min_pause_slots=1)

                device.planner_model = modulating  # type: ignore[assignment]
        loop = loop_of(entry)
        loop.async_set_profile(Profile(PROFILE))
        await loop.async_replan("warm-up")
        await hass.async_block_till_done()
        walls, busy, longest, solves, own, cpu = [], [], [], [], [], []
        for _ in range(CYCLES):
            with callback_timer() as durations:
                start = time.perf_counter()
                cpu_start = time.thread_time()  # the event loop's thread only
                await loop.async_replan("bench")
                cpu.append(time.thread_time() - cpu_start)
                walls.append(time.perf_counter() - start)
            # The cycle's own callbacks; the executor's solve is not on the loop.
            busy.append(sum(durations))
            own.append(loop.last_cycle["loop_s"])
            longest.append(max(durations))
            solves.append(loop.last_cycle.get("solve_s", 0.0))
            await hass.async_block_till_done()
    snap = loop.snapshot
    assert snap is not None
    for link in links:
        await link.stop()
    await hass.config_entries.async_unload(entry.entry_id)
    assert len(snap.devices) == len(devices), sorted(snap.devices)
    result = {
        "devices": [kind.value for _, kind, _, _ in devices],
        "heat_pump": HEAT_PUMP,
        "profile": PROFILE,
        "at": AT,
        "asyncio_debug": ASYNCIO_DEBUG,
        "slots": snap.slots,
        "status": snap.status.value,
        "solver": snap.solver,
        "cycles": CYCLES,
        "cycle_wall_ms_median": round(statistics.median(walls) * 1e3, 2),
        "cycle_wall_ms_max": round(max(walls) * 1e3, 2),
        "solve_ms_median": round(statistics.median(solves) * 1e3, 2),
        "cycle_on_loop_ms_median": round(statistics.median(own) * 1e3, 3),
        "cycle_on_loop_ms_max": round(max(own) * 1e3, 3),
        "loop_busy_ms_median": round(statistics.median(busy) * 1e3, 3),
        "loop_cpu_ms_median": round(statistics.median(cpu) * 1e3, 3),
        "loop_cpu_ms_max": round(max(cpu) * 1e3, 3),
        "loop_busy_ms_max": round(max(busy) * 1e3, 3),
        "longest_callback_ms_median": round(statistics.median(longest) * 1e3, 3),
        "longest_callback_ms_max": round(max(longest) * 1e3, 3),
    }
    out = Path(os.environ.get("OPEN_HEM_BENCH_OUT", "loop_bench.json"))
    await hass.async_add_executor_job(out.write_text, json.dumps(result))
