"""DNS-SD: announce the S2 Connect listener as ``_s2connect._tcp`` with the subtype ``_cem``.

Through Home Assistant's own zeroconf instance, only when the zeroconf integration is loaded
(an after-dependency: without it Open HEM simply is not announced and RMs take the pairing URL
by hand). TXT as S2 Connect has it: ``txtver=1``, ``e_name`` (what an RM shows its user) and
``pairingUrl``. RMs browse ``_cem._sub._s2connect._tcp.local.`` for a CEM.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import logging
import socket

from homeassistant.components import zeroconf
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import network
from zeroconf import Error as ZeroconfError
from zeroconf.asyncio import AsyncServiceInfo

_LOGGER = logging.getLogger(__name__)

SERVICE_TYPE = "_s2connect._tcp.local."
CEM_SUBTYPE = "_cem._sub." + SERVICE_TYPE


def service_info(name: str, host: str, port: int, pairing_url: str) -> AsyncServiceInfo:
    """Our record: the instance ``name`` under the ``_cem`` subtype."""
    addresses = []
    if network.is_ip_address(host):
        addresses = [socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)]
    label = name.replace(".", " ")[:63]
    return AsyncServiceInfo(
        CEM_SUBTYPE,
        f"{label}.{SERVICE_TYPE}",
        port=port,
        properties={"txtver": "1", "e_name": name[:100], "pairingUrl": pairing_url},
        server=None if addresses else f"{host.removesuffix('.')}.",
        addresses=addresses or None,
    )


async def async_advertise(
    hass: HomeAssistant, name: str, host: str, port: int, pairing_url: str
) -> Callable[[], Awaitable[None]] | None:
    """Announce us; returns the coroutine function that withdraws it (None: not announced)."""
    if "zeroconf" not in hass.config.components:
        return None
    try:
        instance = await zeroconf.async_get_async_instance(hass)
        info = service_info(name, host, port, pairing_url)
        await instance.async_register_service(info, allow_name_change=True)
    except (ZeroconfError, NoURLAvailableError, OSError, ValueError) as err:
        _LOGGER.warning("S2 Connect could not be announced on the network: %s", err)
        return None

    async def withdraw() -> None:
        try:
            await instance.async_unregister_service(info)
        except (ZeroconfError, OSError, KeyError) as err:
            _LOGGER.debug("S2 Connect announcement not withdrawn: %s", err)

    return withdraw
