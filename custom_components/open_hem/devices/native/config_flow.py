"""Subentry flow: add an S2 device that connects without S2 Connect (Open HEM → ⋮ → Add S2 device).

For resource managers that take a WebSocket URL and a bearer token (s2-python's own client,
early devices). The flow makes a node id, shows the URL (Home Assistant's internal URL) and a
new device token once, and stores only the token's hash when the user confirms. Reconfigure
changes the preferred control type and can issue a new token, which revokes the old one.
"""

from __future__ import annotations

from typing import Any
import uuid

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import probatio

from ...core.s2.connect import NodeDescription
from .connect.flow import PairingPage, async_listener, device_title
from .const import (
    CONF_CONNECT_WITH,
    CONF_CONTROL_TYPE,
    CONF_NEW_TOKEN,
    CONF_NODE_ID,
    CONNECT_WITH_OPTIONS,
    CONNECT_WITH_S2_CONNECT,
    CONTROL_TYPE_AUTOMATIC,
    CONTROL_TYPE_OPTIONS,
    WEBSOCKET_PATH,
)
from .tokens import async_get_tokens, new_device_token

DEFAULT_NAME = "S2 device"


def websocket_url(hass: HomeAssistant, node_id: str) -> str:
    """The device's WebSocket URL on Home Assistant's internal URL (raises NoURLAvailableError)."""
    base = get_url(hass, allow_external=False, allow_cloud=False, prefer_external=False)
    if base.startswith("https://"):
        base = "wss://" + base.removeprefix("https://")
    else:
        base = "ws://" + base.removeprefix("http://")
    return base.rstrip("/") + WEBSOCKET_PATH.format(node_id=node_id)


def _control_type_selector() -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=[CONTROL_TYPE_AUTOMATIC, *CONTROL_TYPE_OPTIONS],
            mode=SelectSelectorMode.DROPDOWN,
            translation_key="s2_control_type",
        )
    )


class S2DeviceSubentryFlow(ConfigSubentryFlow):
    """Add an S2 device, or change one (preferred control type, a new token)."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._title = DEFAULT_NAME
        self._data: dict[str, Any] = {}
        self._token: str | None = None
        self._url = ""
        self._page = PairingPage()
        self._named = False

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Name the device and choose how it is controlled."""
        if user_input is not None:
            self._title = str(user_input[CONF_NAME]).strip() or DEFAULT_NAME
            self._data = {
                CONF_NODE_ID: str(uuid.uuid4()),
                CONF_CONTROL_TYPE: user_input[CONF_CONTROL_TYPE],
            }
            if user_input.get(CONF_CONNECT_WITH) == CONNECT_WITH_S2_CONNECT:
                self._named = CONF_NAME in user_input and self._title != DEFAULT_NAME
                return await self.async_step_pair()
            return await self.async_step_token()
        schema = probatio.Schema(
            {
                probatio.Required(CONF_NAME, default=DEFAULT_NAME): TextSelector(),
                probatio.Required(
                    CONF_CONTROL_TYPE, default=CONTROL_TYPE_AUTOMATIC
                ): _control_type_selector(),
                probatio.Required(CONF_CONNECT_WITH, default=CONNECT_WITH_OPTIONS[0]): (
                    SelectSelector(
                        SelectSelectorConfig(
                            options=list(CONNECT_WITH_OPTIONS),
                            mode=SelectSelectorMode.LIST,
                            translation_key="s2_connect_with",
                        )
                    )
                ),
            }
        )
        return self.async_show_form(step_id="user", data_schema=schema)

    async def async_step_pair(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Show the pairing code; on Submit, check that the RM paired with it."""
        s2 = self._get_entry().runtime_data.s2
        listener, reason, placeholders = await async_listener(None if s2 is None else s2.connect)
        if listener is None:
            return self.async_abort(reason=reason, description_placeholders=placeholders)
        client = self._page.update(listener, submitted=user_input is not None)
        if client is not None:
            return self._paired(client)
        return self.async_show_form(
            step_id="pair",
            data_schema=probatio.Schema({}),
            errors=self._page.errors,
            description_placeholders=self._page.placeholders,
        )

    def _paired(self, client: NodeDescription) -> SubentryFlowResult:
        """The RM paired: it becomes a device under its own node id."""
        for subentry in self._get_entry().subentries.values():
            if subentry.data.get(CONF_NODE_ID) == client.id:
                return self.async_abort(reason="s2_connect_repaired")
        title = self._title
        if not self._named:
            title = device_title(client)
        data = {**self._data, CONF_NODE_ID: client.id, CONF_CONNECT_WITH: CONNECT_WITH_S2_CONNECT}
        return self.async_create_entry(title=title, data=data, unique_id=client.id)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the preferred control type; optionally issue a new token."""
        subentry = self._get_reconfigure_subentry()
        paired = subentry.data.get(CONF_CONNECT_WITH) == CONNECT_WITH_S2_CONNECT
        if user_input is not None:
            self._title = subentry.title
            self._data = {**subentry.data, CONF_CONTROL_TYPE: user_input[CONF_CONTROL_TYPE]}
            if user_input.get(CONF_NEW_TOKEN):
                return await self.async_step_token()
            return self.async_update_and_abort(self._get_entry(), subentry, data=self._data)
        fields: dict[Any, Any] = {
            probatio.Required(
                CONF_CONTROL_TYPE,
                default=subentry.data.get(CONF_CONTROL_TYPE, CONTROL_TYPE_AUTOMATIC),
            ): _control_type_selector()
        }
        if not paired:  # a device paired with S2 Connect gets its tokens from S2 Connect
            fields[probatio.Optional(CONF_NEW_TOKEN, default=False)] = BooleanSelector()
        schema = probatio.Schema(fields)
        return self.async_show_form(step_id="reconfigure", data_schema=schema)

    async def async_step_token(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the URL and the token once; the token counts from the confirmation on."""
        if self._token is None:
            try:
                self._url = websocket_url(self.hass, self._data[CONF_NODE_ID])
            except NoURLAvailableError:
                return self.async_abort(reason="no_url")
            self._token = new_device_token()
        if user_input is not None:
            tokens = await async_get_tokens(self.hass)
            await tokens.async_set(self._data[CONF_NODE_ID], self._token)
            if self.source == "reconfigure":
                return self.async_update_and_abort(
                    self._get_entry(), self._get_reconfigure_subentry(), data=self._data
                )
            return self.async_create_entry(
                title=self._title, data=self._data, unique_id=self._data[CONF_NODE_ID]
            )
        return self.async_show_form(
            step_id="token",
            data_schema=probatio.Schema({}),
            description_placeholders={"url": self._url, "token": self._token},
        )
