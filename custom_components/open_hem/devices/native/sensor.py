"""Sensors of S2 devices: connection state, power, fill level, operation mode, instructions,
and whether the planning loop plans the device (or why it plans around it).

Power keeps S2's sign (consumption positive, production negative), in W with state class
``measurement``, so it can be a device's power in the Energy dashboard (for a battery, whose
HA convention is discharge positive, choose the inverted option there). Per-phase power and
the fill level appear when the RM first reports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfPower, UnitOfTemperature
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from ...data import OpenHemConfigEntry
from . import readings
from .entity import S2DeviceEntity
from .manager import CONNECTION_STATES, S2Device
from .planning import PLANNING_STATES, planning_status

INSTRUCTION_STATUSES = (
    "sent",
    "received",
    "not_received",
    "revoke_sent",
    "new",
    "accepted",
    "rejected",
    "revoked",
    "started",
    "succeeded",
    "aborted",
)


@dataclass(frozen=True, kw_only=True)
class S2SensorDescription(SensorEntityDescription):
    """An S2 device sensor: its value, when it exists, and its attributes."""

    value_fn: Callable[[S2Device], StateType]
    exists_fn: Callable[[S2Device], bool] = lambda _device: True
    attributes_fn: Callable[[S2Device], dict[str, Any]] | None = None
    always_available: bool = False
    placeholders: dict[str, str] | None = None


def _phase(phase: str) -> S2SensorDescription:
    return S2SensorDescription(
        key=f"power_l{phase}",
        translation_key="s2_power_phase",
        placeholders={"phase": phase},
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda device: readings.phase_power(device.session, phase),
        exists_fn=lambda device: phase in readings.phases_reported(device.session),
    )


SENSORS: tuple[S2SensorDescription, ...] = (
    S2SensorDescription(
        key="connection_state",
        translation_key="s2_connection_state",
        device_class=SensorDeviceClass.ENUM,
        options=list(CONNECTION_STATES),
        always_available=True,
        value_fn=lambda device: device.state,
    ),
    S2SensorDescription(
        key="power",
        translation_key="s2_power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda device: readings.total_power(device.session),
    ),
    *(_phase(phase) for phase in readings.PHASES),
    S2SensorDescription(
        key="fill_level",
        translation_key="s2_fill_level",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda device: readings.fill_level(device.session),
        exists_fn=lambda device: readings.frbc(device.session) is not None,
    ),
    S2SensorDescription(
        key="operation_mode",
        translation_key="s2_operation_mode",
        value_fn=lambda device: readings.operation_mode(device.session),
        attributes_fn=lambda device: {"actuators": readings.operation_modes(device.session)},
    ),
    S2SensorDescription(
        key="instruction_status",
        translation_key="s2_instruction_status",
        device_class=SensorDeviceClass.ENUM,
        options=list(INSTRUCTION_STATUSES),
        value_fn=lambda device: readings.last_instruction_status(device.session),
    ),
    S2SensorDescription(
        key="planning",
        translation_key="s2_planning",
        device_class=SensorDeviceClass.ENUM,
        options=list(PLANNING_STATES),
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda device: planning_status(device.session),
    ),
)

# The FRBC fill level's unit as the RM labels it -> Home Assistant's unit and device class.
_FILL_UNITS: dict[str, tuple[str, SensorDeviceClass | None]] = {
    "%": (PERCENTAGE, None),
    "percent": (PERCENTAGE, None),
    "°c": (UnitOfTemperature.CELSIUS, SensorDeviceClass.TEMPERATURE),
    "c": (UnitOfTemperature.CELSIUS, SensorDeviceClass.TEMPERATURE),
    "degc": (UnitOfTemperature.CELSIUS, SensorDeviceClass.TEMPERATURE),
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Each S2 device's sensors, more as the RM reports them, and those of devices added later."""
    devices = entry.runtime_data.s2
    if devices is None:
        return

    @callback
    def setup_device(device: S2Device) -> None:
        added: set[str] = set()

        @callback
        def add_new() -> None:
            if device.removed:
                return
            new = [
                S2Sensor(device, description)
                for description in SENSORS
                if description.key not in added and description.exists_fn(device)
            ]
            if new:
                added.update(entity.entity_description.key for entity in new)
                async_add_entities(new, config_subentry_id=device.subentry_id)

        add_new()
        entry.async_on_unload(device.async_add_listener(add_new))

    for device in devices.devices.values():
        setup_device(device)
    entry.async_on_unload(devices.async_on_device_added(setup_device))


class S2Sensor(S2DeviceEntity, SensorEntity):
    """One value of an S2 device."""

    entity_description: S2SensorDescription

    def __init__(self, device: S2Device, description: S2SensorDescription) -> None:
        """Read the first value at once."""
        if description.placeholders:
            self._attr_translation_placeholders = description.placeholders
        super().__init__(device, description)

    @property
    def available(self) -> bool:
        """The connection state is always known; the rest only while connected."""
        return self.entity_description.always_available or super().available

    def _refresh(self) -> None:
        description = self.entity_description
        self._attr_native_value = description.value_fn(self.device)
        if description.attributes_fn is not None:
            self._attr_extra_state_attributes = description.attributes_fn(self.device)
        if description.key == "fill_level":
            label = readings.fill_level_label(self.device.session)
            if label is not None:
                unit, device_class = _FILL_UNITS.get(label.strip().lower(), (label, None))
                self._attr_native_unit_of_measurement = unit
                self._attr_device_class = device_class
