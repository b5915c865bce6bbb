"""The Home Assistant half of the P1 benchmark, run in a real (test) hass instance.

Run by ``python -m benchmarks.p1`` through pytest and the Home Assistant test harness; it writes
its figures to the JSON file named in ``OPEN_HEM_BENCH_OUT``. Not part of the test suite.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import time
from typing import Any

from homeassistant.core import HomeAssistant
import pytest

import custom_components.open_hem  # noqa: F401
from tests.p1_helpers import V5, TelegramServer, changed, meter_entry, wait_for

TELEGRAMS = int(os.environ.get("OPEN_HEM_BENCH_TELEGRAMS", "3000"))
TICKS = int(os.environ.get("OPEN_HEM_BENCH_TICKS", "300"))


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: Any) -> None:
    """Load the custom integration."""
    return


async def test_bench(hass: HomeAssistant, socket_enabled: None) -> None:
    """Drive telegrams through the real coordinator's protocol, then time the state writes."""
    server = await TelegramServer().start()
    entry = meter_entry(
        {"source": "network", "host": "127.0.0.1", "port": server.port,
         "dsmr_version": "5", "update_interval": 5}
    )  # fmt: skip
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    coordinator = next(iter(entry.runtime_data.meters.values()))
    await wait_for(lambda: coordinator._protocol is not None)
    protocol = coordinator._protocol
    # Distinct telegrams (power and totals rising) so nothing is cached or skipped.
    telegrams = [
        changed(V5, "1-0:1.7.0(00.244*kW)", f"1-0:1.7.0({i % 90:02d}.{i % 1000:03d}*kW)").encode()
        for i in range(200)
    ]
    protocol.data_received(telegrams[0])
    await hass.async_block_till_done()
    entities = len(hass.states.async_entity_ids("sensor")) - 1  # minus the hub sensor

    # 1. bytes -> framer -> dsmr_parser -> MeterReading -> guard + averager, in the hass loop.
    start = time.perf_counter()
    for i in range(TELEGRAMS):
        protocol.data_received(telegrams[i % len(telegrams)])
    per_telegram_s = (time.perf_counter() - start) / TELEGRAMS
    assert coordinator.errors == 0

    # 2. One update interval's state writes (every enabled P1 entity), power changing each time.
    start = time.perf_counter()
    for i in range(TICKS):
        protocol.data_received(telegrams[i % len(telegrams)])
        coordinator._async_tick(None)
        await hass.async_block_till_done()
    per_tick_s = (time.perf_counter() - start) / TICKS - per_telegram_s

    await hass.config_entries.async_unload(entry.entry_id)
    await server.stop()
    interval = coordinator.update_interval.total_seconds()
    result = {
        "enabled_p1_entities": entities,
        "telegrams": TELEGRAMS,
        "ticks": TICKS,
        "ha_telegram_to_reading_us": round(per_telegram_s * 1e6, 1),
        "ha_state_writes_per_interval_us": round(per_tick_s * 1e6, 1),
        "ha_end_to_end_per_telegram_us_interval_5s": round(
            (per_telegram_s + per_tick_s / interval) * 1e6, 1
        ),
        "ha_end_to_end_per_telegram_us_every_telegram_written": round(
            (per_telegram_s + per_tick_s) * 1e6, 1
        ),
    }
    out = Path(os.environ["OPEN_HEM_BENCH_OUT"])
    await hass.async_add_executor_job(out.write_text, json.dumps(result))
