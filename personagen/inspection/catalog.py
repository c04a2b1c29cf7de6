"""The critic catalogue behind `personagen critics`: every registered critic and where it came from.

Input: optional extra modules or .py files to import first (for checking a local critic before packaging it).
Output: `CriticInfo` rows (name, stage, kind, description, origin: built-in / plug-in / local, the defining
object and, for plug-ins, the distribution) and the warnings of plug-ins or files that failed to load.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from personagen.critics import (
    ENTRY_POINT_GROUP,
    CriticSpec,
    Stage,
    all_critics,
    load_entry_points,
    registered_critics,
)

BUILTIN_PREFIX = "personagen.agents.critics"
STAGE_ORDER = list(Stage)


@dataclass
class CriticInfo:
    name: str
    stage: str
    kind: str
    description: str
    origin: str
    source: str
    package: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def import_target(target: str) -> None:
    """Import a module by dotted name, or a Python file by path (its critics register on import)."""
    path = Path(target)
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {target}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {target}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
    else:
        importlib.import_module(target)


def plugin_modules() -> dict[str, str]:
    """Module named by each `personagen.critics` entry point -> its distribution name."""
    out = {}
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(entry, "dist", None)
        out[entry.module] = dist.metadata["Name"] if dist is not None else entry.name
    return out


def classify(source: str, plugins: dict[str, str]) -> tuple[str, str | None]:
    """(origin, package) of a critic from the dotted path of the object that defines it."""
    module = source.rsplit(".", 1)[0] if "." in source else source
    if module == BUILTIN_PREFIX or module.startswith(BUILTIN_PREFIX + "."):
        return "built-in", None
    for plugin_module, package in plugins.items():
        if module == plugin_module or module.startswith(plugin_module + "."):
            return "plug-in", package
    return "local", None


def load_everything(extra: list[str]) -> list[str]:
    """Import the built-ins, then the plug-ins, then `extra`; returns warnings for whatever failed."""
    warnings = []
    try:
        importlib.import_module("personagen.agents.critics.builtin")
    except ModuleNotFoundError as exc:
        if exc.name != "personagen.agents.critics.builtin":
            warnings.append(f"built-in critics failed to load: {exc}")
    except Exception as exc:
        warnings.append(f"built-in critics failed to load: {type(exc).__name__}: {exc}")
    warnings += load_entry_points()
    for target in extra:
        try:
            import_target(target)
        except Exception as exc:
            warnings.append(f"critics from '{target}' failed to load: {type(exc).__name__}: {exc}")
    return warnings


def registered() -> dict[str, CriticSpec]:
    """The registry's critics (those that loaded, when the built-ins could not be imported)."""
    try:
        return all_critics()
    except ModuleNotFoundError:
        return registered_critics()


def critic_catalog(extra: list[str] | None = None) -> tuple[list[CriticInfo], list[str]]:
    """Every registered critic, by stage then name, and the load warnings."""
    warnings = load_everything(extra or [])
    plugins = plugin_modules()
    rows = []
    for spec in registered().values():
        origin, package = classify(spec.origin, plugins)
        rows.append(
            CriticInfo(spec.name, str(spec.stage), spec.kind, spec.description, origin, spec.origin, package)
        )
    rows.sort(key=lambda r: (STAGE_ORDER.index(r.stage) if r.stage in STAGE_ORDER else 9, r.kind != "rule", r.name))
    return rows, warnings
