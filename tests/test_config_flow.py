"""The config flow creates the one hub entry and lets the household change it."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.open_hem.config_flow import OpenHemConfigFlow
from custom_components.open_hem.const import CONF_CONNECTION, DOMAIN


async def test_user_flow_creates_hub_entry(hass: HomeAssistant) -> None:
    """The form offers the public default; submitting it creates the entry."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["household", "demo"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "household"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "household"
    schema_defaults = {
        str(key): key.default() for key in result["data_schema"].schema if key.default
    }
    assert schema_defaults[CONF_CONNECTION] == "3x25"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CONNECTION: "1x35"}
    )
    # The price source comes next (tests/test_config_flow_prices.py covers its choices).
    assert result["step_id"] == "prices"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"price_source": "none"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Open HEM"
    assert result["data"] == {CONF_CONNECTION: "1x35", "price_source": "none"}
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.runtime_data.connection_limit_w == 8050


async def test_second_entry_aborts(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> None:
    """Only one Open HEM hub per Home Assistant."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"


async def test_flow_guard_without_manifest_check(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The flow itself refuses a second entry even when HA's manifest check is bypassed."""
    mock_config_entry.add_to_hass(hass)
    handler = OpenHemConfigFlow()
    handler.hass = hass
    handler.context = {"source": SOURCE_USER}
    result = await handler.async_step_user()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"


async def test_reconfigure_changes_connection(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Reconfigure shows the current value, stores the new one and reloads."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    defaults = {str(key): key.default() for key in result["data_schema"].schema if key.default}
    assert defaults[CONF_CONNECTION] == "3x25"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CONNECTION: "3x35"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_CONNECTION] == "3x35"
    assert mock_config_entry.runtime_data.connection_limit_w == 24150
