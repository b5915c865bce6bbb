"""manifest.json, hacs.json, translations and brand images meet what HA and HACS require."""

from __future__ import annotations

import json
from pathlib import Path
import re
import struct
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as ha_version
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from packaging.requirements import Requirement
import pytest

from custom_components.open_hem.const import DOMAIN

REPO = Path(__file__).resolve().parents[1]
INTEGRATION = REPO / "custom_components" / DOMAIN
MANIFEST: dict[str, Any] = json.loads((INTEGRATION / "manifest.json").read_text())
HACS: dict[str, Any] = json.loads((REPO / "hacs.json").read_text())


async def test_home_assistant_loads_the_manifest(hass: HomeAssistant) -> None:
    """HA's own loader accepts the integration as a custom integration with a version."""
    integration = await async_get_integration(hass, DOMAIN)
    assert not integration.is_built_in
    assert integration.version == AwesomeVersion(MANIFEST["version"])
    assert integration.config_flow is True
    assert integration.integration_type == "hub"
    assert integration.single_config_entry is True
    assert {"mqtt", "nordpool", "energyzero"} <= set(integration.after_dependencies)


def test_manifest_has_what_custom_integrations_and_hacs_need() -> None:
    """HACS and hassfest require these keys; keys are sorted after domain and name."""
    for key in ("domain", "name", "version", "documentation", "issue_tracker", "codeowners"):
        assert MANIFEST[key], key
    assert MANIFEST["domain"] == DOMAIN
    assert MANIFEST["iot_class"] in {
        "assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling",
        "local_push",
    }  # fmt: skip
    rest = list(MANIFEST)[2:]
    assert list(MANIFEST)[:2] == ["domain", "name"]
    assert rest == sorted(rest), "hassfest wants the remaining keys sorted"
    assert all(owner.startswith("@") for owner in MANIFEST["codeowners"])


def test_requirements_are_pinned_and_match_requirements_txt() -> None:
    """Only what HA does not ship, pinned exactly, and the same pins the dev setup installs."""
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            requirement = Requirement(line)
            pins[requirement.name] = str(requirement.specifier)
    for text in MANIFEST["requirements"]:
        requirement = Requirement(text)
        assert str(requirement.specifier).startswith("=="), text
        assert pins[requirement.name] == str(requirement.specifier), text
    shipped_by_ha = {"numpy", "pydantic", "aiohttp", "paho-mqtt", "voluptuous"}
    assert not {Requirement(r).name for r in MANIFEST["requirements"]} & shipped_by_ha


def test_hacs_json() -> None:
    """hacs.json names the integration and a minimum HA version this code runs on."""
    assert HACS["name"] == MANIFEST["name"]
    assert set(HACS["country"]) == {"NL", "BE"}
    assert AwesomeVersion(HACS["homeassistant"]) <= AwesomeVersion(ha_version)
    assert len(list((REPO / "custom_components").iterdir())) == 1, "HACS wants one integration"


@pytest.mark.parametrize(
    ("name", "size"),
    [("icon.png", (256, 256)), ("icon@2x.png", (512, 512)), ("dark_icon.png", (256, 256))],
)
def test_brand_images(name: str, size: tuple[int, int]) -> None:
    """Brand icons are square PNGs of the sizes HA's brands rules ask for."""
    data = (INTEGRATION / "brand" / name).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == size


def _keys(node: Any, prefix: str = "") -> set[str]:
    if isinstance(node, dict):
        return set().union(*(_keys(v, f"{prefix}{k}.") for k, v in node.items()))
    return {prefix.rstrip(".")}


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    return [node]


def test_translations_carry_the_same_keys() -> None:
    """strings.json, en.json and nl.json describe the same texts."""
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text())
    dutch = json.loads((INTEGRATION / "translations" / "nl.json").read_text())
    assert _keys(english) == _keys(strings)
    assert _keys(dutch) == _keys(strings)


def test_translations_are_resolved_and_placeholders_agree() -> None:
    """No unresolved references in the shipped files; {placeholders} match per text."""
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text())
    dutch = json.loads((INTEGRATION / "translations" / "nl.json").read_text())
    for text in _strings(english) + _strings(dutch):
        assert "[%key:" not in text
    placeholder = re.compile(r"\{(\w+)\}")

    def walk(en: Any, nl: Any, path: str) -> None:
        if isinstance(en, dict):
            for key in en:
                walk(en[key], nl[key], f"{path}.{key}")
        else:
            assert set(placeholder.findall(en)) == set(placeholder.findall(nl)), path

    walk(english, dutch, "")


def test_english_translation_is_generated_from_strings() -> None:
    """en.json is exactly what scripts/translations.py makes of strings.json."""
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.spec_from_file_location(
        "translations", REPO / "scripts" / "translations.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text())
    assert english == module.english()


def test_every_entity_translation_key_has_an_icon_or_device_class() -> None:
    """Icons are translated too (icons.json) for every entity without a device class icon."""
    icons = json.loads((INTEGRATION / "icons.json").read_text())
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    for platform, entities in strings.get("entity", {}).items():
        for key in entities:
            assert key in icons["entity"].get(platform, {}), f"{platform}.{key} has no icon"
