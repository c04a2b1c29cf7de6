"""Shared fixtures: a stub OpenAI-compatible server on loopback (bench/stub_server.py), the real GoEmotions-6 data
(../shared: required in CI), and the time limits of the tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.stub_process import start_stub

SHARED = Path(__file__).resolve().parents[2] / "shared"
GOEMOTIONS = SHARED / "data" / "goemotions6"
SLOW_TIMEOUT = 1800  # seconds: an end-to-end run on the embedded model (the default, pyproject.toml: 300)


def shared_path(*parts: str, what: str) -> Path:
    """`../shared/<parts>`; missing, the test is skipped on a developer's machine and fails in CI (CI=true),
    which must run every test that needs the shared data."""
    path = SHARED.joinpath(*parts)
    if path.exists():
        return path
    message = f"{what} is not in {path} (the shared/ folder beside the repository)"
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"{message}; CI runs with it beside the clone", pytrace=False)
    pytest.skip(message)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests (a real model) get a longer time limit than the default one of pyproject.toml."""
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))


@pytest.fixture(scope="session")
def stub_url():
    """Base URL of a fast, well-behaved stub model server for the whole session."""
    with start_stub(latency=0.0) as (_, url):
        yield url


@pytest.fixture
def goemotions() -> Path:
    """The GoEmotions-6 folder beside the project (../shared/data/goemotions6)."""
    return shared_path("data", "goemotions6", "train.tsv", what="GoEmotions-6").parent  # GOEMOTIONS
