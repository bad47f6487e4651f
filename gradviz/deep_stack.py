"""Work on a thread with a deep stack, where PyTorch may free a long autograd chain recursively.

PyTorch 2.13 frees a chain of autograd nodes whose Python objects were ever made (`grad_fn`,
`next_functions`: every tracer makes them) one group of C stack frames per node, not in its own
loop: about 180 bytes a node here, so a chain of ~45,000 ops (a loop of `y = y * 1.0001`)
overflows a thread's usual 8 MiB stack and the process dies of a segmentation fault. A trace
stops at Limits.max_graph_nodes (20,000) recorded ops a pass, but a chain can outgrow one pass;
the threads that run programs get room for ~350,000 nodes, reserved, not used until needed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

DEEP_STACK_BYTES = 64 << 20

_T = TypeVar("_T")
_deep = threading.local()  # (a flag: a QThread's slots may each get a fresh one)
_stack_size_lock = threading.Lock()  # threading.stack_size() is process-wide


def call_with_deep_stack(work: Callable[[], _T]) -> _T:
    """`work()`, run on a thread with a deep stack (this one, if it has one) and waited for.

    Whatever `work` makes and drops is freed on that thread; what it returns or raises is
    handed back, so it should hold no autograd chain (a number, a path, plain data)."""
    if getattr(_deep, "on", False):
        return work()
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        _deep.on = True
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed to the caller, raised there
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="gradviz-deep-stack", daemon=True)
    started = False
    with _stack_size_lock:
        previous = threading.stack_size(DEEP_STACK_BYTES)
        try:
            thread.start()
            started = True
        except RuntimeError:  # a system that would not reserve the stack
            pass
        finally:
            threading.stack_size(previous)
    if not started:
        return work()  # on this thread, then
    thread.join()
    done, value = outcome[0]
    if not done:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]
