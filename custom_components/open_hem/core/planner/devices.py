"""The grote vier as plain device models: battery, EV charger, heat pump, PV inverter.

Each validates its *device* parameters on construction (ValueError for impossible ones).
Wishes (an EV energy target, a comfort band) are never validated against feasibility: the
planner relaxes and reports them instead.

S2 mapping (the next step, kept in mind here): a Battery is an FRBC storage whose fill level
is the stored energy with two operation modes (charge, discharge) whose power ranges are
``[0, max_charge_w]`` / ``[0, max_discharge_w]`` and fill rates ``eta_c*P`` / ``-P/eta_d``;
an EVCharger is FRBC (fill level = energy delivered, fill-level target = the energy wish at
the deadline) or PEBC (power envelope = availability window x ``[min_w, max_w]``); a HeatPump
is FRBC (fill level = indoor or buffer temperature, leakage = heat loss) or OMBC (on/off
operation modes with min run/pause = transition timers); a PVInverter is PEBC (a power
envelope from 0 to the forecast).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
import math

import numpy as np

from .problem import FloatArray, Horizon, SlotValues, as_array


def _check_finite_nonneg(owner: str, **values: float) -> None:
    for key, v in values.items():
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"{owner}: {key} must be finite and >= 0, got {v!r}")


def _check_eff(owner: str, **values: float) -> None:
    for key, v in values.items():
        if not 0 < v <= 1:
            raise ValueError(f"{owner}: {key} must be in (0, 1], got {v!r}")


@dataclass(frozen=True)
class Battery:
    """A home battery, AC-coupled: power limits are AC-side, SOC as a fraction of capacity.

    ``soc[t+1] = soc[t] + (eta_c*charge - discharge/eta_d) * dt / capacity``; never charges and
    discharges in the same slot. The end of the horizon is either a wish ``soc_final`` (on the
    WISHES rung) or valued at ``stored_energy_value_eur_per_kwh`` (or both).
    """

    name: str
    capacity_wh: float
    max_charge_w: float
    max_discharge_w: float
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_min: float = 0.1
    soc_max: float = 1.0
    soc_initial: float = 0.5
    soc_final: float | None = None
    stored_energy_value_eur_per_kwh: float = 0.0
    wear_cost_eur_per_kwh: float = 0.0
    """Cost per kWh discharged (AC), a simple cycle-wear model."""

    def __post_init__(self) -> None:
        owner = f"Battery {self.name!r}"
        _check_finite_nonneg(
            owner,
            capacity_wh=self.capacity_wh,
            max_charge_w=self.max_charge_w,
            max_discharge_w=self.max_discharge_w,
            wear_cost_eur_per_kwh=self.wear_cost_eur_per_kwh,
        )
        if self.capacity_wh <= 0:
            raise ValueError(f"{owner}: capacity_wh must be > 0")
        _check_eff(
            owner,
            charge_efficiency=self.charge_efficiency,
            discharge_efficiency=self.discharge_efficiency,
        )
        if not 0 <= self.soc_min <= self.soc_max <= 1:
            raise ValueError(f"{owner}: need 0 <= soc_min <= soc_max <= 1")
        if not 0 <= self.soc_initial <= 1:
            raise ValueError(f"{owner}: soc_initial must be in [0, 1]")
        if self.soc_final is not None and not 0 <= self.soc_final <= 1:
            raise ValueError(f"{owner}: soc_final must be in [0, 1]")
        if not math.isfinite(self.stored_energy_value_eur_per_kwh):
            raise ValueError(f"{owner}: stored_energy_value_eur_per_kwh must be finite")

    def check_horizon(self, n: int) -> None:
        """Batteries hold no per-slot data."""


@dataclass(frozen=True)
class EVCharger:
    """An EV charger with the car plugged in from ``available_from_slot`` to the deadline.

    The wish is ``energy_wh`` delivered (AC) in ``[available_from_slot, deadline_slot)``,
    exactly (no more: the car's target is what the user asked for). Charging power is 0 or in
    ``[min_w, max_w]`` (the 6 A minimum: 1380 W on one phase, 4140 W on three). ``solar_only``
    limits charging to the forecast PV surplus over the base load in each slot (a static,
    linear bound: grid energy never goes into the car). ``v2g_max_w > 0`` lets the car feed
    the home/grid (AC power, ``v2g_efficiency`` from the car's energy), at most
    ``v2g_max_energy_wh`` below its arrival level and at most that much above its target.
    """

    name: str
    max_w: float
    energy_wh: float
    available_from_slot: int
    deadline_slot: int
    min_w: float = 0.0
    solar_only: bool = False
    v2g_max_w: float = 0.0
    v2g_efficiency: float = 0.9
    v2g_max_energy_wh: float = 0.0

    def __post_init__(self) -> None:
        owner = f"EVCharger {self.name!r}"
        _check_finite_nonneg(
            owner,
            max_w=self.max_w,
            min_w=self.min_w,
            energy_wh=self.energy_wh,
            v2g_max_w=self.v2g_max_w,
            v2g_max_energy_wh=self.v2g_max_energy_wh,
        )
        if self.min_w > self.max_w:
            raise ValueError(f"{owner}: min_w must be <= max_w")
        _check_eff(owner, v2g_efficiency=self.v2g_efficiency)
        if self.available_from_slot < 0 or self.deadline_slot < self.available_from_slot:
            raise ValueError(f"{owner}: need 0 <= available_from_slot <= deadline_slot")

    @classmethod
    def for_target_soc(
        cls,
        name: str,
        horizon: Horizon,
        *,
        battery_capacity_wh: float,
        soc_now: float,
        soc_target: float,
        deadline: datetime,
        plugged_in_from: datetime | None = None,
        max_w: float = 11040.0,
        min_w: float = 4140.0,
        charge_efficiency: float = 0.9,
        **kwargs: float | bool,
    ) -> EVCharger:
        """'80 % by 07:00': converts a SOC target into AC energy by a deadline."""
        energy = max(0.0, soc_target - soc_now) * battery_capacity_wh / charge_efficiency
        start = 0 if plugged_in_from is None else max(0, horizon.slot_of(plugged_in_from))
        end = horizon.slot_boundary_at_or_before(deadline)
        return cls(
            name,
            max_w=max_w,
            min_w=min_w,
            energy_wh=energy,
            available_from_slot=min(start, end),
            deadline_slot=end,
            **kwargs,  # type: ignore[arg-type]
        )

    def window(self, n: int) -> tuple[int, int]:
        """The availability window clipped to the horizon."""
        return min(self.available_from_slot, n), min(self.deadline_slot, n)

    def check_horizon(self, n: int) -> None:
        """The window may extend past the horizon; it is clipped (and the wish may go unmet)."""


@dataclass(frozen=True)
class ThermalHouse:
    """One-node house model: ``C dT/dt = COP*P_el - UA*(T - T_out) + gains``.

    ``comfort_low_c``/``comfort_high_c`` are per-slot bounds on the temperature at the end of
    each slot (see :func:`comfort_band` for a time-of-day schedule).
    """

    ua_w_per_k: float
    capacity_wh_per_k: float
    t_initial_c: float
    comfort_low_c: SlotValues
    comfort_high_c: SlotValues
    gains_w: SlotValues = 0.0

    def __post_init__(self) -> None:
        _check_finite_nonneg("ThermalHouse", ua_w_per_k=self.ua_w_per_k)
        if not self.capacity_wh_per_k > 0 or not math.isfinite(self.capacity_wh_per_k):
            raise ValueError("ThermalHouse: capacity_wh_per_k must be > 0")
        if not math.isfinite(self.t_initial_c):
            raise ValueError("ThermalHouse: t_initial_c must be finite")


@dataclass(frozen=True)
class HotWaterBuffer:
    """A hot-water tank: stored heat as its temperature, losses to ``ambient_c``, a draw-off
    profile ``draw_w`` (heat taken out per slot). Same structure as the house."""

    volume_l: float
    t_initial_c: float
    t_min_c: SlotValues
    t_max_c: SlotValues
    loss_w_per_k: float = 2.0
    ambient_c: float = 18.0
    draw_w: SlotValues = 0.0

    def __post_init__(self) -> None:
        _check_finite_nonneg("HotWaterBuffer", loss_w_per_k=self.loss_w_per_k)
        if not self.volume_l > 0 or not math.isfinite(self.volume_l):
            raise ValueError("HotWaterBuffer: volume_l must be > 0")

    @property
    def capacity_wh_per_k(self) -> float:
        return self.volume_l * 4186.0 / 3600.0  # water: 4186 J/(kg K), 1 kg per litre


@dataclass(frozen=True)
class HeatPump:
    """A heat pump heating a house or a hot-water buffer.

    COP is linear in the outdoor temperature, ``cop_at_7c + cop_slope_per_k*(T_out - 7)``,
    clipped to ``[1, cop_max]``. No heating above ``cutoff_outdoor_c``. Electrical power is
    0 or in ``[min_w, max_w]``; ``min_run_slots``/``min_pause_slots`` > 1 make it an on/off
    unit with binaries (only in slots where heating is allowed).
    """

    name: str
    max_w: float
    thermal: ThermalHouse | HotWaterBuffer
    min_w: float = 0.0
    cop_at_7c: float = 3.5
    cop_slope_per_k: float = 0.08
    cop_max: float = 6.0
    cutoff_outdoor_c: float | None = 20.0
    min_run_slots: int = 1
    min_pause_slots: int = 1
    initially_on: bool = False

    def __post_init__(self) -> None:
        owner = f"HeatPump {self.name!r}"
        _check_finite_nonneg(owner, max_w=self.max_w, min_w=self.min_w)
        if self.min_w > self.max_w:
            raise ValueError(f"{owner}: min_w must be <= max_w")
        if not 1 <= self.cop_at_7c <= self.cop_max:
            raise ValueError(f"{owner}: need 1 <= cop_at_7c <= cop_max")
        if self.min_run_slots < 1 or self.min_pause_slots < 1:
            raise ValueError(f"{owner}: min_run_slots and min_pause_slots must be >= 1")

    @property
    def on_off(self) -> bool:
        """Whether it needs on/off binaries (min run or pause times)."""
        return self.min_run_slots > 1 or self.min_pause_slots > 1

    def cop(self, outdoor_c: FloatArray) -> FloatArray:
        raw = self.cop_at_7c + self.cop_slope_per_k * (outdoor_c - 7.0)
        return np.clip(raw, 1.0, self.cop_max)

    def allowed(self, outdoor_c: FloatArray) -> FloatArray:
        """1.0 where heating is allowed, else 0.0."""
        if self.cutoff_outdoor_c is None:
            return np.ones_like(outdoor_c)
        return (outdoor_c <= self.cutoff_outdoor_c).astype(np.float64)

    def thermal_arrays(
        self, n: int, outdoor_c: FloatArray
    ) -> tuple[float, float, FloatArray, FloatArray, FloatArray, FloatArray]:
        """(capacity Wh/K, UA W/K, ambient °C, gains W, low °C, high °C) per slot."""
        th = self.thermal
        if isinstance(th, ThermalHouse):
            return (
                th.capacity_wh_per_k,
                th.ua_w_per_k,
                outdoor_c,
                as_array("gains_w", th.gains_w, n),
                as_array("comfort_low_c", th.comfort_low_c, n, allow_inf=True),
                as_array("comfort_high_c", th.comfort_high_c, n, allow_inf=True),
            )
        return (
            th.capacity_wh_per_k,
            th.loss_w_per_k,
            np.full(n, th.ambient_c),
            -as_array("draw_w", th.draw_w, n),
            as_array("t_min_c", th.t_min_c, n, allow_inf=True),
            as_array("t_max_c", th.t_max_c, n, allow_inf=True),
        )

    def check_horizon(self, n: int) -> None:
        _, _, _, _, low, high = self.thermal_arrays(n, np.zeros(n))
        if (low > high).any():
            raise ValueError(f"HeatPump {self.name!r}: comfort low above high")


@dataclass(frozen=True)
class PVInverter:
    """PV with its forecast (W per slot). Curtailable: the plan may use anything from 0 to the
    forecast (continuous power limit), e.g. at negative export prices or when the export
    limit binds. ``max_ac_w`` caps the inverter output."""

    name: str
    forecast_w: FloatArray
    curtailable: bool = True
    max_ac_w: float | None = None

    def __post_init__(self) -> None:
        arr = np.array(self.forecast_w, dtype=np.float64)
        if arr.ndim != 1 or np.isnan(arr).any() or np.isinf(arr).any() or (arr < 0).any():
            raise ValueError(f"PVInverter {self.name!r}: forecast_w must be finite and >= 0")
        if self.max_ac_w is not None:
            _check_finite_nonneg(f"PVInverter {self.name!r}", max_ac_w=self.max_ac_w)
            arr = np.minimum(arr, self.max_ac_w)
        arr.setflags(write=False)
        object.__setattr__(self, "forecast_w", arr)

    def check_horizon(self, n: int) -> None:
        if self.forecast_w.shape != (n,):
            raise ValueError(f"PVInverter {self.name!r}: forecast needs {n} values")


@dataclass(frozen=True)
class ComfortPeriod:
    """From ``start`` (local time of day) on, keep the temperature in ``[low_c, high_c]``."""

    start: time
    low_c: float
    high_c: float


def comfort_band(horizon: Horizon, periods: list[ComfortPeriod]) -> tuple[FloatArray, FloatArray]:
    """Per-slot (low, high) from a daily schedule, using each slot's local end time."""
    if not periods:
        raise ValueError("comfort_band needs at least one period")
    ordered = sorted(periods, key=lambda p: p.start)
    n = horizon.slots
    low = np.empty(n)
    high = np.empty(n)
    step = horizon.step_minutes
    for i, t in enumerate(horizon.times_local()):
        end_min = (t.hour * 60 + t.minute + step) % 1440
        current = ordered[-1]
        for p in ordered:
            if p.start.hour * 60 + p.start.minute <= end_min:
                current = p
        low[i], high[i] = current.low_c, current.high_c
    return low, high
