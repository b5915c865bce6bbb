"""The fix flow of a discovered RM: confirm, show the pairing code, add the paired device."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigSubentry
import probatio

from ....const import DOMAIN
from ..const import (
    CONF_CONNECT_WITH,
    CONF_CONTROL_TYPE,
    CONF_NODE_ID,
    CONNECT_WITH_S2_CONNECT,
    CONTROL_TYPE_AUTOMATIC,
    SUBENTRY_S2_DEVICE,
)
from .discovery import CONF_DNS_SD_NAME
from .flow import PairingPage, async_listener, device_title


class DiscoveredRmRepairFlow(RepairsFlow):
    """ "Discovered: <name> — pair?" -> the pairing page -> an S2 device."""

    def __init__(self, data: dict[str, Any] | None) -> None:
        """``data``: the RM's DNS-SD instance and name, as the issue carries them."""
        self._instance = str((data or {}).get("instance", ""))
        self._name = str((data or {}).get("name", ""))
        self._page = PairingPage()

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """The flow starts (with the issue's id as input): ask first."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Ask whether to pair."""
        if user_input is not None:
            return await self.async_step_pair()
        return self.async_show_form(
            step_id="confirm",
            data_schema=probatio.Schema({}),
            description_placeholders={"name": self._name},
        )

    async def async_step_pair(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """The pairing page; Submit checks that the RM paired."""
        loaded = self.hass.config_entries.async_loaded_entries(DOMAIN)
        s2 = loaded[0].runtime_data.s2 if loaded else None
        listener, reason, placeholders = await async_listener(None if s2 is None else s2.connect)
        if listener is None:
            return self.async_abort(reason=reason, description_placeholders=placeholders)
        client = self._page.update(listener, submitted=user_input is not None)
        if client is None:
            return self.async_show_form(
                step_id="pair",
                data_schema=probatio.Schema({}),
                errors=self._page.errors,
                description_placeholders={"name": self._name, **self._page.placeholders},
            )
        entry = loaded[0]
        if not any(s.data.get(CONF_NODE_ID) == client.id for s in entry.subentries.values()):
            data = {
                CONF_NODE_ID: client.id,
                CONF_CONTROL_TYPE: CONTROL_TYPE_AUTOMATIC,
                CONF_CONNECT_WITH: CONNECT_WITH_S2_CONNECT,
                CONF_DNS_SD_NAME: self._instance,
            }
            self.hass.config_entries.async_add_subentry(
                entry,
                ConfigSubentry(
                    data=MappingProxyType(data),
                    subentry_type=SUBENTRY_S2_DEVICE,
                    title=device_title(client),
                    unique_id=client.id,
                ),
            )
        return self.async_create_entry(data={})
