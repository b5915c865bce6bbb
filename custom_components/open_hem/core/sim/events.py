"""Things that run for a while at a fixed rate (a kettle, a shower): exact averages over a step."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo


@dataclass(frozen=True, slots=True)
class Event:
    """``rate`` (W, or m³/s for gas) from ``start`` to ``end`` (POSIX seconds)."""

    start: float
    end: float
    rate: float


def amount(events: Iterable[Event], t0: float, t1: float) -> float:
    """The integral of the events' rates over [t0, t1] (J for W, m³ for m³/s)."""
    total = 0.0
    for event in events:
        overlap = min(event.end, t1) - max(event.start, t0)
        if overlap > 0:
            total += event.rate * overlap
    return total


def local_days(t0: datetime, t1: datetime, zone: tzinfo) -> list[date]:
    """Every local day whose events can touch [t0, t1] (from the day before t0's: a run started
    just before midnight goes on after it)."""
    first = t0.astimezone(zone).date() - timedelta(days=1)
    last = t1.astimezone(zone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
