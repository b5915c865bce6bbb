"""Build A44 documents for edge cases the real documents do not cover."""

from __future__ import annotations

from collections.abc import Sequence

NS_73 = "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3"
NS_70 = "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:0"


def period(start: str, end: str, resolution: str, points: Sequence[tuple[int, float]]) -> str:
    """One <Period> with (position, EUR/MWh) points."""
    body = "".join(
        f"<Point><position>{pos}</position><price.amount>{price}</price.amount></Point>"
        for pos, price in points
    )
    return (
        f"<Period><timeInterval><start>{start}</start><end>{end}</end></timeInterval>"
        f"<resolution>{resolution}</resolution>{body}</Period>"
    )


def series(*periods: str, sequence: int | None = None, currency: str = "EUR") -> str:
    """One <TimeSeries>, optionally with a classification sequence (DE-LU)."""
    seq = (
        ""
        if sequence is None
        else f"<classificationSequence_AttributeInstanceComponent.position>{sequence}"
        "</classificationSequence_AttributeInstanceComponent.position>"
    )
    return (
        f"<TimeSeries><mRID>1</mRID><businessType>A62</businessType>{seq}"
        f"<currency_Unit.name>{currency}</currency_Unit.name>"
        "<price_Measure_Unit.name>MWH</price_Measure_Unit.name>"
        f"<curveType>A03</curveType>{''.join(periods)}</TimeSeries>"
    )


def document(*timeseries: str, namespace: str = NS_73) -> str:
    """A Publication_MarketDocument holding the given TimeSeries."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<Publication_MarketDocument xmlns="{namespace}"><type>A44</type>'
        f"{''.join(timeseries)}</Publication_MarketDocument>"
    )


def day(start: str, end: str, count: int, resolution: str = "PT15M", base: float = 100.0) -> str:
    """A full document of count points with prices base, base+1, ..."""
    return document(
        series(period(start, end, resolution, [(i, base + i - 1) for i in range(1, count + 1)]))
    )
