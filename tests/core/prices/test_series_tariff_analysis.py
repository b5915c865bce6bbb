"""The price series model, all-in tariffs, analysis and bidding zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings, strategies as st
import pytest

from open_hem_core.prices.analysis import (
    PriceLevel,
    best_window,
    price_level,
    stats,
)
from open_hem_core.prices.series import SLOT, PriceSeries, slot_start
from open_hem_core.prices.tariff import (
    BE_DEFAULTS,
    NL_DEFAULTS,
    OTHER_DEFAULTS,
    ExportMode,
    Tariff,
    defaults_for,
)
from open_hem_core.prices.zones import BIDDING_ZONES, default_zone, eic

T0 = datetime(2025, 6, 1, 22, tzinfo=UTC)


def _series(prices: list[float], start: datetime = T0) -> PriceSeries:
    return PriceSeries({start + SLOT * i: p for i, p in enumerate(prices)})


def test_slot_start() -> None:
    """Moments fall into their quarter hour; naive datetimes are refused."""
    assert slot_start(datetime(2025, 1, 1, 10, 29, 59, tzinfo=UTC)) == datetime(
        2025, 1, 1, 10, 15, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="naive"):
        slot_start(datetime(2025, 1, 1))


def test_series_basics() -> None:
    """Lookup, coverage, merging, pruning and hourly resampling."""
    series = _series([0.1, 0.2, 0.3, 0.4, 0.5])
    assert series.price_at(T0 + timedelta(minutes=20)) == 0.2
    assert series.price_at(T0 - SLOT) is None
    assert series.covers(T0, T0 + SLOT * 5)
    assert not series.covers(T0, T0 + SLOT * 6)
    merged = series.merged(_series([9.0], T0 + SLOT * 4)).merged(_series([1.0], T0 + SLOT * 5))
    assert [slot.price for slot in merged] == [0.1, 0.2, 0.3, 0.4, 9.0, 1.0]
    assert merged.pruned(T0 + SLOT * 4).first == T0 + SLOT * 4
    hourly = series.resampled(60, T0, T0 + timedelta(hours=2))
    assert len(hourly) == 1  # the second hour is incomplete
    assert hourly[0].price == pytest.approx(0.25)
    assert hourly[0].end == T0 + timedelta(hours=1)
    assert PriceSeries().first is None
    assert PriceSeries().last is None


def test_series_json_round_trip_and_junk() -> None:
    """What is stored comes back; malformed stored entries are left out."""
    series = _series([0.1, -0.2])
    assert PriceSeries.from_json(series.to_json()).prices == series.prices
    junk = {
        "nonsense": 1.0,
        "2025-01-01T00:00:00": 1.0,  # naive
        "2025-01-01T00:15:00+00:00": "1.0",
        "2025-01-01T00:30:00+00:00": True,
        "2025-01-01T00:45:00+00:00": float("inf"),
        "2025-01-01T01:00:00+00:00": 2,
    }
    assert PriceSeries.from_json(junk).prices == {datetime(2025, 1, 1, 1, tzinfo=UTC): 2.0}


def test_from_intervals() -> None:
    """Hourly intervals become four quarters."""
    series = PriceSeries.from_intervals([(T0, T0 + timedelta(hours=1), 0.3)])
    assert len(series) == 4


def test_tariff_nl_all_in() -> None:
    """NL 2026: (spot + markup + 0.0916) x 1.21; net metering pays the import price."""
    tariff = Tariff(
        markup=0.02,
        energy_tax=NL_DEFAULTS.energy_tax,
        vat_percent=NL_DEFAULTS.vat_percent,
        export_mode=NL_DEFAULTS.export_mode,
    )
    assert tariff.import_price(0.10) == pytest.approx((0.10 + 0.02 + 0.0916) * 1.21)
    assert tariff.export_price(0.10, T0) == tariff.import_price(0.10)
    assert tariff.import_price(-0.05) == pytest.approx((-0.05 + 0.02 + 0.0916) * 1.21)


def test_tariff_export_modes() -> None:
    """Spot pays spot; spot minus fee subtracts the fee; fixed pays the fixed price."""
    assert Tariff(export_mode=ExportMode.SPOT).export_price(0.08, T0) == 0.08
    assert Tariff(export_mode=ExportMode.SPOT_MINUS_FEE, export_fee=0.02).export_price(
        0.08, T0
    ) == pytest.approx(0.06)
    assert Tariff(export_mode=ExportMode.FIXED, feed_in_price=0.05).export_price(0.3, T0) == 0.05


def test_defaults_per_country() -> None:
    """NL and BE have their own defaults with their year; others start at zero."""
    assert defaults_for("nl") is NL_DEFAULTS
    assert defaults_for("BE") is BE_DEFAULTS
    assert BE_DEFAULTS.vat_percent == 6.0
    assert NL_DEFAULTS.year == 2026
    assert defaults_for(None) is OTHER_DEFAULTS
    assert defaults_for("FR") is OTHER_DEFAULTS


def test_stats_and_windows() -> None:
    """Lowest/highest/average and the cheapest and dearest upcoming windows."""
    prices = [0.3] * 4 + [0.1] * 4 + [0.5] * 4 + [0.2] * 4
    series = _series(prices)
    day = stats(series.between(T0, T0 + timedelta(days=1)))
    assert day is not None
    assert (day.lowest, day.highest) == (0.1, 0.5)
    assert day.average == pytest.approx(0.275)
    assert stats([]) is None
    assert best_window(series, T0, 1) == T0 + timedelta(hours=1)
    assert best_window(series, T0, 1, cheapest=False) == T0 + timedelta(hours=2)
    # From 02:10 on only 02:00-03:00 and the windows after are considered.
    now = T0 + timedelta(hours=2, minutes=10)
    assert best_window(series, now, 1) == T0 + timedelta(hours=3)
    assert best_window(series, T0, 2) == T0 + timedelta(hours=0)
    assert best_window(series, T0, 5) is None
    # A gap makes windows over it impossible.
    gappy = PriceSeries({k: v for k, v in series.prices.items() if k != T0 + SLOT * 5})
    assert best_window(gappy, T0, 1) == T0 + timedelta(hours=3)


def _window_by_brute_force(
    series: PriceSeries, now: datetime, hours: int, cheapest: bool
) -> datetime | None:
    """Every window looked up slot by slot (the definition best_window must keep)."""
    best: tuple[float, datetime] | None = None
    for start in (s for s in series.prices if s >= slot_start(now)):
        window = [series.prices.get(start + SLOT * i) for i in range(hours * 4)]
        if any(price is None for price in window):
            continue
        total = sum(price for price in window if price is not None)
        score = total if cheapest else -total
        if best is None or score < best[0]:
            best = (score, start)
    return None if best is None else best[1]


@settings(max_examples=150, deadline=None)
@given(
    # few distinct prices so that ties are common
    prices=st.lists(st.sampled_from([0.1, 0.2, 0.3]), max_size=60),
    gaps=st.sets(st.integers(0, 59), max_size=3),
    offset=st.integers(0, 45),
    hours=st.integers(1, 3),
    cheapest=st.booleans(),
)
def test_best_window_is_the_earliest_best_window(
    prices: list[float], gaps: set[int], offset: int, hours: int, cheapest: bool
) -> None:
    """Over gaps and ties: the same window as looking at every start in turn."""
    series = PriceSeries({T0 + SLOT * i: p for i, p in enumerate(prices) if i not in gaps})
    now = T0 + timedelta(minutes=offset * 5)
    expected = _window_by_brute_force(series, now, hours, cheapest)
    assert best_window(series, now, hours, cheapest=cheapest) == expected


def test_price_levels() -> None:
    """Levels rank a price within its day; a flat day is normal throughout."""
    day = [i / 100 for i in range(100)]
    assert price_level(0.0, day) is PriceLevel.VERY_CHEAP
    assert price_level(0.2, day) is PriceLevel.CHEAP
    assert price_level(0.5, day) is PriceLevel.NORMAL
    assert price_level(0.8, day) is PriceLevel.EXPENSIVE
    assert price_level(0.99, day) is PriceLevel.VERY_EXPENSIVE
    assert price_level(0.2, [0.2, 0.205, 0.2]) is PriceLevel.NORMAL
    assert price_level(0.2, []) is PriceLevel.NORMAL


def test_zones() -> None:
    """Every zone has a 16-character EIC; defaults follow the country."""
    assert all(len(code) == 16 for code, _ in BIDDING_ZONES.values())
    assert len({code for code, _ in BIDDING_ZONES.values()}) == len(BIDDING_ZONES)
    assert eic("NL") == "10YNL----------L"
    assert default_zone("be") == "BE"
    assert default_zone("DE") == "DE_LU"
    assert default_zone("SE") == "SE_3"
    assert default_zone("US") == "NL"
    assert default_zone(None) == "NL"
