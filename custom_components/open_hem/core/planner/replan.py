"""Replanning every quarter of an hour (model predictive control): what one plan hands the next.

The horizon slides by a slot (or jumps when tomorrow's prices arrive), so most of the next
problem is the previous one, one slot on. A plan made with :func:`plan` carries a
:class:`WarmStart` (``Plan.warm_start``); ``plan(problem, previous=that_plan)`` uses it, matched
by absolute slot time:

- with ``SEED_BINARIES`` (off: see there) the slots where a disjunction needed a binary last
  time get one from the first solve;
- the on/off units' pattern, shifted, is the start of the mixed-integer solve (the
  device's ``warm_pattern`` makes it feasible, e.g. the heat pump's run and pause times, and
  fills the new slots at the end from the relaxation), passed to HiGHS with ``setSolution``.

Both only change where the search starts, never the model or the MIP gap: the plan is as
exact as a cold one (optimal to the same gap; tested against cold solves). An LP basis is not
carried over: the models differ in size from one cycle to the next, and the root LPs here
take milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from .device import SemiContinuous
from .model import Index
from .problem import FloatArray, Problem

SEED_BINARIES = False
"""Whether a replan gives the previous plan's binary slots a binary from its first solve. Off:
measured on the replay benchmark (96-140 slots, load 4.8-7 on 2 cores) it made cycles slower,
because the first solve becomes mixed-integer where the cold path's LP dive usually settles the
disjunctions in a few warm LPs (modulating heat pump: median 0.33 s seeded, 0.16 s cold; minimum
power 0.36 s seeded, 0.24 s not); on/off units gained nothing measurable."""


@dataclass(frozen=True)
class WarmStart:
    """What a plan knows that helps the next one, by absolute slot time (UTC)."""

    start: datetime
    step_minutes: int
    slots: int
    binary_slots: dict[tuple[str, int], frozenset[int]]
    """Per disjunction (device name or ``"<grid>"``, its position): slots with a binary."""
    integers: dict[str, tuple[FloatArray, ...]]
    """Per device: the values of its integer columns (per slot) in the plan."""


def disjunction_keys(index: Index) -> list[tuple[str, int]]:
    """A key per ``index.disjunctions`` entry, stable across problems of the same household."""
    keys: list[tuple[str, int]] = []
    for dev in index.built:
        keys += [(dev.name, i) for i in range(len(dev.disjunctions()))]
    keys.append(("<grid>", 0))
    return keys


def capture(p: Problem, index: Index, slots: list[set[int]], x: FloatArray) -> WarmStart:
    """The warm start of a solved plan (``slots``: the final binary slots per disjunction)."""
    binary = {k: frozenset(s) for k, s in zip(disjunction_keys(index), slots, strict=True) if s}
    integers = {
        dev.name: tuple(np.round(x[c]).astype(np.float64) for c in dev.integer_cols())
        for dev in index.built
        if dev.integer_cols()
    }
    h = p.horizon
    return WarmStart(h.start, h.step_minutes, h.slots, binary, integers)


def _offset(p: Problem, w: WarmStart) -> int | None:
    """Slots between the previous plan's start and this one's (None: not on the same grid)."""
    h = p.horizon
    if h.step_minutes != w.step_minutes:
        return None
    delta = h.start - w.start
    step = timedelta(minutes=w.step_minutes)
    if delta % step:
        return None
    return int(delta // step)


def seed_binaries(p: Problem, index: Index, w: WarmStart) -> list[set[int]] | None:
    """The previous binary slots, shifted into this horizon (None: nothing to carry over)."""
    off = _offset(p, w)
    if off is None or not SEED_BINARIES:
        return None
    out: list[set[int]] = []
    for key, d in zip(disjunction_keys(index), index.disjunctions, strict=True):
        if isinstance(d, SemiContinuous) and not d.grow:
            # lazy by design (few slots break it): the LP dive usually settles it faster
            # than a mixed-integer first solve (measured: 0.36 s seeded, 0.24 s not, 96 slots)
            out.append(set())
            continue
        old = w.binary_slots.get(key, frozenset())
        allowed = set(d.candidates.tolist())
        out.append({t - off for t in old if 0 <= t - off < p.n} & allowed)
    return out


def integer_hints(p: Problem, index: Index, w: WarmStart) -> dict[str, list[FloatArray]]:
    """Per device, its previous integer values shifted into this horizon (NaN: unknown)."""
    off = _offset(p, w)
    if off is None:
        return {}
    hints: dict[str, list[FloatArray]] = {}
    for dev in index.built:
        old = w.integers.get(dev.name)
        cols = dev.integer_cols()
        if old is None or len(old) != len(cols):
            continue
        shifted = []
        for values in old:
            new = np.full(p.n, np.nan)
            src = np.arange(p.n) + off
            ok = (src >= 0) & (src < len(values))
            new[ok] = values[src[ok]]
            shifted.append(new)
        hints[dev.name] = shifted
    return hints
