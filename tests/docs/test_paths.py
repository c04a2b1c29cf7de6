"""No path in code, messages or docs names a file that does not exist, and the top-level folders import once.

A path is a word that starts with one of the repository's folders (`agents/`, `personagen/`, `docs/`, ...). The
folders agents/, graph/, personas/ install as personagen.agents, personagen.graph, personagen.personas, so
`personagen/agents/llm.py` is a path inside the wheel, not in the repository: it must be written `agents/llm.py`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("agents", "graph", "personas", "personagen", "docs", "bench", "tests", "examples", ".ci")
PATH = re.compile(r"(?<![\w./-])((?:" + "|".join(re.escape(f) for f in FOLDERS) + r")/[\w.*/-]*[\w*])")
SUFFIXES = (".py", ".md", ".toml", ".txt", ".json", ".mmd", ".cfg", ".yml", ".yaml")
# personagen/agents, personagen/graph, personagen/personas are links to the top-level folders, for editors and the
# type checker: a path through them names the folder's file by its installed name, not where it lives
LINKED = re.compile(r"personagen/(agents|graph|personas)/")
# files that name such paths on purpose: inside the built wheel, where agents/ is personagen/agents/; this test's
# own examples
EXEMPT = {"tests/test_wheel.py", "tests/docs/test_paths.py"}


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False)
    if listed.returncode != 0 or not listed.stdout:
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    return [f for f in listed.stdout.splitlines() if f.endswith(SUFFIXES) or f == ".ci/run"]


def missing_paths(name: str, text: str) -> list[str]:
    """Paths in `text` that name no file; `personagen/agents/...` (a link, see pyproject.toml) counts as missing."""
    found = []
    for match in PATH.finditer(text):
        path = match.group(1).rstrip(".")
        if LINKED.match(path) or not (list(ROOT.glob(path)) if "*" in path else (ROOT / path).exists()):
            found.append(f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {path}")
    return found


def test_every_path_named_in_the_repository_exists():
    missing = []
    for name in tracked_files():
        if name in EXEMPT or not (ROOT / name).is_file():
            continue
        missing += missing_paths(name, (ROOT / name).read_text(encoding="utf-8", errors="replace"))
    assert not missing, "paths that do not exist (agents/ is not personagen/agents/ in the repository):\n" + "\n".join(
        missing)


def test_the_check_finds_a_wheel_path_and_passes_a_real_one():
    text = "see personagen/agents/llm.py and agents/llm.py, docs/run-format.md, docs/*.md, ollama/docs/x.mdx"
    assert missing_paths("x.md", text) == ["x.md:1: personagen/agents/llm.py"]


@pytest.mark.parametrize("folder", ["agents", "graph", "personas"])
def test_a_top_level_folder_refuses_to_load_under_its_own_name(folder: str):
    """From the repository root `import agents` would find the folder: it refuses instead of loading a second copy
    of personagen.agents (with a second, empty critic registry)."""
    code = f"import personagen.{folder}\nimport {folder}"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert f"ImportError: the folder {folder}/ is the package personagen.{folder}" in result.stderr
