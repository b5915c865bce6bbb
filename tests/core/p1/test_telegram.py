"""Real telegrams become readings with import and export the right way round."""

from __future__ import annotations

from datetime import UTC, datetime
import logging

from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser
import pytest

from open_hem_core.p1.readings import (
    POWER_FIELDS,
    TARIFF_LOW,
    TARIFF_NORMAL,
    MeterReading,
    tariff_name,
)
from open_hem_core.p1.telegram import (
    ChecksumError,
    TelegramError,
    identification,
    parse_telegram,
)
from tests.core.p1.telegrams import FLUVIUS, V4_2, V5, V5_TWO_MBUS, changed, telegram_text, with_crc


def test_dsmr5_telegram() -> None:
    """DSMR 5: 1.8.x is import, 2.8.x export (dsmr_parser's DELIVERED), kW become W."""
    reading = parse_telegram(telegram_text(V5), "5")
    assert reading.import_t1_kwh == 4.426
    assert reading.import_t2_kwh == 2.399
    assert reading.import_total_kwh == 6.825
    assert reading.export_t1_kwh == 2.444
    assert reading.export_t2_kwh == 0.0
    assert reading.export_total_kwh == 2.444
    assert reading.power_import_w == 244.0
    assert reading.power_export_w == 0.0
    assert reading.power_net_w == 244.0
    assert reading.tariff == TARIFF_NORMAL  # 0002 is the normal (day) tariff in NL
    assert (reading.power_l1_w, reading.power_l2_w, reading.power_l3_w) == (70.0, 32.0, 142.0)
    assert (reading.voltage_l1_v, reading.voltage_l3_v) == (230.0, 229.0)
    assert (reading.current_l1_a, reading.current_l3_a) == (0.48, 0.86)
    assert reading.power_failures == 13
    assert reading.long_power_failures == 0
    assert reading.voltage_sags_l1 == 0
    assert reading.gas_m3 == 0.107
    # 170102161005W is winter time (UTC+1).
    assert reading.gas_time == datetime(2017, 1, 2, 15, 10, 5, tzinfo=UTC)
    assert reading.timestamp == datetime(2017, 1, 2, 18, 20, 2, tzinfo=UTC)
    assert reading.water_m3 is None
    assert reading.average_demand_w is None
    assert reading.meter_id == "4B384547303034303436333935353037"
    assert reading.model == "ISk5\\2MT382-1000"


def test_empty_mbus_channel_is_skipped() -> None:
    """Channel 1 is ``(700101010000W)(00000000)``: the gas on channel 2 is the gas."""
    reading = parse_telegram(telegram_text(V5_TWO_MBUS), "5")
    assert reading.gas_m3 == 246.138
    assert reading.gas_time == datetime(2020, 4, 26, 20, 30, 1, tzinfo=UTC)
    assert reading.tariff == TARIFF_LOW
    assert reading.power_l1_w == 56.0
    assert reading.voltage_sags_l3 == 192


def test_dsmr4_telegram_gas_from_hourly_reading() -> None:
    """DSMR 4.2 names the gas reading differently; it still lands on gas."""
    reading = parse_telegram(telegram_text(V4_2), "4")
    assert reading.import_total_kwh == 3016.829
    assert reading.power_import_w == 2027.0
    assert reading.gas_m3 == 981.443
    assert reading.voltage_l1_v is None
    assert reading.current_l2_a == 6.0
    assert reading.power_failures == 15
    assert reading.long_power_failures == 7


def test_belgian_telegram() -> None:
    """e-MUCS: capacity tariff, gas on 24.2.3, water on M-Bus, tariff 1 is the normal tariff."""
    reading = parse_telegram(telegram_text(FLUVIUS), "5B")
    assert reading.import_t1_kwh == 0.034
    assert reading.import_t2_kwh == 15.758
    assert reading.export_t2_kwh == 0.011
    assert reading.average_demand_w == 2351.0
    assert reading.month_peak_w == 2589.0
    assert reading.month_peak_time == datetime(2020, 5, 9, 11, 45, 58, tzinfo=UTC)
    assert reading.gas_m3 == 112.384
    assert reading.water_m3 == 872.234
    assert reading.water_time == datetime(2020, 5, 12, 11, 45, 58, tzinfo=UTC)
    assert reading.tariff == TARIFF_NORMAL
    assert reading.voltage_l2_v == 234.7
    assert reading.meter_id == "3153414733313031303231363035"


def test_tariff_names() -> None:
    """NL counts tariff 1 as low, BE as normal; anything else is unknown."""
    assert tariff_name("0001", "5") == TARIFF_LOW
    assert tariff_name(2, "4") == TARIFF_NORMAL
    assert tariff_name("0001", "5B") == TARIFF_NORMAL
    assert tariff_name("0002", "5B") == TARIFF_LOW
    assert tariff_name("0003", "5") is None
    assert tariff_name("x", "5") is None


def test_bad_crc_is_a_checksum_error() -> None:
    """A changed value without a new CRC is refused."""
    text = telegram_text(V5).replace("00.244*kW", "09.244*kW")
    with pytest.raises(ChecksumError):
        parse_telegram(text, "5")


