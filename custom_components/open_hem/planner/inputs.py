"""What the loop reads from the other features, each in one small function.

- :func:`live_net_power_w`: the P1 meters' live net power (the one place that knows how
  meters are kept; the P1 feature is being restructured, so only this function changes).
- :func:`meter_energy_entities`: the meters' import/export energy entities (their statistics
  feed the base-load forecast).
- :func:`known_prices`: the priced series as per-slot import/export prices from a start.
- :func:`device_power_w`: a device's measured electric power from its S2 session.
- :class:`GridLimit` windows (``open_hem.set_grid_limit``) as the planner's per-slot limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import math
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..core.prices import PricedSeries
from ..core.s2.units import ELECTRIC_QUANTITIES
from ..data import OpenHemConfigEntry
from ..devices.hub import ControlledDevice
from .const import MAX_HORIZON, MIN_SLOTS, SLOT


def live_net_power_w(entry: OpenHemConfigEntry) -> float | None:
    """Net power at the grid connection now (W, import positive), or None without a meter."""
    values = [
        meter.power["power_net_w"]
        for meter in entry.runtime_data.meters.values()
        if "power_net_w" in meter.power
    ]
    return float(sum(values)) if values else None


def meter_energy_entities(
    hass: HomeAssistant, entry: OpenHemConfigEntry
) -> tuple[list[str], list[str]]:
    """The entity ids of the meters' total import and export energy sensors."""
    registry = er.async_get(hass)
    imports: list[str] = []
    exports: list[str] = []
    for subentry_id in entry.runtime_data.meters:
        for key, found in (("energy_import", imports), ("energy_export", exports)):
            entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{subentry_id}_{key}")
            if entity_id is not None:
                found.append(entity_id)
    return imports, exports


def device_power_w(device: ControlledDevice) -> float | None:
    """The device's last measured electric power (W, consumption positive), if any."""
    values = [
        m.value_w for key, m in device.session.measurements.items() if key in ELECTRIC_QUANTITIES
    ]
    return float(sum(values)) if values else None


def slot_floor(moment: datetime) -> datetime:
    """The start of the quarter hour holding ``moment`` (UTC)."""
    moment = dt_util.as_utc(moment)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def known_prices(
    series: PricedSeries | None, start: datetime
) -> tuple[list[float], list[float]] | None:
    """Import and export prices from ``start``'s slot to the end of the known prices (48 h at
    most), or None when less than an hour is known."""
    if series is None:
        return None
    # One pass over the priced slots (keyed by their UTC start), on the event loop.
    imports: list[float] = []
    exports: list[float] = []
    moment = slot_floor(start)
    for _ in range(int(MAX_HORIZON / SLOT)):
        if (slot := series.slots.get(moment)) is None:
            break
        imports.append(slot.price)
        exports.append(slot.export)
        moment += SLOT
    if len(imports) < MIN_SLOTS:
        return None
    return imports, exports


@dataclass(frozen=True)
class GridLimit:
    """A grid limit in force from ``start`` to ``end`` (W; None: that direction is free)."""

    start: datetime
    end: datetime
    import_w: float | None = None
    export_w: float | None = None
    source: str = "action"

    def to_store(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "import_w": self.import_w,
            "export_w": self.export_w,
            "source": self.source,
        }

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> GridLimit | None:
        try:
            return cls(
                datetime.fromisoformat(data["start"]),
                datetime.fromisoformat(data["end"]),
                data.get("import_w"),
                data.get("export_w"),
                data.get("source", "action"),
            )
        except KeyError, TypeError, ValueError:
            return None


def limit_arrays(
    limits: list[GridLimit], slot_start: list[datetime], fuse_w: float
) -> tuple[list[float] | None, list[float] | None]:
    """Per-slot import and export limits (the tightest window overlapping a slot), or None
    where no window touches any slot."""
    imp = [math.inf] * len(slot_start)
    exp = [math.inf] * len(slot_start)
    any_imp = any_exp = False
    for i, start in enumerate(slot_start):
        end = start + SLOT
        for lim in limits:
            if lim.start < end and lim.end > start:
                if lim.import_w is not None:
                    imp[i] = min(imp[i], lim.import_w)
                    any_imp = True
                if lim.export_w is not None:
                    exp[i] = min(exp[i], lim.export_w)
                    any_exp = True
    clip = [min(v, fuse_w) for v in imp], [min(v, fuse_w) for v in exp]
    return (clip[0] if any_imp else None), (clip[1] if any_exp else None)


def limit_now(limits: list[GridLimit], now: datetime, fuse_w: float) -> float:
    """The import limit in force at ``now`` (W)."""
    found = [
        lim.import_w for lim in limits if lim.start <= now < lim.end and lim.import_w is not None
    ]
    return min([fuse_w, *found])


def prune(limits: list[GridLimit], now: datetime) -> list[GridLimit]:
    """The windows that have not ended yet."""
    return [lim for lim in limits if lim.end > now - timedelta(seconds=1)]
