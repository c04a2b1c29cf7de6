"""Installing a critic plug-in for a test, through the real entry-point mechanism, without pip.

`installed_plugin(tmp_path, package_dir)` puts the package's `src` on sys.path and writes a minimal
`*.dist-info` (METADATA + entry_points.txt) beside it, so `importlib.metadata` finds the `personagen.critics`
entry point exactly as it would for a pip-installed package. The registry is snapshotted and restored, so each
test sees the built-ins plus only what it installed. Usable from any test (e.g. the graph's end-to-end test):

    from tests.inspection.plugin_helpers import EXAMPLE_PLUGIN, installed_plugin
    with installed_plugin(tmp_path, EXAMPLE_PLUGIN):
        ...  # select_critics(...) now includes banned_phrases and text_length
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from personagen.critics import ENTRY_POINT_GROUP, isolated_registry

EXAMPLE_PLUGIN = Path(__file__).resolve().parents[2] / "examples" / "critics"


@contextmanager
def clean_registry() -> Iterator[None]:
    """Snapshot the critic registry (built-ins imported first) and restore it afterwards."""
    with isolated_registry():
        yield


def write_dist_info(site: Path, name: str, entry_points: dict[str, str]) -> None:
    """A minimal installed-distribution record declaring `personagen.critics` entry points."""
    info = site / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n", encoding="utf-8")
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}", encoding="utf-8")


@contextmanager
def installed_plugin(tmp_path: Path, package_dir: Path = EXAMPLE_PLUGIN) -> Iterator[list[str]]:
    """Install the plug-in at package_dir (a folder with pyproject.toml and src/) for the duration.

    Yields the names of the modules its entry points name.
    """
    project = tomllib.loads((package_dir / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    entry_points = project["entry-points"][ENTRY_POINT_GROUP]
    site = tmp_path / "site-packages"
    write_dist_info(site, project["name"], entry_points)
    modules = [value.split(":")[0] for value in entry_points.values()]
    paths = [str(package_dir / "src"), str(site)]
    with clean_registry():
        sys.path[:0] = paths
        try:
            yield modules
        finally:
            for path in paths:
                sys.path.remove(path)
            for module in list(sys.modules):
                if any(module == m or module.startswith(m + ".") for m in modules):
                    del sys.modules[module]
