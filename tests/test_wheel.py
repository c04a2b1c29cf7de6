"""The wheel claims one import name, `personagen`, and carries every source file and data file of its folders.

The top-level folders agents/, graph/, personas/ install as personagen.agents, personagen.graph,
personagen.personas (pyproject's package-dir). The wheel is built offline from a copy of the sources
(`pip wheel --no-build-isolation`: needs setuptools>=68 and wheel, the `dev` extra), so the repository gets no
build/ folder; then it is unzipped and imported by a fresh interpreter that cannot see the repository.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGE_DIRS: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]  # import name -> source folder
DATA_GLOBS = [
    "personagen/agents/prompts/*.md", "personagen/agents/prompts/examples/*.json",
    "personagen/personas/tables/us/*.csv", "personagen/personas/tables/jp/*.csv",
    "personagen/personas/tables/scenario_vocab.json", "personagen/evaluation/assets/*",
]  # fmt: skip
IMPORT_CHECK = """
import json, sys
# the editable install's finder would serve anything missing from the wheel out of the repository: remove it
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")]
import personagen.agents.llm, personagen.cli, personagen.graph.build, personagen.personas.locale
from personagen.agents.examples import EXAMPLES_DIR, load_pool
from personagen.agents.prompting import PROMPTS_DIR, load_template
from personagen.personas.locale import available_locales, load_locale
from personagen.personas.vocab import load_vocab

personagen.personas.locale.load_locale("us")
locales = available_locales()
for name in locales:
    load_locale(name)
load_vocab()
personagen.graph.build.build_graph()
templates = sorted(p.stem for p in PROMPTS_DIR.glob("*.md"))
for name in templates:
    load_template(name)
pools = sorted(p.stem for p in EXAMPLES_DIR.glob("*.json"))
for name in pools:
    load_pool(name)
files = {n: getattr(m, "__file__", None) for n, m in sys.modules.items() if n.split(".")[0] == "personagen"}
print(json.dumps({"locales": locales, "templates": templates, "pools": pools, "files": files}))
"""


def build_tools_missing() -> str | None:
    """Why `pip wheel --no-build-isolation` cannot work in this interpreter, or None."""
    try:
        version = tuple(int(x) for x in importlib.metadata.version("setuptools").split(".")[:2])
    except importlib.metadata.PackageNotFoundError:
        version = (0, 0)
    if version < (68, 0):
        return "needs setuptools>=68 (pip install -e '.[dev]')"
    if version < (70, 1) and importlib.util.find_spec("wheel") is None:  # bdist_wheel moved into setuptools 70.1
        return "needs the wheel package (pip install -e '.[dev]')"
    return None


def source_files() -> dict[str, Path]:
    """Every file the wheel should hold, by its path in the wheel: all files of the package folders."""
    files: dict[str, Path] = {}
    for package, folder in PACKAGE_DIRS.items():
        for path in (ROOT / folder).rglob("*"):
            rel = path.relative_to(ROOT / folder)
            if path.is_file() and "__pycache__" not in rel.parts and path.suffix != ".pyc":
                files[f"{package.replace('.', '/')}/{rel.as_posix()}"] = path
    return files


def copy_sources(target: Path) -> None:
    """The files the build reads: pyproject.toml, the readme and the package folders (no caches, no egg-info)."""
    target.mkdir()
    for name in ("pyproject.toml", PYPROJECT["project"]["readme"]):
        shutil.copy2(ROOT / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for folder in sorted(set(PACKAGE_DIRS.values())):
        shutil.copytree(ROOT / folder, target / folder, ignore=ignore)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if reason := build_tools_missing():
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("wheel")
    copy_sources(tmp / "src")
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-q", "-w", str(tmp / "dist"), str(tmp / "src")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = (tmp / "dist").glob("personagen-*.whl")
    return path


def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return [n for n in zf.namelist() if not n.endswith("/")]


def test_the_wheel_claims_only_the_personagen_import_name(wheel):
    names = wheel_names(wheel)
    tops = {n.split("/")[0].removesuffix(".py") for n in names if "/" in n or n.endswith(".py")}
    assert {t for t in tops if not t.endswith((".dist-info", ".data"))} == {"personagen"}
    with zipfile.ZipFile(wheel) as zf:
        top_level = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        for member in top_level:
            assert set(zf.read(member).decode().split()) == {"personagen"}
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert "personagen = personagen.cli:main" in zf.read(entry_points).decode()


def test_the_wheel_holds_every_source_and_data_file_of_the_package_folders(wheel):
    names = set(wheel_names(wheel))
    expected = source_files()
    missing = sorted(set(expected) - names)
    assert not missing, f"files of the source folders missing from the wheel: {missing}"
    for pattern in DATA_GLOBS:
        in_source = {n for n in expected if Path(n).match(pattern)}
        assert in_source, f"no source file matches {pattern}"
        assert in_source <= names
    with zipfile.ZipFile(wheel) as zf:  # the data files are shipped unchanged
        for name in (n for n in expected if not n.endswith(".py")):
            assert zf.read(name) == expected[name].read_bytes(), name


def test_the_unzipped_wheel_imports_and_reads_its_data_without_the_repository(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(site)
    done = subprocess.run([sys.executable, "-c", IMPORT_CHECK], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"us", "jp"} <= set(report["locales"])
    assert report["templates"] == sorted(p.stem for p in (ROOT / "agents" / "prompts").glob("*.md"))
    assert report["pools"] == sorted(p.stem for p in (ROOT / "agents" / "prompts" / "examples").glob("*.json"))
    assert {"personagen.agents", "personagen.graph", "personagen.personas"} <= set(report["files"])
    outside = {n: f for n, f in report["files"].items() if f is None or not f.startswith(str(site))}
    assert not outside, f"modules imported from outside the wheel: {outside}"
