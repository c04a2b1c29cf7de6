"""Fixtures for the domain-layer tests: a writable copy of the shipped locale tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from personagen.personas.locale import TABLES_DIR, load_locale


@pytest.fixture
def tables_copy(tmp_path: Path) -> Path:
    """A temporary copy of personas/tables that a test may break."""
    dest = tmp_path / "tables"
    shutil.copytree(TABLES_DIR, dest, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    yield dest
    load_locale.cache_clear()
