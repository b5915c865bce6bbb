"""One reading of a P1 smart meter, whatever the source.

Naming: *import* is energy taken from the grid (OBIS 1.8.x, 1.7.0), *export* is energy returned to
the grid (2.8.x, 2.7.0). Beware the naming trap: dsmr_parser calls 2.8.x
``ELECTRICITY_DELIVERED_*`` (delivered *by the household*), while ESPHome / arduino-dsmr call
1.8.x ``energy_delivered_tariff1`` (delivered *to the household*). This module is the one place
where those names are turned into import/export.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

# The DSMR versions a meter can speak (as dsmr_parser names them).
DSMR_VERSIONS: tuple[str, ...] = ("2.2", "4", "5", "5B", "5L")
BELGIAN = "5B"

# 0-0:96.14.0: Dutch meters count tariff 1 as the low (night) tariff, Belgian meters count
# tariff 1 as the normal (day) tariff.
TARIFF_LOW = "low"
TARIFF_NORMAL = "normal"
TARIFFS: tuple[str, ...] = (TARIFF_LOW, TARIFF_NORMAL)

# M-Bus device types (EN 13757-3) the P1 port relays.
MBUS_GAS = 3
MBUS_WATER = 7

# Power readings in W, averaged over the update interval instead of sampled.
POWER_FIELDS: tuple[str, ...] = (
    "power_net_w",
    "power_import_w",
    "power_export_w",
    "power_l1_w",
    "power_l2_w",
    "power_l3_w",
)
# Totals that only ever go up (a backwards jump is dropped).
TOTAL_FIELDS: tuple[str, ...] = (
    "import_t1_kwh",
    "import_t2_kwh",
    "import_total_kwh",
    "export_t1_kwh",
    "export_t2_kwh",
    "export_total_kwh",
    "gas_m3",
    "water_m3",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class MeterReading:
    """What a meter reported at one moment; None where the meter did not say."""

    timestamp: datetime | None = None
    import_t1_kwh: float | None = None
    import_t2_kwh: float | None = None
    import_total_kwh: float | None = None
    export_t1_kwh: float | None = None
    export_t2_kwh: float | None = None
    export_total_kwh: float | None = None
    power_net_w: float | None = None
    power_import_w: float | None = None
    power_export_w: float | None = None
    tariff: str | None = None
    power_l1_w: float | None = None
    power_l2_w: float | None = None
    power_l3_w: float | None = None
    voltage_l1_v: float | None = None
    voltage_l2_v: float | None = None
    voltage_l3_v: float | None = None
    current_l1_a: float | None = None
    current_l2_a: float | None = None
    current_l3_a: float | None = None
    power_failures: int | None = None
    long_power_failures: int | None = None
    voltage_sags_l1: int | None = None
    voltage_sags_l2: int | None = None
    voltage_sags_l3: int | None = None
    voltage_swells_l1: int | None = None
    voltage_swells_l2: int | None = None
    voltage_swells_l3: int | None = None
    gas_m3: float | None = None
    gas_time: datetime | None = None
    water_m3: float | None = None
    water_time: datetime | None = None
    average_demand_w: float | None = None
    month_peak_w: float | None = None
    month_peak_time: datetime | None = None
    meter_id: str | None = None
    model: str | None = None

    def values(self) -> dict[str, Any]:
        """The fields the meter reported (not None), by name."""
        return {
            field.name: value
            for field in fields(self)
            if (value := getattr(self, field.name)) is not None
        }

    def with_values(self, **changes: Any) -> MeterReading:
        """A copy with some fields replaced."""
        return replace(self, **changes)


def complete(reading: MeterReading) -> MeterReading:
    """Fill in what follows from the rest: totals from tariffs, net power from import/export."""
    changes: dict[str, Any] = {}
    if reading.import_total_kwh is None:
        changes["import_total_kwh"] = _sum(reading.import_t1_kwh, reading.import_t2_kwh)
    if reading.export_total_kwh is None:
        changes["export_total_kwh"] = _sum(reading.export_t1_kwh, reading.export_t2_kwh)
    if (
        reading.power_net_w is None
        and reading.power_import_w is not None
        and reading.power_export_w is not None
    ):
        changes["power_net_w"] = reading.power_import_w - reading.power_export_w
    return replace(reading, **changes) if changes else reading


def _sum(first: float | None, second: float | None) -> float | None:
    if first is None or second is None:
        return None
    return round(first + second, 3)


def tariff_name(code: Any, dsmr_version: str) -> str | None:
    """Turn the meter's tariff indicator (``0001``, 1, "2") into low/normal."""
    try:
        number = int(str(code).strip())
    except ValueError:
        return None
    if number not in (1, 2):
        return None
    low = 2 if dsmr_version == BELGIAN else 1
    return TARIFF_LOW if number == low else TARIFF_NORMAL


# --- dsmr_parser telegrams -------------------------------------------------------------------

_KW = 1000.0


def _value(telegram: Any, name: str) -> Any:
    obj = getattr(telegram, name, None)
    return None if obj is None else obj.value


def _float(value: Any, scale: float = 1.0) -> float | None:
    if value is None:
        return None
    try:
        return round(float(value) * scale, 3)
    except TypeError, ValueError:
        return None


def _int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except TypeError, ValueError:
        return None


