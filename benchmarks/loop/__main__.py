"""``python -m benchmarks.loop [--write]``: one planning-loop cycle in a real Home Assistant.

Runs ``ha_bench.py`` through pytest and the Home Assistant test harness (five S2 devices over
36 h of 15-minute slots) and prints the figures with the machine; ``--write`` stores
results.json here. Targets: a cycle under 1 s of wall time, under 5 ms of event-loop time.
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
    ("on_off", "grid_aware"),
    ("modulating", "grid_aware"),
    ("modulating", "cheapest"),
)


def run_one(heat_pump: str, profile: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "loop.json"
        env = {
            **os.environ,
            "OPEN_HEM_BENCH_OUT": str(out),
            "OPEN_HEM_BENCH_HEAT_PUMP": heat_pump,
            "OPEN_HEM_BENCH_PROFILE": profile,
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
    return {"machine": machine, "ha_cycle": [run_one(*v) for v in VARIANTS]}


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
