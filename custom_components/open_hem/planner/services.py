"""The planning loop's actions (registered by the hub's services.py).

- ``open_hem.replan``: plan now.
- ``open_hem.set_wish``: a device's wishes (EV target SOC and ready-by time, heat-pump comfort
  band, appliance finish-by time); the next plan (within seconds) honours them.
- ``open_hem.override``: hold a device at a power, or in a mode, for a while; then back to auto.
- ``open_hem.set_grid_limit``: an import and/or export limit (W) from start to end, on the
  GRID rung of the ladder (the fuse stays the hard limit).
- ``open_hem.get_plan``: the plan in force as response data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr, service
from homeassistant.util import dt as dt_util
import probatio

from ..const import DOMAIN
from ..data import OpenHemConfigEntry
from ..devices.hub import ControlledDevice, DeviceKind, DeviceMode
from .const import (
    WISH_COMFORT_HIGH,
    WISH_COMFORT_LOW,
    WISH_FINISH_BY,
    WISH_READY_BY,
    WISH_TARGET_SOC,
)
from .inputs import GridLimit
from .loop import Override, PlanningLoop
from .wishes import WISH_KEYS

SERVICE_REPLAN: Final = "replan"
SERVICE_SET_WISH: Final = "set_wish"
SERVICE_OVERRIDE: Final = "override"
SERVICE_SET_GRID_LIMIT: Final = "set_grid_limit"
SERVICE_GET_PLAN: Final = "get_plan"

ATTR_CONFIG_ENTRY: Final = "config_entry"
ATTR_DEVICE: Final = "device_id"
ATTR_POWER: Final = "power"
ATTR_MODE: Final = "mode"
ATTR_DURATION: Final = "duration"
ATTR_IMPORT_LIMIT: Final = "import_limit"
ATTR_EXPORT_LIMIT: Final = "export_limit"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
MAX_OVERRIDE = timedelta(hours=24)
MAX_LIMIT_WINDOW = timedelta(days=7)

ENTRY_SCHEMA: Final = probatio.Schema({probatio.Optional(ATTR_CONFIG_ENTRY): cv.string})
SET_WISH_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY): cv.string,
        probatio.Required(ATTR_DEVICE): cv.string,
        probatio.Optional(WISH_TARGET_SOC): probatio.All(
            probatio.Coerce(float), probatio.Range(0, 100)
        ),
        probatio.Optional(WISH_READY_BY): cv.time,
        probatio.Optional(WISH_COMFORT_LOW): probatio.All(
            probatio.Coerce(float), probatio.Range(5, 30)
        ),
        probatio.Optional(WISH_COMFORT_HIGH): probatio.All(
            probatio.Coerce(float), probatio.Range(5, 30)
        ),
        probatio.Optional(WISH_FINISH_BY): cv.time,
    }
)
OVERRIDE_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY): cv.string,
        probatio.Required(ATTR_DEVICE): cv.string,
        probatio.Optional(ATTR_POWER): probatio.All(
            probatio.Coerce(float), probatio.Range(-100_000, 100_000)
        ),
        probatio.Optional(ATTR_MODE): probatio.In([m.value for m in DeviceMode]),
        probatio.Required(ATTR_DURATION): cv.positive_time_period,
    }
)
SET_GRID_LIMIT_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY): cv.string,
        probatio.Optional(ATTR_IMPORT_LIMIT): probatio.All(
            probatio.Coerce(float), probatio.Range(0, 1_000_000)
        ),
        probatio.Optional(ATTR_EXPORT_LIMIT): probatio.All(
            probatio.Coerce(float), probatio.Range(0, 1_000_000)
        ),
        probatio.Optional(ATTR_START): cv.datetime,
        probatio.Required(ATTR_END): cv.datetime,
    }
)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _loop(call: ServiceCall) -> tuple[OpenHemConfigEntry, PlanningLoop]:
    entry: OpenHemConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, call.data.get(ATTR_CONFIG_ENTRY)
    )
    loop = entry.runtime_data.planner
    if loop is None:  # pragma: no cover - set during setup, before the entry is loaded
        raise _invalid("no_plan")
    return entry, loop


def _device(hass: HomeAssistant, entry: OpenHemConfigEntry, device_id: str) -> ControlledDevice:
    """The hub's device behind a device registry id (or a subentry id)."""
    subentry_id = device_id
    if (found := dr.async_get(hass).async_get(device_id)) is not None:
        subentry_id = next(
            (ident for domain, ident in found.identifiers if domain == DOMAIN), device_id
        )
    device = entry.runtime_data.devices.get(subentry_id)
    if device is None:
        raise _invalid("unknown_device", device=device_id)
    return device


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(moment)


