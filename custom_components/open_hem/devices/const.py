"""Keys and defaults of the entity-backed devices (one subentry type per device kind)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from .hub import DeviceKind

ENTITY_KINDS: Final = (
    DeviceKind.BATTERY,
    DeviceKind.EV_CHARGER,
    DeviceKind.HEAT_PUMP,
    DeviceKind.PV_INVERTER,
    DeviceKind.APPLIANCE,
)
"""The subentry types of entity-backed devices (the subentry type is the kind's value)."""

UNAVAILABLE_AFTER: Final = timedelta(minutes=5)
"""A device whose state entities are all unavailable this long is given back to its owner."""

CONF_NAME: Final = "name"

# State entities
CONF_SOC: Final = "soc_entity"
CONF_POWER: Final = "power_entity"
CONF_PLUGGED: Final = "plugged_entity"
CONF_CAR_SOC: Final = "car_soc_entity"
CONF_RUNNING: Final = "running_entity"
CONF_INDOOR_TEMP: Final = "indoor_temp_entity"
CONF_TANK_TEMP: Final = "tank_temp_entity"
CONF_READY: Final = "ready_entity"

# Control entities
CONF_SETPOINT: Final = "setpoint_entity"
CONF_MODE_SELECT: Final = "mode_entity"
CONF_CURRENT: Final = "current_entity"
CONF_SWITCH: Final = "switch_entity"
CONF_CLIMATE: Final = "climate_entity"
CONF_WATER_HEATER: Final = "water_heater_entity"
CONF_POWER_LIMIT: Final = "power_limit_entity"
CONF_START: Final = "start_entity"

# Options of a mode select
CONF_NORMAL_OPTION: Final = "normal_option"
CONF_CONTROL_OPTION: Final = "control_option"

# Physical parameters, with their defaults
CONF_CAPACITY_KWH: Final = "capacity_kwh"
CONF_MAX_CHARGE_W: Final = "max_charge_w"
CONF_MAX_DISCHARGE_W: Final = "max_discharge_w"
CONF_EFFICIENCY_PCT: Final = "efficiency_pct"
CONF_DISCHARGE_POSITIVE: Final = "discharge_positive"
CONF_PHASES: Final = "phases"
CONF_MIN_CURRENT_A: Final = "min_current_a"
CONF_MAX_CURRENT_A: Final = "max_current_a"
CONF_CAR_CAPACITY_KWH: Final = "car_capacity_kwh"
CONF_TARGET_SOC_PCT: Final = "target_soc_pct"
CONF_DEPARTURE: Final = "departure"
CONF_SESSION_ENERGY_KWH: Final = "session_energy_kwh"
CONF_RATED_POWER_W: Final = "rated_power_w"
CONF_MIN_POWER_W: Final = "min_power_w"
CONF_COP: Final = "cop"
CONF_MIN_RUN_MIN: Final = "min_run_min"
CONF_MIN_PAUSE_MIN: Final = "min_pause_min"
CONF_BOOST_K: Final = "boost_k"
CONF_SETBACK_K: Final = "setback_k"
CONF_TANK_MIN_C: Final = "tank_min_c"
CONF_TANK_MAX_C: Final = "tank_max_c"
CONF_TANK_VOLUME_L: Final = "tank_volume_l"
CONF_COMFORT_LOW_C: Final = "comfort_low_c"
CONF_COMFORT_HIGH_C: Final = "comfort_high_c"
CONF_PEAK_W: Final = "peak_w"
CONF_DURATION_MIN: Final = "duration_min"
CONF_AVERAGE_POWER_W: Final = "average_power_w"
CONF_LATEST_FINISH: Final = "latest_finish"

DEFAULTS: Final[dict[str, float | str | bool]] = {
    CONF_CAPACITY_KWH: 10.0,
    CONF_MAX_CHARGE_W: 5000.0,
    CONF_MAX_DISCHARGE_W: 5000.0,
    CONF_EFFICIENCY_PCT: 95.0,
    CONF_DISCHARGE_POSITIVE: True,
    CONF_PHASES: "3",
    CONF_MIN_CURRENT_A: 6.0,
    CONF_MAX_CURRENT_A: 16.0,
    CONF_CAR_CAPACITY_KWH: 60.0,
    CONF_TARGET_SOC_PCT: 80.0,
    CONF_DEPARTURE: "07:00:00",
    CONF_SESSION_ENERGY_KWH: 10.0,
    CONF_RATED_POWER_W: 2000.0,
    CONF_MIN_POWER_W: 0.0,
    CONF_COP: 3.0,
    CONF_MIN_RUN_MIN: 0.0,
    CONF_MIN_PAUSE_MIN: 0.0,
    CONF_BOOST_K: 1.0,
    CONF_SETBACK_K: 2.0,
    CONF_TANK_MIN_C: 45.0,
    CONF_TANK_MAX_C: 55.0,
    CONF_TANK_VOLUME_L: 200.0,
    CONF_COMFORT_LOW_C: 19.5,
    CONF_COMFORT_HIGH_C: 21.5,
    CONF_PEAK_W: 5000.0,
    CONF_DURATION_MIN: 120.0,
    CONF_AVERAGE_POWER_W: 1000.0,
    CONF_LATEST_FINISH: "07:00:00",
}
