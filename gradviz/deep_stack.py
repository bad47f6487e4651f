"""Work on a thread with a deep stack, where PyTorch may free a long autograd chain recursively.

PyTorch 2.13 frees a chain of autograd nodes whose Python objects were ever made (`grad_fn`,
`next_functions`: every tracer makes them) one C stack frame group per node, not in its own
loop: about 180 bytes a node here, so a chain of ~45,000 ops (a loop of `y = y * 1.0001`)
overflows a thread's usual 8 MiB stack and the process dies of a segmentation fault. The
tracer's threads get a stack room for the longest chain a program may make (one node per op,
at most Limits.max_ops ops) many times over; the memory is reserved, not used, until needed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

DEEP_STACK_BYTES = 512 << 20

_T = TypeVar("_T")
_deep = threading.local()
_stack_size_lock = threading.Lock()  # threading.stack_size() is process-wide


def mark_deep() -> None:
    """Say that the current thread was started with DEEP_STACK_BYTES (a QThread's, say)."""
    _deep.on = True


def on_deep_stack() -> bool:
    """Whether the current thread has a deep stack."""
    return bool(getattr(_deep, "on", False))


def call_with_deep_stack(work: Callable[[], _T]) -> _T:
    """`work()`, run on a thread with a deep stack (this one, if it has one) and waited for.

    Whatever `work` makes and drops is freed on that thread; what it returns or raises is
    handed back, so it should hold no autograd chain (a number, a path, plain data)."""
    if on_deep_stack():
        return work()
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        mark_deep()
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed to the caller, raised there
            outcome.append((False, exc))

    with _stack_size_lock:
        previous = threading.stack_size(DEEP_STACK_BYTES)
        try:
            thread = threading.Thread(target=run, name="gradviz-deep-stack", daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
    thread.join()
    done, value = outcome[0]
    if not done:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]
