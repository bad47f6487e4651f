"""The recorded graph re-run for a whole batch of parameter settings at once: each ATen op of a
small network (linear layers, activations, losses) applied with a leading batch dimension, the
matmuls as batched matmuls. Faster than torch.func.vmap on a CPU, where vmap's generic batching
rules copy more; any other op raises Unbatchable and the caller falls back to vmap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from gradviz.nets.batched_losses import (
    bce_with_logits,
    log_softmax,
    mse_loss,
    nll_loss,
)
from gradviz.nets.batched_value import (
    Args,
    Batched,
    Columns,
    Product,
    Unbatchable,
    WithOnes,
    aligned,
    slice_dim,
)

__all__ = ["FRESH_RESULTS", "Args", "Batched", "Unbatchable", "WithOnes", "batched_call"]


def _elementwise(op: Callable[..., torch.Tensor]) -> Callable[[Args, dict[str, Any]], Any]:
    def run(args: Args, kwargs: dict[str, Any]) -> Any:
        ndim = max(
            (a.ndim if isinstance(a, Batched) else a.dim())
            for a in args
            if isinstance(a, (Batched, torch.Tensor))
        )
        return Batched(op(*[aligned(a, ndim) for a in args], **kwargs))

    return run


def _reduce_all(op: Callable[..., torch.Tensor]) -> Callable[[Args, dict[str, Any]], Any]:
    def run(args: Args, kwargs: dict[str, Any]) -> Any:
        x: Batched = args[0]
        if kwargs.get("dtype") is not None:
            raise Unbatchable("a reduction with a dtype")
        dims = list(range(1, x.tensor.dim()))
        return Batched(op(x.tensor, dims) if dims else x.tensor)

    return run


def _reduce_dims(op: Callable[..., torch.Tensor]) -> Callable[[Args, dict[str, Any]], Any]:
    def run(args: Args, kwargs: dict[str, Any]) -> Any:
        x: Batched = args[0]
        if kwargs.get("dtype") is not None or len(args) > 3:
            raise Unbatchable("a reduction with a dtype")
        dims = args[1] if len(args) > 1 else None
        keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
        chosen = dims if dims else range(x.ndim)
        return Batched(op(x.tensor, [slice_dim(d, x.ndim) for d in chosen], keepdim=keepdim))

    return run


def _t(args: Args, kwargs: dict[str, Any]) -> Any:
    x: Batched = args[0]
    return x if x.ndim < 2 else Batched(x.tensor.transpose(1, 2))


def _operands(a: Any, b: Any) -> tuple[torch.Tensor, torch.Tensor]:
    left = a.tensor if isinstance(a, Batched) else a
    right = b.tensor if isinstance(b, Batched) else b
    if (isinstance(a, Batched) and a.ndim != 2) or (isinstance(b, Batched) and b.ndim != 2):
        raise Unbatchable("mm of non-matrices")
    return left, right


def _product(a: Any, b: Any) -> torch.Tensor:
    """a @ b for 2-D slices; the result has the batch dimension when either has one. Computed
    transposed, (bᵀ·aᵀ)ᵀ: each slice of the result is laid out column by column, so the long
    side (a layer's samples) is the matrix kernel's wide dimension, the next product reads it
    contiguously, and a reduction over a few classes runs along rows of samples."""
    left, right = _operands(a, b)
    return torch.matmul(right.mT, left.mT).mT


def _matmul(args: Args, kwargs: dict[str, Any]) -> Any:
    return Batched(_product(args[0], args[1]))


def _addmm(args: Args, kwargs: dict[str, Any]) -> Any:
    """bias·beta + (m1 @ m2)·alpha as one batched kernel call (the bias is the kernel's
    initial value, or a column of the weight where m1 carries a row of ones), computed
    transposed as in _product."""
    bias, m1, m2 = args[:3]
    beta, alpha = kwargs.get("beta", 1), kwargs.get("alpha", 1)
    if isinstance(m1, WithOnes) and beta == 1 and alpha == 1:
        fused = _addmm_with_ones(bias, m1, m2)
        if fused is not None:
            return fused
    left, right = _operands(m1, m2)
    count = max(left.shape[0] if left.dim() == 3 else 1, right.shape[0] if right.dim() == 3 else 1)
    first = right.mT.expand(count, -1, -1)  # (count, n, k)
    second = left.mT.expand(count, -1, -1)  # (count, k, m)
    initial = aligned(bias, 2) if isinstance(bias, Batched) else torch.as_tensor(bias)
    if initial.dim() == 0:
        initial = initial.reshape(1, 1)
    elif initial.dim() == 1:
        initial = initial.reshape(1, -1)
    return Product(first, second, initial.mT, beta, alpha)


def _addmm_with_ones(bias: Any, m1: WithOnes, m2: Any) -> Batched | None:
    """bias + m1 @ m2 as [m2ᵀ | bias] @ m1's storage (transposed): the bias is the weight's
    last column, met by m1's row of ones. None where the operands do not fit that form."""
    right = m2.tensor if isinstance(m2, Batched) else m2
    values = bias.tensor if isinstance(bias, Batched) else bias
    if not isinstance(right, torch.Tensor) or not isinstance(values, torch.Tensor):
        return None
    count = m1.count
    if right.dim() not in (2, 3) or values.dim() - isinstance(bias, Batched) != 1:
        return None
    weight = right.mT.expand(count, -1, -1)  # (count, n, k)
    column = values.reshape(-1 if isinstance(bias, Batched) else 1, weight.shape[1], 1)
    if values.dtype != weight.dtype or column.shape[1] != weight.shape[1]:
        return None
    augmented = torch.cat([weight, column.expand(count, -1, -1)], dim=2)
    return Product(augmented, m1.storage)


def _along_dim(op: Callable[..., torch.Tensor]) -> Callable[[Args, dict[str, Any]], Any]:
    def run(args: Args, kwargs: dict[str, Any]) -> Any:
        x: Batched = args[0]
        return Batched(op(x.tensor, slice_dim(args[1], x.ndim), *args[2:]))

    return run


def _view(args: Args, kwargs: dict[str, Any]) -> Any:
    x: Batched = args[0]
    return Batched(x.tensor.reshape(x.tensor.shape[0], *args[1]))


ELEMENTWISE_OPS = {
    "relu",
    "tanh",
    "sigmoid",
    "gelu",
    "leaky_relu",
    "elu",
    "silu",
    "softplus",
    "hardtanh",
    "exp",
    "log",
    "neg",
    "abs",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "pow",
    "clamp",
    "clamp_min",
    "clamp_max",
    "add",
    "sub",
    "mul",
    "div",
    "rsub",
    "square",
    "maximum",
    "minimum",
    "where",
    "log1p",
    "expm1",
    "reciprocal",
    "sign",
    "tan",
    "atan",
    "sinh",
    "cosh",
    "erf",
    "clone",
}

RULES: dict[str, Callable[[Args, dict[str, Any]], Any]] = {
    "t": _t,
    "mm": _matmul,
    "matmul": _matmul,
    "addmm": _addmm,
    "_log_softmax": log_softmax,
    "_softmax": _along_dim(torch.ops.aten._softmax.default),
    "nll_loss_forward": nll_loss,
    "mse_loss": mse_loss,
    "binary_cross_entropy_with_logits": bce_with_logits,
    "sum.default": _reduce_all(torch.sum),
    "mean.default": _reduce_all(torch.mean),
    "sum.dim_IntList": _reduce_dims(torch.sum),
    "mean.dim": _reduce_dims(torch.mean),
    "view": _view,
    "_unsafe_view": _view,
    "reshape": _view,
}


# ops whose result is a new tensor (never a view), so that a sole consumer may overwrite it
FRESH_RESULTS = ELEMENTWISE_OPS | {"addmm", "mm", "matmul"}
# activations that leave 1 as it is (whatever their arguments): run over a WithOnes value's
# whole storage, its row of ones included, they need no view that skips it
KEEPS_ONE = {"relu", "leaky_relu"}
IN_PLACE_UNARY = {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "silu", "hardtanh", "neg"}


def batched_call(op: str, args: Args, kwargs: dict[str, Any], donated: bool = False) -> Any:
    """Apply aten op `op` ("aten.addmm.default") to arguments of which some are Batched.
    `donated`: the first argument is a fresh intermediate nothing else reads, so an
    activation may overwrite it instead of allocating."""
    _, name, overload = op.split(".")
    if donated and name in IN_PLACE_UNARY and overload == "default" and not kwargs:
        first = args[0]
        if isinstance(first, Batched):
            in_place = getattr(torch.ops.aten, f"{name}_").default
            if isinstance(first, WithOnes):  # the ones kept: past them, or through them as 1
                in_place(first.storage if name in KEEPS_ONE else first.tensor, *args[1:])
                return first
            if isinstance(first, Columns):
                in_place(first.storage, *args[1:])
                return first
            if isinstance(first, Product):  # kept in the product's own layout
                return Columns(in_place(first.raw(), *args[1:]))
            return Batched(in_place(first.tensor, *args[1:]))
    rule = RULES.get(f"{name}.{overload}") or RULES.get(name)
    if rule is None and name in ELEMENTWISE_OPS:
        rule = _elementwise(getattr(getattr(torch.ops.aten, name), overload))
    if rule is None:
        raise Unbatchable(op)
    return rule(args, kwargs)
