"""MQTT payloads of the popular dongles, minding the import/export naming trap."""

from __future__ import annotations

from datetime import UTC, datetime
import json

import pytest

from open_hem_core.p1 import ChecksumError, PayloadError, TelegramError
from open_hem_core.p1.dongles import (
    FORMAT_PLAN_D,
    FORMAT_RAW,
    FORMAT_SMART_STUFF,
    DongleDecoder,
)
from open_hem_core.p1.readings import TARIFF_LOW, TARIFF_NORMAL
from tests.core.p1.telegrams import V5, telegram_text


def test_raw_telegram_topic() -> None:
    """A raw telegram payload parses with its CRC, also when CRLF became LF on the way."""
    decoder = DongleDecoder(FORMAT_RAW, "5")
    reading = decoder.decode("", telegram_text(V5).encode())
    assert reading is not None
    assert reading.import_total_kwh == 6.825
    lf_only = telegram_text(V5).replace("\r\n", "\n")
    reading = decoder.decode("", lf_only)
    assert reading is not None
    assert reading.export_t1_kwh == 2.444
    with pytest.raises(ChecksumError):
        decoder.decode("", lf_only.replace("0.244", "0.245"))
    with pytest.raises(TelegramError):
        decoder.decode("", "hello")


def test_smart_stuff_per_field_naming_trap() -> None:
    """energy_delivered_* is IMPORT here (arduino-dsmr), energy_returned_* is export."""
    decoder = DongleDecoder(FORMAT_SMART_STUFF, "5")
    assert decoder.decode("energy_delivered_tariff1", "1234.567") is not None
    decoder.decode("energy_delivered_tariff2", b"100.001")
    decoder.decode("energy_returned_tariff1", "5.5")
    decoder.decode("energy_returned_tariff2", "0.5")
    decoder.decode("power_delivered", "0.432")
    decoder.decode("power_returned", "0")
    decoder.decode("power_delivered_l1", "0.4")
    decoder.decode("power_returned_l2", "0.1")
    decoder.decode("electricity_tariff", "0001")
    decoder.decode("voltage_l1", "231.0")
    decoder.decode("electricity_failures", "4")
    decoder.decode("gas_delivered", "1002.5")
    reading = decoder.decode("timestamp", "241125130000W")
    assert reading is not None
    assert reading.import_t1_kwh == 1234.567
    assert reading.import_total_kwh == 1334.568
    assert reading.export_total_kwh == 6.0
    assert reading.power_import_w == 432.0
    assert reading.power_net_w == 432.0
    assert reading.power_l1_w == 400.0
    assert reading.power_l2_w == -100.0
    assert reading.tariff == TARIFF_LOW
    assert reading.voltage_l1_v == 231.0
    assert reading.power_failures == 4
    assert reading.gas_m3 == 1002.5
    assert reading.timestamp == datetime(2024, 11, 25, 12, 0, tzinfo=UTC)
    # A topic we do not read changes nothing.
    assert decoder.decode("wifi_rssi", "-60") is None


def test_smart_stuff_all_json() -> None:
    """Everything on <prefix>/all, as plain numbers or {value, unit}."""
    decoder = DongleDecoder(FORMAT_SMART_STUFF, "5")
    payload = {
        "timestamp": {"value": "240715101010S"},
        "energy_delivered_tariff1": {"value": 10.0, "unit": "kWh"},
        "energy_delivered_tariff2": 20.0,
        "energy_returned_tariff1": "1.5 kWh",
        "energy_returned_tariff2": {"value": 500, "unit": "Wh"},
        "power_delivered": {"value": 1.2, "unit": "kW"},
        "power_returned": {"value": 0, "unit": "W"},
        "electricity_tariff": {"value": "0002"},
        "water_delivered": {"value": 150, "unit": "l"},
        "unknown": 3,
    }
    reading = decoder.decode("all", json.dumps(payload))
    assert reading is not None
    assert reading.import_total_kwh == 30.0
    assert reading.export_total_kwh == 2.0
    assert reading.power_import_w == 1200.0
    assert reading.power_export_w == 0.0
    assert reading.tariff == TARIFF_NORMAL
    assert reading.water_m3 == 0.15
    assert reading.timestamp == datetime(2024, 7, 15, 8, 10, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "payload"),
    [
        ("all", "not json"),
        ("all", "[1, 2]"),
        ("all", '{"nothing": 1}'),
        ("power_delivered", "high"),
        ("power_delivered", '{"value": null}'),
        ("power_delivered", '{"value": 1, "unit": "MJ"}'),
        ("power_delivered", "{broken"),
        ("power_delivered", "true"),
    ],
)
def test_smart_stuff_bad_payloads(field: str, payload: str) -> None:
    """Broken payloads raise PayloadError (the caller counts them)."""
    decoder = DongleDecoder(FORMAT_SMART_STUFF, "5")
    with pytest.raises(PayloadError):
        decoder.decode(field, payload)


