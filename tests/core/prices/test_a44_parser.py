"""The A44 parser on the real ENTSO-E documents and on generated edge cases."""

from __future__ import annotations

from datetime import UTC, datetime
import itertools
from pathlib import Path

import pytest

from open_hem_core.prices.a44_parser import MAX_BODY_BYTES, parse_a44
from open_hem_core.prices.errors import EntsoeNoData, EntsoeParseError
from open_hem_core.prices.series import SLOT

from .a44 import NS_70, day, document, period, series

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "entsoe"


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_real_hourly_document_becomes_96_quarters() -> None:
    """A PT60M day (BE) gives 96 quarter hours, each hour's price repeated, in EUR/kWh."""
    prices = parse_a44(_read("entsoe_BE_60M.xml"))
    assert len(prices) == 96
    slots = list(prices)
    assert slots[0].start.tzinfo is UTC
    # Every slot follows the previous one: one continuous series.
    assert all(b.start - a.start == SLOT for a, b in itertools.pairwise(slots))
    for hour in range(24):
        quarter = {slot.price for slot in slots[hour * 4 : hour * 4 + 4]}
        assert len(quarter) == 1


def test_real_exact_quarter_hours() -> None:
    """Four PT15M points: 55.35, 44.22, 40.32, 31.86 EUR/MWh."""
    prices = parse_a44(_read("entsoe_BE_15M_exact4.xml"))
    assert [round(slot.price, 5) for slot in prices] == [0.05535, 0.04422, 0.04032, 0.03186]
    assert prices.first == _utc("2024-10-05T22:00")
    assert prices.last == _utc("2024-10-05T22:45")


def test_real_mixed_document_fills_a03_gaps() -> None:
    """Two gappy PT15M days and one PT60M day become 3 x 96 continuous quarters."""
    prices = parse_a44(_read("entsoe_BE_60M_15M_mix.xml"))
    assert len(prices) == 3 * 96
    assert prices.covers(_utc("2024-10-05T22:00"), _utc("2024-10-08T22:00"))
    # Positions 2-4 are missing: they repeat position 1 (55.35).
    first_hour = [
        slot.price for slot in prices.between(_utc("2024-10-05T22:00"), _utc("2024-10-05T23:00"))
    ]
    assert first_hour == [pytest.approx(0.05535)] * 4
    # Day one jumps from position 53 to 61: positions 54-60 repeat 53's price.
    p53 = prices.price_at(_utc("2024-10-05T22:00") + SLOT * 52)
    for position in range(54, 61):
        assert prices.price_at(_utc("2024-10-05T22:00") + SLOT * (position - 1)) == p53
    # Day one's last point is position 93: 94-96 repeat it (a gap at the period's end).
    p93 = prices.price_at(_utc("2024-10-05T22:00") + SLOT * 92)
    assert prices.price_at(_utc("2024-10-06T21:45")) == p93


def test_acknowledgement_means_no_data() -> None:
    """Reason 999 is not an error: it says nothing is published yet."""
    with pytest.raises(EntsoeNoData, match="No matching data found"):
        parse_a44(_read("entsoe_acknowledgement_no_data_example.xml"))


def test_other_acknowledgement_is_a_parse_error() -> None:
    """An acknowledgement for another reason is reported with its code and text."""
    body = _read("entsoe_acknowledgement_no_data_example.xml").replace(
        b"<code>999</code>", b"<code>A59</code>"
    )
    with pytest.raises(EntsoeParseError, match="A59"):
        parse_a44(body)


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        ("2025-03-29T23:00Z", "2025-03-30T22:00Z", 92),  # spring forward: 23 h
        ("2025-10-25T22:00Z", "2025-10-26T23:00Z", 100),  # fall back: 25 h
    ],
)
def test_dst_days(start: str, end: str, count: int) -> None:
    """DST days have 92 or 100 quarter hours, all kept in order."""
    prices = parse_a44(day(start, end, count))
    assert len(prices) == count
    assert prices.covers(_utc(start[:-1]), _utc(end[:-1]))
    assert [slot.price for slot in prices] == pytest.approx(
        [(100 + i) / 1000 for i in range(count)]
    )


