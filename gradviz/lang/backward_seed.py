"""`tensor.backward(gradient)` without torch's check of the gradient's shape, which imports
sympy (half a second, once per process): where the gradient fits the tensor exactly, the
backward of sum(tensor · gradient) sends the tensor that very gradient (times one, exactly)."""

from __future__ import annotations

from typing import Any

import torch


def backward(tensor: torch.Tensor, **options: Any) -> None:
    """`tensor.backward(**options)`, as torch runs it."""
    gradient = options.get("gradient")
    if options.get("create_graph") or not isinstance(gradient, torch.Tensor):
        tensor.backward(**options)
        return
    if not _fits(tensor, gradient):
        tensor.backward(**options)  # torch's own checks and messages
        return
    rest = {key: value for key, value in options.items() if key != "gradient"}
    with torch.enable_grad():  # (a program may call backward inside `with torch.no_grad():`)
        (tensor * gradient.detach()).sum().backward(**rest)


def _fits(tensor: torch.Tensor, gradient: torch.Tensor) -> bool:
    return (
        tensor.requires_grad
        and tensor.dtype.is_floating_point
        and gradient.dtype == tensor.dtype
        and gradient.shape == tensor.shape
        and gradient.device == tensor.device
        and tensor.layout == gradient.layout == torch.strided
        and not tensor.is_nested
    )
