"""The garbage collector during a run: heap frozen and young threshold raised, both restored afterwards."""

from __future__ import annotations

import gc

from personagen.pipeline import YOUNG_THRESHOLD, run_collector


def test_a_run_tunes_the_collector_and_gives_it_back() -> None:
    before = gc.get_threshold()
    with run_collector():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
