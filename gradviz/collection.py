"""Python's cyclic garbage collector kept out of the way of work that makes many objects that
live on: paused (for every thread at once) around a trace or the import of torch, and the
objects start-up made frozen, so that no later full collection walks them again."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_paused_by = 0  # pauses in force (several threads may pause at once); -1: the owner turned it off


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside: a trace allocates thousands of small objects that live on in
    its graph, and the collections they would trigger scan everything the process holds (a full
    one walks torch's ~250,000 objects: 90 ms here). What was made inside is collected
    afterwards as usual. Collection stays off if the program's owner had turned it off."""
    global _paused_by
    with _lock:
        if _paused_by == 0 and not gc.isenabled():
            _paused_by = -1
        if _paused_by >= 0:
            _paused_by += 1
            gc.disable()
    try:
        yield
    finally:
        with _lock:
            if _paused_by > 0:
                _paused_by -= 1
                if _paused_by == 0:
                    gc.enable()
            elif _paused_by == -1:
                _paused_by = 0


def freeze_start_up() -> None:
    """Move every object alive now (the modules, classes and functions torch, Qt and gradviz made
    as they imported) to the collector's permanent generation: they live as long as the process
    anyway, and a full collection, which walked all of them, now walks only what came after
    (measured: a 20-layer MLP's trace, one full collection in 20 traces amortised, about 4 ms of
    its 15; the import of torch itself about 0.1 s quicker with no collection during it).
    Objects are still freed by reference counting; only cycles among them are never collected."""
    with _lock:
        gc.collect(1)  # the young garbage first (cheap); an import leaves little in the old
        gc.freeze()


_frozen_after: set[str] = set()


@contextlib.contextmanager
def start_up(what: str) -> Iterator[None]:
    """Around a big import at start (`what`: "torch", "pyqtgraph"): no collection during it, then
    freeze what the process holds — once per `what` and process (a window opened again, as
    tests do, freezes nothing more)."""
    with paused():
        yield
    with _lock:
        first = what not in _frozen_after
        _frozen_after.add(what)
    if first:
        freeze_start_up()