def test_other_namespace_version_and_str_body() -> None:
    """The namespace version does not matter; text bodies work too."""
    prices = parse_a44(
        document(
            series(period("2025-01-01T00:00Z", "2025-01-01T01:00Z", "PT60M", [(1, 80)])),
            namespace=NS_70,
        )
    )
    assert [slot.price for slot in prices] == [0.08] * 4


def test_no_namespace_and_pt30m() -> None:
    """Documents without a namespace and PT30M periods parse too."""
    body = document(
        series(period("2025-01-01T00:00Z", "2025-01-01T01:00Z", "PT30M", [(1, 10), (2, 20)]))
    )
    body = body.replace(' xmlns="urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3"', "")
    assert [slot.price for slot in parse_a44(body)] == [0.01, 0.01, 0.02, 0.02]


def test_de_lu_keeps_sequence_one() -> None:
    """DE-LU publishes two sequences; only classification sequence 1 is the day-ahead price."""
    one = series(period("2025-01-01T00:00Z", "2025-01-01T00:15Z", "PT15M", [(1, 50)]), sequence=1)
    two = series(period("2025-01-01T00:00Z", "2025-01-01T00:15Z", "PT15M", [(1, 999)]), sequence=2)
    prices = parse_a44(document(two, one))
    assert [slot.price for slot in prices] == [0.05]


def test_finer_resolution_wins_where_both_cover() -> None:
    """A document with the same hour at PT60M and PT15M keeps the quarter-hour prices."""
    hourly = series(period("2025-01-01T00:00Z", "2025-01-01T02:00Z", "PT60M", [(1, 40), (2, 60)]))
    quarter = series(period("2025-01-01T00:00Z", "2025-01-01T01:00Z", "PT15M", [(1, 1), (3, 3)]))
    prices = parse_a44(document(quarter, hourly))
    assert [slot.price for slot in prices] == pytest.approx(
        [0.001, 0.001, 0.003, 0.003, 0.06, 0.06, 0.06, 0.06]
    )


