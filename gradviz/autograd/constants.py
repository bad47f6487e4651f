"""Constants as the recorded ops read them: a copy kept before an in-place write changes one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from gradviz.lang.guard import tensors_in

_WRITTEN: dict[Any, tuple[tuple[int, ...], tuple[str, ...]]] = {}
# Ops whose schema does not say they write: batch norm updates its running statistics (the
# arguments at these positions) in place when training (the argument after them is True).
UNDECLARED_WRITES = {
    "aten::native_batch_norm": (3, 4),
    "aten::cudnn_batch_norm": (3, 4),
    "aten::miopen_batch_norm": (3, 4),
}


def writes_undeclared(func: Any) -> bool:
    """Whether the op may write into arguments its schema does not mark as written."""
    return func._schema.name in UNDECLARED_WRITES


def storage_key(tensor: torch.Tensor) -> int:
    """Which memory a tensor's elements live in (views share their base's)."""
    try:
        return int(tensor.untyped_storage().data_ptr())
    except (RuntimeError, NotImplementedError):
        return id(tensor)


def written(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[torch.Tensor]:
    """The tensors an op writes into: its `Tensor(a!)` arguments (self of add_, batch norm's
    running statistics, out=)."""
    known = _WRITTEN.get(func)
    if known is None:
        arguments = func._schema.arguments
        writes = [
            (i, a.name)
            for i, a in enumerate(arguments)
            if a.alias_info is not None and a.alias_info.is_write
        ]
        known = _WRITTEN[func] = (tuple(i for i, _ in writes), tuple(n for _, n in writes))
    positions, names = known
    found = [args[i] for i in positions if i < len(args)]
    undeclared = UNDECLARED_WRITES.get(func._schema.name)
    if undeclared and len(args) > max(undeclared) + 1 and args[max(undeclared) + 1] is True:
        found += [args[i] for i in undeclared]
    found += [kwargs[n] for n in names if n in kwargs]
    return tensors_in(found)


class ConstantReads:
    """The tensors without grad that recorded ops read (data, a module's buffers), and for each
    one the value it had before every in-place write into it, with that write's op number: the
    graph shows each constant as the op read it, not as the program left it. Leaves too, until
    their pass's backward (which copies them itself): a step taken between the forward and the
    backward does not change what the graph says the forward read.

    Reads are indexed by storage only when a write comes (most programs write no constant)."""

    def __init__(self) -> None:
        self._unindexed: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self._by_storage: dict[int, dict[int, torch.Tensor]] = {}
        # id(tensor) → [(op number of a write into it, its value just before)], in order
        self.versions: dict[int, list[tuple[int, torch.Tensor]]] = {}
        self.lines: dict[int, int | None] = {}  # id(tensor) → the program line of its first write
        self._keep: list[torch.Tensor] = []  # keeps those ids valid
        self.watch_leaves = True

    def read(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """A recorded op's operands (its constants among them)."""
        self._unindexed.append((args, kwargs))

    def before_write(
        self,
        targets: list[torch.Tensor],
        number: int,
        origins: Callable[[torch.Tensor], list[torch.Tensor]],
        line: int | None = None,
    ) -> None:
        """Op number `number` is about to write into `targets`: copy every constant read so
        far that shares their memory (with the tensors it views, as `origins` gives them)."""
        for args, kwargs in self._unindexed:
            for tensor in tensors_in(args) + tensors_in(kwargs):
                if tensor.requires_grad and not (self.watch_leaves and tensor.is_leaf):
                    continue
                for seen in origins(tensor):
                    self._by_storage.setdefault(storage_key(seen), {})[id(seen)] = seen
        self._unindexed = []
        for key in {storage_key(t) for t in targets}:
            for tensor in self._by_storage.get(key, {}).values():
                self.versions.setdefault(id(tensor), []).append((number, tensor.detach().clone()))
                self.lines.setdefault(id(tensor), line)
                self._keep.append(tensor)

    def stop_watching_leaves(self) -> None:
        """The pass's backward has copied its leaves: later writes need no copy of them."""
        self.watch_leaves = False
        for tensors in self._by_storage.values():
            for key in [k for k, t in tensors.items() if t.requires_grad]:
                del tensors[key]

    def as_read(self, tensor: torch.Tensor, when: int | None) -> tuple[int, torch.Tensor | None]:
        """Which version of `tensor` op number `when` read (0 before any write), and its
        value where a write changed it since (None: the tensor holds it still)."""
        entries = self.versions.get(id(tensor))
        if not entries:
            return 0, None
        if when is not None:
            for index, (number, value) in enumerate(entries):
                if number >= when:  # (a write reads its target first: batch norm's statistics)
                    return index, value
        return len(entries), None

    def adopt(self, earlier: ConstantReads) -> None:
        """Take over what an earlier pass's record copied (its ops may be reached again)."""
        for key, entries in earlier.versions.items():
            later = self.versions.get(key, [])
            last = entries[-1][0]
            self.versions[key] = entries + [e for e in later if e[0] > last]
            self.lines[key] = earlier.lines.get(key, self.lines.get(key))
        self._keep.extend(earlier._keep)

    def clear(self) -> None:
        self._unindexed.clear()
        self._by_storage.clear()
        self.versions.clear()
        self.lines.clear()
        self._keep.clear()
