"""The price series: one value per 15-minute slot, keyed by the slot's start in UTC."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
import math

SLOT = timedelta(minutes=15)
HOUR = timedelta(hours=1)


def slot_start(moment: datetime) -> datetime:
    """The start (UTC) of the 15-minute slot that contains moment (which must be tz-aware)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def local_day_start(moment: datetime, zone: tzinfo, days: int = 0) -> datetime:
    """The UTC start of the local day (in zone) containing moment, shifted by days."""
    day = moment.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class PriceSlot:
    """One price for the interval [start, end)."""

    start: datetime
    end: datetime
    price: float


@dataclass(slots=True)
class PriceSeries:
    """Spot prices in EUR/kWh per 15-minute slot, keyed by the slot's start (tz-aware UTC).

    Slots are aligned to quarter hours; gaps mean "unknown" (never zero).
    """

    prices: dict[datetime, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Keep the slots sorted so iteration is in time order."""
        self.prices = dict(sorted(self.prices.items()))

    def __len__(self) -> int:
        """The number of known slots."""
        return len(self.prices)

    def __iter__(self) -> Iterator[PriceSlot]:
        """Every known slot, in time order."""
        for start, price in self.prices.items():
            yield PriceSlot(start, start + SLOT, price)

    @property
    def first(self) -> datetime | None:
        """The start of the first known slot."""
        return next(iter(self.prices), None)

    @property
    def last(self) -> datetime | None:
        """The start of the last known slot."""
        return next(reversed(self.prices), None)

    def price_at(self, moment: datetime) -> float | None:
        """The price of the slot containing moment, or None when unknown."""
        return self.prices.get(slot_start(moment))

    def between(self, start: datetime, end: datetime) -> list[PriceSlot]:
        """The known slots that start in [start, end)."""
        return [slot for slot in self if start <= slot.start < end]

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether every slot from start up to end is known."""
        moment = slot_start(start)
        while moment < end:
            if moment not in self.prices:
                return False
            moment += SLOT
        return True

    def merged(self, newer: PriceSeries) -> PriceSeries:
        """A copy with newer's slots added; newer wins where both have a slot."""
        return PriceSeries({**self.prices, **newer.prices})

    def pruned(self, before: datetime) -> PriceSeries:
        """A copy without the slots that start before the given moment."""
        return PriceSeries({k: v for k, v in self.prices.items() if k >= before})

    def resampled(self, minutes: int, start: datetime, end: datetime) -> list[PriceSlot]:
        """Slots of the given length (15 or 60) in [start, end), each the mean of its quarters.

        A coarse slot is only given when all its quarters are known.
        """
        step = timedelta(minutes=minutes)
        result = []
        moment = slot_start(start)
        while moment < end:
            quarters = [self.prices.get(moment + SLOT * i) for i in range(minutes // 15)]
            known = [q for q in quarters if q is not None]
            if len(known) == len(quarters):
                result.append(PriceSlot(moment, moment + step, sum(known) / len(known)))
            moment += step
        return result

    def to_json(self) -> dict[str, float]:
        """A JSON-friendly form (ISO start -> EUR/kWh) for Home Assistant's storage."""
        return {start.isoformat(): price for start, price in self.prices.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> PriceSeries:
        """Read what to_json wrote; anything malformed is left out."""
        prices: dict[datetime, float] = {}
        for key, value in data.items():
            try:
                start = datetime.fromisoformat(key)
            except ValueError:
                continue
            if (
                start.tzinfo is None
                or isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                continue
            prices[slot_start(start)] = float(value)
        return cls(prices)

    @classmethod
    def from_intervals(cls, intervals: Iterable[tuple[datetime, datetime, float]]) -> PriceSeries:
        """Build from (start, end, EUR/kWh) intervals of any whole number of quarter hours."""
        prices: dict[datetime, float] = {}
        for start, end, price in intervals:
            moment = slot_start(start)
            while moment < end:
                prices[moment] = price
                moment += SLOT
        return cls(prices)
