"""S2 messages describing test devices, built with s2-python's wrapper classes (UUID ids)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
import uuid

from s2python.ddbc import DDBCSystemDescription
from s2python.frbc import FRBCActuatorStatus, FRBCStorageStatus, FRBCSystemDescription
from s2python.ombc import OMBCStatus, OMBCSystemDescription
from s2python.pebc import PEBCPowerConstraints
from s2python.ppbc import PPBCPowerProfileDefinition, PPBCPowerProfileStatus

CAPACITY_WH = 10_000.0
ETA = 0.95


def _id() -> str:
    return str(uuid.uuid4())


def power(lo: float, hi: float) -> list[dict[str, Any]]:
    return [{"start_of_range": lo, "end_of_range": hi, "commodity_quantity": "ELECTRIC.POWER.L1"}]


class Battery:
    """A 10 kWh, 5 kW battery, fill level in % (0..100), 95 % each way."""

    def __init__(self, fill: float = 50.0) -> None:
        self.actuator = _id()
        self.charge, self.idle, self.discharge = _id(), _id(), _id()
        self.fill = fill

    def pct_per_s(self, watts: float) -> float:
        return watts / CAPACITY_WH * 100.0 / 3600.0

    def system_description(self) -> FRBCSystemDescription:
        element = {"fill_level_range": {"start_of_range": 0.0, "end_of_range": 100.0}}
        modes = [
            {
                "id": self.charge,
                "diagnostic_label": "charge",
                "elements": [
                    {
                        **element,
                        "fill_rate": {
                            "start_of_range": 0.0,
                            "end_of_range": self.pct_per_s(5000 * ETA),
                        },
                        "power_ranges": power(0.0, 5000.0),
                    }
                ],
                "abnormal_condition_only": False,
            },
            {
                "id": self.idle,
                "diagnostic_label": "idle",
                "elements": [
                    {
                        **element,
                        "fill_rate": {"start_of_range": 0.0, "end_of_range": 0.0},
                        "power_ranges": power(0.0, 0.0),
                    }
                ],
                "abnormal_condition_only": False,
            },
            {
                "id": self.discharge,
                "diagnostic_label": "discharge",
                "elements": [
                    {
                        **element,
                        "fill_rate": {
                            "start_of_range": -self.pct_per_s(5000 / ETA),
                            "end_of_range": 0.0,
                        },
                        "power_ranges": power(-5000.0, 0.0),
                    }
                ],
                "abnormal_condition_only": False,
            },
        ]
        return FRBCSystemDescription.model_validate(
            {
                "message_type": "FRBC.SystemDescription",
                "message_id": _id(),
                "valid_from": datetime.now(UTC).isoformat(),
                "actuators": [
                    {
                        "id": self.actuator,
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
                    "fill_level_range": {"start_of_range": 0.0, "end_of_range": 100.0},
                },
            }
        )

    def storage_status(self, fill: float | None = None) -> FRBCStorageStatus:
        return FRBCStorageStatus(
            message_id=uuid.uuid4(), present_fill_level=self.fill if fill is None else fill
        )

    def actuator_status(self, mode: str | None = None) -> FRBCActuatorStatus:
        return FRBCActuatorStatus(
            message_id=uuid.uuid4(),
            actuator_id=uuid.UUID(self.actuator),
            active_operation_mode_id=uuid.UUID(mode or self.idle),
            operation_mode_factor=0.0,
        )


class OnOffHeatPump:
    """OMBC: off and on (2 kW), at least 30 min on and 15 min off."""

    def __init__(self) -> None:
        self.off, self.on = _id(), _id()
        self.run_timer, self.pause_timer = _id(), _id()

    def system_description(self) -> OMBCSystemDescription:
        return OMBCSystemDescription.model_validate(
            {
                "message_type": "OMBC.SystemDescription",
                "message_id": _id(),
                "valid_from": datetime.now(UTC).isoformat(),
                "operation_modes": [
                    {
                        "id": self.off,
                        "power_ranges": power(0.0, 0.0),
                        "abnormal_condition_only": False,
                    },
                    {
                        "id": self.on,
                        "power_ranges": power(2000.0, 2000.0),
                        "abnormal_condition_only": False,
                    },
                ],
                "transitions": [
                    {
                        "id": _id(),
                        "from": self.off,
                        "to": self.on,
                        "start_timers": [self.run_timer],
                        "blocking_timers": [self.pause_timer],
                        "abnormal_condition_only": False,
                    },
                    {
                        "id": _id(),
                        "from": self.on,
                        "to": self.off,
                        "start_timers": [self.pause_timer],
                        "blocking_timers": [self.run_timer],
                        "abnormal_condition_only": False,
                    },
                ],
                "timers": [
                    {"id": self.run_timer, "diagnostic_label": "min run", "duration": 30 * 60_000},
                    {
                        "id": self.pause_timer,
                        "diagnostic_label": "min pause",
                        "duration": 15 * 60_000,
                    },
                ],
            }
        )

    def status(self, on: bool = False) -> OMBCStatus:
        return OMBCStatus.model_validate(
            {
                "message_type": "OMBC.Status",
                "message_id": _id(),
                "active_operation_mode_id": self.on if on else self.off,
                "operation_mode_factor": 0.0,
            }
        )


def pv_constraints(peak_w: float = 2000.0, consequence: str = "VANISH") -> PEBCPowerConstraints:
    """The Rust example PV's constraints: UPPER [0, 0], LOWER [-peak, 0] on L1."""
    return PEBCPowerConstraints.model_validate(
        {
            "message_type": "PEBC.PowerConstraints",
            "message_id": _id(),
            "id": _id(),
            "valid_from": datetime.now(UTC).isoformat(),
            "consequence_type": consequence,
            "allowed_limit_ranges": [
                {
                    "commodity_quantity": "ELECTRIC.POWER.L1",
                    "limit_type": "UPPER_LIMIT",
                    "range_boundary": {"start_of_range": 0.0, "end_of_range": 0.0},
                    "abnormal_condition_only": False,
                },
                {
                    "commodity_quantity": "ELECTRIC.POWER.L1",
                    "limit_type": "LOWER_LIMIT",
                    "range_boundary": {"start_of_range": -peak_w, "end_of_range": 0.0},
                    "abnormal_condition_only": False,
                },
            ],
        }
    )


