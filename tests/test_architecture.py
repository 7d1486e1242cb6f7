"""Every top-level package of ecosentinel has its place in the declared layers (pyproject.toml), so the
import-linter contracts of ``make lint`` cover it; a new package must be placed before it lands."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import ecosentinel

ROOT = Path(__file__).resolve().parents[1]
UNLAYERED = {"__main__"}  # `python -m ecosentinel`: only calls the CLI


def _layered() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    names: set[str] = set()
    for layer in layers:
        for part in layer.replace("|", ":").split(":"):
            names.add(part.strip().removeprefix("ecosentinel."))
    return names


def test_every_top_level_package_is_in_a_layer() -> None:
    top = {m.name for m in pkgutil.iter_modules(ecosentinel.__path__)} - UNLAYERED
    missing = top - _layered()
    assert not missing, f"place these in the layers contract of pyproject.toml: {sorted(missing)}"


def test_the_layers_name_only_existing_packages() -> None:
    top = {m.name for m in pkgutil.iter_modules(ecosentinel.__path__)}
    assert _layered() <= top
