"""Where benchmark figures come from: committed with every result file."""

from __future__ import annotations

from datetime import UTC, datetime
import os
from pathlib import Path
import platform
from typing import Any


def cpu_model() -> str:
    """The CPU's model name as /proc/cpuinfo gives it (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(**extra: Any) -> dict[str, Any]:
    """Cores, CPU, Python, OS, time and load: what a reader needs to weigh the figures."""
    now = datetime.now(UTC)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "date": now.strftime("%Y-%m-%d"),
        "date_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        # Other work on the machine skews the figures; the 1-minute load at the start says how much.
        "load_average_1min": round(os.getloadavg()[0], 2),
        **extra,
    }
