"""CemSession without a socket: an in-memory send, a fake clock, timeouts driven by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

from open_hem_core.s2 import CemSession, EventKind, SessionConfig, SessionState

from .harness import details

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.t - 1000.0)


class Wire:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: list[str] = []
        self.fail = False

    async def send(self, text: str) -> None:
        if self.fail:
            raise ConnectionResetError("gone")
        self.sent.append(json.loads(text))

    async def close(self, reason: str) -> None:
        self.closed.append(reason)

    def of_type(self, t: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["message_type"] == t]

    def status(self, subject: str) -> str:
        found = [m for m in self.of_type("ReceptionStatus") if m["subject_message_id"] == subject]
        assert len(found) == 1, found
        return str(found[0]["status"])


def make(**config: Any) -> tuple[CemSession, Wire, FakeClock]:
    wire, clock = Wire(), FakeClock()
    session = CemSession(
        wire.send,
        close=wire.close,
        config=SessionConfig(timer_interval_s=None, **config),
        clock=clock,
    )
    return session, wire, clock


def ack(wire: Wire, message_type: str, status: str = "OK") -> str:
    msg = wire.of_type(message_type)[-1]
    return json.dumps(
        {
            "message_type": "ReceptionStatus",
            "subject_message_id": msg["message_id"],
            "status": status,
        }
    )


async def handshake(
    session: CemSession, wire: Wire, types: tuple[str, ...] = ("OPERATION_MODE_BASED_CONTROL",)
) -> None:
    await session.start()
    await session.receive(ack(wire, "Handshake"))
    await session.receive(
        json.dumps(
            {
                "message_type": "Handshake",
                "message_id": "rm-hs",
                "role": "RM",
                "supported_protocol_versions": ["0.0.2-beta"],
            }
        )
    )
    await session.receive(ack(wire, "HandshakeResponse"))
    await session.receive(json.dumps(details("rm-det", types)))
    if wire.of_type("SelectControlType"):
        await session.receive(ack(wire, "SelectControlType"))


async def test_unacknowledged_messages_are_retried_then_a_reconnect_is_requested() -> None:
    session, wire, clock = make(reception_timeout_s=10.0, max_retries=2, handshake_timeout_s=60.0)
    events: list[Any] = []
    session.add_listener(events.append)
    await session.start()
    assert len(wire.of_type("Handshake")) == 1
    await session.receive(
        json.dumps({"message_type": "Handshake", "message_id": "rm-hs", "role": "RM"})
    )
    assert wire.status("rm-hs") == "OK"
    assert wire.of_type("HandshakeResponse")[0]["selected_protocol_version"] == "0.0.2-beta"
    clock.t += 11
    await session.check_timeouts()
    assert len(wire.of_type("Handshake")) == 2  # resent once
    clock.t += 11
    await session.check_timeouts()
    assert len(wire.of_type("Handshake")) == 3
    clock.t += 11
    await session.check_timeouts()
    assert session.closed
    assert wire.closed
    assert "no ReceptionStatus" in wire.closed[0]
    assert wire.of_type("SessionRequest")[0]["request"] == "RECONNECT"
    assert any(e.kind is EventKind.CLOSED for e in events)
    # Closed sessions ignore everything.
    await session.receive("{}")
    await session.check_timeouts()


async def test_handshake_timeout_and_temporary_error_retry() -> None:
    session, wire, clock = make(handshake_timeout_s=30.0, reception_timeout_s=100.0)
    await session.start()
    await session.receive(ack(wire, "Handshake", "TEMPORARY_ERROR"))
    await session.check_timeouts()
    assert len(wire.of_type("Handshake")) == 2  # TEMPORARY_ERROR: sent again
    await session.receive(ack(wire, "Handshake"))
    assert session.pending_count == 0
    clock.t += 31
    await session.check_timeouts()
    assert session.closed
    assert "handshake" in (session.close_reason or "")


async def test_permanent_error_closes_and_rejections_are_reported() -> None:
    session, wire, _ = make()
    events: list[Any] = []
    session.add_listener(events.append)
    await handshake(session, wire)
    assert session.state is SessionState.ACTIVE
    # The RM refuses the control type: back to no control type.
    session2, wire2, _ = make()
    await session2.start()
    await session2.receive(ack(wire2, "Handshake"))
    await session2.receive(
        json.dumps({"message_type": "Handshake", "message_id": "rm-hs", "role": "RM"})
    )
    await session2.receive(json.dumps(details("rm-det")))
    await session2.receive(ack(wire2, "SelectControlType", "INVALID_CONTENT"))
    assert session2.active_control_type is None
    assert session2.state is SessionState.CONNECTED
    await session.receive(
        json.dumps(
            {"message_type": "ReceptionStatus", "subject_message_id": "unknown-id", "status": "OK"}
        )
    )
    await session.select_control_type(None)
    # PERMANENT_ERROR on a message ends the session.
    await session.close("bye", terminate=True)
    assert wire.of_type("SessionRequest")[0]["request"] == "TERMINATE"
    assert session.closed


async def test_session_request_send_failure_and_bad_listeners() -> None:
    session, wire, _ = make()

    def broken(_: Any) -> None:
        raise RuntimeError("listener bug")

    remove = session.add_listener(broken)
    await handshake(session, wire)
    remove()
    await session.receive(
        json.dumps({"message_type": "SessionRequest", "message_id": "sr-1", "request": "RECONNECT"})
    )
    assert wire.status("sr-1") == "OK"
    assert session.closed
    assert "reconnect" in (session.close_reason or "")

    session, wire, _ = make()
    await handshake(session, wire)
    wire.fail = True
    await session.receive(json.dumps({"message_type": "Nonsense", "message_id": "x-1"}))
    assert session.closed
    assert "send failed" in (session.close_reason or "")


async def test_control_type_choice_by_the_user() -> None:
    session, wire, _ = make()
    await handshake(
        session,
        wire,
        ("POWER_ENVELOPE_BASED_CONTROL", "OPERATION_MODE_BASED_CONTROL", "NOT_CONTROLABLE"),
    )
    assert wire.of_type("SelectControlType")[-1]["control_type"] == "OPERATION_MODE_BASED_CONTROL"
    assert await session.select_control_type("POWER_ENVELOPE_BASED_CONTROL")
    assert wire.of_type("SelectControlType")[-1]["control_type"] == "POWER_ENVELOPE_BASED_CONTROL"
    assert session.snapshot()["control_type"] == "POWER_ENVELOPE_BASED_CONTROL"
    # Not offered: remembered, not active.
    assert not await session.select_control_type("FILL_RATE_BASED_CONTROL")
    session.set_control_type_preference(["NOT_CONTROLABLE"])
    await session.select_control_type(None)
    assert wire.of_type("SelectControlType")[-1]["control_type"] == "NOT_CONTROLABLE"
    assert session.control is None
    assert session.state is SessionState.CONNECTED
    # No plan can be applied without a control type.
    assert await session.apply_plan(object()) == []
    # Pending table full: messages wait in the outbox and go out as statuses come in.
    session, wire, _ = make(max_pending=1)
    await session.start()
    await session.receive(
        json.dumps({"message_type": "Handshake", "message_id": "rm-hs", "role": "RM"})
    )
    assert not wire.of_type("HandshakeResponse")
    assert session.pending_count == 2
    await session.receive(ack(wire, "Handshake"))
    assert wire.of_type("HandshakeResponse")
    # Outbox full too: the peer is stuck -> reconnect.
    session, wire, _ = make(max_pending=1, max_outbox=1)
    await session.start()
    await session.receive(
        json.dumps({"message_type": "Handshake", "message_id": "rm-hs", "role": "RM"})
    )
    await session.receive(json.dumps(details("rm-det")))
    assert session.closed


async def test_receiving_before_start_starts_and_bytes_frames() -> None:
    session, wire, _ = make()
    await session.receive(b'{"message_type": "Handshake", "message_id": "rm-hs", "role": "RM"}')
    assert wire.of_type("Handshake")
    assert wire.status("rm-hs") == "OK"
    await session.receive(b"\xff\xfe")
    assert wire.of_type("ReceptionStatus")[-1]["status"] == "INVALID_DATA"
    await session.receive("[1, 2]")
    assert wire.of_type("ReceptionStatus")[-1]["status"] == "INVALID_DATA"
    await session.reject_busy(b'{"message_id": "busy-1"}')
    assert wire.status("busy-1") == "TEMPORARY_ERROR"
    session.connection_lost()
    assert session.closed


async def test_forecasts_revocations_and_bounded_history() -> None:
    from datetime import UTC as _UTC  # noqa: PLC0415

    from .devices import OnOffHeatPump  # noqa: PLC0415

    session, wire, _ = make(max_instructions_kept=2, max_forecast_elements=2)
    await session.start()
    await session.receive(
        json.dumps({"message_type": "Handshake", "message_id": "rm-hs", "role": "RM"})
    )
    # Before the RM's details: control-type messages are out of order.
    await session.receive(
        json.dumps(
            {
                "message_type": "OMBC.Status",
                "message_id": "st-0",
                "active_operation_mode_id": "off",
                "operation_mode_factor": 0,
            }
        )
    )
    assert wire.status("st-0") == "INVALID_CONTENT"
    bad = details("rm-det-0", ())
    await session.receive(json.dumps(bad))
    assert wire.status("rm-det-0") == "INVALID_MESSAGE"  # the schema wants >= 1 control type
    await session.receive(json.dumps(details("rm-det")))
    await session.receive(ack(wire, "SelectControlType"))
    forecast = {
        "message_type": "PowerForecast",
        "message_id": "pf-1",
        "start_time": T0.isoformat(),
        "elements": [
            {
                "duration": 900_000,
                "power_values": [
                    {"value_expected": 100.0, "commodity_quantity": "ELECTRIC.POWER.L1"}
                ],
            }
        ],
    }
    await session.receive(json.dumps(forecast))
    assert wire.status("pf-1") == "OK"
    assert session.power_forecast is not None
    forecast.update(message_id="pf-2", elements=forecast["elements"] * 3)
    await session.receive(json.dumps(forecast))
    assert wire.status("pf-2") == "INVALID_CONTENT"
    hp = OnOffHeatPump()
    await session.receive(hp.system_description().to_json())
    starts = tuple(T0 + timedelta(minutes=15 * i) for i in range(6))
    from open_hem_core.s2 import PowerPlan  # noqa: PLC0415

    sent = await session.apply_plan(
        PowerPlan(starts, timedelta(minutes=15), (0.0, 2000.0, 2000.0, 0.0, 0.0, 2000.0))
    )
    assert len(sent) == 4  # no status yet: the first slot's mode is sent too
    assert len(session.instructions) == 2  # bounded
    last = sent[-1]
    await session.receive(
        json.dumps(
            {
                "message_type": "RevokeObject",
                "message_id": "rv-1",
                "object_type": "OMBC.Instruction",
                "object_id": last,
            }
        )
    )
    assert wire.status("rv-1") == "OK"
    assert session.instructions[last].status == "REVOKED"
    await session.receive(
        json.dumps(
            {
                "message_type": "RevokeObject",
                "message_id": "rv-2",
                "object_type": "OMBC.SystemDescription",
                "object_id": "x1",
            }
        )
    )
    assert wire.status("rv-2") == "INVALID_CONTENT"
    for m in wire.of_type("OMBC.Instruction"):
        await session.receive(
            json.dumps(
                {
                    "message_type": "ReceptionStatus",
                    "subject_message_id": m["message_id"],
                    "status": "INVALID_CONTENT",
                }
            )
        )
    assert session.instructions[sent[2]].status == "NOT_RECEIVED"
    await session.receive(
        json.dumps(
            {
                "message_type": "InstructionStatusUpdate",
                "message_id": "isu-1",
                "instruction_id": sent[2],
                "status_type": "REJECTED",
                "timestamp": datetime.now(_UTC).isoformat(),
            }
        )
    )
    assert wire.status("isu-1") == "OK", wire.of_type("ReceptionStatus")[-1]
    assert session.instructions[sent[2]].status == "REJECTED"
    assert session.snapshot()["instructions"][sent[2]] == "REJECTED"
    # PERMANENT_ERROR from the RM ends the session.
    await session.receive(
        json.dumps(
            {
                "message_type": "ReceptionStatus",
                "subject_message_id": wire.of_type("RevokeObject")[0]["message_id"]
                if wire.of_type("RevokeObject")
                else "none",
                "status": "OK",
            }
        )
    )
    await session.close("test done")
    await session.close("twice")
    assert session.closed
