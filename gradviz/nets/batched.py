"""The recorded graph re-run for a whole batch of parameter settings at once: each ATen op of a
small network (linear layers, activations, losses) applied with a leading batch dimension, the
matmuls as batched matmuls. Faster than torch.func.vmap on a CPU, where vmap's generic batching
rules copy more; any other op raises Unbatchable and the caller falls back to vmap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

Args = list[Any]


class Unbatchable(NotImplementedError):
    """An op this module has no batched form for."""


class Batched:
    """A value with a leading batch dimension (one slice per parameter setting)."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: torch.Tensor) -> None:
        self._tensor = tensor

    @property
    def tensor(self) -> torch.Tensor:
        return self._tensor

    @property
    def ndim(self) -> int:  # of one slice
        return self.tensor.dim() - 1

    @property
    def count(self) -> int:  # slices
        return self.tensor.shape[0]


class WithOnes(Batched):
    """Batched matrices stored column by column with a row of ones under them: storage
    (count, k + 1, n) holds slices of n × k. A product of such a value with a weight, plus a
    bias, is then one batched matmul of [Wᵀ | bias] with the storage: no pass that copies the
    bias into the output first, none that reads it back."""

    __slots__ = ("storage",)

    def __init__(self, storage: torch.Tensor) -> None:
        self.storage = storage
        super().__init__(storage[:, :-1, :].mT)


def _aligned(value: Any, ndim: int) -> Any:
    """A batched tensor viewed so it broadcasts against a slice of `ndim` dimensions."""
    if isinstance(value, Batched):
        t = value.tensor
        missing = ndim - value.ndim
        return t.reshape(t.shape[0], *([1] * missing), *t.shape[1:]) if missing > 0 else t
    return value


def _elementwise(op: Callable[..., torch.Tensor]) -> Callable[[Args, dict[str, Any]], Any]:
    def run(args: Args, kwargs: dict[str, Any]) -> Any:
        ndim = max(
            (a.ndim if isinstance(a, Batched) else a.dim())
            for a in args
            if isinstance(a, (Batched, torch.Tensor))
        )
        return Batched(op(*[_aligned(a, ndim) for a in args], **kwargs))

    return run


def _dim(dim: int, ndim: int) -> int:
    return (dim % max(ndim, 1)) + 1


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
    initial = _aligned(bias, 2) if isinstance(bias, Batched) else torch.as_tensor(bias)
    if initial.dim() == 0:
        initial = initial.reshape(1, 1)
    elif initial.dim() == 1:
        initial = initial.reshape(1, -1)
    out = torch.baddbmm(initial.mT, first, second, beta=beta, alpha=alpha)
    return Batched(out.mT)


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
    return Batched(torch.bmm(augmented, m1.storage).mT)


def _along_dim(op: Callable[..., torch.Tensor]) -> Callable[[Args, dict[str, Any]], Any]:
    def run(args: Args, kwargs: dict[str, Any]) -> Any:
        x: Batched = args[0]
        return Batched(op(x.tensor, _dim(args[1], x.ndim), *args[2:]))

    return run


class LogSoftmax(Batched):
    """x − logsumexp(x), kept as its two parts: nll_loss, its usual reader, needs only
    logsumexp minus the target's logit, not the whole subtraction."""

    __slots__ = ("_lse", "dim", "logits")

    def __init__(self, logits: torch.Tensor, dim: int) -> None:
        self.logits, self.dim = logits, dim
        self._lse: torch.Tensor | None = None
        self._tensor: torch.Tensor | None = None  # type: ignore[assignment]

    @property
    def ndim(self) -> int:  # without computing the subtraction
        return self.logits.dim() - 1

    @property
    def lse(self) -> torch.Tensor:
        """logsumexp along the dimension, kept (computed when first asked for)."""
        if self._lse is None:
            self._lse = _logsumexp(self.logits, self.dim)
        return self._lse

    @property
    def tensor(self) -> torch.Tensor:
        if self._tensor is None:
            self._tensor = self.logits - self.lse
        return self._tensor


