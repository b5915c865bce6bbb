"""The planning loop: inputs -> Problem -> plan() in the executor -> each device its part.

A cycle (:meth:`PlanningLoop.async_replan`):

1. From the quarter hour in progress to the end of the known prices (48 h at most); without
   prices 24 h at a flat price, and the devices follow the planner's baseline.
2. Each device from the hub by its mode (an override wins while it lasts): AUTO is planned
   and instructed; MANUAL is planned around (its measured power is load) and not
   instructed; OFF is left out; a device that is not ready (disconnected) is left out. Its
   planner model comes from the device (its measured S2 state) with the wishes applied.
3. Base load, PV and outdoor temperature from the forecasts; the first slots' base load is
   corrected with the P1 meter's live net power (model predictive control).
4. On the event loop the cycle only takes what it reads of live state (``CycleInputs``:
   each device's S2 state as a frozen copy, the forecasts, the meter); the device models,
   the per-slot inputs, the problem and ``plan()`` (with a time limit) run in one executor
   job (:func:`.cycle.plan_cycle`), with all that is made from the plan (``Made``). A plan
   that cannot be made in time leaves the last good plan running (else the baseline); a
   planner error becomes a repair issue and never leaves the loop.
5. Every device in AUTO mode gets its part (``CemSession.apply_plan``), the plan, wishes,
   limits and overrides go to the store, and the entities are told.

Triggers: new prices, a hub change (device added/removed, drift, model or mode changed), a
changed wish, limit, override or profile (debounced into one replan), and every 15 minutes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import copy
from dataclasses import dataclass
from datetime import datetime
import functools
import time
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.event import async_track_point_in_utc_time, async_track_time_change
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..core.planner import Horizon
from ..core.s2 import CemSession, PowerPlan
from ..core.s2.control import FRBCHandler
from ..core.s2.session import PreparedPlan
from ..data import OpenHemConfigEntry
from ..devices.hub import ControlledDevice, DeviceMode
from ..listeners import Listeners
from .const import (
    CONF_PROFILE,
    FALLBACK_PRICE_EUR,
    ISSUE_DEVICE_UNAVAILABLE,
    ISSUE_NO_PRICES,
    ISSUE_PLANNER_ERROR,
    ISSUE_WISH_GRID_LIMIT,
    NO_PRICE_HORIZON,
    REPLAN_COOLDOWN_S,
    SLOT,
    STORAGE_KEY,
    STORAGE_VERSION,
    UNAVAILABLE_GRACE,
    PlanStatus,
    Profile,
)
from .cycle import CycleInputs, DeviceCapture, Made, plan_cycle
from .forecasts import Forecasts
from .inputs import (
    GridLimit,
    device_power_w,
    known_prices,
    limit_now,
    live_net_power_w,
    prune,
    slot_floor,
)
from .profiles import custom_ladder, ladder_for, ladder_order, profile_of
from .snapshot import PlanSnapshot
from .wishes import Wish


@dataclass
class Override:
    """A device held at a power or in a mode until ``until``; then back to its own mode."""

    subentry_id: str
    until: datetime
    power_w: float | None = None
    mode: DeviceMode | None = None

    def to_store(self) -> dict[str, Any]:
        return {
            "subentry_id": self.subentry_id,
            "until": self.until.isoformat(),
            "power_w": self.power_w,
            "mode": None if self.mode is None else self.mode.value,
        }

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> Override | None:
        try:
            return cls(
                str(data["subentry_id"]),
                datetime.fromisoformat(data["until"]),
                data.get("power_w"),
                None if data.get("mode") is None else DeviceMode(data["mode"]),
            )
        except KeyError, TypeError, ValueError:
            return None


class PlanningLoop:
    """The loop of one Open HEM entry (``entry.runtime_data.planner``)."""

    def __init__(self, hass: HomeAssistant, entry: OpenHemConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{STORAGE_KEY}.{entry.entry_id}"
        )
        self.wishes: dict[str, Wish] = {}
        self.grid_limits: list[GridLimit] = []
        self.overrides: dict[str, Override] = {}
        self.profile: Profile = profile_of(entry.options)
        self._options_profile = self.profile
        self.snapshot: PlanSnapshot | None = None
        self.forecasts = Forecasts(hass, entry)
        self.cycles = 0
        self.last_cycle: dict[str, Any] = {}
        self.last_error: str | None = None
        self._listeners: Listeners[[]] = Listeners()
        self._setting_listeners: Listeners[[]] = Listeners()
        # What entities derive from each new plan, made in the cycle's executor job.
        self._view_makers: dict[str, Callable[[PlanSnapshot], Any]] = {}
        self._made: Made | None = None
        self._lock = asyncio.Lock()
        self._unsub: list[CALLBACK_TYPE] = []
        self._unready_since: dict[str, datetime] = {}
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._issues: set[str] = set()
        self._pending_reason = "start"
        self._solve_wait = 0.0
        self._started = dt_util.utcnow()
        self._debouncer = Debouncer(
            hass,
            LOGGER,
            cooldown=REPLAN_COOLDOWN_S,
            immediate=False,
            function=self._async_debounced,
            background=True,
        )

    # -- lifecycle ---------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Restore the store, listen for triggers and plan soon (never waits for a plan)."""
        await self._async_restore()
        data = self.entry.runtime_data
        if data.prices is not None:
            self._unsub.append(data.prices.async_add_listener(self._on_prices))
        self._unsub.append(data.devices.async_add_listener(self._on_devices))
        self._unsub.append(
            async_track_time_change(self.hass, self._on_quarter, minute=(0, 15, 30, 45), second=0)
        )
        for override in list(self.overrides.values()):
            self._schedule_expiry(override)
        self.async_request_replan("start")

    @callback
    def async_stop(self) -> None:
        """Stop listening; the store keeps the plan and the wishes."""
        for unsub in self._unsub:
            unsub()
        self._unsub.clear()
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()
        self._debouncer.async_shutdown()
        for issue in list(self._issues):
            self._clear(issue)
        self.hass.async_create_task(self._store.async_save(self._data_to_store()))

    async def _async_restore(self) -> None:
        try:
            stored = await self._store.async_load() or {}
        except HomeAssistantError as err:
            LOGGER.warning("Ignoring the planner's unreadable store: %s", err)
            stored = {}
        self.wishes = {
            k: Wish.from_store(v)
            for k, v in (stored.get("wishes") or {}).items()
            if isinstance(v, dict)
        }
        now = dt_util.utcnow()
        self.grid_limits = prune(
            [g for g in map(GridLimit.from_store, stored.get("grid_limits") or []) if g], now
        )
        for item in stored.get("overrides") or []:
            override = Override.from_store(item)
            if override is not None and override.until > now:
                self.overrides[override.subentry_id] = override
        # The options win when they changed since the store was written; else the profile
        # chosen on the select entity stays.
        stored_options = stored.get("options_profile")
        if stored.get("profile") and stored_options == self._options_profile.value:
            try:
                self.profile = Profile(stored["profile"])
            except ValueError:
                self.profile = self._options_profile
        if isinstance(stored.get("plan"), dict):
            restored = PlanSnapshot.from_store(stored["plan"])
            if restored is not None and restored.covers(now):
                self.snapshot = restored.shifted_to(now)

    def _data_to_store(self) -> dict[str, Any]:
        return {
            "profile": self.profile.value,
            "options_profile": self._options_profile.value,
            "wishes": {k: w.to_store() for k, w in self.wishes.items()},
            "grid_limits": [g.to_store() for g in self.grid_limits],
            "overrides": [o.to_store() for o in self.overrides.values()],
            "plan": self._stored_plan(),
        }

    def _stored_plan(self) -> dict[str, Any] | None:
        """The plan as stored: made in the cycle's executor job (about a millisecond on
        the loop otherwise, for every plan)."""
        made, snapshot = self._made, self.snapshot
        if made is not None and made.snapshot is snapshot:
            return made.stored
        return None if snapshot is None else snapshot.to_store()

    @callback
    def _save(self) -> None:
        self._store.async_delay_save(self._data_to_store, 1.0)

    # -- listeners -----------------------------------------------------------------------

    @callback
    def async_add_listener(
        self, listener: Callable[[], None], *, plans: bool = True
    ) -> CALLBACK_TYPE:
        """Call ``listener`` after every cycle and every change of wishes, limits, overrides
        or the profile; with ``plans=False`` only after those changes (what a wish entity
        shows does not change with a new plan, and writing it costs event-loop time)."""
        return (self._listeners if plans else self._setting_listeners).add(listener)

    @callback
    def async_add_view(self, key: str, make: Callable[[PlanSnapshot], Any]) -> CALLBACK_TYPE:
        """Make ``make(snapshot)`` for every new plan in the cycle's executor job, off the
        event loop (``make`` must only read the snapshot); :meth:`view` returns it."""
        self._view_makers[key] = make

        @callback
        def remove() -> None:
            if self._view_makers.get(key) is make:
                del self._view_makers[key]

        return remove

    def view(self, key: str, snapshot: PlanSnapshot) -> Any | None:
        """What ``key``'s maker made off the loop for ``snapshot`` (None: not made for it)."""
        made = self._made
        return made.views.get(key) if made is not None and made.snapshot is snapshot else None

    @callback
    def _notify(self) -> None:
        self._listeners.notify()

    # -- triggers ------------------------------------------------------------------------

    @callback
    def async_request_replan(self, reason: str) -> None:
        """Plan again soon (triggers within a few seconds make one cycle)."""
        self._pending_reason = reason
        self._debouncer.async_schedule_call()

    @callback
    def _on_prices(self) -> None:
        self.async_request_replan("prices")

    @callback
    def _on_devices(self) -> None:
        self.async_request_replan("devices")

    @callback
    def _on_quarter(self, _now: datetime) -> None:
        self.async_request_replan("interval")

    async def _async_debounced(self) -> None:
        await self.async_replan(self._pending_reason)

    # -- changes from actions and entities -----------------------------------------------

    def wish(self, subentry_id: str) -> Wish:
        """The device's wishes (the public defaults until set)."""
        return self.wishes.get(subentry_id) or Wish()

    @callback
    def async_set_wish(self, subentry_id: str, **values: Any) -> None:
        wish = self.wishes.setdefault(subentry_id, Wish())
        wish.update(**values)
        self._changed("wish")

    @callback
    def async_add_grid_limit(self, limit: GridLimit) -> None:
        self.grid_limits = [*prune(self.grid_limits, dt_util.utcnow()), limit]
        self._changed("grid limit")

    @callback
    def async_clear_grid_limits(self) -> None:
        self.grid_limits = []
        self._changed("grid limit")

    @callback
    def async_set_override(self, override: Override) -> None:
        self.overrides[override.subentry_id] = override
        self._schedule_expiry(override)
        self._changed("override")

    @callback
    def async_set_profile(self, profile: Profile) -> None:
        self.profile = profile
        self._changed("profile")

    @callback
    def _changed(self, reason: str) -> None:
        self._save()
        self._setting_listeners.notify()
        self._notify()
        self.async_request_replan(reason)

    def _schedule_expiry(self, override: Override) -> None:
        if (cancel := self._timers.pop(override.subentry_id, None)) is not None:
            cancel()

        @callback
        def expire(_now: datetime) -> None:
            self._timers.pop(override.subentry_id, None)
            if self.overrides.get(override.subentry_id) is override:
                del self.overrides[override.subentry_id]
                self._changed("override ended")

        self._timers[override.subentry_id] = async_track_point_in_utc_time(
            self.hass, expire, override.until
        )

    def mode_of(self, device: ControlledDevice, now: datetime) -> DeviceMode:
        """The device's mode now: an override's mode while it lasts, else its own."""
        override = self.overrides.get(device.subentry_id)
        if override is not None and override.until > now:
            if override.power_w is not None:
                return DeviceMode.MANUAL
            if override.mode is not None:
                return override.mode
        return device.mode

    @property
    def ladder(self) -> tuple[str, ...]:
        return tuple(r.value for r in ladder_order(self.profile, self._custom_ladder()))

    def _custom_ladder(self) -> list[str] | None:
        # A ladder set in the options only holds while the profile is the one set there.
        if self.profile is not profile_of(self.entry.options):
            return None
        return custom_ladder(self.entry.options)

    def grid_limit_now(self, now: datetime) -> float:
        return limit_now(self.grid_limits, now, float(self.entry.runtime_data.connection_limit_w))

    # -- the cycle -----------------------------------------------------------------------

    async def async_replan(self, reason: str = "action") -> None:
        """Run one cycle now (one at a time; never raises)."""
        async with self._lock:
            started = time.perf_counter()
            self._solve_wait = 0.0
            try:
                await self._async_cycle(reason)
            except Exception as err:
                LOGGER.exception("Open HEM planning cycle failed")
                self._planner_error(err)
            self.cycles += 1
            self._save()
            self._notify()
            wall = time.perf_counter() - started
            self.last_cycle["wall_s"] = round(wall, 4)
            # On the event loop: the cycle's own work, the entities' writes included
            # (everything but waiting for the executor job).
            self.last_cycle["loop_s"] = round(wall - self._solve_wait, 5)

    def _planner_error(self, err: BaseException) -> None:
        self.last_error = f"{type(err).__name__}: {err}"
        self._issue(ISSUE_PLANNER_ERROR, {"error": self.last_error[:300]})

    async def _async_cycle(self, reason: str) -> None:
        self.last_cycle = {}
        now = dt_util.utcnow()
        start = slot_floor(now)
        self.grid_limits = prune(self.grid_limits, now)
        for key in [k for k, o in self.overrides.items() if o.until <= now]:
            del self.overrides[key]
        await self.forecasts.async_refresh(now)

        prices = self.entry.runtime_data.prices
        known = known_prices(None if prices is None else prices.data, start)
        if known is None:
            count = int(NO_PRICE_HORIZON / SLOT)
            imp, exp = [FALLBACK_PRICE_EUR] * count, [FALLBACK_PRICE_EUR] * count
            # Only when a price source is set and has had time to deliver.
            if prices is not None and now - self._started >= UNAVAILABLE_GRACE:
                self._issue(ISSUE_NO_PRICES, {})
        else:
            imp, exp = known
            self._clear(ISSUE_NO_PRICES)
        n = len(imp)
        starts = [start + SLOT * i for i in range(n)]
        horizon = Horizon(start, n, 15, str(self.hass.config.time_zone))

        # On the loop only what the cycle reads of live state (each device's S2 state is
        # copied); the models, forecasts per slot and problem are made in the executor.
        cycle = CycleInputs(
            now=now,
            horizon=horizon,
            starts=starts,
            imp=imp,
            exp=exp,
            devices=self._capture_devices(now),
            forecasts=self.forecasts.inputs(),
            net_w=live_net_power_w(self.entry),
            devices_w=self._devices_power_w(now),
            fuse=float(self.entry.runtime_data.connection_limit_w),
            limits=list(self.grid_limits),
            ladder=ladder_for(self.profile, self._custom_ladder(), self.entry.entry_id),
        )

        # Off the event loop, in one executor job: the devices' models, the problem, the
        # solve, the snapshot and the devices' instruction drafts (all per-slot work).
        t0 = time.perf_counter()
        made = await self.hass.async_add_executor_job(
            functools.partial(
                plan_cycle,
                cycle,
                sessions=self._sessions(now),
                makers=dict(self._view_makers),
                baseline=known is None,
            )
        )
        self._solve_wait = time.perf_counter() - t0
        result, snapshot = made.result, made.snapshot
        if result is not None:
            self.last_cycle["solve_s"] = round(self._solve_wait, 4)
        self.last_cycle.update(
            {
                "reason": reason,
                "slots": n,
                "devices": made.planned_devices,
                "solver_status": None if result is None else result.status,
            }
        )
        if result is not None and result.status == "baseline" and known is not None:
            # Not in time: the last good plan keeps running; without one, the baseline.
            good = self.snapshot is not None and self.snapshot.status is not PlanStatus.BASELINE
            if good and self.snapshot is not None and self.snapshot.covers(now):
                self.last_error = "the planner found no plan in time"
                return
        self.snapshot = snapshot
        self._made = made
        self.last_error = None
        self._clear(ISSUE_PLANNER_ERROR)
        self._update_wish_issues(snapshot)
        await self._async_dispatch(snapshot, made.prepared)

    def _sessions(self, now: datetime) -> dict[str, tuple[CemSession, bool]]:
        """On the loop: each ready device's session, and whether it is in AUTO mode now."""
        return {
            d.subentry_id: (d.session, self.mode_of(d, now) is DeviceMode.AUTO)
            for d in self.entry.runtime_data.devices
            if d.ready
        }

    def _capture_devices(self, now: datetime) -> list[DeviceCapture]:
        """On the loop: each device to plan or plan around, with what the cycle needs of its
        state now (its mode, an override, its S2 state and wishes copied)."""
        captured: list[DeviceCapture] = []
        for device in self.entry.runtime_data.devices:
            sid = device.subentry_id
            mode = self.mode_of(device, now)
            if mode is DeviceMode.OFF:
                self._device_ready(device, now, required=False)
                continue
            override = self.overrides.get(sid)
            if override is not None and override.power_w is not None and override.until > now:
                self._device_ready(device, now, required=True)
                captured.append(
                    DeviceCapture(device, held_w=override.power_w, held_until=override.until)
                )
                continue
            if not self._device_ready(device, now, required=mode is DeviceMode.AUTO):
                continue
            build = None
            if mode is DeviceMode.AUTO:
                try:
                    build = device.capture_model()
                except Exception as err:
                    LOGGER.debug("No planner model for %s: %s", device.name, err)
            control = device.session.control
            wish = self.wishes.get(sid)
            captured.append(
                DeviceCapture(
                    device,
                    build=build,
                    # An EV's SOC and capacity come from its FRBC state.
                    frbc=control.frozen() if isinstance(control, FRBCHandler) else None,
                    measured_w=device_power_w(device) or 0.0,
                    wish=None if wish is None else copy.copy(wish),
                )
            )
        return captured

    def _devices_power_w(self, now: datetime) -> float:
        """What the devices (not off) draw now by their own measurements (W)."""
        return sum(
            device_power_w(device) or 0.0
            for device in self.entry.runtime_data.devices
            if device.ready and self.mode_of(device, now) is not DeviceMode.OFF
        )

    def _device_ready(self, device: ControlledDevice, now: datetime, *, required: bool) -> bool:
        """Whether the device can be planned; raises its issue when it stays unready."""
        issue = f"{ISSUE_DEVICE_UNAVAILABLE}_{device.subentry_id}"
        if device.ready or not required:
            self._unready_since.pop(device.subentry_id, None)
            self._clear(issue)
            return device.ready
        since = self._unready_since.setdefault(device.subentry_id, now)
        if now - since >= UNAVAILABLE_GRACE:
            self._issue(issue, {"device": device.name}, key=ISSUE_DEVICE_UNAVAILABLE)
        return False

    async def _async_dispatch(
        self,
        snapshot: PlanSnapshot,
        prepared: dict[str, tuple[PowerPlan, PreparedPlan | None]],
    ) -> None:
        """Hand every device in AUTO mode (or held at a power) its part of the plan."""
        now = dt_util.utcnow()
        starts: tuple[datetime, ...] | None = None
        for series in snapshot.devices.values():
            device = self.entry.runtime_data.devices.get(series.subentry_id)
            if device is None or not series.instructed or not device.ready:
                continue
            if series.kind != "fixed" and self.mode_of(device, now) is not DeviceMode.AUTO:
                continue
            power_plan, drafts = prepared.get(series.subentry_id, (None, None))
            if power_plan is None:
                starts = starts or tuple(snapshot.slot_starts())
                power_plan = PowerPlan.from_device_plan(series, starts, SLOT)
            try:
                await device.session.apply_plan(power_plan, drafts)
            except Exception:
                LOGGER.exception("Open HEM could not hand %s its plan", device.name)

    # -- repair issues -------------------------------------------------------------------

    def _issue(self, issue_id: str, placeholders: dict[str, str], key: str | None = None) -> None:
        self._issues.add(issue_id)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=key or issue_id,
            translation_placeholders=placeholders,
        )

    def _clear(self, issue_id: str) -> None:
        if issue_id in self._issues:
            self._issues.discard(issue_id)
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _update_wish_issues(self, snapshot: PlanSnapshot) -> None:
        wanted = set()
        for unmet in snapshot.unmet:
            if unmet["subentry_id"] is None or "grid limit" not in unmet["reason"]:
                continue
            issue = f"{ISSUE_WISH_GRID_LIMIT}_{unmet['subentry_id']}"
            wanted.add(issue)
            self._issue(
                issue, {"device": unmet["device"], "wish": unmet["wish"]}, key=ISSUE_WISH_GRID_LIMIT
            )
        for issue in [i for i in self._issues if i.startswith(ISSUE_WISH_GRID_LIMIT)]:
            if issue not in wanted:
                self._clear(issue)

    # -- diagnostics ---------------------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """The loop's state without anything personal (no names of places, no history)."""
        snap = self.snapshot
        return {
            "profile": self.profile.value,
            "options_profile": self.entry.options.get(CONF_PROFILE),
            "ladder": list(self.ladder),
            "cycles": self.cycles,
            "last_cycle": dict(self.last_cycle),
            "last_error": self.last_error,
            "grid_limits": len(self.grid_limits),
            "overrides": len(self.overrides),
            "wishes": len(self.wishes),
            "forecasts": self.forecasts.diagnostics(),
            "plan": None
            if snap is None
            else {
                "status": snap.status.value,
                "reason": snap.reason,
                "slots": snap.slots,
                "devices": sorted(s.kind for s in snap.devices.values()),
                "unmet": [{k: u[k] for k in ("wish", "unit")} for u in snap.unmet],
                "solver": snap.solver,
            },
        }
