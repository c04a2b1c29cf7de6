"""The end of a run's generation hands the memory it freed back to the OS before the curation allocates
(personagen/heap.py): the freed C-heap pages below a live allocation leave the process's RSS."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from personagen.heap import release_freed

PAGE = 4096


def rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's (Linux)")
def test_freed_heap_below_a_live_object_leaves_the_rss() -> None:
    blocks = [bytearray(4000) for _ in range(25_000)]  # ~100 MB of malloc'd chunks, each touched (zeroed)
    keeper = bytearray(4000)  # allocated above them: the heap's top stays in use, glibc cannot trim it on free
    del blocks
    before = rss_bytes()
    if not release_freed():
        pytest.skip("the C library has no malloc_trim (not glibc)")
    assert before - rss_bytes() > 50 * 2**20  # most of the ~100 MB freed is returned
    assert len(keeper) == 4000
