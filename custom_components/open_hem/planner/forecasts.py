"""Forecasts the loop plans with: base load, PV production and outdoor temperature.

- Base load: the grid meter's hourly long-term statistics (Open HEM's P1 meters, else the
  Energy dashboard's grid sources): import - export, plus the PV production the Energy
  dashboard knows (so solar hours are not read as low load), minus what the devices in auto
  mode drew (their power sensors' hourly means, so a battery that charged every night is not
  household load), averaged per weekday and hour over the recent weeks; with less than a week
  of history the hour-of-day mean, and without a day of it a flat default. Read in the
  recorder's executor.
- PV: the Energy dashboard's solar forecast (Forecast.Solar and the like, via the energy
  platforms of the entries its solar sources name); without one the mean hourly production
  of the last week from the solar sources' statistics (or, without those, the PV inverters'
  power sensors); else zero. The PV inverters the loop plans get it as their forecast
  (:func:`pv_models`).
- Outdoor temperature: the hourly forecast (``weather.get_forecasts``) of the weather entity
  chosen in the options (default ``weather.home`` or the first); without one the month's
  normal temperature.

Each refreshes on its own schedule and never raises: a failure keeps the last value (or the
default) and is logged at debug level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
import copy
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from homeassistant.const import UnitOfEnergy, UnitOfPower, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import TemperatureConverter
import numpy as np

from ..const import LOGGER
from ..core.planner import PVInverter
from ..data import OpenHemConfigEntry
from ..devices.hub import DeviceHub, DeviceKind, DeviceMode
from .const import (
    CONF_WEATHER,
    DEFAULT_BASE_LOAD_W,
    DEFAULT_WEATHER,
    FORECAST_REFRESH,
    HISTORY_WEEKS,
    MIN_HISTORY_HOURS,
    PROFILE_REFRESH,
    SEASONAL_OUTDOOR_C,
)
from .inputs import meter_energy_entities

HOUR = timedelta(hours=1)


def _hour(moment: datetime) -> datetime:
    return dt_util.as_utc(moment).replace(minute=0, second=0, microsecond=0)


async def _energy_sources(hass: HomeAssistant, kind: str) -> list[dict[str, Any]]:
    """The Energy dashboard's sources of a type (empty when the dashboard is not set up)."""
    if "energy" not in hass.config.components:
        return []
    from homeassistant.components.energy.data import async_get_manager  # noqa: PLC0415

    manager = await async_get_manager(hass)
    prefs: dict[str, Any] = dict(manager.data or {})
    return [dict(s) for s in prefs.get("energy_sources", []) if s.get("type") == kind]


async def _solar_sources(hass: HomeAssistant) -> list[dict[str, Any]]:
    """The Energy dashboard's solar sources."""
    return await _energy_sources(hass, "solar")


async def _grid_statistics(hass: HomeAssistant) -> tuple[list[str], list[str]]:
    """The Energy dashboard's grid import and export statistics (another meter integration)."""
    imports: list[str] = []
    exports: list[str] = []
    for source in await _energy_sources(hass, "grid"):
        # Home Assistant's older layout had lists of flows per grid source.
        flows = [source, *source.get("flow_from", []), *source.get("flow_to", [])]
        imports += [f["stat_energy_from"] for f in flows if f.get("stat_energy_from")]
        exports += [f["stat_energy_to"] for f in flows if f.get("stat_energy_to")]
    return imports, exports


STAT_UNITS = {"energy": UnitOfEnergy.KILO_WATT_HOUR, "power": UnitOfPower.WATT}
"""Statistics are read in kWh (changes) and W (means), whatever their sensors show."""


def hourly_values(
    hass: HomeAssistant,
    start: datetime,
    end: datetime,
    ids: set[str],
    kind: Literal["change", "mean"] = "change",
) -> dict[str, dict[datetime, float]]:
    """Per statistic, each hour's change (kWh) or mean (W) in [start, end) (in the executor)."""
    from homeassistant.components.recorder import statistics  # noqa: PLC0415

    rows = statistics.statistics_during_period(
        hass, start, end, ids, "hour", dict(STAT_UNITS), {kind}
    )
    out: dict[str, dict[datetime, float]] = {}
    for stat, found in rows.items():
        hours = out.setdefault(stat, {})
        for row in found:
            value = row.get(kind)
            if value is not None:
                hours[dt_util.utc_from_timestamp(row["start"])] = float(value)
    return out


async def async_hourly_changes(
    hass: HomeAssistant,
    start: datetime,
    end: datetime,
    ids: set[str],
    kind: Literal["change", "mean"] = "change",
) -> dict[str, dict[datetime, float]]:
    """:func:`hourly_values` in the recorder's executor ({} without a recorder)."""
    if not ids or "recorder" not in hass.config.components:
        return {}
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    return await get_instance(hass).async_add_executor_job(
        hourly_values, hass, start, end, ids, kind
    )


