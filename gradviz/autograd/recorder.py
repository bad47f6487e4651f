"""Records the forward value of every autograd node as the program runs (via the dispatch guard)."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch.utils.weak import WeakIdKeyDictionary

from gradviz.autograd.constants import ConstantReads, storage_key, writes_undeclared, written
from gradviz.lang.errors import ProgramError
from gradviz.lang.guard import tensors_in

Node = Any  # torch.autograd.graph.Node (its Python type varies per op)
_T = TypeVar("_T")


@dataclass
class _Value:
    tensor: torch.Tensor
    snapshot: torch.Tensor | None = None

    def current(self) -> torch.Tensor:
        return self.snapshot if self.snapshot is not None else self.tensor.detach()


_Made = tuple[
    "weakref.ref[torch.Tensor]", str, str, "weakref.ref[torch.Tensor] | None"
]  # (the tensor, its module, its op, the op's first tensor operand)


_WRITES: dict[Any, bool] = {}


def _writes(func: Any) -> bool:
    """Whether the op writes into one of its arguments (add_, copy_, out=...)."""
    known = _WRITES.get(func)
    if known is None:
        arguments = func._schema.arguments
        known = writes_undeclared(func) or any(
            a.alias_info is not None and a.alias_info.is_write for a in arguments
        )
        _WRITES[func] = known
    return known


_storage_key = storage_key


class ForwardRecorder:
    """Maps (autograd node, output number) to the tensor that op produced, and its operands.

    An op's output gets its `grad_fn` only after the dispatch call returns, so outputs wait in
    `pending` and are matched to their node when the next op starts (or on `flush`). Before an
    in-place op overwrites a tensor, recorded values sharing its storage are copied.
    """

    def __init__(self) -> None:
        self.values: dict[tuple[Node, int], _Value] = {}
        # The values an in-place write may change, by storage (_storage_key), indexed at the
        # first write after they were recorded: a write looks up its own storages, not every
        # value (an optimizer's step writes each parameter several times).
        self._by_storage: dict[int, list[_Value]] = {}
        self._unindexed: list[_Value] = []
        self.operands: dict[
            Node, tuple[Any, tuple[Any, ...], dict[str, Any]]
        ] = {}  # op, args, kwargs
        # view → the tensor it views, for views of tensors without grad; held as long as the
        # view lives (a loop's `y.T` of each new `y` kept every one alive: memory ran out)
        self.const_parent: WeakIdKeyDictionary = WeakIdKeyDictionary()
        self._pending: list[
            tuple[torch.Tensor, Any, tuple[Any, ...], dict[str, Any], str | None, int, int | None]
        ] = []
        self.line_now: Callable[[], int | None] | None = None  # the program's current line
        self.lines: dict[Node, int] = {}  # the program line each recorded node was made on
        # id(tensor) → (op number, node, output number) of each op that made or rewrote it (an
        # in-place op gives the same tensor a new producer); op numbers count the ops run
        self.producers: dict[int, list[tuple[int, Node, int]]] = {}
        self.op_number: dict[Node, int] = {}  # the op number each recorded node ran as
        self._ops = 0
        self.module_of: dict[Node, str] = {}  # the innermost nn.Module path an op ran in
        # id(tensor) → (the tensor, weakly; the module path; the op that made it; its first
        # tensor operand, weakly) of tensors without grad made inside a module's forward
        # (dropout's mask, an LSTM's zero state): drawn in that module's box
        self.made_in: dict[int, _Made] = {}
        self.scopes: Any = None  # a ModuleScopes, while a traced run is on
        self.constants = ConstantReads()  # the constants' values as the ops read them
        # What an earlier backward pass recorded, its graph not built yet (see freeze): in-place
        # writes are watched for it too, and one into a constant it read calls on_constant_write.
        self.frozen: ForwardRecorder | None = None
        self.on_constant_write: Callable[[], None] | None = None
        self._constants: set[int] | None = None  # storages of the constants its ops read
        self.max_nodes: int | None = None  # refuse a graph past this many recorded ops

    # -- OpObserver ----------------------------------------------------------------------------
    def before_op(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.flush()
        if _writes(func):
            keys = {_storage_key(t) for t in tensors_in(args) + tensors_in(kwargs)}
            self._snapshot_aliases(keys)
            targets = written(func, args, kwargs)
            if torch.is_grad_enabled() and any(t.requires_grad for t in tensors_in(args)):
                self.constants.read(args, {})  # an op that will be recorded reads them first
            line = self.line_now() if self.line_now is not None else None
            self.constants.before_write(targets, self._ops + 1, self.origins_of, line)
            frozen = self.frozen
            if frozen is not None:
                frozen._snapshot_aliases(keys)
                frozen.constants.before_write(targets, self._ops + 1, frozen.origins_of, line)
                if not keys.isdisjoint(frozen.constant_storages()) and self.on_constant_write:
                    self.on_constant_write()

    def after_op(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> None:
        outputs = tensors_in(out)
        module = self.scopes.current if self.scopes is not None else None
        self._ops += 1
        number = self._ops
        line = self.line_now() if self.line_now is not None else None
        self._pending.extend(
            (tensor, func, args, kwargs, module, number, line) for tensor in outputs
        )
        if func.is_view and args and isinstance(args[0], torch.Tensor):
            base = args[0]
            if not base.requires_grad:
                for tensor in outputs:
                    if tensor is not base:  # (lift_fresh returns its own input)
                        self.const_parent[tensor] = base

    def made_by_program(self, out: Any) -> None:
        """Outputs of a program's autograd.Function: their node's value is recorded (the last
        op of its forward made it), but that op is not the node's operation — no call, so
        nothing re-runs or explains the node as if it were."""
        self.flush()
        for tensor in tensors_in(out):
            node = tensor.grad_fn
            if node is not None:
                self.operands.pop(node, None)

    # -- queries -------------------------------------------------------------------------------
    def flush(self) -> None:
        pending, self._pending = self._pending, []
        for tensor, func, args, kwargs, module, number, line in pending:
            node = tensor.grad_fn
            if node is None:
                if module:
                    self.made_in.setdefault(id(tensor), self._made(tensor, module, func, args))
                continue
            base = tensor._base if _writes(func) else None  # a write through a view
            key = (node, tensor.output_nr)
            if key not in self.values:
                if self.max_nodes is not None and len(self.values) >= self.max_nodes:
                    raise ProgramError(
                        f"the autograd graph grew past {self.max_nodes:,} nodes, far more than "
                        "a picture can show; stopped"
                    )
                value = _Value(tensor)
                self.values[key] = value
                self._unindexed.append(value)
                self.producers.setdefault(id(tensor), []).append((number, node, key[1]))
                if node not in self.operands and node not in self.op_number:
                    if base is None:  # (else autograd made the node a view of the base's
                        # new value, CopySlices, which holds this op: it is not this node's call)
                        self.operands[node] = (func, args, kwargs)
                        self.constants.read(args, kwargs)
                    self.op_number[node] = number
                    if line is not None:
                        self.lines[node] = line
                if module:
                    self.module_of.setdefault(node, module)
            if base is not None:
                self._rewritten_base(base, module, number, line)

    def _made(self, tensor: torch.Tensor, module: str, func: Any, args: tuple[Any, ...]) -> _Made:
        """What made_in keeps of a tensor without grad a module made: its op's name, and the
        tensor its first tensor operand views (a view made inside the module dies with it)."""
        source = next((a for a in args if isinstance(a, torch.Tensor)), None)
        op = func.overloadpacket.__name__ if hasattr(func, "overloadpacket") else str(func)
        if source is None:
            return weakref.ref(tensor), module, op, None
        return weakref.ref(tensor), module, op, weakref.ref(self.origins_of(source)[-1])

    def _rewritten_base(
        self, base: torch.Tensor, module: str | None, number: int, line: int | None
    ) -> None:
        """A write through a view (`y[0] = 10`) gives its base a new node, CopySlices, whose
        value is the base as the write left it: recorded as made by that op (its number,
        line and module; no call of its own to re-run)."""
        node = base.grad_fn
        if node is None or (node, base.output_nr) in self.values:
            return
        value = _Value(base)
        self.values[(node, base.output_nr)] = value
        self._unindexed.append(value)
        self.producers.setdefault(id(base), []).append((number, node, base.output_nr))
        self.op_number.setdefault(node, number)
        if line is not None:
            self.lines.setdefault(node, line)
        if module:
            self.module_of.setdefault(node, module)

    def value_of(self, node: Node, output_nr: int = 0) -> torch.Tensor | None:
        entry = self.values.get((node, output_nr))
        return entry.current() if entry is not None else None

    def producer(self, tensor: torch.Tensor, before: int | None) -> list[tuple[Node, int]]:
        """The recorded ops that made or rewrote `tensor` before op number `before` (all of
        them for None), latest first, as (node, output number)."""
        made = self.producers.get(id(tensor))
        if not made:
            return []
        return [(n, nr) for number, n, nr in reversed(made) if before is None or number < before]

    def tensor_of(self, node: Node, output_nr: int = 0) -> torch.Tensor | None:
        """The live tensor object the op returned (for looking up the name it was bound to)."""
        entry = self.values.get((node, output_nr))
        return entry.tensor if entry is not None else None

    def module_made_in(self, tensor: torch.Tensor) -> str | None:
        """The module whose forward made `tensor` (a tensor without grad), if one did."""
        found = self.made_in.get(id(tensor))
        return found[1] if found is not None and found[0]() is tensor else None

    def made_from(self, tensor: torch.Tensor) -> tuple[str, torch.Tensor | None] | None:
        """How a module's forward made `tensor` (a tensor without grad): the op's name and
        its first tensor operand (`("clone", x_t)`, `("zeros", None)`), if one did."""
        found = self.made_in.get(id(tensor))
        if found is None or found[0]() is not tensor:
            return None
        return found[2], found[3]() if found[3] is not None else None

    def origins_of(self, tensor: torch.Tensor) -> list[torch.Tensor]:
        """A constant, then the tensors it is a view of, back to the one first created."""
        chain = [tensor]
        while chain[-1] in self.const_parent and len(chain) < 64:
            base = self.const_parent[chain[-1]]
            if base is chain[-1]:
                break
            chain.append(base)
        return chain

    def freeze(self) -> ForwardRecorder:
        """Hand what was recorded so far to a new recorder, for a graph to be built later, and
        start afresh; this one keeps snapshotting the frozen values before in-place writes."""
        self.flush()
        frozen = ForwardRecorder()
        frozen.values, self.values = self.values, {}
        frozen._by_storage, self._by_storage = self._by_storage, {}
        frozen._unindexed, self._unindexed = self._unindexed, []
        frozen.operands, self.operands = self.operands, {}
        frozen.module_of, self.module_of = self.module_of, {}
        frozen.const_parent, self.const_parent = self.const_parent, WeakIdKeyDictionary()
        frozen.made_in, self.made_in = self.made_in, {}
        frozen.producers, self.producers = self.producers, {}
        frozen.op_number, self.op_number = self.op_number, {}
        frozen.lines, self.lines = self.lines, {}
        frozen.constants, self.constants = self.constants, ConstantReads()
        frozen.constants.stop_watching_leaves()
        self.frozen = frozen
        return frozen

    def adopt(self, earlier: ForwardRecorder, nodes: list[Node]) -> None:
        """Take over what `earlier` (an earlier backward pass's record) holds of `nodes`:
        ops made before that pass and reached again by this one (`y = X.sum(1) + b` above a
        training loop, whose add saves nothing for backward and so serves every pass)."""
        wanted = {node for node in nodes if node in earlier.operands or node in earlier.lines}
        wanted.difference_update(self.operands)
        if not wanted:
            return
        for key, value in earlier.values.items():
            if key[0] in wanted and key not in self.values:
                self.values[key] = value
                self._unindexed.append(value)
        for node in wanted:
            _move(node, earlier.operands, self.operands)
            _move(node, earlier.op_number, self.op_number)
            _move(node, earlier.lines, self.lines)
            _move(node, earlier.module_of, self.module_of)
        for tensor_id, made in earlier.producers.items():
            kept = [entry for entry in made if entry[1] in wanted]
            if kept:  # (earlier ops ran first: their numbers are lower)
                self.producers[tensor_id] = kept + self.producers.get(tensor_id, [])
        operands = [earlier.operands[node] for node in wanted if node in earlier.operands]
        for _, args, kwargs in operands:
            for tensor in tensors_in(args) + tensors_in(kwargs):
                chain = earlier.origins_of(tensor)
                for view, base in itertools.pairwise(chain):
                    if view not in self.const_parent:
                        self.const_parent[view] = base
        for tensor_id, maker in earlier.made_in.items():
            self.made_in.setdefault(tensor_id, maker)
        self.constants.adopt(earlier.constants)
        self._constants = None

    def constant_storages(self) -> set[int]:
        """Storages of the tensors without grad that the recorded ops read (data, constants)."""
        if self._constants is None:
            self._constants = {
                _storage_key(t)
                for _, args, kwargs in self.operands.values()
                for t in tensors_in(args) + tensors_in(kwargs)
                if not t.requires_grad
            }
        return self._constants

    def clear(self) -> None:
        self.values.clear()
        self._by_storage.clear()
        self._unindexed.clear()
        self.operands.clear()
        self.module_of.clear()
        self.const_parent.clear()
        self.made_in.clear()
        self.producers.clear()
        self.op_number.clear()
        self.lines.clear()
        self._pending.clear()
        self.constants.clear()

    def _snapshot_aliases(self, keys: set[int]) -> None:
        """Copy the recorded values that share a storage about to be written. (A value's
        storage is the one it had when recorded: no op changes it without writing it first.)"""
        if self._unindexed:
            for entry in self._unindexed:
                if entry.snapshot is None:
                    self._by_storage.setdefault(_storage_key(entry.tensor), []).append(entry)
            self._unindexed = []
        for key in keys:
            for entry in self._by_storage.pop(key, ()):
                if entry.snapshot is None:
                    entry.snapshot = entry.tensor.detach().clone()


def _move(node: Node, source: dict[Node, _T], target: dict[Node, _T]) -> None:
    if node in source:
        target[node] = source[node]
