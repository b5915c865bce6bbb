"""The HA-free library must never import Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

HEM = Path(__file__).resolve().parents[2] / "custom_components" / "open_hem" / "hem"
REPO = HEM.parents[2]


def _imported_modules(source: str) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def _homeassistant_imports(source: str) -> set[str]:
    return {
        module
        for module in _imported_modules(source)
        if module == "homeassistant" or module.startswith("homeassistant.")
    }


def test_detector_finds_homeassistant_imports() -> None:
    """The check below would notice an import, in either spelling."""
    assert _homeassistant_imports("import homeassistant.core\nfrom os import path\n") == {
        "homeassistant.core"
    }
    assert _homeassistant_imports("def f():\n    from homeassistant import const\n") == {
        "homeassistant"
    }
    assert _homeassistant_imports("import homeassistant_extra\n") == set()


def test_no_module_in_hem_imports_homeassistant() -> None:
    """Every module below hem/, at any depth and in any function, is free of HA imports."""
    modules = sorted(HEM.rglob("*.py"))
    assert modules, "hem/ has no modules"
    offenders = {
        str(path.relative_to(HEM)): found
        for path in modules
        if (found := _homeassistant_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_hem_imports_without_homeassistant_loaded() -> None:
    """Importing every hem module in a fresh interpreter loads no homeassistant module."""
    names = [
        ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted(HEM.rglob("*.py"))
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'homeassistant')\n"
        "print(','.join(loaded))\n"
    )
    # custom_components/open_hem/__init__.py imports HA; import hem as a namespace from a stub
    # parent so only the library itself is loaded.
    result = subprocess.run(
        [sys.executable, "-c", _isolated_import_prelude() + code],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert result.stdout.strip() == ""


def _isolated_import_prelude() -> str:
    """Register empty parent packages so importing hem does not run the integration's init."""
    return (
        "import sys, types\n"
        "for parent in ('custom_components', 'custom_components.open_hem'):\n"
        "    module = types.ModuleType(parent)\n"
        f"    module.__path__ = [{str(REPO)!r} + '/' + parent.replace('.', '/')]\n"
        "    sys.modules[parent] = module\n"
    )
