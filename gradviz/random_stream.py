"""torch's global random stream, lent to one program run (or training step) at a time."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import torch

# A program's torch.manual_seed, nn.Linear's initial weights, torch.randn and dropout all use
# torch's one global generator. The app runs programs on several threads at once (the editor's
# trace, the lab's network surface, the Network tab's trainer); unserialised, their draws
# interleave and the "same" program gets other weights. Each run holds this lock while it uses
# the stream, inside fork_rng, so it also leaves the stream as it found it.
_lock = threading.RLock()


@contextlib.contextmanager
def global_random_stream(cuda_devices: list[int]) -> Iterator[None]:
    """torch's global generators (the CPU's and those of `cuda_devices`) for this thread alone,
    restored afterwards."""
    with _lock, torch.random.fork_rng(devices=cuda_devices):
        yield
