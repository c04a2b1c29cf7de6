"""Runs made through the Python API on the repo's stub server (bench/stub_server.py)."""

from __future__ import annotations

import pytest

import personagen

# small and quick: the offline emotion critic's verdicts on the stub's word salad are noise (tests/runner),
# and curation loads an embedding model
SMALL = {"emotions": "joy,anger", "texts_per_emotion": 1, "model": "stub", "seed": 3, "quiet": True,
         "no_critic": "offline_emotion", "curate": False}


@pytest.fixture(scope="module")
def made(tmp_path_factory, stub_url) -> personagen.Run:
    """A finished 3-persona run made with personagen.run."""
    runs = tmp_path_factory.mktemp("api")
    return personagen.run(personas=3, runs_dir=runs, run_id="made", base_url=stub_url, **SMALL)
