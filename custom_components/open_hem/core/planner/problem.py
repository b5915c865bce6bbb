"""The planning problem: a horizon of slots, per-slot prices and forecasts, grid limits, devices.

Everything here is plain data (frozen dataclasses holding numpy arrays) and validated on
construction (:class:`InvalidProblemError`), so the model builder can trust shapes and signs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
import enum
import math
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray

from .errors import InvalidProblemError
from .registry import kind_of, kinds

if TYPE_CHECKING:
    from .device import DeviceSpec
    from .devices import Battery, EVCharger, HeatPump, PVInverter

type FloatArray = NDArray[np.float64]
type SlotValues = FloatArray | Sequence[float] | float
"""Per-slot values: an array, a sequence, or one value for every slot."""

_UTC = ZoneInfo("UTC")


def as_array(name: str, value: Any, n: int, *, allow_inf: bool = False) -> FloatArray:
    """Return ``value`` (scalar or sequence) as a float array of length ``n``, or raise."""
    try:
        arr = np.array(value, dtype=np.float64)
    except ValueError as err:  # e.g. text among the numbers
        raise InvalidProblemError(f"{name}: {err}") from err
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        msg = f"{name}: expected {n} values, got {arr.shape[0] if arr.ndim == 1 else arr.shape}"
        raise InvalidProblemError(msg)
    if np.isnan(arr).any():
        raise InvalidProblemError(f"{name}: contains NaN")
    if not allow_inf and np.isinf(arr).any():
        raise InvalidProblemError(f"{name}: contains infinity")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class Horizon:
    """``slots`` consecutive slots of ``step_minutes`` from a tz-aware ``start``.

    Slot times are computed in UTC (absolute time) and converted to local time on demand, so a
    local day with a DST change has 92 or 100 quarter-hours.
    """

    start: datetime
    slots: int
    step_minutes: int = 15
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise InvalidProblemError("Horizon.start must be timezone-aware")
        if self.slots <= 0:
            raise InvalidProblemError("Horizon.slots must be positive")
        if self.step_minutes <= 0 or (60 % self.step_minutes and self.step_minutes % 60):
            raise InvalidProblemError("Horizon.step_minutes must divide an hour or be whole hours")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise InvalidProblemError(f"Horizon.timezone: unknown zone {self.timezone!r}") from err

    @classmethod
    def local_days(
        cls, first_day_start: datetime, days: int, timezone: str, step_minutes: int = 15
    ) -> Horizon:
        """Horizon covering ``days`` local calendar days from local midnight (DST-aware)."""
        tz = ZoneInfo(timezone)
        start = first_day_start.astimezone(tz)
        midnight = datetime(start.year, start.month, start.day, tzinfo=tz)
        end_date = midnight.date() + timedelta(days=days)
        end = datetime(end_date.year, end_date.month, end_date.day, tzinfo=tz)
        seconds = (end.astimezone(_UTC) - midnight.astimezone(_UTC)).total_seconds()
        return cls(midnight, int(seconds // (step_minutes * 60)), step_minutes, timezone)

    @property
    def dt_h(self) -> float:
        """Slot length in hours."""
        return self.step_minutes / 60.0

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    def times_utc(self) -> list[datetime]:
        """Start of each slot, in UTC."""
        t0 = self.start.astimezone(_UTC)
        step = timedelta(minutes=self.step_minutes)
        return [t0 + i * step for i in range(self.slots)]

    def times_local(self) -> list[datetime]:
        """Start of each slot, in the horizon's time zone."""
        tz = self.tz
        return [t.astimezone(tz) for t in self.times_utc()]

    def slot_of(self, when: datetime) -> int:
        """Index of the slot containing ``when`` (may be <0 or >= slots when outside)."""
        if when.tzinfo is None:
            raise InvalidProblemError("datetimes passed to the planner must be timezone-aware")
        seconds = (when.astimezone(_UTC) - self.start.astimezone(_UTC)).total_seconds()
        return math.floor(seconds / (self.step_minutes * 60))

    def slot_boundary_at_or_before(self, when: datetime) -> int:
        """Number of whole slots that end at or before ``when`` (a deadline as exclusive slot)."""
        return max(0, min(self.slots, self.slot_of(when)))


@dataclass(frozen=True)
class GridConnection:
    """Grid limits in W. ``fuse_*`` is the physical connection (a safety limit: hard);
    ``import_limit_w``/``export_limit_w`` are per-slot limits below it (bandwidth contract,
    street capacity, a congestion window) that sit on the GRID rung of the ladder."""

    fuse_import_w: float = 17250.0
    fuse_export_w: float = 17250.0
    import_limit_w: FloatArray | Sequence[float] | float | None = None
    export_limit_w: FloatArray | Sequence[float] | float | None = None

    def __post_init__(self) -> None:
        for name in ("fuse_import_w", "fuse_export_w"):
            v = getattr(self, name)
            if not (v >= 0) or math.isinf(v):
                raise InvalidProblemError(f"GridConnection.{name} must be finite and >= 0")

    def limits(self, n: int) -> tuple[FloatArray, FloatArray]:
        """Per-slot soft (ladder) import and export limits, capped at the fuse."""
        imp = self.fuse_import_w if self.import_limit_w is None else self.import_limit_w
        exp = self.fuse_export_w if self.export_limit_w is None else self.export_limit_w
        li = as_array("import_limit_w", imp, n, allow_inf=True)
        le = as_array("export_limit_w", exp, n, allow_inf=True)
        if (li < 0).any() or (le < 0).any():
            raise InvalidProblemError("grid limits must be >= 0")
        return np.minimum(li, self.fuse_import_w), np.minimum(le, self.fuse_export_w)


