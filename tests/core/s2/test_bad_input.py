"""Bad input over a real WebSocket: each answered with the right ReceptionStatus, and the
session alive afterwards (it still completes a handshake and takes RM details)."""

from __future__ import annotations

import json

from open_hem_core.s2 import SessionState

from .harness import RawRm, cem_server, details, fast_config, wait_for


async def _alive(rm: RawRm, server_session: object) -> None:
    """The session still works: handshake, details, control type selected."""
    await rm.handshake("rm-hs-after")
    await wait_for(lambda: rm.of_type("SelectControlType"))
    assert rm.of_type("SelectControlType")[0]["control_type"] == "OPERATION_MODE_BASED_CONTROL"


async def test_malformed_unknown_out_of_order_and_non_uuid_ids() -> None:
    async with cem_server(config=fast_config()) as server:
        rm = await RawRm.connect(server.url)
        try:
            session = await server.session()
            await wait_for(lambda: rm.of_type("Handshake"))
            hs = rm.of_type("Handshake")[0]
            assert hs["role"] == "CEM"
            assert set(hs["supported_protocol_versions"]) >= {"0.0.2-beta", "v1"}

            await rm.send("{not json")
            status = await rm.status_of("00000000-0000-0000-0000-000000000000")
            assert status["status"] == "INVALID_DATA"

            await rm.send({"message_type": "Nonsense", "message_id": "bad-type-1"})
            assert (await rm.status_of("bad-type-1"))["status"] == "INVALID_MESSAGE"

            await rm.send({"message_type": "PowerMeasurement", "message_id": "bad-schema-1"})
            assert (await rm.status_of("bad-schema-1"))["status"] == "INVALID_MESSAGE"

            await rm.send({"message_type": "Handshake", "role": "RM"})  # no message_id
            await wait_for(lambda: len(rm.statuses("00000000-0000-0000-0000-000000000000")) == 2)

            # Out of order: details before the RM's handshake; an instruction from an RM.
            await rm.send(details("early-details"))
            early = await rm.status_of("early-details")
            assert early["status"] == "INVALID_CONTENT"
            assert "out of order" in early["diagnostic_label"]
            await rm.send(
                {
                    "message_type": "SelectControlType",
                    "message_id": "rm-select-1",
                    "control_type": "FILL_RATE_BASED_CONTROL",
                }
            )
            assert (await rm.status_of("rm-select-1"))["status"] == "INVALID_CONTENT"

            # Unsupported versions, then a CEM pretending to be an RM.
            await rm.send(
                {
                    "message_type": "Handshake",
                    "message_id": "hs-v9",
                    "role": "RM",
                    "supported_protocol_versions": ["9.9.9"],
                }
            )
            v9 = await rm.status_of("hs-v9")
            assert v9["status"] == "INVALID_CONTENT"
            assert "9.9.9" in v9["diagnostic_label"]
            await rm.send({"message_type": "Handshake", "message_id": "hs-cem", "role": "CEM"})
            assert (await rm.status_of("hs-cem"))["status"] == "INVALID_CONTENT"
            assert session.state is SessionState.HANDSHAKE

            # Non-UUID (schema-valid) ids are fine: the whole handshake uses them.
            await rm.send(
                {
                    "message_type": "Handshake",
                    "message_id": "rm-hs-1",
                    "role": "RM",
                    "supported_protocol_versions": ["v0.0.2-beta", "v1"],
                }
            )
            assert (await rm.status_of("rm-hs-1"))["status"] == "OK"
            await wait_for(lambda: rm.of_type("HandshakeResponse"))
            assert rm.of_type("HandshakeResponse")[0]["selected_protocol_version"] == "v1"
            await rm.send(details("rm-details-x"))
            assert (await rm.status_of("rm-details-x"))["status"] == "OK"
            await wait_for(lambda: rm.of_type("SelectControlType"))
            assert session.rm_details is not None
            assert session.rm_details.resource_id == "heat-pump-1"

            # Messages of a control type that is not active; unknown instruction ids.
            await rm.send(
                {
                    "message_type": "FRBC.StorageStatus",
                    "message_id": "frbc-ss-1",
                    "present_fill_level": 3.0,
                }
            )
            wrong = await rm.status_of("frbc-ss-1")
            assert wrong["status"] == "INVALID_CONTENT"
            assert "OMBC" in wrong["diagnostic_label"]
            await rm.send(
                {
                    "message_type": "InstructionStatusUpdate",
                    "message_id": "isu-1",
                    "instruction_id": "never-sent",
                    "status_type": "ACCEPTED",
                    "timestamp": "2026-12-01T12:00:00+00:00",
                }
            )
            assert (await rm.status_of("isu-1"))["status"] == "INVALID_CONTENT"
            await rm.send(
                {
                    "message_type": "RevokeObject",
                    "message_id": "revoke-1",
                    "object_type": "FRBC.Instruction",
                    "object_id": "nope-1",
                }
            )
            assert (await rm.status_of("revoke-1"))["status"] == "INVALID_CONTENT"
            # A non-UUID OMBC system description is accepted (lenient parse).
            await rm.send(
                {
                    "message_type": "OMBC.SystemDescription",
                    "message_id": "ombc-sd-1",
                    "valid_from": "2026-12-01T12:00:00+00:00",
                    "operation_modes": [
                        {
                            "id": "off",
                            "power_ranges": [
                                {
                                    "start_of_range": 0,
                                    "end_of_range": 0,
                                    "commodity_quantity": "ELECTRIC.POWER.L1",
                                }
                            ],
                            "abnormal_condition_only": False,
                        }
                    ],
                    "transitions": [],
                    "timers": [],
                }
            )
            assert (await rm.status_of("ombc-sd-1"))["status"] == "OK"
            assert session.control is not None
            assert session.control.ready
            # A bad ReceptionStatus is never answered; every message got exactly one status.
            await rm.send({"message_type": "ReceptionStatus", "status": "OK"})
            await rm.send(
                {
                    "message_type": "PowerMeasurement",
                    "message_id": "pm-1",
                    "measurement_timestamp": "2026-12-01T12:00:00+00:00",
                    "values": [{"commodity_quantity": "ELECTRIC.POWER.L1", "value": 5}],
                }
            )
            assert (await rm.status_of("pm-1"))["status"] == "OK"
            for subject in ("rm-hs-1", "rm-details-x", "frbc-ss-1", "ombc-sd-1", "hs-v9"):
                assert len(rm.statuses(subject)) == 1
            assert not session.closed
        finally:
            await rm.close()


