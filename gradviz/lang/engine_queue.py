"""Frees what a backward pass cut short by an error left queued in PyTorch's engine.

An error inside a backward pass (a refusal of the guard's, a cancel, the program's own
autograd.Function failing) ends it with the rest of its work still in this thread's queue of
ready nodes, and the graph they hold stays alive until another backward pass pops them: never,
since newer nodes come first. Worse, when the thread ends they are freed by its exit handlers,
racing Python's own exit (an abort, "terminate called without an active exception"). A node
made before the program ran comes out of that queue after every node the program made, so a
backward pass from it pops them all (each skipped, its pass being over) and then ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

# A leaf shared by every thread (a node's place in the queue is its own, not its leaf's). Not
# a per-thread cache of nodes: a QThread's slots run on Python thread states PySide makes and
# deletes per call, and tensors freed with one crash it.
_LEAF = torch.zeros((), device="cpu", requires_grad=True)  # CPU work runs on this very thread


@contextlib.contextmanager
def drained_on_error() -> Iterator[None]:
    """Run the block; if it raises, empty this thread's engine queue of what it left."""
    if torch.is_grad_enabled():
        anchor = _LEAF.mul(1.0)  # made before the program's nodes
    else:
        with torch.enable_grad():
            anchor = _LEAF.mul(1.0)
    try:
        yield
    except BaseException:
        torch.autograd.grad(anchor, _LEAF)
        raise
