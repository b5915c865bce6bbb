"""The integration's JSON files have no duplicate keys (json.load would silently keep the last).

A merge of two branches that each add a platform's section once left icons.json with two
"select" objects, and the first one's icons were lost without a word.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

INTEGRATION = Path(__file__).resolve().parents[1] / "custom_components" / "open_hem"
FILES = sorted(p for p in INTEGRATION.rglob("*.json"))


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates, f"duplicate keys {sorted(duplicates)}"
    return dict(pairs)


def test_the_check_finds_a_duplicate() -> None:
    """The hook would notice the icons.json mistake."""
    with pytest.raises(AssertionError, match="select"):
        json.loads('{"select": {}, "select": {}}', object_pairs_hook=_refuse_duplicates)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(INTEGRATION)))
def test_no_duplicate_keys(path: Path) -> None:
    """Every JSON file of the integration parses with each key once per object."""
    json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_refuse_duplicates)
