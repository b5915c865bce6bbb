"""The one interface every device kind implements (:class:`DeviceModel`), and what the generic
code hands it in each phase: building the model, the solver's lazy disjunctions, reporting the
plan, and the baseline simulation.

A kind is a spec dataclass (what the user describes, validated on construction) plus a
``DeviceModel`` subclass that plans it, registered in ``registry.py``. The generic code (model
assembly, grid balance, ladder, solve loop, report, baseline) never names a kind.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
import math
from typing import Any, ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

from .builder import Builder, IntArray
from .errors import InvalidProblemError
from .plan import DevicePlan, UnmetWish
from .problem import FloatArray, Problem

type BoolArray = NDArray[np.bool_]
TOL_W = 1e-3
"""Power below this (W) counts as zero when checking disjunctions."""
type BalanceTerms = list[tuple[IntArray, float]]
"""A device's terms of the per-slot energy balance: (n columns, +1.0 where they produce,
-1.0 where they consume), in W."""


class DeviceSpec(Protocol):
    """A device as its user describes it: a frozen dataclass, validated on construction."""

    @property
    def name(self) -> str: ...

    def check_horizon(self, n: int) -> None:
        """Raise :class:`InvalidProblemError` where per-slot data does not fit ``n`` slots."""


def check_finite_nonneg(owner: str, **values: float) -> None:
    """Raise InvalidProblemError unless every value is finite and >= 0."""
    for key, v in values.items():
        if not math.isfinite(v) or v < 0:
            raise InvalidProblemError(f"{owner}: {key} must be finite and >= 0, got {v!r}")


def check_efficiency(owner: str, **values: float) -> None:
    """Raise InvalidProblemError unless every value is in (0, 1]."""
    for key, v in values.items():
        if not 0 < v <= 1:
            raise InvalidProblemError(f"{owner}: {key} must be in (0, 1], got {v!r}")


@dataclass(frozen=True)
class ModelContext:
    """What a device sees of the problem while it adds itself to the model."""

    problem: Problem
    n: int
    dt_h: float
    kwh_per_w: float
    """kWh of one W held for one slot: turns W columns into energy (and EUR with a price)."""
    base_load_w: FloatArray
    outdoor_c: FloatArray
    production_w: FloatArray
    """Forecast production of every device (PV) before curtailment."""
    surplus_w: FloatArray
    """Forecast production above the base load (>= 0): what a solar-only load may use."""


@dataclass(frozen=True)
class Split:
    """A disjunction: never ``a[t] > 0`` and ``b[t] > 0`` in the same slot (charge and
    discharge, import and export). Per slot ``t`` of the horizon; the solver gives slot ``t``
    a binary ``z`` (``a <= ub_a*z``, ``b <= ub_b*(1-z)``) only where it must."""

    a: IntArray
    b: IntArray
    ub_a: FloatArray
    ub_b: FloatArray
    candidates: IntArray
    """Slots where it can bind: the full model has a binary in each."""
    mask: BoolArray | None = None
    """Only these slots count (None: every slot)."""
    burns_energy: bool = True
    """Breaking it means doing both at once, which wastes energy and so pays only where
    energy has a negative price or (own production on the ladder) where own production would
    otherwise leave the home (``Index.burn_slots``): once it needs binaries, only such slots
    get them besides the slots found broken."""


@dataclass(frozen=True)
class SemiContinuous:
    """A disjunction: ``cols[t]`` is 0 or at least ``min_w`` (and at most its bound)."""

    cols: IntArray
    min_w: float
    candidates: IntArray
    """Slots where it can bind: the full model has a binary in each."""
    grow: bool = True
    """Once a slot breaks it, give every candidate slot a binary (one mixed-integer solve
    beats several rounds); False keeps the binaries to the slots found broken."""
    prefer_on: Callable[[FloatArray, FloatArray], BoolArray] | None = None
    """(relaxed values, upper bounds) -> the slots the LP dive tries "on" first (default:
    where the relaxed value is at least half the minimum)."""
    mip_presolve: str | None = None
    """HiGHS ``presolve`` for a mixed-integer solve with these binaries (None: default)."""
    round_greedily: bool = False
    """Where the model holds this disjunction and the LP dive fails, the mixed-integer solve
    starts from a plan rounded one disjunction at a time to its cheaper side (see
    ``solve._round_greedy``) rather than all at once."""


type Disjunction = Split | SemiContinuous


@dataclass(frozen=True)
class ReportContext:
    """What a device sees of the solved plan while it reports its part."""

    problem: Problem
    n: int
    dt_h: float
    outdoor_c: FloatArray
    grid_first: bool
    """The GRID rung ranks above WISHES (a grid limit can be why a wish is unmet)."""
    at_import_limit: BoolArray
    """Slots where the import is at its soft limit or at the fuse."""

    def span(self, a: int, b: int) -> str:
        """Slots ``[a, b)`` as local ``HH:MM-HH:MM``."""
        h = self.problem.horizon
        times = h.times_local()
        end = h.start.astimezone(h.tz) if b == 0 else None
        last = times[b - 1] if end is None else end
        stop = datetime.fromtimestamp(last.timestamp() + h.step_minutes * 60, tz=h.tz)
        return f"{times[a]:%H:%M}-{stop:%H:%M}"


def runs(mask: NDArray[Any]) -> list[tuple[int, int]]:
    """``[start, end)`` runs of slots where ``mask`` is true."""
    m = np.r_[False, mask.astype(bool), False]
    d = np.flatnonzero(np.diff(m.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(d[::2], d[1::2], strict=True)]


@dataclass(frozen=True)
class DeviceResult:
    """One device's part of a plan (or of the baseline) and what it adds to the cost."""

    plan: DevicePlan
    unmet: tuple[UnmetWish, ...] = ()
    wear_eur: float = 0.0
    stored_eur: float = 0.0
    """Value of the energy it holds at the end (subtracted from the cost)."""
    wishes_met: bool = True
    """Baseline only: whether the simulation meets the device's wishes."""