async def test_oversized_frames_and_floods() -> None:
    config = fast_config(max_frame_bytes=2000, rate_per_s=5.0, rate_burst=20.0)
    async with cem_server(config=config) as server:
        rm = await RawRm.connect(server.url)
        try:
            session = await server.session()
            big = json.dumps(
                {"message_type": "PowerMeasurement", "message_id": "big-1", "pad": "x" * 5000}
            )
            await rm.send(big)
            status = await rm.status_of("big-1")
            assert status["status"] == "INVALID_DATA"
            assert "limit" in status["diagnostic_label"]
            for i in range(60):
                await rm.send({"message_type": "Nonsense", "message_id": f"flood-{i}"})
            await wait_for(lambda: all(rm.statuses(f"flood-{i}") for i in range(60)))
            flood = [rm.statuses(f"flood-{i}")[0]["status"] for i in range(60)]
            assert "TEMPORARY_ERROR" in flood
            assert flood[0] == "INVALID_MESSAGE"
            assert session.stats.rate_limited > 0
            assert not session.closed
            # After the flood the bucket refills and the session goes on.
            await wait_for(lambda: session._bucket.take(session.clock.monotonic()), 10)
            session._bucket.tokens = config.rate_burst
            await _alive(rm, session)
        finally:
            await rm.close()
