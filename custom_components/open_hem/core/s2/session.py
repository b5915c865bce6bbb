"""One S2 session, CEM side: a transport-agnostic state machine.

Feed it every received frame (``await session.receive(text)``); it sends through the async
``send(text)`` it was given and asks the transport to close through ``close(reason)``. Nothing
a peer sends raises out of it: every received message (except a ReceptionStatus) gets exactly
one ReceptionStatus, and one bad, unknown or out-of-order message never ends the session.

Flow: :meth:`CemSession.start` sends the CEM's Handshake; the RM's Handshake is answered
with a HandshakeResponse (the best common version); ResourceManagerDetails select the best
control type the RM offers (``SessionConfig.control_type_preference`` or
:meth:`CemSession.select_control_type`); the active control type's handler
(``control/``) keeps the RM's system description and statuses; :meth:`CemSession.apply_plan`
turns a plan into instructions and keeps them in step with the RM (revoke and resend on a new
system description, a drifting status or a new plan).

Everything the CEM sends waits for its ReceptionStatus (``reception_timeout_s``), is resent
up to ``max_retries`` times, and a peer that never answers gets a SessionRequest(RECONNECT)
and a close request to the transport. Timeouts are driven by :meth:`CemSession.check_timeouts`
(a background task started by :meth:`start`, or called directly with a fake clock in tests).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import logging
import time
from typing import Any, Protocol

from s2python.generated import gen_s2

from .control import HANDLERS
from .control.base import ControlHandler, Draft, Outcome, PlanContext, invalid
from .messages import (
    CEM_SENT_TYPES,
    Parsed,
    Rejected,
    Status,
    encode,
    message_id_in_text,
    new_id,
    parse,
    reception_status,
    sid,
)
from .units import duration_ms

_LOGGER = logging.getLogger(__name__)

ControlType = gen_s2.ControlType

DEFAULT_PREFERENCE: tuple[ControlType, ...] = (
    ControlType.FILL_RATE_BASED_CONTROL,
    ControlType.DEMAND_DRIVEN_BASED_CONTROL,
    ControlType.OPERATION_MODE_BASED_CONTROL,
    ControlType.POWER_PROFILE_BASED_CONTROL,
    ControlType.POWER_ENVELOPE_BASED_CONTROL,
    ControlType.NOT_CONTROLABLE,
)
"""FRBC > DDBC > OMBC > PPBC > PEBC > NOT_CONTROLABLE."""


class Clock(Protocol):
    """Time for a session: monotonic seconds for timeouts, aware wall time for messages."""

    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class SessionConfig:
    """Limits and choices of a session (defaults suit a home)."""

    supported_versions: tuple[str, ...] = ("v1", "0.0.2-beta")
    """Protocol versions in order of preference (``v0.0.2-beta`` = ``0.0.2-beta``)."""
    control_type_preference: tuple[ControlType, ...] = DEFAULT_PREFERENCE
    max_frame_bytes: int = 256 * 1024
    rate_per_s: float = 50.0
    """Sustained received messages per second; more get TEMPORARY_ERROR."""
    rate_burst: float = 200.0
    reception_timeout_s: float = 15.0
    max_retries: int = 2
    max_pending: int = 256
    """Messages awaiting a ReceptionStatus at once; more wait in the outbox."""
    max_outbox: int = 4096
    """Messages waiting for room in the pending table; more means the peer is stuck
    (reconnect)."""
    handshake_timeout_s: float = 30.0
    """From start to the RM's ResourceManagerDetails."""
    timer_interval_s: float | None = 1.0
    """How often :meth:`CemSession.check_timeouts` runs by itself; None: never."""
    max_instructions_kept: int = 2000
    max_forecast_elements: int = 1000


class SessionState(StrEnum):
    """Where a session is."""

    NEW = "new"
    HANDSHAKE = "handshake"
    """Our Handshake sent; waiting for the RM's."""
    DETAILS = "details"
    """Version agreed; waiting for ResourceManagerDetails."""
    CONNECTED = "connected"
    """RM details known; no control type active (yet, or NOT_CONTROLABLE)."""
    ACTIVE = "active"
    """A control type is active."""
    CLOSED = "closed"


