"""Sensors of the P1 meters: one meter device per subentry, gas and water devices via the meter.

Entities appear when the meter first reports their value (a meter without gas gets no gas
entity; a Belgian meter gets the capacity-tariff entities), so no template is ever needed for the
Energy dashboard: grid consumption = Energy import, return = Energy export, gas = Gas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import (
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfVolume,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from ..const import DOMAIN
from ..core.p1 import TARIFFS, meter_identity
from ..data import OpenHemConfigEntry
from ..entity import OpenHemEntity
from .const import TOTAL_ENTITY_KEYS
from .coordinator import P1Coordinator

DEVICE_METER = "meter"
DEVICE_GAS = "gas"
DEVICE_WATER = "water"


@dataclass(frozen=True, kw_only=True)
class P1SensorDescription(SensorEntityDescription):
    """A P1 sensor: what it shows (``value_fn``; None: not reported) and on which device."""

    value_fn: Callable[[P1Coordinator], StateType | datetime]
    device: str = DEVICE_METER
    placeholders: dict[str, str] | None = None
    # The reading field with the time the meter captured the value (gas, water, peak).
    capture_time: str | None = None


def _reading(field: str) -> Callable[[P1Coordinator], StateType | datetime]:
    """The latest reading's value (totals already guarded by the coordinator)."""

    def value(coordinator: P1Coordinator) -> StateType | datetime:
        reading = coordinator.reading
        result: StateType | datetime = getattr(reading, field) if reading is not None else None
        return result

    return value


def _averaged(field: str) -> Callable[[P1Coordinator], StateType | datetime]:
    """Power averaged over the update interval."""
    return lambda coordinator: coordinator.power.get(field)


def _energy(key: str, field: str, tariff: str | None = None) -> P1SensorDescription:
    return P1SensorDescription(
        key=key,
        value_fn=_reading(field),
        translation_key="energy_import_tariff"
        if tariff and "import" in key
        else ("energy_export_tariff" if tariff else key),
        placeholders={"tariff": tariff} if tariff else None,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
    )


def _phase(kind: str, phase: str) -> P1SensorDescription:
    units: dict[str, tuple[SensorDeviceClass, str, str]] = {
        "power": (SensorDeviceClass.POWER, UnitOfPower.WATT, f"power_l{phase}_w"),
        "voltage": (SensorDeviceClass.VOLTAGE, UnitOfElectricPotential.VOLT, f"voltage_l{phase}_v"),
        "current": (SensorDeviceClass.CURRENT, UnitOfElectricCurrent.AMPERE, f"current_l{phase}_a"),
    }
    device_class, unit, field = units[kind]
    return P1SensorDescription(
        key=f"{kind}_l{phase}",
        value_fn=_averaged(field) if kind == "power" else _reading(field),
        translation_key=f"{kind}_phase",
        placeholders={"phase": phase},
        device_class=device_class,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=unit,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    )


def _counter(key: str, field: str, phase: str | None = None) -> P1SensorDescription:
    return P1SensorDescription(
        key=f"{key}_l{phase}" if phase else key,
        value_fn=_reading(field),
        translation_key=key,
        placeholders={"phase": phase} if phase else None,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    )


def _power(key: str, field: str, **kwargs: Any) -> P1SensorDescription:
    averaged = field in ("power_net_w", "power_import_w", "power_export_w")
    return P1SensorDescription(
        key=key,
        value_fn=_averaged(field) if averaged else _reading(field),
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        **kwargs,
    )


SENSORS: tuple[P1SensorDescription, ...] = (
    _energy("energy_import", TOTAL_ENTITY_KEYS["energy_import"]),
    _energy("energy_export", TOTAL_ENTITY_KEYS["energy_export"]),
    _energy("energy_import_tariff_1", TOTAL_ENTITY_KEYS["energy_import_tariff_1"], "1"),
    _energy("energy_import_tariff_2", TOTAL_ENTITY_KEYS["energy_import_tariff_2"], "2"),
    _energy("energy_export_tariff_1", TOTAL_ENTITY_KEYS["energy_export_tariff_1"], "1"),
    _energy("energy_export_tariff_2", TOTAL_ENTITY_KEYS["energy_export_tariff_2"], "2"),
    _power("power", "power_net_w"),
    _power("power_import", "power_import_w"),
    _power("power_export", "power_export_w"),
    P1SensorDescription(
        key="tariff",
        value_fn=_reading("tariff"),
        translation_key="tariff",
        device_class=SensorDeviceClass.ENUM,
        options=list(TARIFFS),
    ),
    *(_phase(kind, phase) for kind in ("power", "voltage", "current") for phase in "123"),
    _counter("power_failures", "power_failures"),
    _counter("long_power_failures", "long_power_failures"),
    *(_counter("voltage_sags", f"voltage_sags_l{phase}", phase) for phase in "123"),
    *(_counter("voltage_swells", f"voltage_swells_l{phase}", phase) for phase in "123"),
    _power("average_demand", "average_demand_w"),
    _power("month_peak", "month_peak_w", capture_time="month_peak_time"),
    # Gas and water are their meter's main value: the entity is named by its device alone
    # ("Gas meter"), as core's homewizard names external meters.
    P1SensorDescription(
        key="gas",
        value_fn=_reading(TOTAL_ENTITY_KEYS["gas"]),
        capture_time="gas_time",
        translation_key="gas",
        name=None,
        device=DEVICE_GAS,
        device_class=SensorDeviceClass.GAS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        suggested_display_precision=3,
    ),
    P1SensorDescription(
        key="water",
        value_fn=_reading(TOTAL_ENTITY_KEYS["water"]),
        capture_time="water_time",
        translation_key="water",
        name=None,
        device=DEVICE_WATER,
        device_class=SensorDeviceClass.WATER,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        suggested_display_precision=3,
    ),
)

