"""Subentry flow: add a P1 meter to the Open HEM hub (serial, network, MQTT or HomeWizard).

Every source is tested for real before the subentry is made: a serial port or TCP dongle must
deliver one telegram with a valid CRC, an MQTT topic one readable payload, a HomeWizard meter an
answer on /api/v1/data. What goes wrong becomes a translated error on the form.
"""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
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

from ..core.p1.dongles import FORMAT_RAW, FORMATS, DongleDecoder, PayloadError
from ..core.p1.homewizard import HomeWizardError, fetch_reading
from ..core.p1.readings import DSMR_VERSIONS, MeterReading
from ..core.p1.serial_tcp import (
    CannotConnectError,
    InvalidPathError,
    NoTelegramError,
    open_serial,
    open_tcp,
    read_one,
)
from ..core.p1.telegram import TelegramError
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
from .coordinator import mqtt_subscription

# DSMR 2.2 and 4 meters send a telegram every 10 s, DSMR 5 every second.
TELEGRAM_WAIT_S = 25.0


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
        fields[probatio.Required(CONF_PORT)] = NumberSelector(
            NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
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
            identity = _identity(data)
            others = [
                subentry
                for subentry in entry.subentries.values()
                if current is None or subentry.subentry_id != self._reconfigure_subentry_id
            ]
            if any(subentry.unique_id == identity for subentry in others):
                return self.async_abort(reason="already_configured")
            if error := await self._async_test(data):
                errors["base"] = error
            elif current is not None:
                return self.async_update_and_abort(
                    entry,
                    self._get_reconfigure_subentry(),
                    data=data,
                    title=_title(data),
                    unique_id=identity,
                )
            else:
                return self.async_create_entry(title=_title(data), data=data, unique_id=identity)
        suggested = user_input if user_input is not None else current or {}
        return self.async_show_form(
            step_id="reconfigure" if current is not None else source,
            data_schema=self.add_suggested_values_to_schema(_schema(source), suggested),
            errors=errors,
        )

    async def _async_test(self, data: dict[str, Any]) -> str | None:
        """Read the meter once; the error key for the form, or None when it works."""
        source = data[CONF_SOURCE]
        try:
            if source == SOURCE_SERIAL:
                await read_one(
                    lambda callbacks: open_serial(
                        data[CONF_SERIAL_PATH], data[CONF_DSMR_VERSION], callbacks
                    ),
                    TELEGRAM_WAIT_S,
                )
            elif source == SOURCE_NETWORK:
                await read_one(
                    lambda callbacks: open_tcp(
                        data[CONF_HOST], data[CONF_PORT], data[CONF_DSMR_VERSION], callbacks
                    ),
                    TELEGRAM_WAIT_S,
                )
            elif source == SOURCE_HOMEWIZARD:
                await fetch_reading(async_get_clientsession(self.hass), data[CONF_HOST])
            else:
                return await self._async_test_mqtt(data)
        except InvalidPathError:
            return "invalid_path"
        except CannotConnectError:
            return "cannot_connect"
        except NoTelegramError:
            return "no_telegram"
        except HomeWizardError:
            return "cannot_connect"
        return None

    async def _async_test_mqtt(self, data: dict[str, Any]) -> str | None:
        if not await mqtt.async_wait_for_mqtt_client(self.hass):
            return "mqtt_not_set_up"
        topic: str = data[CONF_TOPIC]
        payload_format: str = data[CONF_PAYLOAD_FORMAT]
        try:
            subscription = mqtt.valid_subscribe_topic(mqtt_subscription(topic, payload_format))
        except probatio.Invalid:
            return "invalid_topic"
        if payload_format == FORMAT_RAW and ("#" in topic or "+" in topic):
            return "invalid_topic"
        decoder = DongleDecoder(payload_format, data[CONF_DSMR_VERSION])
        prefix = "" if payload_format == FORMAT_RAW else topic.rstrip("/") + "/"
        first: asyncio.Future[MeterReading] = self.hass.loop.create_future()

        @callback
        def on_message(message: mqtt.ReceiveMessage) -> None:
            payload = message.payload
            raw = payload if isinstance(payload, str) else bytes(payload)
            try:
                reading = decoder.decode(message.topic.removeprefix(prefix) if prefix else "", raw)
            except PayloadError, TelegramError:
                return
            if reading is not None and not first.done():
                first.set_result(reading)

        try:
            unsubscribe = await mqtt.async_subscribe(
                self.hass, subscription, on_message, encoding=None
            )
        except HomeAssistantError:
            return "mqtt_not_set_up"
        try:
            async with asyncio.timeout(TELEGRAM_WAIT_S):
                await first
        except TimeoutError:
            return "no_telegram"
        finally:
            unsubscribe()
        return None
