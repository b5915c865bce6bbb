"""Give the development instance its demo home, an "Open HEM" dashboard and the Energy dashboard.

`scripts/dev_onboard.py` calls :func:`async_setup` once Home Assistant runs. It creates only what
is missing and never overwrites: an Open HEM entry (any, not only the demo) is kept, a dashboard
that exists keeps its cards, Energy preferences with sources keep them. Entity ids are looked up
in the entity registry by platform and unique id (``<owner id>_<key>``, entity.py), never
assumed, so a renamed entity still lands on the dashboard.

What talks to Home Assistant is an :class:`Api`: the script's uses aiohttp against the local
instance, the tests use Home Assistant's own test clients with the same functions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import itertools
import time
from typing import Any, Protocol

import aiohttp

DOMAIN = "open_hem"
DEMO_OPTION = "demo"
DASHBOARD = "open-hem"  # a storage dashboard's url_path needs a hyphen
DASHBOARD_TITLE = "Open HEM"
PLAN_CARD = "custom:open-hem-plan-card"

# Hub entities shown above the devices, in this order (keys of planner/ and prices/).
HUB_KEYS = (
    "plan_status",
    "planning_profile",
    "expected_cost_today",
    "expected_cost_tomorrow",
    "expected_saving",
    "grid_limit",
    "base_load_forecast",
    "current_price",
    "export_price",
    "price_level",
)
# A device's own Open HEM entities first: its mode, then its wishes, then what the plan says.
DEVICE_KEYS = (
    "mode",
    "wish_target_soc",
    "wish_ready_by",
    "wish_comfort_low",
    "wish_comfort_high",
    "wish_finish_by",
    "planned_power",
    "next_action",
    "wish_at_risk",
)
TARIFFS = ("1", "2")
# The demo home's simulated devices: their entities' unique ids are
# ``<entry id>_<device>_<key>`` (custom_components/open_hem/demo/const.py).
DEMO_SOLAR = ("demo_solar_inverter",)
DEMO_BATTERIES = ("demo_battery",)
DEMO_CONSUMERS = ("demo_ev_charger", "demo_heat_pump", "demo_dishwasher")


class SetupError(Exception):
    """Home Assistant refused or did not answer as expected; the message says what."""


class Api(Protocol):
    """REST and WebSocket calls to Home Assistant, authenticated."""

    async def rest(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the REST API; raise SetupError on an HTTP error."""

    async def ws(self, message: dict[str, Any]) -> Any:
        """Send a WebSocket command (without id) and return its result; SetupError on failure."""


@dataclass(frozen=True)
class Registry:
    """What the dashboard and the Energy preferences are built from."""

    entry_id: str
    entities: list[dict[str, Any]]  # config/entity_registry/list
    devices: list[dict[str, Any]]  # config/device_registry/list
    subentries: list[dict[str, Any]]  # config_entries/subentries/list

    def entity(self, owner_id: str | None, key: str) -> str | None:
        """The entity id of Open HEM's ``<owner_id>_<key>``, if it is registered and enabled."""
        if owner_id is None:
            return None
        unique_id = f"{owner_id}_{key}"
        for entity in self.entities:
            if entity["platform"] == DOMAIN and entity["unique_id"] == unique_id:
                return None if entity["disabled_by"] else str(entity["entity_id"])
        return None

    def subentry_ids(self, subentry_type: str) -> list[str]:
        """The subentries of one type, in the order they were added."""
        return [s["subentry_id"] for s in self.subentries if s["subentry_type"] == subentry_type]

    def device_name(self, device_id: str) -> str:
        """The device's name as the user sees it."""
        for device in self.devices:
            if device["id"] == device_id:
                return str(device["name_by_user"] or device["name"] or device_id)
        return device_id


def _keyed(registry: Registry, owner_id: str, keys: Iterable[str]) -> list[str]:
    return [e for key in keys if (e := registry.entity(owner_id, key)) is not None]


