"""The bytes of tensor storage a program holds at once: a storage counts from when an op
makes it until the last tensor sharing it is freed (a weak reference to the storage itself,
whose Python object lives exactly as long as it does)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

import torch

# An op's outputs this small (32 floats), with a storage of their own, go uncounted (tensors
# made outside the guard's ops, as a layer's, are all counted): a program runs
# at most Limits.max_ops ops (a million), so they hold at most 122 MiB between them, less than
# the Python objects of those tensors take, which were never counted; and counting one (a weak
# reference to its storage, released when it is freed: about 4 µs) costs more than a small
# op itself (a scalar's add: 1.7 µs).
SMALL_BYTES = 128


class HeldStorages:
    """The storages counted so far, and their bytes in all (`live_bytes`)."""

    def __init__(self) -> None:
        self.live_bytes = 0
        # id(storage) → (a weak reference to it, the bytes counted for it), for live storages
        self._counted: dict[int, tuple[weakref.ref[torch.UntypedStorage], int]] = {}
        self._keys: dict[int, int] = {}  # id(weak reference) → its storage's id
        self._lock = threading.RLock()  # _release may run inside, from a collection
        # The weak references' callback holds this weakly: a bound method would tie it to
        # itself through `_counted`, a cycle only a garbage collection frees.
        self._on_free = _releaser(weakref.ref(self))

    def count(self, outputs: list[torch.Tensor], small_too: bool = False) -> None:
        """Count the memory of each new output until it is freed: by storage, not tensor —
        a view, `.detach()`, `.data` or nn.Parameter shares a storage and keeps it alive after
        the tensor that made it is gone, so the bytes go only when the storage does."""
        for tensor in outputs:
            small = tensor.numel() * tensor.element_size() <= SMALL_BYTES
            if small and not small_too and tensor._base is None:
                continue  # (an op's scalar, a handful of numbers: see SMALL_BYTES)
            storage = _storage(tensor)
            if storage is not None and id(storage) not in self._counted:
                self._count(storage, int(storage.nbytes()))

    def grew(self, tensor: torch.Tensor, nbytes: int) -> None:
        """`tensor` (an `out=` argument) grew by `nbytes`: held until its storage is freed."""
        storage = _storage(tensor)
        if storage is not None:
            self._count(storage, nbytes)

    def _count(self, storage: torch.UntypedStorage, nbytes: int) -> None:
        """`nbytes` more held until `storage` is freed (a storage that grew is counted twice:
        what it had, and what it gained, each released with it)."""
        if nbytes <= 0:
            return
        key = id(storage)  # (a storage's Python object lives exactly as long as it does)
        with self._lock:
            held = self._counted.get(key)
            if held is not None:
                self._counted[key] = (held[0], held[1] + nbytes)
                self.live_bytes += nbytes
                return
        # Made outside the lock: making an object may run a garbage collection, whose freed
        # storages call _release on this very thread.
        ref = weakref.ref(storage, self._on_free)
        with self._lock:
            self.live_bytes += nbytes
            self._counted[key] = (ref, nbytes)
            self._keys[id(ref)] = key

    def _release(self, ref: weakref.ref[torch.UntypedStorage]) -> None:
        with self._lock:
            key = self._keys.pop(id(ref), None)
            entry = self._counted.get(key) if key is not None else None
            if entry is not None and entry[0] is ref:
                del self._counted[key]  # type: ignore[arg-type]
                self.live_bytes -= entry[1]


def _storage(tensor: torch.Tensor) -> torch.UntypedStorage | None:
    try:
        return tensor.untyped_storage()
    except (RuntimeError, NotImplementedError):  # a tensor without a storage of its own
        return None


def storage_bytes(tensor: torch.Tensor) -> int:
    return int(tensor.untyped_storage().nbytes())


def _releaser(
    held: weakref.ref[HeldStorages],
) -> Callable[[weakref.ref[torch.UntypedStorage]], None]:
    def release(ref: weakref.ref[torch.UntypedStorage]) -> None:
        alive = held()
        if alive is not None:
            alive._release(ref)

    return release
