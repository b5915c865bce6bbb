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
from collections.abc import Awaitable, Callable, Iterator
import contextlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import gc
import json
import os
from pathlib import Path
import statistics
import threading
import time
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import event as event_helper
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

import custom_components.open_hem  # noqa: F401
from custom_components.open_hem.devices.hub import DeviceKind
from custom_components.open_hem.planner.const import REPLAN_COOLDOWN_S, Profile
from custom_components.open_hem.planner.forecasts import ForecastInputs
from custom_components.open_hem.planner.loop import PlanningLoop
from tests import loop_home
from tests.entries import hub_entry
from tests.loop_home import sunshine
from tests.planner_helpers import (
    BatteryRm,
    CarRm,
    DishwasherRm,
    HeatPumpRm,
    MemoryLink,
    PvRm,
    add_device,
    devices_entry,
    loop_of,
)
from tests.prices_helpers import URL, a44

CYCLES = int(os.environ.get("OPEN_HEM_BENCH_CYCLES", "7"))
DEVICES = os.environ.get("OPEN_HEM_BENCH_DEVICES", "s2")
"""``s2``: five native S2 devices (s2-python RMs on their own thread); ``entities``: the same
household as entity-backed devices (Open HEM's own RMs, on the event loop)."""
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


class RemoteLink(MemoryLink):
    """The in-memory link with its RM on another thread's event loop, as a device on the
    network would be: what the RM does with our messages (s2-python parsing and answering
    them) is the device's work, so it is not counted as Home Assistant's."""

    def __init__(self, rm_types: list[Any], rm_loop: asyncio.AbstractEventLoop) -> None:
        self.rm_types = rm_types
        self.rm_loop = rm_loop
        self.hub_loop = asyncio.get_running_loop()
        self._remote: Any = None
        super().__init__(rm_types, rm_loop)

    def deliver_to_rm(self, text: str | None) -> None:
        self.rm_loop.call_soon_threadsafe(self.to_rm.put_nowait, text)

    def deliver_to_cem(self, text: str | None) -> None:
        self.hub_loop.call_soon_threadsafe(self.to_cem.put_nowait, text)

    async def start(self) -> None:
        self._remote = asyncio.run_coroutine_threadsafe(self.connection.run(), self.rm_loop)
        self._tasks = [self.hub_loop.create_task(self._pump())]
        await self.session.start()
        # The RM answers from its thread: wait in real time until it has said all it says
        # when it starts (add_device's wait only lets this loop run a few rounds).
        for _ in range(500):
            if all(rm_type.active.is_set() for rm_type in self.rm_types):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the device did not start")

    async def stop(self) -> None:
        self.disconnect()
        stopped = asyncio.run_coroutine_threadsafe(self.connection.stop(), self.rm_loop)
        with contextlib.suppress(Exception):
            await asyncio.wrap_future(stopped)
        self._remote.cancel()
        for task in self._tasks:
            task.cancel()


