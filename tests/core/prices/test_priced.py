"""The priced series and the 2027 tariffs: net metering ends per slot, feed-in modes, the floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from open_hem_core.prices import (
    NL_NET_METERING_END,
    SLOT,
    ExportMode,
    PriceGapError,
    PriceLevel,
    PriceSeries,
    Tariff,
    defaults_for,
    local_day_start,
    priced,
)
from open_hem_core.prices.tariff import NL_FEED_IN_FLOOR_END, NL_RULES, NO_RULES

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YEAR = datetime(2027, 1, 1, tzinfo=AMSTERDAM)


def _nl(**changes: object) -> Tariff:
    """The NL default tariff (net metering, 2026 tax and VAT) with changes."""
    defaults = defaults_for("NL")
    values: dict[str, object] = {
        "energy_tax": defaults.energy_tax,
        "vat_percent": defaults.vat_percent,
        "export_mode": defaults.export_mode,
        "rules": defaults.rules,
        **changes,
    }
    return Tariff(**values)  # type: ignore[arg-type]


def _series(start: datetime, prices: list[float]) -> PriceSeries:
    first = start.astimezone(UTC)
    return PriceSeries({first + SLOT * i: p for i, p in enumerate(prices)})


def test_net_metering_ends_on_new_year_2027_in_amsterdam() -> None:
    """The end is 1 January 2027 00:00 Dutch time, which is 23:00 UTC on New Year's Eve."""
    assert NL_NET_METERING_END == NEW_YEAR
    assert defaults_for("NL").rules is NL_RULES
    assert defaults_for("BE").rules is NO_RULES
    assert datetime(2030, 1, 1, tzinfo=AMSTERDAM) == NL_FEED_IN_FLOOR_END


def test_a_series_spanning_new_year_is_priced_per_slot() -> None:
    """NL default: slots before midnight are netted, slots from midnight on earn spot - cost."""
    tariff = _nl(feed_in_cost=0.01)
    series = priced(_series(NEW_YEAR - timedelta(hours=1), [0.10] * 8), tariff)
    exports = [(slot.start, slot.export) for slot in series]
    before = [export for start, export in exports if start < NEW_YEAR]
    after = [export for start, export in exports if start >= NEW_YEAR]
    assert len(before) == len(after) == 4
    assert before == pytest.approx([tariff.import_price(0.10) - 0.01] * 4)
    assert after == pytest.approx([0.10 - 0.01] * 4)
    # The import price does not change at New Year.
    assert {slot.price for slot in series} == {tariff.import_price(0.10)}
    # The last netted slot and the first feed-in slot, exactly at the boundary.
    assert tariff.export_mode_at(NEW_YEAR - SLOT) is ExportMode.NET_METERING
    assert tariff.export_mode_at(NEW_YEAR) is ExportMode.SPOT
    # An hourly view never mixes the two regimes (the boundary is on the hour)...
    hourly = series.resampled(NEW_YEAR - timedelta(hours=1), NEW_YEAR + timedelta(hours=1), 60)
    assert [slot.export for slot in hourly] == pytest.approx(
        [tariff.import_price(0.10) - 0.01, 0.09]
    )
    # ...and an hour that straddles it is the mean of its quarters.
    straddling = series.resampled(
        NEW_YEAR - timedelta(minutes=30), NEW_YEAR + timedelta(minutes=30), 60
    )
    assert straddling[0].export == pytest.approx((tariff.import_price(0.10) - 0.01 + 0.09) / 2)


@pytest.mark.parametrize(
    ("changes", "export"),
    [
        ({"export_mode": ExportMode.SPOT}, 0.12),
        ({"export_mode": ExportMode.SPOT_MINUS_FEE, "export_fee": 0.03}, 0.09),
        ({"export_mode": ExportMode.FIXED, "feed_in_price": 0.07}, 0.07),
        ({"export_mode": ExportMode.FIXED, "feed_in_price": 0.07, "feed_in_cost": 0.02}, 0.05),
        ({"export_mode": ExportMode.SPOT, "feed_in_cost": 0.02}, 0.10),
    ],
)
def test_a_chosen_feed_in_mode_holds_on_both_sides_of_new_year(
    changes: dict[str, object], export: float
) -> None:
    """A household that chose its feed-in mode gets it for every slot, before 2027 and after."""
    tariff = _nl(**changes)
    for start in (NEW_YEAR - SLOT, NEW_YEAR, datetime(2031, 6, 1, tzinfo=UTC)):
        assert tariff.export_price(0.12, start) == pytest.approx(export)


def test_net_metering_without_an_end_outside_the_netherlands() -> None:
    """Where no law ends net metering it stays net metering."""
    tariff = Tariff(energy_tax=0.05, vat_percent=6, export_mode=ExportMode.NET_METERING)
    late = datetime(2035, 1, 1, tzinfo=UTC)
    assert tariff.export_price(0.1, late) == tariff.import_price(0.1)


