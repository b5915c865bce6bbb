"""The "S2 Connect" step of the hub's options: the port of the TLS listener."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import NumberSelector, NumberSelectorConfig, NumberSelectorMode
import probatio

from . import CONF_S2_CONNECT_PORT, DEFAULT_PORT


class S2ConnectOptionsStep(OptionsFlow):
    """Choose the port S2 Connect listens on (paired RMs learn it at the next session)."""

    async def async_step_s2_connect(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The port (1024-65535); saving reloads Open HEM, which listens on the new one."""
        options = self.config_entry.options
        if user_input is not None:
            port = int(user_input[CONF_S2_CONNECT_PORT])
            return self.async_create_entry(data={**options, CONF_S2_CONNECT_PORT: port})
        schema = probatio.Schema(
            {
                probatio.Required(
                    CONF_S2_CONNECT_PORT, default=options.get(CONF_S2_CONNECT_PORT, DEFAULT_PORT)
                ): NumberSelector(
                    NumberSelectorConfig(min=1024, max=65535, step=1, mode=NumberSelectorMode.BOX)
                )
            }
        )
        return self.async_show_form(step_id="s2_connect", data_schema=schema)
