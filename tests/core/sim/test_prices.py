"""The bundled NL day-ahead prices, parsed by the core's A44 parser and replayed on any dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from open_hem_core.prices import SLOT
from open_hem_core.sim import bundled_prices, replay_prices

AMS = ZoneInfo("Europe/Amsterdam")
SCENARIO = Path(__file__).resolve().parents[1] / "planner" / "fixtures" / "scenario_48h_15min.json"


def test_the_bundled_document_is_the_anchor_scenarios_spot_price() -> None:
    """192 quarter-hours from 2025-06-10 12:00, equal to the scenario's export (spot) price;
    negative in seven quarter-hours between 12:45 and 15:00 that afternoon."""
    scenario = json.loads(SCENARIO.read_text())
    prices = bundled_prices()
    assert len(prices) == 192
    assert prices.first == datetime.fromisoformat(scenario["start"]).astimezone(UTC)
    assert list(prices.prices.values()) == pytest.approx(scenario["export_price_eur_per_kwh"])
    negative = [start.astimezone(AMS) for start, price in prices.prices.items() if price < 0]
    assert negative[0] == datetime(2025, 6, 10, 12, 45, tzinfo=AMS)
    assert negative[-1] == datetime(2025, 6, 10, 14, 45, tzinfo=AMS)
    assert len(negative) == 7
    assert min(prices.prices.values()) == pytest.approx(-0.012)
    bundled_prices().prices.clear()  # a copy: the cache is untouched
    assert len(bundled_prices()) == 192


def _local(series_start: datetime) -> datetime:
    return series_start.astimezone(AMS)


def test_replay_gives_today_and_tomorrow_with_a_negative_afternoon_tomorrow() -> None:
    """Today is 11 June 2025 as it was; tomorrow the morning of 12 June and the afternoon of
    10 June (negative); every quarter-hour of both days known."""
    original = bundled_prices()
    today = date(2026, 11, 30)
    prices = replay_prices(today)
    assert len(prices) == 192
    assert prices.first == datetime.combine(today, time(), tzinfo=AMS).astimezone(UTC)
    assert prices.covers(prices.first, prices.first + timedelta(days=2))

    def source(day: date, wall: time) -> float:
        moment = datetime.combine(day, wall, tzinfo=AMS)
        return original.prices[moment.astimezone(UTC)]

    for start, price in prices.prices.items():
        local = _local(start)
        if local.date() == today:
            assert price == source(date(2025, 6, 11), local.time())
        elif local.hour < 12:
            assert price == source(date(2025, 6, 12), local.time())
        else:
            assert price == source(date(2025, 6, 10), local.time())
    negative = {_local(s) for s, p in prices.prices.items() if p < 0}
    assert negative
    assert all(m.date() == today + timedelta(days=1) for m in negative)
    assert all(12 <= m.hour < 15 for m in negative)
    third = replay_prices(today, days=3)
    assert len(third) == 288
    assert third.price_at(datetime.combine(today + timedelta(days=2), time(3), tzinfo=AMS)) == (
        source(date(2025, 6, 11), time(3))
    )


def test_replay_on_dst_days_and_elsewhere() -> None:
    """A spring-forward day has 92 quarter-hours, each priced by its wall-clock time; other
    zones replay by their own clock; at least one day."""
    spring = replay_prices(date(2026, 3, 29), days=1)
    assert len(spring) == 92
    autumn = replay_prices(date(2026, 10, 25), days=1)
    assert len(autumn) == 100
    london = replay_prices(date(2026, 7, 1), days=1, timezone="Europe/London")
    first = london.prices[datetime(2026, 6, 30, 23, tzinfo=UTC)]
    assert first == bundled_prices().prices[datetime(2025, 6, 10, 22, tzinfo=UTC)]
    # 03:00 local comes straight after 01:45 and is priced as 03:00 on 11 June 2025
    three = datetime(2026, 3, 29, 3, tzinfo=AMS).astimezone(UTC)
    assert spring.prices[three] == bundled_prices().prices[datetime(2025, 6, 11, 1, tzinfo=UTC)]
    assert three - SLOT in spring.prices
    with pytest.raises(ValueError, match="at least"):
        replay_prices(date(2026, 1, 1), days=0)
