"""S2 forecasts on the planner's slot grid.

An S2 forecast (``PowerForecast``, FRBC ``UsageForecast``, DDBC ``AverageDemandRateForecast``)
is a start time and elements, each holding its values for its duration. Over a slot the value
is the time-weighted mean of the elements the slot overlaps; time the forecast does not cover
counts as 0 (so a slot half past the forecast's end gets half its last value).

For PEBC: ``PEBCHandler.pv_inverter(name, production_forecast_w(session.power_forecast,
slot_start, slot_duration))``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from .units import ELECTRIC_QUANTITIES, duration_ms


def mean_over(
    start_time: datetime,
    elements: Iterable[Any],
    value: Callable[[Any], float],
    start: datetime,
    end: datetime,
) -> float:
    """The time-weighted mean of ``value(element)`` over [start, end) (uncovered time: 0)."""
    t = start_time
    total = 0.0
    for el in elements:
        el_end = t + timedelta(milliseconds=duration_ms(el.duration))
        overlap = (min(end, el_end) - max(start, t)).total_seconds()
        if overlap > 0:
            total += overlap * value(el)
        t = el_end
    return total / max(1e-9, (end - start).total_seconds())


def _quantity(power_value: Any) -> str:
    cq = power_value.commodity_quantity
    return str(getattr(cq, "value", cq))


def _expected(element: Any, quantities: frozenset[str]) -> float:
    """An element's expected values summed over ``quantities``."""
    return sum(float(v.value_expected) for v in element.power_values if _quantity(v) in quantities)


def _require(forecast: Any) -> Any:
    if forecast is None:
        raise ValueError("no PowerForecast yet")
    return forecast


def _per_slot(
    forecast: Any,
    slot_start: Sequence[datetime],
    slot_duration: timedelta,
    quantities: Iterable[str],
) -> list[float]:
    """The expected value summed over ``quantities``, per slot."""
    f = _require(forecast)
    elements = list(f.elements)
    wanted = frozenset(quantities)

    def expected(element: Any) -> float:
        return _expected(element, wanted)

    return [mean_over(f.start_time, elements, expected, s, s + slot_duration) for s in slot_start]


def power_forecast_per_slot(
    forecast: Any, slot_start: Sequence[datetime], slot_duration: timedelta
) -> dict[str, list[float]]:
    """Per commodity quantity (in the forecast's order), the expected value per slot (W for
    electric power; S2's sign: consumption positive, production negative)."""
    quantities = dict.fromkeys(
        _quantity(v) for el in _require(forecast).elements for v in el.power_values
    )
    return {cq: _per_slot(forecast, slot_start, slot_duration, (cq,)) for cq in quantities}


def electric_forecast_w(
    forecast: Any, slot_start: Sequence[datetime], slot_duration: timedelta
) -> list[float]:
    """The expected electric power per slot (W, consumption positive), summed over phases."""
    return _per_slot(forecast, slot_start, slot_duration, ELECTRIC_QUANTITIES)


def production_forecast_w(
    forecast: Any, slot_start: Sequence[datetime], slot_duration: timedelta
) -> list[float]:
    """The expected production per slot (W produced, >= 0): the ``forecast_w`` that
    ``PEBCHandler.pv_inverter`` takes (a slot of net consumption counts as 0)."""
    return [max(0.0, -p) for p in electric_forecast_w(forecast, slot_start, slot_duration)]
