"""scripts/dev_setup.py in a real Home Assistant: the demo home made through the flow's REST
API, the dashboard and the Energy preferences it builds from the registry are valid, and a second
run changes nothing the user made.

dev_setup talks to Home Assistant through its own test clients (REST and WebSocket), with the
same functions `scripts/develop` uses over HTTP; the demo's P1 meter runs on a real TCP socket.
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.typing import MockHAClientWebSocket

from .dev_scripts import load_script
from .prices_helpers import configure_nl

dev_setup = load_script("dev_setup")


class HarnessApi:
    """dev_setup's Api on Home Assistant's test clients."""

    def __init__(self, client: TestClient[Any, Any], ws: MockHAClientWebSocket) -> None:
        """Authenticated REST client and WebSocket."""
        self.client = client
        self.socket = ws

    async def rest(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the REST API."""
        response = await self.client.request(method, path, json=body)
        if response.status >= 400:
            raise dev_setup.SetupError(f"{path}: HTTP {response.status}")
        return await response.json()

    async def ws(self, message: dict[str, Any]) -> Any:
        """One WebSocket command."""
        await self.socket.send_json_auto_id(message)
        answer = await self.socket.receive_json()
        if not answer["success"]:
            raise dev_setup.SetupError(answer["error"]["message"])
        return answer["result"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """The recorder before hass (the Energy dashboard's checks read statistics)."""
    return


@pytest.fixture
async def api(
    hass: HomeAssistant, socket_enabled: None, hass_client: Any, hass_ws_client: Any
) -> HarnessApi:
    """Home Assistant in the Netherlands with the pieces `scripts/develop` has, and no entry."""
    await configure_nl(hass)
    hass.config.currency = "EUR"
    for component in ("lovelace", "energy", "config"):
        assert await async_setup_component(hass, component, {})
    # A running Home Assistant keeps its router open for views of integrations set up later
    # (http/server.py); aiohttp's test server would freeze it.
    hass.http.app._router.freeze = lambda: None  # type: ignore[method-assign]
    return HarnessApi(await hass_client(), await hass_ws_client(hass))


async def _demo_home(hass: HomeAssistant, api: HarnessApi) -> Any:
    """The demo home, created through the flow's REST API as `scripts/develop` does."""
    entry_id, created = await dev_setup.ensure_entry(api)
    assert created
    await hass.async_block_till_done(wait_background_tasks=True)
    registry = await dev_setup.wait_for_registry(api, entry_id, timeout_s=20)
    assert registry.subentry_ids("p1_meter")
    return registry


async def test_energy_prefs_pass_home_assistants_checks(
    hass: HomeAssistant, api: HarnessApi
) -> None:
    """Grid per tariff priced by the price entities, gas, solar, battery and the consumers of
    the demo home: saved as built, and energy/validate finds nothing wrong."""
    registry = await _demo_home(hass, api)
    assert await dev_setup.ensure_energy(api, registry)

    prefs = await api.ws({"type": "energy/get_prefs"})
    sources = prefs["energy_sources"]
    grids = [s for s in sources if s["type"] == "grid"]
    assert [(g["stat_energy_from"], g["stat_energy_to"]) for g in grids] == [
        (
            "sensor.electricity_meter_energy_import_tariff_1",
            "sensor.electricity_meter_energy_export_tariff_1",
        ),
        (
            "sensor.electricity_meter_energy_import_tariff_2",
            "sensor.electricity_meter_energy_export_tariff_2",
        ),
    ]
    assert {g["entity_energy_price"] for g in grids} == {"sensor.open_hem_current_price"}
    assert {g["entity_energy_price_export"] for g in grids} == {"sensor.open_hem_export_price"}
    assert grids[0]["stat_rate"] == "sensor.electricity_meter_power"
    others = {s["type"]: s for s in sources if s["type"] != "grid"}
    assert others["gas"]["stat_energy_from"] == "sensor.gas_meter"
    assert others["solar"]["stat_energy_from"] == "sensor.demo_solar_inverter_energy"
    assert others["solar"]["stat_rate"] == "sensor.demo_solar_inverter_power"
    battery = others["battery"]
    assert battery["stat_energy_from"] == "sensor.demo_battery_energy_discharged"
    assert battery["stat_energy_to"] == "sensor.demo_battery_energy_charged"
    assert [d["stat_consumption"] for d in prefs["device_consumption"]] == [
        "sensor.demo_ev_charger_energy",
        "sensor.demo_heat_pump_energy",
        "sensor.demo_dishwasher_energy",
    ]

    # Home Assistant compiles statistics every five minutes: compile the current period now.
    await async_wait_recording_done(hass)
    now = dt_util.utcnow()
    do_adhoc_statistics(
        hass, start=now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    )
    await async_wait_recording_done(hass)
    validation = await api.ws({"type": "energy/validate"})
    problems = [p for group in validation["energy_sources"] for p in group]
    problems += [p for group in validation["device_consumption"] for p in group]
    assert problems == [], problems
    assert len(validation["energy_sources"]) == len(sources) == 5


async def test_the_dashboard_shows_the_plan_and_each_device(
    hass: HomeAssistant, api: HarnessApi
) -> None:
    """The plan card, the hub's plan entities, the calendar, and a card per device with its
    mode and wishes first; every entity it names is registered."""
    registry = await _demo_home(hass, api)
    assert await dev_setup.ensure_dashboard(api, registry)

    config = await api.ws({"type": "lovelace/config", "url_path": "open-hem"})
    plan_view, devices_view = config["views"]
    plan_cards = plan_view["cards"][0]["cards"]
    assert [card["type"] for card in plan_cards] == [
        "custom:open-hem-plan-card",
        "entities",
        "calendar",
    ]
    assert plan_cards[1]["entities"][:2] == [
        "sensor.open_hem_plan_status",
        "select.open_hem_planning_profile",
    ]
    assert plan_cards[2]["entities"] == ["calendar.open_hem_energy_plan"]
    cards = {card["title"]: card["entities"] for card in devices_view["cards"]}
    assert list(cards)[:7] == [
        "Electricity meter",
        "Gas meter",
        "Home battery",
        "EV charger",
        "Heat pump",
        "Solar inverter",
        "Dishwasher",
    ]
    assert cards["EV charger"][:3] == [
        "select.ev_charger_mode",
        "number.ev_charger_target_charge",
        "time.ev_charger_ready_by",
    ]
    assert cards["Heat pump"][:3] == [
        "select.heat_pump_mode",
        "number.heat_pump_comfort_temperature_low",
        "number.heat_pump_comfort_temperature_high",
    ]
    assert cards["Dishwasher"][:2] == ["select.dishwasher_mode", "time.dishwasher_finished_by"]
    assert "sensor.demo_battery_state_of_charge" in cards["Demo battery"]
    assert "sensor.electricity_meter_power" in cards["Electricity meter"]

    registered = {e["entity_id"] for e in registry.entities}
    referenced = dev_setup.dashboard_entities(config)
    assert referenced <= registered, referenced - registered
    assert len(referenced) > 40
    dashboards = await api.ws({"type": "lovelace/dashboards/list"})
    assert [(d["url_path"], d["title"], d["mode"]) for d in dashboards] == [
        ("open-hem", "Open HEM", "storage")
    ]


async def test_a_second_run_keeps_what_the_user_changed(
    hass: HomeAssistant, api: HarnessApi
) -> None:
    """The entry is not made twice, a changed dashboard and Energy preferences stay as they
    are, and only what went missing is made again."""
    assert await dev_setup.async_setup(api, timeout_s=20) == [
        "the demo home",
        'the "Open HEM" dashboard',
        "the Energy dashboard",
    ]
    await hass.async_block_till_done(wait_background_tasks=True)
    mine = {"views": [{"title": "Mine", "cards": []}]}
    await api.ws({"type": "lovelace/config/save", "url_path": "open-hem", "config": mine})
    await api.ws({"type": "energy/save_prefs", "device_consumption": []})
    sources = (await api.ws({"type": "energy/get_prefs"}))["energy_sources"]
    await api.ws({"type": "energy/save_prefs", "energy_sources": sources[:1]})

    assert await dev_setup.async_setup(api, timeout_s=5) == ["the Energy dashboard"]
    assert await api.ws({"type": "lovelace/config", "url_path": "open-hem"}) == mine
    prefs = await api.ws({"type": "energy/get_prefs"})
    assert prefs["energy_sources"] == sources[:1]  # the user's choice
    assert len(prefs["device_consumption"]) == 3  # was empty: filled again
    assert len(hass.config_entries.async_entries("open_hem")) == 1

    assert await dev_setup.async_setup(api, timeout_s=5) == []
