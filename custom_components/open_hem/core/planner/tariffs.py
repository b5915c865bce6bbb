"""Tariffs and grid signals on top of the energy price: the capacity tariff (a price on the
month's peak import, COST rung), *netbewust laden* (the GRID_AWARE rung) and per-device caps
(§14a EnWG dimming, hard). Each adds columns and rows to the model; none names a device kind.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

import numpy as np

from .builder import BaseModel, Builder, IntArray
from .device import BalanceTerms, DeviceModel, SemiContinuous
from .problem import FloatArray, Problem, Rung

_INF = math.inf


@dataclass(frozen=True)
class PeakColumns:
    """One column per billing month in the horizon: that month's peak import (W)."""

    cols: IntArray
    months: list[IntArray]


def add_capacity_tariff(b: Builder, p: Problem, imp: IntArray) -> PeakColumns | None:
    """``peak[m] >= floor[m]`` and ``peak[m] >= quarter-hour average import`` in month m,
    priced at ``eur_per_kw_month`` per kW on the COST rung (the constant part too, so the
    COST rung is the whole bill)."""
    tariff = p.capacity_tariff
    if tariff is None:
        return None
    months = tariff.months(p.horizon)
    floors = np.array([tariff.floor_w(m) for m in range(len(months))])
    peak = b.cols(len(months), floors, _INF)
    b.objective(Rung.COST, peak, tariff.eur_per_kw_month / 1000.0)
    for m, slots in enumerate(months):
        groups = tariff.quarter_groups(p.horizon, slots)
        if all(len(g) == 1 for g in groups):
            b.rows([imp[slots], np.full(len(slots), peak[m])], [1.0, -1.0], -_INF, 0.0)
            continue
        for g in groups:
            b.row(np.r_[imp[g], peak[m]], np.r_[np.full(len(g), 1.0 / len(g)), -1.0], -_INF, 0.0)
    return PeakColumns(peak, months)


def add_netbewust(
    b: Builder, p: Problem, imp: IntArray, base: FloatArray, production: FloatArray
) -> None:
    """In the window: ``import - s <= max(0, base load - production)``, ``s`` in kWh on the
    GRID_AWARE rung (the import that flexible loads add there)."""
    window = p.ladder.netbewust
    if window is None:
        return
    slots = np.flatnonzero(window.mask(p.horizon))
    if not len(slots):
        return
    s = b.cols(len(slots), 0.0, _INF)
    own = np.maximum(0.0, base[slots] - production[slots])
    b.rows([imp[slots], s], [1.0, -1.0], -_INF, own)
    b.objective(Rung.GRID_AWARE, s, p.horizon.dt_h / 1000.0)


type DeviceBounds = list[tuple[IntArray, FloatArray, float]]
"""(columns, per-slot cap, minimum power when on) to apply to the finished model."""


def device_limits(
    b: Builder, p: Problem, terms: list[tuple[DeviceModel[Any], BalanceTerms]]
) -> DeviceBounds:
    """Cap each limited device's consumption (its balance columns of sign < 0) per slot.

    A device with one consuming column gets the cap as a column bound (returned, for
    :func:`bound_devices`), 0 where the cap is below a minimum power it must keep when on;
    a device with several gets a row per slot on their sum."""
    bounds: DeviceBounds = []
    for dev, dev_terms in terms:
        caps = p.grid.device_caps(dev.name, p.n)
        if caps is None:
            continue
        consuming = [c for c, sign in dev_terms if np.all(np.asarray(sign) < 0)]
        if len(consuming) == 1:
            cols = consuming[0]
            min_w = max(
                (
                    d.min_w
                    for d in dev.disjunctions()
                    if isinstance(d, SemiContinuous) and np.array_equal(d.cols, cols)
                ),
                default=0.0,
            )
            bounds.append((cols, caps, min_w))
        elif consuming:
            slots = np.flatnonzero(np.isfinite(caps))
            b.rows([c[slots] for c in consuming], [1.0] * len(consuming), -_INF, caps[slots])
    return bounds


def bound_devices(m: BaseModel, bounds: DeviceBounds) -> None:
    """Apply :func:`device_limits`' column bounds to the finished model."""
    for cols, caps, min_w in bounds:
        upper = np.minimum(m.col_upper[cols], caps)
        m.col_upper[cols] = np.where(upper < min_w, 0.0, upper)