def test_unpadded_crc_is_accepted() -> None:
    """Some meters send ``!B9F`` instead of ``!0B9F``."""
    text = telegram_text(V5)
    for watts in range(1000):
        candidate = with_crc(text.replace("00.244*kW", f"00.{watts:03d}*kW", 1), pad=False)
        crc = candidate[candidate.index("!") + 1 :].strip()
        if len(crc) < 4:
            break
    else:  # pragma: no cover - 1000 tries always find one (1 in 16 CRCs is below 0x1000)
        pytest.fail("no CRC below 0x1000 found")
    reading = parse_telegram(candidate, "5")
    assert reading.power_import_w == watts


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "/ISk5\\2MT382-1000\r\n\r\n",  # no end
        "/ISk5\\2MT382-1000\r\n\r\n!",  # no CRC
        with_crc("/ISk5\\2MT382-1000\r\n\r\n0-0:96.13.0()\r\n!"),  # nothing electric
    ],
)
def test_broken_telegrams_raise_telegram_error(text: str) -> None:
    """Incomplete or empty telegrams raise TelegramError, never anything else."""
    with pytest.raises(TelegramError):
        parse_telegram(text, "5")


def test_unknown_version() -> None:
    """Only the supported DSMR versions parse."""
    with pytest.raises(TelegramError):
        parse_telegram(telegram_text(V5), "9")


def test_dsmr22_and_luxembourg_specifications_parse() -> None:
    """DSMR 2.2 (no CRC) and 5L read the same lines."""
    reading = parse_telegram(telegram_text(V5), "5L")
    assert reading.import_total_kwh == 6.825
    v22 = telegram_text(V5).split("!")[0] + "!\r\n"
    assert parse_telegram(v22, "2.2").import_t1_kwh == 4.426


def test_identification() -> None:
    """The identification line is the meter's model."""
    assert identification("/KFM5KAIFA-METER\r\n\r\n") == "KFM5KAIFA-METER"
    assert identification("no slash") is None
    assert identification("/\r\n") is None


def test_values_and_power_fields() -> None:
    """values() lists what the meter said; the averaged fields are power fields."""
    reading = parse_telegram(changed(V5, "00.244*kW", "01.500*kW"), "5")
    values = reading.values()
    assert values["power_import_w"] == 1500.0
    assert "water_m3" not in values
    assert set(POWER_FIELDS) <= set(MeterReading.__dataclass_fields__)
    assert reading.with_values(gas_m3=1.0).gas_m3 == 1.0


def test_crc_matches_the_reference_and_dsmr_parser() -> None:
    """The fast CRC agrees with dsmr_parser's and the fixtures' own CRCs."""
    from dsmr_parser.parsers import TelegramParser  # noqa: PLC0415

    from open_hem_core.p1.telegram import check_crc, crc16  # noqa: PLC0415

    for name in (V5, V5_TWO_MBUS, V4_2, FLUVIUS):
        text = telegram_text(name)
        body = text[: text.index("!") + 1]
        assert crc16(body.encode()) == TelegramParser.crc16(body)
        assert f"{crc16(body.encode()):04X}" == text[text.index("!") + 1 :].strip()
        check_crc(text)
    with pytest.raises(TelegramError, match="without a CRC"):
        check_crc("/abc\r\n!\r\n")
    with pytest.raises(ChecksumError):
        check_crc(telegram_text(V5).replace("!6EEE", "!6EEF"))


# Lines dsmr_parser cannot read, in telegrams whose CRC is valid (what real meters send).
UNREADABLE_LINES = (
    ("0-1:24.2.1(170102161005W)(00000.107*m3)", "0-1:24.2.1(0)"),  # dsmr_parser#160
    ("1-0:32.7.0(0230.0*V)", "1-0:32.7.0(0230.0*V,1*V)"),  # dsmr_parser#108
    ("1-0:99.97.0(0)(0-0:96.7.19)", "1-0:99.97.0(2)(0-0:96.7.19)"),
)


@pytest.mark.parametrize(("old", "new"), UNREADABLE_LINES)
def test_unreadable_line_is_reported_not_logged(
    old: str, new: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The telegram is used without the line; the line is reported; dsmr_parser logs nothing."""
    caplog.set_level(logging.DEBUG)
    ignored: list[str] = []
    reading = parse_telegram(changed(V5, old, new), "5", ignored)
    assert ignored == [new]
    assert reading.import_total_kwh == 6.825
    assert not [r for r in caplog.records if r.name.startswith("dsmr_parser")]


def test_corrupt_value_with_valid_crc_is_an_error_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A total dsmr_parser chokes on (its 'Unexpected' path re-raises): TelegramError, no log."""
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TelegramError, match="InvalidOperation"):
        parse_telegram(changed(V5, "1-0:1.8.1(000004.426*kWh)", "1-0:1.8.1(0000x4.426*kWh)"), "5")
    assert not [r for r in caplog.records if r.name.startswith("dsmr_parser")]


def test_other_dsmr_parser_users_still_log(caplog: pytest.LogCaptureFixture) -> None:
    """The filter is for our calls only: HA's dsmr integration (same logger) logs as before."""
    parser = TelegramParser(telegram_specifications.V5)
    parser.parse(changed(V5, *UNREADABLE_LINES[0]))
    assert [r for r in caplog.records if r.name == "dsmr_parser.parsers"]
    assert logging.getLogger("dsmr_parser.parsers").isEnabledFor(logging.ERROR)
