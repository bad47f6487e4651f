"""The traced graph as plain data: nodes with values and gradients, edges with contributions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch

NodeKind = Literal["input", "param", "const", "op"]
UNNAMED = "(no name)"  # the title of a leaf that no name of the program holds


@dataclass(frozen=True)
class SavedTensor:
    """A tensor autograd kept for the backward pass of one node."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    nbytes: int


@dataclass(frozen=True)
class ForwardCall:
    """The ATen operation that made an op node's value, with its arguments as they were.

    Tensor arguments are copies taken when the backward pass ran; `arg_nodes[i]` is the id of
    the graph node whose value argument i is, where there is one.
    """

    op: str  # e.g. "aten.mul.Tensor"
    args: tuple[object, ...]
    kwargs: dict[str, object]
    arg_nodes: tuple[str | None, ...] = ()
    # args with every tensor replaced by (node id, output number) where it is a node's value
    # (lists too, as for cat): enough to re-run the graph with other parameter values.
    refs: tuple[object, ...] = ()

    @property
    def name(self) -> str:
        """`mul` for aten.mul.Tensor."""
        parts = self.op.split(".")
        return parts[1] if len(parts) > 1 else self.op


@dataclass
class ExtraOutput:
    """Output 1, 2, ... of a multi-output op (split, max with dim, ...)."""

    value: torch.Tensor | None
    grad: torch.Tensor | None
    name: str | None = None


@dataclass
class GraphNode:
    """One value in the graph: a leaf, a constant, or the output of one autograd node."""

    id: str
    kind: NodeKind
    op: str | None
    name: str | None
    value: torch.Tensor | float | None
    grad: torch.Tensor | None = None
    auto_name: bool = False
    param_path: str | None = None
    sequence_nr: int | None = None
    extra_outputs: list[ExtraOutput] = field(default_factory=list)
    saved: list[SavedTensor] = field(default_factory=list)
    nonfinite_value: bool = False
    nonfinite_grad: bool = False
    nonfinite_origin: bool = False  # the first node (in forward order) whose value is NaN/Inf
    grad_nonfinite_origin: bool = False  # the first node (in backward order) with a NaN/Inf grad
    aliases: list[str] = field(default_factory=list)  # further names bound to the same value
    call: ForwardCall | None = None  # op nodes: the forward operation (for the chain-rule panel)
    module: str | None = None  # the nn.Module path it ran in (`model.0`), or whose parameter
    defined_by: str | None = None  # op nodes of the program's own autograd.Function: its class
    defined_line: int | None = None  # and the line of its `def backward`
    line: int | None = None  # op nodes: the program line that made the value
    derived: str | None = None  # an unnamed constant: "from x" (a module's copy of x), "zeros"

    @property
    def label(self) -> str:
        """What the picture calls this node: its name, else its op, else its value."""
        if self.name:
            return self.name
        if self.op:
            return self.op
        if self.derived:
            return self.derived
        if self.kind != "const":  # a leaf no name holds (`torch.randn(3, requires_grad=True)`
            return UNNAMED  # written inline, a layer's weight in a plain list)
        return format(self.value) if isinstance(self.value, float) else "const"


@dataclass(frozen=True)
class GraphEdge:
    """Operand → consumer (forward direction); `grad` is the contribution sent back along it."""

    src: str
    dst: str
    input_index: int | None = None  # position among the consumer's autograd inputs
    output_nr: int = 0  # which output of `src` this edge carries
    grad: torch.Tensor | None = None


@dataclass
class Graph:
    """Everything one trace found, in forward order."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    output: str | None
    backward_order: list[str]
    device: str
    notes: list[str] = field(default_factory=list)
    seed: str | None = None  # how the backward pass was started: "program", "one", "ones"
    modules: dict[str, str] = field(default_factory=dict)  # path → `Linear(4 → 16)`

    def __post_init__(self) -> None:
        self._by_id = {node.id: node for node in self.nodes}
        self._read: dict[str, set[int]] | None = None  # node id → its outputs ops read

    def _outputs_read(self, node_id: str) -> set[int]:
        if self._read is None:
            self._read = {}
            for edge in self.edges:
                self._read.setdefault(edge.src, set()).add(edge.output_nr)
        return self._read.get(node_id, set())

    def node(self, node_id: str) -> GraphNode:
        return self._by_id[node_id]

    def find(self, name: str) -> GraphNode | None:
        """The last node bound to `name` (the one a reader means by it)."""
        found = self.lookup(name)
        return found[0] if found else None

    def lookup(self, name: str) -> tuple[GraphNode, int] | None:
        """The last node with an output bound to `name`, and that output's number."""
        for node in reversed(self.nodes):
            if node.name == name or name in node.aliases:
                return node, 0
            for nr, extra in enumerate(node.extra_outputs, start=1):
                if extra.name == name:
                    return node, nr
        return None

    def output_value(self, node: GraphNode, output_nr: int) -> torch.Tensor | float | None:
        return node.value if output_nr == 0 else node.extra_outputs[output_nr - 1].value

    def output_grad(self, node: GraphNode, output_nr: int) -> torch.Tensor | None:
        return node.grad if output_nr == 0 else node.extra_outputs[output_nr - 1].grad

    def shown_output(self, node: GraphNode) -> int:
        """The output a node's box shows: the first one an op reads (else, at the output, the
        first with a gradient): `torch.linalg.svd(A).S.sum()` shows S, not U, which nothing
        read and whose gradient is none."""
        if not node.extra_outputs:
            return 0
        read = self._outputs_read(node.id)
        if not read:
            count = 1 + len(node.extra_outputs)
            read = {nr for nr in range(count) if self.output_grad(node, nr) is not None}
        return 0 if not read or 0 in read else min(read)

    def inputs_of(self, node_id: str) -> list[GraphEdge]:
        return [edge for edge in self.edges if edge.dst == node_id]

    def consumers_of(self, node_id: str) -> list[GraphEdge]:
        return [edge for edge in self.edges if edge.src == node_id]

    def structure_key(self) -> tuple[object, ...]:
        """Equal for graphs that lay out the same (for redrawing without a new layout)."""
        return (
            tuple((n.id, n.kind, n.op, n.name, _shape(n.value)) for n in self.nodes),
            tuple((e.src, e.dst, e.input_index) for e in self.edges),
        )


def _shape(value: torch.Tensor | float | None) -> tuple[int, ...] | None:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None
