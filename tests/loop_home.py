"""A whole home for the end-to-end loop tests: four devices made of real HA entities, a P1
meter on a real TCP socket and a real ENTSO-E document.

The devices respond to what Open HEM does: their power sensors are template sensors that
follow the control entities (the battery's setpoint, the charger's current, the heat pump's
switch and limit, the PV limit), and every service call is recorded with the time it ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.open_hem.core.s2.rm.ev import EVParams
from custom_components.open_hem.devices.hub import ControlledDevice, DeviceHub

from .entity_devices import subentry
from .entries import hub_entry

PRICES = Path(__file__).parent / "fixtures" / "entsoe" / "entsoe_BE_60M_15M_mix.xml"
"""Real Belgian day-ahead prices: 6 and 7 October 2024 at PT15M, 8 October at PT60M."""
START = datetime(2024, 10, 6, 8, 0, tzinfo=UTC)
"""10:00 in Brussels on the first day: the prices reach 38 hours ahead."""

SOC = "sensor.battery_soc"
BATTERY_POWER = "sensor.battery_power"
SETPOINT = "input_number.battery_setpoint"
BATTERY_MODE = "input_select.battery_mode"
PLUGGED = "input_boolean.car_plugged"
CHARGING = "input_boolean.charging"
CURRENT = "input_number.charge_current"
EV_POWER = "sensor.charger_power"
CAR_SOC = "sensor.car_soc"
HP_SWITCH = "input_boolean.heat_pump"
HP_LIMIT = "input_number.heat_pump_limit"
HP_POWER = "sensor.heat_pump_power"
INDOOR = "sensor.living_room_temperature"
HP_ONLINE = "input_boolean.heat_pump_online"
PV_LIMIT = "input_number.pv_limit"
PV_POWER = "sensor.pv_power"
DISHWASHER_START = "input_boolean.dishwasher_start"
DISHWASHER_RUNNING = "input_boolean.dishwasher_running"
DISHWASHER_READY = "input_boolean.dishwasher_ready"

HP_RATED_W = 2500.0
PV_PEAK_W = 4000.0
EV = EVParams()

BATTERY = subentry(
    "battery",
    "Battery",
    soc_entity=SOC,
    power_entity=BATTERY_POWER,
    setpoint_entity=SETPOINT,
    mode_entity=BATTERY_MODE,
    normal_option="self_consumption",
    control_option="remote_control",
)
CHARGER = subentry(
    "ev_charger",
    "Charger",
    plugged_entity=PLUGGED,
    power_entity=EV_POWER,
    car_soc_entity=CAR_SOC,
    current_entity=CURRENT,
    switch_entity=CHARGING,
)
HEAT_PUMP = subentry(
    "heat_pump",
    "Heat pump",
    power_entity=HP_POWER,
    indoor_temp_entity=INDOOR,
    switch_entity=HP_SWITCH,
    power_limit_entity=HP_LIMIT,
    rated_power_w=HP_RATED_W,
)
PV = subentry(
    "pv_inverter", "Solar", power_entity=PV_POWER, power_limit_entity=PV_LIMIT, peak_w=PV_PEAK_W
)
DISHWASHER = subentry(
    "appliance",
    "Dishwasher",
    start_entity=DISHWASHER_START,
    running_entity=DISHWASHER_RUNNING,
    ready_entity=DISHWASHER_READY,
    duration_min=60,
    average_power_w=1000,
)
"""A fifth device for the loop benchmark's household (the end-to-end tests have four)."""


def _template(name: str, state: str, unit: str, device_class: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "state": state,
        "unit_of_measurement": unit,
        "device_class": device_class,
        "state_class": "measurement",
        **extra,
    }


