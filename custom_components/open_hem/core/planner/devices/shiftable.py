"""Shiftable appliances (washing machine, dishwasher, dryer): a run the planner places in time.

S2: PPBC (power-profile based control). A :class:`ShiftableLoad` is one run made of
:class:`ProfilePart` s done one after the other; each part has one or more alternative power
sequences (W per slot), of which the planner runs exactly one, whole and unmodulated. Between
parts the appliance may pause up to the part's ``max_pause_before_slots``. The planner chooses
each part's alternative and start slot; the plan reports them (:class:`ShiftableLoadPlan`), so
the S2 side can send ``PPBC.ScheduleInstruction`` s.

Rules. The run starts at or after ``earliest_start_slot`` (hard) and lies wholly inside the
horizon (hard: it is never cut short). Finishing by ``latest_end_slot`` is a wish on the
ladder's WISHES rung (in hours late): a run that cannot finish in time finishes as early as it
can after it and is reported in ``Plan.unmet``.

Model. One start column per (part, alternative, feasible start slot), scaled to
``[0, START_SCALE]`` (``START_SCALE`` = started); each part's columns sum to ``START_SCALE``
(exactly one start); its power per slot is the profile shifted to the chosen start; parts
follow each other in time-indexed form (``_precedence``), far tighter than one row. In the
relaxation a start may be split over several slots; each part's alternatives are
:class:`~..device.SemiContinuous` disjunctions with minimum ``START_SCALE`` (0 or started),
so the solver adds start binaries only when the relaxation splits a start, and then for every
start of that part (one mixed-integer solve beats several rounds). Where the relaxation
already places each run in one piece (the cost is linear in the start, so it often does), no
binary is needed at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math
from typing import Any, ClassVar

import numpy as np

from ..builder import Builder, IntArray
from ..device import (
    TOL_W,
    BalanceTerms,
    BaselineState,
    DeviceModel,
    DeviceResult,
    Disjunction,
    ModelContext,
    ReportContext,
    SemiContinuous,
)
from ..errors import InvalidProblemError
from ..plan import DevicePlan, UnmetWish
from ..problem import FloatArray, Rung

START_SCALE = 1000.0
"""A start column's value when that start is chosen. The solver counts a disjunction as kept
within 1e-3 of its bounds (``device.TOL_W``): on this scale a start is split by at most 1e-6,
so a profile's power is off by at most a millionth."""
_INF = math.inf
MAX_CANDIDATES = 12
"""Whole runs the solver tries as a start (one warm LP each, ~2-3 ms at 144 slots; see
``candidate_patterns``)."""


def _alternative(owner: str, values: Sequence[float]) -> tuple[float, ...]:
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError) as err:
        raise InvalidProblemError(f"{owner}: {err}") from err
    if not out:
        raise InvalidProblemError(f"{owner}: a power sequence needs at least one slot")
    if any(not math.isfinite(v) or v < 0 for v in out):
        raise InvalidProblemError(f"{owner}: powers must be finite and >= 0 W")
    return out


@dataclass(frozen=True)
class ProfilePart:
    """One part of a run (an S2 power sequence container): its alternative power sequences
    (W per slot, one is run, whole) and the pause allowed before it, after the previous part
    ends (ignored for the first part, whose start the run's window decides)."""

    alternatives: tuple[tuple[float, ...], ...]
    max_pause_before_slots: int = 0

    def __post_init__(self) -> None:
        if not self.alternatives:
            raise InvalidProblemError("ProfilePart: needs at least one alternative")
        alts = tuple(_alternative("ProfilePart", a) for a in self.alternatives)
        object.__setattr__(self, "alternatives", alts)
        pause = self.max_pause_before_slots
        if isinstance(pause, bool) or not isinstance(pause, int) or pause < 0:
            msg = f"ProfilePart: max_pause_before_slots must be an integer >= 0, got {pause!r}"
            raise InvalidProblemError(msg)

    @property
    def min_slots(self) -> int:
        return min(len(a) for a in self.alternatives)

    @property
    def max_slots(self) -> int:
        return max(len(a) for a in self.alternatives)


