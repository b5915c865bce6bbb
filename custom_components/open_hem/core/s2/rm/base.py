"""What every in-process resource manager shares: commands, the link to a CemSession, the RM.

An entity-backed device is an S2 resource manager that lives in the same process as the CEM:
it speaks S2 JSON to a real :class:`~..session.CemSession` over an :class:`InMemoryLink`, so
the CEM cannot tell it from a native device and a plan reaches every device the same way.

The RM side reads a plain state snapshot (one small dataclass per kind, set by the caller) and
sends the S2 messages that describe it (ResourceManagerDetails, the control type's system
description and statuses, PowerMeasurement), only when they change. Instructions it receives
become plain :data:`Command` s at their execution time, carried out by the caller's ``actuate``
(Home Assistant services); their fate goes back as InstructionStatusUpdates (ACCEPTED or
REJECTED at once, STARTED, then SUCCEEDED or ABORTED).

Signs and units are settled here once: S2 counts consumption positive (W); a command's power
is in S2's sign unless its name says otherwise (:class:`SetLimit` is a production limit, W,
positive; :class:`SetCurrent` amperes per phase).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
import logging
from typing import Any, ClassVar

from s2python.generated import gen_s2

from ..messages import Rejected, Status, encode, new_id, parse, reception_status, sid
from ..session import CemSession, Clock, SessionConfig

_LOGGER = logging.getLogger(__name__)

RM_VERSIONS = ("0.0.2-beta",)
FRBC = "FILL_RATE_BASED_CONTROL"
OMBC = "OPERATION_MODE_BASED_CONTROL"
PEBC = "POWER_ENVELOPE_BASED_CONTROL"
PPBC = "POWER_PROFILE_BASED_CONTROL"
NOT_CONTROLABLE = "NOT_CONTROLABLE"
L1 = "ELECTRIC.POWER.L1"
THREE_PHASE = "ELECTRIC.POWER.3_PHASE_SYMMETRIC"


# -- commands ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetPower:
    """Run at this power (W, S2 sign: + charging / consuming, - discharging)."""

    power_w: float


@dataclass(frozen=True, slots=True)
class SetCurrent:
    """Charge at this current per phase (A); 0 stops charging."""

    amps: float


@dataclass(frozen=True, slots=True)
class SetMode:
    """Switch to an operation mode ("on" / "off"), at ``power_w`` where it modulates."""

    mode: str
    power_w: float = 0.0


@dataclass(frozen=True, slots=True)
class SetLimit:
    """Limit production to ``power_w`` (W, >= 0); None lifts the limit."""

    power_w: float | None


@dataclass(frozen=True, slots=True)
class Start:
    """Start the programme (an appliance's remote start)."""


Command = SetPower | SetCurrent | SetMode | SetLimit | Start
Actuate = Callable[[Command], Awaitable[bool]]
"""Carry out a command; False when it failed (the instruction is then ABORTED)."""
Schedule = Callable[[datetime, Callable[[], None]], Callable[[], None]]
"""Call ``job`` at (or soon after) a wall time; returns a cancel function."""
Spawn = Callable[[Coroutine[Any, Any, None]], None]
"""Run a coroutine as its own task (Home Assistant: ``hass.async_create_task``)."""
Steps = list[tuple[datetime, Command]]


def default_spawn() -> Spawn:
    """Tasks on the running loop, kept referenced until done."""
    tasks: set[asyncio.Task[None]] = set()

    def spawn(coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return spawn


def loop_schedule(clock: Clock) -> Schedule:
    """A :data:`Schedule` on the running loop, timed by ``clock.now()``."""

    def schedule(at: datetime, job: Callable[[], None]) -> Callable[[], None]:
        delay = max(0.0, (at - clock.now()).total_seconds())
        handle = asyncio.get_running_loop().call_later(delay, job)
        return handle.cancel

    return schedule


def clip(value: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, value))


def power_range(lo: float, hi: float, cq: str) -> list[dict[str, Any]]:
    return [{"start_of_range": lo, "end_of_range": hi, "commodity_quantity": cq}]


def number_range(lo: float, hi: float) -> dict[str, float]:
    return {"start_of_range": lo, "end_of_range": hi}


# -- the resource manager ----------------------------------------------------------------


@dataclass
class _Job:
    """An accepted instruction and the steps still to carry out."""

    instruction_id: str
    steps: Steps
    index: int = 0
    started: bool = False
    cancel: Callable[[], None] | None = None
    done: bool = False


SendText = Callable[[str], Awaitable[None]]


class ResourceManager(ABC):
    """The RM side of one in-process S2 session (see the module docstring).

    Subclasses describe one device kind: which control types it offers for its state, the
    messages that describe it per control type, and the steps an instruction becomes.
    """

    role: ClassVar[str] = "ENERGY_CONSUMER"
    instruction_types: ClassVar[frozenset[str]] = frozenset()
    state: Any
    """The kind's state snapshot (set it, then :meth:`refresh`)."""

    def __init__(
        self,
        name: str,
        *,
        actuate: Actuate,
        clock: Clock,
        schedule: Schedule | None = None,
        spawn: Spawn | None = None,
        id_factory: Callable[[], str] = new_id,
        commodity_quantity: str = L1,
    ) -> None:
        self.name = name
        self.clock = clock
        self.new_id = id_factory
        self.commodity_quantity = commodity_quantity
        self.resource_id = id_factory()
        self._actuate = actuate
        self._schedule = schedule or loop_schedule(clock)
        self._spawn = spawn or default_spawn()
        self._send_fn: SendText | None = None
        self.control_type: str | None = None
        """The control type the CEM selected (None before, or after NO_SELECTION)."""
        self.controlled = True
        """False in manual/off mode or while unavailable: instructions are REJECTED."""
        self.closed = False
        self.instruction_status: dict[str, str] = {}
        """Instruction id -> the last status reported (for diagnostics and tests)."""
        self._jobs: dict[str, _Job] = {}
        self._offered: tuple[str, ...] | None = None
        self._sent: dict[str, Any] = {}
        self._ids: dict[str, str] = {}

    # -- what a kind describes -------------------------------------------------------

    @abstractmethod
    def control_types(self) -> tuple[str, ...]:
        """The control types offered for the present state (in preference order)."""

    @abstractmethod
    def messages(self, control_type: str) -> list[dict[str, Any]]:
        """The system description and statuses for ``control_type`` (without message ids)."""

    @abstractmethod
    def steps(self, message_type: str, message: Any) -> Steps | str:
        """What an instruction asks, as timed commands; a string is why it is refused."""

    def measurement_w(self) -> float | None:
        """The device's power now (W, S2 sign), if known."""
        return None

    def on_step_done(self, job_id: str, command: Command, ok: bool) -> None:  # noqa: B027
        """A command was carried out (or failed); kinds that track progress override this."""

    def object_id(self, name: str) -> str:
        """A stable id for one of the RM's objects (actuator, mode, constraints)."""
        if name not in self._ids:
            self._ids[name] = self.new_id()
        return self._ids[name]

    # -- the link --------------------------------------------------------------------

    def bind(self, send: SendText) -> None:
        """Frames for the CEM go to ``send``."""
        self._send_fn = send
        self.closed = False

    async def start(self) -> None:
        """The link is up: send the RM's Handshake."""
        self._offered = None
        self._sent.clear()
        self.control_type = None
        await self._send(
            {
                "message_type": "Handshake",
                "role": "RM",
                "supported_protocol_versions": list(RM_VERSIONS),
            }
        )

    def connection_closed(self) -> None:
        """The session ended: nothing more is sent, pending instructions are dropped."""
        self.closed = True
        self._cancel_jobs(None)

    async def _send(self, message: dict[str, Any]) -> None:
        if self._send_fn is None or self.closed:
            return
        message = {"message_id": self.new_id(), **message}
        model = getattr(gen_s2, message["message_type"].replace(".", ""))
        await self._send_fn(encode(model.model_validate(message)))

    async def _ack(
        self, subject: str, status: Status = Status.OK, label: str | None = None
    ) -> None:
        if self._send_fn is not None and not self.closed:
            await self._send_fn(reception_status(subject, status, label))

    # -- state -> S2 -----------------------------------------------------------------

    async def refresh(self, *, force: bool = False) -> None:
        """Send what changed since last time: details, descriptions, statuses, measurement."""
        if self._send_fn is None or self.closed:
            return
        offered = self.control_types()
        if self._offered is not None and offered != self._offered:
            await self._send_details()
            return  # the CEM selects again; the descriptions follow the selection
        if self.control_type not in (None, NOT_CONTROLABLE) and self._offered is not None:
            for message in self.messages(self.control_type):
                key = message["message_type"]
                if force or self._sent.get(key) != message:
                    self._sent[key] = message
                    await self._send(self._stamped(message))
        power = self.measurement_w()
        if (
            power is not None
            and self._offered is not None
            and (force or self._sent.get("PowerMeasurement") != round(power, 1))
        ):
            self._sent["PowerMeasurement"] = round(power, 1)
            await self._send(
                {
                    "message_type": "PowerMeasurement",
                    "measurement_timestamp": self.clock.now().isoformat(),
                    "values": [{"commodity_quantity": self.commodity_quantity, "value": power}],
                }
            )

    def _stamped(self, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("valid_from") == "now":
            return {**message, "valid_from": self.clock.now().isoformat()}
        return message

    async def _send_details(self) -> None:
        self._offered = self.control_types()
        self._sent.clear()
        if self.control_type not in (None, NOT_CONTROLABLE, *self._offered):
            # No longer offered: nothing of it is sent until the CEM selects again.
            self.control_type = None
        await self._send(
            {
                "message_type": "ResourceManagerDetails",
                "resource_id": self.resource_id,
                "name": self.name[:32],
                "manufacturer": "Open HEM",
                "model": f"entity-backed {type(self).__name__}",
                "roles": [{"role": self.role, "commodity": "ELECTRICITY"}],
                "instruction_processing_delay": 0,
                "available_control_types": list(self._offered),
                "provides_forecast": False,
                "provides_power_measurement_types": [self.commodity_quantity],
            }
        )

    # -- S2 -> RM --------------------------------------------------------------------

    async def receive(self, text: str) -> None:
        """One frame from the CEM; answered with a ReceptionStatus, never raises."""
        try:
            await self._receive(text)
        except Exception:
            _LOGGER.exception("%s: handling a CEM frame failed", self.name)

    async def _receive(self, text: str) -> None:
        parsed = parse(text)
        if isinstance(parsed, Rejected):
            if parsed.subject_id:
                await self._ack(parsed.subject_id, parsed.status, parsed.label)
            return
        t, msg = parsed.message_type, parsed.message
        if t == "ReceptionStatus":
            return
        message_id = parsed.message_id
        if t == "Handshake":
            await self._ack(message_id)
        elif t == "HandshakeResponse":
            await self._ack(message_id)
            await self._send_details()
        elif t == "SelectControlType":
            await self._ack(message_id)
            selected = str(getattr(msg.control_type, "value", msg.control_type))
            self.control_type = None if selected == "NO_SELECTION" else selected
            self._cancel_jobs("ABORTED")
            await self.refresh(force=True)
        elif t == "SessionRequest":
            await self._ack(message_id)
            self.connection_closed()
        elif t == "RevokeObject":
            await self._ack(message_id)
            await self._revoke(sid(msg.object_id))
        elif t in self.instruction_types and self.control_type is not None:
            await self._ack(message_id)
            await self._instruction(t, msg)
        else:
            await self._ack(message_id, Status.INVALID_CONTENT, f"{t} is not expected here")

    async def _status(self, instruction_id: str, status: str) -> None:
        self.instruction_status[instruction_id] = status
        await self._send(
            {
                "message_type": "InstructionStatusUpdate",
                "instruction_id": instruction_id,
                "status_type": status,
                "timestamp": self.clock.now().isoformat(),
            }
        )

    async def _instruction(self, message_type: str, msg: Any) -> None:
        instruction_id = sid(msg.id)
        if not self.controlled:
            _LOGGER.debug("%s: not under control, rejecting %s", self.name, message_type)
            await self._status(instruction_id, "REJECTED")
            return
        try:
            steps = self.steps(message_type, msg)
        except (ValueError, KeyError, TypeError) as err:
            steps = f"cannot read the instruction: {err}"
        if isinstance(steps, str):
            _LOGGER.debug("%s: rejecting %s: %s", self.name, message_type, steps)
            await self._status(instruction_id, "REJECTED")
            return
        job = _Job(instruction_id, sorted(steps, key=lambda s: s[0]))
        self._jobs[instruction_id] = job
        await self._status(instruction_id, "ACCEPTED")
        if not job.steps:
            await self._finish(job, "SUCCEEDED")
            return
        self._arm(job)

    def _arm(self, job: _Job) -> None:
        at = job.steps[job.index][0]
        if at <= self.clock.now():
            self._spawn(self._run(job))
        else:
            job.cancel = self._schedule(at, lambda: self._spawn(self._run(job)))

    async def _run(self, job: _Job) -> None:
        if job.done or self.closed:
            return
        job.cancel = None
        if not job.started:
            job.started = True
            # A newer instruction that starts supersedes one still running (envelopes).
            for other in list(self._jobs.values()):
                if other is not job and other.started and not other.done:
                    await self._finish(other, "SUCCEEDED")
            await self._status(job.instruction_id, "STARTED")
        command = job.steps[job.index][1]
        try:
            ok = await self._actuate(command)
        except Exception:
            _LOGGER.exception("%s: carrying out %s failed", self.name, command)
            ok = False
        self.on_step_done(job.instruction_id, command, ok)
        if self._jobs.get(job.instruction_id) is not job:
            return  # revoked or superseded while the command ran
        if not ok:
            await self._finish(job, "ABORTED")
            return
        job.index += 1
        if job.index >= len(job.steps):
            await self._finish(job, "SUCCEEDED")
        else:
            self._arm(job)

    async def _finish(self, job: _Job, status: str) -> None:
        job.done = True
        if job.cancel is not None:
            job.cancel()
            job.cancel = None
        self._jobs.pop(job.instruction_id, None)
        await self._status(job.instruction_id, status)

    async def _revoke(self, object_id: str) -> None:
        job = self._jobs.get(object_id)
        if job is not None and not job.done:
            await self._finish(job, "REVOKED")

    def _cancel_jobs(self, status: str | None) -> None:
        for job in list(self._jobs.values()):
            job.done = True
            if job.cancel is not None:
                job.cancel()
            self._jobs.pop(job.instruction_id, None)
            if status is not None:
                self.instruction_status[job.instruction_id] = status
                self._spawn(self._send_status_later(job.instruction_id, status))

    async def _send_status_later(self, instruction_id: str, status: str) -> None:
        await self._status(instruction_id, status)

    @property
    def pending_instructions(self) -> int:
        """Accepted instructions not yet finished."""
        return len(self._jobs)

    async def set_controlled(self, controlled: bool) -> None:
        """Take or give up control; giving it up aborts the accepted instructions."""
        if controlled == self.controlled:
            return
        self.controlled = controlled
        if not controlled:
            for job in list(self._jobs.values()):
                await self._finish(job, "ABORTED")


# -- the link ----------------------------------------------------------------------------


IN_PROCESS = SessionConfig(timer_interval_s=None, rate_per_s=1e9, rate_burst=1e9)
"""The session of an in-process RM: no timer and no rate limit. The RM is Open HEM's own
code, and a replan revokes and resends dozens of instructions at once; with the limit for
devices on the network its answers were dropped and the instructions stayed unanswered."""


@dataclass
class InMemoryLink:
    """A real CemSession and an in-process RM, each side's frames delivered in order.

    Every frame is delivered by its own task (``spawn``), one at a time per direction, so
    neither side ever runs inside the other's send.
    """

    rm: ResourceManager
    spawn: Spawn = field(default_factory=default_spawn)
    session_config: SessionConfig = field(default_factory=lambda: IN_PROCESS)
    clock: Clock | None = None
    session: CemSession = field(init=False)
    _to_rm: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)
    _to_cem: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.session = CemSession(
            self._send_to_rm,
            close=self._closed_by_cem,
            config=self.session_config,
            clock=self.clock,
        )
        self.rm.bind(self._send_to_cem)

    async def _send_to_rm(self, text: str) -> None:
        self.spawn(self._deliver(self._to_rm, self.rm.receive, text))

    async def _send_to_cem(self, text: str) -> None:
        self.spawn(self._deliver(self._to_cem, self.session.receive, text))

    @staticmethod
    async def _deliver(
        lock: asyncio.Lock, receive: Callable[[str], Awaitable[None]], text: str
    ) -> None:
        async with lock:
            await receive(text)

    async def _closed_by_cem(self, reason: str) -> None:
        self.rm.connection_closed()

    async def start(self) -> None:
        """Open the session: both sides send their Handshake."""
        await self.session.start()
        await self.rm.start()

    async def stop(self, reason: str = "stopped") -> None:
        """End the session (the RM is told, as a WebSocket peer would be)."""
        await self.session.close(reason, terminate=True)
        self.rm.connection_closed()


__all__ = [
    "FRBC",
    "L1",
    "NOT_CONTROLABLE",
    "OMBC",
    "PEBC",
    "PPBC",
    "THREE_PHASE",
    "Actuate",
    "Command",
    "InMemoryLink",
    "ResourceManager",
    "Schedule",
    "SetCurrent",
    "SetLimit",
    "SetMode",
    "SetPower",
    "Spawn",
    "Start",
    "Steps",
]
