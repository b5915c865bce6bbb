"""An S2 Connect resource manager as a device maker would write it (small, for the tests).

It pairs as the spec says (``requestPairing`` with its challenge, checks the server's HMAC over
the pairing token and the SHA-256 of the TLS leaf certificate it saw, answers the server's
challenge, ``requestConnectionDetails``, ``finalizePairing``), pins the CA whose fingerprint
came with the connection details, and initiates sessions (``initiateSession`` /
``initiateConnection``, ``confirmAccessToken``) for the WebSocket URL and its one-time token.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
import hashlib
import hmac
import secrets
import ssl
from typing import Any
import uuid

import aiohttp
from yarl import URL


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class ConnectRm:
    """One RM node: its pairing state and what it keeps (access token, pinned CA)."""

    name: str = "Garage battery"
    node_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    access_token: str | None = None
    initiate_session_url: str | None = None
    ca_der: bytes | None = None
    server_node_id: str | None = None
    leaf_sha256: bytes = b""
    tls_version: str | None = None

    def description(self) -> dict[str, Any]:
        return {
            "id": self.node_id,
            "brand": "Acme Energy",
            "type": "Battery",
            "modelName": "B10",
            "role": "RM",
            "userDefinedName": self.name,
        }

    async def look_at_certificate(self, url: str) -> None:
        """The leaf certificate the server shows (for the HMAC) and its chain (to pin)."""
        u = URL(url)
        reader, writer = await asyncio.open_connection(u.host, u.port, ssl=self.unverified())
        tls = writer.get_extra_info("ssl_object")
        self.leaf_sha256 = hashlib.sha256(tls.getpeercert(binary_form=True)).digest()
        self.chain = list(tls.get_unverified_chain())
        self.tls_version = tls.version()
        writer.write(
            f"GET {u.path} HTTP/1.1\r\nHost: {u.host}\r\nConnection: close\r\n\r\n".encode()
        )
        await reader.read()
        writer.close()
        await writer.wait_closed()

    def unverified(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context

    def pinned(self) -> ssl.SSLContext:
        """After pairing: trust only the CA whose fingerprint came with the details."""
        assert self.ca_der is not None
        return ssl.create_default_context(cadata=self.ca_der)

    async def pair(
        self,
        http: aiohttp.ClientSession,
        pairing_url: str,
        code: str,
        *,
        wrong_response: bool = False,
    ) -> tuple[int, Any]:
        """The whole pairing; (status, body) of the first refused call, or (204, None)."""
        await self.look_at_certificate(pairing_url)
        ssl_ctx = self.unverified()  # not trusted yet: the HMAC decides
        async with http.get(pairing_url, ssl=ssl_ctx) as resp:
            assert resp.status == 200
            versions = await resp.json()
        api = pairing_url + versions[0] + "/"
        token = base64.b64decode(code.rsplit("-", maxsplit=1)[-1])
        challenge = secrets.token_bytes(32)
        request = {
            "clientNodeDescription": self.description(),
            "clientEndpointDescription": {"name": "Acme", "deployment": "LAN"},
            "supportedCommunicationProtocols": ["WebSocket"],
            "supportedS2MessageVersions": ["v1"],
            "supportedHmacHashingAlgorithms": ["SHA256"],
            "clientHmacChallenge": _b64(challenge),
        }
        async with http.post(api + "requestPairing", json=request, ssl=ssl_ctx) as resp:
            if resp.status != 200:
                return resp.status, await resp.json()
            answer = await resp.json()
        expected = hmac.new(challenge, token + self.leaf_sha256, hashlib.sha256).digest()
        assert base64.b64decode(answer["clientHmacChallengeResponse"]) == expected, (
            "the server does not know the code, or another certificate is in between"
        )
        self.server_node_id = answer["serverNodeDescription"]["id"]
        server_challenge = base64.b64decode(answer["serverHmacChallenge"])
        response = hmac.new(server_challenge, token + self.leaf_sha256, hashlib.sha256).digest()
        if wrong_response:
            response = bytes(32)
        attempt = {"Authorization": f"Bearer {answer['pairingAttemptId']}"}
        async with http.post(
            api + "requestConnectionDetails",
            json={"serverHmacChallengeResponse": _b64(response)},
            headers=attempt,
            ssl=ssl_ctx,
        ) as resp:
            if resp.status != 200:
                return resp.status, await resp.read()
            details = await resp.json()
        fingerprint = base64.b64decode(details["certificateFingerprint"]["SHA256"])
        self.ca_der = next(c for c in self.chain if hashlib.sha256(c).digest() == fingerprint)
        async with http.post(
            api + "finalizePairing", json={"success": True}, headers=attempt, ssl=ssl_ctx
        ) as resp:
            if resp.status != 204:
                return resp.status, await resp.read()
        self.access_token = details["accessToken"]
        self.initiate_session_url = details["initiateSessionUrl"]
        return 204, None

    async def initiate(
        self, http: aiohttp.ClientSession, operation: str = "initiateSession"
    ) -> tuple[str, str]:
        """A session: the WebSocket URL and its one-time token (the access token rotates)."""
        assert self.initiate_session_url is not None
        async with http.get(self.initiate_session_url, ssl=self.pinned()) as resp:
            version = (await resp.json())[0]
        api = self.initiate_session_url + version + "/"
        body = {
            "clientNodeId": self.node_id,
            "serverNodeId": self.server_node_id,
            "supportedS2MessageVersions": ["v1"],
            "supportedCommunicationProtocols": ["WebSocket"],
        }
        async with http.post(
            api + operation,
            json=body,
            headers={"Authorization": f"Bearer {self.access_token}"},
            ssl=self.pinned(),
        ) as resp:
            assert resp.status == 200, resp.status
            new_token = (await resp.json())["accessToken"]
        async with http.post(
            api + "confirmAccessToken",
            headers={"Authorization": f"Bearer {new_token}"},
            ssl=self.pinned(),
        ) as resp:
            assert resp.status == 200, resp.status
            details = await resp.json()
        self.access_token = new_token
        assert details["communicationProtocol"] == "WebSocket"
        return details["websocketUrl"], details["websocketToken"]