@dataclass(frozen=True)
class ShiftableLoad:
    """An appliance run: ``parts`` in order, starting at or after ``earliest_start_slot``,
    wished finished before ``latest_end_slot`` (exclusive; None: the horizon's end).

    The whole run must fit in the horizon after its earliest start (else the problem is
    invalid for that horizon); finishing in time is a wish (see the module docstring).
    """

    name: str
    parts: tuple[ProfilePart, ...]
    earliest_start_slot: int = 0
    latest_end_slot: int | None = None

    def __post_init__(self) -> None:
        owner = f"ShiftableLoad {self.name!r}"
        parts = tuple(self.parts)
        if not parts or not all(isinstance(p, ProfilePart) for p in parts):
            raise InvalidProblemError(f"{owner}: parts must be one or more ProfileParts")
        object.__setattr__(self, "parts", parts)
        for key in ("earliest_start_slot", "latest_end_slot"):
            v = getattr(self, key)
            if v is None and key == "latest_end_slot":
                continue
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InvalidProblemError(f"{owner}: {key} must be an integer >= 0, got {v!r}")

    @classmethod
    def constant(
        cls,
        name: str,
        power_w: float,
        duration_slots: int,
        earliest_start_slot: int = 0,
        latest_end_slot: int | None = None,
    ) -> ShiftableLoad:
        """A run at one constant power for ``duration_slots`` slots, in one piece."""
        if isinstance(duration_slots, bool) or not isinstance(duration_slots, int):
            raise InvalidProblemError(f"ShiftableLoad {name!r}: duration_slots must be an int")
        if duration_slots < 1:
            raise InvalidProblemError(f"ShiftableLoad {name!r}: duration_slots must be >= 1")
        part = ProfilePart(((float(power_w),) * duration_slots,))
        return cls(name, (part,), earliest_start_slot, latest_end_slot)

    @property
    def min_slots(self) -> int:
        """The shortest run: the shortest alternatives without pauses."""
        return sum(p.min_slots for p in self.parts)

    def deadline(self, n: int) -> int:
        """The wished end (exclusive slot), clipped to the horizon."""
        return n if self.latest_end_slot is None else min(self.latest_end_slot, n)

    def check_horizon(self, n: int) -> None:
        if self.earliest_start_slot + self.min_slots > n:
            msg = (
                f"ShiftableLoad {self.name!r}: its run ({self.min_slots} slots at least) does "
                f"not fit in the {n}-slot horizon after slot {self.earliest_start_slot}"
            )
            raise InvalidProblemError(msg)


def profile_from_minutes(watts_per_minute: Sequence[float], slot_minutes: int) -> tuple[float, ...]:
    """A per-minute power profile (W) as mean W per slot of ``slot_minutes``.

    A last, partial slot keeps its energy (its mean over the whole slot), so the energy is
    that of the minutes: e.g. 10 minutes at 2000 W in 15-minute slots -> ``(1333.33...,)``.
    """
    if isinstance(slot_minutes, bool) or not isinstance(slot_minutes, int) or slot_minutes < 1:
        raise InvalidProblemError(f"slot_minutes must be an integer >= 1, got {slot_minutes!r}")
    w = np.asarray(_alternative("profile_from_minutes", watts_per_minute))
    slots = -(-len(w) // slot_minutes)
    padded = np.zeros(slots * slot_minutes)
    padded[: len(w)] = w
    return tuple(float(v) for v in padded.reshape(slots, slot_minutes).mean(axis=1))


@dataclass(frozen=True)
class PartChoice:
    """What the plan runs for one part: which alternative, in ``[start_slot, end_slot)``."""

    part: int
    alternative: int
    start_slot: int
    end_slot: int

    def to_dict(self) -> dict[str, int]:
        return {
            "part": self.part,
            "alternative": self.alternative,
            "start_slot": self.start_slot,
            "end_slot": self.end_slot,
        }


@dataclass(frozen=True)
class ShiftableLoadPlan(DevicePlan):
    """A shiftable load's plan: its power per slot (``state``: energy so far, Wh) and, per
    part, the chosen alternative and start slot (for ``PPBC.ScheduleInstruction`` s)."""

    parts: tuple[PartChoice, ...] = ()

    @property
    def start_slot(self) -> int:
        return self.parts[0].start_slot

    @property
    def end_slot(self) -> int:
        """The slot after the run's last (exclusive)."""
        return self.parts[-1].end_slot

    @property
    def choices(self) -> dict[int, tuple[int, int]]:
        """part -> (alternative, start slot)."""
        return {c.part: (c.alternative, c.start_slot) for c in self.parts}

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "parts": [c.to_dict() for c in self.parts]}


