"""Shared fixtures for Open HEM's Home Assistant tests."""

from __future__ import annotations

import os
from typing import Any

import freezegun
from hypothesis import settings
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Imported before the `hass` fixture runs so Home Assistant finds the custom integration.
import custom_components.open_hem  # noqa: F401
from tests.entries import hub_entry

# Property tests draw the same examples on every run, so CI is reproducible; set
# HYPOTHESIS_PROFILE=explore to search new random examples (and keep any failure as a test).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# The planner's solver keeps its time limit with time.perf_counter, also in the executor's
# threads, where freezegun mixes frozen and real time: the planner always sees real time.
freezegun.configure(extend_ignore_list=["custom_components.open_hem.core.planner"])


@pytest.fixture(autouse=True)
def generous_plan_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner's time limit counts real seconds (above) while the tests' clock stands
    still: on a loaded machine 5 s ran out, and a relaxed, baseline or last-good plan stood
    where a test checks the optimal one. A test of the limit itself patches it lower."""
    monkeypatch.setattr("custom_components.open_hem.planner.cycle.PLAN_TIME_LIMIT_S", 120.0)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: Any) -> None:
    """Let every test load custom integrations."""
    return


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """An Open HEM hub entry as the config flow creates it."""
    return hub_entry()
