"""The HA-free library must never import Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

import open_hem_core

# The package as installed (`pip install .`), which is what this test venv imports.
CORE = Path(open_hem_core.__file__).resolve().parent


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
    """Every module below open_hem_core, at any depth and in any function, is free of HA imports."""
    modules = sorted(CORE.rglob("*.py"))
    assert modules, "open_hem_core has no modules"
    offenders = {
        str(path.relative_to(CORE)): found
        for path in modules
        if (found := _homeassistant_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_core_imports_without_homeassistant() -> None:
    """Importing every core module in a fresh interpreter loads no homeassistant module.

    This test venv has no Home Assistant at all; the check also holds where it is installed.
    """
    names = [
        ".".join(("open_hem_core", *path.relative_to(CORE).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for path in sorted(CORE.rglob("*.py"))
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'homeassistant')\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
