"""Power is averaged over the interval; totals never go backwards."""

from __future__ import annotations

from open_hem_core.p1.averaging import PowerAverager, TotalGuard


def test_time_weighted_mean() -> None:
    """Each value counts for as long as it held."""
    averager = PowerAverager(["p", "q"])
    averager.add(0.0, {"p": 100.0, "q": 10.0})
    averager.add(1.0, {"p": 200.0, "q": None})  # q no longer reported
    averager.add(4.0, {"p": 0.0})
    assert averager.flush(5.0) == {"p": round((100 * 1 + 200 * 3 + 0 * 1) / 5, 1), "q": 10.0}
    # The next interval starts at the flush with the last value still holding.
    assert averager.flush(10.0) == {"p": 0.0}


def test_single_value_and_reset() -> None:
    """A reading with no time elapsed is its own mean; reset forgets everything."""
    averager = PowerAverager(["p"])
    assert averager.flush(0.0) == {}
    averager.add(3.0, {"p": 42.0, "other": 1.0})
    assert averager.flush(3.0) == {"p": 42.0}
    averager.reset()
    assert averager.flush(4.0) == {}


def test_sampling_would_differ() -> None:
    """Five 1 s telegrams 0, 0, 0, 0, 5000 W average to 1000 W, not to the last sample."""
    averager = PowerAverager(["p"])
    for second, watts in enumerate([0.0, 0.0, 0.0, 0.0, 5000.0]):
        averager.add(float(second), {"p": watts})
    assert averager.flush(5.0) == {"p": 1000.0}


def test_total_guard() -> None:
    """Equal or higher passes, lower is dropped and counted, per key."""
    guard = TotalGuard()
    assert guard.check("a", 10.0) == 10.0
    assert guard.check("a", 10.0) == 10.0
    assert guard.check("a", 9.5) is None
    assert guard.check("a", 11.0) == 11.0
    assert guard.check("b", 1.0) == 1.0
    assert guard.check("b", None) is None
    assert guard.dropped == 1


def test_total_guard_reset_accepts_a_new_meter() -> None:
    """After reset (a replaced meter) lower totals pass; the count of drops is kept."""
    guard = TotalGuard()
    guard.check("import_total_kwh", 1000.0)
    assert guard.check("import_total_kwh", 0.5) is None
    guard.reset()
    assert guard.highest("import_total_kwh") is None
    assert guard.check("import_total_kwh", 0.5) == 0.5
    assert guard.check("import_total_kwh", 0.4) is None
    assert guard.dropped == 2