async def _cancel_all() -> None:
    """Cancel every other task of the running loop and wait for them."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.contextmanager
def device_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop on its own thread for the devices' RMs."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bench-devices", daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        asyncio.run_coroutine_threadsafe(_cancel_all(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


@dataclass(frozen=True)
class Callback:
    """One callback of the hub's event loop: seconds of wall and thread CPU time, and the
    object it belongs to (a task, for a task's step)."""

    wall: float
    cpu: float
    owner: object


@contextlib.contextmanager
def callback_timer() -> Iterator[list[Callback]]:
    """Time every callback of this thread's event loop while the block runs (the devices'
    loop on its own thread is not timed)."""
    timed_callbacks: list[Callback] = []
    original = asyncio.events.Handle._run
    hub = threading.get_ident()

    def timed(self: asyncio.Handle) -> None:
        if threading.get_ident() != hub:
            original(self)
            return
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            original(self)
        finally:
            owner = getattr(self._callback, "__self__", None)  # type: ignore[attr-defined]
            wall = time.perf_counter() - start
            timed_callbacks.append(Callback(wall, time.thread_time() - cpu, owner))

    asyncio.events.Handle._run = timed  # type: ignore[method-assign]
    try:
        yield timed_callbacks
    finally:
        asyncio.events.Handle._run = original  # type: ignore[method-assign]


@contextlib.contextmanager
def gc_timer() -> Iterator[list[float]]:
    """The seconds of each garbage collection on this thread while the block runs (Python
    collects on whichever thread allocates past the threshold)."""
    pauses: list[float] = []
    hub = threading.get_ident()
    started: list[float] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if threading.get_ident() != hub:
            return
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pauses.append(time.perf_counter() - started.pop())

    gc.callbacks.append(on_gc)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(on_gc)


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


async def _replan(loop: PlanningLoop) -> dict[str, Any]:
    """One cycle, and its own figures (read before another cycle can start)."""
    await loop.async_replan("bench")
    return dict(loop.last_cycle)


async def test_bench(hass: HomeAssistant, aioclient_mock: AiohttpClientMocker) -> None:
    """Cycles of the loop with four devices and an appliance over 36 h of 15-minute slots."""
    with clock_at(AT), device_thread() as rm_loop:
        await _bench(hass, aioclient_mock, rm_loop)


async def _bench(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, rm_loop: asyncio.AbstractEventLoop
) -> None:
    # The test harness runs asyncio in debug mode (every callback and future records its
    # stack); Home Assistant in production does not. OPEN_HEM_BENCH_ASYNCIO_DEBUG=1 keeps it.
    hass.loop.set_debug(ASYNCIO_DEBUG)
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    hass.config.country = "NL"
    today = dt_util.now().date()
    aioclient_mock.get(URL, text=a44(*(today + timedelta(days=d) for d in range(3))))
    with (
        patch("custom_components.open_hem.planner.inputs.MAX_HORIZON", HORIZON),
        # Entity-backed PV inverters know no forecast of their own (the Energy dashboard's
        # is not set up here): a clear day for every variant, as the S2 inverter's own.
        patch.object(ForecastInputs, "pv", lambda self, slots: sunshine(slots)),
    ):
        if DEVICES == "entities":
            entry, stop = await _entity_devices(hass)
        else:
            entry, stop = await _s2_devices(hass, rm_loop)
        loop = loop_of(entry)
        loop.async_set_profile(Profile(PROFILE))
        await loop.async_replan("warm-up")
        # Past the replans the setup asked for (debounced), so none runs between the cycles.
        await asyncio.sleep(REPLAN_COOLDOWN_S + 0.5)
        await hass.async_block_till_done()
        cycles = [await _cycle(hass, loop) for _ in range(CYCLES)]
    snap = loop.snapshot
    assert snap is not None
    await stop()
    await hass.config_entries.async_unload(entry.entry_id)
    assert len(snap.devices) == 5, sorted(snap.devices)
    result = {
        "devices": DEVICES,
        "heat_pump": HEAT_PUMP,
        "profile": PROFILE,
        "at": AT,
        "asyncio_debug": ASYNCIO_DEBUG,
        "slots": snap.slots,
        "status": snap.status.value,
        "solver": snap.solver,
        "cycles": CYCLES,
        **{
            f"{key}_ms_{stat}": round(fn(c[key] for c in cycles) * 1e3, 3)
            for key in cycles[0]
            for stat, fn in (("median", statistics.median), ("max", max))
        },
    }
    out = Path(os.environ.get("OPEN_HEM_BENCH_OUT", "loop_bench.json"))
    await hass.async_add_executor_job(out.write_text, json.dumps(result))


async def _cycle(hass: HomeAssistant, loop: PlanningLoop) -> dict[str, float]:
    """One timed cycle (seconds per figure)."""
    # Between cycles the devices answer the last plan (on their own thread, or carry it out
    # on the loop): let them finish, as they would between two real cycles.
    await asyncio.sleep(0.2)
    await hass.async_block_till_done()
    with callback_timer() as callbacks, gc_timer() as pauses:
        start = time.perf_counter()
        cpu_start = time.thread_time()  # the event loop's thread only
        # The cycle in a task of its own (not eager), so each of its steps, the first
        # included, is a timed callback.
        cycle = asyncio.Task(_replan(loop), loop=hass.loop, eager_start=False)
        figures = await cycle
        cpu = time.thread_time() - cpu_start
        wall = time.perf_counter() - start
    # A second after each cycle the store asks the loop for its data, on the loop.
    store_cpu = time.thread_time()
    loop._data_to_store()
    store_cpu = time.thread_time() - store_cpu
    own = [c for c in callbacks if c.owner is cycle]
    return {
        "wall": wall,
        "solve": figures.get("solve_s", 0.0),
        "on_loop": figures["loop_s"],
        "cycle_cpu": sum(c.cpu for c in own),
        "cycle_longest": max(c.wall for c in own),
        "busy": sum(c.wall for c in callbacks),
        "busy_cpu": sum(c.cpu for c in callbacks),
        "longest": max(c.wall for c in callbacks),
        "thread_cpu": cpu,
        "gc": sum(pauses),
        "store_cpu": store_cpu,
    }


async def _s2_devices(
    hass: HomeAssistant, rm_loop: asyncio.AbstractEventLoop
) -> tuple[MockConfigEntry, Callable[[], Awaitable[None]]]:
    """Five native S2 devices (s2-python RMs on their own thread) in the hub."""
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
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    links = []
    for sid, kind, rm, name in devices:
        device, link = await add_device(
            hass, entry, sid, kind, rm, name, make_link=lambda t: RemoteLink(t, rm_loop)
        )
        links.append(link)
        if kind is DeviceKind.HEAT_PUMP and HEAT_PUMP == "modulating":
            on_off = device.capture_model

            def modulating(on_off: Any = on_off) -> Any:
                build = on_off()

                def model(starts: Any, step: timedelta) -> Any:
                    return replace(
                        build(starts, step), min_w=0.0, min_run_slots=1, min_pause_slots=1
                    )

                return model

            device.capture_model = modulating

    async def stop() -> None:
        for link in links:
            await link.stop()

    return entry, stop


async def _entity_devices(
    hass: HomeAssistant,
) -> tuple[MockConfigEntry, Callable[[], Awaitable[None]]]:
    """The end-to-end tests' home (``tests/loop_home.py``: devices Home Assistant controls
    through input helpers, template sensors that follow them) and a dishwasher: Open HEM's
    own RMs run on the event loop, so their work with each plan (taking the instructions,
    carrying them out with service calls) is counted as Home Assistant's."""
    await loop_home.async_setup_home(hass)
    entry = hub_entry(
        {"price_source": "entsoe", "api_token": "secret", "bidding_zone": "NL"},
        subentries=[
            loop_home.BATTERY,
            loop_home.CHARGER,
            loop_home.HEAT_PUMP,
            loop_home.PV,
            loop_home.DISHWASHER,
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    async def stop() -> None:
        return

    return entry, stop
