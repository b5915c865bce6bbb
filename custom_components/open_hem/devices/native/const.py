"""Keys and limits of the S2 devices feature."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.util.hass_dict import HassKey

if TYPE_CHECKING:
    from .tokens import DeviceTokens

SUBENTRY_S2_DEVICE: Final = "s2_device"

CONF_NODE_ID: Final = "node_id"
CONF_CONTROL_TYPE: Final = "control_type"
CONF_NEW_TOKEN: Final = "new_token"  # noqa: S105 (a form field, not a secret)
CONTROL_TYPE_AUTOMATIC: Final = "automatic"
# How the RM connects: a URL and a device token, or S2 Connect pairing with a code.
CONF_CONNECT_WITH: Final = "connect_with"
CONNECT_WITH_TOKEN: Final = "token"  # noqa: S105 (an option key, not a secret)
CONNECT_WITH_S2_CONNECT: Final = "s2_connect"
CONNECT_WITH_OPTIONS: Final = (CONNECT_WITH_TOKEN, CONNECT_WITH_S2_CONNECT)

# The S2 control types as option keys: the S2 enum value in lower case (S2 spells
# NOT_CONTROLABLE with one L; the key keeps the spelling so it maps back unchanged).
CONTROL_TYPE_OPTIONS: Final = (
    "fill_rate_based_control",
    "demand_driven_based_control",
    "operation_mode_based_control",
    "power_profile_based_control",
    "power_envelope_based_control",
    "not_controlable",
)

WEBSOCKET_PATH: Final = "/api/open_hem/s2/{node_id}"
# Home Assistant's own websocket_api pings every 55 s; S2 asks for no more than one per 50 s.
HEARTBEAT_S: Final = 55.0
# A session that does not end within this after being asked to is left to the server.
CLOSE_WAIT_S: Final = 5.0

STORAGE_KEY_TOKENS: Final = "open_hem.s2_device_tokens"
STORAGE_VERSION: Final = 1

DATA_S2_TOKENS: HassKey[DeviceTokens] = HassKey("open_hem_s2_tokens")
DATA_S2_VIEW: HassKey[bool] = HassKey("open_hem_s2_view")
