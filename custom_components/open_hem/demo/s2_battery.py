"""The demo's native S2 battery: s2-python's own RM classes on a real WebSocket to this CEM.

A second :class:`SimBattery` (idle until told otherwise) is described as FRBC storage (charge,
idle, discharge; fill level in %) by an ``FRBCControlType`` under s2-python's
``ResourceManagerHandler`` in an ``S2AsyncConnection``, over an aiohttp client WebSocket (Home
Assistant's shared session) to Home Assistant's own S2 endpoint with the device token the demo
issued. It follows instructions at their execution time, reports its power and fill level after
each step, and reconnects with backoff. Its failures are logged, never raised into Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from datetime import UTC, datetime
import logging
from typing import Any
import uuid

import aiohttp
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util
from s2python.common import (
    Commodity,
    CommodityQuantity,
    Duration,
    PowerMeasurement,
    PowerValue,
    Role,
    RoleType,
)
from s2python.connection.asset_details import AssetDetails
from s2python.connection.async_.connection import S2AsyncConnection
from s2python.connection.async_.control_type.class_based import (
    FRBCControlType,
    ResourceManagerHandler,
)
from s2python.frbc import (
    FRBCActuatorStatus,
    FRBCInstruction,
    FRBCStorageStatus,
    FRBCSystemDescription,
)

from ..core.s2.transport import AiohttpMedium
from ..core.sim import SimBattery

_LOGGER = logging.getLogger(__name__)

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0
QUANTITY = CommodityQuantity.ELECTRIC_POWER_3_PHASE_SYMMETRIC

# Stable ids: the CEM sees the same actuator and modes after every reconnect.
ACTUATOR = uuid.UUID("5d3e0b1c-0000-4000-8000-00000000a001")
CHARGE = uuid.UUID("5d3e0b1c-0000-4000-8000-00000000a002")
IDLE = uuid.UUID("5d3e0b1c-0000-4000-8000-00000000a003")
DISCHARGE = uuid.UUID("5d3e0b1c-0000-4000-8000-00000000a004")
RESOURCE = uuid.UUID("5d3e0b1c-0000-4000-8000-00000000a000")


def _range(lo: float, hi: float) -> dict[str, float]:
    return {"start_of_range": lo, "end_of_range": hi}


class SimBatteryFRBC(FRBCControlType):
    """FRBC for a :class:`SimBattery`: three operation modes over the fill level in %."""

    def __init__(self, hass: HomeAssistant, battery: SimBattery) -> None:
        """Describe and instruct ``battery``."""
        self.hass = hass
        self.battery = battery
        self.connection: S2AsyncConnection | None = None
        self.instructions = 0
        self._mode = IDLE
        self._factor = 0.0
        self._pending: list[CALLBACK_TYPE] = []

    def _pct_per_s(self, watts: float) -> float:
        return watts / self.battery.capacity_wh * 100.0 / 3600.0

    def _power_range(self, mode: uuid.UUID) -> tuple[float, float]:
        b = self.battery
        return {
            CHARGE: (0.0, b.max_charge_w),
            IDLE: (0.0, 0.0),
            DISCHARGE: (-b.max_discharge_w, 0.0),
        }[mode]

    def system_description(self) -> FRBCSystemDescription:
        """The storage and its three modes, as the sim's battery can do them."""
        b = self.battery
        fill = _range(b.soc_min * 100, b.soc_max * 100)
        rates = {
            CHARGE: _range(0.0, self._pct_per_s(b.max_charge_w * b.charge_efficiency)),
            IDLE: _range(0.0, 0.0),
            DISCHARGE: _range(-self._pct_per_s(b.max_discharge_w / b.discharge_efficiency), 0.0),
        }
        modes = [
            {
                "id": str(mode),
                "diagnostic_label": label,
                "elements": [
                    {
                        "fill_level_range": fill,
                        "fill_rate": rates[mode],
                        "power_ranges": [
                            {**_range(*self._power_range(mode)), "commodity_quantity": QUANTITY}
                        ],
                    }
                ],
                "abnormal_condition_only": False,
            }
            for mode, label in ((CHARGE, "charge"), (IDLE, "idle"), (DISCHARGE, "discharge"))
        ]
        return FRBCSystemDescription.model_validate(
            {
                "message_type": "FRBC.SystemDescription",
                "message_id": str(uuid.uuid4()),
                "valid_from": datetime.now(UTC).isoformat(),
                "actuators": [
                    {
                        "id": str(ACTUATOR),
                        "diagnostic_label": "inverter",
                        "supported_commodities": ["ELECTRICITY"],
                        "operation_modes": modes,
                        "transitions": [],
                        "timers": [],
                    }
                ],
                "storage": {
                    "diagnostic_label": "battery",
                    "fill_level_label": "%",
                    "provides_leakage_behaviour": False,
                    "provides_fill_level_target_profile": False,
                    "provides_usage_forecast": False,
                    "fill_level_range": _range(0.0, 100.0),
                },
            }
        )

    def _status(self) -> list[Any]:
        return [
            FRBCActuatorStatus(
                message_id=uuid.uuid4(),
                actuator_id=ACTUATOR,
                active_operation_mode_id=self._mode,
                operation_mode_factor=self._factor,
            ),
            FRBCStorageStatus(
                message_id=uuid.uuid4(), present_fill_level=round(self.battery.soc * 100, 3)
            ),
            PowerMeasurement(
                message_id=uuid.uuid4(),
                measurement_timestamp=dt_util.utcnow(),
                values=[PowerValue(commodity_quantity=QUANTITY, value=self.battery.power_w)],
            ),
        ]

    async def activate(self, connection: S2AsyncConnection) -> None:
        """Describe the battery and say where it is."""
        self.connection = connection
        for message in (self.system_description(), *self._status()):
            await connection.send_msg_and_await_reception_status(message)

    async def deactivate(self, connection: S2AsyncConnection) -> None:
        """No CEM: the battery goes idle (its safe default)."""
        self.connection = None
        self.cancel_pending()
        self._apply(IDLE, 0.0)

    async def handle_instruction(self, connection: Any, msg: Any, send_okay: Any) -> None:
        """Follow an instruction at its execution time."""
        assert isinstance(msg, FRBCInstruction)
        self.instructions += 1
        mode, factor = msg.operation_mode, float(msg.operation_mode_factor)
        if mode not in (CHARGE, IDLE, DISCHARGE):
            _LOGGER.debug("Demo S2 battery: unknown operation mode %s", mode)
        else:
            when = msg.execution_time
            if when <= dt_util.utcnow():
                self._apply(mode, factor)
            else:

                @callback
                def _at(_now: datetime, mode: uuid.UUID = mode, factor: float = factor) -> None:
                    self._apply(mode, factor)

                self._pending.append(async_track_point_in_utc_time(self.hass, _at, when))
        await send_okay()

    def _apply(self, mode: uuid.UUID, factor: float) -> None:
        self._mode, self._factor = mode, factor
        lo, hi = self._power_range(mode)
        watts = lo + factor * (hi - lo)
        if watts == 0:
            self.battery.idle()
        else:
            self.battery.set_power(watts)

    def cancel_pending(self) -> None:
        """Forget instructions not yet due."""
        for cancel in self._pending:
            cancel()
        self._pending.clear()

    async def async_report(self) -> None:
        """Send the battery's status and power now (while a CEM listens)."""
        if (connection := self.connection) is None:
            return
        for message in self._status():
            await connection.send_msg_and_await_reception_status(message)