def test_negative_prices_are_normal() -> None:
    """Negative prices are real and kept."""
    body = document(series(period("2025-05-01T10:00Z", "2025-05-01T10:15Z", "PT15M", [(1, -12.5)])))
    assert [slot.price for slot in parse_a44(body)] == [-0.0125]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Publication_MarketDocument>&lol2;</Publication_MarketDocument>"""


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b"   \n", "empty body"),
        (b"<html><body>503 Service Unavailable</body></html>", "an HTML page, not a price"),
        (b"<!doctype html><html></html>", "an HTML page, not a price document"),
        (BILLION_LAUGHS, "DOCTYPE"),
        (b'<!ENTITY x SYSTEM "file:///etc/passwd">', "ENTITY"),
        (b"<Publication_MarketDocument><TimeSeries>", "not XML"),
        (b"\x00\xff garbage", "not XML"),
        (b"<Some_Other_Document/>", "unexpected document 'Some_Other_Document'"),
        (b"x" * (MAX_BODY_BYTES + 1), "larger than"),
        (
            document(series(period("2025-01-01T00:00Z", "2025-01-01T00:15Z", "PT15M", [(1, 1e9)]))),
            "absurd price",
        ),
        (
            document(
                series(
                    period("2025-01-01T00:00Z", "2025-01-01T00:15Z", "PT15M", [(1, float("nan"))])
                )
            ),
            "absurd price",
        ),
        (
            document(series(period("2025-01-01T00:00Z", "2025-01-01T00:15Z", "PT15M", [(2, 1)]))),
            "position 2 outside",
        ),
        (
            document(series(period("2025-01-01T00:00Z", "2025-01-01T00:30Z", "PT15M", [(2, 1)]))),
            "lacks position 1",
        ),
        (
            document(series(period("2025-01-01T00:00Z", "2025-01-01T00:30Z", "PT15M", []))),
            "no points",
        ),
        (
            document(
                series(period("2025-01-01T00:00Z", "2025-01-01T00:15Z", "PT15M", [(1, "abc")]))
            ),  # type: ignore[list-item]
            "bad point",
        ),
        (
            document(series(period("2025-01-01T00:00Z", "2025-01-01T00:15Z", "P1D", [(1, 1)]))),
            "unsupported resolution",
        ),
        (
            document(series(period("2025-01-01T00:00Z", "2025-01-01T00:15Z", "PT5M", [(1, 1)]))),
            "unsupported resolution",
        ),
        (
            document(series(period("2025-01-01T00:00Z", "2025-01-01T00:15Z", "PT", [(1, 1)]))),
            "unsupported resolution",
        ),
        (
            document(series(period("2025-01-01T01:00Z", "2025-01-01T00:00Z", "PT15M", [(1, 1)]))),
            "bad period",
        ),
        (
            document(series(period("2025-01-01T00:05Z", "2025-01-01T00:20Z", "PT15M", [(1, 1)]))),
            "bad period",
        ),
        (
            document(series(period("yesterday", "2025-01-01T00:15Z", "PT15M", [(1, 1)]))),
            "bad time",
        ),
        (
            document(
                series(
                    period("2025-01-01T00:00Z", "2025-01-01T00:15Z", "PT15M", [(1, 1)]),
                    currency="PLN",
                )
            ),
            "currency PLN",
        ),
        (
            document(
                series(period("2025-01-01T00:00Z", "2025-01-01T00:15Z", "PT15M", [(1, 1)])).replace(
                    ">MWH<", ">KWH<"
                )
            ),
            "price unit KWH",
        ),
        (
            document("<TimeSeries><Period><resolution>PT15M</resolution></Period></TimeSeries>"),
            "missing timeInterval/start",
        ),
    ],
)
def test_bad_input_is_refused_with_a_reason(body: bytes | str, reason: str) -> None:
    """Hostile, broken or absurd bodies raise EntsoeParseError naming what was wrong."""
    with pytest.raises(EntsoeParseError, match=reason):
        parse_a44(body)


def test_naive_times_are_utc() -> None:
    """A time without zone is read as UTC (the API's convention)."""
    body = document(series(period("2025-01-01T00:00", "2025-01-01T00:15", "PT15M", [(1, 1)])))
    assert parse_a44(body).first == datetime(2025, 1, 1, tzinfo=UTC)


def test_empty_publication_is_an_empty_series() -> None:
    """A publication without TimeSeries carries no prices."""
    assert len(parse_a44(document())) == 0
    assert parse_a44(document()).first is None


HTML_ERROR_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>502 Bad Gateway</title></head>
<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response.</p></body></html>"""


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (HTML_ERROR_PAGE, "an HTML page \\('502 Bad Gateway'\\), not a price document"),
        (
            b"\xef\xbb\xbf  <!DOCTYPE HTML PUBLIC '-//W3C//DTD HTML 4.01//EN'><html>",
            "an HTML page,",
        ),
        (b"<html><body>503 Service Unavailable</body></html>", "an HTML page,"),
        (b"<HTML><HEAD><TITLE>" + b"x" * 200 + b"</TITLE>", "x{80}\\.\\.\\."),
        (b"<html><title>  </title></html>", "^an HTML page, not a price document$"),
    ],
)
def test_html_error_page_says_what_it_is(body: bytes, reason: str) -> None:
    """Regression: an HTML error page was refused as "DOCTYPE/ENTITY declarations are refused".

    A proxy's or the server's HTML error page is no attack: say it is an HTML page (with its
    title, shortened), so the log tells what the price server answered.
    """
    with pytest.raises(EntsoeParseError, match=reason) as info:
        parse_a44(body)
    assert "DOCTYPE/ENTITY" not in str(info.value)


def test_a_doctype_inside_a_price_document_is_still_refused() -> None:
    """The HTML check never lets a hostile XML document through."""
    with pytest.raises(EntsoeParseError, match="DOCTYPE/ENTITY declarations are refused"):
        parse_a44(BILLION_LAUGHS)
