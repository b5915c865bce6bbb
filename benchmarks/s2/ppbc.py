"""PPBC benchmark: from the planning loop's plan to ``PPBC.ScheduleInstruction`` s, in process.

Home Assistant's loop hands a PPBC device its plan as power per slot; the handler reads it back
into the schedule that gives it (``schedule_from_power``) and drafts the instructions. Measured
on a 192-slot horizon (two days of 15-minute slots) for:

* a dishwasher (two parts, the first with two alternatives), planned by the planner on
  prices that rise through the day;
* a 40-part programme whose parts after the first draw 0 W (each fits in many places), the
  read-back's worst shape, both when it matches and when a stray load leaves no match.

Run: ``.venv-core/bin/python -m benchmarks.s2.ppbc --write`` (or ``.venv/bin/python``).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import statistics
import time
from typing import Any
import uuid

from s2python.ppbc import PPBCPowerProfileDefinition

from benchmarks.machine import describe
from open_hem_core.planner import Horizon, Problem, ProfilePart, ShiftableLoad, plan
from open_hem_core.s2 import PowerPlan
from open_hem_core.s2.control import PlanContext, PPBCHandler
from open_hem_core.s2.control.ppbc import schedule_from_power

HERE = Path(__file__).parent
SLOT = timedelta(minutes=15)
SLOTS = 192
REPEATS = 200
T0 = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def _definition(start: datetime) -> PPBCPowerProfileDefinition:
    def seq(elements: list[tuple[int, float]]) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "elements": [
                {
                    "duration": ms,
                    "power_values": [
                        {"value_expected": w, "commodity_quantity": "ELECTRIC.POWER.L1"}
                    ],
                }
                for ms, w in elements
            ],
            "is_interruptible": False,
            "max_pause_before": 15 * 60_000,
            "abnormal_condition_only": False,
        }

    return PPBCPowerProfileDefinition.model_validate(
        {
            "message_type": "PPBC.PowerProfileDefinition",
            "message_id": str(uuid.uuid4()),
            "id": str(uuid.uuid4()),
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(hours=20)).isoformat(),
            "power_sequences_containers": [
                {
                    "id": str(uuid.uuid4()),
                    "power_sequences": [
                        seq([(30 * 60_000, 1000.0), (60 * 60_000, 150.0)]),
                        seq([(15 * 60_000, 2000.0), (45 * 60_000, 200.0)]),
                    ],
                },
                {
                    "id": str(uuid.uuid4()),
                    "power_sequences": [seq([(10 * 60_000, 300.0), (5 * 60_000, 150.0)])],
                },
            ],
        }
    )


def _median_ms(fn: Any) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def run_all() -> dict[str, Any]:
    horizon = Horizon(T0, SLOTS, 15, "UTC")
    starts = tuple(horizon.times_utc())
    handler = PPBCHandler()
    handler.handle("PPBC.PowerProfileDefinition", _definition(T0 + SLOT))
    load = handler.shiftable_load("dishwasher", starts, SLOT)
    prices = [0.20 + 0.001 * (i % 96) for i in range(SLOTS)]
    problem = Problem(
        horizon=horizon, import_price=prices, export_price=0.0, base_load_w=0.0, devices=(load,)
    )
    power = PowerPlan.from_device_plan(plan(problem).device("dishwasher"), starts, SLOT)
    ctx = PlanContext(now=T0, earliest=T0, new_id=lambda: str(uuid.uuid4()))
    drafts = handler.instructions(power, ctx)
    assert len(drafts) == 2

    quiet = ProfilePart(((0.0,),), max_pause_before_slots=2)
    long_load = ShiftableLoad("x", (ProfilePart(((800.0,),)), *(quiet,) * 40))
    matching = [0.0] * SLOTS
    matching[0] = 800.0
    stray = list(matching)
    stray[-1] = 100.0
    match_plan = PowerPlan(starts, SLOT, tuple(matching))
    stray_plan = PowerPlan(starts, SLOT, tuple(stray))
    assert schedule_from_power(long_load, match_plan) is not None
    assert schedule_from_power(long_load, stray_plan) is None
    return {
        "machine": describe(),
        "slots": SLOTS,
        "repeats": REPEATS,
        "dishwasher_read_back_ms": _median_ms(lambda: schedule_from_power(load, power)),
        "dishwasher_instructions_ms": _median_ms(lambda: handler.instructions(power, ctx)),
        "zero_parts_match_ms": _median_ms(lambda: schedule_from_power(long_load, match_plan)),
        "zero_parts_no_match_ms": _median_ms(lambda: schedule_from_power(long_load, stray_plan)),
    }


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    rows = [
        ("dishwasher: planned power read back into its schedule", r["dishwasher_read_back_ms"]),
        (
            "dishwasher: plan -> both ScheduleInstructions drafted (read-back included)",
            r["dishwasher_instructions_ms"],
        ),
        ("40 zero-power parts: read back (matches)", r["zero_parts_match_ms"]),
        ("40 zero-power parts: no schedule gives the power", r["zero_parts_no_match_ms"]),
    ]
    table = "\n".join(f"| {what} | {ms:.2f} ms |" for what, ms in rows)
    return f"""# PPBC benchmark: a plan's power read back into ScheduleInstructions

Machine: {m["nproc"]} CPUs ({m["cpu"]}), Python {m["python"]}, {m["platform"]}, {m["date"]};
1-minute load average {m["load_average_1min"]} at the start (the machine is shared with other
work). Command: `.venv-core/bin/python -m benchmarks.s2.ppbc --write` (from the repository
root). Medians of {r["repeats"]} runs, {r["slots"]}-slot horizon (15-minute slots), in process.

| what | figure |
|---|---|
{table}

The loop hands every device its plan as power per slot; for a PPBC device that is read back
into which sequence starts where, so the cost is paid once per plan and per PPBC device.
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    result = run_all()
    if args.write:
        (HERE / "ppbc.json").write_text(json.dumps(result, indent=2) + "\n")
        (HERE / "PPBC.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