# e^-80 ≈ 1.8e-35 is below the resolution of a sum that holds the largest term's e^0 = 1, in
# float32 and float64 alike; terms further below are taken at -80, so no denormal number is
# computed (a CPU computes those about 100× slower: a landscape's far corners are full of them)
SMALLEST_EXPONENT = -80.0


def _logsumexp(x: torch.Tensor, dim: int) -> torch.Tensor:
    """torch.logsumexp(x, dim, keepdim=True), the same sum in the same order, with terms under
    e^-80 of the largest taken as e^-80 on a CPU (see SMALLEST_EXPONENT); aten's own kernel
    where the maximum is not finite, and on other devices (a GPU handles denormals at speed)."""
    if x.device.type != "cpu" or not x.is_floating_point():
        return torch.logsumexp(x, dim, keepdim=True)
    largest = x.amax(dim, keepdim=True)
    if not bool(largest.isfinite().all()):
        return torch.logsumexp(x, dim, keepdim=True)
    terms = (x - largest).clamp_min_(SMALLEST_EXPONENT).exp_()
    return terms.sum(dim, keepdim=True).log_().add_(largest)


def _log_softmax(args: Args, kwargs: dict[str, Any]) -> Any:
    """x − logsumexp(x): the same values, and about twice as fast as aten's kernel on the
    short class dimension of a small classifier."""
    x: Batched = args[0]
    dim = _dim(args[1], x.ndim)
    return LogSoftmax(x.tensor, dim)


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
        return Batched(op(x.tensor, [_dim(d, x.ndim) for d in chosen], keepdim=keepdim))

    return run


def _reduced(per_item: torch.Tensor, reduction: int) -> torch.Tensor:
    """ATen's reduction codes: 0 none, 1 mean, 2 sum — over everything but the batch."""
    if reduction == 0:
        return per_item
    dims = list(range(1, per_item.dim()))
    if not dims:
        return per_item
    return per_item.mean(dims) if reduction == 1 else per_item.sum(dims)


def _mse_loss(args: Args, kwargs: dict[str, Any]) -> Any:
    a, b = args[:2]
    reduction = args[2] if len(args) > 2 else kwargs.get("reduction", 1)
    ndim = max(x.ndim if isinstance(x, Batched) else x.dim() for x in (a, b))
    diff = _aligned(a, ndim) - _aligned(b, ndim)
    return Batched(_reduced(diff * diff, reduction))


def _bce_with_logits(args: Args, kwargs: dict[str, Any]) -> Any:
    x, target = args[:2]
    padded = [*args, None, None, None]
    weight = padded[2] if len(args) > 2 else kwargs.get("weight")
    pos_weight = padded[3] if len(args) > 3 else kwargs.get("pos_weight")
    reduction = args[4] if len(args) > 4 else kwargs.get("reduction", 1)
    if any(isinstance(v, Batched) for v in (target, weight, pos_weight)):
        raise Unbatchable("batched targets")
    logits: torch.Tensor = x.tensor
    spread = [v.expand_as(logits) if isinstance(v, torch.Tensor) else v for v in (target, weight)]
    per_item = torch.ops.aten.binary_cross_entropy_with_logits.default(
        logits, spread[0], spread[1], pos_weight, 0
    )
    return Batched(_reduced(per_item, reduction))


