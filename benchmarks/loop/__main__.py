"""``python -m benchmarks.loop [--write]``: one planning-loop cycle in a real Home Assistant.

Runs ``ha_bench.py`` through pytest and the Home Assistant test harness (five native S2
devices, or the same household entity-backed, over 36 h of 15-minute slots) and prints the
figures with the machine; ``--write`` stores results.json here. Targets: a cycle under 1 s of
wall time, under 5 ms of event-loop time.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile

from benchmarks.machine import describe

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


VARIANTS = (
    ("s2", "on_off", "grid_aware"),
    ("s2", "modulating", "grid_aware"),
    ("s2", "modulating", "cheapest"),
    # Entity-backed devices (Open HEM's own RMs on the event loop); the heat pump is the
    # entity-backed one (switch and power limit), so the heat-pump setting does not apply.
    ("entities", "entity", "grid_aware"),
    ("entities", "entity", "cheapest"),
)
"""(devices, heat pump, profile)."""
TIMES = (
    "2026-04-15T00:00:00+02:00",
    "2026-04-15T06:00:00+02:00",
    "2026-04-15T12:00:00+02:00",
    "2026-04-15T18:00:00+02:00",
    "2026-12-01T00:00:00+01:00",
    "2026-12-01T04:45:00+01:00",
    "2026-12-01T12:00:00+01:00",
    "2026-12-01T18:00:00+01:00",
)
"""A spring day (sun enough for own production to matter) and a winter day, four times each;
each plans another problem (prices, solar and the dishwasher's window move with the clock).
Winter 04:45 is the hardest hour found so far (the on/off heat pump's MIP)."""


def run_one(devices: str, heat_pump: str, profile: str, at: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "loop.json"
        env = {
            **os.environ,
            "OPEN_HEM_BENCH_OUT": str(out),
            "OPEN_HEM_BENCH_DEVICES": devices,
            "OPEN_HEM_BENCH_HEAT_PUMP": heat_pump,
            "OPEN_HEM_BENCH_PROFILE": profile,
            "OPEN_HEM_BENCH_AT": at,
        }
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                str(HERE / "ha_bench.py"),
                "-q",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                str(REPO),
                "-o",
                "addopts=",
            ],
            cwd=REPO,
            env=env,
            check=True,
        )
        figures: dict[str, object] = json.loads(out.read_text())
    return figures


def run() -> dict[str, object]:
    machine = describe()
    cycles = [run_one(dev, hp, profile, at) for dev, hp, profile in VARIANTS for at in TIMES]
    return {"machine": machine, "ha_cycle": cycles, "summary": summary(cycles)}


def summary(cycles: list[dict[str, object]]) -> list[dict[str, object]]:
    """Per variant over the times of day: each median figure, and the worst of them."""
    out = []
    for dev, hp, profile in VARIANTS:
        mine = [
            c
            for c in cycles
            if c["devices"] == dev
            and (dev == "entities" or c["heat_pump"] == hp)
            and c["profile"] == profile
        ]
        figures = {
            key: [float(c[key]) for c in mine]  # type: ignore[arg-type]
            for key in (
                "wall_ms_median",
                "wall_ms_max",
                "cycle_cpu_ms_median",
                "cycle_cpu_ms_max",
                "busy_cpu_ms_median",
                "thread_cpu_ms_median",
                "longest_ms_max",
            )
        }
        out.append(
            {
                "devices": dev,
                "heat_pump": hp,
                "profile": profile,
                **{f"{key}_by_time": values for key, values in figures.items()},
                **{f"worst_{key}": max(values) for key, values in figures.items()},
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="store results.json here")
    args = parser.parse_args()
    result = run()
    text = json.dumps(result, indent=2)
    print(text)
    if args.write:
        (HERE / "results.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