def energy_prefs(registry: Registry) -> dict[str, Any]:
    """Energy preferences from the first P1 meter, the prices and the demo's devices.

    Grid: one source per tariff (import and export), priced by the all-in current price and
    the export price; the meter's net power on the first. Gas from the meter. Solar, batteries
    and consumers from the devices that have the energy sensors for it.
    """
    hub = registry.entry_id
    price = registry.entity(hub, "current_price")
    export_price = registry.entity(hub, "export_price")
    sources: list[dict[str, Any]] = []
    meter = next(iter(registry.subentry_ids("p1_meter")), None)
    for tariff in TARIFFS:
        import_ = registry.entity(meter, f"energy_import_tariff_{tariff}")
        export = registry.entity(meter, f"energy_export_tariff_{tariff}")
        if import_ is None and export is None:
            continue
        grid: dict[str, Any] = {
            "type": "grid",
            "stat_energy_from": import_,
            "stat_energy_to": export,
            "stat_cost": None,
            "entity_energy_price": price if import_ else None,
            "number_energy_price": None,
            "stat_compensation": None,
            "entity_energy_price_export": export_price if export else None,
            "number_energy_price_export": None,
            "cost_adjustment_day": 0.0,
            "name": f"Tariff {tariff}",
        }
        if tariff == TARIFFS[0] and (power := registry.entity(meter, "power")):
            grid["stat_rate"] = power
        sources.append(grid)
    if gas := registry.entity(meter, "gas"):
        sources.append({"type": "gas", "stat_energy_from": gas, "stat_cost": None})
    for device in DEMO_SOLAR:
        owner = f"{hub}_{device}"
        if solar := registry.entity(owner, "energy"):
            sources.append(
                _with_rate({"type": "solar", "stat_energy_from": solar}, registry, owner)
            )
    for device in DEMO_BATTERIES:
        owner = f"{hub}_{device}"
        charged = registry.entity(owner, "energy_charged")
        discharged = registry.entity(owner, "energy_discharged")
        if charged and discharged:
            battery = {"type": "battery", "stat_energy_from": discharged, "stat_energy_to": charged}
            sources.append(_with_rate(battery, registry, owner))
    consumption: list[dict[str, Any]] = []
    for device in DEMO_CONSUMERS:
        owner = f"{hub}_{device}"
        if used := registry.entity(owner, "energy"):
            consumption.append(_with_rate({"stat_consumption": used}, registry, owner))
    return {"energy_sources": sources, "device_consumption": consumption}


def _with_rate(source: dict[str, Any], registry: Registry, owner: str) -> dict[str, Any]:
    """The source with the device's power sensor (HA's sign: production/discharge positive)."""
    if power := registry.entity(owner, "power"):
        return {**source, "stat_rate": power}
    return source


def _entities_card(title: str, entity_ids: list[str]) -> dict[str, Any]:
    return {"type": "entities", "title": title, "entities": entity_ids}


def dashboard_config(registry: Registry) -> dict[str, Any]:
    """The "Open HEM" dashboard: the plan card, the hub's plan, each device, the calendar.

    A device's card lists its mode and wishes first, then every other enabled, non-diagnostic
    entity of that device (a simulated device's readings included).
    """
    hub = registry.entry_id
    plan_cards: list[dict[str, Any]] = [{"type": PLAN_CARD}]
    if hub_entities := _keyed(registry, hub, HUB_KEYS):
        plan_cards.append(_entities_card("Plan", hub_entities))
    if calendar := registry.entity(hub, "plan"):
        plan_cards.append({"type": "calendar", "entities": [calendar], "initial_view": "listWeek"})
    device_cards = []
    for device_id, entities in _by_device(registry):
        owner = entities[0]["config_subentry_id"]
        first = _keyed(registry, owner, DEVICE_KEYS) if owner else []
        rest = sorted(
            e["entity_id"]
            for e in entities
            if e["entity_id"] not in first and not e["entity_category"] and not e["disabled_by"]
        )
        if first or rest:
            device_cards.append(_entities_card(registry.device_name(device_id), first + rest))
    return {
        "title": DASHBOARD_TITLE,
        "views": [
            {"title": "Plan", "path": "plan", "type": "panel", "cards": [_stack(plan_cards)]},
            {"title": "Devices", "path": "devices", "cards": device_cards},
        ],
    }


def _stack(cards: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "vertical-stack", "cards": cards}


def _by_device(registry: Registry) -> list[tuple[str, list[dict[str, Any]]]]:
    """Open HEM's entities per device, the hub's apart: the subentries' devices first (in the
    order they were added), then the others (the demo's simulated devices)."""
    hub = [d["id"] for d in registry.devices if [DOMAIN, registry.entry_id] in d["identifiers"]]
    groups: dict[str, list[dict[str, Any]]] = {}
    for entity in registry.entities:
        if entity["platform"] == DOMAIN and entity["device_id"] not in (None, *hub):
            groups.setdefault(entity["device_id"], []).append(entity)
    order = [s["subentry_id"] for s in registry.subentries]

    def rank(group: list[dict[str, Any]]) -> int:
        owner = group[0]["config_subentry_id"]
        return order.index(owner) if owner in order else len(order)

    return sorted(groups.items(), key=lambda item: rank(item[1]))


