"""RMs that announce themselves (DNS-SD ``_rm._sub._s2connect._tcp``) are offered for pairing.

Open HEM allows one config entry, and Home Assistant aborts a discovery config flow of such an
integration once its entry exists, so a manifest ``zeroconf`` match could never reach the
user. Instead Open HEM browses for RMs with Home Assistant's own zeroconf instance (when
zeroconf is loaded) and raises a fixable repair issue per RM ("Discovered: <name> — pair?");
its fix flow (``repair_flow``) leads into the same pairing page as the S2 device flow. An RM
that has been paired from it, or that disappears from the network, is no longer offered.
"""

from __future__ import annotations

from collections.abc import Callable
import hashlib
import logging
from typing import Any

from homeassistant.components import zeroconf
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from zeroconf import ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo

from ....const import DOMAIN
from .advertise import SERVICE_TYPE

_LOGGER = logging.getLogger(__name__)

RM_SUBTYPE = "_rm._sub." + SERVICE_TYPE
ISSUE_PREFIX = "s2_rm_discovered_"
CONF_DNS_SD_NAME = "dns_sd_name"
RESOLVE_MS = 3000


def issue_id(instance: str) -> str:
    """The repair issue of one announced RM (DNS-SD instance name)."""
    return ISSUE_PREFIX + hashlib.sha256(instance.encode()).hexdigest()[:16]


def handles(issue: str) -> bool:
    """Whether ``issue`` is a discovered RM."""
    return issue.startswith(ISSUE_PREFIX)


class RmDiscovery:
    """Announced RMs -> repair issues, minus those already paired."""

    def __init__(self, hass: HomeAssistant, known: Callable[[], set[str]]) -> None:
        """``known()``: the DNS-SD instance names of the devices paired from a discovery."""
        self.hass = hass
        self._known = known
        self._browser: AsyncServiceBrowser | None = None
        self.offered: set[str] = set()

    async def async_start(self) -> None:
        """Browse for RMs when zeroconf is loaded (else RMs are paired from the device flow)."""
        if "zeroconf" not in self.hass.config.components:
            return
        try:
            instance = await zeroconf.async_get_async_instance(self.hass)
            self._browser = AsyncServiceBrowser(
                instance.zeroconf, [RM_SUBTYPE], handlers=[self._on_change]
            )
        except Exception as err:  # discovery is a convenience, never a blocker
            _LOGGER.warning("S2 Connect cannot look for S2 devices in the network: %r", err)

    async def async_stop(self) -> None:
        """Stop browsing; offers of RMs not seen any more are withdrawn."""
        if self._browser is not None:
            browser, self._browser = self._browser, None
            await browser.async_cancel()

    def _on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if state_change is ServiceStateChange.Removed:
            self.hass.loop.call_soon_threadsafe(self.async_rm_gone, name)
            return
        self.hass.loop.call_soon_threadsafe(
            lambda: self.hass.async_create_task(
                self._async_resolve(zeroconf, service_type, name), "open_hem S2 RM resolve"
            )
        )

    async def _async_resolve(self, zc: Zeroconf, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        if await info.async_request(zc, RESOLVE_MS):
            self.async_rm_found(name, info.decoded_properties)

    @callback
    def async_rm_found(self, instance: str, properties: dict[str, Any]) -> None:
        """Offer the RM ``instance`` (its TXT ``properties``) unless it is paired already."""
        url = properties.get("pairingUrl")
        if not url or instance in self._known():
            return
        label = instance.removesuffix("." + SERVICE_TYPE)
        name = str(properties.get("e_name") or label)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(instance),
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="s2_rm_discovered",
            translation_placeholders={"name": name, "url": str(url)},
            data={"instance": instance, "name": name},
        )
        self.offered.add(instance)
        _LOGGER.debug("S2 Connect: discovered the RM %s at %s", name, url)

    @callback
    def async_rm_gone(self, instance: str) -> None:
        """The RM left the network: no longer offered."""
        if instance in self.offered:
            self.offered.discard(instance)
            ir.async_delete_issue(self.hass, DOMAIN, issue_id(instance))

    @callback
    def async_withdraw_all(self) -> None:
        """Open HEM unloads: no offers it could not carry out."""
        for instance in list(self.offered):
            self.async_rm_gone(instance)