@dataclass(frozen=True)
class _Block:
    """The start columns of one (part, alternative): one per feasible start slot."""

    part: int
    alternative: int
    profile: FloatArray
    starts: IntArray
    cols: IntArray


def _start_ranges(load: ShiftableLoad, n: int) -> list[list[tuple[int, int]]]:
    """Per part and alternative, the ``[first, last]`` start slots any whole run can use."""
    parts = load.parts
    tail = [sum(q.min_slots for q in parts[p + 1 :]) for p in range(len(parts))]
    out: list[list[tuple[int, int]]] = []
    earliest = load.earliest_start_slot
    latest = n - parts[0].min_slots - tail[0]  # the latest start of the whole run
    for p, part in enumerate(parts):
        if p:
            earliest += parts[p - 1].min_slots
            latest += parts[p - 1].max_slots + part.max_pause_before_slots
        out.append([(earliest, min(latest, n - len(alt) - tail[p])) for alt in part.alternatives])
    return out


def _place(load: ShiftableLoad, choice: Sequence[tuple[int, int]], n: int) -> FloatArray:
    """The run's power per slot for (alternative, start) per part."""
    power = np.zeros(n)
    for part, (a, s) in zip(load.parts, choice, strict=True):
        alt = part.alternatives[a]
        power[s : s + len(alt)] += alt
    return power


def _cumulative(b: Builder, times: IntArray, cols: IntArray, first: int, last: int) -> IntArray:
    """Columns ``c[t - first] = sum of x[cols] whose time is <= t``, for ``t`` in
    ``[first, last]`` (every time must lie in that window)."""
    span = last - first + 1
    c = b.cols(span, 0.0, START_SCALE)
    at = times - first
    order = np.argsort(at, kind="stable")
    counts = np.bincount(at, minlength=span)
    # row t: c[t] - c[t-1] - (the x that happen at t) = 0
    lengths = 1 + (np.arange(span) > 0) + counts
    own = [np.array([c[0]])] + [np.array([c[t], c[t - 1]]) for t in range(1, span)]
    signs = [np.array([1.0])] + [np.array([1.0, -1.0])] * (span - 1)
    happen = np.split(cols[order], np.cumsum(counts)[:-1])
    row_cols = np.concatenate([np.r_[o, h] for o, h in zip(own, happen, strict=True)])
    row_vals = np.concatenate(
        [np.r_[sg, -np.ones(len(h))] for sg, h in zip(signs, happen, strict=True)]
    )
    b.sparse_rows(lengths, row_cols, row_vals, 0.0, 0.0)
    return c


