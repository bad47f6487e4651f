"""Shape errors said in a student's terms: which sizes of which operand disagree in a matrix
product or a linear layer, instead of torch's "size mismatch, got input (3), mat (3x4), vec (5)"."""

from __future__ import annotations

import re
from typing import Any

import torch
from torch import nn

PRODUCTS = {"torch.matmul", "torch.mm", "torch.mv", "Tensor.matmul", "Tensor.mm", "Tensor.mv"}
_LINEAR = re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)")


def _shape(t: torch.Tensor) -> str:
    return "×".join(str(s) for s in t.shape)


def _described(name: str, t: torch.Tensor) -> str:
    if t.dim() == 1:
        return f"{name} has {t.shape[0]} element{'s' if t.shape[0] != 1 else ''}"
    return f"{name} is {_shape(t)}"


def product_mismatch(left: Any, right: Any, left_name: str, right_name: str) -> str | None:
    """Why `left @ right` cannot be computed, when its inner sizes disagree; None otherwise (a
    batch mismatch, a dtype, anything else: torch's own message says it better)."""
    if not isinstance(left, torch.Tensor) or not isinstance(right, torch.Tensor):
        return None
    if left.dim() == 0 or right.dim() == 0:
        return None
    inner_left = left.shape[-1]
    inner_right = right.shape[0] if right.dim() == 1 else right.shape[-2]
    if inner_left == inner_right:
        return None
    both = f"{_described(left_name, left)} and {_described(right_name, right)}"
    if left.dim() == 1 and right.dim() == 1:
        return f"cannot multiply: {both}; a dot product needs two vectors of one length"
    what_left = _inner_part(left, left_name, inner_left, last=True)
    what_right = _inner_part(right, right_name, inner_right, last=False)
    return f"cannot multiply: {both}; {what_left} must match {what_right}"


def _inner_part(t: torch.Tensor, name: str, size: int, last: bool) -> str:
    """The sizes a product pairs up: a vector's elements, a matrix's columns (on the left) or
    rows (on the right), a batch's last or second-to-last size."""
    if t.dim() == 1:
        return f"the {size} elements of {name}"
    if t.dim() == 2:
        return f"the {size} {'columns' if last else 'rows'} of {name}"
    return f"the {'last' if last else 'second-to-last'} size of {name} ({size})"


def linear_mismatch(module: nn.Module, name: str, message: str) -> str | None:
    """For torch's "mat1 and mat2 shapes cannot be multiplied (8x5 and 3x4)" from calling
    `module`: the one nn.Linear inside it that takes 3 features, named by its path."""
    found = _LINEAR.search(message)
    if found is None:
        return None
    rows, got, wanted, out = (int(g) for g in found.groups())
    layers = [
        path
        for path, layer in module.named_modules()
        if isinstance(layer, nn.Linear) and (layer.in_features, layer.out_features) == (wanted, out)
    ]
    if len(layers) != 1:
        return None
    label = ".".join(p for p in (name, layers[0]) if p)
    return (
        f"{label} is Linear({wanted} → {out}): its input's last size must be {wanted}, "
        f"but it was given {rows}×{got} ({got} features)"
    )


def broadcast_mismatch(left: Any, right: Any, left_name: str, right_name: str) -> str | None:
    """Why `left` and `right` cannot be combined element by element: the first dimension, lined
    up from the right, whose sizes differ with neither 1; None where they broadcast."""
    if not isinstance(left, torch.Tensor) or not isinstance(right, torch.Tensor):
        return None
    a, b = tuple(left.shape), tuple(right.shape)
    for offset in range(1, min(len(a), len(b)) + 1):
        x, y = a[-offset], b[-offset]
        if x != y and x != 1 and y != 1:
            where = {1: "the last dimension", 2: "the second-to-last dimension"}.get(
                offset, f"dimension {offset} from the right"
            )
            return (
                f"cannot combine {left_name} ({_shape_or_scalar(left)}) and {right_name} "
                f"({_shape_or_scalar(right)}) element by element: lined up from the right, "
                f"their sizes at {where} are {x} and {y}, and neither is 1"
            )
    return None


def _shape_or_scalar(t: torch.Tensor) -> str:
    if t.dim() == 1:
        return f"{t.shape[0]} element{'s' if t.shape[0] != 1 else ''}"
    return _shape(t) if t.dim() else "a scalar"


JOINS = {"torch.cat", "torch.concat"}


def joined_mismatch(tensors: Any, names: list[str], dim: Any) -> str | None:
    """Why torch.cat cannot join `tensors` along `dim`: the other dimension whose sizes differ,
    each tensor named with its shape, and the dim that would join them where one would; None
    where torch's own words say it (another number of dims, a 0-d tensor, a dtype)."""
    if not isinstance(tensors, (list, tuple)) or len(tensors) < 2:
        return None
    if not all(isinstance(t, torch.Tensor) for t in tensors) or not isinstance(dim, int):
        return None
    shapes = [tuple(t.shape) for t in tensors]
    ndim = len(shapes[0])
    if ndim == 0 or any(len(s) != ndim for s in shapes) or not -ndim <= dim < ndim:
        return None
    dim %= ndim

    def clash(along: int) -> int | None:
        return next(
            (i for i in range(ndim) if i != along and len({s[i] for s in shapes}) > 1), None
        )

    other = clash(dim)
    if other is None:
        return None
    listed = ", ".join(f"{name} is {_shape(t)}" for name, t in zip(names, tensors, strict=True))
    fits = [d for d in range(ndim) if d != dim and clash(d) is None]
    instead = f"; dim={fits[0]} would join them" if fits else ""
    return (
        f"torch.cat joins along dim {dim}, so every other size must be equal, but dim {other} "
        f"differs: {listed}{instead}"
    )
