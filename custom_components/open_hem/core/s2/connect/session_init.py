"""S2 Connect 1.0 session initiation (``s2-connect-session-init.yml``) on the server side.

``POST /v1/initiateSession`` (alias ``/v1/initiateConnection``, as the prose and the Rust
reference name it) with the access token -> a new *pending* access token; ``POST
/v1/confirmAccessToken`` with that pending token (within 15 s) -> it becomes the active one
(the old one stops working) and a one-time WebSocket token (valid <= 30 s) with the URL;
the WebSocket then authenticates with :meth:`SessionInitServer.accept_websocket_token`.
Only token hashes are kept (:class:`PairedClient` is what the HA side stores).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import secrets
from typing import Any

from .crypto import Random, hash_token, new_token, same_token
from .shapes import PROTOCOL, ConnectError, Response, node_id, obj, strings

PENDING_LIMIT_S = 15.0
WEBSOCKET_TOKEN_S = 30.0


@dataclass
class PairedClient:
    """One paired client (RM) as stored: ids and token hashes only."""

    client_node_id: str
    active_token_hash: str
    pending: list[tuple[str, float]] = field(default_factory=list)
    """(hash, issued at) of access tokens handed out but not yet confirmed."""

    def to_dict(self) -> dict[str, Any]:
        return {"client_node_id": self.client_node_id, "active_token_hash": self.active_token_hash}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PairedClient:
        return cls(str(data["client_node_id"]), str(data["active_token_hash"]))


@dataclass
class SessionInitServer:
    server_node_id: str
    websocket_url: str
    clients: dict[str, PairedClient] = field(default_factory=dict)
    versions: tuple[str, ...] = ("v1", "0.0.2-beta")
    clock: Callable[[], float] = field(default=lambda: 0.0)
    rand: Random = secrets.token_bytes
    on_token_rotated: Callable[[PairedClient], None] | None = None
    _ws_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    def _by_active(self, bearer: str | None) -> PairedClient | None:
        if not bearer:
            return None
        return next(
            (c for c in self.clients.values() if same_token(bearer, c.active_token_hash)), None
        )

    def initiate_session(self, bearer: str | None, body: Any) -> Response:
        """POST /v1/initiateSession (and /v1/initiateConnection)."""
        try:
            d = obj(body, "request")
            client_id = node_id(d.get("clientNodeId"), "clientNodeId")
            server_id = node_id(d.get("serverNodeId"), "serverNodeId")
            versions = strings(d, "supportedS2MessageVersions")
            protocols = strings(d, "supportedCommunicationProtocols")
        except ConnectError as err:
            return err.response()
        client = self._by_active(bearer)
        if client is None or client.client_node_id != client_id:
            if client_id not in self.clients and server_id == self.server_node_id and bearer:
                return ConnectError(400, "NoLongerPaired").response()
            return Response(401)
        if server_id != self.server_node_id:
            return Response(401)
        common = [v for v in self.versions if v in versions]
        if not common:
            return ConnectError(400, "IncompatibleS2MessageVersions").response()
        if PROTOCOL not in protocols:
            return ConnectError(400, "IncompatibleCommunicationProtocols").response()
        token = new_token(self.rand)
        now = self.clock()
        client.pending = [(h, t) for h, t in client.pending if now - t <= PENDING_LIMIT_S]
        client.pending.append((hash_token(token), now))
        return Response(
            200,
            {
                "selectedCommunicationProtocol": PROTOCOL,
                "selectedS2MessageVersion": common[0],
                "accessToken": token,
            },
        )

    def confirm_access_token(self, bearer: str | None) -> Response:
        """POST /v1/confirmAccessToken with the pending token as bearer."""
        now = self.clock()
        for client in self.clients.values():
            for h, issued in client.pending:
                if bearer and same_token(bearer, h) and now - issued <= PENDING_LIMIT_S:
                    client.active_token_hash = h
                    client.pending = []
                    if self.on_token_rotated is not None:
                        self.on_token_rotated(client)
                    ws_token = new_token(self.rand)
                    self._ws_tokens = {k: v for k, v in self._ws_tokens.items() if v[1] >= now}
                    self._ws_tokens[hash_token(ws_token)] = (
                        client.client_node_id,
                        now + WEBSOCKET_TOKEN_S,
                    )
                    return Response(
                        200,
                        {
                            "communicationProtocol": PROTOCOL,
                            "websocketToken": ws_token,
                            "websocketUrl": self.websocket_url,
                        },
                    )
        return Response(401)

    def accept_websocket_token(self, bearer: str | None) -> str | None:
        """The client node id for a valid one-time WebSocket token (then spent), else None."""
        if not bearer:
            return None
        entry = self._ws_tokens.pop(hash_token(bearer), None)
        if entry is None or entry[1] < self.clock():
            return None
        return entry[0]

    def unpair(self, bearer: str | None, body: Any) -> Response:
        """POST /v1/unpair."""
        try:
            d = obj(body, "request")
            client_id = node_id(d.get("clientNodeId"), "clientNodeId")
            node_id(d.get("serverNodeId"), "serverNodeId")
        except ConnectError as err:
            return err.response()
        client = self._by_active(bearer)
        if client is None or client.client_node_id != client_id:
            return Response(401)
        del self.clients[client_id]
        return Response(204)
