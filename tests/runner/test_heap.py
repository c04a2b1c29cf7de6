"""The end of a run's generation hands the memory it freed back to the OS before the curation allocates
(personagen/heap.py): the freed C-heap pages below a live allocation leave the process's RSS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from personagen.heap import heap_info, release_freed

PAGE = 4096
ROOT = Path(__file__).resolve().parents[2]


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


HEAP_GROWTH = """
import sys
sys.path.insert(0, sys.argv[1])
from personagen.heap import heap_info, pin_mmap_threshold
pinned = pin_mmap_threshold() if sys.argv[2] == "pin" else False
big = bytearray(16 << 20)  # one 16 MiB block freed: the dynamic threshold rises to it
del big
blocks = [bytearray(1 << 20) for _ in range(16)]  # 16 MiB in blocks of 1 MiB, then freed below a live object
keep = bytearray(64)
del blocks
print(pinned, heap_info().arena)
"""


@pytest.mark.skipif(heap_info() is None, reason="mallopt and mallinfo2 are glibc's (>= 2.33)")
@pytest.mark.parametrize("mode", ["pin", "default"])
def test_large_blocks_freed_during_a_run_do_not_grow_the_heap(mode: str) -> None:
    """glibc raises its mmap threshold to each large block freed, so the next ones come from the heap, which keeps
    its high-water mark; pinned, they are mappings of their own, returned on free (heap.py)."""
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_" and k != "GLIBC_TUNABLES"}
    done = subprocess.run([sys.executable, "-c", HEAP_GROWTH, str(ROOT), mode], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr
    pinned, arena = done.stdout.split()
    if mode == "pin":
        assert pinned == "True" and int(arena) < 4 << 20, done.stdout
    else:  # the dynamic threshold: the 1 MiB blocks came from the heap, which stays 16 MiB larger
        assert pinned == "False" and int(arena) > 16 << 20, done.stdout