async def async_replan(call: ServiceCall) -> None:
    """Plan now and wait for the plan."""
    _, loop = _loop(call)
    await loop.async_replan("action")


async def async_set_wish(call: ServiceCall) -> None:
    """Set a device's wishes; the next plan follows them."""
    entry, loop = _loop(call)
    device = _device(call.hass, entry, call.data[ATTR_DEVICE])
    allowed = WISH_KEYS.get(device.kind, ())
    given = {k: v for k, v in call.data.items() if k not in (ATTR_CONFIG_ENTRY, ATTR_DEVICE)}
    if not given:
        raise _invalid("no_wish", device=device.name)
    wrong = sorted(set(given) - set(allowed))
    if wrong:
        raise _invalid(
            "wish_not_for_device",
            device=device.name,
            wishes=", ".join(wrong),
            allowed=", ".join(allowed) or "-",
        )
    current = loop.wish(device.subentry_id)
    low = given.get(WISH_COMFORT_LOW, current.comfort_low)
    high = given.get(WISH_COMFORT_HIGH, current.comfort_high)
    if device.kind is DeviceKind.HEAT_PUMP and low > high:
        raise _invalid("invalid_comfort_band", low=str(low), high=str(high))
    loop.async_set_wish(device.subentry_id, **given)


async def async_override(call: ServiceCall) -> None:
    """Hold a device at a power or in a mode for ``duration``; then back to its own mode."""
    entry, loop = _loop(call)
    device = _device(call.hass, entry, call.data[ATTR_DEVICE])
    power = call.data.get(ATTR_POWER)
    mode = call.data.get(ATTR_MODE)
    if (power is None) == (mode is None):
        raise _invalid("override_power_or_mode")
    duration: timedelta = call.data[ATTR_DURATION]
    if duration > MAX_OVERRIDE:
        raise _invalid("override_too_long", hours=str(int(MAX_OVERRIDE.total_seconds() // 3600)))
    loop.async_set_override(
        Override(
            device.subentry_id,
            dt_util.utcnow() + duration,
            power_w=power,
            mode=None if mode is None else DeviceMode(mode),
        )
    )


async def async_set_grid_limit(call: ServiceCall) -> None:
    """A grid limit from start (default now) to end, on the GRID rung."""
    _, loop = _loop(call)
    imp = call.data.get(ATTR_IMPORT_LIMIT)
    exp = call.data.get(ATTR_EXPORT_LIMIT)
    if imp is None and exp is None:
        raise _invalid("no_limit")
    start = _aware(call.data[ATTR_START]) if ATTR_START in call.data else dt_util.utcnow()
    end = _aware(call.data[ATTR_END])
    if not start < end <= start + MAX_LIMIT_WINDOW or end <= dt_util.utcnow():
        raise _invalid(
            "invalid_limit_window",
            start=dt_util.as_local(start).isoformat(),
            end=dt_util.as_local(end).isoformat(),
        )
    loop.async_add_grid_limit(GridLimit(start, end, imp, exp))


async def async_get_plan(call: ServiceCall) -> ServiceResponse:
    """The plan in force (see ``PlanSnapshot.response``)."""
    _, loop = _loop(call)
    if loop.snapshot is None:
        raise _invalid("no_plan")
    response: dict[str, Any] = loop.snapshot.shifted_to(dt_util.utcnow()).response()
    return response