class EventKind(StrEnum):
    """What a listener is told about (``SessionEvent.data`` in brackets)."""

    STATE = "state"  # (SessionState)
    RM_DETAILS = "rm_details"  # (RmDetails)
    CONTROL_TYPE = "control_type"  # (ControlType | None)
    MEASUREMENT = "measurement"  # (dict[str, Measurement])
    FORECAST = "forecast"  # (PowerForecast model)
    SYSTEM_DESCRIPTION = "system_description"  # (message type; the handler holds it)
    STATUS = "status"  # (message type): a control-type status, forecast or target taken
    MODEL_CHANGED = "model_changed"  # (message type): the planner should replan
    REPLAN = "replan"  # (reason): a status drifted from the plan
    INSTRUCTION_STATUS = "instruction_status"  # (InstructionRecord)
    REJECTED = "rejected"  # (dict): the RM refused a message of ours
    CLOSED = "closed"  # (reason)


@dataclass(frozen=True, slots=True)
class SessionEvent:
    kind: EventKind
    data: Any = None


@dataclass(frozen=True)
class RmDetails:
    """The RM's ResourceManagerDetails, as plain values."""

    resource_id: str
    name: str | None
    manufacturer: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    roles: tuple[tuple[str, str], ...]
    """(role, commodity) pairs, e.g. ("ENERGY_STORAGE", "ELECTRICITY")."""
    available_control_types: tuple[ControlType, ...]
    provides_forecast: bool
    provides_power_measurement_types: tuple[str, ...]
    instruction_processing_delay: timedelta
    currency: str | None

    @classmethod
    def of(cls, msg: Any) -> RmDetails:
        def value(x: Any) -> Any:
            return getattr(x, "value", x)

        return cls(
            resource_id=sid(msg.resource_id),
            name=msg.name,
            manufacturer=msg.manufacturer,
            model=msg.model,
            serial_number=msg.serial_number,
            firmware_version=msg.firmware_version,
            roles=tuple((value(r.role), value(r.commodity)) for r in msg.roles),
            available_control_types=tuple(
                ControlType(value(c)) for c in msg.available_control_types
            ),
            provides_forecast=bool(msg.provides_forecast),
            provides_power_measurement_types=tuple(
                value(c) for c in msg.provides_power_measurement_types
            ),
            instruction_processing_delay=timedelta(
                milliseconds=duration_ms(msg.instruction_processing_delay)
            ),
            currency=None if msg.currency is None else value(msg.currency),
        )


@dataclass(frozen=True, slots=True)
class Measurement:
    value_w: float
    timestamp: datetime


@dataclass
class InstructionRecord:
    """An instruction the CEM sent and what became of it.

    ``status``: ``SENT``, ``RECEIVED`` (ReceptionStatus OK), ``NOT_RECEIVED`` (the RM refused
    it), ``REVOKE_SENT``, or an S2 InstructionStatus (ACCEPTED, STARTED, ...).
    """

    instruction_id: str
    object_type: str
    execution_time: datetime
    key: tuple[Any, ...]
    status: str = "SENT"
    updated: datetime | None = None

    @property
    def final(self) -> bool:
        return self.status in {
            "NOT_RECEIVED",
            "REVOKE_SENT",
            "REVOKED",
            "REJECTED",
            "SUCCEEDED",
            "ABORTED",
        }


@dataclass
class _Pending:
    message_type: str
    text: str
    deadline: float
    attempts: int = 1
    on_status: Callable[[Status, str | None], None] | None = None


@dataclass
class _Bucket:
    rate: float
    burst: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def _normal_version(version: str) -> str:
    v = version.strip().lower().removeprefix("v")
    parts = v.split("-", 1)
    nums = parts[0].split(".")
    while len(nums) > 1 and nums[-1] == "0":
        nums.pop()
    return ".".join(nums) + ("-" + parts[1] if len(parts) > 1 else "")


_DESCRIPTIONS = frozenset(
    {
        "FRBC.SystemDescription",
        "OMBC.SystemDescription",
        "DDBC.SystemDescription",
        "PEBC.PowerConstraints",
        "PPBC.PowerProfileDefinition",
    }
)

