"""Keep freed memory in the process for reuse (glibc only): landscapes, basin maps and traces
free and re-allocate tensors of up to megabytes every step, and without this glibc hands them
back to the operating system each time, so each step page-faults its memory in again
(measured: 184,000 faults and about half the time of a 51×51 landscape on a 2-core VM).
Called by the CLI and the app at start, and by the core functions that need it most."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest: blocks below this come from the reusable heap
TRIM_THRESHOLD = 512 << 20  # free memory kept at the heap's top before it is returned

_done = False


def keep_freed_memory() -> bool:
    """Tune glibc's malloc once per process; False where there is no glibc (macOS, Windows)."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return _done
