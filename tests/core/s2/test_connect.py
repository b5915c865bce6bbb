"""S2 Connect 1.0: codes, HMAC both ways (expected values computed here with hmac/hashlib),
the pairing attempt state machine, session initiation and token rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
from typing import Any
import uuid

import pytest

from open_hem_core.s2.connect import (
    NodeDescription,
    PairedClient,
    Pairing,
    PairingServer,
    SessionInitServer,
    challenge_response,
    format_pairing_code,
    hash_token,
    new_pairing_token,
    parse_pairing_code,
    verify_response,
)
from open_hem_core.s2.connect.shapes import ConnectionDetails, EndpointDescription

CEM_ID = str(uuid.UUID(int=1))
RM_ID = str(uuid.UUID(int=2))


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def counter_rand() -> Any:
    counter = itertools.count(1)
    return lambda n: bytes((next(counter) + i) % 256 for i in range(n))


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def test_pairing_codes() -> None:
    token = new_pairing_token(lambda n: bytes(range(n)))
    assert len(token) == 12
    assert parse_pairing_code(format_pairing_code(token, "A0")) == ("A0", bytes(range(9)))
    assert parse_pairing_code(token) == (None, bytes(range(9)))
    for bad, why in (("A_0-" + token, "alias"), ("A0-not base64!", "Base64"), ("A0-AAAA", "short")):
        with pytest.raises(ValueError, match=why):
            parse_pairing_code(bad)
    with pytest.raises(ValueError, match="letters and digits"):
        format_pairing_code(token, "a-b")


def test_hmac_vectors_both_ways() -> None:
    challenge = bytes(range(32))
    token = bytes.fromhex("0102030405060708090a")
    leaf = hashlib.sha256(b"leaf certificate DER").digest()
    expected_lan = hmac.new(challenge, token + leaf, hashlib.sha256).digest()
    expected_wan = hmac.new(challenge, token, hashlib.sha256).digest()
    assert challenge_response(challenge, token, leaf) == expected_lan
    assert challenge_response(challenge, token) == expected_wan
    assert verify_response(expected_lan, challenge, token, leaf)
    assert not verify_response(expected_wan, challenge, token, leaf)
    # A fixed vector, so a change in the construction shows.
    assert (
        challenge_response(b"\x00" * 32, b"\x01" * 9).hex()
        == hmac.new(b"\x00" * 32, b"\x01" * 9, hashlib.sha256).hexdigest()
    )
    assert hash_token("abc") == hashlib.sha256(b"abc").hexdigest()


def _server(clock: Clock, paired: list[Pairing]) -> PairingServer:
    return PairingServer(
        node=NodeDescription(CEM_ID, "Open HEM", "EMS", "Home Assistant", "CEM"),
        endpoint=EndpointDescription("Home", deployment="LAN"),
        initiate_session_url="https://hass.local:8443/connection/v1/",
        node_alias="A0",
        leaf_certificate_sha256=hashlib.sha256(b"leaf").digest(),
        root_certificate_sha256_b64=b64(hashlib.sha256(b"root").digest()),
        clock=clock,
        rand=counter_rand(),
        on_paired=paired.append,
    )


def _request(challenge: bytes, **overrides: Any) -> dict[str, Any]:
    body = {
        "clientNodeDescription": {
            "id": RM_ID,
            "brand": "Acme",
            "type": "battery",
            "modelName": "B1",
            "role": "RM",
        },
        "clientEndpointDescription": {"name": "Acme", "deployment": "LAN"},
        "nodeIdAlias": "A0",
        "supportedCommunicationProtocols": ["WebSocket"],
        "supportedS2MessageVersions": ["v1"],
        "supportedHmacHashingAlgorithms": ["SHA256"],
        "clientHmacChallenge": b64(challenge),
    }
    body.update(overrides)
    return body


def test_pairing_where_the_cem_is_the_communication_server() -> None:
    clock, paired = Clock(), []
    server = _server(clock, paired)
    code = format_pairing_code(server.new_pairing_token(), "A0")
    _, token = parse_pairing_code(code)
    leaf = hashlib.sha256(b"leaf").digest()
    client_challenge = bytes(32)
    r = server.request_pairing(_request(client_challenge))
    assert r.status == 200
    # The client checks the server knows the token (computed here independently).
    assert (
        base64.b64decode(r.body["clientHmacChallengeResponse"])
        == hmac.new(client_challenge, token + leaf, hashlib.sha256).digest()
    )
    attempt = r.body["pairingAttemptId"]
    assert len(attempt) >= 32
    server_challenge = base64.b64decode(r.body["serverHmacChallenge"])
    answer = b64(hmac.new(server_challenge, token + leaf, hashlib.sha256).digest())
    # Wrong HMAC: 403 and the attempt fails.
    r_bad = server.request_pairing(_request(client_challenge))
    bad_attempt = r_bad.body["pairingAttemptId"]
    assert (
        server.request_connection_details(
            bad_attempt, {"serverHmacChallengeResponse": b64(b"x" * 32)}
        ).status
        == 403
    )
    assert (
        server.request_connection_details(
            bad_attempt, {"serverHmacChallengeResponse": answer}
        ).status
        == 401
    )

    details = server.request_connection_details(attempt, {"serverHmacChallengeResponse": answer})
    assert details.status == 200
    cd = ConnectionDetails.read(details.body)
    assert cd.certificate_fingerprint == {"SHA256": b64(hashlib.sha256(b"root").digest())}
    # Repeated: the same answer.
    again = server.request_connection_details(attempt, {"serverHmacChallengeResponse": answer})
    assert again.body == details.body
    assert server.finalize_pairing(attempt, {"success": True}).status == 204
    assert paired[0].access_token_hash == hash_token(cd.access_token)
    assert paired[0].client.id == RM_ID
    # The token was used: a new request has no valid token.
    r2 = server.request_pairing(_request(client_challenge))
    assert r2.body == {"errorMessage": "NoValidPairingTokenOnPairingServer"}


def test_pairing_where_the_client_is_the_communication_server_and_failures() -> None:
    clock, paired = Clock(), []
    server = _server(clock, paired)
    _, token = parse_pairing_code(server.new_pairing_token())
    leaf = hashlib.sha256(b"leaf").digest()
    r = server.request_pairing(_request(bytes(32)))
    attempt = r.body["pairingAttemptId"]
    sc = base64.b64decode(r.body["serverHmacChallenge"])
    answer = b64(hmac.new(sc, token + leaf, hashlib.sha256).digest())
    cd = {
        "initiateSessionUrl": "https://rm.local/",
        "accessToken": b64(bytes(32)),
        "certificateFingerprint": {"SHA265": "abc"},
    }
    # Out of order: finalize before details fails the attempt.
    r_o = server.request_pairing(_request(bytes(32)))
    assert server.finalize_pairing(r_o.body["pairingAttemptId"], {"success": True}).status == 400
    assert server.finalize_pairing(r_o.body["pairingAttemptId"], {"success": True}).status == 401
    assert (
        server.post_connection_details(
            attempt, {"serverHmacChallengeResponse": answer, "connectionDetails": cd}
        ).status
        == 204
    )
    assert server.post_connection_details(attempt, {}).status == 204  # repeated
    assert (
        server.request_connection_details(attempt, {"serverHmacChallengeResponse": answer}).status
        == 400
    )
    assert server.finalize_pairing(attempt, {"success": True}).status == 401  # failed attempt

    # Errors of requestPairing, with the spec's messages.
    cases = {
        "InvalidCombinationOfRoles": {
            "clientNodeDescription": {
                "id": RM_ID,
                "brand": "b",
                "type": "t",
                "modelName": "m",
                "role": "CEM",
            }
        },
        "IncompatibleS2MessageVersions": {"supportedS2MessageVersions": ["v9"]},
        "IncompatibleHmacHashingAlgorithms": {"supportedHmacHashingAlgorithms": ["MD5"]},
        "IncompatibleCommunicationProtocols": {"supportedCommunicationProtocols": ["MQTT"]},
        "NodeNotFound": {"nodeIdAlias": "B1"},
        "ParsingError": {"clientHmacChallenge": "***"},
    }
    server.new_pairing_token()
    for error, override in cases.items():
        resp = server.request_pairing(_request(bytes(32), **override))
        assert resp.status == 400
        assert resp.body["errorMessage"] == error
    assert server.request_pairing("nonsense").body["errorMessage"] == "ParsingError"
    assert (
        server.request_pairing(
            _request(bytes(32), nodeId=str(uuid.uuid4()), nodeIdAlias=None)
        ).status
        == 400
    )
    # The 15 s attempt limit and the token's expiry.
    r = server.request_pairing(_request(bytes(32)))
    clock.t += 16
    assert server.finalize_pairing(r.body["pairingAttemptId"], {"success": True}).status == 401
    clock.t += 300
    assert (
        server.request_pairing(_request(bytes(32))).body["errorMessage"]
        == "NoValidPairingTokenOnPairingServer"
    )
    server.set_static_token(token)
    r = server.request_pairing(_request(bytes(32)))
    assert server.finalize_pairing(r.body["pairingAttemptId"], {"success": False}).status == 400
    r = server.request_pairing(_request(bytes(32)))
    sc = base64.b64decode(r.body["serverHmacChallenge"])
    answer = b64(hmac.new(sc, token + leaf, hashlib.sha256).digest())
    assert (
        server.post_connection_details(
            r.body["pairingAttemptId"],
            {
                "serverHmacChallengeResponse": answer,
                "connectionDetails": {"initiateSessionUrl": "u", "accessToken": "t"},
            },
        ).status
        == 400
    )
    assert paired == []


def test_session_initiation_rotates_tokens_and_issues_one_time_websocket_tokens() -> None:
    clock = Clock()
    rotated: list[PairedClient] = []
    access = "initial-access-token"
    server = SessionInitServer(
        CEM_ID,
        "wss://hass.local:8443/v1/websocket",
        clients={RM_ID: PairedClient(RM_ID, hash_token(access))},
        clock=clock,
        rand=counter_rand(),
        on_token_rotated=rotated.append,
    )
    body = {
        "clientNodeId": RM_ID,
        "serverNodeId": CEM_ID,
        "supportedS2MessageVersions": ["0.0.2-beta"],
        "supportedCommunicationProtocols": ["WebSocket"],
    }
    assert server.initiate_session("wrong", body).status == 401
    r = server.initiate_session(access, body)
    assert r.status == 200
    assert r.body["selectedS2MessageVersion"] == "0.0.2-beta"
    new = r.body["accessToken"]
    # The old token still works until the new one is confirmed.
    assert server.initiate_session(access, body).status == 200
    c = server.confirm_access_token(new)
    assert c.status == 200
    assert c.body["websocketUrl"].endswith("/v1/websocket")
    assert rotated[0].active_token_hash == hash_token(new)
    assert server.initiate_session(access, body).status == 401  # the old token is gone
    ws = c.body["websocketToken"]
    assert server.accept_websocket_token(ws) == RM_ID
    assert server.accept_websocket_token(ws) is None  # one time
    # Pending tokens expire after 15 s; websocket tokens after 30 s.
    late = server.initiate_session(new, body).body["accessToken"]
    clock.t += 16
    assert server.confirm_access_token(late).status == 401
    fresh = server.initiate_session(new, body).body["accessToken"]
    ws2 = server.confirm_access_token(fresh).body["websocketToken"]
    clock.t += 31
    assert server.accept_websocket_token(ws2) is None
    assert server.accept_websocket_token(None) is None
    errors = {
        "IncompatibleS2MessageVersions": {**body, "supportedS2MessageVersions": ["v7"]},
        "IncompatibleCommunicationProtocols": {**body, "supportedCommunicationProtocols": ["x"]},
        "ParsingError": {**body, "clientNodeId": "not-a-uuid"},
    }
    for error, b in errors.items():
        assert server.initiate_session(fresh, b).body["errorMessage"] == error
    other = {**body, "clientNodeId": str(uuid.uuid4())}
    assert server.initiate_session(fresh, other).body == {"errorMessage": "NoLongerPaired"}
    assert server.initiate_session(fresh, {**body, "serverNodeId": str(uuid.uuid4())}).status == 401
    assert server.unpair("nope", body).status == 401
    assert server.unpair(fresh, {"clientNodeId": 1}).status == 400
    assert server.unpair(fresh, body).status == 204
    assert RM_ID not in server.clients
    assert PairedClient.from_dict(rotated[0].to_dict()).client_node_id == RM_ID
