"""Keys, names and entity ids of the demo home (apart from const.py: features merge cleanly)."""

from __future__ import annotations

from typing import Final

CONF_DEMO: Final = "demo"
"""Entry data flag: this hub is the demo home."""

DEMO_TITLE: Final = "Open HEM demo home"
DEMO_TITLE_NL: Final = "Open HEM demohuis"
DEMO_HOST: Final = "127.0.0.1"
DEFAULT_METER_PORT: Final = 23230
"""The demo meter's port when it is free; otherwise any free port (kept in the subentry)."""

STEP_INTERVAL_S: Final = 10
"""The simulation is stepped this often, by the time Home Assistant says has passed."""
MAX_STEP_S: Final = 60.0
"""A longer gap is caught up in steps of at most this ..."""
MAX_CATCH_UP_S: Final = 7200.0
"""... and at most two hours of it (then the home carries on from now), so no tick holds the loop
for more than twice benchmarks/demo's one-hour figure."""
SAVE_EVERY_S: Final = 300.0
"""The sim's state is saved this often (and on unload), so a restart carries on from it."""

STORAGE_KEY: Final = "open_hem.demo_home"
STORAGE_VERSION: Final = 1

# The demo devices (key = part of unique ids and entity ids: never change one).
BATTERY: Final = "demo_battery"
EV_CHARGER: Final = "demo_ev_charger"
HEAT_PUMP: Final = "demo_heat_pump"
PV: Final = "demo_solar_inverter"
DISHWASHER: Final = "demo_dishwasher"
DEMO_DEVICES: Final = (BATTERY, EV_CHARGER, HEAT_PUMP, PV, DISHWASHER)

# The battery's mode select: its own self-consumption, or following the setpoint number.
MODE_SELF_CONSUMPTION: Final = "self_consumption"
MODE_REMOTE: Final = "remote_control"
BATTERY_MODES: Final = (MODE_SELF_CONSUMPTION, MODE_REMOTE)


def entity_id(domain: str, device: str, key: str) -> str:
    """The fixed entity id of a demo entity (the demo's subentries name these)."""
    return f"{domain}.{device}_{key}"
