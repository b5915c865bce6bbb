"""Perturbed anchor-like scenarios: generate them, and time the planner on them.

    python -m benchmarks.planner.perturbed generate [--count 20]
    python -m benchmarks.planner.perturbed run [--reps 3] [--json]

Figures: ``perturbed_results.json``.

``generate`` writes ``scenarios/perturbed_NN.json`` in the EMHASS-anchor schema from the
15-min anchor with deterministic seeds (0..count-1): negative-price stretches, tighter
grid limits, other EV windows, energies and minimum powers. ``run`` plans each one (variant
``milp``: the EV is off or at least its minimum power) with the lazy-binary planner (median
wall over ``--reps``) and once with every binary in the model (``full_binaries``), and
reports the distribution of wall times and the largest relative cost difference.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import statistics
import time
from typing import Any

import numpy as np

from open_hem_core.planner import plan, scenario_from_dict

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"
ANCHOR = HERE.parents[1].parent / "shared" / "anchors" / "emhass" / "scenario_48h_15min.json"


def perturb(sc: dict[str, Any], seed: int) -> dict[str, Any]:
    """One anchor-like scenario (deterministic in ``seed``)."""
    rng = np.random.default_rng(seed)
    n = int(sc["slots"])
    drop = ("reference_optimum_eur", "emhass_0_18_7_cost_eur", "emhass_note")
    out = {k: v for k, v in sc.items() if k not in drop}
    imp = np.asarray(sc["import_price_eur_per_kwh"], dtype=float)
    exp = np.asarray(sc["export_price_eur_per_kwh"], dtype=float)
    scale = rng.uniform(0.7, 1.4)
    imp, exp = imp * scale, exp * scale
    if rng.random() < 0.6:  # a negative-price stretch around midday
        a = int(rng.integers(0, n - 16))
        length = int(rng.integers(4, 20))
        dip = rng.uniform(0.05, 0.3)
        imp[a : a + length] -= dip
        exp[a : a + length] -= dip
    imp += rng.normal(0.0, 0.01, n)
    exp = np.minimum(exp + rng.normal(0.0, 0.005, n), imp)
    out["import_price_eur_per_kwh"] = [round(float(v), 6) for v in imp]
    out["export_price_eur_per_kwh"] = [round(float(v), 6) for v in exp]
    pv = np.asarray(sc["pv_forecast_w"], dtype=float) * rng.uniform(0.5, 1.5)
    out["pv_forecast_w"] = [round(float(v), 1) for v in pv]
    imp_lim = float(rng.choice([17250.0, 11000.0, 9000.0, 7000.0]))
    exp_lim = float(rng.choice([17250.0, 5000.0, 3000.0]))
    out["grid_limit_w"] = {"import": imp_lim, "export": exp_lim}
    ev = dict(sc["ev"])
    start = int(rng.integers(0, n // 2))
    end = min(n, start + int(rng.integers(8, n // 2)))
    ev["available_from_slot"] = start
    ev["deadline_slot_exclusive"] = end
    ev["max_w"] = float(rng.choice([7400.0, 11000.0]))
    ev["min_w_when_on_milp_variant"] = float(rng.choice([1380.0, 4140.0, 6000.0]))
    hours = (end - start) * int(sc["step_minutes"]) / 60
    ev["energy_wh"] = round(float(rng.uniform(0.1, 0.7) * ev["max_w"] * hours), 1)
    out["ev"] = ev
    out["description"] = f"Perturbed 15-min anchor, seed {seed} (benchmarks/planner/perturbed.py)"
    return out


def generate(count: int) -> list[Path]:
    sc = json.loads(ANCHOR.read_text())
    SCENARIOS.mkdir(exist_ok=True)
    paths = []
    for seed in range(count):
        path = SCENARIOS / f"perturbed_{seed:02d}.json"
        path.write_text(json.dumps(perturb(sc, seed), indent=1) + "\n")
        paths.append(path)
    return paths


def run(reps: int) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    all_walls: list[float] = []
    diffs: list[float] = []
    for path in sorted(SCENARIOS.glob("perturbed_*.json")):
        sc = json.loads(path.read_text())
        walls = []
        lazy = None
        for _ in range(reps):
            t0 = time.perf_counter()
            lazy = plan(scenario_from_dict(sc, "milp"), time_limit_s=60.0)
            walls.append(time.perf_counter() - t0)
        assert lazy is not None
        t0 = time.perf_counter()
        full = plan(scenario_from_dict(sc, "milp"), time_limit_s=60.0, full_binaries=True)
        full_wall = time.perf_counter() - t0
        a, b = lazy.cost.total_eur, full.cost.total_eur
        all_walls.append(round(statistics.median(walls), 5))
        diffs.append(abs(a - b) / max(abs(b), 1e-2))
        rows.append(
            {
                "scenario": path.name,
                "status": lazy.status,
                "wall_s": round(statistics.median(walls), 5),
                "highs_runs": lazy.figures.solves,
                "binaries": lazy.figures.binaries,
                "cost_eur": round(a, 6),
                "full_binary_cost_eur": round(b, 6),
                "full_binary_wall_s": round(full_wall, 5),
                "rel_diff": abs(a - b) / max(abs(b), 1e-2),
            }
        )
    return {
        "count": len(rows),
        "median_wall_s": round(statistics.median(all_walls), 5),
        "max_wall_s": round(max(all_walls), 5),
        "max_rel_diff_vs_full_binary": max(diffs),
        "runs": rows,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["generate", "run"])
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    # HiGHS prints a banner on the C-level stdout: keep stdout for our output only.
    out_fd = os.dup(1)
    os.dup2(2, 1)
    stdout = os.fdopen(out_fd, "w")
    if a.command == "generate":
        for path in generate(a.count):
            print(path.name, file=stdout)
        return 0
    result = run(a.reps)
    if a.json:
        print(json.dumps(result), file=stdout)
    else:
        for r in result["runs"]:
            print(
                r["scenario"],
                r["status"],
                r["wall_s"],
                r["highs_runs"],
                r["binaries"],
                r["cost_eur"],
                r["full_binary_cost_eur"],
                f"{r['rel_diff']:.1e}",
                file=stdout,
            )
        print(
            "median",
            result["median_wall_s"],
            "max",
            result["max_wall_s"],
            "max rel diff",
            f"{result['max_rel_diff_vs_full_binary']:.1e}",
            file=stdout,
        )
    stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
