"""The device interface: a kind registered from outside the planner is planned like a built-in
one (model, lazy disjunctions, report, baseline), and the planner's errors share one root."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

import numpy as np
import pytest

from open_hem_core.planner import (
    Battery,
    EVCharger,
    Horizon,
    InvalidProblemError,
    Ladder,
    PlannerError,
    Problem,
    PVInverter,
    Rung,
    plan,
)
from open_hem_core.planner.builder import Builder, IntArray
from open_hem_core.planner.device import (
    BalanceTerms,
    BaselineState,
    DeviceModel,
    DeviceResult,
    Disjunction,
    ModelContext,
    ReportContext,
    SemiContinuous,
)
from open_hem_core.planner.plan import DevicePlan, UnmetWish
from open_hem_core.planner.problem import FloatArray
from open_hem_core.planner.registry import kinds, register, unregister

from .builders import hourly
from .test_properties import check_hard_constraints


@dataclass(frozen=True)
class Boiler:
    """A toy kind: deliver ``energy_wh`` over the horizon, off or between min_w and max_w."""

    name: str
    energy_wh: float
    max_w: float
    min_w: float = 0.0

    def check_horizon(self, n: int) -> None:
        """No per-slot data."""


class BoilerModel(DeviceModel[Boiler]):
    kind: ClassVar[str] = "boiler"
    spec_type = Boiler
    baseline_rank = 0

    power: IntArray
    short: IntArray
    _min: tuple[Disjunction, ...]

    def build(self, b: Builder, ctx: ModelContext) -> BalanceTerms:
        boiler, n = self.spec, ctx.n
        self.power = b.cols(n, 0.0, boiler.max_w)
        self.short = b.cols(1, 0.0, boiler.energy_wh)
        b.row(
            np.r_[self.power, self.short],
            np.r_[np.full(n, ctx.dt_h), 1.0],
            boiler.energy_wh,
            boiler.energy_wh,
        )
        b.objective(Rung.WISHES, self.short, 1.0 / 1000.0)
        self._min = ()
        if boiler.min_w > 0:
            every = np.arange(n, dtype=np.int64)
            self._min = (SemiContinuous(self.power, boiler.min_w, candidates=every),)
        return [(self.power, -1.0)]

    def disjunctions(self) -> Sequence[Disjunction]:
        return self._min

    def report(self, x: FloatArray, ctx: ReportContext) -> DeviceResult:
        power = x[self.power]
        plan_ = DevicePlan(self.name, self.kind, power, np.cumsum(power) * ctx.dt_h, "Wh")
        short = float(x[self.short[0]])
        if short <= 0.5:
            return DeviceResult(plan_)
        wish = UnmetWish(
            self.name, "boiler_energy", self.spec.energy_wh, self.spec.energy_wh - short,
            short, "Wh", "max power too low",
        )  # fmt: skip
        return DeviceResult(plan_, (wish,))

    def baseline(self, sim: BaselineState) -> DeviceResult:
        """Full power from the start until the energy is in."""
        power = np.zeros(sim.n)
        left = self.spec.energy_wh
        for t in range(sim.n):
            if left <= 0:
                break
            power[t] = max(self.spec.min_w, min(self.spec.max_w, left / sim.dt_h))
            left -= power[t] * sim.dt_h
        sim.add(power)
        plan_ = DevicePlan(self.name, self.kind, power, np.cumsum(power) * sim.dt_h, "Wh")
        return DeviceResult(plan_, wishes_met=left <= 0)


@pytest.fixture
def boiler_kind() -> Iterator[None]:
    register(BoilerModel)
    yield
    unregister(BoilerModel)


def _problem(*devices: object, prices: list[float], **kw: object) -> Problem:
    n = len(prices)
    return hourly(
        n, import_price=prices, devices=devices, pv=(PVInverter("pv", np.zeros(n)),), **kw
    )


@pytest.mark.usefixtures("boiler_kind")
def test_a_registered_kind_is_planned_with_its_lazy_minimum_power() -> None:
    # 3 kWh at 0.3/0.1/0.2/0.05 EUR/kWh, 1.5-2 kW when on. Without the minimum the cheapest
    # plan is 2 kWh at 0.05 and 1 kWh at 0.1 (0.20 EUR); with it, 1.5 kWh in each (0.225 EUR).
    p = _problem(Boiler("boiler", 3000.0, 2000.0, 1500.0), prices=[0.3, 0.1, 0.2, 0.05])
    lazy, full = plan(p), plan(p, full_binaries=True)
    check_hard_constraints(p, lazy)
    np.testing.assert_allclose(lazy.device("boiler").power_w, [0, 1500, 0, 1500], atol=1e-6)
    assert lazy.device("boiler").kind == "boiler"
    assert lazy.cost.energy_eur == pytest.approx(0.225, abs=1e-9)
    assert full.cost.energy_eur == pytest.approx(0.225, abs=1e-9)
    assert lazy.unmet == ()
    # the baseline runs it at once: 2 kW at 0.3, then 1.5 kW (its minimum) at 0.1
    (base,) = [d for d in lazy.baseline.devices if d.name == "boiler"]
    np.testing.assert_allclose(base.power_w, [2000, 1500, 0, 0])
    assert lazy.baseline.cost.energy_eur == pytest.approx(0.75, abs=1e-9)
    assert lazy.saving_eur == pytest.approx(0.525, abs=1e-9)


@pytest.mark.usefixtures("boiler_kind")
def test_a_registered_kind_reports_its_unmet_wish_and_shares_the_grid() -> None:
    # 10 kWh cannot go into 4 hours at 2 kW; the battery and the boiler share the balance
    bat = Battery("bat", 4000.0, 2000.0, 2000.0, 1.0, 1.0, soc_min=0.0, soc_initial=1.0)
    boiler = Boiler("boiler", 10000.0, 2000.0)
    p = _problem(boiler, bat, prices=[0.3, 0.1, 0.2, 0.05])
    r = plan(p)
    check_hard_constraints(p, r)
    (wish,) = r.unmet
    assert (wish.device, wish.kind) == ("boiler", "boiler_energy")
    assert wish.shortfall == pytest.approx(2000.0, abs=1e-3)  # within the ladder tolerance
    # registration order: the built-in kinds first, then the boiler
    assert [d.name for d in r.devices] == ["bat", "pv", "boiler"]
    # the battery's 4 kWh cover the two dearest hours
    np.testing.assert_allclose(r.import_w, [0, 2000, 0, 2000], atol=1e-6)


def test_a_built_in_kind_may_also_go_in_problem_devices() -> None:
    ev = EVCharger("car", max_w=11000, min_w=4140, energy_wh=6000, available_from_slot=0,
                   deadline_slot=3)  # fmt: skip
    prices = [0.3, 0.1, 0.2]
    by_field = plan(hourly(3, import_price=prices, evs=(ev,)))
    by_devices = plan(hourly(3, import_price=prices, devices=(ev,)))
    assert by_devices.cost.energy_eur == pytest.approx(by_field.cost.energy_eur, abs=1e-12)
    np.testing.assert_array_equal(by_devices.device("car").power_w, by_field.device("car").power_w)


def test_an_unregistered_kind_is_invalid_input() -> None:
    with pytest.raises(InvalidProblemError, match="no device kind is registered for Boiler"):
        hourly(2, devices=(Boiler("boiler", 1000.0, 2000.0),))


def test_a_device_in_another_kinds_field_is_invalid_input() -> None:
    ev = EVCharger("car", max_w=11000, energy_wh=0, available_from_slot=0, deadline_slot=1)
    with pytest.raises(InvalidProblemError, match="is not a Battery"):
        hourly(2, batteries=(ev,))


def test_a_kind_registers_once() -> None:
    before = kinds()
    register(BoilerModel)
    try:
        assert register(BoilerModel) is BoilerModel  # again: nothing changes
        assert kinds() == (*before, BoilerModel)

        class OtherBoiler(BoilerModel):
            kind: ClassVar[str] = "boiler"

        with pytest.raises(PlannerError, match="registered already"):
            register(OtherBoiler)
    finally:
        unregister(BoilerModel)
    assert kinds() == before


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Battery("b", 0, 1000, 1000), "capacity_wh"),
        (lambda: hourly(2, import_price=["0.1", "cheap"]), "import_price"),
        (lambda: Horizon(datetime(2025, 1, 1, tzinfo=UTC), 4, 15, "Mars/Olympus"), "Mars"),
        (lambda: Ladder(("grid", "wishes", "money")), "money"),  # type: ignore[arg-type]
    ],
)
def test_invalid_input_raises_the_planners_error_which_is_a_value_error(
    factory: object, message: str
) -> None:
    with pytest.raises(InvalidProblemError, match=message) as caught:
        factory()  # type: ignore[operator]
    assert isinstance(caught.value, PlannerError)
    assert isinstance(caught.value, ValueError)
