"""The planning loop's inputs from real Home Assistant parts: recorder statistics, the Energy
dashboard's solar forecast platform, a weather entity's hourly forecast and the car's SOC
(with the real recorder, which the Energy dashboard needs).

Each test sets up Open HEM with entity-backed devices (helper entities) and ENTSO-E prices,
feeds one input the way a household's Home Assistant would, and checks what the plan does
with it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.components.weather import Forecast, WeatherEntity, WeatherEntityFeature
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    async_fire_time_changed,
    mock_integration,
    mock_platform,
    setup_test_component_platform,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.core.prices import PriceSeries, priced
from custom_components.open_hem.core.prices.tariff import Tariff
from custom_components.open_hem.diagnostics import async_get_config_entry_diagnostics
from custom_components.open_hem.planner.const import MAX_HORIZON, MIN_SLOTS, SLOT
from custom_components.open_hem.planner.inputs import known_prices

from .entity_devices import (
    BATTERY,
    BATTERY_POWER,
    CAR_SOC,
    CURRENT,
    EV_POWER,
    HP_LIMIT,
    HP_POWER,
    HP_SWITCH,
    INDOOR,
    PLUGGED,
    PV_LIMIT,
    PV_POWER,
    async_setup_helpers,
    device_named,
    subentry,
)
from .entries import hub_entry
from .planner_helpers import loop_of, replan
from .prices_helpers import AMSTERDAM, NOW, TODAY, URL, a44, configure_nl

HOUR = timedelta(hours=1)
ENTSOE = {"price_source": "entsoe", "api_token": "secret", "bidding_zone": "NL"}


async def _home(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """A Dutch Home Assistant on the tests' frozen morning, with the devices' helper entities."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    await async_setup_helpers(hass)


async def _start(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    *subentries: ConfigSubentryData,
    base: float = 100.0,
    **options: Any,
) -> MockConfigEntry:
    """Open HEM with these devices and ENTSO-E prices, after its first plan."""
    aioclient_mock.get(URL, text=a44(TODAY, TODAY + timedelta(days=1), base=base))
    entry = hub_entry(ENTSOE, options=options, subentries=subentries)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await replan(hass, freezer)
    return entry


def _local(hour: int, minute: int = 0) -> datetime:
    """Today (the tests' frozen day) at a local time, in UTC."""
    moment = datetime(TODAY.year, TODAY.month, TODAY.day, hour, minute, tzinfo=AMSTERDAM)
    return dt_util.as_utc(moment)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: Any) -> None:
    """The recorder before Home Assistant starts (statistics and the Energy dashboard)."""
    return


async def _energy(hass: HomeAssistant, *sources: dict[str, Any]) -> None:
    """The Energy dashboard with these sources."""
    assert await async_setup_component(hass, "energy", {})
    manager = await async_get_manager(hass)
    await manager.async_update({"energy_sources": list(sources)})  # type: ignore[typeddict-item]


# -- 1. the base load leaves out what the controlled devices drew ----------------------------


def _energy_rows(kwh_per_hour: list[tuple[datetime, float]]) -> list[dict[str, Any]]:
    total = 0.0
    rows = []
    for start, kwh in kwh_per_hour:
        total += kwh
        rows.append({"start": start, "state": total, "sum": total})
    return rows