def _nll_loss(args: Args, kwargs: dict[str, Any]) -> Any:
    x, target, weight, reduction, ignore_index = args[:5]
    if isinstance(target, Batched) or isinstance(weight, Batched) or weight is not None:
        raise Unbatchable("class weights")
    if x.ndim not in (1, 2):
        raise Unbatchable("nll_loss over spatial dimensions")
    if isinstance(x, LogSoftmax) and x.dim == x.ndim:  # cross-entropy: lse − the target's logit
        per_item = _picked_loss(x, target, ignore_index)
    else:
        logits: torch.Tensor = x.tensor
        size = logits.shape[0]
        if x.ndim == 1:  # one sample: (C,) → a batch of (B, C) with one target each
            flat, targets = logits, target.expand(size)
        else:
            flat, targets = logits.reshape(-1, logits.shape[-1]), target.repeat(size)
        result = torch.ops.aten.nll_loss_forward.default(flat, targets, None, 0, ignore_index)
        per_item = result[0].reshape(size, -1)
    size = per_item.shape[0]
    if reduction == 0:
        return (Batched(per_item.reshape(size, *target.shape)), None)
    if reduction == 2:
        return (Batched(per_item.sum(1)), None)
    counted = (target != ignore_index).sum()
    return (Batched(per_item.sum(1) / counted), None)


PICKED_BY_WHERE = 4  # classes up to which the target's logit is chosen by torch.where, not gather


def _picked_loss(x: LogSoftmax, target: torch.Tensor, ignore_index: int) -> torch.Tensor:
    """−log_softmax(x)[target] per item (batch × items), 0 where the target is ignored."""
    logits = x.logits
    size, classes = logits.shape[0], logits.shape[-1]
    items = target.reshape(1, -1)
    ignored = items == ignore_index
    rows = logits.reshape(size, -1, classes)
    if classes == 2 and logits.device.type == "cpu" and logits.is_floating_point():
        two = _two_class_loss(rows, items, ignored)
        if two is not None:
            return two
    if classes <= PICKED_BY_WHERE:  # a class's logits are a row of samples: no gather needed
        picked = rows[..., 0]
        for k in range(1, classes):
            picked = torch.where(items == k, rows[..., k], picked)
    else:
        index = items.masked_fill(ignored, 0).unsqueeze(-1).expand(size, -1, 1)
        picked = rows.gather(2, index).squeeze(-1)
    per_item = x.lse.reshape(size, -1) - picked
    return per_item.masked_fill(ignored, 0.0) if bool(ignored.any()) else per_item


def _two_class_loss(
    rows: torch.Tensor, items: torch.Tensor, ignored: torch.Tensor
) -> torch.Tensor | None:
    """Two classes: logsumexp(z) − z_t = log(1 + e^(z_other − z_t)) = softplus(±(z₁ − z₀)), one
    fused kernel instead of the max, shift, exp, sum, log and pick (about a quarter of a small
    classifier's landscape). Gaps under −80 are taken at −80, as in _logsumexp (no denormal
    numbers; the loss there is below float resolution anyway). None where a target is neither
    class nor ignored (aten's own path then reports it) or a logit is not finite (aten's
    handling of infinities is kept)."""
    if not bool(((items == 0) | (items == 1) | ignored).all()):
        return None
    sign = torch.where(items == 1, -1.0, 1.0).to(rows.dtype)  # target 0: z₁ − z₀; 1: z₀ − z₁
    gap = torch.sub(rows[..., 1], rows[..., 0]).mul_(sign)
    if not bool(gap.isfinite().all()):
        return None
    per_item = torch.nn.functional.softplus(gap.clamp_min_(SMALLEST_EXPONENT))
    return per_item.masked_fill_(ignored, 0.0) if bool(ignored.any()) else per_item


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
    "_log_softmax": _log_softmax,
    "_softmax": _along_dim(torch.ops.aten._softmax.default),
    "nll_loss_forward": _nll_loss,
    "mse_loss": _mse_loss,
    "binary_cross_entropy_with_logits": _bce_with_logits,
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
            result = in_place(first.tensor, *args[1:])
            return first if isinstance(first, WithOnes) else Batched(result)  # ones kept
    rule = RULES.get(f"{name}.{overload}") or RULES.get(name)
    if rule is None and name in ELEMENTWISE_OPS:
        rule = _elementwise(getattr(getattr(torch.ops.aten, name), overload))
    if rule is None:
        raise Unbatchable(op)
    return rule(args, kwargs)
