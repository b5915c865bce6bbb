"""The S2 Connect pairings of this Home Assistant, kept with ``Store`` (token hashes only).

``.storage/open_hem.s2_connect`` (mode 0600) holds the CEM's own node id (stable, so a paired
RM finds us again after a restart) and per paired RM its node id, its name and the SHA-256 of
its current access token. The access tokens themselves are never stored: S2 Connect hands
them to the RM and rotates them at every session initiation.
"""

from __future__ import annotations

from collections.abc import Iterable
import logging
from typing import Any
import uuid

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from ....core.s2.connect import PairedClient

_LOGGER = logging.getLogger(__name__)

STORAGE_KEY = "open_hem.s2_connect"
STORAGE_VERSION = 1


class Pairings:
    """Our node id and the paired RMs (the dict is shared with the session-init server)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing is read until :meth:`async_load`."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, STORAGE_KEY, private=True, atomic_writes=True
        )
        self.node_id = str(uuid.uuid4())
        self.clients: dict[str, PairedClient] = {}

    async def async_load(self) -> None:
        """Read the store; an unreadable file keeps no pairing (the RMs must pair again)."""
        try:
            data = await self._store.async_load() or {}
        except HomeAssistantError as err:
            _LOGGER.error("S2 Connect pairings could not be read (%s): pair the devices again", err)
            data = {}
        self.node_id = str(data.get("node_id") or self.node_id)
        self.clients.clear()
        for item in data.get("clients", []):
            try:
                client = PairedClient.from_dict(item)
            except KeyError, TypeError:
                continue
            self.clients[client.client_node_id] = client
        if not data:
            await self.async_save()  # the node id must not change once an RM knows it

    async def async_save(self) -> None:
        """Saved at once: an unpairing must survive a crash right after it."""
        await self._store.async_save(
            {
                "node_id": self.node_id,
                "clients": [client.to_dict() for client in self.clients.values()],
            }
        )

    async def async_add(self, client_node_id: str, access_token_hash: str) -> None:
        """A finished pairing (a new pairing of a known RM replaces the old one)."""
        self.clients[client_node_id] = PairedClient(client_node_id, access_token_hash)
        await self.async_save()

    async def async_unpair(self, node_ids: Iterable[str]) -> list[str]:
        """Forget the RMs of ``node_ids``; returns those that were paired."""
        gone = [n for n in node_ids if self.clients.pop(n, None) is not None]
        if gone:
            await self.async_save()
        return gone

    async def async_keep_only(self, node_ids: Iterable[str]) -> list[str]:
        """Unpair every RM without a device (deleted while Open HEM was not running)."""
        keep = set(node_ids)
        return await self.async_unpair([n for n in list(self.clients) if n not in keep])

    async def async_remove(self) -> None:
        """Forget everything and delete the file (the hub entry is removed)."""
        self.clients.clear()
        await self._store.async_remove()
