"""Native S2 devices: resource managers (RMs) that connect over a WebSocket, as HA devices.

Each S2 device is a subentry of the hub entry (``s2_device``). The RM connects to Home
Assistant's own HTTP server at ``/api/open_hem/s2/<node id>`` with its own bearer token (not a
Home Assistant user token); each connection runs a core :class:`CemSession`, which is in the
device hub while connected, so the planning loop plans and instructs it like any device
(``planning.py`` says which control types it can plan; the others are only listened to).

Modules: ``const`` (keys, limits), ``tokens`` (hashed device tokens in ``.storage``), ``manager``
(one :class:`S2Device` per subentry, the sessions, live subentry changes), ``http`` (the
WebSocket view), ``config_flow`` (the subentry flow), ``entity``/``sensor``/``select``
(entities), ``diagnostics``, ``planning`` (the planner model from the S2 state). Devices never
import the planning loop.
"""

from __future__ import annotations

import logging
from pathlib import Path
import shutil

from aiohttp import web
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant

from ...data import OpenHemConfigEntry
from .connect import CONF_S2_CONNECT_PORT, DEFAULT_PORT, S2Connect
from .connect.certs import TLS_FOLDER
from .connect.discovery import CONF_DNS_SD_NAME
from .connect.pairings import Pairings
from .const import DATA_S2_VIEW
from .http import S2WebSocketView
from .manager import S2Devices
from .tokens import async_get_tokens

_LOGGER = logging.getLogger(__name__)


async def async_setup_devices(hass: HomeAssistant, entry: OpenHemConfigEntry) -> S2Devices:
    """The S2 devices of ``entry``: endpoint registered, stale tokens revoked.

    Sessions end when the entry unloads and when Home Assistant stops.
    """
    tokens = await async_get_tokens(hass)
    devices = S2Devices(hass, entry, tokens)
    # A device deleted while Open HEM was not running keeps no token.
    await tokens.async_keep_only(device.node_id for device in devices.devices.values())
    if not hass.data.get(DATA_S2_VIEW):
        # Views cannot be removed: registered once, it finds the loaded entry per request.
        # Home Assistant's HTTP server is always there in a real installation (after_dependencies
        # only orders it first); without it (some tests) S2 devices simply cannot connect.
        server = getattr(hass, "http", None)  # typed as always there; None without http
        if server is None:
            if devices.devices:  # a word only for a household that has S2 devices
                _LOGGER.warning(
                    "Home Assistant's HTTP server is not set up: S2 devices cannot connect"
                )
        else:
            server.register_view(S2WebSocketView())
            hass.data[DATA_S2_VIEW] = True
    entry.async_on_unload(tokens.async_add_listener(devices.async_token_revoked))

    async def serve(node_id: str, request: web.Request) -> web.StreamResponse | None:
        # A paired RM's WebSocket: the same device and session path as with a device token.
        device = devices.by_node(node_id)
        return None if device is None else await device.async_serve(request)

    def discovered() -> set[str]:
        return {str(s.data.get(CONF_DNS_SD_NAME)) for s in entry.subentries.values()}

    port = int(entry.options.get(CONF_S2_CONNECT_PORT, DEFAULT_PORT))
    connect = S2Connect(hass, port, serve, discovered)
    devices.connect = connect
    await connect.async_setup([device.node_id for device in devices.devices.values()])

    async def stop(event: Event | None = None) -> None:
        await devices.async_close_all("Home Assistant stops" if event else "Open HEM unloads")
        await connect.async_stop()

    entry.async_on_unload(hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, stop))
    entry.async_on_unload(stop)
    return devices


async def async_remove_devices(hass: HomeAssistant) -> None:
    """The hub entry is removed: forget every device token, pairing and certificate."""
    tokens = await async_get_tokens(hass)
    await tokens.async_remove()
    await Pairings(hass).async_remove()
    folder = Path(hass.config.path(".storage", TLS_FOLDER))
    await hass.async_add_executor_job(shutil.rmtree, folder, True)
