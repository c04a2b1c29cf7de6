"""Memory a finished phase of a run freed, handed back to the operating system before the next phase allocates.

A run's generation leaves its heap at its high-water mark: CPython returns freed memory to the C allocator, but
glibc keeps free chunks below the top of its heaps mapped (RSS) until `malloc_trim` releases them. The end-of-run
curation then allocates on top of that mark. Measured on the stub (1,000 personas, `-e joy,anger -k 1`, default
critics, the process's RSS sampled every 0.5 s): 375 MB at the end of generation, 340 MB after the release; the
curation then stayed at 340 MB instead of rising to 388 MB (docs/benchmarks.md, memory). Elsewhere (not Linux, or
a C library without `malloc_trim`, e.g. musl) only the garbage collector runs.

`pin_mmap_threshold` keeps the heap from growing during a run in the first place. glibc serves a block above its
mmap threshold (128 KiB) with its own mapping, returned to the OS on free; but "the threshold is adjusted
dynamically": each such block freed raises it to the block's size (up to 32 MiB), and from then on blocks that
size come from the heap, whose high-water mark stays mapped (glibc manual, "Malloc Tunable Parameters":
https://www.gnu.org/software/libc/manual/html_node/Malloc-Tunable-Parameters.html). A run frees such blocks all
the time (numpy arrays of the embedding batches, the live neighbour graph's blocks), so its RSS crept ~9 KB a
persona, as free heap (glibc's mallinfo2 `fordblks`), not live data; with the threshold set, which the manual says
disables the adjustment, ~4 KB (docs/benchmarks.md, "peak memory from 1,000 to 10,000 personas").
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys

M_MMAP_THRESHOLD = -3  # glibc malloc/malloc.h
MMAP_THRESHOLD = 128 * 1024  # glibc's default (its dynamic adjustment starts there)


class MallInfo2(ctypes.Structure):
    """glibc's `struct mallinfo2` (malloc/malloc.h; https://man7.org/linux/man-pages/man3/mallinfo.3.html)."""

    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]


def release_freed() -> bool:
    """Collect garbage, then return the C heap's free pages to the OS; True when the C library did."""
    gc.collect()
    if not sys.platform.startswith("linux"):
        return False
    try:
        trim = ctypes.CDLL(None).malloc_trim  # glibc; the symbol is missing elsewhere
    except (OSError, AttributeError):
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return bool(trim(0))


def pin_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold at its default (see the module doc), unless the user set it
    (MALLOC_MMAP_THRESHOLD_, or glibc.malloc.mmap_threshold in GLIBC_TUNABLES); True when it was set here."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ or \
            "glibc.malloc.mmap_threshold" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # glibc (musl has no mallopt that does this)
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1


def heap_info() -> MallInfo2 | None:
    """glibc's account of its heap (`arena`: bytes of heap, `uordblks` in use, `fordblks` free inside it, `hblkhd`
    in blocks mapped on their own); None without glibc >= 2.33."""
    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = MallInfo2
    return mallinfo2()
