"""Runtime data Open HEM keeps on its config entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .const import CONF_CONNECTION, DEFAULT_CONNECTION, connection_limit_w
from .devices.hub import DeviceHub

if TYPE_CHECKING:
    from .demo import DemoRuntime
    from .devices.native.manager import S2Devices
    from .p1.coordinator import P1Coordinator
    from .planner.loop import PlanningLoop
    from .prices.coordinator import PriceCoordinator


@dataclass(kw_only=True)
class OpenHemData:
    """What the running integration shares between its platforms and services."""

    connection: str
    # Day-ahead prices; None when the household chose no price source.
    prices: PriceCoordinator | None = None
    # One per P1 meter subentry, by subentry id.
    meters: dict[str, P1Coordinator] = field(default_factory=dict)
    # The controllable devices, native S2 or entity-backed (what the planning loop reads).
    devices: DeviceHub = field(default_factory=DeviceHub)
    # The planning loop (set up after prices and meters; None only during setup).
    planner: PlanningLoop | None = None
    # The native S2 devices (resource managers over WebSocket) and their sessions.
    s2: S2Devices | None = None
    # The demo home's simulation and meter server; None for a real home.
    demo: DemoRuntime | None = None

    @property
    def connection_limit_w(self) -> int:
        """The household's grid connection limit in W (the planner's hard grid bound)."""
        return connection_limit_w(self.connection)

    @classmethod
    def from_entry(cls, entry: ConfigEntry) -> OpenHemData:
        """Build the runtime data from the entry's settings."""
        return cls(connection=entry.data.get(CONF_CONNECTION, DEFAULT_CONNECTION))


type OpenHemConfigEntry = ConfigEntry[OpenHemData]
