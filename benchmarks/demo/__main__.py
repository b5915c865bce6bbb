"""``python -m benchmarks.demo [--write]``: what one tick of the demo home costs on the loop.

The demo home steps its ``SimHome`` (and the S2 battery's second ``SimBattery``) on Home
Assistant's event loop every 10 s by the elapsed time, in steps of at most 60 s, then renders
the meter's telegram. Measured here without Home Assistant (the same core code): a normal
10 s tick, and the catch-up after an hour's time travel (60 steps). Medians of 5 x 200 ticks.
``--write`` stores results.json and RESULTS.md here.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import statistics
import time

from benchmarks.machine import describe
from open_hem_core.sim import BatteryMode, SimBattery, SimHome

HERE = Path(__file__).resolve().parent
START = datetime(2026, 1, 14, 17, 0, tzinfo=UTC)  # a winter evening: every device busy
MAX_STEP_S = 60.0


def _tick(home: SimHome, s2: SimBattery, seconds: float) -> None:
    left = seconds
    while left > 1e-6:
        dt_s = min(MAX_STEP_S, left)
        home.step(dt_s)
        s2.step(dt_s, 0.0)
        left -= dt_s
    home.to_telegram()


def measure(seconds: float, ticks: int = 200, repeats: int = 5) -> float:
    """Median µs per tick that moves the home ``seconds`` on."""
    runs = []
    for _ in range(repeats):
        home = SimHome.demo(START)
        s2 = SimBattery(name="s2_battery", mode=BatteryMode.IDLE)
        s2.set_power(2000)
        t0 = time.perf_counter()
        for _ in range(ticks):
            _tick(home, s2, seconds)
        runs.append((time.perf_counter() - t0) / ticks * 1e6)
    return statistics.median(runs)


def main() -> None:
    """Measure, print, and with --write keep the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    machine = describe(command="python -m benchmarks.demo --write")
    results = {
        "machine": machine,
        "tick_10s_us": round(measure(10.0), 1),
        "catch_up_1h_us": round(measure(timedelta(hours=1).total_seconds(), ticks=20), 1),
    }
    print(json.dumps(results, indent=2))
    if not args.write:
        return
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    m = machine
    (HERE / "RESULTS.md").write_text(
        "# Demo home: the cost of one tick on the event loop\n\n"
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, {m['platform']}, "
        f"{m['date']}; 1-minute load average {m['load_average_1min']} at the start (the "
        f"machine was shared). Command: `{m['command']}` (from the repository root, with the "
        "development venv).\n\n"
        "| tick | µs (median of 5 runs) |\n|---|---|\n"
        f"| every 10 s: one 10 s step of the home and the S2 battery, telegram rendered | "
        f"{results['tick_10s_us']} |\n"
        f"| after an hour's time travel: 60 steps of 60 s, telegram rendered | "
        f"{results['catch_up_1h_us']} |\n\n"
        "Entity state writes come on top (about 30 entities a tick). A gap longer than two "
        "hours is skipped, not simulated, so no tick holds the loop for more than 2 x the "
        "second figure. Figures are measurements, not assertions; the tests time nothing.\n"
    )


if __name__ == "__main__":
    main()