def dashboard_entities(config: Mapping[str, Any]) -> set[str]:
    """Every entity id a dashboard config refers to (for checking it against the registry)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key in ("entity", "entities") and isinstance(value, list | str):
                    values = [value] if isinstance(value, str) else value
                    found.update(v if isinstance(v, str) else v["entity"] for v in values)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(config)
    return found


async def ensure_entry(api: Api) -> tuple[str, bool]:
    """The Open HEM entry's id, and whether this call created it (the demo home)."""
    entries = await api.rest("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    if entries:
        return str(entries[0]["entry_id"]), False
    result = await api.rest("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
    for _ in range(4):
        path = f"/api/config/config_entries/flow/{result.get('flow_id')}"
        if result["type"] == "create_entry":
            return str(result["result"]["entry_id"]), True
        if result["type"] == "menu" and DEMO_OPTION in result["menu_options"]:
            result = await api.rest("POST", path, {"next_step_id": DEMO_OPTION})
        elif result["type"] == "form" and result["step_id"] == DEMO_OPTION:
            result = await api.rest("POST", path, {})
        else:
            break
    raise SetupError(f"the Open HEM flow did not create the demo home: {result}")


async def load_registry(api: Api, entry_id: str) -> Registry:
    """The entity and device registries and the entry's subentries."""
    return Registry(
        entry_id,
        await api.ws({"type": "config/entity_registry/list"}),
        await api.ws({"type": "config/device_registry/list"}),
        await api.ws({"type": "config_entries/subentries/list", "entry_id": entry_id}),
    )


async def wait_for_registry(api: Api, entry_id: str, timeout_s: float) -> Registry:
    """The registry once the first P1 meter's grid entities (its first telegram) are there."""
    deadline = time.monotonic() + timeout_s
    while True:
        registry = await load_registry(api, entry_id)
        meter = next(iter(registry.subentry_ids("p1_meter")), None)
        if meter is None or registry.entity(meter, "energy_import_tariff_1"):
            return registry
        if time.monotonic() > deadline:
            return registry  # set up what is there; a later run adds nothing over it
        await asyncio.sleep(0.5)


async def ensure_dashboard(api: Api, registry: Registry) -> bool:
    """Create the "Open HEM" dashboard with its cards, unless it exists; True if created."""
    dashboards = await api.ws({"type": "lovelace/dashboards/list"})
    if not any(d["url_path"] == DASHBOARD for d in dashboards):
        await api.ws(
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD,
                "title": DASHBOARD_TITLE,
                "icon": "mdi:home-lightning-bolt",
                "show_in_sidebar": True,
                "require_admin": False,
                "mode": "storage",
            }
        )
    else:
        try:
            await api.ws({"type": "lovelace/config", "url_path": DASHBOARD})
        except SetupError:
            pass  # created, but never saved (an earlier run stopped): fill it
        else:
            return False
    config = dashboard_config(registry)
    await api.ws({"type": "lovelace/config/save", "url_path": DASHBOARD, "config": config})
    return True


async def ensure_energy(api: Api, registry: Registry) -> bool:
    """Fill the Energy dashboard's sources and devices where they are empty; True if saved."""
    try:
        prefs = await api.ws({"type": "energy/get_prefs"})
    except SetupError:
        prefs = {}  # "not_found" until preferences are saved once
    wanted = energy_prefs(registry)
    missing = {key: value for key, value in wanted.items() if value and not prefs.get(key)}
    if missing:
        await api.ws({"type": "energy/save_prefs", **missing})
    return bool(missing)


async def async_setup(api: Api, timeout_s: float = 60) -> list[str]:
    """Create what is missing; the short report of what was created (empty: nothing)."""
    entry_id, created = await ensure_entry(api)
    registry = await wait_for_registry(api, entry_id, timeout_s)
    done = ["the demo home"] if created else []
    if await ensure_dashboard(api, registry):
        done.append('the "Open HEM" dashboard')
    if await ensure_energy(api, registry):
        done.append("the Energy dashboard")
    return done


class HttpApi:
    """The Api of a running Home Assistant at ``base`` with an access token."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        """Use ``session`` for every call."""
        self._session = session
        self._base = base
        self._headers = {"Authorization": f"Bearer {token}"}
        self._token = token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)

    async def rest(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the REST API."""
        async with self._session.request(
            method, self._base + path, json=body, headers=self._headers
        ) as response:
            if response.status >= 400:
                raise SetupError(f"{method} {path}: HTTP {response.status} {await response.text()}")
            return await response.json()

    async def ws(self, message: dict[str, Any]) -> Any:
        """One command at a time (callers await each) over one authenticated WebSocket."""
        if self._ws is None:
            self._ws = await self._connect()
        await self._ws.send_json({**message, "id": (call := next(self._ids))})
        while (answer := await self._ws.receive_json())["id"] != call:
            pass
        if not answer["success"]:
            raise SetupError(f"{message['type']}: {answer['error']['message']}")
        return answer["result"]

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        ws = await self._session.ws_connect(self._base.replace("http", "ws", 1) + "/api/websocket")
        await ws.receive_json()  # auth_required
        await ws.send_json({"type": "auth", "access_token": self._token})
        if (answer := await ws.receive_json())["type"] != "auth_ok":
            raise SetupError(f"WebSocket login refused: {answer}")
        return ws

    async def close(self) -> None:
        """Close the WebSocket."""
        if self._ws is not None:
            await self._ws.close()


async def async_setup_at(base: str, token: str, timeout_s: float = 60) -> list[str]:
    """:func:`async_setup` against the Home Assistant at ``base``."""
    async with aiohttp.ClientSession() as session:
        api = HttpApi(session, base, token)
        try:
            return await async_setup(api, timeout_s)
        finally:
            await api.close()
