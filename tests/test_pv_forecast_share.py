"""The household's PV forecast shared out over the PV devices that bring none of their own."""

from __future__ import annotations

import numpy as np

from custom_components.open_hem.core.planner import PVInverter
from custom_components.open_hem.planner.inputs import share_pv_forecast

FORECAST = [0.0, 3000.0, -5.0]


def test_inverters_share_the_forecast_by_their_size() -> None:
    small = PVInverter("small", forecast_w=np.zeros(3), max_ac_w=1000.0)
    large = PVInverter("large", forecast_w=np.zeros(3), max_ac_w=2000.0)
    native = PVInverter("native", forecast_w=np.array([0.0, 700.0, 0.0]))
    out = {pv.name: pv for pv in share_pv_forecast([small, large, native], FORECAST)}
    assert out["small"].forecast_w.tolist() == [0.0, 1000.0, 0.0]
    assert out["large"].forecast_w.tolist() == [0.0, 2000.0, 0.0]
    # A device with its own forecast (a native S2 RM) keeps it.
    assert out["native"] is native


def test_without_sizes_the_shares_are_equal() -> None:
    a = PVInverter("a", forecast_w=np.zeros(3))
    b = PVInverter("b", forecast_w=np.zeros(3))
    out = share_pv_forecast([a, b], FORECAST)
    assert [pv.forecast_w.tolist() for pv in out] == [[0.0, 1500.0, 0.0]] * 2
    assert share_pv_forecast([], FORECAST) == []
