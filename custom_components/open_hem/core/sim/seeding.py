"""Seeded randomness that depends on the day, not on how the simulation is stepped.

Everything the household does on its own (its load's noise and appliance runs, its gas use, the
clouds, the weather, when the car comes and goes) is drawn per local day from a generator seeded
with ``(seed, day, stream)``. So the same seed gives the same home whether it is stepped every
second or every quarter of an hour, and a home can start on any day without replaying the ones
before it.
"""

from __future__ import annotations

from datetime import date
import zlib

import numpy as np

type Generator = np.random.Generator


def day_rng(seed: int, day: date, stream: str) -> Generator:
    """The generator for one stream (``"load"``, ``"clouds"``, ...) on one day."""
    return np.random.default_rng([seed & 0xFFFFFFFF, day.toordinal(), zlib.crc32(stream.encode())])
