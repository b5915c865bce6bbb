"""The hub flow's "demo" step: a whole home without hardware, in one submit."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
import probatio

from ..const import CONF_CONNECTION, DEFAULT_CONNECTION
from ..planner.const import CONF_PROFILE, Profile
from ..prices.const import CONF_PRICE_SOURCE, PriceSourceKind
from .const import CONF_DEMO, DEMO_TITLE, DEMO_TITLE_NL
from .subentries import device_subentries, meter_subentry, s2_subentry


class DemoStep(ConfigFlow):
    """Creates the demo hub: grid-aware, 3x25 A, bundled prices, a meter and five devices."""

    async def async_step_demo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Say what the demo sets up; on submit create it with all its subentries."""
        if self._async_current_entries():
            return self.async_abort(reason="single_instance_allowed")
        if user_input is None:
            return self.async_show_form(step_id="demo", data_schema=probatio.Schema({}))
        return self.async_create_entry(
            title=DEMO_TITLE_NL if self.hass.config.language.startswith("nl") else DEMO_TITLE,
            data={
                CONF_DEMO: True,
                CONF_CONNECTION: DEFAULT_CONNECTION,
                CONF_PRICE_SOURCE: PriceSourceKind.DEMO.value,
            },
            options={CONF_PROFILE: Profile.GRID_AWARE.value},
            subentries=[meter_subentry(), *device_subentries(), s2_subentry()],
        )
