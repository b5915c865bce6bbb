"""HomeWizard's API v1 JSON becomes a reading."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path
from typing import Any

import pytest

from open_hem_core.p1 import HomeWizardError
from open_hem_core.p1.homewizard import (
    data_url,
    reading_from_data,
)
from open_hem_core.p1.readings import TARIFF_LOW, TARIFF_NORMAL

DATA = Path(__file__).parents[2] / "fixtures" / "homewizard" / "data_p1.json"


def load() -> dict[str, Any]:
    """The fixture answer."""
    data: dict[str, Any] = json.loads(DATA.read_text())
    return data


def test_mapping() -> None:
    """Import and export as HomeWizard names them; net power signed; gas/water from external."""
    reading = reading_from_data(load())
    assert reading.import_total_kwh == 13779.338
    assert reading.import_t1_kwh == 10830.511
    assert reading.export_total_kwh == 1234.5
    assert reading.export_t2_kwh == 1000.0
    assert reading.power_net_w == -543.0
    assert reading.power_import_w == 0.0
    assert reading.power_export_w == 543.0
    assert reading.power_l1_w == -676.0
    assert reading.voltage_l3_v == 231.0
    assert reading.current_l1_a == -4.0
    assert reading.tariff == TARIFF_NORMAL
    assert reading.power_failures == 4
    assert reading.long_power_failures == 5
    assert reading.voltage_sags_l2 == 1
    assert reading.gas_m3 == 2570.1
    # 23-01-25 22:09:57 Dutch winter time is 21:09:57 UTC.
    assert reading.gas_time == datetime(2023, 1, 25, 21, 9, 57, tzinfo=UTC)
    assert reading.water_m3 == 123.456
    assert reading.meter_id == "4530303434303037333832323436303139"
    assert reading.model == "ISKRA 2M550T-1012"


def test_legacy_gas_and_belgian_fields() -> None:
    """Without `external`, total_gas_m3 is the gas; capacity-tariff fields mean Belgium."""
    data = load()
    del data["external"]
    data["active_power_average_w"] = 1234
    data["montly_power_peak_w"] = 4321.5
    data["montly_power_peak_timestamp"] = 230701080010  # summer: UTC+2
    data["active_tariff"] = 2
    reading = reading_from_data(data)
    assert reading.gas_m3 == 2569.646
    assert reading.gas_time == datetime(2021, 6, 6, 12, 0, 10, tzinfo=UTC)
    assert reading.average_demand_w == 1234.0
    assert reading.month_peak_w == 4321.5
    assert reading.month_peak_time == datetime(2023, 7, 1, 6, 0, 10, tzinfo=UTC)
    assert reading.tariff == TARIFF_LOW
    assert reading.water_m3 is None


def test_odd_values_are_skipped() -> None:
    """Strings, booleans and broken timestamps become None, not errors."""
    data = {
        "total_power_import_kwh": "12",
        "active_power_w": 100,
        "any_power_fail_count": True,
        "gas_timestamp": 999999999999,
        "total_gas_m3": 1.5,
        "external": ["x", {"type": "gas_meter", "value": "1"}],
    }
    reading = reading_from_data(data)
    assert reading.import_total_kwh is None
    assert reading.power_import_w == 100.0
    assert reading.power_failures is None
    assert reading.gas_m3 == 1.5
    assert reading.gas_time is None
    assert reading.tariff is None


@pytest.mark.parametrize("data", [{}, {"wifi_ssid": "x"}, []])
def test_not_a_p1_meter(data: Any) -> None:
    """An answer without P1 fields (another HomeWizard device, or nonsense) is an error."""
    with pytest.raises(HomeWizardError):
        reading_from_data(data)


def test_data_url() -> None:
    """Hosts are accepted with or without scheme."""
    assert data_url("192.168.1.5") == "http://192.168.1.5/api/v1/data"
    assert data_url(" http://p1meter.local/ ") == "http://p1meter.local/api/v1/data"
