"""Memory a finished phase of a run freed, handed back to the operating system before the next phase allocates.

A run's generation leaves its heap at its high-water mark: CPython returns freed memory to the C allocator, but
glibc keeps free chunks below the top of its heaps mapped (RSS) until `malloc_trim` releases them. The end-of-run
curation then allocates on top of that mark. Measured on the stub (1,000 personas, `-e joy,anger -k 1`, default
critics, the process's RSS sampled every 0.5 s): 375 MB at the end of generation, 340 MB after the release; the
curation then stayed at 340 MB instead of rising to 388 MB (docs/benchmarks.md, memory). Elsewhere (not Linux, or
a C library without `malloc_trim`, e.g. musl) only the garbage collector runs.
"""

from __future__ import annotations

import ctypes
import gc
import sys


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
