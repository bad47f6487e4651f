"""A loss given what it computes itself: softmax's probabilities to cross_entropy (which takes
logits and applies log_softmax), sigmoid's to a loss `_with_logits`, probabilities or raw scores
to nll_loss."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from gradviz.lang.objects import Fn

_CROSS_ENTROPY = (
    "cross_entropy takes logits and applies log_softmax itself, but this input already went "
    "through softmax: the loss takes softmax twice, which squashes its gradients (training "
    "slows or stalls). Pass the values before softmax"
)
_WITH_LOGITS = (
    "binary_cross_entropy_with_logits applies sigmoid itself, but this input already went "
    "through sigmoid: pass the values before it (or use binary_cross_entropy on probabilities)"
)
_NLL = (
    "nll_loss takes log-probabilities, but this input is softmax's probabilities: use "
    "log_softmax instead of softmax (or cross_entropy on the values before it)"
)

_NLL_SCORES = (
    "nll_loss takes log-probabilities (log_softmax's output, never above 0), but this input has "
    "positive values: scores give a meaningless loss. Apply log_softmax first, or use "
    "cross_entropy, which does"
)

# loss → (the autograd node its input must not come from, what to say)
_CHECKS: dict[str, tuple[str, str]] = {
    "F.cross_entropy": ("SoftmaxBackward0", _CROSS_ENTROPY),
    "F.binary_cross_entropy_with_logits": ("SigmoidBackward0", _WITH_LOGITS),
    "F.nll_loss": ("SoftmaxBackward0", _NLL),
}
_MODULES: dict[type[nn.Module], str] = {
    nn.CrossEntropyLoss: "F.cross_entropy",
    nn.BCEWithLogitsLoss: "F.binary_cross_entropy_with_logits",
    nn.NLLLoss: "F.nll_loss",
}


_QUALNAMES = frozenset(_CHECKS)


def is_checked_loss(callee: object) -> bool:
    """Whether `callee` is one of the losses above (cheap: asked of every call)."""
    kind = type(callee)
    return kind in _MODULES or (kind is Fn and callee.qualname in _QUALNAMES)  # type: ignore[attr-defined]


def loss_input_remark(callee: object, args: list[Any], kwargs: dict[str, Any]) -> str | None:
    """What to say when `callee(*args, **kwargs)` is such a loss and such an input, else None."""
    if isinstance(callee, Fn):
        check = _CHECKS.get(callee.qualname)
    elif isinstance(callee, nn.Module):
        check = _CHECKS.get(_MODULES.get(type(callee), ""))
    else:
        return None
    if check is None:
        return None
    given = args[0] if args else kwargs.get("input")
    node = given.grad_fn if isinstance(given, torch.Tensor) else None
    if node is not None and node.name() == check[0]:
        return check[1]
    if check[1] is _NLL and isinstance(given, torch.Tensor):
        if node is not None and node.name() == "LogSoftmaxBackward0" and given.dim() >= 2:
            dim = _dim(getattr(node, "_saved_dim", 1)) % given.dim()
            if dim != 1:
                return (
                    f"log_softmax was taken along dim {dim}, but nll_loss reads the classes "
                    f"along dim 1 of its input (N, C, …): take log_softmax with dim=1"
                )
        if _any_positive(given):
            return _NLL_SCORES
    return None


def _dim(saved: int) -> int:
    """A dim autograd saved as an unsigned 64-bit number (-1 reads 2**64 - 1)."""
    return saved - 2**64 if saved >= 2**63 else saved


def _any_positive(tensor: torch.Tensor) -> bool:
    """Whether a float tensor holds a value above 0: gradviz's own look, past every dispatch
    mode (unchecked, unrecorded, no graph)."""
    if not tensor.is_floating_point() or tensor.numel() == 0:
        return False
    with torch.no_grad(), torch._C._DisableTorchDispatch():
        return bool(tensor.max() > 0)