def dishwasher(start: datetime, hours: float = 8.0) -> PPBCPowerProfileDefinition:
    """Two parts: heat (two alternatives: eco 1 kW 30 min, quick 2 kW 15 min), then rinse."""

    def seq(elements: list[tuple[int, float]], interruptible: bool = False) -> dict[str, Any]:
        return {
            "id": _id(),
            "elements": [
                {
                    "duration": ms,
                    "power_values": [
                        {"value_expected": w, "commodity_quantity": "ELECTRIC.POWER.L1"}
                    ],
                }
                for ms, w in elements
            ],
            "is_interruptible": interruptible,
            "max_pause_before": 15 * 60_000,
            "abnormal_condition_only": False,
        }

    return PPBCPowerProfileDefinition.model_validate(
        {
            "message_type": "PPBC.PowerProfileDefinition",
            "message_id": _id(),
            "id": _id(),
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(hours=hours)).isoformat(),
            "power_sequences_containers": [
                {
                    "id": _id(),
                    "power_sequences": [
                        seq([(30 * 60_000, 1000.0)]),
                        seq([(15 * 60_000, 2000.0)]),
                    ],
                },
                {
                    "id": _id(),
                    "power_sequences": [seq([(10 * 60_000, 300.0), (5 * 60_000, 150.0)], True)],
                },
            ],
        }
    )


class HybridHeatPump:
    """DDBC: one actuator, heat pump mode (0-2 kW el, 0-6 kW heat) and boiler (0 W, 0-10 kW)."""

    def __init__(self) -> None:
        self.actuator, self.hp, self.boiler = _id(), _id(), _id()

    def system_description(self) -> DDBCSystemDescription:
        def mode(mid: str, el: float, heat: float) -> dict[str, Any]:
            return {
                "Id": mid,
                "id": mid,
                "power_ranges": power(0.0, el),
                "supply_range": [{"start_of_range": 0.0, "end_of_range": heat}],
                "abnormal_condition_only": False,
            }

        return DDBCSystemDescription.model_validate(
            {
                "message_type": "DDBC.SystemDescription",
                "message_id": _id(),
                "valid_from": datetime.now(UTC).isoformat(),
                "actuators": [
                    {
                        "id": self.actuator,
                        "supported_commodites": ["ELECTRICITY", "GAS"],
                        "operation_modes": [
                            mode(self.hp, 2000.0, 6000.0),
                            mode(self.boiler, 0.0, 10000.0),
                        ],
                        "transitions": [],
                        "timers": [],
                    }
                ],
                "present_demand_rate": {"start_of_range": 3000.0, "end_of_range": 3000.0},
                "provides_average_demand_rate_forecast": False,
            }
        )


def not_scheduled(definition: PPBCPowerProfileDefinition) -> PPBCPowerProfileStatus:
    """The status of a power profile none of whose parts is scheduled yet."""
    return PPBCPowerProfileStatus.model_validate(
        {
            "message_type": "PPBC.PowerProfileStatus",
            "message_id": _id(),
            "sequence_container_status": [
                {
                    "power_profile_id": str(definition.id),
                    "sequence_container_id": str(c.id),
                    "status": "NOT_SCHEDULED",
                }
                for c in definition.power_sequences_containers
            ],
        }
    )
