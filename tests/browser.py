"""Debian's chromium for the browser tests (Playwright downloads no browser here)."""

from __future__ import annotations

import os
from pathlib import Path
import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--font-render-hinting=none",
]


def chromium_or_skip() -> str:
    """The chromium binary (OPEN_HEM_CHROMIUM, chromium, chromium-browser); without one the
    test is skipped, and fails in CI (CI set), where .ci/run installs it."""
    candidates = [os.environ.get("OPEN_HEM_CHROMIUM"), "chromium", "chromium-browser"]
    for candidate in candidates:
        if candidate and (found := shutil.which(candidate)):
            return found
    message = "no chromium binary found (apt-get install chromium, or set OPEN_HEM_CHROMIUM)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def screenshot_path(name: str, tmp_path: Path) -> Path:
    """Where a screenshot goes: OPEN_HEM_SCREENSHOTS (e.g. docs/screenshots), else tmp_path."""
    folder = Path(os.environ.get("OPEN_HEM_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"
