"""Parse ENTSO-E day-ahead price documents (documentType A44) into a 15-minute PriceSeries.

Namespace-agnostic (the Publication_MarketDocument namespace version changes over time).
Handles PT15M, PT30M and PT60M periods and documents mixing them (the finer resolution wins where
both cover a slot), curveType A03 (a missing position repeats the previous price, also at the end
of a period), several TimeSeries (for DE-LU only classification sequence 1 is kept) and DST days
(92 or 100 quarter hours: periods are in UTC, so nothing special is needed).

The standard library's XML parser is used with a guard: bodies larger than MAX_BODY_BYTES and any
DOCTYPE or ENTITY declaration are refused before parsing (entity-expansion attacks). An HTML page
(a proxy's or the server's error page) is named as such, with its title, so the log says what the
price server answered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
import re
from xml.etree import ElementTree as ET  # guarded by _refuse_hostile

from .errors import EntsoeNoData, EntsoeParseError
from .series import SLOT, PriceSeries

# A day is ~10 KB; a week of PT15M points with generous whitespace stays far below this.
MAX_BODY_BYTES = 2_000_000
# Far outside the SDAC harmonised clearing price limits (-500 ... +4000 EUR/MWh in 2025).
MIN_PRICE_EUR_MWH = -10_000.0
MAX_PRICE_EUR_MWH = 20_000.0
NO_DATA_REASON = "999"

_RESOLUTION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?$")
_HOSTILE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# An HTML page starts with its doctype or <html> (after a byte order mark, blanks or comments).
_HTML = re.compile(
    rb"^(?:\xef\xbb\xbf)?(?:\s|<!--.*?-->)*<(?:!DOCTYPE\s+html|html)[\s>]",
    re.IGNORECASE | re.DOTALL,
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)(?:</title|$)", re.IGNORECASE | re.DOTALL)
# How much of an HTML page's title the error repeats.
TITLE_CHARS = 80


def _local(tag: str) -> str:
    """The tag name without its {namespace}."""
    return tag.rpartition("}")[2]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: ET.Element, path: str) -> str | None:
    """The stripped text at a /-separated path of local names, or None."""
    node: ET.Element | None = element
    for name in path.split("/"):
        if node is None:
            return None
        node = _child(node, name)
    if node is None or node.text is None:
        return None
    return node.text.strip()


def _required(element: ET.Element, path: str) -> str:
    value = _text(element, path)
    if not value:
        raise EntsoeParseError(f"missing {path}")
    return value


def _time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise EntsoeParseError(f"bad time {value!r}") from err
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _resolution(value: str) -> timedelta:
    match = _RESOLUTION.match(value)
    if not match or not any(match.groups()):
        raise EntsoeParseError(f"unsupported resolution {value!r}")
    step = timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0))
    if step <= timedelta(0) or step % SLOT:
        raise EntsoeParseError(f"unsupported resolution {value!r}")
    return step


def _refuse_html(body: bytes) -> None:
    """An HTML page is an error page, not a price document: say so, with its title."""
    if not _HTML.match(body):
        return
    what = "an HTML page"
    if match := _TITLE.search(body):
        title = " ".join(match[1].decode("utf-8", "replace").split())
        if len(title) > TITLE_CHARS:
            title = title[:TITLE_CHARS] + "..."
        if title:
            what += f" ({title!r})"
    raise EntsoeParseError(f"{what}, not a price document")


def _refuse_hostile(body: bytes) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise EntsoeParseError(f"body of {len(body)} bytes is larger than {MAX_BODY_BYTES}")
    _refuse_html(body)
    if _HOSTILE.search(body):
        raise EntsoeParseError("DOCTYPE/ENTITY declarations are refused")


def parse_a44(body: bytes | str) -> PriceSeries:
    """Parse an A44 document into spot prices in EUR/kWh per 15-minute slot (UTC keys).

    Raises EntsoeNoData for an Acknowledgement document and EntsoeParseError for anything that is
    not a sound price document; never anything else.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not body.strip():
        raise EntsoeParseError("empty body")
    _refuse_hostile(body)
    try:
        root = ET.fromstring(body)  # noqa: S314  (guarded above)
    except ET.ParseError as err:
        raise EntsoeParseError(f"not XML: {err}") from err

    kind = _local(root.tag)
    if kind == "Acknowledgement_MarketDocument":
        code = _text(root, "Reason/code") or "?"
        text = _text(root, "Reason/text") or ""
        if code == NO_DATA_REASON:
            raise EntsoeNoData(text or "No matching data found")
        raise EntsoeParseError(f"acknowledgement {code}: {text}")
    if kind != "Publication_MarketDocument":
        raise EntsoeParseError(f"unexpected document {kind!r}")

    # resolution -> slot -> EUR/MWh; finer resolutions are applied last so they win.
    by_resolution: dict[timedelta, dict[datetime, float]] = {}
    for series in _children(root, "TimeSeries"):
        sequence = _text(series, "classificationSequence_AttributeInstanceComponent.position")
        if sequence not in (None, "1"):
            continue
        currency = _text(series, "currency_Unit.name")
        if currency not in (None, "EUR"):
            raise EntsoeParseError(f"currency {currency} is not EUR")
        unit = _text(series, "price_Measure_Unit.name")
        if unit not in (None, "MWH"):
            raise EntsoeParseError(f"price unit {unit} is not MWH")
        for period in _children(series, "Period"):
            step, slots = _parse_period(period)
            by_resolution.setdefault(step, {}).update(slots)

    prices: dict[datetime, float] = {}
    for step in sorted(by_resolution, reverse=True):
        prices.update(by_resolution[step])
    return PriceSeries({start: price / 1000 for start, price in prices.items()})


def _parse_period(period: ET.Element) -> tuple[timedelta, dict[datetime, float]]:
    start = _time(_required(period, "timeInterval/start"))
    end = _time(_required(period, "timeInterval/end"))
    step = _resolution(_required(period, "resolution"))
    if (
        end <= start
        or (end - start) % step
        or (end - start) > timedelta(days=31)
        or (start - datetime(2000, 1, 1, tzinfo=UTC)) % SLOT
    ):
        raise EntsoeParseError(f"bad period {start}..{end} at {step}")
    count = (end - start) // step

    points: dict[int, float] = {}
    for point in _children(period, "Point"):
        try:
            position = int(_required(point, "position"))
            price = float(_required(point, "price.amount"))
        except ValueError as err:
            raise EntsoeParseError(f"bad point: {err}") from err
        if not 1 <= position <= count:
            raise EntsoeParseError(f"position {position} outside 1..{count}")
        if not math.isfinite(price) or not MIN_PRICE_EUR_MWH <= price <= MAX_PRICE_EUR_MWH:
            raise EntsoeParseError(f"absurd price {price} EUR/MWh at position {position}")
        points[position] = price
    if not points:
        raise EntsoeParseError(f"period {start}..{end} has no points")
    if 1 not in points:
        raise EntsoeParseError(f"period {start}..{end} lacks position 1")

    slots: dict[datetime, float] = {}
    quarters = step // SLOT
    price = points[1]
    for position in range(1, count + 1):
        price = points.get(position, price)  # curveType A03: a gap repeats the previous price
        first = start + step * (position - 1)
        for quarter in range(quarters):
            slots[first + SLOT * quarter] = price
    return step, slots
