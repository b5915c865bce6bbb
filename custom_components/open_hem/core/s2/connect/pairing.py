"""The S2 Connect 1.0 pairing server (``s2-connect-pairing.yml``), as pure logic.

The HA side mounts :class:`PairingServer`'s methods on its HTTP routes (``/v1/requestPairing``,
``/v1/requestConnectionDetails``, ``/v1/postConnectionDetails``, ``/v1/finalizePairing``) and
returns the :class:`Response` s. One attempt: requestPairing -> requestConnectionDetails (we
become the communication server) or postConnectionDetails (the client does) ->
finalizePairing, within 15 s; an out-of-order call fails the attempt (400), a repeated call
is answered again; an unknown or expired attempt is 401, a wrong HMAC 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
import secrets
from typing import Any

from .crypto import (
    ATTEMPT_ID_BYTES,
    Random,
    b64,
    challenge_response,
    hash_token,
    new_challenge,
    new_pairing_token,
    new_token,
    unb64,
    verify_response,
)
from .shapes import (
    HMAC_SHA256,
    PROTOCOL,
    ConnectError,
    ConnectionDetails,
    EndpointDescription,
    NodeDescription,
    Response,
    obj,
    parsing_error,
    strings,
    text,
)

ATTEMPT_LIMIT_S = 15.0
TOKEN_LIFETIME_S = 300.0


class AttemptState(StrEnum):
    REQUESTED = "requested"
    DETAILS_SENT = "details_sent"
    DETAILS_RECEIVED = "details_received"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass
class PairingAttempt:
    attempt_id: str
    started: float
    client: NodeDescription
    client_endpoint: EndpointDescription
    versions: tuple[str, ...]
    server_challenge: bytes
    token: bytes
    state: AttemptState = AttemptState.REQUESTED
    issued: ConnectionDetails | None = None
    received: ConnectionDetails | None = None


@dataclass(frozen=True)
class Pairing:
    """A finished pairing, for the HA side to store (only the hash of our access token)."""

    client: NodeDescription
    client_endpoint: EndpointDescription
    versions: tuple[str, ...]
    access_token_hash: str | None = None
    """We are the communication server: the hash of the access token we issued."""
    connection_details: ConnectionDetails | None = None
    """The client is the communication server: how to reach it."""


@dataclass
class PairingServer:
    """Our node (the CEM) as pairing server."""

    node: NodeDescription
    endpoint: EndpointDescription
    initiate_session_url: str
    versions: tuple[str, ...] = ("v1", "0.0.2-beta")
    node_alias: str | None = None
    leaf_certificate_sha256: bytes | None = None
    """F in the HMAC (LAN-LAN): the SHA-256 of our TLS leaf certificate."""
    root_certificate_sha256_b64: str | None = None
    """Pinned by the client via ConnectionDetails.certificateFingerprint (self-signed CA)."""
    clock: Callable[[], float] = field(default=lambda: 0.0)
    rand: Random = secrets.token_bytes
    on_paired: Callable[[Pairing], None] | None = None
    attempts: dict[str, PairingAttempt] = field(default_factory=dict)
    _token: bytes | None = None
    _token_expires: float | None = None

    # -- the pairing token (shown to the user) -------------------------------------

    def new_pairing_token(self, lifetime_s: float = TOKEN_LIFETIME_S) -> str:
        """A fresh dynamic token (Base64), valid for ``lifetime_s``; show it to the user."""
        token = new_pairing_token(self.rand)
        self._token = unb64(token)
        self._token_expires = self.clock() + lifetime_s
        return token

    def set_static_token(self, token: bytes) -> None:
        self._token, self._token_expires = token, None

    def clear_token(self) -> None:
        self._token = self._token_expires = None

    def _valid_token(self) -> bytes | None:
        if self._token is None:
            return None
        if self._token_expires is not None and self.clock() > self._token_expires:
            self._token = None
            return None
        return self._token

    # -- the attempt ---------------------------------------------------------------

    def _fail(self, attempt: PairingAttempt, error: ConnectError) -> Response:
        attempt.state = AttemptState.FAILED
        return error.response()

    def _attempt(self, bearer: str | None) -> PairingAttempt:
        attempt = self.attempts.get(bearer or "")
        if attempt is None or attempt.state in {AttemptState.FAILED, AttemptState.SUCCEEDED}:
            raise ConnectError(401)
        if self.clock() - attempt.started > ATTEMPT_LIMIT_S:
            attempt.state = AttemptState.FAILED
            raise ConnectError(401)
        return attempt

    def request_pairing(self, body: Any) -> Response:
        """POST /v1/requestPairing."""
        try:
            return self._request_pairing(body)
        except ConnectError as err:
            return err.response()

    def _request_pairing(self, body: Any) -> Response:
        d = obj(body, "request")
        client = NodeDescription.read(d.get("clientNodeDescription"))
        client_endpoint = EndpointDescription.read(d.get("clientEndpointDescription"))
        protocols = strings(d, "supportedCommunicationProtocols")
        versions = strings(d, "supportedS2MessageVersions")
        algorithms = strings(d, "supportedHmacHashingAlgorithms")
        try:
            client_challenge = unb64(str(text(d, "clientHmacChallenge")))
        except ValueError as err:
            raise parsing_error("clientHmacChallenge must be Base64") from err
        if "nodeId" in d and "nodeIdAlias" in d:
            raise parsing_error("nodeId and nodeIdAlias are exclusive")
        if client.role == self.node.role:
            raise ConnectError(400, "InvalidCombinationOfRoles")
        if "nodeId" in d and str(d["nodeId"]) != self.node.id:
            raise ConnectError(400, "NodeNotFound")
        if "nodeIdAlias" in d and d["nodeIdAlias"] != self.node_alias:
            raise ConnectError(400, "NodeNotFound")
        common = tuple(v for v in self.versions if v in versions)
        if not common:
            raise ConnectError(400, "IncompatibleS2MessageVersions")
        if HMAC_SHA256 not in algorithms:
            raise ConnectError(400, "IncompatibleHmacHashingAlgorithms")
        if PROTOCOL not in protocols:
            raise ConnectError(400, "IncompatibleCommunicationProtocols")
        token = self._valid_token()
        if token is None:
            raise ConnectError(400, "NoValidPairingTokenOnPairingServer")
        attempt = PairingAttempt(
            attempt_id=new_token(self.rand, ATTEMPT_ID_BYTES),
            started=self.clock(),
            client=client,
            client_endpoint=client_endpoint,
            versions=common,
            server_challenge=new_challenge(self.rand),
            token=token,
        )
        self.attempts = {
            k: a for k, a in self.attempts.items() if self.clock() - a.started <= ATTEMPT_LIMIT_S
        }
        self.attempts[attempt.attempt_id] = attempt
        return Response(
            200,
            {
                "pairingAttemptId": attempt.attempt_id,
                "serverNodeDescription": self.node.write(),
                "serverEndpointDescription": self.endpoint.write(),
                "selectedHmacHashingAlgorithm": HMAC_SHA256,
                "clientHmacChallengeResponse": b64(
                    challenge_response(client_challenge, token, self.leaf_certificate_sha256)
                ),
                "serverHmacChallenge": b64(attempt.server_challenge),
            },
        )

    def _check_hmac(self, attempt: PairingAttempt, d: dict[str, Any]) -> None:
        try:
            response = unb64(str(text(d, "serverHmacChallengeResponse")))
        except ValueError as err:
            raise parsing_error("serverHmacChallengeResponse must be Base64") from err
        if not verify_response(
            response, attempt.server_challenge, attempt.token, self.leaf_certificate_sha256
        ):
            raise ConnectError(403)

    def request_connection_details(self, bearer: str | None, body: Any) -> Response:
        """POST /v1/requestConnectionDetails: we will be the communication server."""
        try:
            attempt = self._attempt(bearer)
        except ConnectError as err:
            return err.response()
        if attempt.state is AttemptState.DETAILS_SENT and attempt.issued is not None:
            return Response(200, attempt.issued.write())  # a repeated request
        if attempt.state is not AttemptState.REQUESTED:
            return self._fail(attempt, ConnectError(400, "Other", "out of order"))
        try:
            self._check_hmac(attempt, obj(body, "request"))
        except ConnectError as err:
            return self._fail(attempt, err)
        fingerprint = (
            None
            if self.root_certificate_sha256_b64 is None
            else {"SHA256": self.root_certificate_sha256_b64}
        )
        attempt.issued = ConnectionDetails(
            self.initiate_session_url, new_token(self.rand), fingerprint
        )
        attempt.state = AttemptState.DETAILS_SENT
        return Response(200, attempt.issued.write())

    def post_connection_details(self, bearer: str | None, body: Any) -> Response:
        """POST /v1/postConnectionDetails: the client will be the communication server."""
        try:
            attempt = self._attempt(bearer)
        except ConnectError as err:
            return err.response()
        if attempt.state is AttemptState.DETAILS_RECEIVED:
            return Response(204)
        if attempt.state is not AttemptState.REQUESTED:
            return self._fail(attempt, ConnectError(400, "Other", "out of order"))
        try:
            d = obj(body, "request")
            self._check_hmac(attempt, d)
            details = ConnectionDetails.read(d.get("connectionDetails"))
            if not details.certificate_fingerprint:
                raise parsing_error("certificateFingerprint is required here")
        except ConnectError as err:
            return self._fail(attempt, err)
        attempt.received = details
        attempt.state = AttemptState.DETAILS_RECEIVED
        return Response(204)

    def finalize_pairing(self, bearer: str | None, body: Any) -> Response:
        """POST /v1/finalizePairing: ``{"success": bool}``."""
        try:
            attempt = self._attempt(bearer)
        except ConnectError as err:
            return err.response()
        d = body if isinstance(body, dict) else {}
        success = d.get("success")
        if not isinstance(success, bool):
            return self._fail(attempt, parsing_error("success must be a boolean"))
        if attempt.state is AttemptState.REQUESTED:
            return self._fail(attempt, ConnectError(400, "Other", "out of order"))
        if not success:
            attempt.state = AttemptState.FAILED
            return Response(204)
        attempt.state = AttemptState.SUCCEEDED
        pairing = Pairing(
            attempt.client,
            attempt.client_endpoint,
            attempt.versions,
            access_token_hash=None
            if attempt.issued is None
            else hash_token(attempt.issued.access_token),
            connection_details=attempt.received,
        )
        self.clear_token()  # a dynamic token pairs once
        if self.on_paired is not None:
            self.on_paired(pairing)
        return Response(204)
