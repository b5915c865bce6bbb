"""Bundled day-ahead prices for simulated homes, replayed on any dates.

``data/nl_day_ahead_2025-06-10_2025-06-12.xml`` is an ENTSO-E A44 document of 48 hours of NL
day-ahead prices from 2025-06-10 12:00 (Europe/Amsterdam), negative in seven quarter-hours
between 12:45 and 15:00 on the first afternoon; ``data/README.md`` says where they come from.
It is read with the core's own parser (:func:`open_hem_core.prices.parse_a44`).

:func:`replay_prices` lays those 48 hours on any days by local wall-clock time, repeating
every two days: the first day gets 11 June 2025 as it was (a whole market day), the second
the morning of 12 June and the negative afternoon of 10 June, and so on. The two quarter-hours
joined at the second day's noon were 4 EUR/MWh apart, so the seam does not show.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from ..prices import SLOT, PriceSeries, parse_a44

BUNDLED_FILE = "nl_day_ahead_2025-06-10_2025-06-12.xml"
BUNDLED_ZONE = ZoneInfo("Europe/Amsterdam")
FULL_DAY = date(2025, 6, 11)
"""The one whole market day in the document; the first replayed day is this one."""
_NOON = time(12)


@cache
def _bundled() -> PriceSeries:
    body = resources.files(__package__).joinpath("data", BUNDLED_FILE).read_bytes()
    return parse_a44(body)


def bundled_prices() -> PriceSeries:
    """The bundled document's spot prices as they are (EUR/kWh per 15 minutes, UTC keys)."""
    return PriceSeries(dict(_bundled().prices))


def _source_day(offset_days: int, wall: time) -> date:
    if offset_days % 2 == 0:
        return FULL_DAY
    return FULL_DAY + timedelta(days=1 if wall < _NOON else -1)


def replay_prices(
    first_day: date, days: int = 2, timezone: str = "Europe/Amsterdam"
) -> PriceSeries:
    """The bundled prices laid on ``days`` local days from ``first_day`` (default: that day and
    the next, as ENTSO-E has them in the afternoon), by wall-clock time in ``timezone``.

    ``replay_prices(today)`` gives a simulated home today's and tomorrow's prices; tomorrow
    afternoon is the negative one. DST days get 92 or 100 quarter-hours, each priced by its
    local time.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    zone = ZoneInfo(timezone)
    source = _bundled().prices
    start = datetime.combine(first_day, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first_day + timedelta(days=days), time(), tzinfo=zone).astimezone(UTC)
    prices: dict[datetime, float] = {}
    moment = start
    while moment < end:
        wall = moment.astimezone(zone)
        day = _source_day((wall.date() - first_day).days, wall.time())
        original = datetime.combine(day, wall.time(), tzinfo=BUNDLED_ZONE).astimezone(UTC)
        prices[moment] = source[original]
        moment += SLOT
    return PriceSeries(prices)
