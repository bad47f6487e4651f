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
import threading
from collections.abc import Iterator

import torch

_anchors = threading.local()


def _anchor() -> tuple[torch.Tensor, torch.Tensor]:
    """This thread's anchor: a leaf and a node made from it the first time (sequence numbers
    count up per thread, so it comes before every node made on this thread after it)."""
    made: tuple[torch.Tensor, torch.Tensor] | None = getattr(_anchors, "made", None)
    if made is None:
        with torch.enable_grad():
            leaf = torch.zeros((), device="cpu", requires_grad=True)  # (CPU work: this thread)
            made = (leaf, leaf.mul(1.0))
        _anchors.made = made
    return made


@contextlib.contextmanager
def drained_on_error() -> Iterator[None]:
    """Run the block; if it raises, empty this thread's engine queue of what it left."""
    leaf, node = _anchor()
    try:
        yield
    except BaseException:
        torch.autograd.grad(node, leaf, retain_graph=True)
        raise
