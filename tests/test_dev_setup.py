"""scripts/dev_setup.py in a real Home Assistant: the dashboard and the Energy preferences it
builds from the registry are valid, and a second run changes nothing the user made.

The home: a P1 meter on a real TCP socket, ENTSO-E prices, and entity-backed battery, EV
charger and dishwasher. dev_setup talks to it through Home Assistant's own test clients (REST
and WebSocket), with the same functions `scripts/develop` uses over HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
import importlib.util
from pathlib import Path
import sys
from types import ModuleType
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import MockHAClientWebSocket

from .entity_devices import (
    BATTERY,
    CAR_SOC,
    CHARGING,
    CURRENT,
    EV_POWER,
    PLUGGED,
    READY,
    RUNNING,
    START,
    async_setup_helpers,
    subentry,
)
from .entries import hub_entry
from .p1_helpers import V5, TelegramServer, telegram_bytes, wait_for
from .prices_helpers import URL, a44, configure_nl

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "dev_setup.py"
EV = subentry(
    "ev_charger",
    "Wallbox",
    plugged_entity=PLUGGED,
    power_entity=EV_POWER,
    car_soc_entity=CAR_SOC,
    current_entity=CURRENT,
    switch_entity=CHARGING,
)
DISHWASHER = subentry(
    "appliance",
    "Dishwasher",
    start_entity=START,
    running_entity=RUNNING,
    ready_entity=READY,
    duration_min=60,
    average_power_w=800,
)


def _script() -> ModuleType:
    if (module := sys.modules.get("dev_setup")) is not None:
        return module
    spec = importlib.util.spec_from_file_location("dev_setup", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dev_setup"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


dev_setup = _script()


class HarnessApi:
    """dev_setup's Api on Home Assistant's test clients."""

    def __init__(self, client: TestClient, ws: MockHAClientWebSocket) -> None:
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
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder before hass (the Energy dashboard's checks read statistics)."""
    return


@pytest.fixture
async def server(socket_enabled: None) -> AsyncGenerator[TelegramServer]:
    """A P1 dongle on 127.0.0.1."""
    server = await TelegramServer().start()
    yield server
    await server.stop()


