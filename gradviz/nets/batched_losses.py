"""The batched replay's losses: log-softmax kept as logits and logsumexp, cross-entropy (two
classes as a softplus of the logit gap), MSE and BCE-with-logits, reduced per parameter setting."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from gradviz.nets.batched_value import Args, Batched, Product, Unbatchable, aligned, slice_dim


class LogSoftmax(Batched):
    """x − logsumexp(x), kept as its two parts: nll_loss, its usual reader, needs only
    logsumexp minus the target's logit, not the whole subtraction (and of two classes only
    the logits' difference, which a Product computes alone)."""

    __slots__ = ("_lse", "dim", "source")

    def __init__(self, source: Batched, dim: int) -> None:
        self.source, self.dim = source, dim
        self._lse: torch.Tensor | None = None
        self._tensor: torch.Tensor | None = None  # type: ignore[assignment]

    @property
    def logits(self) -> torch.Tensor:
        return self.source.tensor

    @property
    def ndim(self) -> int:  # without computing the subtraction
        return self.source.ndim

    @property
    def lse(self) -> torch.Tensor:
        """logsumexp along the dimension, kept (computed when first asked for)."""
        if self._lse is None:
            self._lse = logsumexp(self.logits, self.dim)
        return self._lse

    @property
    def tensor(self) -> torch.Tensor:
        if self._tensor is None:
            self._tensor = self.logits - self.lse
        return self._tensor

    def classes(self) -> int:
        source = self.source
        return source.columns if isinstance(source, Product) else self.logits.shape[-1]

    def dtype(self) -> torch.dtype:
        source = self.source
        return source.dtype if isinstance(source, Product) else self.logits.dtype

    def gap(self) -> torch.Tensor:
        """Of two classes along the last dimension: logit 1 − logit 0 (batch × items)."""
        if isinstance(self.source, Product):
            return self.source.column_gap(1, 0)
        logits = self.logits
        rows = logits.reshape(logits.shape[0], -1, 2)
        return torch.sub(rows[..., 1], rows[..., 0])


# e^-80 ≈ 1.8e-35 is below the resolution of a sum that holds the largest term's e^0 = 1, in
# float32 and float64 alike; terms further below are taken at -80, so no denormal number is
# computed (a CPU computes those about 100× slower: a landscape's far corners are full of them)
SMALLEST_EXPONENT = -80.0


def logsumexp(x: torch.Tensor, dim: int) -> torch.Tensor:
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


def log_softmax(args: Args, kwargs: dict[str, Any]) -> Any:
    """x − logsumexp(x): the same values, and about twice as fast as aten's kernel on the
    short class dimension of a small classifier."""
    x: Batched = args[0]
    dim = slice_dim(args[1], x.ndim)
    return LogSoftmax(x, dim)


def reduced(per_item: torch.Tensor, reduction: int) -> torch.Tensor:
    """ATen's reduction codes: 0 none, 1 mean, 2 sum — over everything but the batch."""
    if reduction == 0:
        return per_item
    dims = list(range(1, per_item.dim()))
    if not dims:
        return per_item
    return per_item.mean(dims) if reduction == 1 else per_item.sum(dims)


def mse_loss(args: Args, kwargs: dict[str, Any]) -> Any:
    a, b = args[:2]
    reduction = args[2] if len(args) > 2 else kwargs.get("reduction", 1)
    ndim = max(x.ndim if isinstance(x, Batched) else x.dim() for x in (a, b))
    diff = aligned(a, ndim) - aligned(b, ndim)
    return Batched(reduced(diff * diff, reduction))


def bce_with_logits(args: Args, kwargs: dict[str, Any]) -> Any:
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
    return Batched(reduced(per_item, reduction))


def nll_loss(args: Args, kwargs: dict[str, Any]) -> Any:
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
    counted, kept = _counted(target, ignore_index)
    if kept == per_item.shape[1]:  # none ignored: a mean (on a CPU the same sum, then divided)
        return (Batched(per_item.mean(1)), None)
    return (Batched(per_item.sum(1) / counted), None)


