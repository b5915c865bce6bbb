"""Payloads of P1 dongles that publish over MQTT.

Three shapes are understood:

* ``raw``: a topic carrying the whole telegram text (ESPHome's ``dsmr`` telegram text sensor, or a
  dongle's raw output), parsed and CRC-checked with dsmr_parser.
* ``smart_stuff``: the smart-stuff P1-Dongle-Pro (DSMR-API firmware): one topic per field under a
  prefix (``<prefix>/power_delivered``), or everything as JSON on ``<prefix>/all``. Its names come
  from arduino-dsmr, where ``energy_delivered_*`` and ``power_delivered`` are **import** (1.8.x,
  1.7.0) and ``energy_returned_*`` / ``power_returned`` are export — the opposite of dsmr_parser's
  ``ELECTRICITY_DELIVERED_*``.
* ``plan_d``: the plan-d-io P1-dongle: ``data/devices/utility_meter/<measurement>`` with a plain
  number or JSON ``{"value": .., "unit": .., "timestamp": ..}``; ``consumption`` is import and
  ``injection`` export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime
import json
import re
from typing import Any

from .errors import InvalidTopicError, PayloadError, TelegramError
from .readings import MeterReading, complete, tariff_name
from .telegram import parse_telegram

FORMAT_RAW = "raw"
FORMAT_SMART_STUFF = "smart_stuff"
FORMAT_PLAN_D = "plan_d"
FORMATS: tuple[str, ...] = (FORMAT_RAW, FORMAT_SMART_STUFF, FORMAT_PLAN_D)

PLAN_D_DEFAULT_TOPIC = "data/devices/utility_meter"
SMART_STUFF_DEFAULT_TOPIC = "P1-Dongle-Pro"

_READING_FIELDS = frozenset(field.name for field in fields(MeterReading))


# field name in the dongle -> (reading attribute, the unit the dongle uses when it does not say)
_SMART_STUFF: dict[str, tuple[str, str]] = {
    "energy_delivered_tariff1": ("import_t1_kwh", "kWh"),
    "energy_delivered_tariff2": ("import_t2_kwh", "kWh"),
    "energy_returned_tariff1": ("export_t1_kwh", "kWh"),
    "energy_returned_tariff2": ("export_t2_kwh", "kWh"),
    "energy_delivered_total": ("import_total_kwh", "kWh"),
    "energy_returned_total": ("export_total_kwh", "kWh"),
    "power_delivered": ("power_import_w", "kW"),
    "power_returned": ("power_export_w", "kW"),
    "electricity_tariff": ("tariff", ""),
    "voltage_l1": ("voltage_l1_v", "V"),
    "voltage_l2": ("voltage_l2_v", "V"),
    "voltage_l3": ("voltage_l3_v", "V"),
    "current_l1": ("current_l1_a", "A"),
    "current_l2": ("current_l2_a", "A"),
    "current_l3": ("current_l3_a", "A"),
    "power_delivered_l1": ("_import_l1", "kW"),
    "power_delivered_l2": ("_import_l2", "kW"),
    "power_delivered_l3": ("_import_l3", "kW"),
    "power_returned_l1": ("_export_l1", "kW"),
    "power_returned_l2": ("_export_l2", "kW"),
    "power_returned_l3": ("_export_l3", "kW"),
    "electricity_failures": ("power_failures", ""),
    "electricity_long_failures": ("long_power_failures", ""),
    "electricity_sags_l1": ("voltage_sags_l1", ""),
    "electricity_sags_l2": ("voltage_sags_l2", ""),
    "electricity_sags_l3": ("voltage_sags_l3", ""),
    "electricity_swells_l1": ("voltage_swells_l1", ""),
    "electricity_swells_l2": ("voltage_swells_l2", ""),
    "electricity_swells_l3": ("voltage_swells_l3", ""),
    "gas_delivered": ("gas_m3", "m3"),
    "water_delivered": ("water_m3", "m3"),
    "timestamp": ("timestamp", ""),
}

_PLAN_D: dict[str, tuple[str, str]] = {
    "total_energy_consumed": ("import_total_kwh", "kWh"),
    "total_energy_injected": ("export_total_kwh", "kWh"),
    "active_power_consumption": ("power_import_w", "kW"),
    "active_power_injection": ("power_export_w", "kW"),
    "total_active_power": ("power_net_w", "kW"),
    "active_tariff_period": ("tariff", ""),
    "active_tariff": ("tariff", ""),
    "current_average_demand": ("average_demand_w", "kW"),
    "maximum_demand_current_month": ("month_peak_w", "kW"),
    "natural_gas_consumption": ("gas_m3", "m3"),
    "water_consumption": ("water_m3", "m3"),
}
# Firmware versions name the tariff totals differently; all mean 1.8.x / 2.8.x per meter tariff.
for _tariff, _aliases in (("1", ("t1", "day")), ("2", ("t2", "night"))):
    for _alias in _aliases:
        _PLAN_D[f"total_consumption_{_alias}"] = (f"import_t{_tariff}_kwh", "kWh")
        _PLAN_D[f"total_injection_{_alias}"] = (f"export_t{_tariff}_kwh", "kWh")
    _PLAN_D[f"energy_consumed_t{_tariff}"] = (f"import_t{_tariff}_kwh", "kWh")
    _PLAN_D[f"energy_injected_t{_tariff}"] = (f"export_t{_tariff}_kwh", "kWh")
for _phase in ("1", "2", "3"):
    for _name in (f"voltage_phase_{_phase}", f"voltage_phase_l{_phase}"):
        _PLAN_D[_name] = (f"voltage_l{_phase}_v", "V")
    for _name in (f"current_phase_{_phase}", f"current_phase_l{_phase}"):
        _PLAN_D[_name] = (f"current_l{_phase}_a", "A")

# The unit a dongle uses by default -> the units it may say instead, with their factor to ours.
_UNITS: dict[str, dict[str, float]] = {
    "kW": {"kw": 1000.0, "w": 1.0},
    "kWh": {"kwh": 1.0, "wh": 0.001},
    "m3": {"m3": 1.0, "m³": 1.0, "l": 0.001, "dm3": 0.001},
}
_INT_FIELDS = frozenset(
    {"power_failures", "long_power_failures"}
    | {f"voltage_{kind}_l{phase}" for kind in ("sags", "swells") for phase in "123"}
)
_NUMBER_WITH_UNIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*\*?\s*([A-Za-z³0-9]*)\s*$")
_DSMR_TIME = re.compile(r"^(\d{12})([SW])?$")


def _dsmr_time(value: Any) -> datetime | None:
    """A timestamp as dongles send it: DSMR ``YYMMDDhhmmssW``, epoch seconds, or ISO."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except OverflowError, OSError, ValueError:
            return None
    text = str(value).strip()
    if match := _DSMR_TIME.match(text):
        digits, season = match.groups()
        # DSMR local time: S = summer (CEST, UTC+2), W = winter (CET, UTC+1).
        offset = 2 if season == "S" else 1
        try:
            local = datetime.strptime(digits, "%y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            return None
        return local.fromtimestamp(local.timestamp() - offset * 3600, UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _number(value: Any, default_unit: str) -> float:
    """A number in the reading's unit (W, kWh, m³, V, A) from a dongle's value and unit."""
    unit = default_unit
    if isinstance(value, Mapping):
        unit = str(value.get("unit") or default_unit)
        value = value.get("value")
    if isinstance(value, bool) or value is None:
        raise PayloadError(f"not a number: {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        match = _NUMBER_WITH_UNIT.match(str(value))
        if not match:
            raise PayloadError(f"not a number: {value!r}")
        number = float(match.group(1))
        unit = match.group(2) or unit
    if default_unit in _UNITS:
        scale = _UNITS[default_unit].get(unit.lower())
        if scale is None:
            raise PayloadError(f"unexpected unit {unit!r}")
        return round(number * scale, 3)
    return number


def subscription_topic(topic: str, payload_format: str) -> str:
    """The topic filter to subscribe to: the raw topic itself, or everything below a prefix.

    Raises InvalidTopicError for an empty topic, and for a raw-telegram topic with wildcards
    (a telegram is one message on one topic).
    """
    topic = topic.strip()
    if not topic.strip("/"):
        raise InvalidTopicError("empty topic")
    if payload_format == FORMAT_RAW:
        if "#" in topic or "+" in topic:
            raise InvalidTopicError(f"{topic}: a raw telegram topic has no wildcards")
        return topic
    return f"{topic.rstrip('/')}/#"


class DongleDecoder:
    """Keep the latest value of every field a dongle publishes and build readings from them.

    The one place where MQTT messages become readings: the running meter and the config flow's
    test both hand every message to :meth:`decode_message`.
    """

    def __init__(self, payload_format: str, dsmr_version: str = "5", topic: str = "") -> None:
        """Decode one of FORMATS; the DSMR version tells raw telegrams and tariff numbering.

        ``topic`` is the configured topic: for the per-field formats the prefix that
        :meth:`decode_message` strips to find the field.
        """
        if payload_format not in FORMATS:
            raise ValueError(f"unknown payload format {payload_format!r}")
        self.payload_format = payload_format
        self.dsmr_version = dsmr_version
        self._prefix = "" if payload_format == FORMAT_RAW else topic.strip().rstrip("/") + "/"
        self._state: dict[str, Any] = {}
        # Lines of the last raw telegram dsmr_parser could not read (the rest was used).
        self.ignored_lines: list[str] = []

    def decode_message(self, topic: str, payload: str | bytes | bytearray) -> MeterReading | None:
        """Decode one message as it arrived on ``topic`` (below the configured prefix)."""
        field = topic.removeprefix(self._prefix) if self._prefix else ""
        return self.decode(field, payload if isinstance(payload, str) else bytes(payload))

    def decode(self, field: str, payload: str | bytes) -> MeterReading | None:
        """Decode one MQTT message; ``field`` is the topic below the configured prefix.

        Returns the reading it completes, None for a topic that carries nothing we read, and
        raises PayloadError (or TelegramError for raw telegrams) for a payload that is broken.
        """
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        if self.payload_format == FORMAT_RAW:
            return self._telegram(text)
        table = _SMART_STUFF if self.payload_format == FORMAT_SMART_STUFF else _PLAN_D
        field = field.strip("/")
        if self.payload_format == FORMAT_SMART_STUFF and field == "all":
            try:
                document = json.loads(text)
            except ValueError as err:
                raise PayloadError(f"not JSON: {err}") from err
            if not isinstance(document, Mapping):
                raise PayloadError("JSON payload is not an object")
            known = {key: value for key, value in document.items() if key in table}
            if not known:
                raise PayloadError("JSON payload carries no known fields")
            for key, item in known.items():
                self._store(table, key, item)
            return self.reading()
        if field not in table:
            return None
        payload_value: Any = text
        stripped = text.strip()
        if stripped.startswith("{"):
            try:
                payload_value = json.loads(stripped)
            except ValueError as err:
                raise PayloadError(f"not JSON: {err}") from err
        self._store(table, field, payload_value)
        return self.reading()

    def _telegram(self, text: str) -> MeterReading:
        self.ignored_lines = []
        try:
            return parse_telegram(text, self.dsmr_version, self.ignored_lines)
        except TelegramError:
            # Some publishers turn the telegram's CRLF into LF; the CRC covers the original.
            if "\r\n" in text or "\n" not in text:
                raise
            return parse_telegram(text.replace("\n", "\r\n"), self.dsmr_version, self.ignored_lines)

    def _store(self, table: Mapping[str, tuple[str, str]], key: str, value: Any) -> None:
        attribute, unit = table[key]
        if attribute == "timestamp":
            self._state["timestamp"] = _dsmr_time(
                value.get("value") if isinstance(value, Mapping) else value
            )
            return
        if attribute == "tariff":
            raw = value.get("value") if isinstance(value, Mapping) else value
            self._state["tariff"] = tariff_name(raw, self.dsmr_version)
            return
        number = _number(value, unit)
        self._state[attribute] = int(number) if attribute in _INT_FIELDS else number
        if attribute in ("gas_m3", "water_m3") and isinstance(value, Mapping):
            captured = _dsmr_time(value.get("timestamp"))
            if captured is not None:
                self._state[attribute.replace("_m3", "_time")] = captured

    def reading(self) -> MeterReading:
        """The reading from everything received so far."""
        values = {key: value for key, value in self._state.items() if key in _READING_FIELDS}
        for phase in ("1", "2", "3"):
            imported = self._state.get(f"_import_l{phase}")
            exported = self._state.get(f"_export_l{phase}")
            if imported is not None or exported is not None:
                values[f"power_l{phase}_w"] = round((imported or 0.0) - (exported or 0.0), 3)
        if "power_net_w" in values and "power_import_w" not in values:
            net = values["power_net_w"]
            values["power_import_w"] = max(net, 0.0)
            values["power_export_w"] = max(-net, 0.0)
        return complete(MeterReading(**values))
