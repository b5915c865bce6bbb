"""A PV inverter as a resource manager: PEBC curtailment, or NOT_CONTROLABLE without a limit.

S2 counts production negative: the measurement is minus the produced power. The power
constraints allow the production limit (LOWER_LIMIT) anywhere from minus the peak power to
0 (consequence VANISH: curtailed energy is lost). Each envelope element becomes
:class:`SetLimit` (W produced at most; None where the envelope does not limit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ...planner import PVInverter
from ..control.pebc import PEBCHandler
from ..messages import sid
from ..units import duration_ms
from .base import NOT_CONTROLABLE, PEBC, ResourceManager, SetLimit, Steps, number_range

UNLIMITED_W = 1.0
"""A limit within this of the peak power is no limit."""


@dataclass(frozen=True)
class PVParams:
    """What the owner configured."""

    peak_w: float = 5_000.0
    curtailable: bool = False
    """Whether Open HEM can set a production limit."""


@dataclass(frozen=True)
class PVState:
    """The inverter now: production in W (>= 0, as Home Assistant shows it)."""

    power_w: float | None = None


class PVInverterRM(ResourceManager):
    """An entity-backed PV inverter (PEBC, or NOT_CONTROLABLE: measurements only)."""

    state: PVState
    role = "ENERGY_PRODUCER"
    instruction_types = frozenset({"PEBC.Instruction"})

    def __init__(self, name: str, params: PVParams, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.params = params
        self.state = PVState()

    def control_types(self) -> tuple[str, ...]:
        return (PEBC,) if self.params.curtailable else (NOT_CONTROLABLE,)

    def measurement_w(self) -> float | None:
        return None if self.state.power_w is None else -abs(self.state.power_w)

    def messages(self, control_type: str) -> list[dict[str, Any]]:
        cq = self.commodity_quantity
        return [
            {
                "message_type": "PEBC.PowerConstraints",
                "id": self.object_id("constraints"),
                "valid_from": "now",
                "consequence_type": "VANISH",
                "allowed_limit_ranges": [
                    {
                        "commodity_quantity": cq,
                        "limit_type": "UPPER_LIMIT",
                        "range_boundary": number_range(0.0, 0.0),
                        "abnormal_condition_only": False,
                    },
                    {
                        "commodity_quantity": cq,
                        "limit_type": "LOWER_LIMIT",
                        "range_boundary": number_range(-self.params.peak_w, 0.0),
                        "abnormal_condition_only": False,
                    },
                ],
            }
        ]

    def steps(self, message_type: str, message: Any) -> Steps | str:
        if sid(message.power_constraints_id) != self.object_id("constraints"):
            return "unknown power constraints"
        envelopes = list(message.power_envelopes)
        if not envelopes:
            return "no power envelope"
        steps: Steps = []
        at: datetime = message.execution_time
        for element in envelopes[0].power_envelope_elements:
            produced = -float(element.lower_limit)
            limit = None if produced >= self.params.peak_w - UNLIMITED_W else max(0.0, produced)
            command = SetLimit(limit)
            if not steps or steps[-1][1] != command:
                steps.append((at, command))
            at += timedelta(milliseconds=duration_ms(element.duration))
        return steps


def pv_model(
    control: Any,
    name: str,
    slot_start: Sequence[datetime],
    slot_duration: timedelta,
    params: PVParams,
) -> PVInverter:
    """The planner's PV inverter with an empty forecast (the planning loop supplies it).

    Curtailable only while the session's PEBC handler allows a limit."""
    if isinstance(control, PEBCHandler) and control.ready:
        return control.pv_inverter(name, [0.0] * len(slot_start))
    return PVInverter(
        name, forecast_w=np.zeros(len(slot_start)), curtailable=False, max_ac_w=params.peak_w
    )