SendFn = Callable[[str], Awaitable[None]]
CloseFn = Callable[[str], Awaitable[None]]
Listener = Callable[[SessionEvent], None]


@dataclass
class SessionStats:
    received: int = 0
    sent: int = 0
    rejected: int = 0
    rate_limited: int = 0
    oversized: int = 0
    retries: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


class CemSession:
    """The CEM side of one S2 connection (see the module docstring)."""

    def __init__(
        self,
        send: SendFn,
        *,
        close: CloseFn | None = None,
        config: SessionConfig | None = None,
        clock: Clock | None = None,
        id_factory: Callable[[], str] = new_id,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._send_fn = send
        self._close_fn = close
        self.config = config or SessionConfig()
        self.clock: Clock = clock or SystemClock()
        self._new_id = id_factory
        self._sleep = sleep
        self.state = SessionState.NEW
        self.selected_version: str | None = None
        self.rm_details: RmDetails | None = None
        self.active_control_type: ControlType | None = None
        self.control: ControlHandler | None = None
        self.measurements: dict[str, Measurement] = {}
        self.power_forecast: Any = None
        self.instructions: OrderedDict[str, InstructionRecord] = OrderedDict()
        self.close_reason: str | None = None
        self.stats = SessionStats()
        self._preference = tuple(self.config.control_type_preference)
        self._chosen: ControlType | None = None
        self._plan: Any = None
        self._handled = 0
        """Counts up before and after each control-type message is handled (odd while one
        is): prepared drafts are current while it is even and unchanged."""
        self._listeners: list[Listener] = []
        self._pending: dict[str, _Pending] = {}
        self._outbox: deque[tuple[str, _Pending]] = deque()
        self._bucket = _Bucket(
            self.config.rate_per_s,
            self.config.rate_burst,
            self.config.rate_burst,
            self.clock.monotonic(),
        )
        self._started_at = self.clock.monotonic()
        self._lock = asyncio.Lock()
        self._timer_task: asyncio.Task[None] | None = None
        self._rm_handshake = False

    # -- observers -------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` on every change; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, kind: EventKind, data: Any = None) -> None:
        event = SessionEvent(kind, data)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                _LOGGER.exception("S2 session listener failed on %s", kind)

    def _set_state(self, state: SessionState) -> None:
        if state != self.state:
            self.state = state
            self._emit(EventKind.STATE, state)

    @property
    def closed(self) -> bool:
        return self.state is SessionState.CLOSED

    @property
    def pending_count(self) -> int:
        """Messages sent or queued that have no ReceptionStatus yet."""
        return len(self._pending) + len(self._outbox)

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """The socket is open: send the CEM's Handshake (and start the timeout timer)."""
        if self.state is not SessionState.NEW:
            return
        self._started_at = self.clock.monotonic()
        self._set_state(SessionState.HANDSHAKE)
        await self._send_tracked(
            gen_s2.Handshake(
                message_id=self._new_id(),
                role=gen_s2.EnergyManagementRole.CEM,
                supported_protocol_versions=list(self.config.supported_versions),
            )
        )
        if self.config.timer_interval_s is not None and self._timer_task is None:
            self._timer_task = asyncio.get_running_loop().create_task(self._run_timer())

    async def _run_timer(self) -> None:
        interval = self.config.timer_interval_s or 1.0
        while not self.closed:
            await self._sleep(interval)
            await self.check_timeouts()

    async def close(self, reason: str = "closed by the CEM", *, terminate: bool = False) -> None:
        """End the session: optionally tell the RM (SessionRequest TERMINATE), then close."""
        if self.closed:
            return
        if terminate:
            await self._send_untracked(
                gen_s2.SessionRequest(
                    message_id=self._new_id(),
                    request=gen_s2.SessionRequestType.TERMINATE,
                    diagnostic_label=reason[:200],
                )
            )
        await self._close(reason)

    def connection_lost(self, reason: str = "connection lost") -> None:
        """The transport is gone (nothing more can be sent)."""
        if not self.closed:
            self._finish(reason)

    def _finish(self, reason: str) -> None:
        self.close_reason = reason
        self._pending.clear()
        self._outbox.clear()
        self._set_state(SessionState.CLOSED)
        if self._timer_task is not None and self._timer_task is not asyncio.current_task():
            self._timer_task.cancel()
        self._timer_task = None
        self._emit(EventKind.CLOSED, reason)

    async def _close(self, reason: str) -> None:
        if self.closed:
            return
        self._finish(reason)
        if self._close_fn is not None:
            try:
                await self._close_fn(reason)
            except Exception:
                _LOGGER.exception("S2 transport close failed")

    async def _request_reconnect(self, reason: str) -> None:
        _LOGGER.warning("S2 session: %s; asking the RM to reconnect", reason)
        await self._send_untracked(
            gen_s2.SessionRequest(
                message_id=self._new_id(),
                request=gen_s2.SessionRequestType.RECONNECT,
                diagnostic_label=reason[:200],
            )
        )
        await self._close(reason)

    # -- sending ---------------------------------------------------------------------

    async def _write(self, text: str) -> bool:
        if self.closed:
            return False
        try:
            async with self._lock:
                await self._send_fn(text)
        except Exception as err:
            _LOGGER.debug("S2 send failed: %s", err)
            self._finish(f"send failed: {err}")
            return False
        self.stats.sent += 1
        return True

    async def _send_untracked(self, message: Any) -> bool:
        return await self._write(encode(message))

    async def _send_tracked(
        self,
        message: Any,
        on_status: Callable[[Status, str | None], None] | None = None,
    ) -> bool:
        pending = _Pending(message.message_type, encode(message), 0.0, on_status=on_status)
        message_id = sid(message.message_id)
        if len(self._pending) >= self.config.max_pending or self._outbox:
            if len(self._outbox) >= self.config.max_outbox:
                await self._request_reconnect(
                    f"{len(self._pending) + len(self._outbox)} messages without a ReceptionStatus"
                )
                return False
            self._outbox.append((message_id, pending))
            return True
        return await self._send_pending(message_id, pending)

    async def _send_pending(self, message_id: str, pending: _Pending) -> bool:
        pending.deadline = self.clock.monotonic() + self.config.reception_timeout_s
        self._pending[message_id] = pending
        return await self._write(pending.text)

    async def _flush_outbox(self) -> None:
        while self._outbox and len(self._pending) < self.config.max_pending and not self.closed:
            message_id, pending = self._outbox.popleft()
            if not await self._send_pending(message_id, pending):
                return

    async def check_timeouts(self) -> None:
        """Resend messages whose ReceptionStatus is late; reconnect when retries run out."""
        if self.closed:
            return
        try:
            now = self.clock.monotonic()
            if (
                self.state in {SessionState.HANDSHAKE, SessionState.DETAILS}
                and now - self._started_at > self.config.handshake_timeout_s
            ):
                await self._request_reconnect("no handshake and ResourceManagerDetails in time")
                return
            for message_id, pending in list(self._pending.items()):
                if pending.deadline > now or self._pending.get(message_id) is not pending:
                    continue
                if pending.attempts > self.config.max_retries:
                    await self._request_reconnect(
                        f"no ReceptionStatus for {pending.message_type} {message_id}"
                    )
                    return
                pending.attempts += 1
                pending.deadline = now + self.config.reception_timeout_s
                self.stats.retries += 1
                if not await self._write(pending.text):
                    return
        except Exception:
            _LOGGER.exception("S2 session timeout check failed")

    # -- receiving -------------------------------------------------------------------

    async def receive(self, frame: str | bytes) -> None:
        """Take one received frame (text); answers it and never raises."""
        if self.closed:
            return
        try:
            await self._receive(frame)
        except Exception:
            _LOGGER.exception("S2 session failed on a received frame")

    async def reject_busy(self, frame: str | bytes) -> None:
        """Answer a frame the transport could not queue (TEMPORARY_ERROR)."""
        text = frame if isinstance(frame, str) else frame[:4096].decode("utf-8", "replace")
        await self._answer(message_id_in_text(text), Status.TEMPORARY_ERROR, "receive queue full")

    async def _answer(self, subject: str, status: Status, label: str | None = None) -> None:
        self.stats.by_status[status.value] = self.stats.by_status.get(status.value, 0) + 1
        if status is not Status.OK:
            self.stats.rejected += 1
            _LOGGER.debug("S2: answering %s with %s (%s)", subject, status.value, label)
        await self._write(reception_status(subject, status, label))

    async def _receive(self, frame: str | bytes) -> None:
        self.stats.received += 1
        if len(frame) > self.config.max_frame_bytes:
            self.stats.oversized += 1
            text = frame if isinstance(frame, str) else frame[:4096].decode("utf-8", "replace")
            await self._answer(
                message_id_in_text(text),
                Status.INVALID_DATA,
                f"frame of {len(frame)} bytes is over the limit of {self.config.max_frame_bytes}",
            )
            return
        if not self._bucket.take(self.clock.monotonic()):
            self.stats.rate_limited += 1
            text = frame if isinstance(frame, str) else frame[:4096].decode("utf-8", "replace")
            if '"ReceptionStatus"' in text[:200] and '"message_id"' not in text:
                return  # a ReceptionStatus is never answered
            await self._answer(
                message_id_in_text(text), Status.TEMPORARY_ERROR, "rate limit: too many messages"
            )
            return
        parsed = parse(frame)
        if isinstance(parsed, Rejected):
            if parsed.subject_id == "":  # a broken ReceptionStatus: never answered
                _LOGGER.debug("S2: dropping a malformed ReceptionStatus: %s", parsed.label)
                return
            await self._answer(parsed.subject_id, parsed.status, parsed.label)
            return
        if parsed.message_type == "ReceptionStatus":
            self._on_reception_status(parsed.message)
            await self._flush_outbox()
            return
        if self.state is SessionState.NEW:
            await self.start()
        followups: list[Callable[[], Awaitable[object]]] = []
        try:
            outcome = self._dispatch(parsed, followups)
        except Exception as err:
            _LOGGER.exception("S2: handling %s failed", parsed.message_type)
            outcome = Outcome(Status.TEMPORARY_ERROR, f"CEM error: {type(err).__name__}")
            followups.clear()
        await self._answer(parsed.message_id, outcome.status, outcome.label)
        if outcome.ok:
            if outcome.model_changed:
                self._emit(EventKind.MODEL_CHANGED, parsed.message_type)
            for followup in followups:
                if self.closed:
                    break
                await followup()

    def _on_reception_status(self, msg: Any) -> None:
        subject = sid(msg.subject_message_id)
        pending = self._pending.pop(subject, None)
        if pending is None:
            _LOGGER.debug("S2: ReceptionStatus for unknown or settled message %s", subject)
            return
        status = Status(getattr(msg.status, "value", msg.status))
        if status is Status.TEMPORARY_ERROR and pending.attempts <= self.config.max_retries:
            pending.attempts += 1
            pending.deadline = self.clock.monotonic()  # resent by the next check
            self._pending[subject] = pending
            return
        if status is not Status.OK:
            self._emit(
                EventKind.REJECTED,
                {
                    "message_type": pending.message_type,
                    "message_id": subject,
                    "status": status.value,
                    "label": msg.diagnostic_label,
                },
            )
        if pending.on_status is not None:
            try:
                pending.on_status(status, msg.diagnostic_label)
            except Exception:
                _LOGGER.exception("S2: reception-status callback failed")
        if status is Status.PERMANENT_ERROR:
            asyncio.get_running_loop().create_task(
                self._close(f"PERMANENT_ERROR on {pending.message_type}")
            )

    # -- dispatch --------------------------------------------------------------------

    def _dispatch(
        self, parsed: Parsed, followups: list[Callable[[], Awaitable[object]]]
    ) -> Outcome:
        t = parsed.message_type
        msg = parsed.message
        if t == "Handshake":
            return self._on_handshake(msg, followups)
        if t in CEM_SENT_TYPES:
            return invalid(f"{t} is sent by a CEM, not by a resource manager")
        if self.state in {SessionState.NEW, SessionState.HANDSHAKE}:
            return invalid(f"out of order: {t} before the RM's Handshake")
        if t == "SessionRequest":
            request = getattr(msg.request, "value", msg.request)
            reason = f"RM asked to {request.lower()}: {msg.diagnostic_label or ''}".strip(": ")
            followups.append(lambda: self._close(reason))
            return Outcome()
        if t == "ResourceManagerDetails":
            return self._on_details(msg, followups)
        if t == "PowerMeasurement":
            for v in msg.values:
                cq = getattr(v.commodity_quantity, "value", v.commodity_quantity)
                self.measurements[cq] = Measurement(float(v.value), msg.measurement_timestamp)
            self._emit(EventKind.MEASUREMENT, dict(self.measurements))
            return Outcome()
        if t == "PowerForecast":
            if sum(1 for _ in msg.elements) > self.config.max_forecast_elements:
                return invalid("PowerForecast has too many elements")
            self.power_forecast = msg
            self._emit(EventKind.FORECAST, msg)
            return Outcome(model_changed=True)
        if self.state is SessionState.DETAILS:
            return invalid(f"out of order: {t} before ResourceManagerDetails")
        if t == "InstructionStatusUpdate":
            return self._on_instruction_status(msg)
        if t == "RevokeObject":
            return self._on_revoke(msg)
        control = self.control
        if control is None or not t.startswith(control.prefix):
            active = "no control type" if control is None else control.prefix.rstrip(".")
            return invalid(f"out of order: {t} while {active} is active")
        self._handled += 1
        try:
            outcome = control.handle(t, msg)
        finally:
            self._handled += 1
        if outcome.ok:
            self._emit(EventKind.SYSTEM_DESCRIPTION if t in _DESCRIPTIONS else EventKind.STATUS, t)
        if outcome.ok and outcome.resend:
            # A new system description may void what the RM holds: always revoke and resend.
            followups.append(lambda: self._sync_instructions("new " + t, force=True))
        elif outcome.ok and self._plan is not None and control.drift(self._plan, self.clock.now()):
            self._emit(EventKind.REPLAN, f"{t} drifted from the plan")
            followups.append(lambda: self._sync_instructions(f"{t} drifted from the plan"))
        return outcome

    def _on_handshake(self, msg: Any, followups: list[Callable[[], Awaitable[object]]]) -> Outcome:
        role = getattr(msg.role, "value", msg.role)
        if role != "RM":
            return invalid(f"a {role} cannot be the peer of a CEM")
        offered = list(msg.supported_protocol_versions or ["0.0.2-beta"])
        by_normal = {_normal_version(v): v for v in offered}
        chosen = next(
            (
                by_normal[_normal_version(v)]
                for v in self.config.supported_versions
                if _normal_version(v) in by_normal
            ),
            None,
        )
        if chosen is None:
            return invalid(
                f"no common protocol version: RM offers {offered[:10]}, "
                f"CEM supports {list(self.config.supported_versions)}"
            )
        self.selected_version = chosen
        self._rm_handshake = True
        if self.state in {SessionState.NEW, SessionState.HANDSHAKE}:
            self._set_state(SessionState.DETAILS)

        async def respond() -> None:
            await self._send_tracked(
                gen_s2.HandshakeResponse(
                    message_id=self._new_id(), selected_protocol_version=chosen
                )
            )

        followups.append(respond)
        return Outcome()

    def _on_details(self, msg: Any, followups: list[Callable[[], Awaitable[object]]]) -> Outcome:
        details = RmDetails.of(msg)  # the schema guarantees >= 1 control type
        self.rm_details = details
        if self.state is SessionState.DETAILS:
            self._set_state(SessionState.CONNECTED)
        self._emit(EventKind.RM_DETAILS, details)
        wanted = self._wanted_control_type()
        if wanted != self.active_control_type:
            followups.append(lambda: self._activate(wanted))
        return Outcome()

    def _wanted_control_type(self) -> ControlType | None:
        if self.rm_details is None:
            return None
        offered = self.rm_details.available_control_types
        if self._chosen is not None and self._chosen in offered:
            return self._chosen
        return next((c for c in self._preference if c in offered), None)

    def _on_instruction_status(self, msg: Any) -> Outcome:
        instruction_id = sid(msg.instruction_id)
        record = self.instructions.get(instruction_id)
        if record is None:
            return invalid(f"unknown instruction {instruction_id}")
        record.status = getattr(msg.status_type, "value", msg.status_type)
        record.updated = msg.timestamp
        self._emit(EventKind.INSTRUCTION_STATUS, replace(record))
        return Outcome()

    def _on_revoke(self, msg: Any) -> Outcome:
        object_type = getattr(msg.object_type, "value", msg.object_type)
        object_id = sid(msg.object_id)
        if self.control is None or not object_type.startswith(self.control.prefix):
            return invalid(f"cannot revoke {object_type} while it is not the active control type")
        record = self.instructions.get(object_id)
        if record is not None and record.object_type == object_type:
            record.status = "REVOKED"
            self._emit(EventKind.INSTRUCTION_STATUS, replace(record))
            return Outcome()
        return self.control.revoke(object_type, object_id)

    # -- control types -----------------------------------------------------------------

    async def select_control_type(self, control_type: ControlType | str | None) -> bool:
        """Use ``control_type`` for this RM (None: back to the preference order).

        Returns whether it is now active (False if the RM does not offer it yet: it is
        remembered and used once the RM does)."""
        self._chosen = None if control_type is None else ControlType(control_type)
        wanted = self._wanted_control_type()
        if wanted is not None and wanted != self.active_control_type and not self.closed:
            await self._activate(wanted)
        return self._chosen is None or self.active_control_type == self._chosen

    def set_control_type_preference(self, preference: Sequence[ControlType | str]) -> None:
        """The order in which control types are preferred from now on."""
        self._preference = tuple(ControlType(c) for c in preference)

    async def _activate(self, control_type: ControlType | None) -> None:
        if control_type is None or self.closed:
            return
        handler_class = HANDLERS.get(control_type)
        self.active_control_type = control_type
        self.control = None if handler_class is None else handler_class()

        def on_status(status: Status, label: str | None) -> None:
            if status is not Status.OK and self.active_control_type == control_type:
                self.active_control_type = None
                self.control = None
                self._set_state(SessionState.CONNECTED)
                self._emit(EventKind.CONTROL_TYPE, None)

        self._set_state(SessionState.ACTIVE if self.control is not None else SessionState.CONNECTED)
        self._emit(EventKind.CONTROL_TYPE, control_type)
        await self._send_tracked(
            gen_s2.SelectControlType(message_id=self._new_id(), control_type=control_type),
            on_status,
        )

    # -- plans -> instructions ---------------------------------------------------------

    async def apply_plan(self, plan: Any, prepared: PreparedPlan | None = None) -> list[str]:
        """Carry out ``plan`` (a ``PowerPlan``, or a PPBC ``ProfileSchedule``) from now on.

        Future instructions that differ are revoked and the new ones sent; the plan is kept,
        so a new system description or a drifting status re-sends it. Returns the ids of the
        instructions sent now (empty if the RM is not ready: they follow when it is).
        ``prepared``: the drafts :meth:`prepare_plan` made for this plan, used while still
        current (else they are made again here)."""
        self._plan = plan
        return await self._sync_instructions("new plan", prepared=prepared)

    def prepare_plan(self, plan: Any) -> PreparedPlan | None:
        """The instructions for ``plan`` as of now, without sending anything or changing the
        session: safe to run in a worker thread (it only reads), so the per-slot work stays
        off the event loop. :meth:`apply_plan` uses them only if no control-type message
        arrived since and they are at most ``PREPARED_MAX_AGE`` old."""
        control, handled = self.control, self._handled
        if control is None or self.closed or not control.ready:
            return None
        ctx = self._plan_context()
        try:
            drafts = control.instructions(plan, ctx)
        except Exception:
            return None  # apply_plan tries again on the loop (and logs)
        return PreparedPlan(plan, control, self.rm_details, handled, ctx, drafts)

    def _current_drafts(
        self, prepared: PreparedPlan | None
    ) -> tuple[PlanContext, list[Draft]] | None:
        if (
            prepared is None
            or prepared.plan is not self._plan
            or prepared.control is not self.control
            or prepared.rm_details is not self.rm_details
            or prepared.handled != self._handled
            or prepared.handled % 2
            or self.clock.now() - prepared.ctx.now > PREPARED_MAX_AGE
        ):
            return None
        return prepared.ctx, prepared.drafts

    def _plan_context(self) -> PlanContext:
        now = self.clock.now()
        delay = (
            self.rm_details.instruction_processing_delay
            if self.rm_details is not None
            else timedelta(0)
        )
        return PlanContext(now=now, earliest=now + delay, new_id=self._new_id)

    async def _sync_instructions(
        self, reason: str, *, force: bool = False, prepared: PreparedPlan | None = None
    ) -> list[str]:
        control = self.control
        if control is None or self._plan is None or self.closed or not control.ready:
            return []
        if (current := self._current_drafts(prepared)) is not None:
            ctx, drafts = current
        else:
            ctx = self._plan_context()
            try:
                drafts = control.instructions(self._plan, ctx)
            except Exception:
                _LOGGER.exception(
                    "S2: turning the plan into %s instructions failed", control.prefix
                )
                return []
        future = [
            r
            for r in self.instructions.values()
            if r.object_type in control.instruction_types
            and not r.final
            and r.execution_time >= ctx.earliest
        ]
        if force:
            revoke, send = future, drafts
        else:
            # Only what changed: an instruction says the whole state from its execution time
            # on, so one the new plan repeats (same time, mode, factor) stays as it is.
            # (Keys are tuples of ids, times and factors: compared and hashed as they are.)
            wanted = {d.key for d in drafts}
            kept: set[tuple[Any, ...]] = set()
            revoke = []
            for record in future:
                if record.key in wanted and record.key not in kept:
                    kept.add(record.key)
                else:
                    revoke.append(record)
            send = [d for d in drafts if d.key not in kept]
            if not revoke and not send:
                return []
        _LOGGER.debug(
            "S2: %s: revoking %d, sending %d instructions", reason, len(revoke), len(send)
        )
        for record in revoke:
            record.status = "REVOKE_SENT"
            if not await self._send_tracked(
                gen_s2.RevokeObject(
                    message_id=self._new_id(),
                    object_type=record.object_type,
                    object_id=record.instruction_id,
                )
            ):
                return []
        sent: list[str] = []
        for draft in send:
            if not await self._send_instruction(draft):
                break
            sent.append(draft.instruction_id)
        return sent

    async def _send_instruction(self, draft: Draft) -> bool:
        record = InstructionRecord(
            draft.instruction_id, draft.object_type, draft.execution_time, draft.key
        )
        self.instructions[draft.instruction_id] = record
        while len(self.instructions) > self.config.max_instructions_kept:
            self.instructions.popitem(last=False)

        def on_status(status: Status, label: str | None) -> None:
            if record.status == "SENT":
                record.status = "RECEIVED" if status is Status.OK else "NOT_RECEIVED"
                self._emit(EventKind.INSTRUCTION_STATUS, replace(record))

        return await self._send_tracked(draft.message, on_status)

    # -- snapshot ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The session's state as plain values (diagnostics, entities)."""
        d = self.rm_details
        return {
            "state": self.state.value,
            "version": self.selected_version,
            "resource_id": None if d is None else d.resource_id,
            "name": None if d is None else d.name,
            "control_type": None
            if self.active_control_type is None
            else self.active_control_type.value,
            "control": None if self.control is None else self.control.snapshot(),
            "measurements": {k: m.value_w for k, m in self.measurements.items()},
            "pending": len(self._pending),
            "instructions": {i: r.status for i, r in list(self.instructions.items())[-20:]},
            "close_reason": self.close_reason,
        }


PREPARED_MAX_AGE = timedelta(seconds=1)
"""How old prepared drafts may be when applied: their first instruction executes at the
time they were made + the RM's processing delay, which must not lie noticeably in the past."""


@dataclass(frozen=True)
class PreparedPlan:
    """Drafts made for a plan off the event loop (:meth:`CemSession.prepare_plan`), with what
    they were made from."""

    plan: Any
    control: ControlHandler
    rm_details: Any
    handled: int
    ctx: PlanContext
    drafts: list[Draft]