def test_plan_d_plain_and_json() -> None:
    """plan-d-io: consumption is import, injection export; power in kW, gas stamped."""
    decoder = DongleDecoder(FORMAT_PLAN_D, "5B")
    decoder.decode("total_consumption_day", "100.5")
    decoder.decode("total_consumption_night", '{"unit": "kWh", "value": 50.25}')
    decoder.decode("total_injection_t1", '{"unit": "kWh", "value": 10, "timestamp": 1700000000}')
    decoder.decode("energy_injected_t2", "1")
    decoder.decode("active_power_consumption", '{"unit": "kW", "value": 1.54}')
    decoder.decode("active_power_injection", "0.0")
    decoder.decode("active_tariff_period", "1")
    decoder.decode("current_average_demand", '{"unit": "kW", "value": 2.351}')
    decoder.decode("maximum_demand_current_month", '{"unit": "kW", "value": 2.589}')
    decoder.decode("voltage_phase_l2", "229.5")
    decoder.decode("current_phase_3", "1.5")
    reading = decoder.decode(
        "natural_gas_consumption", '{"unit": "m3", "value": 112.384, "timestamp": 1589283958}'
    )
    assert reading is not None
    assert reading.import_total_kwh == 150.75
    assert reading.export_total_kwh == 11.0
    assert reading.power_import_w == 1540.0
    assert reading.power_net_w == 1540.0
    assert reading.tariff == TARIFF_NORMAL  # Belgian tariff 1 is the day tariff
    assert reading.average_demand_w == 2351.0
    assert reading.month_peak_w == 2589.0
    assert reading.voltage_l2_v == 229.5
    assert reading.current_l3_a == 1.5
    assert reading.gas_m3 == 112.384
    assert reading.gas_time == datetime(2020, 5, 12, 11, 45, 58, tzinfo=UTC)


def test_plan_d_net_power_only() -> None:
    """A dongle that only sends total active power still gives import/export power."""
    decoder = DongleDecoder(FORMAT_PLAN_D, "5")
    reading = decoder.decode("total_active_power", '{"unit": "kW", "value": -0.8}')
    assert reading is not None
    assert reading.power_net_w == -800.0
    assert reading.power_import_w == 0.0
    assert reading.power_export_w == 800.0
    assert decoder.decode("total_energy_consumed", "12") is not None
    assert decoder.reading().import_total_kwh == 12.0


def test_unknown_format() -> None:
    """Only the known formats exist."""
    with pytest.raises(ValueError, match="unknown payload format"):
        DongleDecoder("esphome_native")


@pytest.mark.parametrize("value", [None, True, "not a time", "999999999999W", 1e20])
def test_bad_timestamps_are_none(value: object) -> None:
    """A timestamp that cannot be read is None, never an exception."""
    decoder = DongleDecoder(FORMAT_SMART_STUFF, "5")
    decoder.decode("power_delivered", "1")
    decoder.decode("timestamp", json.dumps({"value": value}))
    assert decoder.reading().timestamp is None


def test_iso_timestamp() -> None:
    """ISO times with or without a zone are read as UTC when zoneless."""
    decoder = DongleDecoder(FORMAT_SMART_STUFF, "5")
    decoder.decode("timestamp", "2024-01-01T10:00:00")
    assert decoder.reading().timestamp == datetime(2024, 1, 1, 10, tzinfo=UTC)
