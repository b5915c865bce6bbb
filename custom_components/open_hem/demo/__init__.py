"""The demo home: a simulated home with no hardware and no internet, on the real code paths.

Chosen in the hub's flow ("Demo home — no hardware"). Setup starts the simulation
(:class:`DemoHome`), the TCP server its P1 meter subentry reads, the entities of its five
devices (through the platforms; the demo's entity-backed subentries control them) and, once
the entry is up, the native S2 battery's RM, which connects to the S2 endpoint with a token
issued here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from ..data import OpenHemConfigEntry
from ..devices.native.config_flow import websocket_url
from ..devices.native.const import CONF_NODE_ID, SUBENTRY_S2_DEVICE
from ..devices.native.tokens import async_get_tokens, new_device_token
from ..p1.const import CONF_HOST, CONF_PORT, SUBENTRY_P1_METER
from .const import CONF_DEMO, DEFAULT_METER_PORT, DEMO_HOST
from .home import DemoHome
from .meter_server import TelegramServer
from .s2_battery import DemoS2Battery


@dataclass
class DemoRuntime:
    """What the running demo keeps: the home, its meter's server, its S2 battery's RM."""

    home: DemoHome
    server: TelegramServer
    s2: DemoS2Battery | None = None

    @callback
    def async_start_s2(self, entry: OpenHemConfigEntry) -> None:
        """Connect the S2 battery (once the entry, and so the S2 endpoint, is set up).

        Its stop is registered last so it runs first on unload: the RM says goodbye before
        the endpoint closes its sessions."""
        if self.s2 is not None:
            self.s2.async_start()
            entry.async_on_unload(self.s2.async_stop)

    def diagnostics(self) -> dict[str, Any]:
        """The demo section of the diagnostics."""
        s2 = self.s2
        return {
            "home": self.home.diagnostics(),
            "meter_port": self.server.port,
            "meter_clients": self.server.clients,
            "s2_battery": None
            if s2 is None
            else {
                "connected": s2.connected,
                "connects": s2.connects,
                "instructions": s2.control.instructions,
                "soc": round(self.home.s2_battery.soc, 4),
                "power_w": round(self.home.s2_battery.power_w, 1),
            },
        }


def is_demo(entry: OpenHemConfigEntry) -> bool:
    """Whether the entry is the demo home."""
    return bool(entry.data.get(CONF_DEMO))


async def async_setup_demo(hass: HomeAssistant, entry: OpenHemConfigEntry) -> DemoRuntime | None:
    """Start the demo home's simulation and meter (before the meters connect); None otherwise."""
    if not is_demo(entry):
        return None
    home = DemoHome(hass, dt_util.utcnow())
    await home.async_load()
    server = TelegramServer(home.sim.to_telegram())
    await _async_serve_meter(hass, entry, server)
    runtime = DemoRuntime(home, server, await _async_s2_battery(hass, entry, home))

    @callback
    def _after_step() -> None:
        server.send(home.sim.to_telegram())
        if runtime.s2 is not None:
            runtime.s2.async_report()

    entry.async_on_unload(home.async_add_listener(_after_step))
    home.async_start()

    async def _async_stop() -> None:
        await home.async_stop()
        await server.async_stop()

    entry.async_on_unload(_async_stop)
    return runtime


async def _async_serve_meter(
    hass: HomeAssistant, entry: OpenHemConfigEntry, server: TelegramServer
) -> None:
    """Listen on the meter subentry's port, or a free one (then the subentry gets it)."""
    meter = next(
        (s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_P1_METER), None
    )
    wanted = int(meter.data.get(CONF_PORT, DEFAULT_METER_PORT)) if meter else DEFAULT_METER_PORT
    port = await server.async_start(wanted)
    if meter is not None and port != wanted and meter.data.get(CONF_HOST) == DEMO_HOST:
        # Before the entry's update listener is added: the meter starts on the new port.
        hass.config_entries.async_update_subentry(
            entry, meter, data={**meter.data, CONF_PORT: port}
        )


async def _async_s2_battery(
    hass: HomeAssistant, entry: OpenHemConfigEntry, home: DemoHome
) -> DemoS2Battery | None:
    """The S2 battery's RM with a token issued now (None without an S2 subentry).

    Its URL is Home Assistant's internal one, asked for at each connection attempt: without
    one (yet) the attempt fails, is logged and retried."""
    subentry = next(
        (s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_S2_DEVICE), None
    )
    if subentry is None:
        return None
    node_id = subentry.data[CONF_NODE_ID]
    token = new_device_token()
    await (await async_get_tokens(hass)).async_set(node_id, token)
    return DemoS2Battery(
        hass, lambda: websocket_url(hass, node_id), token, home.s2_battery, subentry.title
    )
