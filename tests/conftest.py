"""Shared fixtures: a stub OpenAI-compatible server on loopback (bench/stub_server.py)."""

from __future__ import annotations

import pytest

from bench.stub_process import start_stub


@pytest.fixture(scope="session")
def stub_url():
    """Base URL of a fast, well-behaved stub model server for the whole session."""
    with start_stub(latency=0.0) as (_, url):
        yield url