def test_fixed_feed_in_below_the_legal_floor_is_reported() -> None:
    """2027-2029: a fixed price below half the mean bare supply price (spot + markup) is found."""
    spots = [0.08, 0.12] * 48  # mean 0.10; bare supply price with 0.02 markup: 0.12
    in_2027 = _series(datetime(2027, 3, 1, tzinfo=AMSTERDAM), spots)
    low = priced(in_2027, _nl(markup=0.02, export_mode=ExportMode.FIXED, feed_in_price=0.05))
    assert low.feed_in_floor is not None
    assert low.feed_in_floor.price == 0.05
    assert low.feed_in_floor.floor == pytest.approx(0.06)
    # At or above the floor: nothing to report.
    fair = _nl(markup=0.02, export_mode=ExportMode.FIXED, feed_in_price=0.06)
    assert priced(in_2027, fair).feed_in_floor is None
    # Before 2027 (net metering) and from 2030 on the floor does not hold.
    in_2026 = _series(datetime(2026, 3, 1, tzinfo=AMSTERDAM), spots)
    in_2030 = _series(datetime(2030, 3, 1, tzinfo=AMSTERDAM), spots)
    low_tariff = _nl(markup=0.02, export_mode=ExportMode.FIXED, feed_in_price=0.01)
    assert priced(in_2026, low_tariff).feed_in_floor is None
    assert priced(in_2030, low_tariff).feed_in_floor is None
    # Spot-linked modes and countries without the rule are not checked.
    assert (
        priced(in_2027, _nl(export_mode=ExportMode.SPOT_MINUS_FEE, export_fee=1)).feed_in_floor
        is None
    )
    elsewhere = Tariff(export_mode=ExportMode.FIXED, feed_in_price=0.0)
    assert priced(in_2027, elsewhere).feed_in_floor is None


def test_priced_series_views() -> None:
    """Quarter hours, display slots, local days, statistics, levels and windows."""
    start = datetime(2025, 11, 26, tzinfo=AMSTERDAM)
    spots = [(100 + i) / 1000 for i in range(96)]
    tariff = _nl()
    series = priced(_series(start, spots), tariff, minutes=60, zone=AMSTERDAM)
    noon = datetime(2025, 11, 26, 12, 10, tzinfo=AMSTERDAM)
    assert len(series) == 96
    assert series.at(noon) is not None
    assert series.at(noon).spot == spots[48]  # type: ignore[union-attr]
    hour = series.slot_at(noon)
    assert hour is not None
    assert hour.start == datetime(2025, 11, 26, 12, tzinfo=AMSTERDAM)
    assert hour.spot == pytest.approx(sum(spots[48:52]) / 4)
    assert hour.price == pytest.approx(tariff.import_price(hour.spot))
    assert series.slot_at(noon, 15) is not None
    assert series.next_slot(noon).start == datetime(2025, 11, 26, 13, tzinfo=AMSTERDAM)  # type: ignore[union-attr]
    assert len(series.day(noon)) == 24
    assert series.day(noon, 1) == []
    stats = series.day_stats(noon)
    assert stats is not None
    assert stats.lowest == pytest.approx(tariff.import_price(sum(spots[:4]) / 4))
    assert series.day_stats(noon + timedelta(days=1)) is None
    assert series.level_at(noon) is PriceLevel.NORMAL
    assert series.level_at(noon + timedelta(days=1)) is None
    assert series.window_start(noon, 1) == datetime(2025, 11, 26, 12, tzinfo=AMSTERDAM)
    assert series.window_start(noon, 1, cheapest=False) == datetime(
        2025, 11, 26, 23, tzinfo=AMSTERDAM
    )
    assert series.day_known(noon)
    assert not series.day_known(noon, 1)
    assert series.import_series.prices[start.astimezone(UTC)] == tariff.import_price(spots[0])
    assert series.export_series.prices[start.astimezone(UTC)] == tariff.import_price(spots[0])
    assert [s.spot for s in series.between(start, start + timedelta(minutes=30))] == spots[:2]
    assert series.day_start(noon) == start.astimezone(UTC)
    with pytest.raises(ValueError, match="15 or 60"):
        priced(PriceSeries(), tariff, minutes=30)


def test_horizon_for_the_planner() -> None:
    """Import and export prices of consecutive quarter hours; a gap is a PriceGapError."""
    tariff = _nl(export_mode=ExportMode.SPOT)
    start = datetime(2025, 11, 26, tzinfo=UTC)
    series = priced(_series(start, [0.1, 0.2, 0.3]), tariff)
    imports, exports = series.horizon(start + timedelta(minutes=5), 3)
    assert imports == [tariff.import_price(p) for p in (0.1, 0.2, 0.3)]
    assert exports == [0.1, 0.2, 0.3]
    with pytest.raises(PriceGapError, match="2025-11-26T00:45Z"):
        series.horizon(start, 4)


def test_local_day_start_across_dst() -> None:
    """Local days start at local midnight, also on the days the clock changes."""
    moment = datetime(2025, 10, 26, 12, tzinfo=UTC)
    assert local_day_start(moment, AMSTERDAM) == datetime(2025, 10, 25, 22, tzinfo=UTC)
    assert local_day_start(moment, AMSTERDAM, 1) == datetime(2025, 10, 26, 23, tzinfo=UTC)
