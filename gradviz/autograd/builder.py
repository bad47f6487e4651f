"""Assembles the Graph from what was recorded: autograd nodes, forward values, hooks, names."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import torch

from gradviz.autograd.capture import GradientCapture
from gradviz.autograd.forward_calls import ForwardCalls, Key, Node
from gradviz.autograd.graph import (
    ExtraOutput,
    Graph,
    GraphEdge,
    GraphNode,
    NodeKind,
    SavedTensor,
)
from gradviz.autograd.naming import BoundNames, auto_names
from gradviz.autograd.nonfinite import mark_nonfinite
from gradviz.autograd.recorder import ForwardRecorder
from gradviz.autograd.walk import is_leaf_node, output_count, program_function


@dataclass
class Snapshot:
    """What the tracer gathered around one backward pass."""

    root: torch.Tensor
    nodes: list[Node]
    capture: GradientCapture
    saved: dict[Node, list[tuple[str, torch.Tensor]]]
    leaf_values: dict[Node, torch.Tensor]
    device: str
    seed: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    key: Key
    kind: NodeKind
    order: float
    op: str | None = None
    value: torch.Tensor | float | None = None
    grad: torch.Tensor | None = None
    name: str | None = None
    aliases: list[str] = field(default_factory=list)
    param_path: str | None = None
    sequence_nr: int | None = None
    extra: list[ExtraOutput] = field(default_factory=list)
    saved: list[SavedTensor] = field(default_factory=list)
    holder: str | None = None  # the program's object that keeps this leaf (`layers[0]`)
    derived: str | None = None  # an unnamed constant: "from x" (a module's copy of x), "zeros"


_COPIES = frozenset({"clone", "_to_copy", "contiguous", "copy", "detach", "alias"})


def _uniform(tensor: torch.Tensor) -> str | None:
    """ "zeros" or "ones" for an unnamed constant of several elements that is all 0 or all 1
    (an LSTM's first state, made inside torch's C++ where no op of it is seen)."""
    if tensor.numel() < 2 or tensor.is_complex():
        return None
    for word, number in (("zeros", 0), ("ones", 1)):
        if bool((tensor == number).all()):
            return word
    return None


def _grad(grads: tuple[torch.Tensor | None, ...] | None, index: int) -> torch.Tensor | None:
    if grads is None or index >= len(grads):
        return None
    return grads[index]


def _saved(items: list[tuple[str, torch.Tensor]]) -> list[SavedTensor]:
    return [
        SavedTensor(
            name, tuple(t.shape), str(t.dtype).replace("torch.", ""), t.numel() * t.element_size()
        )
        for name, t in items
    ]


@functools.cache
def _pointwise(func: Any) -> bool:
    return torch.Tag.pointwise in func.tags


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class GraphBuilder(ForwardCalls):
    """Turns a Snapshot plus the recorder's values and the bound names into a Graph."""

    def __init__(self, snap: Snapshot, recorder: ForwardRecorder, names: BoundNames) -> None:
        self.snap = snap
        self.recorder = recorder
        self.names = names
        self.pending: dict[Key, _Pending] = {}
        self.edges: list[tuple[Key, Key, int | None, int, torch.Tensor | None]] = []
        self.param_paths = names.param_paths()
        self.buffer_paths: dict[int, str] | None = None  # looked up at the first constant
        self.object_paths = names.object_paths()
        self.tensor_keys: dict[int, Key] = {}  # id(tensor) → the node whose value it is
        self.output_nrs: dict[int, int] = {}  # id(tensor) → which output of that node
        self.const_keys: dict[tuple[int, int], Key] = {}  # (id(tensor), version) → its node
        self.leaf_read: dict[Key, int] = {}  # a leaf → the op number of its first reader
        self.keep: list[object] = []  # holds those tensors, so their ids stay theirs

    def build(self) -> Graph:
        ops = [n for n in self.snap.nodes if not is_leaf_node(n)]
        for node in ops:
            self._add_op(node)
        for node in ops:
            self._add_edges(node)
        if not ops and self.snap.root.requires_grad:
            self._add_root_leaf()
        return self._finish()

    # -- nodes ---------------------------------------------------------------------------------
    def _add_op(self, node: Node) -> None:
        seq = int(node._sequence_nr())
        arrived = self.snap.capture.arrived.get(node)
        tensor = self.recorder.tensor_of(node, 0)
        self._remember(tensor, ("op", node))
        names = self.names.names_of(tensor)
        path = self._object_path(tensor)  # `layers[2].out` says more than `out` (or `x`)
        name: str | None = path or (names[0] if names else None)
        # (an attribute's own name would only repeat the path's end)
        aliases = [n for n in names if n != path.rsplit(".", 1)[-1]] if path else names[1:]
        entry = _Pending(
            key=("op", node),
            kind="op",
            order=float(seq),
            op=str(node.name()),
            value=self.recorder.value_of(node, 0),
            grad=_grad(arrived, 0),
            name=name,
            aliases=aliases,
            sequence_nr=seq,
            saved=_saved(self.snap.saved.get(node, [])),
        )
        for nr in range(1, output_count(node)):
            extra = self.recorder.tensor_of(node, nr)
            self._remember(extra, ("op", node))
            if extra is not None:
                self.output_nrs[id(extra)] = nr
            name = self.names.name_of(extra)
            entry.extra.append(
                ExtraOutput(self.recorder.value_of(node, nr), _grad(arrived, nr), name)
            )
        self.pending[entry.key] = entry

    def _leaf(self, acc: Node, order: float, when: int | None = None) -> Key:
        """The leaf node of `acc`'s tensor, its value as the first op to read it saw it
        (written in place since, by a step before the backward: as it was then)."""
        key: Key = ("leaf", acc)
        if key in self.pending:
            self.pending[key].order = min(self.pending[key].order, order)
            if self.recorder.constants.versions:
                self._leaf_as_read(key, acc.variable, when)
            return key
        variable = acc.variable
        self._remember(variable, key)
        path = self.param_paths.get(id(variable))
        # a parameter's path (`net.conv1.weight`) says more than the variable of a loop over
        # the parameters (`for p in net.parameters()`), which would name every one of them `p`
        name = self.names.name_of(variable, assigned=path is not None)
        held = None if path else self._object_path(variable)
        if held:  # an object's tensor (`layers[0].weight`, in that object's box), unless the
            # program assigned it a name of its own
            name = self.names.name_of(variable, assigned=True) or held
        self.pending[key] = _Pending(
            key=key,
            kind="param" if path else "input",
            order=order,
            value=self.snap.leaf_values.get(acc, variable.detach()),
            grad=_grad(self.snap.capture.arrived.get(acc), 0),
            name=name or path,
            param_path=path,
            holder=held.rsplit(".", 1)[0] if held else None,
        )
        if self.recorder.constants.versions:
            self._leaf_as_read(key, variable, when)
        return key

    def _leaf_as_read(self, key: Key, variable: torch.Tensor, when: int | None) -> None:
        if when is None or when >= self.leaf_read.get(key, when + 1):
            return
        self.leaf_read[key] = when
        _, before = self.recorder.constants.as_read(variable, when)
        if before is not None:
            self.pending[key].value = before

    def _const(self, tensor: torch.Tensor, order: float, when: int | None) -> Key:
        """The constant node of `tensor` (named after the tensor it views, where that has a
        name) as op number `when` read it: a constant written in place between two reads is
        two nodes, each with the value its ops saw."""
        chain = self.recorder.origins_of(tensor)
        origin = next((t for t in chain if self.names.name_of(t)), chain[-1])
        version, before = self.recorder.constants.as_read(origin, when)
        key: Key = ("const", (id(origin), version) if version else id(origin))
        self._remember(tensor, key)
        self.const_keys[(id(tensor), version)] = key
        if key in self.pending:
            self.pending[key].order = min(self.pending[key].order, order)
            return key
        name = self.names.name_of(origin)
        if self.buffer_paths is None:
            self.buffer_paths = self.names.buffer_paths()
        # a module's own (batch norm's statistics), or an unnamed one its forward made
        # (dropout's mask): drawn in that module's box
        buffer = self.buffer_paths.get(id(origin))
        if buffer:
            holder: str | None = buffer.rsplit(".", 1)[0]
        else:
            holder = None if name else self.recorder.module_made_in(origin)
        value = before if before is not None else origin.detach().clone()
        self.pending[key] = _Pending(
            key=key,
            kind="const",
            order=order,
            value=value,
            name=name or buffer,
            holder=holder,
            derived=None if name or buffer else self._derived(origin) or _uniform(value),
        )
        return key

    def _derived(self, tensor: torch.Tensor, depth: int = 0) -> str | None:
        """Where a module's forward made an unnamed constant from, in words: "from x" (an
        LSTM's batch_first copy of the program's x, transposed), "pow of x" (`x ** 2` in a
        forward that takes x)."""
        made = self.recorder.made_from(tensor)
        if made is None:
            return None
        op, source = made
        if source is None or source.requires_grad:
            return None  # (made from sizes alone, or a mask drawn from a value with grad)
        for origin in self.recorder.origins_of(source):
            name = self.names.name_of(origin)
            if name:
                return f"from {name}" if op in _COPIES else f"{op} of {name}"
            if depth < 4 and (inner := self._derived(origin, depth + 1)):
                return inner
        return None

    def _object_path(self, tensor: torch.Tensor | None) -> str | None:
        found = self.object_paths.get(id(tensor))
        return found[0] if found is not None and found[1] is tensor else None

    def _remember(self, tensor: object, key: Key) -> None:
        if tensor is not None and id(tensor) not in self.tensor_keys:
            self.tensor_keys[id(tensor)] = key
            self.keep.append(tensor)

    def _module_of(self, pending: _Pending) -> str | None:
        """The nn.Module path a node belongs to: where its op ran, or whose parameter it is."""
        if pending.kind == "op":
            return self.recorder.module_of.get(pending.key[1])
        if pending.holder:
            return pending.holder
        if pending.param_path and "." in pending.param_path:
            return pending.param_path.rsplit(".", 1)[0]
        return None

    def _scalar(self, value: float, order: float) -> Key:  # an int stays an int
        key: Key = ("scalar", len(self.pending))
        self.pending[key] = _Pending(key=key, kind="const", order=order, value=value)
        return key

    def _add_root_leaf(self) -> None:
        root = self.snap.root
        self.pending[("root", id(root))] = _Pending(
            key=("root", id(root)),
            kind="input",
            order=0.0,
            value=root.detach().clone(),
            grad=torch.ones_like(root),
            name=self.names.name_of(root),
        )

    # -- edges ---------------------------------------------------------------------------------
    def _add_edges(self, node: Node) -> None:
        dst: Key = ("op", node)
        before = self.pending[dst].order - 0.5
        sent = self.snap.capture.sent.get(node)
        for index, (child, output_nr) in enumerate(node.next_functions):
            if child is None:
                continue
            src = (
                self._leaf(child, before, self.recorder.op_number.get(node))
                if is_leaf_node(child)
                else ("op", child)
            )
            self.edges.append((src, dst, index, int(output_nr), _grad(sent, index)))
        func_args = self.recorder.operands.get(node)
        if func_args is None:
            return
        func, args, _ = func_args
        pointwise = _pointwise(func)
        for position, arg in enumerate(args):
            for item in arg if isinstance(arg, (list, tuple)) else (arg,):
                if isinstance(item, torch.Tensor) and not item.requires_grad:
                    key = self._const(item, before, self.recorder.op_number.get(node))
                    self.edges.append((key, dst, None, 0, None))
                elif pointwise and position < 2 and _is_number(item):
                    self.edges.append((self._scalar(item, before), dst, None, 0, None))

    # -- assembly ------------------------------------------------------------------------------
    def _finish(self) -> Graph:
        ordered = sorted(self.pending.values(), key=lambda p: p.order)
        ids = {p.key: f"n{i}" for i, p in enumerate(ordered)}
        taken = {p.name for p in ordered if p.name}
        unnamed_ops = [p for p in ordered if p.kind == "op" and not p.name]
        fresh = iter(auto_names(len(unnamed_ops), taken))
        nodes: list[GraphNode] = []
        for p in ordered:
            auto = p.kind == "op" and not p.name
            defined = program_function(p.key[1]) if p.kind == "op" else None  # its own Function
            nodes.append(
                GraphNode(
                    id=ids[p.key],
                    kind=p.kind,
                    op=p.op,
                    name=next(fresh) if auto else p.name,
                    value=p.value,
                    grad=p.grad,
                    auto_name=auto,
                    param_path=p.param_path,
                    sequence_nr=p.sequence_nr,
                    extra_outputs=p.extra,
                    saved=p.saved,
                    aliases=p.aliases,
                    call=self._call(p.key[1], ids) if p.kind == "op" else None,
                    module=self._module_of(p),
                    defined_by=defined[0] if defined else None,
                    defined_line=defined[1] if defined else None,
                    line=self.recorder.lines.get(p.key[1]) if p.kind == "op" else None,
                    derived=p.derived,
                )
            )
        edges = [
            GraphEdge(ids[src], ids[dst], index, nr, grad)
            for src, dst, index, nr, grad in self.edges
        ]
        root = self.snap.root
        if root.grad_fn is not None:
            output = ids.get(("op", root.grad_fn))
        else:
            output = next((ids[p.key] for p in ordered if p.kind != "op"), None)
        order = [ids[("op", n)] for n in self.snap.capture.order if ("op", n) in ids]
        graph = Graph(
            nodes, edges, output, order, self.snap.device, self.snap.notes, self.snap.seed
        )
        mark_nonfinite(graph)
        return graph
