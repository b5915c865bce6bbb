"""The all-in priced series: spot, import and export price per slot, computed once per update.

``priced(series, tariff)`` applies the tariff to every 15-minute slot once; the price entities,
the ``get_prices`` action and the planner all read the result, so they can never disagree. The
export price is decided per slot (Dutch net metering ends on 1 January 2027, so a series that
spans New Year is netted before midnight and paid the feed-in price after it).

For the planner: ``PricedSeries.horizon(start, count)`` gives the import and export prices of
``count`` consecutive quarter hours, or raises ``PriceGapError`` naming the first unknown slot.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from .analysis import DayStats, PriceLevel, best_window, price_level, stats
from .errors import PriceGapError
from .series import SLOT, PriceSeries, PriceSlot, local_day_start, slot_start
from .tariff import ExportMode, Tariff


@dataclass(frozen=True, slots=True)
class PricedSlot:
    """The prices of the interval [start, end) in EUR/kWh."""

    start: datetime
    end: datetime
    # The day-ahead price, without anything added.
    spot: float
    # The all-in price of one imported kWh (VAT included).
    price: float
    # What one exported kWh earns (after the feed-in cost).
    export: float


@dataclass(frozen=True, slots=True)
class FeedInFloor:
    """A fixed feed-in price below the legal floor (NL 2027-2029: half the bare supply price)."""

    # The configured fixed feed-in price (EUR/kWh).
    price: float
    # The floor: the legal share of the mean bare supply price of the slots it covers.
    floor: float


class PricedSeries:
    """Spot, all-in import and export prices per 15-minute slot (keys: the slot's UTC start).

    ``minutes`` (15 or 60) and ``zone`` are how the household looks at its prices: the display
    resolution of ``slot_at``, ``day``, ``day_stats`` and ``level_at``, and the zone its days are
    counted in. Everything per quarter hour (``at``, ``between``, ``horizon``) ignores them.
    """

    __slots__ = (
        "_days",
        "_export",
        "_import",
        "feed_in_floor",
        "minutes",
        "slots",
        "spot",
        "tariff",
        "zone",
    )

    def __init__(
        self, spot: PriceSeries, tariff: Tariff, *, minutes: int = 15, zone: tzinfo = UTC
    ) -> None:
        """Price every slot of the spot series once."""
        if minutes not in (15, 60):
            raise ValueError(f"minutes must be 15 or 60, not {minutes}")
        self.spot = spot
        self.tariff = tariff
        self.minutes = minutes
        self.zone = zone
        self.slots: dict[datetime, PricedSlot] = {
            start: PricedSlot(
                start,
                start + SLOT,
                value,
                tariff.import_price(value),
                tariff.export_price(value, start),
            )
            for start, value in spot.prices.items()
        }
        self._import = PriceSeries({k: s.price for k, s in self.slots.items()})
        self._export = PriceSeries({k: s.export for k, s in self.slots.items()})
        self.feed_in_floor = _feed_in_floor(spot, tariff)
        # The display slots per local day: the day's price entities read them every
        # quarter hour on the event loop, and the series never changes once made.
        self._days: dict[datetime, tuple[PricedSlot, ...]] = {}

    # -- per quarter hour ------------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of known slots."""
        return len(self.slots)

    def __iter__(self) -> Iterator[PricedSlot]:
        """Every known slot, in time order."""
        return iter(self.slots.values())

    @property
    def import_series(self) -> PriceSeries:
        """The all-in import price per slot, as a price series (for analysis)."""
        return self._import

    @property
    def export_series(self) -> PriceSeries:
        """The export price per slot, as a price series."""
        return self._export

    def at(self, moment: datetime) -> PricedSlot | None:
        """The quarter hour containing moment, or None when its price is unknown."""
        return self.slots.get(slot_start(moment))

    def between(self, start: datetime, end: datetime) -> list[PricedSlot]:
        """The known quarter hours that start in [start, end)."""
        return [slot for slot in self.slots.values() if start <= slot.start < end]

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether every quarter hour from start up to end has a price."""
        return self.spot.covers(start, end)

    def horizon(self, start: datetime, count: int) -> tuple[list[float], list[float]]:
        """Import and export prices of count quarter hours from start's slot: the planner's input.

        Raises PriceGapError naming the first slot without a price.
        """
        first = slot_start(start)
        imports: list[float] = []
        exports: list[float] = []
        for index in range(count):
            slot = self.slots.get(first + SLOT * index)
            if slot is None:
                raise PriceGapError(
                    f"no price for the slot at {first + SLOT * index:%Y-%m-%dT%H:%MZ}"
                )
            imports.append(slot.price)
            exports.append(slot.export)
        return imports, exports

    # -- at a resolution -------------------------------------------------------------------------

    def resampled(
        self, start: datetime, end: datetime, minutes: int | None = None
    ) -> list[PricedSlot]:
        """Slots of minutes (default: the display resolution) in [start, end), whole ones only.

        A coarse slot's spot and export are the means of its quarters; its import price is the
        import price of the mean spot (the same number: the import price is linear in spot).
        """
        minutes = minutes or self.minutes
        step = timedelta(minutes=minutes)
        result = []
        for coarse in self.spot.resampled(minutes, start, end):
            quarters = [self.slots[coarse.start + SLOT * i] for i in range(minutes // 15)]
            export = sum(q.export for q in quarters) / len(quarters)
            result.append(
                PricedSlot(
                    coarse.start,
                    coarse.start + step,
                    coarse.price,
                    self.tariff.import_price(coarse.price),
                    export,
                )
            )
        return result

    def slot_at(self, moment: datetime, minutes: int | None = None) -> PricedSlot | None:
        """The display slot (local clock: the quarter or the hour) containing moment."""
        minutes = minutes or self.minutes
        local = moment.astimezone(self.zone)
        floor = local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)
        start = floor.astimezone(UTC)
        found = self.resampled(start, start + timedelta(minutes=minutes), minutes)
        return found[0] if found else None

    def next_slot(self, moment: datetime) -> PricedSlot | None:
        """The display slot after the one containing moment."""
        return self.slot_at(moment + timedelta(minutes=self.minutes))

    def day_start(self, moment: datetime, days: int = 0) -> datetime:
        """The UTC start of the household's local day containing moment, shifted by days."""
        return local_day_start(moment, self.zone, days)

    def day(self, moment: datetime, days: int = 0) -> list[PricedSlot]:
        """The known display slots of the local day containing moment (shifted by days)."""
        start = self.day_start(moment, days)
        if (found := self._days.get(start)) is None:
            found = tuple(self.resampled(start, self.day_start(moment, days + 1)))
            self._days[start] = found
        return list(found)

    def day_stats(self, moment: datetime) -> DayStats | None:
        """Lowest, highest and mean all-in import price of moment's local day (display slots)."""
        spots = stats([PriceSlot(slot.start, slot.end, slot.spot) for slot in self.day(moment)])
        if spots is None:
            return None
        price = self.tariff.import_price
        return DayStats(price(spots.lowest), price(spots.highest), price(spots.average))

    def level_at(self, moment: datetime) -> PriceLevel | None:
        """How the current display slot's price ranks within its local day."""
        slot = self.slot_at(moment)
        if slot is None:
            return None
        return price_level(slot.spot, [other.spot for other in self.day(moment)])

    def window_start(self, now: datetime, hours: int, *, cheapest: bool = True) -> datetime | None:
        """The start of the cheapest (or dearest) all-in window of hours from now on."""
        return best_window(self._import, now, hours, cheapest=cheapest)

    def day_known(self, moment: datetime, days: int = 0) -> bool:
        """Whether every quarter hour of the local day (shifted by days) has a price."""
        return self.covers(self.day_start(moment, days), self.day_start(moment, days + 1))


def priced(
    series: PriceSeries, tariff: Tariff, *, minutes: int = 15, zone: tzinfo = UTC
) -> PricedSeries:
    """The spot series with the tariff applied to every slot (see PricedSeries)."""
    return PricedSeries(series, tariff, minutes=minutes, zone=zone)


def _feed_in_floor(series: PriceSeries, tariff: Tariff) -> FeedInFloor | None:
    """The legal floor when a fixed feed-in price lies below it for the known slots it covers."""
    if tariff.export_mode is not ExportMode.FIXED:
        return None
    covered = [
        tariff.bare_supply_price(value)
        for start, value in series.prices.items()
        if tariff.rules.floor_applies(start)
    ]
    if not covered:
        return None
    floor = tariff.rules.floor_share * sum(covered) / len(covered)
    return FeedInFloor(tariff.feed_in_price, floor) if tariff.feed_in_price < floor else None
