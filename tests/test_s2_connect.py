"""S2 Connect in a real Home Assistant: the S2 device flow shows a pairing code, an RM written
here pairs over real TLS on localhost (HMAC both ways, leaf certificate in the HMAC, CA pinned),
initiates a session and runs an S2 session with s2-python's own RM classes over the WebSocket;
what the spec refuses is refused with its HTTP status, and unloading closes the listener."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
import contextlib
import hashlib
from pathlib import Path
import socket
import ssl
import stat
from types import MappingProxyType
from typing import Any
from unittest.mock import AsyncMock, patch

import aiohttp
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from zeroconf import NonUniqueNameException, ServiceStateChange

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.devices.native.connect import CONF_S2_CONNECT_PORT, S2Connect
from custom_components.open_hem.devices.native.connect.advertise import (
    async_advertise,
    service_info,
)
from custom_components.open_hem.devices.native.connect.certs import TLS_FOLDER
from custom_components.open_hem.devices.native.connect.discovery import (
    CONF_DNS_SD_NAME,
    issue_id,
)
from custom_components.open_hem.devices.native.connect.server import lan_address
from custom_components.open_hem.devices.native.const import CONF_NODE_ID, SUBENTRY_S2_DEVICE
from tests.entries import hub_entry
from tests.s2_connect_rm import ConnectRm
from tests.s2_helpers import BatteryRm, Rm, asset, wait_for


async def _setup_hub(hass: HomeAssistant, tmp_path: Path) -> MockConfigEntry:
    """The hub entry, its S2 Connect listener on a free port, certificates in ``tmp_path``."""
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(hass, "http", {})
    await hass.config.async_update(internal_url="http://127.0.0.1:8123")
    entry = hub_entry(options={CONF_S2_CONNECT_PORT: 0})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def hub(hass: HomeAssistant, tmp_path: Path, socket_enabled: None) -> MockConfigEntry:
    """The hub entry with S2 Connect."""
    return await _setup_hub(hass, tmp_path)


@pytest.fixture
async def http() -> AsyncGenerator[aiohttp.ClientSession]:
    """The RM's own HTTP client (not Home Assistant's)."""
    async with aiohttp.ClientSession() as session:
        yield session


@contextlib.asynccontextmanager
async def _failed_handshakes_expected(hass: HomeAssistant) -> AsyncIterator[None]:
    """asyncio reports a failed server-side TLS handshake only in debug mode, which the test
    harness turns into an error; Home Assistant runs without it."""
    hass.loop.set_debug(False)
    try:
        yield
        await asyncio.sleep(0.05)  # let the server side see the failure
    finally:
        hass.loop.set_debug(True)


def _connect(entry: MockConfigEntry) -> S2Connect:
    assert entry.runtime_data.s2 is not None
    assert entry.runtime_data.s2.connect is not None
    return entry.runtime_data.s2.connect


async def _start_pairing(hass: HomeAssistant, entry: MockConfigEntry, **data: Any) -> Any:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_S2_DEVICE), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"name": "S2 device", "control_type": "automatic", "connect_with": "s2_connect", **data},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pair"
    return result


async def _paired_device(
    hass: HomeAssistant, entry: MockConfigEntry, http: aiohttp.ClientSession, rm: ConnectRm
) -> str:
    """Pair ``rm`` through the flow; the new subentry's id."""
    form = await _start_pairing(hass, entry)
    placeholders = form["description_placeholders"]
    status, _body = await rm.pair(http, placeholders["url"], placeholders["code"])
    assert status == 204
    result = await hass.config_entries.subentries.async_configure(form["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return next(s.subentry_id for s in entry.subentries.values() if s.unique_id == rm.node_id)


async def test_pairing_session_initiation_and_an_s2_session(
    hass: HomeAssistant, hub: MockConfigEntry, http: aiohttp.ClientSession
) -> None:
    """The user's code pairs the RM; it initiates a session and runs S2 over the pinned TLS."""
    form = await _start_pairing(hass, hub)
    placeholders = form["description_placeholders"]
    listener = _connect(hub).listener
    assert listener is not None
    assert listener.port > 0
    assert placeholders["url"] == f"https://127.0.0.1:{listener.port}/pairing/"
    # Submit before the RM paired: a clear error, the same code stays.
    result = await hass.config_entries.subentries.async_configure(form["flow_id"], {})
    assert result["errors"] == {"base": "not_paired"}
    assert result["description_placeholders"]["code"] == placeholders["code"]

    rm = ConnectRm()
    status, _ = await rm.pair(http, placeholders["url"], placeholders["code"])
    assert status == 204
    assert rm.tls_version in {"TLSv1.2", "TLSv1.3"}
    assert rm.ca_der is not None
    fingerprint = placeholders["fingerprint"].replace(":", "")
    assert hashlib.sha256(rm.ca_der).hexdigest().upper() == fingerprint

    result = await hass.config_entries.subentries.async_configure(form["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Garage battery"  # the RM's own name: the user kept the default
    assert result["data"][CONF_NODE_ID] == rm.node_id
    await hass.async_block_till_done()

    # Stored: hashes only, never the access token.
    pairings = _connect(hub).pairings
    assert rm.node_id in pairings.clients
    assert rm.access_token is not None
    assert rm.access_token not in str(pairings.clients[rm.node_id].to_dict())

    # Session initiation rotates the access token; the old one is spent.
    old = rm.access_token
    ws_url, ws_token = await rm.initiate(http)
    assert rm.access_token != old
    assert ws_url == f"wss://127.0.0.1:{listener.port}/s2/v1/websocket"

    battery = BatteryRm()
    s2rm = Rm([battery], asset())
    try:
        await s2rm.connect(http, ws_url, ws_token, ssl=rm.pinned())
        await asyncio.wait_for(battery.active.wait(), 10)
        subentry_id = next(
            s.subentry_id for s in hub.subentries.values() if s.unique_id == rm.node_id
        )
        assert hub.runtime_data.s2 is not None
        device = hub.runtime_data.s2.devices[subentry_id]
        await wait_for(lambda: device.state == "active")
        assert device.session is not None
        assert device.session.rm_details is not None
        assert device.session.rm_details.model == "B10"

        # The one-time WebSocket token is spent; the older name of initiateSession works too.
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(
                ws_url, headers={"Authorization": f"Bearer {ws_token}"}, ssl=rm.pinned()
            )
        assert err.value.status == 401
    finally:
        await s2rm.stop()
    _url, token2 = await rm.initiate(http, "initiateConnection")
    assert token2 != ws_token


async def test_refusals(
    hass: HomeAssistant, hub: MockConfigEntry, http: aiohttp.ClientSession
) -> None:
    """Wrong code, wrong HMAC, out-of-order calls, a spent access token: each its status."""
    form = await _start_pairing(hass, hub)
    url, code = form["description_placeholders"]["url"], form["description_placeholders"]["code"]
    api = url + "v1/"
    rm = ConnectRm()
    ctx = rm.unverified()

    # A wrong code: the server's HMAC does not match what the RM expects.
    with pytest.raises(AssertionError, match="does not know the code"):
        await rm.pair(http, url, "AAAAAAAAAAAA")
    # The RM's answer to the server's challenge is wrong: 403, the attempt is over.
    status, _ = await rm.pair(http, url, code, wrong_response=True)
    assert status == 403
    # Out of order: finalize before the connection details (400), then the attempt is gone.
    async with http.post(
        api + "requestPairing",
        json={
            "clientNodeDescription": rm.description(),
            "clientEndpointDescription": {"deployment": "LAN"},
            "supportedCommunicationProtocols": ["WebSocket"],
            "supportedS2MessageVersions": ["v1"],
            "supportedHmacHashingAlgorithms": ["SHA256"],
            "clientHmacChallenge": "AAAA",
        },
        ssl=ctx,
    ) as resp:
        assert resp.status == 200
        attempt = {"Authorization": f"Bearer {(await resp.json())['pairingAttemptId']}"}
    # Open HEM will not be the client of the RM's WebSocket server: refused, attempt kept.
    async with http.post(api + "postConnectionDetails", json={}, headers=attempt, ssl=ctx) as resp:
        assert resp.status == 400
        assert (await resp.json())["errorMessage"] == "Other"
    async with http.post(
        api + "postConnectionDetails", json={}, headers={"Authorization": "Bearer x"}, ssl=ctx
    ) as resp:
        assert resp.status == 401
    async with http.post(
        api + "finalizePairing", json={"success": True}, headers=attempt, ssl=ctx
    ) as resp:
        assert resp.status == 400
    async with http.post(
        api + "requestConnectionDetails", json={}, headers=attempt, ssl=ctx
    ) as resp:
        assert resp.status == 401
    # Not JSON, no attempt: refused, nothing crashes.
    async with http.post(api + "requestPairing", data=b"{oops", ssl=ctx) as resp:
        assert resp.status == 400
        assert (await resp.json())["errorMessage"] == "ParsingError"
    async with http.post(api + "finalizePairing", json={"success": True}, ssl=ctx) as resp:
        assert resp.status == 401
    # Nothing paired: the flow says so.
    result = await hass.config_entries.subentries.async_configure(form["flow_id"], {})
    assert result["errors"] == {"base": "not_paired"}

    # A spent access token is refused (401) after it was rotated.
    rm = ConnectRm()
    await _paired_device(hass, hub, http, rm)
    spent = rm.access_token
    await rm.initiate(http)
    assert rm.initiate_session_url is not None
    async with http.post(
        rm.initiate_session_url + "v1/initiateSession",
        json={
            "clientNodeId": rm.node_id,
            "serverNodeId": rm.server_node_id,
            "supportedS2MessageVersions": ["v1"],
            "supportedCommunicationProtocols": ["WebSocket"],
        },
        headers={"Authorization": f"Bearer {spent}"},
        ssl=rm.pinned(),
    ) as resp:
        assert resp.status == 401
    # A WebSocket without a token never upgrades.
    listener = _connect(hub).listener
    assert listener is not None
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await http.ws_connect(f"wss://127.0.0.1:{listener.port}/s2/v1/websocket", ssl=rm.pinned())
    assert err.value.status == 401


async def test_expired_code_and_the_attempt_limit(
    hass: HomeAssistant, hub: MockConfigEntry, http: aiohttp.ClientSession
) -> None:
    """A code older than 5 minutes pairs nothing; an attempt is over after 15 s."""
    now = [1000.0]
    with patch("custom_components.open_hem.devices.native.connect.server.now", lambda: now[0]):
        form = await _start_pairing(hass, hub)
        url, code = (
            form["description_placeholders"]["url"],
            form["description_placeholders"]["code"],
        )
        rm = ConnectRm()
        now[0] += 301  # the code is expired
        status, body = await rm.pair(http, url, code)
        assert status == 400
        assert body["errorMessage"] == "NoValidPairingTokenOnPairingServer"
        result = await hass.config_entries.subentries.async_configure(form["flow_id"], {})
        assert result["errors"] == {"base": "code_expired"}
        new_code = result["description_placeholders"]["code"]
        assert new_code != code

        # 15 s: requestPairing now, the connection details 16 s later.
        api = url + "v1/"
        async with http.post(
            api + "requestPairing",
            json={
                "clientNodeDescription": rm.description(),
                "clientEndpointDescription": {},
                "supportedCommunicationProtocols": ["WebSocket"],
                "supportedS2MessageVersions": ["v1"],
                "supportedHmacHashingAlgorithms": ["SHA256"],
                "clientHmacChallenge": "AAAA",
            },
            ssl=rm.unverified(),
        ) as resp:
            assert resp.status == 200
            attempt = (await resp.json())["pairingAttemptId"]
        now[0] += 16
        async with http.post(
            api + "requestConnectionDetails",
            json={"serverHmacChallengeResponse": "AAAA"},
            headers={"Authorization": f"Bearer {attempt}"},
            ssl=rm.unverified(),
        ) as resp:
            assert resp.status == 401


async def test_lan_extras_index_and_unload(
    hass: HomeAssistant, hub: MockConfigEntry, http: aiohttp.ClientSession
) -> None:
    """nodes, endpoint, preparePairing; the key file is private; unloading stops listening."""
    await _start_pairing(hass, hub)
    listener = _connect(hub).listener
    assert listener is not None
    base, ctx = f"https://127.0.0.1:{listener.port}", ConnectRm().unverified()
    async with http.get(base + "/pairing/v1/nodes", ssl=ctx) as resp:
        nodes = await resp.json()
    assert [n["role"] for n in nodes] == ["CEM"]
    assert nodes[0]["id"] == _connect(hub).pairings.node_id
    async with http.get(base + "/pairing/v1/endpoint", ssl=ctx) as resp:
        assert (await resp.json())["deployment"] == "LAN"
    rm = ConnectRm()
    body = {
        "clientNodeDescription": rm.description(),
        "clientEndpointDescription": {},
        "serverNodeId": nodes[0]["id"],
    }
    async with http.post(base + "/pairing/v1/preparePairing", json=body, ssl=ctx) as resp:
        assert resp.status == 204
    assert rm.node_id in listener.prepared
    async with http.post(
        base + "/pairing/v1/cancelPreparePairing",
        json={"clientNodeId": rm.node_id, "serverNodeId": nodes[0]["id"]},
        ssl=ctx,
    ) as resp:
        assert resp.status == 204
    assert rm.node_id not in listener.prepared
    for _ in range(40):  # many RMs getting ready at once: only the latest are kept
        other = ConnectRm()
        body["clientNodeDescription"] = other.description()
        async with http.post(base + "/pairing/v1/preparePairing", json=body, ssl=ctx) as resp:
            assert resp.status == 204
    assert len(listener.prepared) == 16
    assert other.node_id in listener.prepared
    # TLS 1.1 is refused.
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname, old.verify_mode = False, ssl.CERT_NONE
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    async with _failed_handshakes_expected(hass):
        with pytest.raises((aiohttp.ClientError, ssl.SSLError, OSError)):
            async with http.get(base + "/pairing/", ssl=old):
                pass

    key = Path(hass.config.path(".storage", TLS_FOLDER, "leaf.key"))
    mode = await hass.async_add_executor_job(lambda: stat.S_IMODE(key.stat().st_mode))
    assert mode == 0o600

    assert await hass.config_entries.async_unload(hub.entry_id)
    with pytest.raises(aiohttp.ClientConnectorError):
        async with http.get(base + "/pairing/", ssl=ctx):
            pass


async def test_deleting_the_device_unpairs_it(
    hass: HomeAssistant, hub: MockConfigEntry, http: aiohttp.ClientSession
) -> None:
    """Delete the subentry: the pairing is gone and its access token refused."""
    rm = ConnectRm()
    subentry_id = await _paired_device(hass, hub, http, rm)
    assert rm.node_id in _connect(hub).pairings.clients
    assert hass.config_entries.async_remove_subentry(hub, subentry_id)
    await hass.async_block_till_done()
    assert rm.node_id not in _connect(hub).pairings.clients
    with pytest.raises(AssertionError, match=r"^400"):
        await rm.initiate(http)


async def test_paired_rms_are_served_after_a_restart(
    hass: HomeAssistant, hub: MockConfigEntry, http: aiohttp.ClientSession
) -> None:
    """After a reload the listener is back with the same CA; a new host name gets a new
    server certificate under that CA, so the RM's pin still holds."""
    rm = ConnectRm()
    await _paired_device(hass, hub, http, rm)
    leaf = _connect(hub).listener.tls.leaf_sha256  # type: ignore[union-attr]
    await hass.config.async_update(internal_url="http://hem.test:8123")
    await hass.config_entries.async_reload(hub.entry_id)
    await hass.async_block_till_done()
    listener = _connect(hub).listener
    assert listener is not None
    assert listener.running
    assert listener.tls.leaf_sha256 != leaf
    assert listener.pairing_url == f"https://hem.test:{listener.port}/pairing/"
    # hem.test is 127.0.0.1 here: connect there, verify as hem.test against the pinned CA.
    url = f"https://127.0.0.1:{listener.port}/session/"
    async with http.get(url, ssl=rm.pinned(), server_hostname="hem.test") as resp:
        assert resp.status == 200
    async with _failed_handshakes_expected(hass):
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await http.get(url, ssl=rm.pinned(), server_hostname="other.test")
    # The RM's access token still works (the port may differ: 0 in tests).
    rm.initiate_session_url = url
    ws_url, _token = await rm.initiate(http)
    assert ws_url == f"wss://hem.test:{listener.port}/s2/v1/websocket"


async def test_announced_with_dns_sd_while_listening(
    hass: HomeAssistant,
    tmp_path: Path,
    socket_enabled: None,
    mock_async_zeroconf: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With zeroconf loaded the listener is announced as ``_cem`` (withdrawn on unload).

    The mocked zeroconf cannot browse: Open HEM sets up all the same and says so.
    """
    hass.config.location_name = "Home"
    hass.config.components.add("zeroconf")
    entry = await _setup_hub(hass, tmp_path)
    mock_async_zeroconf.async_register_service.assert_not_called()  # nothing paired yet
    assert "cannot look for S2 devices" in caplog.text

    await _start_pairing(hass, entry)
    listener = _connect(entry).listener
    assert listener is not None
    info = mock_async_zeroconf.async_register_service.call_args.args[0]
    assert info.type == "_cem._sub._s2connect._tcp.local."
    assert info.name == "Home._s2connect._tcp.local."
    assert info.port == listener.port
    assert info.decoded_properties == {
        "txtver": "1",
        "e_name": "Home",
        "pairingUrl": f"https://127.0.0.1:{listener.port}/pairing/",
    }
    assert info.parsed_addresses() == ["127.0.0.1"]

    assert await hass.config_entries.async_unload(entry.entry_id)
    mock_async_zeroconf.async_unregister_service.assert_awaited_once_with(info)


async def test_the_port_is_an_option(
    hass: HomeAssistant, hub: MockConfigEntry, http: aiohttp.ClientSession
) -> None:
    """Options, S2 Connect: the listener moves to the chosen port (after the reload)."""
    rm = ConnectRm()
    await _paired_device(hass, hub, http, rm)
    with socket.socket() as probe:  # a port that is free right now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await hass.config_entries.options.async_init(hub.entry_id)
    assert "s2_connect" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "s2_connect"}
    )
    assert result["step_id"] == "s2_connect"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_S2_CONNECT_PORT: port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert hub.options[CONF_S2_CONNECT_PORT] == port
    listener = _connect(hub).listener
    assert listener is not None
    assert listener.port == port
    rm.initiate_session_url = f"https://127.0.0.1:{port}/session/"
    ws_url, _token = await rm.initiate(http)
    assert f":{port}/" in ws_url


async def test_a_discovered_rm_is_offered_and_paired_from_repairs(
    hass: HomeAssistant, hub: MockConfigEntry, http: aiohttp.ClientSession, hass_client: Any
) -> None:
    """An announced RM becomes a fixable issue; its fix flow pairs it into a device."""
    assert await async_setup_component(hass, "repairs", {})
    discovery = _connect(hub).discovery
    instance = "EVSE1038._s2connect._tcp.local."
    discovery.async_rm_found(instance, {"txtver": "1", "e_name": "Wallbox"})  # no pairingUrl
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, issue_id(instance)) is None
    discovery.async_rm_found(
        instance, {"txtver": "1", "e_name": "Wallbox", "pairingUrl": "https://evse.local/"}
    )
    issue = registry.async_get_issue(DOMAIN, issue_id(instance))
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"name": "Wallbox", "url": "https://evse.local/"}

    client = await hass_client()
    resp = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id(instance)}
    )
    flow = await resp.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"] == {"name": "Wallbox"}
    resp = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    page = await resp.json()
    assert page["step_id"] == "pair"
    resp = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await resp.json())["errors"] == {"base": "not_paired"}

    rm = ConnectRm(name="Wallbox")
    placeholders = page["description_placeholders"]
    status, _ = await rm.pair(http, placeholders["url"], placeholders["code"])
    assert status == 204
    resp = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await resp.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    subentry = next(s for s in hub.subentries.values() if s.unique_id == rm.node_id)
    assert subentry.title == "Wallbox"
    assert subentry.data[CONF_DNS_SD_NAME] == instance
    assert registry.async_get_issue(DOMAIN, issue_id(instance)) is None
    assert hub.runtime_data.s2 is not None
    assert subentry.subentry_id in hub.runtime_data.s2.devices
    # Seen again on the network: already paired, not offered again.
    discovery.async_rm_found(instance, {"e_name": "Wallbox", "pairingUrl": "https://evse.local/"})
    assert registry.async_get_issue(DOMAIN, issue_id(instance)) is None

    # Another RM is offered, then leaves the network: the offer goes with it.
    other = "Heatpump._s2connect._tcp.local."
    discovery.async_rm_found(other, {"pairingUrl": "https://hp.local/"})
    issue = registry.async_get_issue(DOMAIN, issue_id(other))
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["name"] == "Heatpump"
    discovery.async_rm_gone(other)
    assert registry.async_get_issue(DOMAIN, issue_id(other)) is None


async def test_rms_are_browsed_with_home_assistants_zeroconf(
    hass: HomeAssistant, tmp_path: Path, socket_enabled: None, mock_async_zeroconf: Any
) -> None:
    """With zeroconf loaded Open HEM browses ``_rm._sub._s2connect._tcp``; found and removed
    services become and stop being offers; unloading stops browsing."""
    hass.config.config_dir = str(tmp_path)
    hass.config.components.add("zeroconf")
    entry = hub_entry(options={CONF_S2_CONNECT_PORT: 0})
    entry.add_to_hass(hass)
    with patch(
        "custom_components.open_hem.devices.native.connect.discovery.AsyncServiceBrowser"
    ) as browser:
        browser.return_value.async_cancel = AsyncMock()
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert browser.call_args.args[1] == ["_rm._sub._s2connect._tcp.local."]
    on_change = browser.call_args.kwargs["handlers"][0]
    name = "EVSE1038._s2connect._tcp.local."

    async def resolved(self: Any, zc: Any, wait_ms: float) -> bool:
        self._set_properties({b"e_name": b"Wallbox", b"pairingUrl": b"https://evse.local/"})
        return True

    with patch(
        "custom_components.open_hem.devices.native.connect.discovery.AsyncServiceInfo.async_request",
        resolved,
    ):
        on_change(None, "_rm._sub._s2connect._tcp.local.", name, ServiceStateChange.Added)
        await hass.async_block_till_done()
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, issue_id(name)) is not None
    on_change(None, "_rm._sub._s2connect._tcp.local.", name, ServiceStateChange.Removed)
    await hass.async_block_till_done()
    assert registry.async_get_issue(DOMAIN, issue_id(name)) is None
    assert await hass.config_entries.async_unload(entry.entry_id)
    browser.return_value.async_cancel.assert_awaited_once()


async def test_a_taken_port_is_told_not_crashed(
    hass: HomeAssistant, tmp_path: Path, socket_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Another program on the port: the flow aborts with the reason; setup logs and goes on."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        entry = hub_entry(options={CONF_S2_CONNECT_PORT: port})
        hass.config.config_dir = str(tmp_path)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        result = await hass.config_entries.subentries.async_init(
            (entry.entry_id, SUBENTRY_S2_DEVICE), context={"source": SOURCE_USER}
        )
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {"name": "S2 device", "control_type": "automatic", "connect_with": "s2_connect"},
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "s2_connect_port"
        assert result["description_placeholders"]["error"]
        # A paired RM at the next start: the listener cannot start, Open HEM does.
        await _connect(entry).pairings.async_add("0b5ad3c0-0000-4000-8000-0000000000aa", "x")
        hass.config_entries.async_add_subentry(
            entry,
            ConfigSubentry(
                data=MappingProxyType({CONF_NODE_ID: "0b5ad3c0-0000-4000-8000-0000000000aa"}),
                subentry_type=SUBENTRY_S2_DEVICE,
                title="Paired",
                unique_id="0b5ad3c0-0000-4000-8000-0000000000aa",
            ),
        )
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert "S2 Connect cannot listen on port" in caplog.text


@pytest.mark.parametrize(
    ("remote", "lan"),
    [
        ("192.168.1.20", True),
        ("10.0.0.5", True),
        ("127.0.0.1", True),
        ("fe80::1%eth0", True),
        ("fd00::5", True),
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        (None, False),
        ("not an address", False),
    ],
)
def test_the_lan_extras_answer_only_local_addresses(remote: str | None, lan: bool) -> None:
    """nodes, endpoint, preparePairing: from outside the LAN they are 401 (the spec)."""
    assert lan_address(remote) is lan


async def test_the_rm_unpairs_itself_and_bad_bodies_are_refused(
    hass: HomeAssistant, hub: MockConfigEntry, http: aiohttp.ClientSession
) -> None:
    """``unpair`` from the RM forgets the pairing; broken bodies get 400, nothing crashes."""
    rm = ConnectRm()
    await _paired_device(hass, hub, http, rm)
    assert rm.initiate_session_url is not None
    api = rm.initiate_session_url + "v1/"
    bearer = {"Authorization": f"Bearer {rm.access_token}"}
    for path in ("initiateSession", "unpair"):
        async with http.post(api + path, data=b"[", headers=bearer, ssl=rm.pinned()) as resp:
            assert resp.status == 400
    listener = _connect(hub).listener
    assert listener is not None
    base = f"https://127.0.0.1:{listener.port}/pairing/v1/"
    for path in ("preparePairing", "cancelPreparePairing"):
        async with http.post(base + path, json={"serverNodeId": 1}, ssl=rm.pinned()) as resp:
            assert resp.status == 400
    # Another node's id in preparePairing: noted nowhere (204 as the spec wants).
    body = {
        "clientNodeDescription": rm.description(),
        "clientEndpointDescription": {},
        "serverNodeId": rm.node_id,
    }
    async with http.post(base + "preparePairing", json=body, ssl=rm.pinned()) as resp:
        assert resp.status == 204
    assert listener.prepared == {}

    body = {"clientNodeId": rm.node_id, "serverNodeId": rm.server_node_id}
    async with http.post(api + "unpair", json=body, headers=bearer, ssl=rm.pinned()) as resp:
        assert resp.status == 204
    await hass.async_block_till_done()
    assert rm.node_id not in _connect(hub).pairings.clients
    # Saved: a reload does not bring the pairing back.
    await hass.config_entries.async_reload(hub.entry_id)
    await hass.async_block_till_done()
    assert rm.node_id not in _connect(hub).pairings.clients


async def test_announcement_by_host_name_and_its_failures(
    hass: HomeAssistant, mock_async_zeroconf: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A host name goes in SRV (no address); a refused registration is a warning, no crash."""
    info = service_info("Home", "homeassistant.local", 9491, "https://homeassistant.local:9491/")
    assert info.server == "homeassistant.local."
    assert info.parsed_addresses() == []
    assert await async_advertise(hass, "Home", "h.local", 1, "https://h.local:1/") is None
    hass.config.components.add("zeroconf")
    mock_async_zeroconf.async_register_service.side_effect = NonUniqueNameException
    assert await async_advertise(hass, "Home", "h.local", 1, "https://h.local:1/") is None
    assert "could not be announced" in caplog.text
    mock_async_zeroconf.async_register_service.side_effect = None
    mock_async_zeroconf.async_unregister_service.side_effect = OSError("gone")
    withdraw = await async_advertise(hass, "Home", "h.local", 1, "https://h.local:1/")
    assert withdraw is not None
    await withdraw()  # an interface that went away: nothing raised
    mock_async_zeroconf.async_unregister_service.assert_awaited_once()


async def test_reconfiguring_a_paired_device_offers_no_device_token(
    hass: HomeAssistant, hub: MockConfigEntry, http: aiohttp.ClientSession
) -> None:
    """Its tokens come from S2 Connect: Reconfigure changes only the control type."""
    subentry_id = await _paired_device(hass, hub, http, ConnectRm())
    result = await hub.start_subentry_reconfigure_flow(hass, subentry_id)
    assert [str(key) for key in result["data_schema"].schema] == ["control_type"]
    with pytest.raises(InvalidData):
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"control_type": "fill_rate_based_control", "new_token": True}
        )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"control_type": "fill_rate_based_control"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert hub.subentries[subentry_id].data["control_type"] == "fill_rate_based_control"
