"""S2 Connect in Home Assistant: pairing with a code, TLS, session initiation, DNS-SD.

The pure logic is the core's ``s2.connect``; here it gets a TLS listener of its own
(``server``), certificates (``certs``), stored pairings (``pairings``), the DNS-SD
announcement (``advertise``), discovered RMs offered for pairing (``discovery``,
``repair_flow``), the pairing page (``flow``) and the port option (``options``). The
listener starts on first use: when an S2 device is being paired, or at setup when an RM is
paired. A paired RM's WebSocket is served by the same
:class:`S2Device` as a device that connects with a device token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import logging
from pathlib import Path

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url
from yarl import URL

from .advertise import async_advertise
from .certs import TLS_FOLDER, load_or_create
from .discovery import RmDiscovery
from .pairings import Pairings
from .server import ConnectListener

_LOGGER = logging.getLogger(__name__)

CONF_S2_CONNECT_PORT = "s2_connect_port"
DEFAULT_PORT = 9491
FALLBACK_HOST = "homeassistant.local"

type Serve = Callable[[str, web.Request], Awaitable[web.StreamResponse | None]]


def listener_host(hass: HomeAssistant) -> str:
    """The host RMs reach Home Assistant at: that of its internal URL."""
    try:
        url = get_url(hass, allow_external=False, allow_cloud=False, prefer_external=False)
    except NoURLAvailableError:
        return FALLBACK_HOST
    return URL(url).host or FALLBACK_HOST


class S2Connect:
    """The S2 Connect side of the hub entry: pairings, and the listener once it is needed."""

    def __init__(
        self, hass: HomeAssistant, port: int, serve: Serve, known: Callable[[], set[str]]
    ) -> None:
        """Nothing is read or started yet; ``known()``: DNS-SD names of discovered devices."""
        self.hass = hass
        self.discovery = RmDiscovery(hass, known)
        self.port = port
        self.pairings = Pairings(hass)
        self.listener: ConnectListener | None = None
        self._serve = serve
        self._withdraw: Callable[[], Awaitable[None]] | None = None

    async def async_setup(self, node_ids: list[str]) -> None:
        """Load the pairings, drop those without a device, listen if any RM is paired, and
        look out for RMs that announce themselves."""
        await self.discovery.async_start()
        await self.pairings.async_load()
        await self.pairings.async_keep_only(node_ids)
        if self.pairings.clients:
            try:
                await self.async_start()
            except OSError as err:
                _LOGGER.error(
                    "S2 Connect cannot listen on port %s (%s): paired devices cannot connect",
                    self.port,
                    err,
                )

    async def async_start(self) -> ConnectListener:
        """The running listener (certificates made first, in the executor; OSError if the
        port is taken)."""
        if self.listener is not None:
            return self.listener
        host = listener_host(self.hass)
        hosts = list(dict.fromkeys([host, FALLBACK_HOST, "localhost", "127.0.0.1"]))
        folder = Path(self.hass.config.path(".storage", TLS_FOLDER))
        tls = await self.hass.async_add_executor_job(load_or_create, folder, hosts)
        listener = ConnectListener(self.hass, self.pairings, tls, host, self._serve)
        await listener.async_start(self.port)
        self.listener = listener
        self._withdraw = await async_advertise(
            self.hass,
            self.hass.config.location_name or "Open HEM",
            host,
            listener.port,
            listener.pairing_url,
        )
        return listener

    async def async_stop(self) -> None:
        """Withdraw the announcement and the offers, stop browsing and listening."""
        await self.discovery.async_stop()
        self.discovery.async_withdraw_all()
        if self._withdraw is not None:
            withdraw, self._withdraw = self._withdraw, None
            await withdraw()
        if self.listener is not None:
            listener, self.listener = self.listener, None
            await listener.async_stop()

    async def async_unpair(self, node_ids: list[str]) -> None:
        """Deleted devices are unpaired: their access tokens stop working."""
        await self.pairings.async_unpair(node_ids)
