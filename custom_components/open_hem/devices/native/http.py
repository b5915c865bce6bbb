"""The S2 WebSocket endpoint on Home Assistant's own HTTP server.

``GET /api/open_hem/s2/<node id>`` with ``Authorization: Bearer <device token>`` upgrades to a
WebSocket that runs one S2 session (the CEM is the WebSocket server, as S2 wants on a LAN).

The view does not use Home Assistant's authentication (``requires_auth = False``): a Home
Assistant user token is no device token and is refused like any other. Every check is done
before the upgrade, and a refusal is a plain 401 (no hint whether the node or the token was
wrong). Refusals are not fed to Home Assistant's login-attempt counter: device tokens are
256 random bits, and a deleted device that keeps retrying must not raise a notification each
time; they are counted in the diagnostics instead.
"""

from __future__ import annotations

import logging

from aiohttp import hdrs, web
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from ...const import DOMAIN
from ...data import OpenHemConfigEntry
from .const import WEBSOCKET_PATH

_LOGGER = logging.getLogger(__name__)

UNAUTHORIZED_HEADERS = {hdrs.WWW_AUTHENTICATE: 'Bearer realm="open_hem_s2"'}


def bearer_token(request: web.Request) -> str | None:
    """The bearer token of ``request`` (RFC 6750), or None."""
    scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class S2WebSocketView(HomeAssistantView):
    """One S2 session per WebSocket, authenticated with the device's own token."""

    url = WEBSOCKET_PATH
    name = "api:open_hem:s2"
    requires_auth = False

    async def get(self, request: web.Request, node_id: str) -> web.StreamResponse:
        """Check the token, then serve the session (refusals never reach the upgrade)."""
        loaded: list[OpenHemConfigEntry] = request.app[
            KEY_HASS
        ].config_entries.async_loaded_entries(DOMAIN)
        devices = loaded[0].runtime_data.s2 if loaded else None
        if devices is None:
            return web.Response(status=503, text="Open HEM is not running")
        token = bearer_token(request)
        device = devices.by_node(node_id)
        if token is None or device is None or not devices.tokens.valid(node_id, token):
            devices.refused += 1
            if device is not None:
                device.stats.refused += 1
            _LOGGER.debug("S2: refused a connection from %s for %s", request.remote, node_id)
            return web.Response(status=401, headers=UNAUTHORIZED_HEADERS)
        if not web.WebSocketResponse().can_prepare(request).ok:
            return web.Response(status=400, text="S2 needs a WebSocket")
        return await device.async_serve(request)
