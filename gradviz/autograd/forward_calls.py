"""An op node's forward call: its ATen operation with the operands as that op read them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch

from gradviz.autograd.graph import ForwardCall
from gradviz.autograd.recorder import ForwardRecorder

Node = Any
Key = tuple[str, object]
Resolver = Callable[[torch.Tensor], "tuple[Key, int] | None"]


@functools.cache
def _op_name(func: Any) -> str:
    """ "aten.mul.Tensor" (str() of an OpOverload is slow enough to matter once per node)."""
    return str(func)


class ForwardCalls:
    """The GraphBuilder's part that makes each op node's ForwardCall (its state is the
    builder's: the recorder, the snapshot's leaf values, the nodes pending by key)."""

    recorder: ForwardRecorder
    snap: Any  # a builder.Snapshot
    pending: dict[Key, Any]
    tensor_keys: dict[int, Key]
    output_nrs: dict[int, int]
    const_keys: dict[tuple[int, int], Key]

    def _call(self, node: Node, ids: dict[Key, str]) -> ForwardCall | None:
        """The forward ATen call that made `node`, its tensors as they were when it ran."""
        recorded = self.recorder.operands.get(node)
        if recorded is None:
            return None
        func, args, kwargs = recorded
        when = self.recorder.op_number.get(node)
        found: dict[int, tuple[Key, int] | None] = {}  # id(tensor) → _resolve, once per tensor

        def resolved(tensor: torch.Tensor) -> tuple[Key, int] | None:
            key = id(tensor)
            if key not in found:
                found[key] = self._resolve(tensor, when)
            return found[key]

        copies: list[object] = []
        refs: list[object] = []
        arg_nodes: list[str | None] = []
        for arg in args:
            copy, ref = self._operand(arg, ids, resolved, when)
            copies.append(copy)
            refs.append(ref)
            arg_nodes.append(ref[0] if isinstance(arg, torch.Tensor) and ref else None)
        return ForwardCall(
            _op_name(func),
            tuple(copies),
            {k: self._operand(v, ids, resolved, when)[0] for k, v in kwargs.items()}
            if kwargs
            else {},
            tuple(arg_nodes),
            tuple(refs),
        )

    def _resolve(self, tensor: torch.Tensor, when: int | None) -> tuple[Key, int] | None:
        """The graph node whose value `tensor` held when op number `when` read it, and which of
        its outputs: the latest op that made or rewrote it before then (an in-place op gives a
        tensor a new producer, so one object can be several nodes' values in turn), else the
        leaf or constant it is."""
        for producer, output_nr in self.recorder.producer(tensor, when):
            key: Key = ("op", producer)
            if key in self.pending:
                return key, output_nr
        found = self.tensor_keys.get(id(tensor))
        if found is None:
            return None
        if found[0] == "const" and self.recorder.constants.versions:
            version, _ = self.recorder.constants.as_read(tensor, when)
            found = self.const_keys.get((id(tensor), version), found)
        return found, self.output_nrs.get(id(tensor), 0)

    # A method, not a recursive closure in _call: a recursive closure is a reference cycle (the
    # function, its cell), which would keep each call's tensors alive until a collection.
    def _operand(
        self, value: object, ids: dict[Key, str], resolved: Resolver, when: int | None
    ) -> tuple[Any, Any]:
        """An argument as the call keeps it, and its reference, in one pass (nested as the
        arguments are, lists too, as for cat).

        The copy: leaves (which an optimizer may change next), recorded values and constants
        as they were (copied before any later in-place write); other tensors detached, the
        rest as they are.
        The reference: (node id, output number) of a tensor that is a node's value, else None.
        """
        if isinstance(value, torch.Tensor):
            found = resolved(value)
            if found is None:
                return value.detach(), None
            key, output_nr = found
            node_id = ids.get(key)
            ref = (node_id, output_nr) if node_id else None
            if key[0] == "leaf":
                _, before = self.recorder.constants.as_read(value, when)
                if before is not None:
                    return before, ref
                snapshot = self.snap.leaf_values.get(key[1])
                if snapshot is not None:
                    return snapshot, ref
            elif key[0] == "op":
                recorded = self.recorder.value_of(key[1], output_nr)
                if recorded is not None:
                    return recorded, ref
            elif key[0] == "const":
                _, before = self.recorder.constants.as_read(value, when)
                if before is not None:
                    return before, ref
            return value.detach(), ref
        if isinstance(value, (list, tuple)):
            pairs = [self._operand(v, ids, resolved, when) for v in value]
            return type(value)(p[0] for p in pairs), tuple(p[1] for p in pairs)
        return value, None
