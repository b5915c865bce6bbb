"""Plan sensors: on the hub (status, costs, saving, grid limit, base load) and per device
(planned power now, next action; a battery's and an EV's planned SOC). Added by the top-level
sensor.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from ..data import OpenHemConfigEntry
from ..devices.hub import DeviceKind
from .const import PlanStatus
from .entity import PlanDeviceEntity, PlanHubEntity, add_device_entities
from .loop import PlanningLoop
from .wishes import next_occurrence

EUR = "EUR"


@dataclass(frozen=True, kw_only=True)
class PlanSensorDescription(SensorEntityDescription):
    """A hub sensor read from the loop at a moment."""

    value_fn: Callable[[PlanningLoop, datetime], StateType | datetime]


def _day_cost(days: int) -> Callable[[PlanningLoop, datetime], float | None]:
    def value(loop: PlanningLoop, now: datetime) -> float | None:
        if loop.snapshot is None:
            return None
        local = dt_util.as_local(now)
        start = dt_util.start_of_local_day(local.date() + timedelta(days=days))
        end = dt_util.start_of_local_day(local.date() + timedelta(days=days + 1))
        # Today: what is still planned (the plan starts at the quarter hour in progress).
        return loop.snapshot.cost_between(start, end)

    return value


def _money(
    key: str, value_fn: Callable[[PlanningLoop, datetime], StateType | datetime]
) -> PlanSensorDescription:
    """An amount in EUR the plan expects."""
    return PlanSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement=EUR,
        suggested_display_precision=2,
        value_fn=value_fn,
    )


def _base_load(loop: PlanningLoop, now: datetime) -> float | None:
    snap = loop.snapshot
    i = None if snap is None else snap.index(now)
    return None if snap is None or i is None else round(snap.base_load_w[i])


HUB_SENSORS: tuple[PlanSensorDescription, ...] = (
    PlanSensorDescription(
        key="plan_status",
        translation_key="plan_status",
        device_class=SensorDeviceClass.ENUM,
        options=[s.value for s in PlanStatus],
        value_fn=lambda loop, now: None if loop.snapshot is None else loop.snapshot.status.value,
    ),
    _money("expected_cost_today", _day_cost(0)),
    _money("expected_cost_tomorrow", _day_cost(1)),
    _money(
        "expected_saving",
        lambda loop, now: None if loop.snapshot is None else round(loop.snapshot.saving_eur, 4),
    ),
    PlanSensorDescription(
        key="grid_limit",
        translation_key="grid_limit",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=lambda loop, now: round(loop.grid_limit_now(now)),
    ),
    PlanSensorDescription(
        key="base_load_forecast",
        translation_key="base_load_forecast",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=_base_load,
    ),
)

PLANNED_POWER = SensorEntityDescription(
    key="planned_power",
    translation_key="planned_power",
    device_class=SensorDeviceClass.POWER,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=UnitOfPower.WATT,
    suggested_display_precision=0,
)
NEXT_ACTION = SensorEntityDescription(
    key="next_action",
    translation_key="next_action",
    device_class=SensorDeviceClass.TIMESTAMP,
)
PLANNED_SOC = SensorEntityDescription(
    key="planned_soc",
    translation_key="planned_soc",
    device_class=SensorDeviceClass.BATTERY,
    native_unit_of_measurement=PERCENTAGE,
    suggested_display_precision=0,
)
SOC_KINDS = (DeviceKind.BATTERY, DeviceKind.EV_CHARGER)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The hub's plan sensors, and two per device as devices join."""
    async_add_entities(PlanHubSensor(entry, d) for d in HUB_SENSORS)
    add_device_entities(
        entry,
        async_add_entities,
        lambda device: [
            PlannedPowerSensor(entry, device, PLANNED_POWER),
            NextActionSensor(entry, device, NEXT_ACTION),
            *([PlannedSocSensor(entry, device, PLANNED_SOC)] if device.kind in SOC_KINDS else []),
        ],
    )


class PlanHubSensor(PlanHubEntity, SensorEntity):
    """A hub sensor of the plan."""

    entity_description: PlanSensorDescription

    @property
    def native_value(self) -> StateType | datetime:
        return self.entity_description.value_fn(self.loop, dt_util.utcnow())

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        snap = self.loop.snapshot
        if self.entity_description.key != "plan_status" or snap is None:
            return None
        return {"reason": snap.reason, "created": snap.created.isoformat()}


class PlannedPowerSensor(PlanDeviceEntity, SensorEntity):
    """The device's planned power in the slot in progress (W, + drawn from the grid side)."""

    @property
    def native_value(self) -> float | None:
        snap = self.loop.snapshot
        power = None if snap is None else snap.power_at(self.subentry_id, dt_util.utcnow())
        return None if power is None else round(power, 1)


class NextActionSensor(PlanDeviceEntity, SensorEntity):
    """When the device's planned power next changes; the power then as an attribute."""

    @property
    def _next(self) -> tuple[datetime, float] | None:
        snap = self.loop.snapshot
        return None if snap is None else snap.next_change(self.subentry_id, dt_util.utcnow())

    @property
    def native_value(self) -> datetime | None:
        found = self._next
        return None if found is None else found[0]

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        found = self._next
        return {"power_w": None if found is None else round(found[1], 1)}


class PlannedSocSensor(PlanDeviceEntity, SensorEntity):
    """The SOC the plan expects at the end of the slot in progress (unknown while the plan
    has none, e.g. an EV without its SOC entity); an EV's at its ready-by time too."""

    def _soc_at(self, moment: datetime) -> float | None:
        snap = self.loop.snapshot
        series = None if snap is None else snap.devices.get(self.subentry_id)
        if snap is None or series is None or series.state_key != "soc_pct":
            return None
        i = snap.index(moment)
        return None if i is None or series.display is None else round(series.display[i], 1)

    @property
    def native_value(self) -> float | None:
        return self._soc_at(dt_util.utcnow())

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        device = self.device
        if device is None or device.kind is not DeviceKind.EV_CHARGER:
            return None
        now = dt_util.utcnow()
        ready = next_occurrence(
            self.loop.wish(self.subentry_id).ready_by, now, dt_util.get_default_time_zone()
        )
        # The SOC at the end of the slot that ends at the ready-by time.
        return {"at_ready_by": self._soc_at(ready - timedelta(seconds=1))}