# Always there, whatever the meter sends: what went wrong on the way in.
DIAGNOSTICS: tuple[P1SensorDescription, ...] = (
    P1SensorDescription(
        key="telegram_errors",
        translation_key="telegram_errors",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda coordinator: coordinator.errors,
    ),
    P1SensorDescription(
        key="rejected_totals",
        translation_key="rejected_totals",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda coordinator: coordinator.guard.dropped,
    ),
)


def _device_info(
    coordinator: P1Coordinator,
    subentry: ConfigSubentry,
    device: str,
    meter_device_id: str | None = None,
) -> DeviceInfo:
    """The meter's device (named by translation, as core's dsmr does), or its gas/water meter.

    Manufacturer and model come from the meter's identification line (its FLAG id and type)
    or HomeWizard's ``meter_model``; the serial number is the equipment id as text.
    """
    meter_identifier = (DOMAIN, subentry.subentry_id)
    if device == DEVICE_METER:
        reading = coordinator.reading
        identity = meter_identity(
            reading.model if reading else None, reading.meter_id if reading else None
        )
        return DeviceInfo(
            identifiers={meter_identifier},
            translation_key="electricity_meter",
            manufacturer=identity.manufacturer,
            model=identity.model or "P1 smart meter",
            serial_number=identity.serial_number,
        )
    info = DeviceInfo(
        identifiers={(DOMAIN, f"{subentry.subentry_id}_{device}")},
        translation_key=f"{device}_meter",
        model="M-Bus meter",
    )
    if meter_device_id is not None:
        info["via_device_id"] = meter_device_id
    return info


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each meter's sensors, and more as soon as the meter first reports them."""
    for subentry_id, coordinator in entry.runtime_data.meters.items():
        subentry = entry.subentries[subentry_id]
        added: set[str] = set()

        @callback
        def add_new(
            coordinator: P1Coordinator = coordinator,
            subentry: ConfigSubentry = subentry,
            added: set[str] = added,
        ) -> None:
            wanted = [
                description
                for description in (*DIAGNOSTICS, *SENSORS)
                if description.key not in added and description.value_fn(coordinator) is not None
            ]
            meter_device_id: str | None = None
            if any(description.device != DEVICE_METER for description in wanted):
                # Gas and water meters hang off the P1 meter: register it first for its id.
                meter_device_id = (
                    dr.async_get(hass)
                    .async_get_or_create(
                        config_entry_id=entry.entry_id,
                        config_subentry_id=subentry.subentry_id,
                        **_device_info(coordinator, subentry, DEVICE_METER),
                    )
                    .id
                )
            new = [
                P1Sensor(coordinator, subentry, description, meter_device_id)
                for description in wanted
            ]
            if new:
                added.update(entity.entity_description.key for entity in new)
                async_add_entities(new, config_subentry_id=subentry.subentry_id)

        add_new()
        entry.async_on_unload(coordinator.async_add_listener(add_new))


class P1Sensor(OpenHemEntity, RestoreSensor):
    """One value of a P1 meter, written once per update interval.

    A RestoreSensor only so that Home Assistant keeps its last state: the coordinator seeds its
    totals guard from those states before the first reading (the entity never writes back).
    """

    entity_description: P1SensorDescription

    def __init__(
        self,
        coordinator: P1Coordinator,
        subentry: ConfigSubentry,
        description: P1SensorDescription,
        meter_device_id: str | None = None,
    ) -> None:
        """Attach to the meter's (or its gas/water meter's) device."""
        super().__init__(
            subentry.subentry_id,
            description,
            _device_info(coordinator, subentry, description.device, meter_device_id),
            description.placeholders,
        )
        self.coordinator = coordinator
        self._update_from_coordinator()

    async def async_added_to_hass(self) -> None:
        """Listen to the meter."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_listener(self._handle_update))

    @property
    def available(self) -> bool:
        """Unavailable while the meter is not sending."""
        return self.coordinator.connected

    def _update_from_coordinator(self) -> None:
        description = self.entity_description
        self._attr_native_value = description.value_fn(self.coordinator)
        if description.capture_time and (reading := self.coordinator.reading):
            captured = getattr(reading, description.capture_time)
            self._attr_extra_state_attributes = (
                {"capture_time": captured.isoformat()} if captured else {}
            )

    @callback
    def _handle_update(self) -> None:
        self._update_from_coordinator()
        self.async_write_ha_state()