class Rung(enum.StrEnum):
    """Rungs of the priority ladder (device safety limits are always hard and not a rung)."""

    GRID = "grid"  # stay within the (soft) grid limits: the connection/street/congestion limit
    WISHES = "wishes"  # EV energy by its deadline, comfort band, battery end SOC
    OWN_PRODUCTION = "own_production"  # use own PV in the home (minimise PV exported or curtailed)
    COST = "cost"  # energy cost


@dataclass(frozen=True)
class Ladder:
    """A lexicographic order of rungs: a lower rung never buys anything from a higher one.

    The default, which the HA side should use, is GRID > WISHES > COST. OWN_PRODUCTION is
    optional: placed above COST it makes the household pay to keep its own PV in the home
    (e.g. it forbids selling battery energy at a price peak), which a household must choose
    knowingly; below COST it only breaks cost ties in favour of self-consumption.
    """

    order: tuple[Rung, ...] = (Rung.GRID, Rung.WISHES, Rung.COST)
    tie_break_seed: int | None = None
    """When set, a last rung below everything spreads load over equally good slots with a
    per-household pseudo-random preference (seeded by e.g. a hash of the household id), so
    homes do not all switch on in the same cheap quarter-hour. The cost stays optimal."""
    tolerance: float = 1e-9
    """Relative slack allowed when a rung's optimum is fixed for the rungs below."""

    def __post_init__(self) -> None:
        try:
            order = tuple(Rung(r) for r in self.order)
        except ValueError as err:
            raise InvalidProblemError(f"Ladder: {err}") from err
        object.__setattr__(self, "order", order)
        if len(set(order)) != len(order):
            raise InvalidProblemError("Ladder: a rung appears twice")
        missing = {Rung.GRID, Rung.WISHES, Rung.COST} - set(order)
        if missing:
            raise InvalidProblemError(f"Ladder: missing rung(s) {sorted(missing)}")
        if not 0 <= self.tolerance < 1e-2:
            raise InvalidProblemError("Ladder.tolerance must be in [0, 0.01)")


@dataclass(frozen=True)
class Problem:
    """A planning problem. Per-slot arrays have ``horizon.slots`` values.

    Prices in EUR/kWh (may be negative), powers in W, temperatures in °C. Per-slot fields
    accept sequences or one value; they are stored as read-only float arrays.
    """

    horizon: Horizon
    import_price: SlotValues
    export_price: SlotValues
    base_load_w: SlotValues
    outdoor_temp_c: SlotValues = 10.0
    grid: GridConnection = field(default_factory=GridConnection)
    batteries: tuple[Battery, ...] = ()
    evs: tuple[EVCharger, ...] = ()
    heat_pumps: tuple[HeatPump, ...] = ()
    pv: tuple[PVInverter, ...] = ()
    ladder: Ladder = field(default_factory=Ladder)
    devices: tuple[DeviceSpec, ...] = ()
    """Devices of any registered kind (see ``registry.py``); the four fields above stay for
    the grote vier. Kinds without a field of their own (a test's, later ones) go here."""

    def __post_init__(self) -> None:
        n = self.horizon.slots
        for name in ("import_price", "export_price", "base_load_w", "outdoor_temp_c"):
            object.__setattr__(self, name, as_array(name, getattr(self, name), n))
        if (np.asarray(self.base_load_w) < 0).any():
            raise InvalidProblemError("base_load_w must be >= 0 (put generation in a PVInverter)")
        for kind in kinds():
            if kind.problem_field is not None:
                devs = tuple(getattr(self, kind.problem_field))
                object.__setattr__(self, kind.problem_field, devs)
                for d in devs:
                    if kind_of(d) is not kind:
                        msg = f"{kind.problem_field}: {d!r} is not a {kind.spec_type.__name__}"
                        raise InvalidProblemError(msg)
        object.__setattr__(self, "devices", tuple(self.devices))
        for d in self.devices:
            kind_of(d)  # an unregistered kind is malformed input
        every = self.all_devices()
        for d in every:
            d.check_horizon(n)
        names = [d.name for d in every]
        if len(set(names)) != len(names):
            raise InvalidProblemError("device names must be unique")
        self.grid.limits(n)

    def all_devices(self) -> tuple[DeviceSpec, ...]:
        """Every device, kind by kind in registration order (the order a plan lists them)."""
        out: list[DeviceSpec] = []
        for kind in kinds():
            if kind.problem_field is not None:
                out += getattr(self, kind.problem_field)
            out += [d for d in self.devices if kind_of(d) is kind]
        return tuple(out)

    @property
    def n(self) -> int:
        return self.horizon.slots

    @property
    def outdoor(self) -> FloatArray:
        return np.asarray(self.outdoor_temp_c, dtype=np.float64)
