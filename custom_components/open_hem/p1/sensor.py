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
    SensorEntity,
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
from ..core.p1.readings import POWER_FIELDS, TARIFFS, TOTAL_FIELDS, MeterReading
from ..data import OpenHemConfigEntry
from .const import SOURCE_HOMEWIZARD
from .coordinator import P1Coordinator

DEVICE_METER = "meter"
DEVICE_GAS = "gas"
DEVICE_WATER = "water"


@dataclass(frozen=True, kw_only=True)
class P1SensorDescription(SensorEntityDescription):
    """A P1 sensor: which reading field it shows and on which device."""

    field: str = ""
    device: str = DEVICE_METER
    placeholders: dict[str, str] | None = None
    value_fn: Callable[[P1Coordinator], StateType | datetime] | None = None


def _energy(key: str, field: str, tariff: str | None = None) -> P1SensorDescription:
    return P1SensorDescription(
        key=key,
        field=field,
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
        field=field,
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
        field=field,
        translation_key=key,
        placeholders={"phase": phase} if phase else None,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    )


def _power(key: str, field: str, **kwargs: Any) -> P1SensorDescription:
    return P1SensorDescription(
        key=key,
        field=field,
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        **kwargs,
    )


SENSORS: tuple[P1SensorDescription, ...] = (
    _energy("energy_import", "import_total_kwh"),
    _energy("energy_export", "export_total_kwh"),
    _energy("energy_import_tariff_1", "import_t1_kwh", "1"),
    _energy("energy_import_tariff_2", "import_t2_kwh", "2"),
    _energy("energy_export_tariff_1", "export_t1_kwh", "1"),
    _energy("energy_export_tariff_2", "export_t2_kwh", "2"),
    _power("power", "power_net_w"),
    _power("power_import", "power_import_w"),
    _power("power_export", "power_export_w"),
    P1SensorDescription(
        key="tariff",
        field="tariff",
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
    _power("month_peak", "month_peak_w"),
    P1SensorDescription(
        key="gas",
        field="gas_m3",
        translation_key="gas",
        device=DEVICE_GAS,
        device_class=SensorDeviceClass.GAS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        suggested_display_precision=3,
    ),
    P1SensorDescription(
        key="water",
        field="water_m3",
        translation_key="water",
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

# The capture time the meter stamped on an M-Bus value, as an attribute of that value.
_CAPTURE_TIME = {"gas_m3": "gas_time", "water_m3": "water_time", "month_peak_w": "month_peak_time"}


def _value(coordinator: P1Coordinator, description: P1SensorDescription) -> Any:
    if description.value_fn is not None:
        return description.value_fn(coordinator)
    if description.field in POWER_FIELDS:
        return coordinator.power.get(description.field)
    if coordinator.reading is None:
        return None
    value = getattr(coordinator.reading, description.field)
    if description.field in TOTAL_FIELDS and value is not None:
        # Never below what was already shown (e.g. the state restored after a restart).
        highest = coordinator.guard.highest(description.field)
        if highest is not None and value < highest:
            return highest
    return value


def _device_info(
    coordinator: P1Coordinator,
    subentry: ConfigSubentry,
    device: str,
    meter_device_id: str | None = None,
) -> DeviceInfo:
    reading: MeterReading | None = coordinator.reading
    meter_identifier = (DOMAIN, subentry.subentry_id)
    if device == DEVICE_METER:
        return DeviceInfo(
            identifiers={meter_identifier},
            name=subentry.title,
            manufacturer="HomeWizard" if coordinator.source == SOURCE_HOMEWIZARD else None,
            model=(reading.model if reading else None) or "P1 smart meter",
            serial_number=reading.meter_id if reading else None,
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
                if description.key not in added and _value(coordinator, description) is not None
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


class P1Sensor(RestoreSensor, SensorEntity):
    """One value of a P1 meter, written once per update interval."""

    entity_description: P1SensorDescription
    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        coordinator: P1Coordinator,
        subentry: ConfigSubentry,
        description: P1SensorDescription,
        meter_device_id: str | None = None,
    ) -> None:
        """Attach to the meter's (or its gas/water meter's) device."""
        self.coordinator = coordinator
        self.entity_description = description
        self._attr_unique_id = f"{subentry.subentry_id}_{description.key}"
        self._attr_device_info = _device_info(
            coordinator, subentry, description.device, meter_device_id
        )
        if description.placeholders:
            self._attr_translation_placeholders = description.placeholders
        self._update_from_coordinator()

    async def async_added_to_hass(self) -> None:
        """Listen to the meter; a total's last state bounds what may follow it."""
        await super().async_added_to_hass()
        field = self.entity_description.field
        last = await self.async_get_last_sensor_data() if field in TOTAL_FIELDS else None
        if last is not None and isinstance(last.native_value, int | float):
            self.coordinator.guard.check(field, float(last.native_value))
            self._update_from_coordinator()
        self.async_on_remove(self.coordinator.async_add_listener(self._handle_update))

    @property
    def available(self) -> bool:
        """Unavailable while the meter is not sending."""
        return self.coordinator.connected

    def _update_from_coordinator(self) -> None:
        value = _value(self.coordinator, self.entity_description)
        self._attr_native_value = value
        if (time_field := _CAPTURE_TIME.get(self.entity_description.field)) and (
            reading := self.coordinator.reading
        ):
            captured = getattr(reading, time_field)
            self._attr_extra_state_attributes = (
                {"capture_time": captured.isoformat()} if captured else {}
            )

    @callback
    def _handle_update(self) -> None:
        self._update_from_coordinator()
        self.async_write_ha_state()