PICKED_BY_WHERE = 4  # classes up to which the target's logit is chosen by torch.where, not gather


def _picked_loss(x: LogSoftmax, target: torch.Tensor, ignore_index: int) -> torch.Tensor:
    """−log_softmax(x)[target] per item (batch × items), 0 where the target is ignored."""
    if x.classes() == 2 and x.dtype().is_floating_point:
        two = _two_class_loss(x.gap, x.dtype(), target, ignore_index)
        if two is not None:
            return two
    logits = x.logits
    size, classes = logits.shape[0], logits.shape[-1]
    rows = logits.reshape(size, -1, classes)
    items = target.reshape(1, -1)
    ignored = items == ignore_index
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
    gap_of: Callable[[], torch.Tensor], dtype: torch.dtype, target: torch.Tensor, ignore_index: int
) -> torch.Tensor | None:
    """Two classes: logsumexp(z) − z_t = log(1 + e^(z_other − z_t)) = softplus(±(z₁ − z₀)), one
    fused kernel instead of the max, shift, exp, sum, log and pick (about a quarter of a small
    classifier's landscape on a CPU; on an H200 the logsumexp path was about 15 % of the GPU's
    time in a 201×201 landscape on 10,000 points). Gaps under −80 are taken at −80, as in
    logsumexp (no denormal numbers; the loss there is below float resolution anyway). None
    where a target is neither class nor ignored (aten's own path then reports it) or a logit
    is not finite (aten's handling of infinities is kept). `gap_of`: z₁ − z₀ (batch × items)."""
    signs = _two_class_signs(target, ignore_index, dtype)
    if signs is None:
        return None
    sign, any_ignored = signs
    gap = gap_of().mul_(sign)
    if not math.isfinite(gap.sum().item()):  # one pass: finite only if every term is
        return None
    per_item = torch.nn.functional.softplus(gap.clamp_min_(SMALLEST_EXPONENT))
    if any_ignored:
        per_item.masked_fill_(target.reshape(1, -1) == ignore_index, 0.0)
    return per_item


# the last target's count of items not ignored: a landscape's chunks read the same target
_last_count: tuple[torch.Tensor, tuple[int, int], tuple[torch.Tensor, int]] | None = None


def _counted(target: torch.Tensor, ignore_index: int) -> tuple[torch.Tensor, int]:
    """(target != ignore_index).sum(), as a tensor and a number, kept for the same, unchanged
    target tensor."""
    global _last_count
    kept = _last_count
    key = (target._version, ignore_index)
    if kept is not None and kept[0] is target and kept[1] == key:
        return kept[2]
    counted = (target != ignore_index).sum()
    _last_count = (target, key, (counted, int(counted)))
    return _last_count[2]


# the last target's signs: a landscape's chunks all read the same target tensor
_last_signs: tuple[torch.Tensor, tuple[int, int, torch.dtype], torch.Tensor, bool] | None = None


def _two_class_signs(
    target: torch.Tensor, ignore_index: int, dtype: torch.dtype
) -> tuple[torch.Tensor, bool] | None:
    """Per item (1 × items), −1 where the target is class 1, else 1 (target 0: z₁ − z₀;
    1: z₀ − z₁), and whether any target is ignored; None where a target is neither class nor
    ignored. Kept for the same, unchanged target tensor (the replay hands every chunk the very
    tensor it recorded)."""
    global _last_signs
    kept = _last_signs
    key = (target._version, ignore_index, dtype)
    if kept is not None and kept[0] is target and kept[1] == key:
        return kept[2], kept[3]
    items = target.reshape(1, -1)
    ignored = items == ignore_index
    if not bool(((items == 0) | (items == 1) | ignored).all()):
        return None
    sign = torch.where(items == 1, -1.0, 1.0).to(dtype)
    any_ignored = bool(ignored.any())
    _last_signs = (target, key, sign, any_ignored)
    return sign, any_ignored
