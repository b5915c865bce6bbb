"""The S2 Connect listener: its own aiohttp site with TLS, next to Home Assistant's HTTP server.

Paths (each API's ``servers`` is ``/v1``; the index lists the versions):

- ``GET /pairing/`` -> ``["v1"]``; ``POST /pairing/v1/requestPairing``,
  ``requestConnectionDetails``, ``postConnectionDetails``, ``finalizePairing`` (the core's
  :class:`PairingServer`); the LAN extras ``GET /pairing/v1/endpoint``, ``GET
  /pairing/v1/nodes``, ``POST /pairing/v1/preparePairing`` and ``cancelPreparePairing``
  (refused with 401 from outside the LAN, as the spec says).
- ``GET /session/`` -> ``["v1"]``; ``POST /session/v1/initiateSession`` (also
  ``initiateConnection``), ``confirmAccessToken``, ``unpair`` (the core's
  :class:`SessionInitServer`); ``initiateSessionUrl`` is ``https://<host>:<port>/session/``.
- ``GET /s2/v1/websocket`` with the one-time WebSocket token: the S2 session, handed to the
  same :class:`S2Device` as a device that connects with a device token.

The pairing code is shown in the S2 device flow (``new_code``); a finished pairing is kept
in :class:`Pairings` and found by the flow with :meth:`paired_with`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import ipaddress
import json
import logging
import time
from typing import Any

from aiohttp import web
from homeassistant.core import HomeAssistant

from ....core.s2.connect import (
    ConnectError,
    EndpointDescription,
    NodeDescription,
    Pairing,
    PairingServer,
    Response,
    SessionInitServer,
)
from ....core.s2.connect.shapes import node_id, obj
from ..http import UNAUTHORIZED_HEADERS, bearer_token
from .certs import TlsMaterial
from .pairings import Pairings

_LOGGER = logging.getLogger(__name__)

VERSIONS = ["v1"]
MAX_BODY = 64 * 1024  # pairing messages are small; anything larger is not S2 Connect
WEBSOCKET_PATH = "/s2/v1/websocket"
PREPARED_S, MAX_PREPARED = 300.0, 16
OWN_SERVER = "Open HEM is the communication server: use requestConnectionDetails"


def now() -> float:
    """The clock of codes and attempts (monotonic; replaced in tests)."""
    return time.monotonic()


type Serve = Callable[[str, web.Request], Awaitable[web.StreamResponse | None]]


@dataclass(frozen=True)
class Prepared:
    """An RM told us that its user is about to pair (``preparePairing``)."""

    client: NodeDescription
    at: float


def lan_address(remote: str | None) -> bool:
    """Whether ``remote`` is in a local network (the LAN extras answer only there)."""
    try:
        address = ipaddress.ip_address((remote or "").split("%")[0])
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def _lan(request: web.Request) -> bool:
    return lan_address(request.remote)


def _answer(response: Response) -> web.Response:
    if response.body is None:
        return web.Response(status=response.status)
    return web.json_response(response.body, status=response.status)


async def _body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except ValueError, UnicodeDecodeError:
        raise ConnectError(400, "ParsingError", "the body is not JSON") from None


class ConnectListener:
    """The TLS site and the two core servers behind it."""

    def __init__(
        self,
        hass: HomeAssistant,
        pairings: Pairings,
        tls: TlsMaterial,
        host: str,
        serve: Serve,
    ) -> None:
        """Not listening until :meth:`async_start`."""
        self.hass = hass
        self.pairings = pairings
        self.tls = tls
        self.host = host
        self.port = 0
        self._serve = serve
        self._clock: Callable[[], float] = now
        self._runner: web.AppRunner | None = None
        self.node = NodeDescription(
            id=pairings.node_id,
            brand="Open HEM",
            type="Home energy management system",
            model_name="Open HEM",
            role="CEM",
            user_defined_name=hass.config.location_name or None,
        )
        self.endpoint = EndpointDescription(name="Open HEM", deployment="LAN")
        self.pairing = PairingServer(
            node=self.node,
            endpoint=self.endpoint,
            initiate_session_url="",  # known once the port is
            leaf_certificate_sha256=tls.leaf_sha256,
            root_certificate_sha256_b64=tls.ca_sha256_b64,
            clock=self._clock,
            on_paired=self._on_paired,
        )
        self.session_init = SessionInitServer(
            server_node_id=pairings.node_id,
            websocket_url="",
            clients=pairings.clients,
            clock=self._clock,
            on_token_rotated=lambda _client: self._save(),
        )
        self.prepared: dict[str, Prepared] = {}
        self._paired: dict[str, Pairing] = {}
        self._code: str | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``https://<host>:<port>`` of the running listener."""
        return f"https://{self.host}:{self.port}"

    @property
    def pairing_url(self) -> str:
        """What DNS-SD announces and the user may type into the RM."""
        return f"{self.base_url}/pairing/"

    async def async_start(self, port: int) -> None:
        """Listen on ``port`` (0: any free port) on every interface."""
        app = web.Application(client_max_size=MAX_BODY)
        app.add_routes(self._routes())
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, port=port, ssl_context=self.tls.context)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        # Port 0 (tests) gives IPv4 and IPv6 their own free ports: the IPv4 one counts.
        ipv4 = [address for address in runner.addresses if len(address) == 2]
        self.port = int((ipv4 or runner.addresses)[0][1])
        self.pairing.initiate_session_url = f"{self.base_url}/session/"
        self.session_init.websocket_url = f"wss://{self.host}:{self.port}{WEBSOCKET_PATH}"
        _LOGGER.debug("S2 Connect listens on %s", self.base_url)

    async def async_stop(self) -> None:
        """Stop listening (open S2 sessions are ended by their devices)."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def running(self) -> bool:
        """Whether the site listens."""
        return self._runner is not None

    # -- the pairing code --------------------------------------------------------------------

    def new_code(self) -> str:
        """A fresh pairing code (5 minutes, one pairing) for the user to type into the RM."""
        self._code = self.pairing.new_pairing_token()
        return self._code

    def code_valid(self, code: str) -> bool:
        """Whether ``code`` is still the code an RM can pair with."""
        return code == self._code and self.pairing._valid_token() is not None

    def paired_with(self, code: str) -> Pairing | None:
        """The pairing an RM finished with ``code``, if one did."""
        return self._paired.get(code)

    def _on_paired(self, pairing: Pairing) -> None:
        if pairing.access_token_hash is None:  # pragma: no cover - postConnectionDetails is refused
            return
        if self._code is not None:
            self._paired[self._code] = pairing
            self._code = None
        self.prepared.pop(pairing.client.id, None)
        self.hass.async_create_task(
            self.pairings.async_add(pairing.client.id, pairing.access_token_hash),
            "open_hem S2 Connect pairing saved",
        )

    def _save(self) -> None:
        self.hass.async_create_task(self.pairings.async_save(), "open_hem S2 Connect saved")

    # -- routes ----------------------------------------------------------------------------------

    def _routes(self) -> list[web.RouteDef]:
        p, s = "/pairing/v1/", "/session/v1/"
        index = self._index
        return [
            web.get("/pairing/", index),
            web.get("/session/", index),
            web.post(p + "requestPairing", self._request_pairing),
            web.post(p + "requestConnectionDetails", self._with_attempt("details")),
            web.post(p + "postConnectionDetails", self._with_attempt("post")),
            web.post(p + "finalizePairing", self._with_attempt("finalize")),
            web.get(p + "endpoint", self._endpoint),
            web.get(p + "nodes", self._nodes),
            web.post(p + "preparePairing", self._prepare),
            web.post(p + "cancelPreparePairing", self._cancel_prepare),
            web.post(s + "initiateSession", self._initiate),
            web.post(s + "initiateConnection", self._initiate),
            web.post(s + "confirmAccessToken", self._confirm),
            web.post(s + "unpair", self._unpair),
            web.get(WEBSOCKET_PATH, self._websocket),
        ]

    async def _index(self, request: web.Request) -> web.Response:
        return web.json_response(VERSIONS)

    async def _request_pairing(self, request: web.Request) -> web.Response:
        try:
            body = await _body(request)
        except ConnectError as err:
            return _answer(err.response())
        return _answer(self.pairing.request_pairing(body))

    def _with_attempt(self, step: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            bearer = bearer_token(request)
            try:
                body = await _body(request)
            except ConnectError:
                body = None  # the core refuses it (400) and ends the attempt
            if step == "details":
                return _answer(self.pairing.request_connection_details(bearer, body))
            if step == "post":
                # On a LAN the CEM is the WebSocket server; the attempt stays open so that
                # the RM can still ask for our connection details.
                if bearer not in self.pairing.attempts:
                    return web.Response(status=401)
                return _answer(ConnectError(400, "Other", OWN_SERVER).response())
            return _answer(self.pairing.finalize_pairing(bearer, body))

        return handle

    async def _endpoint(self, request: web.Request) -> web.Response:
        if not _lan(request):
            return web.Response(status=401)
        return web.json_response(self.endpoint.write())

    async def _nodes(self, request: web.Request) -> web.Response:
        if not _lan(request):
            return web.Response(status=401)
        return web.json_response([self.node.write()])

    async def _prepare(self, request: web.Request) -> web.Response:
        if not _lan(request):
            return web.Response(status=401)
        try:
            d = obj(await _body(request), "request")
            client = NodeDescription.read(d.get("clientNodeDescription"))
            EndpointDescription.read(d.get("clientEndpointDescription"))
            server = node_id(d.get("serverNodeId"), "serverNodeId")
        except ConnectError as err:
            return _answer(err.response())
        if server == self.node.id:
            at = self._clock()
            kept = [(k, v) for k, v in self.prepared.items() if at - v.at < PREPARED_S]
            # Bounded: a chatty LAN peer cannot grow it without end.
            self.prepared = dict(kept[-(MAX_PREPARED - 1) :])
            self.prepared[client.id] = Prepared(client, at)
        return web.Response(status=204)

    async def _cancel_prepare(self, request: web.Request) -> web.Response:
        if not _lan(request):
            return web.Response(status=401)
        try:
            d = obj(await _body(request), "request")
            client_id = node_id(d.get("clientNodeId"), "clientNodeId")
        except ConnectError as err:
            return _answer(err.response())
        self.prepared.pop(client_id, None)
        return web.Response(status=204)

    async def _initiate(self, request: web.Request) -> web.Response:
        try:
            body = await _body(request)
        except ConnectError as err:
            return _answer(err.response())
        return _answer(self.session_init.initiate_session(bearer_token(request), body))

    async def _confirm(self, request: web.Request) -> web.Response:
        return _answer(self.session_init.confirm_access_token(bearer_token(request)))

    async def _unpair(self, request: web.Request) -> web.Response:
        try:
            body = await _body(request)
        except ConnectError as err:
            return _answer(err.response())
        answer = self.session_init.unpair(bearer_token(request), body)
        if answer.status == 204:
            self._save()
        return _answer(answer)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        client_id = self.session_init.accept_websocket_token(bearer_token(request))
        if client_id is not None and (served := await self._serve(client_id, request)):
            return served
        _LOGGER.debug("S2 Connect: refused a WebSocket from %s", request.remote)
        return web.Response(status=401, headers=UNAUTHORIZED_HEADERS)
