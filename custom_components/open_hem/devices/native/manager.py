"""The S2 devices of the hub entry: one :class:`S2Device` per ``s2_device`` subentry.

An :class:`S2Device` serves the WebSocket of its RM (one session at a time: a new connection
replaces an older one, so an RM whose connection died unseen can come back at once), tells
its entities about every change, and keeps the last session for diagnostics.

:class:`S2Devices` holds them, applies changes to S2 subentries live (a device added, deleted
or changed needs no reload of the hub: P1 meters and the other sessions keep running),
revokes the token of a deleted device and closes its session, and closes every session when
the entry unloads.

Safe default: until the planning loop drives the devices, a session selects a control type
and listens. Nothing here ever sends an instruction (``apply_plan`` is never called).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, web
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util

from ...const import DOMAIN
from ...core.s2 import CemSession, EventKind, SessionConfig, SessionEvent, SessionState
from ...core.s2.transport import run_session
from ...data import OpenHemConfigEntry
from ...listeners import Listeners
from ..hub import ControlledDevice, DeviceHub, DeviceKind
from .const import (
    CLOSE_WAIT_S,
    CONF_CONTROL_TYPE,
    CONF_NODE_ID,
    CONTROL_TYPE_AUTOMATIC,
    HEARTBEAT_S,
    SUBENTRY_S2_DEVICE,
)
from .planning import UNPLANNABLE, native_model_capture, planning_status

if TYPE_CHECKING:
    from .connect import S2Connect
from .tokens import DeviceTokens

_LOGGER = logging.getLogger(__name__)

STATE_DISCONNECTED = "disconnected"
STATE_HANDSHAKE = "handshake"
STATE_CONNECTED = "connected"
STATE_ACTIVE = "active"
CONNECTION_STATES = (STATE_DISCONNECTED, STATE_HANDSHAKE, STATE_CONNECTED, STATE_ACTIVE)

_STATE_OF = {
    SessionState.NEW: STATE_HANDSHAKE,
    SessionState.HANDSHAKE: STATE_HANDSHAKE,
    SessionState.DETAILS: STATE_HANDSHAKE,
    SessionState.CONNECTED: STATE_CONNECTED,
    SessionState.ACTIVE: STATE_ACTIVE,
    SessionState.CLOSED: STATE_DISCONNECTED,
}


async def _drop_heartbeat(ws: web.WebSocketResponse) -> None:
    """Cancel a heartbeat aiohttp re-armed after the close.

    aiohttp (3.14) defers the heartbeat reset for received frames to the next loop turn; a
    frame that arrived while the socket was closing re-arms the ping timer of a closed socket.
    """
    await asyncio.sleep(0)
    cancel = getattr(ws, "_cancel_heartbeat", None)
    if callable(cancel):
        cancel()


def preferred_control_type(subentry: ConfigSubentry) -> str | None:
    """The control type the user chose for the device (None: automatic)."""
    value = subentry.data.get(CONF_CONTROL_TYPE, CONTROL_TYPE_AUTOMATIC)
    return None if value == CONTROL_TYPE_AUTOMATIC else str(value)


# What changes the plan of a native device: a new model, a drift, a new control type, the end.
_REPLAN_EVENTS = frozenset(
    {EventKind.MODEL_CHANGED, EventKind.REPLAN, EventKind.CONTROL_TYPE, EventKind.CLOSED}
)


@dataclass
class ConnectionStats:
    """How the device's connections went (for diagnostics)."""

    connects: int = 0
    refused: int = 0
    last_connected: datetime | None = None
    last_disconnected: datetime | None = None
    last_close_reason: str | None = None


