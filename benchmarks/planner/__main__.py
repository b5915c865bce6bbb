"""Planner benchmark (numbers, not a timed test).

    python -m benchmarks.planner --scenario FILE [--variant lp|milp|both] [--reps N] [--json]
        [--emhass-python PATH] [--scale 384] [--memory] [--out FILE]

Cold = a new Problem from the parsed scenario, a new model and a new HiGHS object every
repetition; figures are medians over ``--reps``. With ``--emhass-python`` (a venv with
emhass==0.18.7, outside this repo) the anchor's ``run_scenario.py`` runs the same scenario
in the same invocation, and the speed-up is reported. ``--scale N`` adds a household with
all four devices and the ladder at N slots; ``--memory`` measures the peak RSS of a fresh
child that plans it, against a bare interpreter.

Output: with ``--json`` one JSON object; for a single scenario and variant it has at least
``cost_eur``, ``build_s``, ``solve_s``, ``status`` at the top level.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
import time
from typing import Any

import highspy

from benchmarks.machine import describe
from benchmarks.planner.scale import four_device_problem
from open_hem_core.planner import plan, scenario_from_dict

ROOT = Path(__file__).resolve().parents[2]


def _anchors() -> Path:
    """``shared/anchors/emhass`` beside the repo (or beside its worktree folder)."""
    for up in (ROOT.parent, ROOT.parent.parent):
        found = up / "shared" / "anchors" / "emhass"
        if found.is_dir():
            return found
    return ROOT.parent / "shared" / "anchors" / "emhass"


ANCHORS = _anchors()
DEFAULT_SCENARIO = ANCHORS / "scenario_48h_15min.json"


def _rel(path: Path) -> str:
    """A path relative to the repo root (no machine paths in committed figures)."""
    try:
        return os.path.relpath(path.resolve(), ROOT)
    except ValueError:
        return path.name


def run_ours(scenario: Path, variant: str, reps: int) -> dict[str, Any]:
    sc = json.loads(scenario.read_text())
    walls, builds, solves = [], [], []
    result = None
    for _ in range(reps):
        t0 = time.perf_counter()
        problem = scenario_from_dict(sc, variant)  # type: ignore[arg-type]
        t1 = time.perf_counter()
        result = plan(problem, time_limit_s=60.0)
        walls.append(time.perf_counter() - t0)
        builds.append(t1 - t0 + result.figures.build_s)
        solves.append(result.figures.solve_s)
    assert result is not None
    ref = sc.get("reference_optimum_eur", {}).get(variant)
    cost = result.cost.grid_eur  # energy + capacity tariff (the scenario's `cost`)
    out: dict[str, Any] = {
        "scenario": _rel(scenario),
        "variant": variant,
        "slots": int(sc["slots"]),
        "status": result.status,
        "cost_eur": round(cost, 6),
        "reference_optimum_eur": ref,
        "rel_diff_vs_reference": None if ref is None else abs(cost - ref) / max(abs(ref), 1e-9),
        "wall_s": round(statistics.median(walls), 5),
        "build_s": round(statistics.median(builds), 5),
        "solve_s": round(statistics.median(solves), 5),
        "wall_s_all": [round(w, 5) for w in walls],
        "highs_runs": result.figures.solves,
        "binaries": result.figures.binaries,
        "baseline_cost_eur": round(result.baseline.cost.grid_eur, 6),
        "unmet": len(result.unmet),
    }
    if result.month_peak_w is not None:
        out["capacity_eur"] = round(result.cost.capacity_eur, 6)
        out["energy_eur"] = round(result.cost.energy_eur, 6)
        out["peak_w"] = round(result.month_peak_w, 3)
    evp = [d for d in result.devices if d.kind == "ev"]
    if evp:
        out["ev_kwh"] = round(float(evp[0].power_w.sum()) * problem.horizon.dt_h / 1000, 4)
    loads = [d for d in result.devices if d.kind == "shiftable_load"]
    if loads:
        out["shiftable"] = [
            _shiftable_check(entry, d.power_w)
            for entry, d in zip(sc["shiftable_loads"], loads, strict=True)
        ]
    return out


def _shiftable_check(entry: dict[str, Any], power: Any) -> dict[str, Any]:
    """A planned run against the file's semantics: one block at ``power_w``, ``duration_slots``
    long, inside ``[earliest_start_slot, latest_end_slot_exclusive)``, 0 W elsewhere."""
    on = [t for t, w in enumerate(power) if w > 1e-3]
    if not on:
        return {"name": entry.get("name"), "start_slot": None, "ok": False}
    start, end = on[0], on[-1] + 1
    ok = (
        len(on) == entry["duration_slots"] == end - start
        and entry["earliest_start_slot"] <= start
        and end <= entry["latest_end_slot_exclusive"]
        and all(abs(power[t] - entry["power_w"]) <= 1e-3 for t in on)
    )
    return {"name": entry.get("name"), "start_slot": start, "end_slot_exclusive": end, "ok": ok}


def run_emhass(python: str, scenario: Path, variant: str, reps: int) -> dict[str, Any]:
    script = ANCHORS / "run_scenario.py"
    proc = subprocess.run(
        [
            python,
            str(script),
            str(scenario),
            "--variant",
            variant,
            "--reps",
            str(reps),
            "--no-gap0",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"status": "error", "stderr_tail": proc.stderr[-500:]}
    r = json.loads(lines[-1])
    keep = ("status", "cost_eur", "cold_wall_s", "cold_wall_s_all", "cold_build_s_median",
            "cold_solve_s_median", "n_binaries", "emhass_version", "shiftable_ok")  # fmt: skip
    return {k: r.get(k) for k in keep}


HP_VARIANTS: dict[str, tuple[bool, float, str]] = {
    "hp_modulating": (False, 0.0, "modulating 0-2.5 kW"),
    "hp_min_power": (False, 700.0, "off or 0.7-2.5 kW (no run/pause times)"),
    "hp_on_off": (True, 700.0, "on/off, off or 0.7-2.5 kW, min run/pause 2 slots"),
}


def run_scale(
    scenario: Path, slots: int, reps: int, variant: str, time_limit_s: float
) -> dict[str, Any]:
    on_off, hp_min_w, hp = HP_VARIANTS[variant]
    walls = []
    result = None
    for _ in range(reps):
        t0 = time.perf_counter()
        problem = four_device_problem(scenario, slots, on_off=on_off, hp_min_w=hp_min_w)
        result = plan(problem, time_limit_s=time_limit_s)
        walls.append(time.perf_counter() - t0)
    assert result is not None
    return {
        "variant": variant,
        "slots": slots,
        "time_limit_s": time_limit_s,
        "devices": f"battery, EV (off or 4.14-11 kW), heat pump ({hp}), PV",
        "ladder": "grid > wishes > cost, congestion window 17-20 h at 5 kW",
        "status": result.status,
        "cost_total_eur": round(result.cost.total_eur, 6),
        "baseline_total_eur": round(result.baseline.cost.total_eur, 6),
        "saving_eur": round(result.saving_eur, 6),
        "wall_s": round(statistics.median(walls), 5),
        "wall_s_all": [round(w, 5) for w in walls],
        "build_s": round(result.figures.build_s, 5),
        "solve_s": round(result.figures.solve_s, 5),
        "highs_runs": result.figures.solves,
        "binaries": result.figures.binaries,
        "mip_gap": result.figures.mip_gap,
        "unmet": [u.to_dict() for u in result.unmet],
    }


_CHILD = """
import sys
sys.path.insert(0, {root!r})
stage = {stage!r}
if stage == "numpy":
    import numpy  # Home Assistant has numpy loaded already
