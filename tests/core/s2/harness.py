"""Real S2 sessions over localhost WebSockets: our CemSession on an aiohttp server, RMs built
from s2-python's own RM classes (``ResourceManagerHandler`` + ``S2AsyncConnection``) on an
aiohttp client through :class:`AiohttpMedium`, and a raw client for hand-written frames."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
from typing import Any
import uuid

import aiohttp
from aiohttp import web
from s2python.common import (
    Commodity,
    CommodityQuantity,
    Duration,
    InstructionStatus,
    InstructionStatusUpdate,
    PowerMeasurement,
    PowerValue,
    RevokeObject,
    Role,
    RoleType,
)
from s2python.connection.asset_details import AssetDetails
from s2python.connection.async_.connection import S2AsyncConnection
from s2python.connection.async_.control_type.class_based import ResourceManagerHandler

from open_hem_core.s2 import CemSession, SessionConfig
from open_hem_core.s2.transport import AiohttpMedium, run_session, session_for_websocket

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def wait_for(cond: Callable[[], Any], within: float = 5.0) -> None:
    """Poll ``cond`` until it is true (fails the test after ``within`` seconds)."""
    deadline = asyncio.get_running_loop().time() + within
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@dataclass
class CemServer:
    url: str
    sessions: list[CemSession] = field(default_factory=list)

    async def session(self, index: int = 0) -> CemSession:
        await wait_for(lambda: len(self.sessions) > index)
        return self.sessions[index]


@contextlib.asynccontextmanager
async def cem_server(**session_kwargs: Any) -> AsyncIterator[CemServer]:
    """The CEM: one CemSession per WebSocket at ``/s2``."""
    server = CemServer("")

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = session_for_websocket(ws, **session_kwargs)
        server.sessions.append(session)
        await run_session(ws, session)
        return ws

    app = web.Application()
    app.router.add_get("/s2", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}/s2"
    try:
        yield server
    finally:
        await runner.cleanup()


def asset(*control_types: Any, delay_ms: int = 0) -> AssetDetails:
    return AssetDetails(
        resource_id=uuid.uuid4(),
        provides_forecast=False,
        provides_power_measurements=[CommodityQuantity.ELECTRIC_POWER_L1],
        instruction_processing_delay=Duration(root=delay_ms),
        roles=[Role(role=RoleType.ENERGY_STORAGE, commodity=Commodity.ELECTRICITY)],
        name="test rm",
        manufacturer="s2-python",
    )


@dataclass
class RmRun:
    connection: S2AsyncConnection
    task: asyncio.Task[None]
    ws: aiohttp.ClientWebSocketResponse
    client: aiohttp.ClientSession

    async def stop(self) -> None:
        await self.connection.stop()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task
        await self.ws.close()
        await self.client.close()


async def start_rm(url: str, control_types: list[Any], delay_ms: int = 0) -> RmRun:
    """An s2-python RM connected to ``url``."""
    client = aiohttp.ClientSession()
    ws = await client.ws_connect(url)
    connection = S2AsyncConnection(AiohttpMedium(ws))
    handler = ResourceManagerHandler(control_types, asset(delay_ms=delay_ms))
    handler.register_handlers(connection)
    task = asyncio.get_running_loop().create_task(connection.run())
    return RmRun(connection, task, ws, client)


class RecordingMixin:
    """What every test control type records: instructions and revocations it received."""

    def _init_recording(self) -> None:
        self.instructions: list[Any] = []
        self.revoked: list[str] = []
        self.active = asyncio.Event()
        self.connection: S2AsyncConnection | None = None

    async def _on_revoke(self, connection: Any, msg: Any, send_okay: Any) -> None:
        self.revoked.append(str(msg.object_id))
        await send_okay()

    async def handle_instruction(self, connection: Any, msg: Any, send_okay: Any) -> None:
        self.instructions.append(msg)
        await send_okay()
        await connection.send_msg_and_await_reception_status(
            InstructionStatusUpdate(
                message_id=uuid.uuid4(),
                instruction_id=uuid.UUID(str(getattr(msg.id, "root", msg.id))),
                status_type=InstructionStatus.ACCEPTED,
                timestamp=datetime.now(UTC),
            )
        )

    async def send(self, message: Any) -> None:
        assert self.connection is not None
        await self.connection.send_msg_and_await_reception_status(message)

    async def _activate(self, connection: S2AsyncConnection, *messages: Any) -> None:
        self.connection = connection
        connection.register_handler(RevokeObject, self._on_revoke)
        for m in messages:
            await connection.send_msg_and_await_reception_status(m)
        await connection.send_msg_and_await_reception_status(
            PowerMeasurement(
                message_id=uuid.uuid4(),
                measurement_timestamp=datetime.now(UTC),
                values=[
                    PowerValue(commodity_quantity=CommodityQuantity.ELECTRIC_POWER_L1, value=42.0)
                ],
            )
        )
        self.active.set()

    async def deactivate(self, connection: S2AsyncConnection) -> None:
        return None


class RawRm:
    """A hand-written RM: sends frames as given and collects what the CEM sends."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, client: aiohttp.ClientSession) -> None:
        self.ws = ws
        self.client = client
        self.received: list[dict[str, Any]] = []
        self._task = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, url: str) -> RawRm:
        client = aiohttp.ClientSession()
        return cls(await client.ws_connect(url, max_msg_size=0), client)

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.received.append(json.loads(msg.data))

    async def send(self, frame: str | dict[str, Any]) -> None:
        await self.ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))

    def statuses(self, subject: str | None = None) -> list[dict[str, Any]]:
        return [
            m
            for m in self.received
            if m["message_type"] == "ReceptionStatus"
            and (subject is None or m["subject_message_id"] == subject)
        ]

    def of_type(self, message_type: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m["message_type"] == message_type]

    async def status_of(self, subject: str, within: float = 5.0) -> dict[str, Any]:
        await wait_for(lambda: self.statuses(subject), within)
        found = self.statuses(subject)
        assert len(found) == 1, found
        return found[0]

    async def ack_all(self) -> None:
        """Answer every message of the CEM's that is not yet answered with OK."""
        for m in list(self.received):
            if m["message_type"] != "ReceptionStatus" and not m.get("_acked"):
                m["_acked"] = True
                await self.send(
                    {
                        "message_type": "ReceptionStatus",
                        "subject_message_id": m["message_id"],
                        "status": "OK",
                    }
                )

    async def handshake(self, rm_id: str = "rm-handshake-1") -> None:
        """Handshake and ResourceManagerDetails (with OMBC/PEBC on offer)."""
        await self.send(
            {
                "message_type": "Handshake",
                "message_id": rm_id,
                "role": "RM",
                "supported_protocol_versions": ["0.0.2-beta"],
            }
        )
        await self.status_of(rm_id)
        await self.send(details("rm-details-1"))
        await self.status_of("rm-details-1")

    async def close(self) -> None:
        await self.ws.close()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.client.close()


def details(
    message_id: str, control_types: tuple[str, ...] = ("OPERATION_MODE_BASED_CONTROL",)
) -> dict[str, Any]:
    return {
        "message_type": "ResourceManagerDetails",
        "message_id": message_id,
        "resource_id": "heat-pump-1",
        "roles": [{"role": "ENERGY_CONSUMER", "commodity": "ELECTRICITY"}],
        "instruction_processing_delay": 0,
        "available_control_types": list(control_types),
        "provides_forecast": False,
        "provides_power_measurement_types": ["ELECTRIC.POWER.L1"],
    }


def fast_config(**overrides: Any) -> SessionConfig:
    base: dict[str, Any] = {
        "reception_timeout_s": 2.0,
        "timer_interval_s": 0.05,
    }
    base.update(overrides)
    return SessionConfig(**base)


def slots(n: int, start: datetime, minutes: int = 15) -> tuple[datetime, ...]:
    return tuple(start + timedelta(minutes=minutes * i) for i in range(n))
