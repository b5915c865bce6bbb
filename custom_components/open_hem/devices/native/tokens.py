"""Device tokens of S2 devices that connect without S2 Connect: random, shown once, kept hashed.

A token is 32 random bytes (URL-safe Base64). Only its SHA-256 is stored, in
``.storage/open_hem.s2_device_tokens`` (file mode 0600), one per node id; a new token replaces
(revokes) the old one, and deleting the device revokes its token. Listeners hear of every
revocation so a session authenticated with a revoked token can be closed at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import logging
import secrets
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.singleton import singleton
from homeassistant.helpers.storage import Store

from ...core.s2.connect.crypto import hash_token, same_token
from ...listeners import Listeners
from .const import DATA_S2_TOKENS, STORAGE_KEY_TOKENS, STORAGE_VERSION

_LOGGER = logging.getLogger(__name__)

TOKEN_BYTES = 32

RevokeListener = Callable[[str], None]


def new_device_token() -> str:
    """A fresh device token (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class DeviceTokens:
    """The token hashes of all S2 devices, by node id."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing is read until :meth:`async_load`."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, STORAGE_KEY_TOKENS, private=True, atomic_writes=True
        )
        self._hashes: dict[str, str] = {}
        self._listeners: Listeners[[str]] = Listeners()

    async def async_load(self) -> None:
        """Read the stored hashes; an unreadable file refuses every device (fail closed)."""
        try:
            data = await self._store.async_load() or {}
        except HomeAssistantError as err:
            _LOGGER.error(
                "S2 device tokens could not be read (%s): every S2 device needs a new token "
                "(Reconfigure, Issue a new token)",
                err,
            )
            data = {}
        self._hashes = {str(k): str(v) for k, v in dict(data.get("tokens", {})).items()}

    async def _async_save(self) -> None:
        # Saved at once (not delayed): a revocation must survive a crash right after it.
        await self._store.async_save({"tokens": dict(self._hashes)})

    def valid(self, node_id: str, token: str) -> bool:
        """Whether ``token`` is the current token of ``node_id`` (constant time)."""
        stored = self._hashes.get(node_id)
        return stored is not None and same_token(token, stored)

    def __contains__(self, node_id: object) -> bool:
        """Whether the node has a token."""
        return node_id in self._hashes

    async def async_set(self, node_id: str, token: str) -> None:
        """Make ``token`` the node's token; an older one stops working."""
        had = node_id in self._hashes
        self._hashes[node_id] = hash_token(token)
        await self._async_save()
        if had:
            self._notify(node_id)

    async def async_revoke(self, node_ids: Iterable[str]) -> list[str]:
        """Forget the tokens of ``node_ids``; returns those that had one."""
        revoked = [node_id for node_id in node_ids if self._hashes.pop(node_id, None) is not None]
        if revoked:
            await self._async_save()
            for node_id in revoked:
                self._notify(node_id)
        return revoked

    async def async_keep_only(self, node_ids: Iterable[str]) -> list[str]:
        """Revoke every token whose node is not in ``node_ids`` (a device deleted meanwhile)."""
        keep = set(node_ids)
        return await self.async_revoke([n for n in list(self._hashes) if n not in keep])

    async def async_remove(self) -> None:
        """Forget everything and delete the file (the hub entry is removed)."""
        self._hashes.clear()
        await self._store.async_remove()

    @callback
    def async_add_listener(self, listener: RevokeListener) -> Callable[[], None]:
        """Call ``listener(node_id)`` when a node's token is revoked or replaced."""
        return self._listeners.add(listener)

    def _notify(self, node_id: str) -> None:
        self._listeners.notify(node_id)


@singleton(DATA_S2_TOKENS, async_=True)
async def async_get_tokens(hass: HomeAssistant) -> DeviceTokens:
    """The one token store of this Home Assistant, loaded."""
    tokens = DeviceTokens(hass)
    await tokens.async_load()
    return tokens
