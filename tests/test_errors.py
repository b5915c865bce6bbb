"""Core errors leave Open HEM's actions as translated Home Assistant errors."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.core.errors import OpenHemError
from custom_components.open_hem.core.planner import PlannerError
from custom_components.open_hem.core.prices import PriceError
from custom_components.open_hem.errors import translate_core_errors


@translate_core_errors
async def _fails(error: Exception) -> None:
    raise error


@translate_core_errors
async def _works(value: int) -> int:
    return value * 2


async def test_core_error_becomes_translated_error(hass: HomeAssistant) -> None:
    """The error's own translation key and its message as the placeholder."""
    with pytest.raises(HomeAssistantError) as info:
        await _fails(PriceError("no prices for 12:00"))
    assert info.value.translation_domain == DOMAIN
    assert info.value.translation_key == PriceError.translation_key
    assert info.value.translation_placeholders == {"error": "no prices for 12:00"}
    assert isinstance(info.value.__cause__, PriceError)


def test_root_error_has_a_text_in_both_languages() -> None:
    """Every core error root's key has an English and Dutch text."""
    folder = Path(__file__).resolve().parents[1] / "custom_components" / DOMAIN
    for language in ("en", "nl"):
        texts = json.loads((folder / "translations" / f"{language}.json").read_text())
        for error in (OpenHemError, PriceError, PlannerError):
            assert "{error}" in texts["exceptions"][error.translation_key]["message"]


async def test_other_errors_and_results_pass_through(hass: HomeAssistant) -> None:
    """Only core errors are translated; results and other errors are untouched."""
    assert await _works(21) == 42
    with pytest.raises(KeyError):
        await _fails(KeyError("x"))