@pytest.fixture
async def api(
    hass: HomeAssistant,
    server: TelegramServer,
    aioclient_mock: AiohttpClientMocker,
    hass_client: Any,
    hass_ws_client: Any,
) -> HarnessApi:
    """The home set up, its meter's first telegram read, the REST and WebSocket clients."""
    await configure_nl(hass)
    hass.config.currency = "EUR"
    for component in ("lovelace", "energy", "config"):
        assert await async_setup_component(hass, component, {})
    await async_setup_helpers(hass)
    # Real time (the clients' tokens are issued now): prices for the real today.
    today = dt_util.now().date()
    aioclient_mock.get(URL, text=a44(today, today + timedelta(days=1)))
    meter = subentry(
        "p1_meter",
        "P1 meter",
        source="network",
        host="127.0.0.1",
        port=server.port,
        dsmr_version="5",
        update_interval=5,
    )
    entry = hub_entry(
        {"price_source": "entsoe", "api_token": "secret", "bidding_zone": "NL"},
        subentries=[meter, BATTERY, EV, DISHWASHER],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await server.wait_connected()
    await server.send(telegram_bytes(V5))
    await wait_for(lambda: hass.states.get("sensor.gas_meter") is not None)
    await hass.async_block_till_done(wait_background_tasks=True)
    return HarnessApi(await hass_client(), await hass_ws_client(hass))


async def test_energy_prefs_pass_home_assistants_checks(
    hass: HomeAssistant, api: HarnessApi
) -> None:
    """Grid per tariff with the price entities, the meter's power and gas: saved as built,
    and energy/validate finds nothing wrong with any source."""
    entry_id, created = await dev_setup.ensure_entry(api)
    assert not created
    registry = await dev_setup.wait_for_registry(api, entry_id, timeout_s=5)
    assert await dev_setup.ensure_energy(api, registry)

    prefs = await api.ws({"type": "energy/get_prefs"})
    sources = prefs["energy_sources"]
    grids = [s for s in sources if s["type"] == "grid"]
    assert [g["stat_energy_from"] for g in grids] == [
        "sensor.electricity_meter_energy_import_tariff_1",
        "sensor.electricity_meter_energy_import_tariff_2",
    ]
    assert [g["stat_energy_to"] for g in grids] == [
        "sensor.electricity_meter_energy_export_tariff_1",
        "sensor.electricity_meter_energy_export_tariff_2",
    ]
    assert {g["entity_energy_price"] for g in grids} == {"sensor.open_hem_current_price"}
    assert {g["entity_energy_price_export"] for g in grids} == {"sensor.open_hem_export_price"}
    assert grids[0]["stat_rate"] == "sensor.electricity_meter_power"
    assert [s["stat_energy_from"] for s in sources if s["type"] == "gas"] == ["sensor.gas_meter"]

    # Home Assistant compiles statistics every five minutes: compile the current period now.
    await async_wait_recording_done(hass)
    now = dt_util.utcnow()
    do_adhoc_statistics(
        hass, start=now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    )
    await async_wait_recording_done(hass)
    validation = await api.ws({"type": "energy/validate"})
    problems = [p for group in validation["energy_sources"] for p in group]
    assert problems == [], problems
    assert len(validation["energy_sources"]) == len(sources)


async def test_the_dashboard_shows_the_plan_and_each_device(api: HarnessApi) -> None:
    """The plan card, the hub's plan entities, the calendar and a card per device with its
    mode and wishes first; every entity it names exists."""
    entry_id, _ = await dev_setup.ensure_entry(api)
    registry = await dev_setup.wait_for_registry(api, entry_id, timeout_s=5)
    assert await dev_setup.ensure_dashboard(api, registry)

    config = await api.ws({"type": "lovelace/config", "url_path": "open-hem"})
    plan_view, devices_view = config["views"]
    plan_cards = plan_view["cards"][0]["cards"]
    assert [card["type"] for card in plan_cards] == [
        "custom:open-hem-plan-card",
        "entities",
        "calendar",
    ]
    assert plan_cards[1]["entities"][0] == "sensor.open_hem_plan_status"
    assert plan_cards[2]["entities"] == ["calendar.open_hem_energy_plan"]
    cards = {card["title"]: card["entities"] for card in devices_view["cards"]}
    assert cards["Wallbox"][:3] == [
        "select.wallbox_mode",
        "number.wallbox_target_charge",
        "time.wallbox_ready_by",
    ]
    assert cards["Dishwasher"][:2] == ["select.dishwasher_mode", "time.dishwasher_finished_by"]
    assert cards["Battery"][0] == "select.battery_mode"
    assert "sensor.electricity_meter_power" in cards["Electricity meter"]

    registered = {e["entity_id"] for e in registry.entities}
    referenced = dev_setup.dashboard_entities(config)
    assert referenced, config
    assert referenced <= registered, referenced - registered
    dashboards = await api.ws({"type": "lovelace/dashboards/list"})
    assert [(d["url_path"], d["title"], d["mode"]) for d in dashboards] == [
        ("open-hem", "Open HEM", "storage")
    ]


async def test_a_second_run_keeps_what_the_user_changed(api: HarnessApi) -> None:
    """Nothing is created twice, a changed dashboard and Energy preferences stay as they are,
    and only what went missing is made again."""
    assert await dev_setup.async_setup(api, timeout_s=5) == [
        'the "Open HEM" dashboard',
        "the Energy dashboard",
    ]
    mine = {"views": [{"title": "Mine", "cards": []}]}
    await api.ws({"type": "lovelace/config/save", "url_path": "open-hem", "config": mine})
    await api.ws({"type": "energy/save_prefs", "device_consumption": []})

    assert await dev_setup.async_setup(api, timeout_s=5) == []
    assert await api.ws({"type": "lovelace/config", "url_path": "open-hem"}) == mine
    prefs = await api.ws({"type": "energy/get_prefs"})
    assert prefs["device_consumption"] == []
    assert len(prefs["energy_sources"]) == 3  # two tariffs and gas

    await api.ws({"type": "energy/save_prefs", "energy_sources": []})
    assert await dev_setup.async_setup(api, timeout_s=5) == ["the Energy dashboard"]
    assert len((await api.ws({"type": "energy/get_prefs"}))["energy_sources"]) == 3


async def test_a_flow_without_the_demo_is_an_error(hass: HomeAssistant, api: HarnessApi) -> None:
    """With no entry and a flow that offers no demo home, the error names what came back."""
    (entry,) = hass.config_entries.async_entries("open_hem")
    assert await hass.config_entries.async_remove(entry.entry_id)
    with pytest.raises(dev_setup.SetupError, match="did not create the demo home"):
        await dev_setup.ensure_entry(api)