def _precedence(b: Builder, prev: list[_Block], own: list[_Block], max_pause: int) -> None:
    """The previous part's end <= this part's start <= that end + ``max_pause``, in the
    time-indexed form: for every slot boundary ``t``, "this part started by t" implies "the
    previous one ended by t", and "the previous one ended by t" implies "this one started by
    t + max_pause". Whole runs satisfy it exactly as the single row ``start - end in [0,
    pause]`` would; a relaxation does too, while that one row let it split both parts over
    many slots with the right average (an appliance's mixed-integer solve took seconds)."""
    starts = np.concatenate([blk.starts for blk in own])
    started = np.concatenate([blk.cols for blk in own])
    ends = np.concatenate([blk.starts + len(blk.profile) for blk in prev])
    ended = np.concatenate([blk.cols for blk in prev])
    first = int(min(starts.min(), ends.min()))
    last = int(max(starts.max(), ends.max()))
    s = _cumulative(b, starts, started, first, last)
    e = _cumulative(b, ends, ended, first, last)
    b.rows([s, e], [1.0, -1.0], -_INF, 0.0)  # started by t -> ended by t
    k = len(s) - max_pause
    if k > 1:  # at k = 1 the one row is "ended by the window's start -> started by its end"
        # ended by t -> started by t + pause (beyond the window everything has started)
        b.rows([e[:k], s[max_pause:]], [1.0, -1.0], -_INF, 0.0)