class DemoS2Battery:
    """Keeps the RM connected to Home Assistant's S2 endpoint (reconnects with backoff)."""

    def __init__(
        self,
        hass: HomeAssistant,
        url: Callable[[], str],
        token: str,
        battery: SimBattery,
        name: str,
    ) -> None:
        """Connect to ``url()`` (asked anew each try) with ``token``; ``battery`` is what it
        controls."""
        self.hass = hass
        self.url = url
        self.token = token
        self.control = SimBatteryFRBC(hass, battery)
        self.details = AssetDetails(
            resource_id=RESOURCE,
            provides_forecast=False,
            provides_power_measurements=[QUANTITY],
            instruction_processing_delay=Duration(root=0),
            roles=[Role(role=RoleType.ENERGY_STORAGE, commodity=Commodity.ELECTRICITY)],
            name=name,
            manufacturer="Open HEM",
            model="Simulated S2 battery",
            firmware_version="demo",
            serial_number="DEMO-S2-BATTERY",
        )
        self.connected = False
        self.connects = 0
        self._task: asyncio.Task[None] | None = None
        self._connection: S2AsyncConnection | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._report: asyncio.Task[None] | None = None

    @callback
    def async_start(self) -> None:
        """Connect in the background (the endpoint is up once the entry is set up)."""
        # A plain task, not one of Home Assistant's: it runs (and retries) for as long as the
        # entry is loaded, so nothing waiting for HA's tasks to finish may wait for it.
        self._task = asyncio.get_running_loop().create_task(
            self._async_run(), name="open_hem demo S2 battery"
        )

    async def _async_run(self) -> None:
        delay = BACKOFF_FIRST_S
        failing = False
        while True:
            try:
                await self._async_session()
                delay = BACKOFF_FIRST_S
                failing = False
            except asyncio.CancelledError:
                raise
            except Exception as err:  # logged, never raised into Home Assistant
                if not failing:
                    _LOGGER.warning("Demo S2 battery: connection failed (%s), retrying", err)
                else:
                    _LOGGER.debug("Demo S2 battery: still failing (%s)", err)
                failing = True
            finally:
                self.connected = False
                await self._async_close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)

    async def _async_session(self) -> None:
        session = async_get_clientsession(self.hass)
        self._ws = await session.ws_connect(
            self.url(), headers={"Authorization": f"Bearer {self.token}"}, heartbeat=None
        )
        connection = S2AsyncConnection(AiohttpMedium(self._ws))
        ResourceManagerHandler([self.control], self.details).register_handlers(connection)
        self._connection = connection
        self.connected = True
        self.connects += 1
        await connection.run()

    async def _async_close(self) -> None:
        connection, ws = self._connection, self._ws
        self._connection = self._ws = None
        self.control.connection = None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.stop()
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()

    @callback
    def async_report(self) -> None:
        """After a step: tell the CEM the new fill level and power (one report at a time)."""
        if self.control.connection is None or (self._report and not self._report.done()):
            return
        self._report = self.hass.async_create_background_task(
            self._async_report(), "open_hem demo S2 report"
        )

    async def _async_report(self) -> None:
        try:
            await self.control.async_report()
        except Exception as err:  # a closing session: the next connect reports anew
            _LOGGER.debug("Demo S2 battery: report failed (%s)", err)

    async def async_stop(self) -> None:
        """Disconnect and stop reconnecting."""
        self.control.cancel_pending()
        # Close the socket first: once it is closed nothing more reaches the endpoint.
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        for task in (self._report, self._task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._report = self._task = None
        await self._async_close()
