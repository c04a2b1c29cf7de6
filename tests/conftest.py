"""Shared fixtures: a stub OpenAI-compatible server on loopback (bench/stub_server.py), the real GoEmotions-6 data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.stub_process import start_stub

GOEMOTIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "goemotions6"


@pytest.fixture(scope="session")
def stub_url():
    """Base URL of a fast, well-behaved stub model server for the whole session."""
    with start_stub(latency=0.0) as (_, url):
        yield url


@pytest.fixture
def goemotions() -> Path:
    """The GoEmotions-6 folder beside the project (../shared/data/goemotions6), or skip."""
    if not (GOEMOTIONS / "train.tsv").is_file():
        pytest.skip("GoEmotions-6 is not in ../shared/data/goemotions6")
    return GOEMOTIONS
