"""Subentry flow: add a P1 meter to the Open HEM hub (serial, network, MQTT or HomeWizard).

Every source is tested for real before the subentry is made: a serial port or TCP dongle must
deliver one telegram with a valid CRC, an MQTT topic one readable payload, a HomeWizard meter an
answer on /api/v1/data. What goes wrong becomes a translated error on the form.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    SerialPortSelector,
    TextSelector,
)
import probatio

from ..core.p1 import (
    DEFAULT_TELEGRAM_WAIT_S,
    DSMR_VERSIONS,
    FAST_TELEGRAM_WAIT_S,
    FORMAT_RAW,
    FORMATS,
    CannotConnectError,
    HomeWizardApiDisabledError,
    InvalidPathError,
    InvalidTopicError,
    NoTelegramError,
    NotHomeWizardError,
    SourceError,
    UnknownHostError,
)
from .const import (
    CONF_DSMR_VERSION,
    CONF_HOST,
    CONF_PAYLOAD_FORMAT,
    CONF_PORT,
    CONF_SERIAL_PATH,
    CONF_SOURCE,
    CONF_TOPIC,
    CONF_UPDATE_INTERVAL,
    DEFAULT_DSMR_VERSION,
    DEFAULT_UPDATE_INTERVAL_S,
    MAX_UPDATE_INTERVAL_S,
    MIN_UPDATE_INTERVAL_S,
    SOURCE_HOMEWIZARD,
    SOURCE_MQTT,
    SOURCE_NETWORK,
    SOURCE_SERIAL,
    SOURCES,
)
from .sources import MqttNotReadyError, async_read_one

# Raw-telegram TCP servers most often listen on 23: the telnet port that esp-link based P1
# dongles and Zuidwijk's P1 Wi-Fi gateway serve the telegram on, and the usual raw port in
# ser2net examples. SmartGateways' gateway uses 8088 (the field's description says so).
DEFAULT_PORT = 23
MIN_PORT = 1
MAX_PORT = 65535

# The error key per source for "could not open" and "opened, but nothing readable came".
_CANNOT_CONNECT = {
    SOURCE_SERIAL: "serial_cannot_open",
    SOURCE_NETWORK: "cannot_connect",
    SOURCE_MQTT: "mqtt_not_set_up",
    SOURCE_HOMEWIZARD: "homewizard_cannot_connect",
}
_NOTHING_ARRIVED = {
    SOURCE_SERIAL: "serial_no_telegram",
    SOURCE_NETWORK: "no_telegram",
    SOURCE_MQTT: "mqtt_no_message",
    SOURCE_HOMEWIZARD: "homewizard_not_p1",
}
# What the forms say about the test's wait (a step description placeholder).
WAIT_PLACEHOLDERS = {
    "fast_wait": f"{FAST_TELEGRAM_WAIT_S:g}",
    "slow_wait": f"{DEFAULT_TELEGRAM_WAIT_S:g}",
}


def _interval() -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=MIN_UPDATE_INTERVAL_S,
            max=MAX_UPDATE_INTERVAL_S,
            step=1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement="s",
        )
    )


def _select(options: tuple[str, ...], key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=list(options), mode=SelectSelectorMode.DROPDOWN, translation_key=key
        )
    )


def _schema(source: str) -> probatio.Schema:
    """The fields a source needs; the update interval (5 s, averaged) is common to all."""
    fields: dict[Any, Any] = {}
    if source == SOURCE_SERIAL:
        fields[probatio.Required(CONF_SERIAL_PATH)] = SerialPortSelector()
    elif source in (SOURCE_NETWORK, SOURCE_HOMEWIZARD):
        fields[probatio.Required(CONF_HOST)] = TextSelector()
    if source == SOURCE_NETWORK:
        # No min/max in the selector: an out-of-range port gets our own message, not a generic
        # range error.
        fields[probatio.Required(CONF_PORT, default=DEFAULT_PORT)] = NumberSelector(
            NumberSelectorConfig(step=1, mode=NumberSelectorMode.BOX)
        )
    if source == SOURCE_MQTT:
        fields[probatio.Required(CONF_TOPIC)] = TextSelector()
        fields[probatio.Required(CONF_PAYLOAD_FORMAT, default=FORMAT_RAW)] = _select(
            FORMATS, CONF_PAYLOAD_FORMAT
        )
    if source != SOURCE_HOMEWIZARD:
        fields[probatio.Required(CONF_DSMR_VERSION, default=DEFAULT_DSMR_VERSION)] = _select(
            DSMR_VERSIONS, CONF_DSMR_VERSION
        )
    fields[probatio.Required(CONF_UPDATE_INTERVAL, default=DEFAULT_UPDATE_INTERVAL_S)] = _interval()
    return probatio.Schema(fields)


def _normalise(source: str, user_input: dict[str, Any]) -> dict[str, Any]:
    data = {CONF_SOURCE: source, **user_input}
    data[CONF_UPDATE_INTERVAL] = int(data[CONF_UPDATE_INTERVAL])
    if CONF_PORT in data:
        data[CONF_PORT] = int(data[CONF_PORT])
    for key in (CONF_HOST, CONF_SERIAL_PATH, CONF_TOPIC):
        if key in data:
            data[key] = str(data[key]).strip()
    return data


def _field_errors(data: dict[str, Any]) -> dict[str, str]:
    """Errors a field has before anything is tried (the port's range)."""
    port = data.get(CONF_PORT)
    if port is not None and not (MIN_PORT <= port <= MAX_PORT):
        return {CONF_PORT: "invalid_port"}
    return {}


def _error_key(source: str, err: SourceError) -> str:
    """The form's error for what went wrong, in words that fit the source."""
    if isinstance(err, UnknownHostError):
        return "unknown_host"
    if isinstance(err, InvalidPathError):
        return "invalid_path"
    if isinstance(err, InvalidTopicError):
        return "invalid_topic"
    if isinstance(err, HomeWizardApiDisabledError):
        return "homewizard_api_disabled"
    if isinstance(err, NotHomeWizardError | NoTelegramError):
        return _NOTHING_ARRIVED[source]
    if isinstance(err, MqttNotReadyError | CannotConnectError):
        return _CANNOT_CONNECT[source]
    return "unknown"  # pragma: no cover - every source error is one of the above


def _identity(data: dict[str, Any]) -> str:
    """What makes two meters the same meter (one subentry each)."""
    source = data[CONF_SOURCE]
    if source == SOURCE_SERIAL:
        return f"{source}:{data[CONF_SERIAL_PATH]}"
    if source == SOURCE_NETWORK:
        return f"{source}:{data[CONF_HOST].lower()}:{data[CONF_PORT]}"
    if source == SOURCE_MQTT:
        return f"{source}:{data[CONF_TOPIC]}"
    return f"{source}:{data[CONF_HOST].lower()}"


def _title(data: dict[str, Any]) -> str:
    source = data[CONF_SOURCE]
    if source == SOURCE_SERIAL:
        return f"P1 meter ({data[CONF_SERIAL_PATH]})"
    if source == SOURCE_NETWORK:
        return f"P1 meter ({data[CONF_HOST]}:{data[CONF_PORT]})"
    if source == SOURCE_MQTT:
        return f"P1 meter ({data[CONF_TOPIC]})"
    return f"HomeWizard P1 meter ({data[CONF_HOST]})"


class P1MeterSubentryFlow(ConfigSubentryFlow):
    """Add or change one P1 meter."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Choose where the meter's data comes from."""
        return self.async_show_menu(step_id="user", menu_options=list(SOURCES))

    async def async_step_serial(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A P1 cable on a USB port."""
        return await self._async_source_step(SOURCE_SERIAL, user_input)

    async def async_step_network(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A TCP dongle or ser2net."""
        return await self._async_source_step(SOURCE_NETWORK, user_input)

    async def async_step_mqtt(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A dongle that publishes over MQTT (through Home Assistant's MQTT integration)."""
        return await self._async_source_step(SOURCE_MQTT, user_input)

    async def async_step_homewizard(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A HomeWizard Wi-Fi P1 meter with its local API switched on."""
        return await self._async_source_step(SOURCE_HOMEWIZARD, user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a meter's connection or update interval; it is tested again."""
        subentry = self._get_reconfigure_subentry()
        return await self._async_source_step(
            subentry.data[CONF_SOURCE], user_input, dict(subentry.data)
        )

    async def _async_source_step(
        self,
        source: str,
        user_input: dict[str, Any] | None,
        current: dict[str, Any] | None = None,
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        entry = self._get_entry()
        if user_input is not None:
            data = _normalise(source, user_input)
            errors = _field_errors(data)
            identity = _identity(data)
            others = [
                subentry
                for subentry in entry.subentries.values()
                if current is None or subentry.subentry_id != self._reconfigure_subentry_id
            ]
            if any(subentry.unique_id == identity for subentry in others):
                return self.async_abort(reason="already_configured")
            if not errors and (error := await self._async_test(data)):
                errors["base"] = error
            if not errors and current is not None:
                return self.async_update_and_abort(
                    entry,
                    self._get_reconfigure_subentry(),
                    data=data,
                    title=_title(data),
                    unique_id=identity,
                )
            if not errors:
                return self.async_create_entry(title=_title(data), data=data, unique_id=identity)
        suggested = user_input if user_input is not None else current or {}
        return self.async_show_form(
            step_id="reconfigure" if current is not None else source,
            data_schema=self.add_suggested_values_to_schema(_schema(source), suggested),
            errors=errors,
            description_placeholders=WAIT_PLACEHOLDERS,
        )

    async def _async_test(self, data: dict[str, Any]) -> str | None:
        """Read the meter once; the error key for the form, or None when it works."""
        try:
            await async_read_one(self.hass, data)
        except SourceError as err:
            return _error_key(data[CONF_SOURCE], err)
        return None
