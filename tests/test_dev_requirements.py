"""Home Assistant never has to pip-install anything for Open HEM or `scripts/develop`.

HA installs, when it loads an integration, the requirements of that integration and of its
dependencies and after_dependencies, recursively (homeassistant/requirements.py,
RequirementsManager._async_process_integration). Whatever it would install must come pinned
from requirements.txt instead: unpinned run-time installs are slow, need the internet and
change .venv behind the tests' back.
"""

from __future__ import annotations

from importlib import import_module
import json
from pathlib import Path
from typing import Any

import homeassistant
from homeassistant.bootstrap import DEFAULT_INTEGRATIONS
from homeassistant.requirements import DISCOVERY_INTEGRATIONS
from homeassistant.util.package import is_installed
from packaging.requirements import Requirement
import yaml

from custom_components.open_hem.const import DOMAIN

REPO = Path(__file__).resolve().parents[1]
MANIFESTS = (Path(homeassistant.__file__).parent / "components", REPO / "custom_components")


def _manifest(domain: str) -> dict[str, Any]:
    for folder in MANIFESTS:
        if (path := folder / domain / "manifest.json").exists():
            manifest: dict[str, Any] = json.loads(path.read_text())
            return manifest
    raise AssertionError(f"no integration {domain}")


def _requirements(domains: set[str]) -> dict[str, str]:
    """Requirement -> integration, for domains and all HA processes with them."""
    found: dict[str, str] = {}
    todo, seen = list(domains), set()
    while todo:
        if (domain := todo.pop()) in seen:
            continue
        seen.add(domain)
        manifest = _manifest(domain)
        found.update(dict.fromkeys(manifest.get("requirements", []), domain))
        todo += manifest.get("dependencies", []) + manifest.get("after_dependencies", [])
        todo += [
            discovery
            for discovery, keys in DISCOVERY_INTEGRATIONS.items()
            if any(key in manifest for key in keys)
        ]
    return found


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            requirement = Requirement(line)
            pins[requirement.name.lower()] = str(requirement.specifier)
    return pins


def test_after_dependencies_requirements_are_pinned() -> None:
    """energyzero, nordpool, mqtt, frontend, zeroconf: HA installs their libraries when Open HEM
    loads."""
    after_dependencies = set(_manifest(DOMAIN)["after_dependencies"])
    # frontend: the plan card is registered with it when it is there.
    # zeroconf: S2 Connect is announced with DNS-SD when it is there.
    assert after_dependencies == {"energyzero", "frontend", "mqtt", "nordpool", "zeroconf"}
    pins = _pins()
    for text, domain in _requirements(after_dependencies).items():
        requirement = Requirement(text)
        assert pins.get(requirement.name.lower()) == str(requirement.specifier), (
            f"pin {text} (for {domain}) in requirements.txt"
        )


def test_development_instance_needs_no_run_time_install() -> None:
    """What scripts/develop's HA sets up is installed in .venv at the manifests' versions."""
    configured = yaml.safe_load((REPO / "dev" / "configuration.yaml").read_text())
    domains = {*DEFAULT_INTEGRATIONS, *configured, DOMAIN}
    needed = _requirements(domains)
    # HA loads its login's multi-factor modules at startup and installs their REQUIREMENTS.
    for module in configured["homeassistant"].get("auth_mfa_modules", [{"type": "totp"}]):
        path = f"homeassistant.auth.mfa_modules.{module['type']}"
        needed.update(dict.fromkeys(getattr(import_module(path), "REQUIREMENTS", []), path))
    missing = [
        f"{text} (for {domain})" for text, domain in needed.items() if not is_installed(text)
    ]
    assert not missing, f"pin in requirements.txt (or do not set it up): {missing}"
