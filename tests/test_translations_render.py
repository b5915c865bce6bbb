"""Every text must render in Home Assistant's frontend, which reads it as an ICU message.

The frontend formats translations with intl-messageformat: ``{name}`` is a placeholder (a
``{`` without its ``}`` is a syntax error), ``<word>`` opens a rich-text tag that must be closed
and given a renderer (Home Assistant gives none, so any tag fails: "<prefix>/all" showed as
"Translation error: UNCLOSED_TAG", "<telegram id>" as "INVALID_TAG"), and an apostrophe before
``{``, ``}``, ``<`` or ``>`` quotes them. This checks all of strings.json, en.json and nl.json,
not only one feature's texts.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

INTEGRATION = Path(__file__).resolve().parents[1] / "custom_components" / "open_hem"
FILES = ("strings.json", "translations/en.json", "translations/nl.json")
_ARGUMENT = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*$")
_SPECIAL = "{}<>"


def icu_errors(text: str) -> list[str]:
    """What intl-messageformat would refuse in ``text`` (empty when it renders)."""
    errors: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "'" and index + 1 < len(text) and text[index + 1] in _SPECIAL + "'":
            if text[index + 1] == "'":
                index += 2
                continue
            end = text.find("'", index + 1)
            if end < 0:
                errors.append(f"unclosed quote at {index}")
                return errors
            index = end + 1
            continue
        if char == "{":
            end = text.find("}", index)
            nested = text.find("{", index + 1)
            if end < 0:
                errors.append(f"unclosed brace at {index}")
                return errors
            if 0 <= nested < end:
                errors.append(f"nested or plural argument at {index} (not used by HA texts)")
                return errors
            if not _ARGUMENT.match(text[index + 1 : end]):
                errors.append(f"malformed argument {text[index : end + 1]!r}")
            index = end + 1
            continue
        if char == "}":
            errors.append(f"unopened brace at {index}")
        elif char == "<":
            match = re.match(r"</?([A-Za-z][\w-]*)>", text[index:])
            if match is None:
                errors.append(f"invalid tag at {index}: {text[index : index + 20]!r}")
            else:
                errors.append(f"tag {match.group(0)!r}: HA's frontend renders no tags")
        index += 1
    return errors


def _texts(node: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in _texts(value, f"{path}.{key}")]
    return [(path, node)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plain text, with grid operator's bill and 3 > 2", []),
        ("From {start} to {end}", []),
        ("JSON on <prefix>/all", ["tag '<prefix>': HA's frontend renders no tags"]),
        ("ESPHome: <telegram id>/state", ["invalid tag at 9: '<telegram id>/state'"]),
        ("Broken {placeholder", ["unclosed brace at 7"]),
        ("Broken placeholder}", ["unopened brace at 18"]),
        ("A {bad-name}", ["malformed argument '{bad-name}'"]),
        ("{n, plural, one {# x}}", ["nested or plural argument at 0 (not used by HA texts)"]),
        ("Quoted '<prefix>' and '{x}' and it''s", []),
        ("Unclosed '{quote", ["unclosed quote at 9"]),
    ],
)
def test_the_checker(text: str, expected: list[str]) -> None:
    """The checker finds what the frontend refuses, and passes what it renders."""
    assert icu_errors(text) == expected


@pytest.mark.parametrize("name", FILES)
def test_every_text_renders_in_the_frontend(name: str) -> None:
    """No text in the shipped or source translations fails in the frontend's ICU parser."""
    texts = _texts(json.loads((INTEGRATION / name).read_text(encoding="utf-8")))
    failures = {path: errors for path, text in texts if (errors := icu_errors(text))}
    assert failures == {}
