"""The package's public names, its one error root, meter identity, the guard and MQTT topics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import socket
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from open_hem_core.errors import OpenHemError
import open_hem_core.p1 as p1
from open_hem_core.p1 import (
    FORMAT_PLAN_D,
    FORMAT_RAW,
    FORMAT_SMART_STUFF,
    CannotConnectError,
    DongleDecoder,
    HomeWizardApiDisabledError,
    HomeWizardError,
    HomeWizardUnknownHostError,
    HomeWizardUnreachableError,
    InvalidTopicError,
    MeterReading,
    NotHomeWizardError,
    P1Error,
    SourceError,
    TotalGuard,
    UnknownHostError,
    fetch_reading,
    meter_identity,
    open_tcp,
    serial_number,
    subscription_topic,
)
from open_hem_core.p1.serial_tcp import StreamCallbacks
from tests.core.p1.telegrams import V5, telegram_text


def test_every_public_name_is_exported_and_every_error_is_a_p1_error() -> None:
    """``from open_hem_core.p1 import X`` works for all of __all__; one root for the errors."""
    for name in p1.__all__:
        assert hasattr(p1, name), name
    errors = [
        value
        for value in vars(p1).values()
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert len(errors) >= 14
    for error in errors:
        assert issubclass(error, P1Error), error
        assert issubclass(error, OpenHemError), error
    assert issubclass(UnknownHostError, CannotConnectError)
    assert issubclass(HomeWizardUnknownHostError, UnknownHostError)
    assert issubclass(HomeWizardError, SourceError)


ISKRA_HEX = "4B384547303034303436333935353037"
KAIFA_ID = "3960221976967177082151037881335713"  # hex, but not of text: kept
HOMEWIZARD_HEX = "4530303434303037333832323436303139"


@pytest.mark.parametrize(
    ("model", "meter_id", "expected"),
    [
        ("ISk5\\2MT382-1000", ISKRA_HEX, ("Iskra", "MT382-1000", "K8EG004046395507")),
        ("KFM5KAIFA-METER", KAIFA_ID, ("Kaifa", "KAIFA-METER", KAIFA_ID)),
        ("FLU5\\253769484_A", None, ("Fluvius", "53769484_A", None)),
        ("Ene5\\T210-D ESMR5.0", None, ("Sagemcom", "T210-D ESMR5.0", None)),
        ("ISKRA 2M550T-1012", HOMEWIZARD_HEX, ("Iskra", "2M550T-1012", "E0044007382246019")),
        ("KAIFA", None, ("Kaifa", None, None)),
        ("XYZ5\\2ABC", "E0001", (None, "XYZ5\\2ABC", "E0001")),
        ("weird meter", None, (None, "weird meter", None)),
        ("2M550T-1012", None, (None, "2M550T-1012", None)),
        ("ISK5", None, ("Iskra", None, None)),
        (None, "", (None, None, None)),
        ("  ", "4142", (None, None, "AB")),
    ],
)  # fmt: skip
def test_meter_identity(
    model: str | None, meter_id: str | None, expected: tuple[str | None, ...]
) -> None:
    """Manufacturer from the FLAG id (or HomeWizard's brand word), readable model, text serial."""
    identity = meter_identity(model, meter_id)
    assert (identity.manufacturer, identity.model, identity.serial_number) == expected


def test_serial_number_keeps_what_is_not_hex_text() -> None:
    """Hex of non-printable bytes and plain text stay as they are."""
    assert serial_number("00FF") == "00FF"
    assert serial_number("E0036") == "E0036"
    assert serial_number(" 2020 ") == "2020"  # hex of two spaces: stripped empty, so kept
    assert serial_number("4B38") == "K8"


def test_guard_seed_is_a_bound_not_a_rejection() -> None:
    """Seeded (restored) totals are never counted; a reading below them is, and shows the seed."""
    guard = TotalGuard()
    guard.seed("import_t1_kwh", 5.0)
    guard.seed("import_t1_kwh", 4.0)  # a lower seed does not lower the bound
    assert guard.highest("import_t1_kwh") == 5.0
    assert guard.dropped == 0
    result = guard.apply(MeterReading(import_t1_kwh=4.5, import_t2_kwh=1.0, power_import_w=3.0))
    assert result.reading.import_t1_kwh == 5.0
    assert result.reading.import_t2_kwh == 1.0
    assert result.has_totals
    assert result.backwards is not None
    assert (result.backwards.key, result.backwards.shown, result.backwards.reported) == (
        "import_t1_kwh",
        5.0,
        4.5,
    )
    assert guard.dropped == 1
    result = guard.apply(MeterReading(power_import_w=3.0))
    assert not result.has_totals
    assert result.backwards is None
    result = guard.apply(MeterReading(import_t1_kwh=5.5, import_total_kwh=1.0))
    assert result.reading.import_t1_kwh == 5.5
    assert result.backwards is None  # a total seen for the first time is never backwards


def test_guard_prefers_the_import_total_as_the_backwards_example() -> None:
    """The repair issue quotes the import total when it went back."""
    guard = TotalGuard()
    guard.apply(MeterReading(import_t1_kwh=5.0, import_total_kwh=9.0))
    result = guard.apply(MeterReading(import_t1_kwh=1.0, import_total_kwh=2.0))
    assert result.backwards is not None
    assert result.backwards.key == "import_total_kwh"


def test_subscription_topic() -> None:
    """A raw telegram is one exact topic; dongles with fields are everything below a prefix."""
    assert (
        subscription_topic(" p1/sensor/telegram/state ", FORMAT_RAW) == "p1/sensor/telegram/state"
    )
    assert subscription_topic("P1-Dongle-Pro/", FORMAT_SMART_STUFF) == "P1-Dongle-Pro/#"
    assert subscription_topic("data/devices/utility_meter", FORMAT_PLAN_D) == (
        "data/devices/utility_meter/#"
    )
    for topic, payload_format in (
        ("p1/#", FORMAT_RAW),
        ("p1/+/x", FORMAT_RAW),
        (" / ", FORMAT_PLAN_D),
    ):
        with pytest.raises(InvalidTopicError):
            subscription_topic(topic, payload_format)


def test_decode_message_strips_the_prefix() -> None:
    """Messages are decoded by the topic they arrived on, whatever the payload type."""
    dongle = DongleDecoder(FORMAT_SMART_STUFF, "5", "P1-Dongle-Pro/")
    reading = dongle.decode_message("P1-Dongle-Pro/power_delivered", bytearray(b"1.5"))
    assert reading is not None
    assert reading.power_import_w == 1500.0
    assert dongle.decode_message("elsewhere/power_delivered", "1") is None
    raw = DongleDecoder(FORMAT_RAW, "5", "p1/telegram")
    reading = raw.decode_message("p1/telegram", telegram_text(V5).encode())
    assert reading is not None
    assert reading.import_t1_kwh == 4.426


async def test_tcp_unknown_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """A host name that does not resolve is its own error (not just "cannot connect")."""
    loop = asyncio.get_running_loop()

    async def no_such_host(*_args: Any, **_kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(loop, "create_connection", no_such_host)
    callbacks = StreamCallbacks(on_reading=print, on_error=print, on_lost=print)
    with pytest.raises(UnknownHostError):
        await open_tcp("p1-dongle.invalid", 23, "5", callbacks)


class _Session:
    """Just enough of an aiohttp session: ``get`` answers or raises as told."""

    def __init__(self, outcome: Exception | Any) -> None:
        self.outcome = outcome

    @asynccontextmanager
    async def _get(self) -> AsyncIterator[Any]:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        outcome = self.outcome

        async def json(content_type: str | None = None) -> Any:
            return outcome

        yield SimpleNamespace(raise_for_status=lambda: None, json=json)

    def get(self, _url: str) -> Any:
        return self._get()


def _response_error(status: int) -> aiohttp.ClientResponseError:
    info = aiohttp.RequestInfo(
        aiohttp.client_reqrep.URL("http://p1/api/v1/data"),
        "GET",
        {},
        aiohttp.client_reqrep.URL("http://p1"),  # type: ignore[arg-type]
    )
    return aiohttp.ClientResponseError(info, (), status=status, message="no")


def _dns_error() -> aiohttp.ClientConnectorDNSError:
    key = SimpleNamespace(host="p1.invalid", port=80, ssl=False)
    return aiohttp.ClientConnectorDNSError(key, socket.gaierror(socket.EAI_NONAME, "unknown"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        (_response_error(403), HomeWizardApiDisabledError),
        (_response_error(404), NotHomeWizardError),
        (_dns_error(), HomeWizardUnknownHostError),
        (aiohttp.ServerDisconnectedError(), HomeWizardUnreachableError),
        (TimeoutError(), HomeWizardUnreachableError),
        (aiohttp.ClientPayloadError("bad"), NotHomeWizardError),
        (ValueError("not json"), NotHomeWizardError),
        ({"wifi_ssid": "x"}, NotHomeWizardError),
    ],
)
async def test_homewizard_errors_say_what_to_check(outcome: Any, error: type[Exception]) -> None:
    """Each HomeWizard failure has its own error, so the form can say what to check."""
    with pytest.raises(error):
        await fetch_reading(_Session(outcome), "p1.local")  # type: ignore[arg-type]


async def test_homewizard_answer() -> None:
    """A P1 meter's answer becomes a reading."""
    reading = await fetch_reading(_Session({"active_power_w": 12}), "p1.local")  # type: ignore[arg-type]
    assert reading.power_import_w == 12.0
