"""A shiftable appliance (washing machine, dishwasher, dryer) as a PPBC resource manager.

While the appliance is ready (its remote start armed, or always when nothing tells) and has
not run, it offers one power profile: one part, one sequence of the configured duration at
the configured average power, to run between the moment it became ready and the latest
finish. A schedule instruction becomes :class:`Start` at its execution time; the profile's
status follows the appliance (scheduled, executing, finished). When it stops being ready
before it ran, the profile is revoked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..control.ppbc import PPBCHandler, ShiftableLoad
from ..messages import sid
from .base import PPBC, Command, ResourceManager, Start, Steps

DEFAULT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class ApplianceParams:
    """What the owner configured (defaults: a 2-hour programme at 1 kW on average)."""

    duration_s: float = 7_200.0
    power_w: float = 1_000.0


@dataclass(frozen=True)
class ApplianceState:
    """The appliance now; ``latest_end`` is when it must have finished (None: a day on)."""

    ready: bool = True
    running: bool = False
    power_w: float | None = None
    latest_end: datetime | None = None


class ApplianceRM(ResourceManager):
    """An entity-backed shiftable appliance (PPBC)."""

    state: ApplianceState
    instruction_types = frozenset(
        {
            "PPBC.ScheduleInstruction",
            "PPBC.StartInterruptionInstruction",
            "PPBC.EndInterruptionInstruction",
        }
    )

    def __init__(self, name: str, params: ApplianceParams, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.params = params
        self.state = ApplianceState()
        self.profile: dict[str, Any] | None = None
        self.run_status = "NOT_SCHEDULED"
        self._runs = 0
        self._seen_running = False

    def control_types(self) -> tuple[str, ...]:
        return (PPBC,)

    def measurement_w(self) -> float | None:
        return self.state.power_w

    async def refresh(self, *, force: bool = False) -> None:
        """Follow the appliance's run before sending what changed."""
        revoke = self._follow()
        if revoke is not None and self.control_type == PPBC:
            self._sent.pop("PPBC.PowerProfileDefinition", None)
            self._sent.pop("PPBC.PowerProfileStatus", None)
            await self._send(
                {
                    "message_type": "RevokeObject",
                    "object_type": "PPBC.PowerProfileDefinition",
                    "object_id": revoke,
                }
            )
        await super().refresh(force=force)

    def _follow(self) -> str | None:
        """Update the run's status; the id of a profile to revoke, if any."""
        s = self.state
        if self.profile is not None:
            if s.running and self.run_status in ("NOT_SCHEDULED", "SCHEDULED", "EXECUTING"):
                self.run_status = "EXECUTING"
                self._seen_running = True
            elif not s.running and self.run_status == "EXECUTING" and self._seen_running:
                self.run_status = "FINISHED"
            elif not s.ready and self.run_status in ("NOT_SCHEDULED", "SCHEDULED"):
                revoked = self.profile["id"]
                self.profile = None
                return str(revoked)
            elif self.run_status == "FINISHED" and (
                not s.ready or (s.latest_end is not None and s.latest_end > self.profile_end)
            ):
                self.profile = None
        if self.profile is None and s.ready and not s.running:
            self._new_profile()
        return None

    @property
    def profile_end(self) -> datetime:
        assert self.profile is not None
        end: datetime = self.profile["_end"]
        return end

    def _new_profile(self) -> None:
        self._runs += 1
        now = self.clock.now()
        end = self.state.latest_end or now + DEFAULT_WINDOW
        if end <= now:
            end = now + DEFAULT_WINDOW
        self.run_status = "NOT_SCHEDULED"
        self._seen_running = False
        self.profile = {
            "id": self.object_id(f"profile{self._runs}"),
            "container": self.object_id(f"container{self._runs}"),
            "sequence": self.object_id(f"sequence{self._runs}"),
            "start_time": now,
            "_end": end,
        }

    def messages(self, control_type: str) -> list[dict[str, Any]]:
        prof = self.profile
        if prof is None:
            return []
        return [
            {
                "message_type": "PPBC.PowerProfileDefinition",
                "id": prof["id"],
                "start_time": prof["start_time"].isoformat(),
                "end_time": prof["_end"].isoformat(),
                "power_sequences_containers": [
                    {
                        "id": prof["container"],
                        "power_sequences": [
                            {
                                "id": prof["sequence"],
                                "elements": [
                                    {
                                        "duration": int(self.params.duration_s * 1000),
                                        "power_values": [
                                            {
                                                "value_expected": self.params.power_w,
                                                "commodity_quantity": self.commodity_quantity,
                                            }
                                        ],
                                    }
                                ],
                                "is_interruptible": False,
                                "abnormal_condition_only": False,
                            }
                        ],
                    }
                ],
            },
            {
                "message_type": "PPBC.PowerProfileStatus",
                "sequence_container_status": [
                    {
                        "power_profile_id": prof["id"],
                        "sequence_container_id": prof["container"],
                        "selected_sequence_id": prof["sequence"],
                        "status": self.run_status,
                    }
                ],
            },
        ]

    def steps(self, message_type: str, message: Any) -> Steps | str:
        prof = self.profile
        if message_type != "PPBC.ScheduleInstruction":
            return "the programme cannot be interrupted"
        if prof is None or sid(message.power_profile_id) != prof["id"]:
            return "unknown power profile"
        if (
            sid(message.sequence_container_id) != prof["container"]
            or sid(message.power_sequence_id) != prof["sequence"]
        ):
            return "unknown power sequence"
        if self.run_status not in ("NOT_SCHEDULED", "SCHEDULED"):
            return "the programme has run"
        self.run_status = "SCHEDULED"
        self._spawn(self.refresh())
        return [(message.execution_time, Start())]

    def on_step_done(self, job_id: str, command: Command, ok: bool) -> None:
        if ok and self.run_status == "SCHEDULED":
            self.run_status = "EXECUTING"
            self._spawn(self.refresh())


def appliance_model(
    control: Any, name: str, slot_start: Sequence[datetime], slot_duration: timedelta
) -> ShiftableLoad | None:
    """The planner's shiftable load from the session's PPBC handler (None when idle)."""
    if not isinstance(control, PPBCHandler) or not control.ready:
        return None
    return control.shiftable_load(name, slot_start, slot_duration)