def device_power_statistics(devices: DeviceHub, *, solar_known: bool) -> dict[str, float]:
    """The power sensors of the devices Open HEM plans (auto mode) and their signs to
    consumption; manual and off devices, and those it can only plan around, stay household
    load. PV inverters only when the Energy dashboard knows no solar production (else it is
    counted twice)."""
    found: dict[str, float] = {}
    for device in devices:
        if (
            device.power_entity is None
            or device.mode is not DeviceMode.AUTO
            or not device.plannable()
        ):
            continue
        if device.kind is DeviceKind.PV_INVERTER and solar_known:
            continue
        found[device.power_entity] = device.power_sign
    return found


class BaseLoadForecast:
    """The household's own consumption per weekday and hour, from the meter's history."""

    def __init__(self) -> None:
        self.by_weekday_hour: dict[tuple[int, int], float] = {}
        self.by_hour: dict[int, float] = {}
        self.hours = 0
        self.refreshed: datetime | None = None

    @property
    def source(self) -> str:
        if self.hours >= MIN_HISTORY_HOURS:
            return "weekday_hour"
        return "hour_of_day" if self.hours >= 24 else "default"

    def learn(
        self,
        imports: Iterable[dict[datetime, float]],
        exports: Iterable[dict[datetime, float]],
        solar: Iterable[dict[datetime, float]],
        zone: Any,
        devices: Iterable[dict[datetime, float]] = (),
    ) -> None:
        """Take hourly kWh: base = import - export + solar production - controlled devices
        (their consumption, negative where they delivered)."""
        imports, exports, solar = list(imports), list(exports), list(solar)
        devices = list(devices)
        hours: set[datetime] = set().union(*(d.keys() for d in imports)) if imports else set()
        per_wh: dict[tuple[int, int], list[float]] = defaultdict(list)
        per_h: dict[int, list[float]] = defaultdict(list)
        for hour in hours:
            if any(hour not in d for d in imports):
                continue
            kwh = sum(d[hour] for d in imports) - sum(d.get(hour, 0.0) for d in exports)
            kwh += sum(d.get(hour, 0.0) for d in solar)
            kwh -= sum(d.get(hour, 0.0) for d in devices)
            watts = max(0.0, kwh * 1000.0)
            local = hour.astimezone(zone)
            per_wh[(local.weekday(), local.hour)].append(watts)
            per_h[local.hour].append(watts)
        self.hours = sum(len(v) for v in per_h.values())
        self.by_weekday_hour = {k: sum(v) / len(v) for k, v in per_wh.items()}
        self.by_hour = {k: sum(v) / len(v) for k, v in per_h.items()}

    def at(self, moment: datetime, zone: Any) -> float:
        local = moment.astimezone(zone)
        source = self.source
        if source == "weekday_hour" and (local.weekday(), local.hour) in self.by_weekday_hour:
            return self.by_weekday_hour[(local.weekday(), local.hour)]
        if source != "default" and local.hour in self.by_hour:
            return self.by_hour[local.hour]
        return DEFAULT_BASE_LOAD_W


@dataclass(frozen=True)
class ForecastInputs:
    """The forecasts as one cycle reads them, taken on the event loop and read per slot in
    the executor. A refresh replaces the dicts it fills (never changes them in place), so
    these references keep what they held when taken."""

    base: BaseLoadForecast
    pv_hours: dict[datetime, float]
    temp_hours: dict[datetime, float]
    zone: Any
    southern: bool

    def base_load(self, slots: Sequence[datetime]) -> list[float]:
        return [self.base.at(t, self.zone) for t in slots]

    def pv(self, slots: Sequence[datetime]) -> list[float]:
        return [max(0.0, self.pv_hours.get(_hour(t), 0.0)) for t in slots]

    def seasonal(self, moment: datetime) -> float:
        """The month's normal outdoor temperature (half a year on south of the equator)."""
        month = moment.astimezone(self.zone).month - 1
        if self.southern:
            month = (month + 6) % 12
        return SEASONAL_OUTDOOR_C[month]

    def outdoor(self, slots: Sequence[datetime]) -> list[float]:
        if not self.temp_hours:
            return [self.seasonal(t) for t in slots]
        ordered = sorted(self.temp_hours)
        out = []
        for t in slots:
            hour = _hour(t)
            if hour in self.temp_hours:
                out.append(self.temp_hours[hour])
            else:
                nearest = ordered[0] if hour < ordered[0] else ordered[-1]
                out.append(self.temp_hours[nearest])
        return out