async def async_setup_home(hass: HomeAssistant) -> None:
    """The helper entities of the devices, in the states a working home shows."""
    assert await async_setup_component(
        hass,
        "input_number",
        {
            "input_number": {
                "battery_setpoint": {"min": -5000, "max": 5000, "step": 1, "initial": 0},
                "charge_current": {"min": 0, "max": 16, "step": 0.1, "initial": 16},
                "heat_pump_limit": {"min": 0, "max": HP_RATED_W, "step": 1, "initial": 2500},
                "pv_limit": {"min": 0, "max": PV_PEAK_W, "step": 1, "initial": PV_PEAK_W},
            }
        },
    )
    assert await async_setup_component(
        hass,
        "input_select",
        {
            "input_select": {
                "battery_mode": {
                    "options": ["self_consumption", "remote_control"],
                    "initial": "self_consumption",
                }
            }
        },
    )
    assert await async_setup_component(
        hass,
        "input_boolean",
        {
            "input_boolean": {
                "car_plugged": {"initial": True},
                "charging": {"initial": True},
                "heat_pump": {"initial": True},
                "heat_pump_online": {"initial": True},
                "dishwasher_start": {"initial": False},
                "dishwasher_running": {"initial": False},
                "dishwasher_ready": {"initial": True},
            }
        },
    )
    online = f"{{{{ is_state('{HP_ONLINE}', 'on') }}}}"
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "sensor": [
                        # Home Assistant's battery sign: discharging positive, like the setpoint.
                        _template(
                            "Battery power",
                            f"{{{{ states('{SETPOINT}') | float(0) "
                            f"if is_state('{BATTERY_MODE}', 'remote_control') else 0 }}}}",
                            "W",
                            "power",
                        ),
                        _template(
                            "Charger power",
                            f"{{{{ (states('{CURRENT}') | float(0) * 3 * 230 / 1000) | round(3) "
                            f"if is_state('{CHARGING}', 'on') and is_state('{PLUGGED}', 'on') "
                            "else 0 }}",
                            "kW",
                            "power",
                        ),
                        _template(
                            "Heat pump power",
                            f"{{{{ states('{HP_LIMIT}') | float(0) "
                            f"if is_state('{HP_SWITCH}', 'on') else 0 }}}}",
                            "W",
                            "power",
                            availability=online,
                        ),
                        _template(
                            "Living room temperature",
                            "20.5",
                            "°C",
                            "temperature",
                            availability=online,
                        ),
                        _template(
                            "PV power",
                            f"{{{{ [states('{PV_LIMIT}') | float(0), 2000] | min }}}}",
                            "W",
                            "power",
                        ),
                    ]
                }
            ]
        },
    )
    hass.states.async_set(SOC, "50", {"unit_of_measurement": "%", "device_class": "battery"})
    hass.states.async_set(CAR_SOC, "40", {"unit_of_measurement": "%", "device_class": "battery"})
    await hass.async_block_till_done()


def sunshine(slots: list[datetime]) -> list[float]:
    """A clear October day's PV forecast (W): up to 3 kW at 13:00 local time."""
    out = []
    for t in slots:
        local = dt_util.as_local(t)
        hour = local.hour + local.minute / 60
        out.append(max(0.0, 3000.0 * (1 - abs(hour - 13.0) / 5.0)))
    return out


def meter(port: int) -> ConfigSubentryData:
    """The P1 meter subentry for a dongle on 127.0.0.1."""
    return ConfigSubentryData(
        data={
            "source": "network",
            "host": "127.0.0.1",
            "port": port,
            "dsmr_version": "5",
            "update_interval": 5,
        },
        subentry_type="p1_meter",
        title="P1 meter",
        unique_id="test:P1 meter",
    )


def home_entry(port: int) -> MockConfigEntry:
    """The hub with Belgian ENTSO-E prices, the meter and the four devices."""
    return hub_entry(
        {"price_source": "entsoe", "api_token": "secret", "bidding_zone": "BE"},
        subentries=[meter(port), BATTERY, CHARGER, HEAT_PUMP, PV],
    )


@dataclass
class Call:
    """A service call as Home Assistant ran it."""

    at: datetime
    domain: str
    service: str
    entity_id: str
    data: dict[str, Any]


@dataclass
class CallLog:
    """Every service call on the devices' control entities, with Home Assistant's time."""

    calls: list[Call] = field(default_factory=list)

    @callback
    def record(self, event: Event[Any]) -> None:
        data = dict(event.data.get("service_data") or {})
        entity = data.pop("entity_id", None)
        for entity_id in [entity] if isinstance(entity, str) else list(entity or []):
            self.calls.append(
                Call(dt_util.utcnow(), event.data["domain"], event.data["service"], entity_id, data)
            )

    def on(self, entity_id: str, since: datetime | None = None) -> list[Call]:
        return [
            c for c in self.calls if c.entity_id == entity_id and (since is None or c.at >= since)
        ]


def record_calls(hass: HomeAssistant) -> CallLog:
    log = CallLog()
    hass.bus.async_listen(EVENT_CALL_SERVICE, log.record)
    return log


def named(entry: MockConfigEntry, name: str) -> ControlledDevice:
    devices: DeviceHub = entry.runtime_data.devices
    return next(d for d in devices if d.name == name)


def amps(power_w: float) -> float:
    """The charge current the charger's RM sets for a planned power."""
    return EV.amps(power_w)


QUARTER = timedelta(minutes=15)