class BaselineState:
    """The straight simulation (no planner) that devices join one by one, in
    ``baseline_rank`` order: each reads what the others did and adds its power."""

    def __init__(self, problem: Problem, production_w: FloatArray, curtailable_w: FloatArray):
        self.problem = problem
        self.n = problem.n
        self.dt_h = problem.horizon.dt_h
        self.outdoor_c = problem.outdoor
        self.production_w = production_w
        """Forecast production of every device."""
        self.curtailable_w = curtailable_w
        """The part of it the plan may curtail."""
        self.load_w = np.asarray(problem.base_load_w, dtype=np.float64).copy()
        """Consumption so far: the base load and the loads that joined before the net."""
        self._net: FloatArray | None = None
        self._cut: FloatArray | None = None

    def add(self, power_w: FloatArray) -> None:
        """A device's power (+ consumes, - feeds): to the load, or to the net once it is
        formed (storage nets what is left)."""
        if self._net is None:
            self.load_w += power_w
        else:
            self._net = self._net + power_w

    def net_w(self) -> FloatArray:
        """Consumption minus forecast production so far (+ imports, - exports)."""
        if self._net is None:
            self._net = self.load_w - self.production_w
        return self._net

    def export_cut_w(self) -> FloatArray:
        """Curtailment the export fuse demands from the final net (production joins last)."""
        if self._cut is None:
            export = np.maximum(-self.net_w(), 0.0)
            over = np.maximum(0.0, export - self.problem.grid.fuse_export_w)
            self._cut = np.minimum(over, self.curtailable_w)
        return self._cut


class DeviceModel[S: DeviceSpec](ABC):
    """One device's part of one plan, made from its spec; the generic code calls it in every
    phase. A kind subclasses this, sets the class attributes and registers the subclass."""

    kind: ClassVar[str]
    """``DevicePlan.kind``, e.g. ``"battery"``."""
    spec_type: ClassVar[type[Any]]
    """The spec dataclass this kind plans."""
    problem_field: ClassVar[str | None] = None
    """The :class:`Problem` field that holds these devices (the grote vier); other kinds go
    in ``Problem.devices``."""
    column_rank: ClassVar[int] = 100
    """Where its columns go among the kinds' (lower first). The built-ins keep the column
    order the model had before kinds were modules, so HiGHS takes the same path."""
    baseline_rank: ClassVar[int] = 100
    """Its turn in the baseline simulation: loads first, storage after every load (it nets
    what is left), production last (curtailed where the export fuse demands)."""

    def __init__(self, spec: S) -> None:
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    # -- facts the generic code needs before the model --------------------------------------

    def production_w(self, n: int) -> FloatArray | None:
        """Forecast production it can deliver (PV), or None."""
        return None

    def fixed_production_w(self, n: int) -> FloatArray | None:
        """The part of its production the plan cannot curtail, or None."""
        return None

    # -- the model ------------------------------------------------------------------------

    @abstractmethod
    def build(self, b: Builder, ctx: ModelContext) -> BalanceTerms:
        """Add its columns, rows and rung objective terms; return its balance terms."""

    def integer_cols(self) -> list[IntArray]:
        """Columns that are integer in the model itself (an on/off unit's state)."""
        return []

    def mip_presolve(self) -> str | None:
        """HiGHS ``presolve`` for a mixed-integer solve with its integer columns."""
        return None

    def disjunctions(self) -> Sequence[Disjunction]:
        """Disjunctions the solver enforces lazily (binaries only where they bind)."""
        return ()

    def start_pattern(self, x: FloatArray) -> tuple[IntArray, FloatArray] | None:
        """Values of its on/off columns (integer columns, or columns that are 0 or full) for
        a feasible start near the relaxed ``x``; the solver fixes them and solves the LP."""
        return None

    def candidate_patterns(self, x: FloatArray) -> Sequence[tuple[IntArray, FloatArray]]:
        """Patterns to try, best guess first (the solver keeps the one with the cheapest
        LP); by default just :meth:`start_pattern`."""
        pattern = self.start_pattern(x)
        return [] if pattern is None else [pattern]

    def warm_pattern(
        self, x: FloatArray, previous: Sequence[FloatArray]
    ) -> tuple[IntArray, FloatArray] | None:
        """Like :meth:`start_pattern`, but near ``previous``: the last plan's values of its
        integer columns, shifted to this horizon (NaN in slots it did not cover). Replanning
        (``replan.py``) starts from it. By default the relaxation's pattern."""
        return self.start_pattern(x)

    # -- results --------------------------------------------------------------------------

    @abstractmethod
    def report(self, x: FloatArray, ctx: ReportContext) -> DeviceResult:
        """Its plan from the solution ``x``, with its unmet wishes and why."""

    @abstractmethod
    def baseline(self, sim: BaselineState) -> DeviceResult:
        """What it does without the planner; adds its power to ``sim``."""
