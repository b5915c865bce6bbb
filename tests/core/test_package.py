"""`pip install .` ships the whole core: every package below core/ is listed in pyproject.toml."""

from __future__ import annotations

from pathlib import Path
import tomllib

REPO = Path(__file__).resolve().parents[2]
CORE_SOURCE = REPO / "custom_components" / "open_hem" / "core"


def test_every_core_package_is_installed() -> None:
    """A new sub-package that is not listed would be missing from `pip install .`."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(("open_hem_core", *init.parent.relative_to(CORE_SOURCE).parts))
        for init in CORE_SOURCE.rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == on_disk
    assert setuptools["package-dir"] == {"open_hem_core": "custom_components/open_hem/core"}


def test_installed_core_matches_the_source() -> None:
    """The tested package is the source as installed, module for module."""
    import open_hem_core  # noqa: PLC0415

    installed = Path(open_hem_core.__file__).resolve().parent
    modules = {p.relative_to(CORE_SOURCE) for p in CORE_SOURCE.rglob("*.py")}
    assert modules == {p.relative_to(installed) for p in installed.rglob("*.py")}
    for module in modules:
        assert (installed / module).read_bytes() == (CORE_SOURCE / module).read_bytes(), module