elif stage != "bare":
    from pathlib import Path
    from benchmarks.machine import describe
    from benchmarks.planner.scale import four_device_problem
    from open_hem_core.planner import plan
    if stage == "plan":
        on_off, hp_min_w = {on_off!r}, {hp_min_w!r}
        problem = four_device_problem(Path({scenario!r}), {slots}, on_off=on_off, hp_min_w=hp_min_w)
        plan(problem, time_limit_s={time_limit!r})
# VmHWM: peak RSS of this process image (ru_maxrss would include the forking parent's)
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]))
"""


def _child_peak_kb(stage: str, scenario: Path, slots: int, variant: str, limit: float) -> int:
    on_off, hp_min_w, _ = HP_VARIANTS[variant]
    code = _CHILD.format(
        root=str(ROOT),
        stage=stage,
        scenario=str(scenario),
        slots=slots,
        on_off=on_off,
        hp_min_w=hp_min_w,
        time_limit=limit,
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(proc.stdout.strip().splitlines()[-1])


def run_memory(scenario: Path, slots: int, time_limit_s: float) -> dict[str, Any]:
    """Peak RSS (VmHWM) of fresh children: bare, after import, after one plan per variant."""
    bare = _child_peak_kb("bare", scenario, slots, "hp_modulating", time_limit_s)
    numpy_kb = _child_peak_kb("numpy", scenario, slots, "hp_modulating", time_limit_s)
    imported = _child_peak_kb("import", scenario, slots, "hp_modulating", time_limit_s)
    out: dict[str, Any] = {
        "slots": slots,
        "time_limit_s": time_limit_s,
        "peak_rss_bare_mb": round(bare / 1024, 1),
        "peak_rss_numpy_mb": round(numpy_kb / 1024, 1),
        "peak_rss_after_import_mb": round(imported / 1024, 1),
        "plans": {},
    }
    for variant in HP_VARIANTS:
        kb = _child_peak_kb("plan", scenario, slots, variant, time_limit_s)
        out["plans"][variant] = {
            "peak_rss_mb": round(kb / 1024, 1),
            "above_bare_mb": round((kb - bare) / 1024, 1),
            "above_numpy_mb": round((kb - numpy_kb) / 1024, 1),
            "above_import_mb": round((kb - imported) / 1024, 1),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", action="append", type=Path)
    ap.add_argument("--variant", choices=["lp", "milp", "both"], default="lp")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--emhass-python", help="interpreter of a venv with emhass==0.18.7")
    ap.add_argument("--scale", type=int, action="append", help="all-four-devices at N slots")
    ap.add_argument("--scale-reps", type=int, default=1)
    ap.add_argument("--scale-time-limit", type=float, default=10.0)
    ap.add_argument("--memory", action="store_true", help="peak RSS of a plan at the scale")
    ap.add_argument("--out", type=Path, help="also write the JSON object to this file")
    a = ap.parse_args(argv)

    # HiGHS prints a banner on the C-level stdout: keep stdout for our output only.
    out_fd = os.dup(1)
    os.dup2(2, 1)
    stdout = os.fdopen(out_fd, "w")

    scenarios = a.scenario or [DEFAULT_SCENARIO]
    variants = ["lp", "milp"] if a.variant == "both" else [a.variant]
    runs = []
    for scenario in scenarios:
        for variant in variants:
            r = run_ours(scenario, variant, a.reps)
            if a.emhass_python:
                em = run_emhass(a.emhass_python, scenario, variant, a.reps)
                r["emhass"] = em
                if isinstance(em.get("cold_wall_s"), float) and r["wall_s"] > 0:
                    r["speedup_vs_emhass"] = round(em["cold_wall_s"] / r["wall_s"], 1)
            runs.append(r)
    result: dict[str, Any]
    result = dict(runs[0]) if len(runs) == 1 else {"runs": runs}
    result["machine"] = describe(highspy=highspy.Highs().version())  # type: ignore[no-untyped-call]
    if a.scale:
        result["scale"] = [
            run_scale(scenarios[0], n, a.scale_reps, variant, a.scale_time_limit)
            for variant in HP_VARIANTS
            for n in a.scale
        ]
        if a.memory:
            result["memory"] = run_memory(scenarios[0], max(a.scale), a.scale_time_limit)
    text = json.dumps(result, indent=None if a.json else 1)
    if a.out:
        a.out.write_text(json.dumps(result, indent=1) + "\n")
    print(text, file=stdout, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
