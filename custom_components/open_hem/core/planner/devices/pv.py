"""The PV inverter: its spec (a forecast) and how it is planned.

S2: PEBC, a power envelope from 0 to the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..builder import Builder, IntArray
from ..device import (
    BalanceTerms,
    BaselineState,
    DeviceModel,
    DeviceResult,
    ModelContext,
    ReportContext,
    check_finite_nonneg,
)
from ..errors import InvalidProblemError
from ..plan import DevicePlan
from ..problem import FloatArray, Rung


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
            msg = f"PVInverter {self.name!r}: forecast_w must be finite and >= 0"
            raise InvalidProblemError(msg)
        if self.max_ac_w is not None:
            check_finite_nonneg(f"PVInverter {self.name!r}", max_ac_w=self.max_ac_w)
            arr = np.minimum(arr, self.max_ac_w)
        arr.setflags(write=False)
        object.__setattr__(self, "forecast_w", arr)

    def check_horizon(self, n: int) -> None:
        if self.forecast_w.shape != (n,):
            raise InvalidProblemError(f"PVInverter {self.name!r}: forecast needs {n} values")


class PVModel(DeviceModel[PVInverter]):
    """The PV power used per slot, between 0 (curtailed) and the forecast."""

    kind: ClassVar[str] = "pv"
    spec_type = PVInverter
    problem_field = "pv"
    column_rank = 0
    baseline_rank = 3  # last: curtailed only where the export fuse demands, after every other

    used: IntArray

    def production_w(self, n: int) -> FloatArray | None:
        return self.spec.forecast_w

    def fixed_production_w(self, n: int) -> FloatArray | None:
        return None if self.spec.curtailable else self.spec.forecast_w

    def build(self, b: Builder, ctx: ModelContext) -> BalanceTerms:
        inv = self.spec
        lo = 0.0 if inv.curtailable else inv.forecast_w
        self.used = b.cols(ctx.n, lo, inv.forecast_w)
        # PV not used in the home: exported or curtailed
        b.objective(Rung.OWN_PRODUCTION, self.used, -ctx.kwh_per_w)
        return [(self.used, 1.0)]

    def report(self, x: FloatArray, ctx: ReportContext) -> DeviceResult:
        inv = self.spec
        used = x[self.used]
        return DeviceResult(
            DevicePlan(inv.name, self.kind, -used, None, None, inv.forecast_w - used)
        )

    def baseline(self, sim: BaselineState) -> DeviceResult:
        """The forecast, less its share of what the export fuse demands curtailed."""
        inv, n = self.spec, sim.n
        share = np.divide(
            inv.forecast_w * inv.curtailable,
            sim.curtailable_w,
            out=np.zeros(n),
            where=sim.curtailable_w > 0,
        )
        cut = sim.export_cut_w() * share
        return DeviceResult(
            DevicePlan(inv.name, self.kind, -(inv.forecast_w - cut), None, None, cut)
        )
