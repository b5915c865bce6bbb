"""Fixtures for the core's tests, which run in .venv-core: no Home Assistant installed.

scripts/test runs them with ``--confcutdir=tests/core``, so tests/conftest.py (which loads the
integration and so Home Assistant) is never read here.
"""

from __future__ import annotations

import os

from hypothesis import settings

# Property tests draw the same examples on every run, so CI is reproducible; set
# HYPOTHESIS_PROFILE=explore to search new random examples (and keep any failure as a test).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
