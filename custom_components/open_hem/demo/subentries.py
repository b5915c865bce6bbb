"""The demo home's subentries: its P1 meter and its five devices, as a user would add them.

The devices are the same entity-backed subentry types and data the entity flow
(``devices/entity_flow.py``) creates, naming the demo's own entities, so the same resource
managers control them with Home Assistant services.
"""

from __future__ import annotations

from typing import Any
import uuid

from homeassistant.config_entries import ConfigSubentryData

from ..devices import const as dev
from ..devices.hub import DeviceKind
from ..devices.native import const as s2
from ..p1 import const as p1
from .const import (
    BATTERY,
    DEFAULT_METER_PORT,
    DEMO_HOST,
    DISHWASHER,
    EV_CHARGER,
    HEAT_PUMP,
    MODE_REMOTE,
    MODE_SELF_CONSUMPTION,
    PV,
    entity_id,
)

# The sim's dishwasher programme: 110 min, 1.12 kWh (about 610 W on average).
DISHWASHER_MINUTES = 110.0
DISHWASHER_AVERAGE_W = 610.0


def meter_subentry(port: int = DEFAULT_METER_PORT) -> ConfigSubentryData:
    """A network P1 meter at the demo's telegram server."""
    data = {
        p1.CONF_SOURCE: p1.SOURCE_NETWORK,
        p1.CONF_HOST: DEMO_HOST,
        p1.CONF_PORT: port,
        p1.CONF_DSMR_VERSION: p1.DEFAULT_DSMR_VERSION,
        p1.CONF_UPDATE_INTERVAL: p1.DEFAULT_UPDATE_INTERVAL_S,
    }
    return ConfigSubentryData(
        subentry_type=p1.SUBENTRY_P1_METER,
        title="Demo P1 meter",
        data=data,
        unique_id=f"{p1.SOURCE_NETWORK}:{DEMO_HOST}:demo",
    )


def _defaults(*keys: str) -> dict[str, Any]:
    return {key: dev.DEFAULTS[key] for key in keys}


def _device(kind: DeviceKind, title: str, data: dict[str, Any]) -> ConfigSubentryData:
    # The entity flow's unique id: the kind and the device's first entity.
    first = next(iter(data.values()))
    return ConfigSubentryData(
        subentry_type=kind.value, title=title, data=data, unique_id=f"{kind.value}:{first}"
    )


def device_subentries() -> list[ConfigSubentryData]:
    """The five simulated devices, backed by the demo's entities (values as the sim's).

    Titled apart from the demo's own devices ("Demo battery", ...): the subentry is Open HEM's
    view of the device (its mode, wishes and plan entities), the demo device is the hardware.
    """
    return [
        _device(
            DeviceKind.BATTERY,
            "Home battery",
            {
                dev.CONF_SOC: entity_id("sensor", BATTERY, "state_of_charge"),
                dev.CONF_POWER: entity_id("sensor", BATTERY, "power"),
                dev.CONF_SETPOINT: entity_id("number", BATTERY, "setpoint"),
                dev.CONF_MODE_SELECT: entity_id("select", BATTERY, "mode"),
                dev.CONF_CAPACITY_KWH: 10.0,
                dev.CONF_MAX_CHARGE_W: 5000.0,
                dev.CONF_MAX_DISCHARGE_W: 5000.0,
                dev.CONF_EFFICIENCY_PCT: 95.0,
                dev.CONF_DISCHARGE_POSITIVE: True,
                dev.CONF_NORMAL_OPTION: MODE_SELF_CONSUMPTION,
                dev.CONF_CONTROL_OPTION: MODE_REMOTE,
            },
        ),
        _device(
            DeviceKind.EV_CHARGER,
            "EV charger",
            {
                dev.CONF_PLUGGED: entity_id("binary_sensor", EV_CHARGER, "car_plugged_in"),
                dev.CONF_POWER: entity_id("sensor", EV_CHARGER, "power"),
                dev.CONF_CAR_SOC: entity_id("sensor", EV_CHARGER, "car_state_of_charge"),
                dev.CONF_CURRENT: entity_id("number", EV_CHARGER, "charging_current"),
                dev.CONF_SWITCH: entity_id("switch", EV_CHARGER, "charging"),
                dev.CONF_CAR_CAPACITY_KWH: 60.0,
                **_defaults(
                    dev.CONF_PHASES,
                    dev.CONF_MIN_CURRENT_A,
                    dev.CONF_MAX_CURRENT_A,
                    dev.CONF_TARGET_SOC_PCT,
                    dev.CONF_DEPARTURE,
                    dev.CONF_SESSION_ENERGY_KWH,
                ),
            },
        ),
        _device(
            DeviceKind.HEAT_PUMP,
            "Heat pump",
            {
                dev.CONF_POWER: entity_id("sensor", HEAT_PUMP, "power"),
                dev.CONF_INDOOR_TEMP: entity_id("sensor", HEAT_PUMP, "indoor_temperature"),
                dev.CONF_CLIMATE: entity_id("climate", HEAT_PUMP, "thermostat"),
                dev.CONF_RATED_POWER_W: 2000.0,
                dev.CONF_MIN_POWER_W: 0.0,
                dev.CONF_COP: 3.5,
                **_defaults(
                    dev.CONF_MIN_RUN_MIN,
                    dev.CONF_MIN_PAUSE_MIN,
                    dev.CONF_BOOST_K,
                    dev.CONF_SETBACK_K,
                    dev.CONF_COMFORT_LOW_C,
                    dev.CONF_COMFORT_HIGH_C,
                    dev.CONF_TANK_MIN_C,
                    dev.CONF_TANK_MAX_C,
                    dev.CONF_TANK_VOLUME_L,
                ),
            },
        ),
        _device(
            DeviceKind.PV_INVERTER,
            "Solar inverter",
            {
                dev.CONF_POWER: entity_id("sensor", PV, "power"),
                dev.CONF_POWER_LIMIT: entity_id("number", PV, "power_limit"),
                dev.CONF_PEAK_W: 4600.0,
            },
        ),
        _device(
            DeviceKind.APPLIANCE,
            "Dishwasher",
            {
                dev.CONF_START: entity_id("button", DISHWASHER, "start"),
                dev.CONF_RUNNING: entity_id("binary_sensor", DISHWASHER, "running"),
                dev.CONF_POWER: entity_id("sensor", DISHWASHER, "power"),
                dev.CONF_DURATION_MIN: DISHWASHER_MINUTES,
                dev.CONF_AVERAGE_POWER_W: DISHWASHER_AVERAGE_W,
                dev.CONF_LATEST_FINISH: dev.DEFAULTS[dev.CONF_LATEST_FINISH],
            },
        ),
    ]


def s2_subentry() -> ConfigSubentryData:
    """The native S2 battery, as the S2 device flow adds one (its token is issued at setup)."""
    node_id = str(uuid.uuid4())
    return ConfigSubentryData(
        subentry_type=s2.SUBENTRY_S2_DEVICE,
        title="Demo S2 battery",
        data={s2.CONF_NODE_ID: node_id, s2.CONF_CONTROL_TYPE: s2.CONTROL_TYPE_AUTOMATIC},
        unique_id=node_id,
    )
