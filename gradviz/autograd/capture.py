"""Autograd hooks that capture each node's gradients and the order the engine ran them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from gradviz.autograd.walk import is_leaf_node

Node = Any
Grads = tuple[torch.Tensor | None, ...]


def _detached(grads: Sequence[torch.Tensor | None], clone: bool = False) -> Grads:
    """The gradients, kept outside autograd. Only a create_graph backward passes tensors that
    require grad: the others are kept as they are (a detach runs through the allocation
    guard's dispatch mode, costing about as much as the op itself; holding the tensor also
    keeps the engine from accumulating into it in place)."""
    out: list[torch.Tensor | None] = []
    for grad in grads:
        if grad is None:
            out.append(None)
        else:
            grad = grad.detach() if grad.requires_grad else grad
            out.append(grad.clone() if clone else grad)
    return tuple(out)


class GradientCapture:
    """Post-hooks record the gradients arriving at each op node, the ones it sends on, and
    the engine's order; pre-hooks on leaves (AccumulateGrad) what arrives there.

    Use as a context manager around the backward call: every handle is removed on exit.
    """

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes = list(nodes)
        self.arrived: dict[Node, Grads] = {}  # gradient w.r.t. each output of the node's op
        self.sent: dict[Node, Grads] = {}  # contribution sent along each next_functions edge
        self.order: list[Node] = []  # op nodes in the order the engine ran them
        self._handles: list[Any] = []

    def __enter__(self) -> GradientCapture:
        # One hook per node: an op node's post-hook sees the gradient that arrived as well as
        # the ones it sends on, and runs as the engine finishes the node, so post-hooks record
        # the engine's order too (a pre-hook as well would double the cost of hooking).
        try:
            for node in self.nodes:
                if is_leaf_node(node):
                    self._handles.append(node.register_prehook(self._prehook(node)))
                else:
                    self._handles.append(node.register_hook(self._posthook(node)))
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _prehook(self, node: Node) -> Any:
        leaf = is_leaf_node(node)

        def hook(grad_outputs: Sequence[torch.Tensor | None]) -> None:
            # AccumulateGrad may keep the very tensor as .grad and add into it later: copy it.
            self.arrived[node] = _detached(grad_outputs, clone=leaf)

        return hook

    def _posthook(self, node: Node) -> Any:
        def hook(
            grad_inputs: Sequence[torch.Tensor | None], grad_outputs: Sequence[torch.Tensor | None]
        ) -> None:
            self.arrived[node] = _detached(grad_outputs)
            self.sent[node] = _detached(grad_inputs)
            self.order.append(node)

        return hook