class S2Device:
    """One S2 device (RM): its session, its entities' listeners, its statistics."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        subentry: ConfigSubentry,
        remember: Callable[[S2Device, str], None],
        hub: DeviceHub | None = None,
    ) -> None:
        """A device without a session yet; while connected it is in ``hub`` for the loop."""
        self.hass = hass
        self._hub = hub
        self.entry_id = entry_id
        self.subentry_id = subentry.subentry_id
        self.node_id: str = subentry.data[CONF_NODE_ID]
        self.title = subentry.title
        self.control_type = preferred_control_type(subentry)
        self.session: CemSession | None = None
        self.stats = ConnectionStats()
        self.removed = False
        self._remember = remember
        self._listeners: Listeners[[]] = Listeners()
        self._serving: set[asyncio.Task[Any]] = set()

    # -- state ---------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """disconnected, handshake, connected (RM known) or active (a control type runs)."""
        if self.session is None:
            return STATE_DISCONNECTED
        return _STATE_OF[self.session.state]

    @property
    def connected(self) -> bool:
        """Whether the RM is connected and has told who it is."""
        return self.state in (STATE_CONNECTED, STATE_ACTIVE)

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` on every change; returns the function that removes it."""
        return self._listeners.add(listener)

    @callback
    def _notify(self) -> None:
        self._listeners.notify()

    # -- the session ---------------------------------------------------------------------

    async def async_serve(self, request: web.Request) -> web.WebSocketResponse:
        """Serve the RM on this (authenticated) request until the socket closes."""
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, timeout=CLOSE_WAIT_S)
        await ws.prepare(request)
        old = self.session
        if old is not None and not old.closed:
            # Not awaited: a dead peer must not hold up the new connection.
            self.hass.async_create_task(
                old.close("replaced by a new connection"), "open_hem S2 replaced session"
            )
        session = self._new_session(ws)
        if self.control_type is not None:
            await session.select_control_type(self.control_type.upper())
        session.add_listener(self._on_event)
        self.session = session
        self.stats.connects += 1
        self.stats.last_connected = dt_util.utcnow()
        _LOGGER.debug("S2 device %s connected from %s", self.title, request.remote)
        leave_hub = self._join_hub(session)
        task = asyncio.current_task()
        if task is not None:
            self._serving.add(task)
        try:
            await run_session(ws, session)
        except Exception:
            _LOGGER.exception("S2 device %s: the session failed", self.title)
        finally:
            session.connection_lost("websocket closed")
            leave_hub()
            if not ws.closed:
                await ws.close()
            await _drop_heartbeat(ws)
            self.stats.last_disconnected = dt_util.utcnow()
            self.stats.last_close_reason = session.close_reason
            _LOGGER.debug("S2 device %s disconnected: %s", self.title, session.close_reason)
            self._notify()
            if task is not None:
                self._serving.discard(task)
        return ws

    def _new_session(self, ws: web.WebSocketResponse) -> CemSession:
        async def send(text: str) -> None:
            await ws.send_str(text)

        async def close(reason: str) -> None:
            await ws.close(code=WSCloseCode.GOING_AWAY, message=reason[:120].encode())

        return CemSession(send, close=close, config=SessionConfig())

    @callback
    def _join_hub(self, session: CemSession) -> Callable[[], None]:
        """Put this connection in the device hub, so the planning loop plans and instructs it."""
        if self._hub is None:
            return lambda: None
        return self._hub.add(
            ControlledDevice(
                subentry_id=self.subentry_id,
                name=self.title,
                kind=DeviceKind.S2,
                session=session,
                capture_model=lambda: native_model_capture(session, self.title),
                plannable=lambda: planning_status(session) not in UNPLANNABLE,
                # Its power sensor (S2 sign: consumption positive) has the statistics.
                power_entity=er.async_get(self.hass).async_get_entity_id(
                    "sensor", DOMAIN, f"{self.subentry_id}_power"
                ),
            )
        )

    @callback
    def _on_event(self, event: SessionEvent) -> None:
        if event.kind is EventKind.RM_DETAILS:
            self._update_device_registry()
        if self._hub is not None and event.kind in _REPLAN_EVENTS:
            self._hub.notify()
        self._notify()

    @callback
    def _update_device_registry(self) -> None:
        session = self.session
        if session is None or session.rm_details is None:
            return
        registry = dr.async_get(self.hass)
        device = registry.async_get_device_by_identifier((DOMAIN, self.subentry_id), self.entry_id)
        if device is None:
            return
        details = session.rm_details
        registry.async_update_device(
            device.id,
            manufacturer=details.manufacturer,
            model=details.model,
            sw_version=details.firmware_version,
            serial_number=details.serial_number,
        )

    async def async_disconnect(self, reason: str, *, terminate: bool = False) -> None:
        """Close the session (if any) and wait until its handler has finished."""
        session = self.session
        if session is not None and not session.closed:
            await session.close(reason, terminate=terminate)
        if self._serving:
            await asyncio.wait(list(self._serving), timeout=CLOSE_WAIT_S)

    # -- the control type ------------------------------------------------------------------

    async def async_select_control_type(self, option: str) -> None:
        """Use ``option`` (a lower-case S2 control type) now and after every reconnect."""
        session = self.session
        if session is None or session.rm_details is None or session.closed:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="s2_not_connected"
            )
        offered = {c.value.lower() for c in session.rm_details.available_control_types}
        if option not in offered:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="s2_control_type_not_offered",
                translation_placeholders={"control_type": option},
            )
        self.control_type = option
        await session.select_control_type(option.upper())
        self._remember(self, option)
        self._notify()

    async def async_apply_preference(self, control_type: str | None) -> None:
        """The preference changed in the subentry (reconfigure): follow it if connected."""
        if control_type == self.control_type:
            return
        self.control_type = control_type
        session = self.session
        if session is not None and not session.closed:
            await session.select_control_type(
                None if control_type is None else control_type.upper()
            )
        self._notify()