def _phase_power(telegram: Any, phase: int) -> float | None:
    positive = _float(_value(telegram, f"INSTANTANEOUS_ACTIVE_POWER_L{phase}_POSITIVE"), _KW)
    negative = _float(_value(telegram, f"INSTANTANEOUS_ACTIVE_POWER_L{phase}_NEGATIVE"), _KW)
    if positive is None and negative is None:
        return None
    return round((positive or 0.0) - (negative or 0.0), 3)


def _mbus(telegram: Any) -> dict[int, tuple[float, datetime | None]]:
    """Gas and water from the M-Bus channels, skipping empty channels (1970, 0)."""
    found: dict[int, tuple[float, datetime | None]] = {}
    for device in getattr(telegram, "MBUS_DEVICES", None) or ():
        items = dict(device)
        kind = items.get("MBUS_DEVICE_TYPE") or items.get("DEVICE_TYPE")
        reading = items.get("MBUS_METER_READING") or items.get("HOURLY_GAS_METER_READING")
        if kind is None or reading is None:
            continue
        captured = reading.datetime
        if captured is not None and captured.year <= 1970:
            continue
        value = _float(reading.value)
        device_type = _int(kind.value)
        if value is None or device_type not in (MBUS_GAS, MBUS_WATER) or device_type in found:
            continue
        found[device_type] = (value, captured)
    # DSMR 2.2 names the gas reading directly.
    legacy = getattr(telegram, "GAS_METER_READING", None)
    if MBUS_GAS not in found and legacy is not None and (value := _float(legacy.value)):
        found[MBUS_GAS] = (value, getattr(legacy, "datetime", None))
    return found


def reading_from_telegram(
    telegram: Any, dsmr_version: str, model: str | None = None
) -> MeterReading:
    """Build a reading from a dsmr_parser ``Telegram`` (1.8.x import, 2.8.x export)."""
    mbus = _mbus(telegram)
    gas = mbus.get(MBUS_GAS)
    water = mbus.get(MBUS_WATER)
    peak = getattr(telegram, "BELGIUM_MAXIMUM_DEMAND_MONTH", None)
    timestamp = _value(telegram, "P1_MESSAGE_TIMESTAMP")
    meter_id = _value(telegram, "EQUIPMENT_IDENTIFIER") or _value(
        telegram, "BELGIUM_EQUIPMENT_IDENTIFIER"
    )
    reading = MeterReading(
        timestamp=timestamp if isinstance(timestamp, datetime) else None,
        import_t1_kwh=_float(_value(telegram, "ELECTRICITY_USED_TARIFF_1")),
        import_t2_kwh=_float(_value(telegram, "ELECTRICITY_USED_TARIFF_2")),
        import_total_kwh=_float(_value(telegram, "ELECTRICITY_IMPORTED_TOTAL")),
        export_t1_kwh=_float(_value(telegram, "ELECTRICITY_DELIVERED_TARIFF_1")),
        export_t2_kwh=_float(_value(telegram, "ELECTRICITY_DELIVERED_TARIFF_2")),
        export_total_kwh=_float(_value(telegram, "ELECTRICITY_EXPORTED_TOTAL")),
        power_import_w=_float(_value(telegram, "CURRENT_ELECTRICITY_USAGE"), _KW),
        power_export_w=_float(_value(telegram, "CURRENT_ELECTRICITY_DELIVERY"), _KW),
        tariff=tariff_name(_value(telegram, "ELECTRICITY_ACTIVE_TARIFF"), dsmr_version),
        power_l1_w=_phase_power(telegram, 1),
        power_l2_w=_phase_power(telegram, 2),
        power_l3_w=_phase_power(telegram, 3),
        voltage_l1_v=_float(_value(telegram, "INSTANTANEOUS_VOLTAGE_L1")),
        voltage_l2_v=_float(_value(telegram, "INSTANTANEOUS_VOLTAGE_L2")),
        voltage_l3_v=_float(_value(telegram, "INSTANTANEOUS_VOLTAGE_L3")),
        current_l1_a=_float(_value(telegram, "INSTANTANEOUS_CURRENT_L1")),
        current_l2_a=_float(_value(telegram, "INSTANTANEOUS_CURRENT_L2")),
        current_l3_a=_float(_value(telegram, "INSTANTANEOUS_CURRENT_L3")),
        power_failures=_int(_value(telegram, "SHORT_POWER_FAILURE_COUNT")),
        long_power_failures=_int(_value(telegram, "LONG_POWER_FAILURE_COUNT")),
        voltage_sags_l1=_int(_value(telegram, "VOLTAGE_SAG_L1_COUNT")),
        voltage_sags_l2=_int(_value(telegram, "VOLTAGE_SAG_L2_COUNT")),
        voltage_sags_l3=_int(_value(telegram, "VOLTAGE_SAG_L3_COUNT")),
        voltage_swells_l1=_int(_value(telegram, "VOLTAGE_SWELL_L1_COUNT")),
        voltage_swells_l2=_int(_value(telegram, "VOLTAGE_SWELL_L2_COUNT")),
        voltage_swells_l3=_int(_value(telegram, "VOLTAGE_SWELL_L3_COUNT")),
        gas_m3=gas[0] if gas else None,
        gas_time=gas[1] if gas else None,
        water_m3=water[0] if water else None,
        water_time=water[1] if water else None,
        average_demand_w=_float(_value(telegram, "BELGIUM_CURRENT_AVERAGE_DEMAND"), _KW),
        month_peak_w=_float(peak.value, _KW) if peak is not None else None,
        month_peak_time=getattr(peak, "datetime", None) if peak is not None else None,
        meter_id=str(meter_id) if meter_id else None,
        model=model,
    )
    return complete(reading)
