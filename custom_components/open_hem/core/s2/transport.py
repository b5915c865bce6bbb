"""aiohttp WebSockets for S2: run a :class:`CemSession` on a socket, and s2-python's medium.

- :func:`session_for_websocket` + :func:`run_session` serve one RM on an open aiohttp
  WebSocket (server ``web.WebSocketResponse`` or client ``ClientWebSocketResponse``): frames
  go through a bounded queue to the session (a full queue answers TEMPORARY_ERROR), and the
  session's close request closes the socket.
- :class:`AiohttpMedium` is s2-python's ``S2AsyncMediumConnection`` over aiohttp, so
  s2-python's own ``S2AsyncConnection`` (for RMs: tests, simulators) runs without the
  ``websockets`` package that clashes with Home Assistant's pin.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import contextlib
import logging
from typing import Any

from aiohttp import ClientWebSocketResponse, WSCloseCode, WSMsgType, web
from s2python.connection.async_.medium.s2_medium import (
    MediumClosedConnectionError,
    S2AsyncMediumConnection,
)

from .session import CemSession

_LOGGER = logging.getLogger(__name__)

WebSocket = web.WebSocketResponse | ClientWebSocketResponse


def session_for_websocket(ws: WebSocket, **session_kwargs: Any) -> CemSession:
    """A CemSession that sends on ``ws`` and closes it when the session ends."""

    async def send(text: str) -> None:
        await ws.send_str(text)

    async def close(reason: str) -> None:
        await ws.close(code=WSCloseCode.GOING_AWAY, message=reason[:120].encode())

    return CemSession(send, close=close, **session_kwargs)


async def run_session(ws: WebSocket, session: CemSession, *, queue_size: int = 256) -> None:
    """Serve ``session`` on ``ws`` until either ends (never raises on peer input)."""
    queue: asyncio.Queue[str | bytes] = asyncio.Queue(queue_size)

    async def work() -> None:
        while True:
            frame = await queue.get()
            await session.receive(frame)

    worker = asyncio.get_running_loop().create_task(work())
    try:
        await session.start()
        async for msg in ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                try:
                    queue.put_nowait(msg.data)
                except asyncio.QueueFull:
                    await session.reject_busy(msg.data)
            elif msg.type == WSMsgType.ERROR:
                _LOGGER.debug("S2 websocket error: %s", ws.exception())
                break
            if session.closed:
                break
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        session.connection_lost("websocket closed")
        if not ws.closed:
            await ws.close()


class AiohttpMedium(S2AsyncMediumConnection):
    """s2-python's medium over an aiohttp WebSocket (either end)."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws

    async def is_connected(self) -> bool:
        return not self._ws.closed

    async def messages(self) -> AsyncGenerator[str | bytes]:
        async for msg in self._ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                yield msg.data
            elif msg.type == WSMsgType.ERROR:
                raise MediumClosedConnectionError(str(self._ws.exception()))
        raise MediumClosedConnectionError("websocket closed")

    async def send(self, message: str) -> None:
        if self._ws.closed:
            raise MediumClosedConnectionError("websocket closed")
        await self._ws.send_str(message)
