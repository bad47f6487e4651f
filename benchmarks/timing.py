"""Shared by the benchmarks: median wall time of a function."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence


def median_time(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time in seconds over `repeat` runs, after one warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(
    fns: Sequence[Callable[[], object]], repeat: int = 5, burst: int = 1
) -> list[float]:
    """Median wall time of each function, the functions taking turns (A B C A B C …) so that
    this machine's speed drifting over seconds affects each alike. With burst > 1 each turn runs
    the function that many times and keeps all but the first (which warms the caches the
    others' turns cooled). One warm-up run each before timing."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, column in zip(fns, times, strict=True):
            for run in range(burst):
                start = time.perf_counter()
                fn()
                if run > 0 or burst == 1:
                    column.append(time.perf_counter() - start)
    return [statistics.median(column) for column in times]
