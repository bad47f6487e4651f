"""NaN and Inf in a graph: flagged on each value and gradient, and at the node where each first
appears (forward: from good operands; backward: although every consumer's gradient was good)."""

from __future__ import annotations

import math

import torch

from gradviz.autograd.graph import Graph


def _nonfinite(value: torch.Tensor | float | None) -> bool:
    if isinstance(value, torch.Tensor):
        if not value.is_floating_point() or value.numel() == 0:
            return False
        if math.isfinite(float(value.sum())):
            return False  # one cheap pass: a NaN or Inf anywhere makes the sum non-finite
        return not bool(torch.isfinite(value).all())  # the sum may just have overflowed
    if isinstance(value, float):
        return not math.isfinite(value)
    return False


def _nonfinite_all(values: list[torch.Tensor | float | None]) -> list[bool]:
    """_nonfinite of each value, the tensors checked together: one norm per tensor in a
    single fused call, then a closer look only where a norm is not finite (a NaN or Inf, or
    just a sum of squares too big for the dtype)."""
    flags = [isinstance(v, float) and not math.isfinite(v) for v in values]
    checked = [
        i
        for i, v in enumerate(values)
        if isinstance(v, torch.Tensor) and v.is_floating_point() and v.numel() > 0
    ]
    by_device: dict[torch.device, list[int]] = {}
    for i in checked:
        by_device.setdefault(values[i].device, []).append(i)  # type: ignore[union-attr]
    for indices in by_device.values():
        tensors = [values[i] for i in indices]
        try:
            norms = torch._foreach_norm(tensors)  # type: ignore[arg-type]
            finite = torch.stack(norms).isfinite().tolist()  # (stack promotes mixed dtypes)
            suspects = [i for i, ok in zip(indices, finite, strict=True) if not ok]
        except (RuntimeError, TypeError):  # a dtype the fused kernel lacks: look at each
            suspects = indices
        for i in suspects:
            flags[i] = _nonfinite(values[i])
    return flags


def mark_nonfinite(graph: Graph) -> None:
    """Flag NaN/Inf values and gradients, and the node where each first appears."""
    count = len(graph.nodes)
    flags = _nonfinite_all([n.value for n in graph.nodes] + [n.grad for n in graph.nodes])
    value_flags, grad_flags = flags[:count], flags[count:]  # one fused pass over both
    for node, bad_value, bad_grad in zip(graph.nodes, value_flags, grad_flags, strict=True):
        node.nonfinite_value = bad_value
        node.nonfinite_grad = bad_grad
    for node in graph.nodes:  # forward: bad value from only good operands
        if node.nonfinite_value:
            operands = [graph.node(e.src) for e in graph.inputs_of(node.id)]
            node.nonfinite_origin = not any(o.nonfinite_value for o in operands)
    for node in graph.nodes:  # backward: bad gradient although every consumer's was good
        if node.nonfinite_grad:
            consumers = [graph.node(e.dst) for e in graph.consumers_of(node.id)]
            node.grad_nonfinite_origin = not any(c.nonfinite_grad for c in consumers)


def nonfinite_kinds(value: torch.Tensor | float | None) -> str:
    """Which non-finite numbers `value` holds, in words: "NaN", "−inf", "inf", "NaN and −inf",
    … ("NaN/Inf" where it holds none, or is no float)."""
    if isinstance(value, float):
        value = torch.tensor(value)
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        return "NaN/Inf"
    found = [
        word
        for word, present in (
            ("NaN", torch.isnan(value).any()),
            ("−inf", torch.isneginf(value).any()),
            ("inf", torch.isposinf(value).any()),
        )
        if bool(present)
    ]
    return " and ".join(found) or "NaN/Inf"
