"""HomeWizard Wi-Fi P1 meter, local API v1: ``GET http://<host>/api/v1/data``.

The local API must be switched on in the HomeWizard Energy app (Settings > Meters > Local API).
The session is passed in (Home Assistant's shared aiohttp session); nothing is sent anywhere else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from .errors import (
    HomeWizardApiDisabledError,
    HomeWizardUnknownHostError,
    HomeWizardUnreachableError,
    NotHomeWizardError,
)
from .readings import MeterReading, complete, tariff_name

REQUEST_TIMEOUT_S = 10.0
# Meters keep Dutch/Belgian local time (both CET/CEST) and HomeWizard passes it on without a zone.
_METER_ZONE = ZoneInfo("Europe/Amsterdam")


def _float(data: Mapping[str, Any], key: str, scale: float = 1.0) -> float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(float(value) * scale, 3)


def _int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _timestamp(value: Any) -> datetime | None:
    """HomeWizard stamps as the meter does, YYMMDDhhmmss in Dutch local time, as a number."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        local = datetime.strptime(f"{value:012d}", "%y%m%d%H%M%S").replace(tzinfo=_METER_ZONE)
    except ValueError:
        return None
    return local.astimezone(UTC)


def reading_from_data(data: Mapping[str, Any]) -> MeterReading:
    """Map the API v1 ``/api/v1/data`` JSON to a reading (``import`` and ``export`` as named)."""
    if not isinstance(data, Mapping) or (
        "total_power_import_kwh" not in data and "active_power_w" not in data
    ):
        raise NotHomeWizardError("not a HomeWizard P1 meter answer")
    gas: tuple[float, datetime | None] | None = None
    water: tuple[float, datetime | None] | None = None
    for device in data.get("external") or ():
        if not isinstance(device, Mapping):
            continue
        value = device.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        entry = (float(value), _timestamp(device.get("timestamp")))
        if device.get("type") == "gas_meter" and gas is None:
            gas = entry
        elif device.get("type") == "water_meter" and water is None:
            water = entry
    if gas is None and (legacy := _float(data, "total_gas_m3")) is not None:
        gas = (legacy, _timestamp(data.get("gas_timestamp")))
    active = data.get("active_power_w")
    net = float(active) if isinstance(active, int | float) else None
    tariff = data.get("active_tariff")
    country_belgian = str(data.get("meter_model") or "").startswith(("FLU", "Fluvius")) or (
        "active_power_average_w" in data
    )
    reading = MeterReading(
        import_t1_kwh=_float(data, "total_power_import_t1_kwh"),
        import_t2_kwh=_float(data, "total_power_import_t2_kwh"),
        import_total_kwh=_float(data, "total_power_import_kwh"),
        export_t1_kwh=_float(data, "total_power_export_t1_kwh"),
        export_t2_kwh=_float(data, "total_power_export_t2_kwh"),
        export_total_kwh=_float(data, "total_power_export_kwh"),
        power_net_w=net,
        power_import_w=max(net, 0.0) if net is not None else None,
        power_export_w=max(-net, 0.0) if net is not None else None,
        tariff=tariff_name(tariff, "5B" if country_belgian else "5") if tariff else None,
        power_l1_w=_float(data, "active_power_l1_w"),
        power_l2_w=_float(data, "active_power_l2_w"),
        power_l3_w=_float(data, "active_power_l3_w"),
        voltage_l1_v=_float(data, "active_voltage_l1_v"),
        voltage_l2_v=_float(data, "active_voltage_l2_v"),
        voltage_l3_v=_float(data, "active_voltage_l3_v"),
        current_l1_a=_float(data, "active_current_l1_a"),
        current_l2_a=_float(data, "active_current_l2_a"),
        current_l3_a=_float(data, "active_current_l3_a"),
        power_failures=_int(data, "any_power_fail_count"),
        long_power_failures=_int(data, "long_power_fail_count"),
        voltage_sags_l1=_int(data, "voltage_sag_l1_count"),
        voltage_sags_l2=_int(data, "voltage_sag_l2_count"),
        voltage_sags_l3=_int(data, "voltage_sag_l3_count"),
        voltage_swells_l1=_int(data, "voltage_swell_l1_count"),
        voltage_swells_l2=_int(data, "voltage_swell_l2_count"),
        voltage_swells_l3=_int(data, "voltage_swell_l3_count"),
        gas_m3=gas[0] if gas else None,
        gas_time=gas[1] if gas else None,
        water_m3=water[0] if water else None,
        water_time=water[1] if water else None,
        average_demand_w=_float(data, "active_power_average_w"),
        month_peak_w=_float(data, "montly_power_peak_w"),
        month_peak_time=_timestamp(data.get("montly_power_peak_timestamp")),
        meter_id=str(data["unique_id"]) if data.get("unique_id") else None,
        model=str(data["meter_model"]) if data.get("meter_model") else None,
    )
    return complete(reading)


def data_url(host: str) -> str:
    """The API v1 data address for a host (``192.168.1.5`` or ``p1meter.local``)."""
    host = host.strip().removeprefix("http://").rstrip("/")
    return f"http://{host}/api/v1/data"


async def fetch_reading(session: aiohttp.ClientSession, host: str) -> MeterReading:
    """Ask the meter for its current data; raise HomeWizardError when that fails."""
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            async with session.get(data_url(host)) as response:
                response.raise_for_status()
                data = await response.json(content_type=None)
    except aiohttp.ClientResponseError as err:
        if err.status == HTTPStatus.FORBIDDEN:
            raise HomeWizardApiDisabledError(f"{host}: the local API is switched off") from err
        raise NotHomeWizardError(f"{host}: HTTP {err.status} {err.message}") from err
    except aiohttp.ClientConnectorDNSError as err:
        raise HomeWizardUnknownHostError(f"{host}: {err}") from err
    except (aiohttp.ClientConnectionError, TimeoutError) as err:
        raise HomeWizardUnreachableError(f"{type(err).__name__}: {err}") from err
    except (aiohttp.ClientError, ValueError) as err:
        raise NotHomeWizardError(f"{type(err).__name__}: {err}") from err
    return reading_from_data(data)
