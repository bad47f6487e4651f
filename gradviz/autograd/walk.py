"""Walking PyTorch's own autograd graph: the nodes reachable from a tensor's grad_fn."""

from __future__ import annotations

from typing import Any

import torch

Node = Any

ACCUMULATE_GRAD = "torch::autograd::AccumulateGrad"


def is_leaf_node(node: Node) -> bool:
    """AccumulateGrad: the node that stores a leaf tensor's .grad."""
    return bool(node.name() == ACCUMULATE_GRAD)


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
    """The tensors autograd saved on `node` for its backward (read before backward frees them)."""
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
