"""Records the forward value of every autograd node as the program runs (via the dispatch guard)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from gradviz.lang.guard import tensors_in

Node = Any  # torch.autograd.graph.Node (its Python type varies per op)


@dataclass
class _Value:
    tensor: torch.Tensor
    snapshot: torch.Tensor | None = None

    def current(self) -> torch.Tensor:
        return self.snapshot if self.snapshot is not None else self.tensor.detach()


_WRITES: dict[Any, bool] = {}


def _writes(func: Any) -> bool:
    """Whether the op writes into one of its arguments (add_, copy_, out=...)."""
    known = _WRITES.get(func)
    if known is None:
        arguments = func._schema.arguments
        known = any(a.alias_info is not None and a.alias_info.is_write for a in arguments)
        _WRITES[func] = known
    return known


def _storage_key(tensor: torch.Tensor) -> int:
    try:
        return int(tensor.untyped_storage().data_ptr())
    except (RuntimeError, NotImplementedError):
        return id(tensor)


class ForwardRecorder:
    """Maps (autograd node, output number) to the tensor that op produced, and its operands.

    An op's output gets its `grad_fn` only after the dispatch call returns, so outputs wait in
    `pending` and are matched to their node when the next op starts (or on `flush`). Before an
    in-place op overwrites a tensor, recorded values sharing its storage are copied.
    """

    def __init__(self) -> None:
        self.values: dict[tuple[Node, int], _Value] = {}
        self.operands: dict[
            Node, tuple[Any, tuple[Any, ...], dict[str, Any]]
        ] = {}  # op, args, kwargs
        self.const_parent: dict[int, torch.Tensor] = {}  # view → the tensor it views
        self._pending: list[
            tuple[torch.Tensor, Any, tuple[Any, ...], dict[str, Any], str | None]
        ] = []
        self.module_of: dict[Node, str] = {}  # the innermost nn.Module path an op ran in
        self.scopes: Any = None  # a ModuleScopes, while a traced run is on
        self._keep: list[torch.Tensor] = []  # keeps const_parent ids valid

    # -- OpObserver ----------------------------------------------------------------------------
    def before_op(self, func: Any, args: tuple[Any, ...]) -> None:
        self.flush()
        if _writes(func):
            self._snapshot_aliases(tensors_in(args))

    def after_op(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> None:
        outputs = tensors_in(out)
        module = self.scopes.current if self.scopes is not None else None
        self._pending.extend((tensor, func, args, kwargs, module) for tensor in outputs)
        if func.is_view and args and isinstance(args[0], torch.Tensor):
            base = args[0]
            if not base.requires_grad:
                for tensor in outputs:
                    self.const_parent[id(tensor)] = base
                    self._keep.append(tensor)

    # -- queries -------------------------------------------------------------------------------
    def flush(self) -> None:
        pending, self._pending = self._pending, []
        for tensor, func, args, kwargs, module in pending:
            node = tensor.grad_fn
            if node is None:
                continue
            key = (node, tensor.output_nr)
            if key not in self.values:
                self.values[key] = _Value(tensor)
                self.operands.setdefault(node, (func, args, kwargs))
                if module:
                    self.module_of.setdefault(node, module)

    def value_of(self, node: Node, output_nr: int = 0) -> torch.Tensor | None:
        entry = self.values.get((node, output_nr))
        return entry.current() if entry is not None else None

    def tensor_of(self, node: Node, output_nr: int = 0) -> torch.Tensor | None:
        """The live tensor object the op returned (for looking up the name it was bound to)."""
        entry = self.values.get((node, output_nr))
        return entry.tensor if entry is not None else None

    def origins_of(self, tensor: torch.Tensor) -> list[torch.Tensor]:
        """A constant, then the tensors it is a view of, back to the one first created."""
        chain = [tensor]
        while id(chain[-1]) in self.const_parent and len(chain) < 64:
            chain.append(self.const_parent[id(chain[-1])])
        return chain

    def clear(self) -> None:
        self.values.clear()
        self.operands.clear()
        self.module_of.clear()
        self.const_parent.clear()
        self._pending.clear()
        self._keep.clear()

    def _snapshot_aliases(self, written: list[torch.Tensor]) -> None:
        keys = {_storage_key(t) for t in written}
        for entry in self.values.values():
            if entry.snapshot is None and _storage_key(entry.tensor) in keys:
                entry.snapshot = entry.tensor.detach().clone()