async def test_the_base_load_forecast_leaves_out_a_battery_charging_every_night(
    recorder_mock: Any,
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Eight days of meter history in which a home battery charged at 2 kW from
    01:00 to 04:00 every night: the forecast is the household's 300 W, night and day."""
    await _home(hass, freezer)
    first = _local(0) - timedelta(days=8)
    hours = [first + HOUR * i for i in range(24 * 8 + 10)]
    charging = {h for h in hours if 1 <= h.astimezone(AMSTERDAM).hour < 4}
    # The grid meter: the household's 300 W plus the battery's 2 kW while it charged.
    async_import_statistics(
        hass,
        {
            "source": "recorder",
            "statistic_id": "sensor.grid_import",
            "name": None,
            "unit_of_measurement": "kWh",
            "unit_class": "energy",
            "has_sum": True,
            "mean_type": StatisticMeanType.NONE,
        },
        _energy_rows([(h, 0.3 + (2.0 if h in charging else 0.0)) for h in hours]),
    )
    # The battery's power sensor, in Home Assistant's battery sign (charging negative), kW.
    async_import_statistics(
        hass,
        {
            "source": "recorder",
            "statistic_id": BATTERY_POWER,
            "name": None,
            "unit_of_measurement": "kW",
            "unit_class": "power",
            "has_sum": False,
            "mean_type": StatisticMeanType.ARITHMETIC,
        },
        [
            {"start": h, "mean": v, "min": v, "max": v}
            for h in hours
            for v in [-2.0 if h in charging else 0.0]
        ],
    )
    await async_wait_recording_done(hass)
    await _energy(
        hass, {"type": "grid", "stat_energy_from": "sensor.grid_import", "cost_adjustment_day": 0}
    )
    entry = await _start(hass, aioclient_mock, freezer, BATTERY)
    loop = loop_of(entry)
    assert loop.forecasts.base.source == "weekday_hour"
    night = [_local(2) + timedelta(days=1), _local(2, 30) + timedelta(days=1)]
    day = [_local(12), _local(18)]
    assert loop.forecasts.inputs().base_load(night) == pytest.approx([300.0, 300.0])
    assert loop.forecasts.inputs().base_load(day) == pytest.approx([300.0, 300.0])
    snap = loop.snapshot
    assert snap is not None
    assert snap.base_load_w[snap.index(night[0])] == pytest.approx(300.0)
    diagnostics = (await async_get_config_entry_diagnostics(hass, entry))["planner"]
    assert diagnostics["forecasts"]["base_load_devices_subtracted"] == 1

    # In manual mode Open HEM no longer plans the battery: what it draws is household load
    # again, and the next cycle's forecast shows the 2.3 kW the meter measured at night.
    battery = device_named(entry, "Battery")
    mode = er.async_get(hass).async_get_entity_id("select", DOMAIN, f"{battery.subentry_id}_mode")
    assert mode is not None
    await hass.services.async_call(
        "select", "select_option", {"entity_id": mode, "option": "manual"}, blocking=True
    )
    await replan(hass, freezer)
    assert loop.forecasts.inputs().base_load(night) == pytest.approx([2300.0, 2300.0])
    assert loop.forecasts.inputs().base_load(day) == pytest.approx([300.0, 300.0])


# -- 2. the PV forecast reaches the PV inverter --------------------------------------------


def _solar_forecast_platform(hass: HomeAssistant, wh_hours: dict[str, float]) -> MockConfigEntry:
    """A small integration with an Energy solar forecast platform (as Forecast.Solar has)."""

    async def async_get_solar_forecast(hass: HomeAssistant, entry_id: str) -> dict[str, Any]:
        return {"wh_hours": wh_hours}

    mock_integration(hass, MockModule("solar_test"))
    mock_platform(
        hass,
        "solar_test.energy",
        SimpleNamespace(async_get_solar_forecast=async_get_solar_forecast),  # type: ignore[arg-type]
    )
    hass.config.components.add("solar_test")
    entry = MockConfigEntry(domain="solar_test")
    entry.add_to_hass(hass)
    return entry


async def test_the_pv_inverter_is_planned_with_the_solar_forecast_and_curtailed(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """3 kW forecast from 10:00 to 17:00; exported energy costs money until 15:00 (spot below
    zero, nothing at 15:00): the plan curtails the inverter to the household's load then,
    and lets it produce all it can after; the inverter's limit entity follows."""
    await _home(hass, freezer)
    forecast = {_local(h).isoformat(): 3000.0 for h in range(10, 17)}
    solar = _solar_forecast_platform(hass, forecast)
    await _energy(
        hass,
        {
            "type": "solar",
            "stat_energy_from": "sensor.pv_energy",
            "config_entry_solar_forecast": [solar.entry_id],
        },
    )
    pv = subentry(
        "pv_inverter", "Roof", power_entity=PV_POWER, power_limit_entity=PV_LIMIT, peak_w=4000
    )
    # Spot from -60 EUR/MWh rising 1 per quarter hour: below zero until 15:00.
    entry = await _start(hass, aioclient_mock, freezer, pv, base=-60.0, export_mode="spot")
    loop = loop_of(entry)
    assert loop.forecasts.pv_source == "forecast"
    snap = loop.snapshot
    assert snap is not None
    assert snap.status.value == "optimal", snap.reason
    series = snap.devices[device_named(entry, "Roof").subentry_id]
    assert series.curtailed_w is not None
    for moment in (_local(11), _local(14, 45)):
        i = snap.index(moment)
        assert snap.export_price[i] < 0
        assert -series.power_w[i] == pytest.approx(snap.base_load_w[i], abs=1.0)
        assert series.curtailed_w[i] == pytest.approx(3000.0 - snap.base_load_w[i], abs=1.0)
        assert snap.grid_w[i] == pytest.approx(0.0, abs=1.0)
    for moment in (_local(15, 15), _local(16, 45)):
        i = snap.index(moment)
        assert snap.export_price[i] > 0
        assert -series.power_w[i] == pytest.approx(3000.0, abs=1.0)
        assert series.curtailed_w[i] == pytest.approx(0.0, abs=1.0)
    # No forecast, no production: evening.
    assert series.power_w[snap.index(_local(19))] == pytest.approx(0.0, abs=1.0)
    # The inverter now holds the limit of the slot in progress (10:00-10:15: curtailed).
    limit = hass.states.get(PV_LIMIT)
    assert limit is not None
    assert float(limit.state) == pytest.approx(snap.base_load_w[0], abs=1.0)


async def test_the_forecast_is_shared_by_peak_power_between_inverters(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """Two curtailable inverters (3 kW and 1 kW peak) share a 2 kW forecast 3:1."""
    await _home(hass, freezer)
    hass.states.async_set("sensor.shed_pv", "200", {"unit_of_measurement": "W"})
    shed_limit = HP_LIMIT  # any W number entity will do as the second inverter's limit
    solar = _solar_forecast_platform(hass, {_local(11).isoformat(): 2000.0})
    await _energy(
        hass,
        {
            "type": "solar",
            "stat_energy_from": "sensor.pv_energy",
            "config_entry_solar_forecast": [solar.entry_id],
        },
    )
    entry = await _start(
        hass,
        aioclient_mock,
        freezer,
        subentry(
            "pv_inverter", "Roof", power_entity=PV_POWER, power_limit_entity=PV_LIMIT, peak_w=3000
        ),
        subentry(
            "pv_inverter",
            "Shed",
            power_entity="sensor.shed_pv",
            power_limit_entity=shed_limit,
            peak_w=1000,
        ),
    )
    snap = loop_of(entry).snapshot
    assert snap is not None
    i = snap.index(_local(11))
    roof = snap.devices[device_named(entry, "Roof").subentry_id].power_w[i]
    shed = snap.devices[device_named(entry, "Shed").subentry_id].power_w[i]
    assert (roof, shed) == pytest.approx((-1500.0, -500.0), abs=1.0)
    assert snap.pv_w[i] == pytest.approx(-2000.0, abs=1.0)  # produced: negative


async def test_without_a_solar_forecast_the_inverters_history(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """No Energy dashboard: the inverter's power sensor produced 2.4 kW at noon every day of
    the last week, so its forecast for today's noon is 2.4 kW."""
    await _home(hass, freezer)
    first = _local(0) - timedelta(days=7)
    async_import_statistics(
        hass,
        {
            "source": "recorder",
            "statistic_id": PV_POWER,
            "name": None,
            "unit_of_measurement": "W",
            "unit_class": "power",
            "has_sum": False,
            "mean_type": StatisticMeanType.ARITHMETIC,
        },
        [
            {"start": h, "mean": v, "min": v, "max": v}
            for h in (first + HOUR * i for i in range(24 * 7))
            for v in [2400.0 if h.astimezone(AMSTERDAM).hour == 12 else 0.0]
        ],
    )
    await async_wait_recording_done(hass)
    roof = subentry("pv_inverter", "Roof", power_entity=PV_POWER, power_limit_entity=PV_LIMIT)
    entry = await _start(hass, aioclient_mock, freezer, roof)
    loop = loop_of(entry)
    assert loop.forecasts.diagnostics()["pv_history"] == "inverter_power"
    assert loop.forecasts.pv_source == "history"
    snap = loop.snapshot
    assert snap is not None
    series = snap.devices[device_named(entry, "Roof").subentry_id]
    assert series.power_w[snap.index(_local(12, 30))] == pytest.approx(-2400.0, abs=1.0)
    assert series.power_w[snap.index(_local(14))] == pytest.approx(0.0, abs=1.0)


async def test_an_inverter_without_a_limit_entity_is_measured_not_unreachable(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Only a power sensor: S2 NOT_CONTROLABLE, no control handler. In auto mode, past the
    loop's grace for unready devices, it raises no repair issue and its production is in
    the plan (uncontrolled, at the forecast)."""
    await _home(hass, freezer)
    solar = _solar_forecast_platform(hass, {_local(h).isoformat(): 3000.0 for h in range(10, 17)})
    await _energy(
        hass,
        {
            "type": "solar",
            "stat_energy_from": "sensor.pv_energy",
            "config_entry_solar_forecast": [solar.entry_id],
        },
    )
    roof = subentry("pv_inverter", "Roof", power_entity=PV_POWER, peak_w=4000)
    entry = await _start(hass, aioclient_mock, freezer, roof)
    device = device_named(entry, "Roof")
    assert device.mode.value == "auto"
    assert device.session.active_control_type is not None
    assert device.session.active_control_type.value == "NOT_CONTROLABLE"
    loop = loop_of(entry)
    for _ in range(2):  # 15 minutes on: two quarter-hour cycles, the last past the grace
        freezer.tick(timedelta(minutes=15))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        await replan(hass, freezer)
    assert loop.cycles >= 3
    assert [i for (d, i) in issue_registry.issues if d == DOMAIN] == []
    snap = loop.snapshot
    assert snap is not None
    assert snap.status.value == "optimal", snap.reason
    series = snap.devices[device.subentry_id]
    i = snap.index(_local(12))
    assert series.power_w[i] == pytest.approx(-3000.0, abs=1.0)
    assert snap.pv_w[i] == pytest.approx(-3000.0, abs=1.0)
    # Not curtailable: it produces all the forecast says, whatever the price.
    assert not any(series.curtailed_w or [])
    assert series.power_w[snap.index(_local(19))] == pytest.approx(0.0, abs=1.0)


# -- 3. the weather entity chosen in the options --------------------------------------------


class ForecastWeather(WeatherEntity):
    """A weather entity with a flat hourly temperature forecast."""

    _attr_native_temperature_unit = UnitOfTemperature.CELSIUS
    _attr_supported_features = WeatherEntityFeature.FORECAST_HOURLY
    _attr_condition = "cloudy"

    def __init__(self, name: str, temperature: float) -> None:
        self._attr_name = name
        self._attr_native_temperature = temperature
        self.temperature = temperature

    async def async_forecast_hourly(self) -> list[Forecast]:
        start = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
        return [
            Forecast(
                datetime=(start + HOUR * h).isoformat(),
                native_temperature=self.temperature,
                condition="cloudy",
            )
            for h in range(48)
        ]


HEAT_PUMP = subentry(
    "heat_pump",
    "Heat pump",
    power_entity=HP_POWER,
    indoor_temp_entity=INDOOR,
    switch_entity=HP_SWITCH,
    rated_power_w=6000,
)


async def _planning_options(hass: HomeAssistant, entry: MockConfigEntry, **changes: Any) -> None:
    """Save the options' planning step with these changes (the rest as shown)."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "planning"}
    )
    assert result["step_id"] == "planning"
    shown = {}
    for key in result["data_schema"].schema:
        if key.default is not None and not callable(key.default):
            shown[str(key)] = key.default
        elif callable(key.default):
            shown[str(key)] = key.default()
        if key.description and "suggested_value" in key.description:
            shown[str(key)] = key.description["suggested_value"]
    data = {k: v for k, v in {**shown, **changes}.items() if v is not None}
    result = await hass.config_entries.options.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.CREATE_ENTRY, result


def _heat_pump_kwh(entry: MockConfigEntry) -> float:
    snap = loop_of(entry).snapshot
    assert snap is not None
    power = snap.devices[device_named(entry, "Heat pump").subentry_id].power_w
    return sum(power) / 4000.0


async def test_the_chosen_weather_forecast_shapes_the_heat_pump_plan(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """weather.home (12 °C) by default; choosing a colder forecast (-5 °C) in the options makes
    the heat pump plan more heat; no weather entity: the month's normal temperature."""
    await _home(hass, freezer)
    setup_test_component_platform(
        hass, "weather", [ForecastWeather("Cold", -5.0), ForecastWeather("Home", 12.0)]
    )
    assert await async_setup_component(hass, "weather", {"weather": {"platform": "test"}})
    await hass.async_block_till_done()
    entry = await _start(hass, aioclient_mock, freezer, HEAT_PUMP)
    loop = loop_of(entry)
    assert loop.forecasts.weather_entity == "weather.home"
    assert loop.forecasts.inputs().outdoor([_local(12)]) == [12.0]
    mild = _heat_pump_kwh(entry)
    assert mild > 0

    await _planning_options(hass, entry, weather_entity="weather.cold")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options["weather_entity"] == "weather.cold"
    await replan(hass, freezer)
    loop = loop_of(entry)
    assert loop.forecasts.weather_entity == "weather.cold"
    assert loop.forecasts.inputs().outdoor([_local(12)]) == [-5.0]
    cold = _heat_pump_kwh(entry)
    assert cold > mild * 1.5

    # Cleared: no weather entity, the month's normal temperature (November: 7.0 °C), said so.
    await _planning_options(hass, entry, weather_entity=None)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options["weather_entity"] is None
    await replan(hass, freezer)
    loop = loop_of(entry)
    assert loop.forecasts.inputs().outdoor([_local(12)]) == [7.0]
    diagnostics = (await async_get_config_entry_diagnostics(hass, entry))["planner"]
    assert diagnostics["forecasts"]["temperature_source"] == "none_chosen"
    assert diagnostics["forecasts"]["weather_entity"] is False
    assert "weather.cold" not in str(diagnostics)
    seasonal = _heat_pump_kwh(entry)
    assert mild < seasonal < cold


async def test_without_any_weather_entity_the_seasonal_default(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """No weather entity anywhere: the month's normal, and south of the equator the other
    half of the year; saving the options keeps following the default."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    entry = await _start(hass, aioclient_mock, freezer)
    loop = loop_of(entry)
    assert loop.forecasts.inputs().outdoor([_local(12)]) == [7.0]
    assert loop.forecasts.diagnostics()["temperature_source"] == "no_weather_entity"
    hass.config.latitude = -33.9
    assert loop.forecasts.inputs().outdoor([_local(12)]) == [13.4]
    await _planning_options(hass, entry)
    assert "weather_entity" not in entry.options
    # A chosen entity that is gone: the default too, and the diagnostics say why.
    hass.config_entries.async_update_entry(entry, options={"weather_entity": "weather.gone"})
    await hass.async_block_till_done(wait_background_tasks=True)
    await replan(hass, freezer)
    assert loop_of(entry).forecasts.diagnostics()["temperature_source"] == (
        "weather_entity_missing"
    )


# -- 4. the EV with and without the car's SOC ---------------------------------------------


async def _get_plan(hass: HomeAssistant) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "get_plan", {}, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


def _entity(hass: HomeAssistant, entry: MockConfigEntry, device: str, key: str) -> str:
    subentry_id = device_named(entry, device).subentry_id
    found = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{subentry_id}_{key}")
    assert found is not None, key
    return found


def _charger(**extra: Any) -> ConfigSubentryData:
    return subentry(
        "ev_charger",
        "Wallbox",
        plugged_entity=PLUGGED,
        power_entity=EV_POWER,
        current_entity=CURRENT,
        **extra,
    )


async def test_an_ev_with_its_soc_is_planned_to_the_target_soc(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """The car's SOC entity and a 40 kWh battery: the plan's soc_pct rises from the car's
    30 % to the 80 % target by 07:00."""
    await _home(hass, freezer)
    hass.states.async_set(CAR_SOC, "30", {"unit_of_measurement": "%", "device_class": "battery"})
    entry = await _start(
        hass, aioclient_mock, freezer, _charger(car_soc_entity=CAR_SOC, car_capacity_kwh=40)
    )
    plan = await _get_plan(hass)
    socs = [s["devices"]["Wallbox"]["soc_pct"] for s in plan["slots"]]
    assert socs[0] == pytest.approx(30.0, abs=4.0)
    ready = next(i for i, s in enumerate(plan["slots"]) if s["end"] == "2025-11-27T07:00:00+01:00")
    assert socs[ready] == pytest.approx(80.0, abs=1.0)
    assert socs == sorted(socs)
    charged_kwh = sum(s["devices"]["Wallbox"]["power_w"] for s in plan["slots"][: ready + 1])
    # 50 % of 40 kWh, plus the charging losses (90 % efficient).
    assert charged_kwh / 4000.0 == pytest.approx(20.0 / 0.9, rel=0.05)
    # The EV's planned SOC entity: now (end of the slot in progress) and at ready-by.
    state = hass.states.get(_entity(hass, entry, "Wallbox", "planned_soc"))
    assert state is not None
    assert float(state.state) == pytest.approx(socs[0], abs=0.1)
    assert state.attributes["at_ready_by"] == pytest.approx(80.0, abs=1.0)


async def test_an_ev_without_its_soc_gets_the_session_energy_by_ready_by(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """No SOC entity: 10 kWh (the session energy) by 07:00, and no soc_pct in the plan."""
    await _home(hass, freezer)
    entry = await _start(hass, aioclient_mock, freezer, _charger())
    plan = await _get_plan(hass)
    assert all(set(s["devices"]["Wallbox"]) == {"power_w"} for s in plan["slots"])
    ready = next(i for i, s in enumerate(plan["slots"]) if s["end"] == "2025-11-27T07:00:00+01:00")
    charged_kwh = sum(s["devices"]["Wallbox"]["power_w"] for s in plan["slots"][: ready + 1])
    assert charged_kwh / 4000.0 == pytest.approx(10.0, rel=0.02)
    state = hass.states.get(_entity(hass, entry, "Wallbox", "planned_soc"))
    assert state is not None
    assert state.state == "unknown"
    assert state.attributes["at_ready_by"] is None


def test_known_prices_from_the_slot_in_progress_to_the_first_gap() -> None:
    """Import and export prices from now's quarter hour on, up to a gap or 48 h; None
    without a price source or with less than an hour of prices."""
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    spot = {start + SLOT * i: 0.1 + i / 1000 for i in range(-4, 300)}
    series = priced(PriceSeries(spot), Tariff(markup=0.02, feed_in_cost=0.01))
    found = known_prices(series, start + timedelta(minutes=7))
    assert found is not None
    imports, exports = found
    assert len(imports) == len(exports) == int(MAX_HORIZON / SLOT)
    assert (imports, exports) == series.horizon(start, len(imports))

    gap = start + SLOT * 10
    gappy = priced(PriceSeries({k: v for k, v in spot.items() if k != gap}), Tariff())
    found = known_prices(gappy, start)
    assert found is not None
    assert len(found[0]) == 10
    assert known_prices(gappy, gap - SLOT * (MIN_SLOTS - 1)) is None
    assert known_prices(None, start) is None