def _others(entry: OpenHemConfigEntry) -> tuple[Any, ...]:
    """Everything of the entry except S2 devices: a change there needs a reload."""
    return (
        dict(entry.data),
        dict(entry.options),
        {
            subentry_id: (s.subentry_type, s.title, dict(s.data), s.unique_id)
            for subentry_id, s in entry.subentries.items()
            if s.subentry_type != SUBENTRY_S2_DEVICE
        },
    )


class S2Devices:
    """All S2 devices of the hub entry, by subentry and by node id."""

    def __init__(
        self, hass: HomeAssistant, entry: OpenHemConfigEntry, tokens: DeviceTokens
    ) -> None:
        """Create a device for every S2 subentry of ``entry``."""
        self.hass = hass
        self.entry = entry
        self.tokens = tokens
        self.devices: dict[str, S2Device] = {}
        self.refused = 0
        self.connect: S2Connect | None = None
        self._added_listeners: Listeners[[S2Device]] = Listeners()
        self._others = _others(entry)
        for subentry in entry.subentries.values():
            if subentry.subentry_type == SUBENTRY_S2_DEVICE:
                self._add(subentry)

    def _add(self, subentry: ConfigSubentry) -> S2Device:
        device = S2Device(
            self.hass,
            self.entry.entry_id,
            subentry,
            self._remember,
            self.entry.runtime_data.devices,
        )
        self.devices[subentry.subentry_id] = device
        return device

    def by_node(self, node_id: str) -> S2Device | None:
        """The device whose WebSocket URL ends in ``node_id``."""
        return next((d for d in self.devices.values() if d.node_id == node_id), None)

    @callback
    def async_on_device_added(self, listener: Callable[[S2Device], None]) -> Callable[[], None]:
        """Call ``listener(device)`` for each device added later (platforms add entities)."""
        return self._added_listeners.add(listener)

    @callback
    def _remember(self, device: S2Device, option: str) -> None:
        """Keep the user's control type in the subentry, for reconnects and restarts."""
        subentry = self.entry.subentries.get(device.subentry_id)
        if subentry is None or subentry.data.get(CONF_CONTROL_TYPE) == option:
            return
        self.hass.config_entries.async_update_subentry(
            self.entry, subentry, data={**subentry.data, CONF_CONTROL_TYPE: option}
        )

    @callback
    def async_token_revoked(self, node_id: str) -> None:
        """A token was revoked or replaced: the session it opened must end."""
        if (device := self.by_node(node_id)) is not None and device.session is not None:
            self.hass.async_create_task(
                device.async_disconnect("device token revoked", terminate=True),
                f"open_hem S2 disconnect {device.title}",
            )

    async def async_entry_updated(self, entry: OpenHemConfigEntry) -> bool:
        """Apply changes to S2 subentries live; True when nothing else changed (no reload)."""
        current = {
            subentry_id: subentry
            for subentry_id, subentry in entry.subentries.items()
            if subentry.subentry_type == SUBENTRY_S2_DEVICE
        }
        removed = [device for key, device in self.devices.items() if key not in current]
        for device in removed:
            del self.devices[device.subentry_id]
            device.removed = True
        # Deleting a device revokes its token (and so ends its session) at once.
        await self.tokens.async_revoke([device.node_id for device in removed])
        if self.connect is not None:  # and unpairs an RM paired with S2 Connect
            await self.connect.async_unpair([device.node_id for device in removed])
        for device in removed:
            await device.async_disconnect("device deleted", terminate=True)
        others = _others(entry)
        if others != self._others:
            return False
        for subentry_id, subentry in current.items():
            existing = self.devices.get(subentry_id)
            if existing is None:
                added = self._add(subentry)
                self._added_listeners.notify(added)
            else:
                await existing.async_apply_preference(preferred_control_type(subentry))
        return True

    async def async_close_all(self, reason: str) -> None:
        """End every session and wait for the handlers to finish."""
        await asyncio.gather(*(device.async_disconnect(reason) for device in self.devices.values()))
