"""Walking PyTorch's own autograd graph: the nodes reachable from a tensor's grad_fn."""

from __future__ import annotations

from typing import Any

import torch
from torch.autograd.function import BackwardCFunction

Node = Any

ACCUMULATE_GRAD = "torch::autograd::AccumulateGrad"


_LEAF_TYPES: dict[type, bool] = {}  # a node's Python type → whether it is AccumulateGrad


def is_leaf_node(node: Node) -> bool:
    """AccumulateGrad: the node that stores a leaf tensor's .grad. (Asked of every node
    several times per trace: its type is looked up, its name read once per type.)"""
    kind = type(node)
    leaf = _LEAF_TYPES.get(kind)
    if leaf is None:
        if isinstance(node, BackwardCFunction):  # a Python Function's: a class per program run,
            return False  # not kept
        leaf = _LEAF_TYPES[kind] = bool(node.name() == ACCUMULATE_GRAD)
    return leaf


def reachable(root: Node | None) -> list[Node]:
    """All autograd nodes reachable from `root` through next_functions, in discovery order."""
    if root is None:
        return []
    seen: set[Node] = {root}
    order: list[Node] = [root]
    stack = [root]
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                order.append(child)
                stack.append(child)
    return order


def output_count(node: Node) -> int:
    """How many outputs the forward op had (one gradient arrives per output)."""
    try:
        return max(1, len(node._input_metadata))
    except (AttributeError, RuntimeError):
        return 1


_SAVED_NAMES: dict[type, list[str]] = {}


def saved_tensors(node: Node) -> list[tuple[str, torch.Tensor]]:
    """The tensors autograd saved on `node` for its backward (read before backward frees them);
    a program's autograd.Function: what its forward passed to ctx.save_for_backward."""
    if isinstance(node, BackwardCFunction):
        try:
            return [(f"ctx[{i}]", t) for i, t in enumerate(node.saved_tensors)]
        except RuntimeError:
            return []
    kind = type(node)
    names = _SAVED_NAMES.get(kind)
    if names is None:
        names = [a for a in dir(node) if a.startswith("_saved_")]
        _SAVED_NAMES[kind] = names
    found: list[tuple[str, torch.Tensor]] = []
    for attr in names:
        try:
            value = getattr(node, attr)
        except RuntimeError:
            continue  # already freed by an earlier backward
        label = attr[len("_saved_") :]
        if isinstance(value, torch.Tensor):
            found.append((label, value))
        elif isinstance(value, (tuple, list)):
            found.extend(
                (f"{label}[{i}]", item)
                for i, item in enumerate(value)
                if isinstance(item, torch.Tensor)
            )
    return found


def program_function(node: Node) -> tuple[str, int | None] | None:
    """The class name of the program's autograd.Function whose backward `node` runs, and the
    line its `def backward` is on; None for torch's own nodes."""
    if not isinstance(node, BackwardCFunction):
        return None
    forward_cls = getattr(node, "_forward_cls", None)
    if forward_cls is None:
        return type(node).__name__, None
    line = getattr(forward_cls, "backward_line", None)
    return forward_cls.__name__, line if isinstance(line, int) else None
