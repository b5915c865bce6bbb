"""The EMHASS anchor scenarios: our cost equals the independent reference optimum."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from open_hem_core.planner import load_scenario, plan

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("resolution", ["15min", "60min"])
@pytest.mark.parametrize("variant", ["lp", "milp"])
def test_anchor_cost_equals_reference_optimum(resolution: str, variant: str) -> None:
    path = FIXTURES / f"scenario_48h_{resolution}.json"
    ref = json.loads(path.read_text())["reference_optimum_eur"][variant]
    problem = load_scenario(path, variant)  # type: ignore[arg-type]
    result = plan(problem)
    assert result.status == "optimal"
    assert result.cost.energy_eur == pytest.approx(ref, rel=1e-4)
    assert result.unmet == ()
    ev = result.device("ev").power_w
    sc = json.loads(path.read_text())
    lo, hi = sc["ev"]["available_from_slot"], sc["ev"]["deadline_slot_exclusive"]
    assert float(ev[lo:hi].sum()) * problem.horizon.dt_h == pytest.approx(30000.0, abs=0.5)
    assert np.all(ev[:lo] == 0)
    assert np.all(ev[hi:] == 0)
    if variant == "milp":
        on = ev > 1e-3
        assert np.all(ev[on] >= 4140.0 - 1e-3)
    battery = result.device("battery")
    assert battery.state is not None
    assert battery.state[-1] >= 0.5 - 1e-6
    assert np.all(np.minimum(result.import_w, result.export_w) <= 1e-3)
    # the plan is much cheaper than no optimisation
    assert result.saving_eur > 4.0