class Forecasts:
    """The three forecasts, refreshed when stale; a cycle reads them per slot from
    :meth:`inputs`."""

    def __init__(self, hass: HomeAssistant, entry: OpenHemConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.base = BaseLoadForecast()
        self.pv_hours: dict[datetime, float] = {}
        self.pv_source = "none"
        self.pv_refreshed: datetime | None = None
        self.pv_history = "none"
        self.temp_hours: dict[datetime, float] = {}
        self.weather_entity: str | None = None
        self.temp_source = "seasonal_default"
        self.temp_refreshed: datetime | None = None
        self.device_statistics = 0
        self._planned_devices: frozenset[str] = frozenset()

    async def async_refresh(self, now: datetime) -> None:
        """Refresh what is stale (never raises); the base load also when the devices whose
        consumption it leaves out changed (one joined, left or changed mode)."""
        planned = frozenset(
            device_power_statistics(self.entry.runtime_data.devices, solar_known=False)
        )
        if planned != self._planned_devices:
            self._planned_devices = planned
            self.base.refreshed = None
        for stale, refresh in (
            (self.base.refreshed, self._async_refresh_base),
            (self.pv_refreshed, self._async_refresh_pv),
            (self.temp_refreshed, self._async_refresh_temperature),
        ):
            period = PROFILE_REFRESH if refresh == self._async_refresh_base else FORECAST_REFRESH
            if stale is not None and now - stale < period:
                continue
            try:
                await refresh(now)
            except Exception as err:
                LOGGER.debug("Planner forecast %s failed: %s", refresh.__name__, err)

    async def _async_refresh_base(self, now: datetime) -> None:
        self.base.refreshed = now
        imports, exports = meter_energy_entities(self.hass, self.entry)
        if not imports:
            imports, exports = await _grid_statistics(self.hass)
        solar = [s["stat_energy_from"] for s in await _solar_sources(self.hass)]
        signs = device_power_statistics(self.entry.runtime_data.devices, solar_known=bool(solar))
        end = _hour(now)
        start = end - timedelta(weeks=HISTORY_WEEKS)
        changes = await async_hourly_changes(self.hass, start, end, {*imports, *exports, *solar})
        means = await async_hourly_changes(self.hass, start, end, set(signs), "mean")
        # A mean power (W) over an hour is that many Wh.
        drawn = [
            {hour: sign * watts / 1000.0 for hour, watts in means[stat].items()}
            for stat, sign in signs.items()
            if stat in means
        ]
        self.device_statistics = len(drawn)
        self.base.learn(
            [changes[i] for i in imports if i in changes],
            [changes[e] for e in exports if e in changes],
            [changes[s] for s in solar if s in changes],
            dt_util.get_default_time_zone(),
            drawn,
        )

    async def _async_refresh_pv(self, now: datetime) -> None:
        self.pv_refreshed = now
        sources = await _solar_sources(self.hass)
        entry_ids = {e for s in sources for e in (s.get("config_entry_solar_forecast") or [])}
        if entry_ids:
            from homeassistant.components.energy.websocket_api import (  # noqa: PLC0415
                async_get_energy_platforms,
            )

            platforms = await async_get_energy_platforms(self.hass)
            hours: dict[datetime, float] = defaultdict(float)
            for entry_id in sorted(entry_ids):
                entry = self.hass.config_entries.async_get_entry(entry_id)
                if entry is None or entry.domain not in platforms:
                    continue
                forecast: Any = await platforms[entry.domain](self.hass, entry_id)
                for key, wh in ((forecast or {}).get("wh_hours") or {}).items():
                    moment = dt_util.parse_datetime(key)
                    if moment is not None:
                        hours[_hour(moment)] += float(wh)
            if hours:
                self.pv_hours, self.pv_source = dict(hours), "forecast"
                return
        stats = [s["stat_energy_from"] for s in sources]
        end = _hour(now)
        start = end - timedelta(days=7)
        # Production per hour (W): the solar meters' energy, else the inverters' power sensors.
        produced: list[dict[datetime, float]]
        if stats:
            changes = await async_hourly_changes(self.hass, start, end, set(stats))
            produced = [{h: kwh * 1000.0 for h, kwh in found.items()} for found in changes.values()]
            self.pv_history = "solar_energy"
        else:
            inverters = {
                d.power_entity: -d.power_sign
                for d in self.entry.runtime_data.devices
                if d.kind is DeviceKind.PV_INVERTER and d.power_entity is not None
            }
            means = await async_hourly_changes(self.hass, start, end, set(inverters), "mean")
            produced = [
                {h: inverters[stat] * w for h, w in found.items()} for stat, found in means.items()
            ]
            self.pv_history = "inverter_power"
        zone = dt_util.get_default_time_zone()
        per_hour: dict[int, list[float]] = defaultdict(list)
        for found in produced:
            for hour, watts in found.items():
                per_hour[hour.astimezone(zone).hour].append(max(0.0, watts))
        if not per_hour:
            self.pv_hours, self.pv_source = {}, "none"
            return
        mean = {h: sum(v) / 7.0 for h, v in per_hour.items()}
        self.pv_hours = {
            end + HOUR * i: mean.get((end + HOUR * i).astimezone(zone).hour, 0.0)
            for i in range(-1, 49)
        }
        self.pv_source = "history"

    def _weather_entity(self) -> str | None:
        """The chosen weather entity; without a choice weather.home, else the first."""
        if CONF_WEATHER in self.entry.options:
            return self.entry.options[CONF_WEATHER] or None
        found = sorted(self.hass.states.async_entity_ids("weather"))
        if DEFAULT_WEATHER in found:
            return DEFAULT_WEATHER
        return found[0] if found else None

    async def _async_refresh_temperature(self, now: datetime) -> None:
        self.temp_refreshed = now
        self.weather_entity = entity_id = self._weather_entity()
        if entity_id is None:
            self.temp_hours = {}
            self.temp_source = (
                "none_chosen" if CONF_WEATHER in self.entry.options else "no_weather_entity"
            )
            return
        if self.hass.states.get(entity_id) is None:
            self.temp_hours = {}
            self.temp_source = "weather_entity_missing"
            return
        # Until it answers: the last forecast, else the seasonal default.
        self.temp_source = "weather" if self.temp_hours else "weather_failed"
        response: Any = await self.hass.services.async_call(
            "weather",
            "get_forecasts",
            {"type": "hourly"},
            target={"entity_id": entity_id},
            blocking=True,
            return_response=True,
        )
        unit = self.hass.config.units.temperature_unit
        hours: dict[datetime, float] = {}
        for item in ((response or {}).get(entity_id) or {}).get("forecast", []):
            moment = dt_util.parse_datetime(str(item.get("datetime")))
            value = item.get("temperature")
            if moment is None or not isinstance(value, int | float):
                continue
            celsius = TemperatureConverter.convert(float(value), unit, UnitOfTemperature.CELSIUS)
            hours[_hour(moment)] = celsius
        self.temp_hours = hours
        self.temp_source = "weather" if hours else "weather_empty"

    # -- per slot -------------------------------------------------------------------------

    def inputs(self) -> ForecastInputs:
        """What the forecasts hold now, for a cycle to read per slot off the event loop."""
        return ForecastInputs(
            base=copy.copy(self.base),
            pv_hours=self.pv_hours,
            temp_hours=self.temp_hours,
            zone=dt_util.get_default_time_zone(),
            southern=self.hass.config.latitude < 0,
        )

    def diagnostics(self) -> dict[str, Any]:
        """Sources and sizes; no values that describe the household's life."""
        return {
            "base_load_source": self.base.source,
            "base_load_history_hours": self.base.hours,
            "base_load_devices_subtracted": self.device_statistics,
            "pv_source": self.pv_source,
            "pv_history": self.pv_history,
            "pv_hours": len(self.pv_hours),
            "temperature_source": self.temp_source,
            "temperature_hours": len(self.temp_hours),
            # Another integration's entity: whether one is used, not its name.
            "weather_entity": self.weather_entity is not None,
        }


def pv_models(
    models: Sequence[Any], forecast_w: Sequence[float], solar_name: str
) -> list[PVInverter]:
    """The PV the plan has: the planned inverters, those without a forecast of their own
    (entity-backed ones) sharing the household's PV forecast in proportion to their peak
    power; without any inverter the forecast as uncontrolled PV."""
    pvs = [m for m in models if isinstance(m, PVInverter)]
    if not pvs:
        if any(v > 0 for v in forecast_w):
            return [PVInverter(solar_name, forecast_w=np.asarray(forecast_w), curtailable=False)]
        return []
    empty = [p for p in pvs if not np.any(p.forecast_w > 0)]
    if not empty:
        return pvs
    peaks = [p.max_ac_w for p in empty]
    # Without every peak known, equal shares.
    weights = [1.0] * len(empty) if any(not w for w in peaks) else [float(w or 0) for w in peaks]
    total = sum(weights)
    forecast = np.asarray(forecast_w, dtype=np.float64)
    shared = {
        p.name: replace(p, forecast_w=forecast * w / total)
        for p, w in zip(empty, weights, strict=True)
    }
    return [shared.get(p.name, p) for p in pvs]
