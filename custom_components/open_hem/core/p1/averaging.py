"""Data minimisation and sanity for readings.

* ``PowerAverager``: power is averaged over the update interval (time-weighted: each value holds
  until the next one arrives), not sampled, so a 5 s state is the mean of five 1 s telegrams.
* ``TotalGuard``: meter totals only go up. A backwards jump (a meter swap, a bad read) is dropped
  and counted, so it never reaches a ``total_increasing`` entity. It is the one place that
  decides this: seeded with what was shown before a restart (``seed``, never counted), it turns
  every reading into the one to show (``apply``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .readings import TOTAL_FIELDS, MeterReading


class PowerAverager:
    """Time-weighted mean of a set of power values between flushes."""

    def __init__(self, keys: Iterable[str]) -> None:
        """Average the given keys; others are ignored."""
        self._keys = tuple(keys)
        self._last: dict[str, float] = {}
        self._last_time: float | None = None
        self._sums: dict[str, float] = {}
        self._weights: dict[str, float] = {}

    def add(self, now: float, values: Mapping[str, float | None]) -> None:
        """Record the values that hold from ``now`` (monotonic seconds) on."""
        self._accumulate(now)
        for key in self._keys:
            value = values.get(key)
            if value is not None:
                self._last[key] = value
            else:
                self._last.pop(key, None)
        self._last_time = now

    def _accumulate(self, now: float) -> None:
        if self._last_time is None:
            return
        elapsed = max(now - self._last_time, 0.0)
        for key, value in self._last.items():
            self._sums[key] = self._sums.get(key, 0.0) + value * elapsed
            self._weights[key] = self._weights.get(key, 0.0) + elapsed
        self._last_time = now

    def flush(self, now: float) -> dict[str, float]:
        """The mean of each key since the last flush; starts the next interval at ``now``."""
        self._accumulate(now)
        result: dict[str, float] = {}
        for key in self._keys:
            weight = self._weights.get(key, 0.0)
            if weight > 0:
                result[key] = round(self._sums[key] / weight, 1)
            elif key in self._last:
                # Nothing elapsed yet (a single telegram): its value is the mean.
                result[key] = round(self._last[key], 1)
        self._sums.clear()
        self._weights.clear()
        return result

    def reset(self) -> None:
        """Forget everything (after a disconnect the old values do not hold any more)."""
        self._last.clear()
        self._last_time = None
        self._sums.clear()
        self._weights.clear()


class TotalGuard:
    """Pass totals that do not go backwards; drop and count those that do."""

    def __init__(self) -> None:
        """Nothing seen yet."""
        self._highest: dict[str, float] = {}
        self.dropped = 0

    def highest(self, key: str) -> float | None:
        """The highest value passed for this key (None if none yet)."""
        return self._highest.get(key)

    def check(self, key: str, value: float | None) -> float | None:
        """The value if it is not below the highest seen for this key, else None (counted)."""
        if value is None:
            return None
        highest = self._highest.get(key)
        if highest is not None and value < highest:
            self.dropped += 1
            return None
        self._highest[key] = value
        return value

    def seed(self, key: str, value: float) -> None:
        """Start from a value shown before (a restored state): a bound, never counted."""
        highest = self._highest.get(key)
        if highest is None or value > highest:
            self._highest[key] = value

    def apply(self, reading: MeterReading) -> GuardedReading:
        """The reading to show: each total that went backwards is dropped (counted) and the
        highest shown value stays in its place."""
        changes: dict[str, float] = {}
        backwards: Backwards | None = None
        has_totals = False
        for key in TOTAL_FIELDS:
            value = getattr(reading, key)
            if value is None:
                continue
            has_totals = True
            highest = self._highest.get(key)
            if self.check(key, value) is None and highest is not None:
                changes[key] = highest
                if backwards is None or key == "import_total_kwh":
                    backwards = Backwards(key, highest, value)  # the import total if it went back
        shown = reading.with_values(**changes) if changes else reading
        return GuardedReading(shown, has_totals, backwards)

    def reset(self) -> None:
        """Forget the highest values (a new meter: its totals start over); keep the count."""
        self._highest.clear()


@dataclass(frozen=True, slots=True)
class Backwards:
    """A total below the highest shown: which one, the shown value and the meter's."""

    key: str
    shown: float
    reported: float


@dataclass(frozen=True, slots=True)
class GuardedReading:
    """What ``TotalGuard.apply`` made of a reading."""

    reading: MeterReading
    has_totals: bool
    backwards: Backwards | None
