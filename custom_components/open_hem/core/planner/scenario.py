"""Load the EMHASS-anchor scenario schema (``shared/anchors/emhass/*.json``) into a Problem.

Semantics of that schema: grid limits are hard (mapped to the fuse), the battery's
``soc_final`` is a lower bound on the end SOC, PV may be curtailed, EV energy in the window
equals ``energy_wh``; variant ``milp`` gives the EV its minimum power when on. Each entry of
``shiftable_loads`` is one constant on/off block (``power_w`` for ``duration_slots`` slots,
starting at or after ``earliest_start_slot``, ending by ``latest_end_slot_exclusive``), in both
variants: a :class:`ShiftableLoad` whose end is a wish that such a file can always meet;
``capacity_tariff`` (optional) prices the horizon's peak import (see :func:`_capacity_tariff`).
"""

from __future__ import annotations

from datetime import datetime
import json
from pathlib import Path
from typing import Any, Literal

from .devices import Battery, EVCharger, PVInverter, ShiftableLoad
from .errors import InvalidProblemError
from .problem import CapacityTariff, GridConnection, Horizon, Ladder, Problem

type Variant = Literal["lp", "milp"]


def scenario_from_dict(
    sc: dict[str, Any], variant: Variant = "lp", ladder: Ladder | None = None
) -> Problem:
    n = int(sc["slots"])
    horizon = Horizon(
        datetime.fromisoformat(sc["start"]),
        n,
        int(sc["step_minutes"]),
        sc.get("timezone", "UTC"),
    )
    limits = sc.get("grid_limit_w") or {}
    imp_lim, exp_lim = limits.get("import", 17250.0), limits.get("export", 17250.0)
    # scalar limits are the fuse (hard); per-slot limits become ladder limits under the fuse
    grid = GridConnection(
        fuse_import_w=float(imp_lim) if not isinstance(imp_lim, list) else float(max(imp_lim)),
        fuse_export_w=float(exp_lim) if not isinstance(exp_lim, list) else float(max(exp_lim)),
        import_limit_w=None if not isinstance(imp_lim, list) else imp_lim,
        export_limit_w=None if not isinstance(exp_lim, list) else exp_lim,
    )
    batteries = []
    b = sc.get("battery")
    if b and float(b.get("capacity_wh", 0)) > 0:
        batteries.append(
            Battery(
                "battery",
                capacity_wh=float(b["capacity_wh"]),
                max_charge_w=float(b["max_charge_w"]),
                max_discharge_w=float(b["max_discharge_w"]),
                charge_efficiency=float(b["charge_efficiency"]),
                discharge_efficiency=float(b["discharge_efficiency"]),
                soc_min=float(b["soc_min"]),
                soc_max=float(b["soc_max"]),
                soc_initial=float(b["soc_initial"]),
                soc_final=None if b.get("soc_final") is None else float(b["soc_final"]),
            )
        )
    evs = []
    ev = sc.get("ev")
    if ev and float(ev.get("energy_wh", 0) or 0) > 0:
        evs.append(
            EVCharger(
                "ev",
                max_w=float(ev["max_w"]),
                min_w=float(ev.get("min_w_when_on_milp_variant", 0.0))
                if variant == "milp"
                else 0.0,
                energy_wh=float(ev["energy_wh"]),
                available_from_slot=int(ev["available_from_slot"]),
                deadline_slot=int(ev["deadline_slot_exclusive"]),
            )
        )
    return Problem(
        horizon=horizon,
        devices=shiftable_loads(sc, n),
        import_price=sc["import_price_eur_per_kwh"],
        export_price=sc["export_price_eur_per_kwh"],
        base_load_w=sc["base_load_forecast_w"],
        grid=grid,
        batteries=tuple(batteries),
        evs=tuple(evs),
        pv=(PVInverter("pv", sc["pv_forecast_w"]),),
        ladder=ladder or Ladder(),
        capacity_tariff=_capacity_tariff(sc.get("capacity_tariff")),
    )


def _capacity_tariff(ct: dict[str, Any] | None) -> CapacityTariff | None:
    """``capacity_tariff``: ``eur_per_kw * max(peak_so_far_w, max import)``, one peak over the
    whole horizon, the minimum already in ``peak_so_far_w``."""
    if ct is None:
        return None
    return CapacityTariff(
        eur_per_kw_month=float(ct["eur_per_kw"]),
        peak_so_far_w=float(ct.get("peak_so_far_w", 0.0)),
        minimum_w=0.0,
        per_month=False,
    )


def shiftable_loads(sc: dict[str, Any], n: int) -> tuple[ShiftableLoad, ...]:
    """The file's ``shiftable_loads``, validated as the schema says; names are labels only, so
    they are made unique (``#2``, ...) against each other and the other devices."""
    taken = {"battery", "ev", "pv"}
    out: list[ShiftableLoad] = []
    for j, entry in enumerate(sc.get("shiftable_loads") or []):
        base = str(entry.get("name") or f"shiftable{j}")
        name, k = base, 1
        while name in taken:
            k += 1
            name = f"{base}#{k}"
        taken.add(name)
        power, duration = float(entry["power_w"]), int(entry["duration_slots"])
        first, end = int(entry["earliest_start_slot"]), int(entry["latest_end_slot_exclusive"])
        ok = power > 0 and duration >= 1 and first >= 0
        if not (ok and end <= n and end - first >= duration):
            raise InvalidProblemError(f"shiftable_loads[{j}] ({base!r}): invalid {entry}")
        out.append(ShiftableLoad.constant(name, power, duration, first, end))
    return tuple(out)


def load_scenario(
    path: str | Path, variant: Variant = "lp", ladder: Ladder | None = None
) -> Problem:
    """Read a scenario file in the EMHASS-anchor schema."""
    return scenario_from_dict(json.loads(Path(path).read_text()), variant, ladder)
