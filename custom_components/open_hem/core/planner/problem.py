"""The planning problem: a horizon of slots, per-slot prices and forecasts, grid limits, devices.

Everything here is plain data (frozen dataclasses holding numpy arrays) and validated on
construction (:class:`InvalidProblemError`), so the model builder can trust shapes and signs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
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
type IntArrayLike = NDArray[np.int64]
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


def _check_window(owner: str, start_slot: int, end_slot: int) -> None:
    if not 0 <= start_slot <= end_slot:
        raise InvalidProblemError(f"{owner}: need 0 <= start_slot <= end_slot")


@dataclass(frozen=True)
class GridLimitWindow:
    """A grid signal: import/export limits (W) in slots ``[start_slot, end_slot)`` (e.g. from
    ``open_hem.set_grid_limit``, a DSO congestion window or a §14a limit at the connection
    point). ``None`` leaves that direction alone. A window may reach past the horizon."""

    start_slot: int
    end_slot: int
    import_w: float | None = None
    export_w: float | None = None

    def __post_init__(self) -> None:
        _check_window("GridLimitWindow", self.start_slot, self.end_slot)
        for v in (self.import_w, self.export_w):
            if v is not None and not v >= 0:
                raise InvalidProblemError("GridLimitWindow: limits must be >= 0")


@dataclass(frozen=True)
class DeviceLimit:
    """A cap on ONE device's consumption (W) in slots ``[start_slot, end_slot)``: Germany's
    §14a EnWG dimming of a heat pump, wallbox or battery (charging) to e.g. 4.2 kW.

    Hard, like a device safety limit, not a GRID-rung slack: the DSO's control box enforces
    it on the device whatever the plan says, so a plan above it could not be carried out.
    It can never make a plan infeasible (a device can always draw less; a wish it costs is
    relaxed and reported on the WISHES rung). It caps what the device draws from the home's
    balance (a battery's charging, not its discharging)."""

    device: str
    start_slot: int
    end_slot: int
    max_w: float = 4200.0

    def __post_init__(self) -> None:
        _check_window(f"DeviceLimit {self.device!r}", self.start_slot, self.end_slot)
        if not (self.max_w >= 0) or math.isinf(self.max_w):
            raise InvalidProblemError(f"DeviceLimit {self.device!r}: max_w must be finite, >= 0")


@dataclass(frozen=True)
class GridConnection:
    """Grid limits in W. ``fuse_*`` is the physical connection (a safety limit: hard);
    ``import_limit_w``/``export_limit_w`` are per-slot limits below it (bandwidth contract,
    street capacity, a congestion window) that sit on the GRID rung of the ladder, and so do
    ``windows`` (the lowest limit applies). ``device_limits`` cap single devices (hard)."""

    fuse_import_w: float = 17250.0
    fuse_export_w: float = 17250.0
    import_limit_w: FloatArray | Sequence[float] | float | None = None
    export_limit_w: FloatArray | Sequence[float] | float | None = None
    windows: tuple[GridLimitWindow, ...] = ()
    device_limits: tuple[DeviceLimit, ...] = ()

    def __post_init__(self) -> None:
        for name in ("fuse_import_w", "fuse_export_w"):
            v = getattr(self, name)
            if not (v >= 0) or math.isinf(v):
                raise InvalidProblemError(f"GridConnection.{name} must be finite and >= 0")
        object.__setattr__(self, "windows", tuple(self.windows))
        object.__setattr__(self, "device_limits", tuple(self.device_limits))

    def limits(self, n: int) -> tuple[FloatArray, FloatArray]:
        """Per-slot soft (ladder) import and export limits, capped at the fuse."""
        imp = self.fuse_import_w if self.import_limit_w is None else self.import_limit_w
        exp = self.fuse_export_w if self.export_limit_w is None else self.export_limit_w
        li = as_array("import_limit_w", imp, n, allow_inf=True)
        le = as_array("export_limit_w", exp, n, allow_inf=True)
        if (li < 0).any() or (le < 0).any():
            raise InvalidProblemError("grid limits must be >= 0")
        li = np.minimum(li, self.fuse_import_w)
        le = np.minimum(le, self.fuse_export_w)
        for w in self.windows:
            a, b = min(w.start_slot, n), min(w.end_slot, n)
            if w.import_w is not None:
                li[a:b] = np.minimum(li[a:b], w.import_w)
            if w.export_w is not None:
                le[a:b] = np.minimum(le[a:b], w.export_w)
        return li, le

    def device_caps(self, name: str, n: int) -> FloatArray | None:
        """Per-slot cap on device ``name``'s consumption (inf where none), or None."""
        caps = None
        for lim in self.device_limits:
            if lim.device != name:
                continue
            if caps is None:
                caps = np.full(n, math.inf)
            a, b = min(lim.start_slot, n), min(lim.end_slot, n)
            caps[a:b] = np.minimum(caps[a:b], lim.max_w)
        return caps


@dataclass(frozen=True)
class CapacityTariff:
    """A capacity tariff (Flanders, Fluvius/VREG since 2023): a price per kW of the month's
    highest 15-minute average grid import, at least ``minimum_w``, billed monthly on a
    12-month average.

    The annual bill is ``rate_per_year * mean of the last 12 month peaks``, so one kW more on
    one month's peak costs ``rate_per_year / 12``: ``eur_per_kw_month``, the marginal price the
    planner uses (for the horizon as given: it is not prorated). The planner minimises the
    rise of the month's peak above ``peak_so_far_w`` (the P1 meter's month maximum,
    ``1-0:1.6.0``) at that price. Slots in a later month (a horizon over a month's end) start
    a new month peak at ``minimum_w`` unless ``per_month`` is False (one peak over the
    horizon, as the benchmark scenarios define it). With slots longer than 15 minutes the
    slot average stands in for the quarter-hour average; with shorter slots the
    quarter-hour averages are used."""

    eur_per_kw_month: float
    peak_so_far_w: float = 0.0
    minimum_w: float = 2500.0
    per_month: bool = True

    def __post_init__(self) -> None:
        for key in ("eur_per_kw_month", "peak_so_far_w", "minimum_w"):
            v = getattr(self, key)
            if not (v >= 0) or math.isinf(v):
                raise InvalidProblemError(f"CapacityTariff.{key} must be finite and >= 0")

    def months(self, horizon: Horizon) -> list[IntArrayLike]:
        """The slots of each billing month in the horizon (the first is the current one)."""
        n = horizon.slots
        if not self.per_month:
            return [np.arange(n, dtype=np.int64)]
        tz = horizon.tz
        keys = [(t.year, t.month) for t in (s.astimezone(tz) for s in horizon.times_utc())]
        out: list[IntArrayLike] = []
        start = 0
        for i in range(1, n + 1):
            if i == n or keys[i] != keys[start]:
                out.append(np.arange(start, i, dtype=np.int64))
                start = i
        return out

    def floor_w(self, month: int) -> float:
        """The peak a month starts from: what this month reached, a later month's minimum."""
        return max(self.minimum_w, self.peak_so_far_w) if month == 0 else self.minimum_w

    def quarter_groups(self, horizon: Horizon, slots: IntArrayLike) -> list[IntArrayLike]:
        """``slots`` grouped by quarter-hour (one group per slot for slots >= 15 min)."""
        if horizon.step_minutes >= 15:
            return [slots[i : i + 1] for i in range(len(slots))]
        per = 15 // horizon.step_minutes if 15 % horizon.step_minutes == 0 else 1
        t0 = horizon.start.astimezone(_UTC)
        offset = (t0.minute % 15) // horizon.step_minutes
        key = (slots + offset) // per
        return [slots[key == k] for k in np.unique(key)]

    def cost_eur(self, horizon: Horizon, import_w: FloatArray) -> tuple[float, float]:
        """(capacity cost in EUR, the current month's peak in W) of a plan's imports."""
        total = 0.0
        first = 0.0
        for m, slots in enumerate(self.months(horizon)):
            peak = self.floor_w(m)
            for g in self.quarter_groups(horizon, slots):
                peak = max(peak, float(np.mean(import_w[g])))
            total += self.eur_per_kw_month * peak / 1000.0
            if m == 0:
                first = peak
        return total, first


@dataclass(frozen=True)
class LocalWindow:
    """A daily window of local time ``[start, end)`` (e.g. 16:00-21:00)."""

    start: time = time(16, 0)
    end: time = time(21, 0)

    def mask(self, horizon: Horizon) -> NDArray[np.bool_]:
        """Slots whose start lies in the window (local time; may wrap past midnight)."""
        a = self.start.hour * 60 + self.start.minute
        b = self.end.hour * 60 + self.end.minute
        mins = np.array([t.hour * 60 + t.minute for t in horizon.times_local()])
        if a <= b:
            return (mins >= a) & (mins < b)
        return (mins >= a) | (mins < b)


class Rung(enum.StrEnum):
    """Rungs of the priority ladder (device safety limits are always hard and not a rung)."""

    GRID = "grid"  # stay within the (soft) grid limits: the connection/street/congestion limit
    WISHES = "wishes"  # EV energy by its deadline, comfort band, battery end SOC
    GRID_AWARE = "grid_aware"  # grid-friendly preferences below the wishes: netbewust laden
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
    netbewust: LocalWindow | None = None
    """*Netbewust laden*: in this daily window (16:00-21:00 by default) the plan avoids grid
    import above the household's own inflexible net load (base load minus PV): EV charging,
    battery charging from the grid, shiftable loads and heat-pump boosts move out of it, and
    a battery may cover the home there instead. Minimised in kWh on the GRID_AWARE rung, which
    always sits below WISHES (inserted right after it when ``order`` omits it): a soft
    preference that never breaks a wish, and that beats cost when the two clash."""

    @classmethod
    def grid_aware(cls, *, netbewust: bool = True, **kw: Any) -> Ladder:
        """The grid-aware profile: GRID > WISHES > GRID_AWARE > COST, netbewust laden on."""
        return cls(
            (Rung.GRID, Rung.WISHES, Rung.GRID_AWARE, Rung.COST),
            netbewust=LocalWindow() if netbewust else None,
            **kw,
        )

    def __post_init__(self) -> None:
        try:
            order = tuple(Rung(r) for r in self.order)
        except ValueError as err:
            raise InvalidProblemError(f"Ladder: {err}") from err
        if self.netbewust is not None and Rung.GRID_AWARE not in order:
            at = order.index(Rung.WISHES) + 1 if Rung.WISHES in order else len(order)
            order = (*order[:at], Rung.GRID_AWARE, *order[at:])
        if (
            Rung.GRID_AWARE in order
            and Rung.WISHES in order
            and order.index(Rung.GRID_AWARE) < order.index(Rung.WISHES)
        ):
            raise InvalidProblemError("Ladder: grid_aware must rank below wishes")
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
    capacity_tariff: CapacityTariff | None = None
    """A price on the month's peak import (Flanders); None: no such tariff."""
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
        for lim in self.grid.device_limits:
            if lim.device not in names:
                raise InvalidProblemError(f"DeviceLimit: no device named {lim.device!r}")

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
