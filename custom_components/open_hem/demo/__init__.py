"""The demo home: a simulated home with no hardware and no internet, on the real code paths.

Chosen in the hub's flow ("Demo home — no hardware"). Setup starts the simulation
(:class:`DemoHome`), the TCP server its P1 meter subentry reads, and (through the platforms)
the entities of its five devices, which the demo's entity-backed subentries control.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from ..data import OpenHemConfigEntry
from ..p1.const import CONF_PORT, SUBENTRY_P1_METER
from .const import CONF_DEMO, DEFAULT_METER_PORT, DEMO_HOST
from .home import DemoHome
from .meter_server import TelegramServer


@dataclass
class DemoRuntime:
    """What the running demo keeps: the home and its meter's server."""

    home: DemoHome
    server: TelegramServer


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
    meter = next(
        (s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_P1_METER), None
    )
    wanted = int(meter.data.get(CONF_PORT, DEFAULT_METER_PORT)) if meter else DEFAULT_METER_PORT
    port = await server.async_start(wanted)
    if meter is not None and port != wanted and meter.data.get("host") == DEMO_HOST:
        # Before the entry's update listener is added: the meter starts on the new port.
        hass.config_entries.async_update_subentry(
            entry, meter, data={**meter.data, CONF_PORT: port}
        )

    @callback
    def _send() -> None:
        server.send(home.sim.to_telegram())

    entry.async_on_unload(home.async_add_listener(_send))
    home.async_start()

    async def _async_stop() -> None:
        await home.async_stop()
        await server.async_stop()

    entry.async_on_unload(_async_stop)
    return DemoRuntime(home, server)