class ShiftableLoadModel(DeviceModel[ShiftableLoad]):
    """Start columns per (part, alternative, slot), its power per slot, and the hours it ends
    after its wished end (WISHES rung)."""

    kind: ClassVar[str] = "shiftable_load"
    spec_type = ShiftableLoad
    column_rank = 4  # after the grote vier: their columns keep their places
    baseline_rank = 0  # a load: before storage and production

    power: IntArray
    late: IntArray | None  # 1 column, slots late (None: it cannot be late)
    blocks: list[_Block]
    _disjunctions: tuple[Disjunction, ...]

    def build(self, b: Builder, ctx: ModelContext) -> BalanceTerms:
        load, n = self.spec, ctx.n
        ranges = _start_ranges(load, n)
        blocks: list[_Block] = []
        for p, part in enumerate(load.parts):
            for a, alt in enumerate(part.alternatives):
                first, last = ranges[p][a]
                starts = np.arange(first, last + 1, dtype=np.int64)
                if len(starts):
                    prof = np.asarray(alt, dtype=np.float64)
                    cols = b.cols(len(starts), 0.0, START_SCALE)
                    blocks.append(_Block(p, a, prof, starts, cols))
        by_part = [[blk for blk in blocks if blk.part == p] for p in range(len(load.parts))]
        fixed: set[int] = set()
        for p, own in enumerate(by_part):
            # exactly one start per part (a part with one possible start has it fixed)
            if sum(len(blk.starts) for blk in own) == 1:
                fixed.add(p)
                b.row(own[0].cols, np.ones(1), START_SCALE, START_SCALE)
            else:
                cols = np.concatenate([blk.cols for blk in own])
                b.row(cols, np.ones(len(cols)), START_SCALE, START_SCALE)
            if p:
                _precedence(b, by_part[p - 1], own, load.parts[p].max_pause_before_slots)
        # power[t] = sum of the profiles at their starts, one row per slot a run can reach
        t_idx: list[IntArray] = []
        c_idx: list[IntArray] = []
        coef: list[FloatArray] = []
        for blk in blocks:
            k = np.arange(len(blk.profile))
            t_idx.append((blk.starts[:, None] + k[None, :]).reshape(-1))
            c_idx.append(np.repeat(blk.cols, len(k)))
            coef.append(np.tile(-blk.profile / START_SCALE, len(blk.starts)))
        t_all, c_all, v_all = np.concatenate(t_idx), np.concatenate(c_idx), np.concatenate(coef)
        reach = np.zeros(n, dtype=bool)
        reach[t_all] = True
        power = b.cols(n, 0.0, np.where(reach, _INF, 0.0))
        slots = np.flatnonzero(reach)
        keep = v_all != 0.0
        t_all = np.r_[slots, t_all[keep]]  # each row's power column first
        c_all = np.r_[power[slots], c_all[keep]]
        v_all = np.r_[np.ones(len(slots)), v_all[keep]]
        order = np.argsort(t_all, kind="stable")
        b.sparse_rows(np.bincount(t_all, minlength=n)[slots], c_all[order], v_all[order], 0.0, 0.0)
        # hours past the wished end (the last part's end)
        deadline = load.deadline(n)
        late_cols: list[IntArray] = []
        late_by: list[FloatArray] = []
        for blk in by_part[-1]:
            over = blk.starts + len(blk.profile) - deadline
            m = over > 0
            late_cols.append(blk.cols[m])
            late_by.append(over[m].astype(np.float64) / START_SCALE)
        late_c = np.concatenate(late_cols)
        late = None
        if len(late_c):
            late = b.cols(1, 0.0, _INF)
            b.row(np.r_[late_c, late], np.r_[np.concatenate(late_by), -1.0], -_INF, 0.0)
            b.objective(Rung.WISHES, late, ctx.dt_h)
        self.power, self.late, self.blocks = power, late, blocks
        self._disjunctions = tuple(
            SemiContinuous(
                blk.cols,
                START_SCALE,
                candidates=np.arange(len(blk.cols), dtype=np.int64),
                # a start placed beside other on/off rules (an EV's minimum power) shifts
                # what rounding them costs: round one at a time (solve._round_greedy)
                round_greedily=True,
            )
            for blk in blocks
            if blk.part not in fixed
        )
        return [(power, -1.0)]

    def disjunctions(self) -> Sequence[Disjunction]:
        return self._disjunctions

    def start_pattern(self, x: FloatArray) -> tuple[IntArray, FloatArray] | None:
        found = self.candidate_patterns(x)
        return found[0] if found else None

    def candidate_patterns(self, x: FloatArray) -> list[tuple[IntArray, FloatArray]]:
        """Whole runs near the relaxed ``x``: one per start of the first part that ``x``
        uses (largest share first), then per start a slot or two beside those, at most
        ``MAX_CANDIDATES``; each later part at its start with the largest share among those
        that follow the chosen end (within its pause). A relaxation that spreads a run mixes
        a few such runs, and the cheapest whole run may lie just beside them (the loop
        benchmark's winter 04:45 problems: two slots later; found, their plan is within the
        MIP gap and the mixed-integer solve ends at its root, 0.7 s -> 0.1 s)."""
        if not self._disjunctions:
            return []
        cols = np.concatenate([blk.cols for blk in self.blocks])
        used: list[tuple[float, int, int]] = []  # share, column, end
        near: list[tuple[float, int, int]] = []  # a neighbouring start of a used one
        for blk in self.blocks:
            if blk.part != 0:
                continue
            for i in np.flatnonzero(x[blk.cols] > TOL_W).tolist():
                share = float(x[blk.cols[i]])
                used.append((share, int(blk.cols[i]), int(blk.starts[i]) + len(blk.profile)))
                for step in (1, -1, 2, -2):
                    j = i + step
                    if 0 <= j < len(blk.cols) and x[blk.cols[j]] <= TOL_W:
                        end = int(blk.starts[j]) + len(blk.profile)
                        near.append((share / (1 + abs(step)), int(blk.cols[j]), end))
        used.sort(key=lambda f: -f[0])
        near.sort(key=lambda f: -f[0])
        firsts = used + near
        seen: set[int] = set()
        found: list[tuple[IntArray, FloatArray]] = []
        for _, col, end in firsts:
            if col in seen:
                continue
            seen.add(col)
            if len(seen) > MAX_CANDIDATES:
                break
            chosen = self._follow(x, [col], end)
            if chosen is not None:
                found.append((cols, np.where(np.isin(cols, chosen), START_SCALE, 0.0)))
        return found

    def _follow(self, x: FloatArray, chosen: list[int], end: int) -> list[int] | None:
        """``chosen`` extended part by part after the first (None: no start fits)."""
        parts = self.spec.parts
        for p in range(1, len(parts)):
            best: tuple[float, int, int] | None = None  # share, column, end
            for blk in self.blocks:
                if blk.part != p:
                    continue
                ok = (blk.starts >= end) & (blk.starts <= end + parts[p].max_pause_before_slots)
                if not ok.any():
                    continue
                i = int(np.flatnonzero(ok)[np.argmax(x[blk.cols][ok])])
                if best is None or x[blk.cols[i]] > best[0]:
                    best = (
                        float(x[blk.cols[i]]),
                        int(blk.cols[i]),
                        int(blk.starts[i]) + len(blk.profile),
                    )
            if best is None:
                return None
            chosen.append(best[1])
            end = best[2]
        return chosen

    def choose(self, x: FloatArray) -> list[tuple[int, int]]:
        """(alternative, start) per part: the start with the largest share in ``x``."""
        best: list[tuple[float, int, int]] = [(-1.0, 0, 0)] * len(self.spec.parts)
        for blk in self.blocks:
            v = x[blk.cols]
            i = int(np.argmax(v))
            if v[i] > best[blk.part][0]:
                best[blk.part] = (float(v[i]), blk.alternative, int(blk.starts[i]))
        return [(a, s) for _, a, s in best]

    def _plan(self, choice: Sequence[tuple[int, int]], n: int, dt_h: float) -> ShiftableLoadPlan:
        load = self.spec
        power = _place(load, choice, n)
        parts = tuple(
            PartChoice(p, a, s, s + len(load.parts[p].alternatives[a]))
            for p, (a, s) in enumerate(choice)
        )
        return ShiftableLoadPlan(
            load.name, self.kind, power, np.cumsum(power) * dt_h, "Wh", parts=parts
        )

    def report(self, x: FloatArray, ctx: ReportContext) -> DeviceResult:
        load, n = self.spec, ctx.n
        plan = self._plan(self.choose(x), n, ctx.dt_h)
        deadline = load.deadline(n)
        if plan.end_slot <= deadline:
            return DeviceResult(plan)
        step = ctx.problem.horizon.step_minutes
        soonest = load.earliest_start_slot + load.min_slots
        if soonest > deadline:
            why = (
                f"its earliest start plus its run ({load.min_slots} slots at least) ends after "
                "the wished end"
            )
        elif ctx.grid_first and self._soft_limit_before(ctx, deadline):
            why = "grid limit"
        elif ctx.at_import_limit[load.earliest_start_slot : deadline].any():
            why = "the connection's fuse, shared with other loads"
        else:
            why = "a higher rung of the priority ladder"
        wish = UnmetWish(
            load.name,
            "shiftable_end",
            float(deadline * step),
            float(plan.end_slot * step),
            float((plan.end_slot - deadline) * step),
            "min",
            f"finishes at slot {plan.end_slot}, {(plan.end_slot - deadline) * step} min after "
            f"the wished end, because {why}",
            (deadline, plan.end_slot),
        )
        return DeviceResult(plan, (wish,))

    def _soft_limit_before(self, ctx: ReportContext, deadline: int) -> bool:
        """Whether a grid limit below the fuse lies between its earliest start and its end."""
        lim_imp, _ = ctx.problem.grid.limits(ctx.n)
        window = lim_imp[self.spec.earliest_start_slot : deadline]
        return bool((window < ctx.problem.grid.fuse_import_w).any())

    def baseline(self, sim: BaselineState) -> DeviceResult:
        """Started at its earliest start: each part's first alternative (the shortest where
        those overrun the horizon), no pauses."""
        load = self.spec
        first = [0] * len(load.parts)
        if load.earliest_start_slot + sum(len(p.alternatives[0]) for p in load.parts) > sim.n:
            # the first alternatives overrun the horizon: the shortest ones fit
            first = [int(np.argmin([len(a) for a in p.alternatives])) for p in load.parts]
        choice: list[tuple[int, int]] = []
        t = load.earliest_start_slot
        for part, a in zip(load.parts, first, strict=True):
            choice.append((a, t))
            t += len(part.alternatives[a])
        plan = self._plan(choice, sim.n, sim.dt_h)
        sim.add(plan.power_w)
        return DeviceResult(plan, wishes_met=plan.end_slot <= load.deadline(sim.n))
