"""Write translations/en.json from strings.json, as Home Assistant's own tooling does.

`[%key:...%]` references are resolved against our strings.json and Home Assistant's
common strings. Run after editing strings.json: `.venv/bin/python scripts/translations.py`.
translations/nl.json is kept by hand; tests check it has exactly the same keys.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys
from typing import Any

import homeassistant

INTEGRATION = Path(__file__).resolve().parent.parent / "custom_components" / "open_hem"
REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")


def _lookup(path: str, ours: dict[str, Any], common: dict[str, Any]) -> str:
    parts = path.split("::")
    if parts[:2] == ["component", "open_hem"]:
        node: Any = ours
        parts = parts[2:]
    else:
        node = common
    for part in parts:
        node = node[part]
    if not isinstance(node, str):
        raise TypeError(f"{path} does not name a string")
    return node


def resolve(node: Any, ours: dict[str, Any], common: dict[str, Any]) -> Any:
    """Replace every reference in node by the text it names, recursively."""
    if isinstance(node, dict):
        return {key: resolve(value, ours, common) for key, value in node.items()}
    if isinstance(node, str):
        return REFERENCE.sub(
            lambda match: resolve(_lookup(match.group(1), ours, common), ours, common), node
        )
    return node


def english() -> dict[str, Any]:
    """The English translation that strings.json describes."""
    ours = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    common_file = Path(homeassistant.__file__).parent / "strings.json"
    common = json.loads(common_file.read_text(encoding="utf-8"))
    resolved: dict[str, Any] = resolve(ours, ours, common)
    return resolved


def main() -> int:
    """Write en.json."""
    target = INTEGRATION / "translations" / "en.json"
    target.write_text(json.dumps(english(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {target.relative_to(INTEGRATION.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
