"""What the day's prices mean: statistics, the cheapest and dearest windows, price levels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .series import SLOT, PriceSeries, PriceSlot, slot_start

# Below this spread (EUR/kWh) between the day's lowest and highest price every slot is "normal".
FLAT_DAY_SPREAD = 0.01


class PriceLevel(StrEnum):
    """A slot's price relative to the rest of its day."""

    VERY_CHEAP = "very_cheap"
    CHEAP = "cheap"
    NORMAL = "normal"
    EXPENSIVE = "expensive"
    VERY_EXPENSIVE = "very_expensive"


@dataclass(frozen=True, slots=True)
class DayStats:
    """Lowest, highest and mean price of a set of slots."""

    lowest: float
    highest: float
    average: float


def stats(slots: Sequence[PriceSlot]) -> DayStats | None:
    """The statistics of the given slots, or None when there are none."""
    if not slots:
        return None
    prices = [slot.price for slot in slots]
    return DayStats(min(prices), max(prices), sum(prices) / len(prices))


def best_window(
    series: PriceSeries, now: datetime, hours: int, *, cheapest: bool = True
) -> datetime | None:
    """The start of the cheapest (or dearest) window of whole known slots, starting now or later.

    The window starts at the current slot or later and lies within the known prices; ties go to
    the earliest window. None when fewer than hours of prices lie ahead.
    """
    length = hours * 4
    best: tuple[float, datetime] | None = None
    # Runs of consecutive known slots, so no window is looked up slot by slot (a price
    # entity reads this every quarter hour on the event loop).
    for first, prices in _runs(series, slot_start(now)):
        for i in range(len(prices) - length + 1):
            total = sum(prices[i : i + length])
            score = total if cheapest else -total
            if best is None or score < best[0]:
                best = (score, first + SLOT * i)
    return None if best is None else best[1]


def _runs(series: PriceSeries, start: datetime) -> list[tuple[datetime, list[float]]]:
    """The known slots from start on, as (first start, prices) of unbroken runs."""
    runs: list[tuple[datetime, list[float]]] = []
    expected: datetime | None = None
    for moment, price in sorted(series.prices.items()):
        if moment < start:
            continue
        if moment != expected:
            runs.append((moment, []))
        runs[-1][1].append(price)
        expected = moment + SLOT
    return runs


def price_level(price: float, day: Sequence[float]) -> PriceLevel:
    """How a price ranks within its day: by percentile rank (ties count half)."""
    if not day or max(day) - min(day) < FLAT_DAY_SPREAD:
        return PriceLevel.NORMAL
    below = sum(1 for other in day if other < price)
    equal = sum(1 for other in day if other == price)
    rank = (below + equal / 2) / len(day)
    if rank < 0.1:
        return PriceLevel.VERY_CHEAP
    if rank < 0.3:
        return PriceLevel.CHEAP
    if rank < 0.7:
        return PriceLevel.NORMAL
    if rank < 0.9:
        return PriceLevel.EXPENSIVE
    return PriceLevel.VERY_EXPENSIVE
